"""OME-NGFF versions: one module per version, and the registry that picks one.

Pure translation between :mod:`xarray_omezarr.model` and the JSON of each version. A version module
(:mod:`.v04`, :mod:`.v05`, :mod:`.v06`) defines its :class:`Format`; the document modules
(:mod:`.multiscale`, :mod:`.labels`, :mod:`.plate`) build and parse the JSON the versions share. A
version whose multiscale document differs (0.6: coordinate systems) brings its own pair of
``multiscale_json``/``multiscale_from_json``, which the functions below pick by version. Adding a
version means adding its module and registering it in ``_WRITABLE`` (and ``_DOCUMENTS``) below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from ..errors import InvalidImageError, InvalidImageTypeError
from ..geometry.transforms import LinearAxis
from ..model import Multiscale
from . import multiscale as _shared
from . import v06
from .base import Format, ome_attributes, version_of
from .v04 import FormatV04
from .v05 import FormatV05
from .v06 import FormatV06

__all__ = [
    "CurrentFormat",
    "Format",
    "FormatV04",
    "FormatV05",
    "FormatV06",
    "as_format",
    "format_from_version",
    "format_of_existing",
    "level0_geometry",
    "multiscale_from_json",
    "multiscale_json",
    "ome_attributes",
    "version_of",
    "writable_tag",
]

CurrentFormat = FormatV05
"""The format written when none is given."""

_WRITABLE: dict[str, type[Format]] = {"0.4": FormatV04, "0.5": FormatV05, "0.6": FormatV06}

_DOCUMENTS: list[tuple[Any, ModuleType]] = [(v06.is_v06, v06)]
"""Versions whose multiscale document is their own module's: (does this tag belong to it?, module)."""


def writable_tag(version: str | None) -> str | None:
    """The writable version a tag read from a store belongs to (``"0.6rc0"`` -> ``"0.6"``), or ``None``.

    Examples
    --------
    >>> writable_tag("0.6.dev3"), writable_tag("0.5"), writable_tag("0.3")
    ('0.6', '0.5', None)
    """
    if version in _WRITABLE:
        return version
    if v06.is_v06(version):
        return "0.6"
    return None


def format_of_existing(version: str | None) -> Format | None:
    """The format to keep writing a group whose metadata has tag ``version`` (``None`` for older ones)."""
    tag = writable_tag(version)
    return _WRITABLE[tag]() if tag is not None else None


def _documents(version: str | None) -> ModuleType:
    """The module that builds and parses the multiscale document of ``version``."""
    return next((module for belongs, module in _DOCUMENTS if belongs(version)), _shared)


def multiscale_json(
    image: Multiscale, fmt: Format, datasets: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The OME metadata of an image group in ``fmt``'s version (unwrapped: ``fmt.wrap`` makes the attributes)."""
    result: dict[str, Any] = _documents(fmt.version).multiscale_json(image, fmt, datasets)
    return result


def multiscale_from_json(
    ome: Mapping[str, Any],
    arrays: Sequence[tuple[tuple[int, ...], Any, tuple[int, ...] | None, tuple[int, ...] | None]],
    index: int = 0,
    coordinate_system: str | None = None,
) -> Multiscale:
    """Multiscale ``index`` of OME metadata of any version, with its arrays' ``(shape, dtype, chunks, shards)``.

    ``coordinate_system`` names the output system among a 0.6 image's ``coordinateSystems`` (by default
    the first); earlier versions have one system only and accept ``None`` only.
    """
    version = version_of(dict(ome))
    if coordinate_system is not None:
        if not v06.is_v06(version):
            raise InvalidImageError(
                f"coordinate_system={coordinate_system!r}: an OME-NGFF {version} image has no named "
                "coordinate systems (they came with 0.6)"
            )
        result: Multiscale = v06.multiscale_from_json(ome, arrays, index, coordinate_system)
        return result
    result = _documents(version).multiscale_from_json(ome, arrays, index)
    return result


def level0_geometry(ome: Mapping[str, Any], names: Sequence[str]) -> dict[str, LinearAxis]:
    """Level 0's geometry by axis name, from OME metadata of any version read earlier (``{}`` if none)."""
    result: dict[str, LinearAxis] = _documents(version_of(dict(ome))).level0_geometry(ome, names)
    return result


def format_from_version(version: str | float) -> Format:
    """The format object for a version string such as ``"0.4"``.

    Examples
    --------
    >>> format_from_version("0.4")
    FormatV04(version='0.4', zarr_format=2)
    """
    key = str(version)
    if key not in _WRITABLE:
        raise InvalidImageError(
            f"OME-NGFF version {key!r} cannot be written; choose one of {sorted(_WRITABLE)} "
            "(0.5 is the default; 0.4 for viewers that do not read Zarr v3 yet; 0.6 for coordinate systems)"
        )
    return _WRITABLE[key]()


def as_format(fmt: Format | str | float | None) -> Format:
    """Accept a format object, a version string or ``None`` (the current format).

    Examples
    --------
    >>> as_format(None).version
    '0.5'
    >>> as_format("0.4").zarr_format
    2
    """
    if fmt is None:
        return CurrentFormat()
    if isinstance(fmt, Format):
        return fmt
    if isinstance(fmt, str | float):
        return format_from_version(fmt)
    version = getattr(fmt, "version", None)  # an ome-zarr-py format object
    if isinstance(version, str):
        return format_from_version(version)
    raise InvalidImageTypeError(f"fmt must be a Format, a version string such as '0.5', or None; got {fmt!r}")
