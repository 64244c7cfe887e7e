"""OME-NGFF versions: one module per version, and the registry that picks one.

Pure translation between :mod:`xarray_omezarr.model` and the JSON of each version. A version module
(:mod:`.v04`, :mod:`.v05`) defines its :class:`Format`; the document modules (:mod:`.multiscale`,
:mod:`.labels`, :mod:`.plate`) build and parse the JSON the versions share. Adding a version means
adding its module and registering it in ``_WRITABLE`` below.
"""

from __future__ import annotations

from ..errors import InvalidImageError, InvalidImageTypeError
from .base import Format, ome_attributes, version_of
from .v04 import FormatV04
from .v05 import FormatV05

__all__ = [
    "CurrentFormat",
    "Format",
    "FormatV04",
    "FormatV05",
    "as_format",
    "format_from_version",
    "ome_attributes",
    "version_of",
]

CurrentFormat = FormatV05
"""The format written when none is given."""

_WRITABLE: dict[str, type[Format]] = {"0.4": FormatV04, "0.5": FormatV05}


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
            "(0.5 is the default; 0.4 for viewers that do not read Zarr v3 yet)"
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
