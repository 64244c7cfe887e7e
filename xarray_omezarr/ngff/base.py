"""What every OME-NGFF version answers: the :class:`Format` base, and where OME attributes live.

Every version-specific decision (Zarr format, where the OME attributes live, the chunk key separator,
whether arrays carry ``dimension_names``) is answered by a :class:`Format` of one version module
(:mod:`.v04`, :mod:`.v05`), so that the writer and the reader never compare version strings
themselves. The names mirror ome-zarr-py's ``ome_zarr.format`` so that code written for its ``fmt=``
parameter keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Format", "ome_attributes", "version_of"]


@dataclass(frozen=True)
class Format:
    """One OME-NGFF version and its on-disk conventions.

    Examples
    --------
    >>> from xarray_omezarr.ngff import FormatV04, FormatV05
    >>> FormatV05().zarr_format
    3
    >>> FormatV04().wrap({"multiscales": []})
    {'multiscales': []}
    """

    version: str = ""
    zarr_format: Literal[2, 3] = 3

    @property
    def versioned_blocks(self) -> bool:
        """Whether each OME block (``multiscales``, ``plate``...) carries its own ``version`` key."""
        return self.zarr_format == 2

    def wrap(self, ome: dict[str, Any]) -> dict[str, Any]:
        """Turn OME metadata into the group attributes of this version."""
        raise NotImplementedError

    def chunk_key_encoding(self) -> dict[str, str]:
        """The chunk key encoding of arrays of this version (0.4 requires ``/``)."""
        raise NotImplementedError

    def array_kwargs(self, dims: tuple[str, ...]) -> dict[str, Any]:
        """Keyword arguments for ``Group.create_array`` that this version requires."""
        kwargs: dict[str, Any] = {"chunk_key_encoding": self.chunk_key_encoding()}
        if self.zarr_format == 3:
            kwargs["dimension_names"] = list(dims)
        return kwargs

    def coordinate_system(self, image_name: str | None, given: str | None = None) -> str | None:
        """The name of the coordinate system an image named ``image_name`` is written in (``given``:
        the one it was read in, if any); ``None`` before OME-NGFF 0.6, which names no systems."""
        return None

    def __str__(self) -> str:
        return f"OME-NGFF {self.version} (Zarr v{self.zarr_format})"


def ome_attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    """The OME metadata of a group's attributes, whatever the version.

    0.5 nests it under ``"ome"``; 0.4 and older keep it at the top level.

    Examples
    --------
    >>> ome_attributes({"ome": {"version": "0.5", "multiscales": []}})
    {'version': '0.5', 'multiscales': []}
    >>> ome_attributes({"multiscales": []})
    {'multiscales': []}
    """
    ome = attrs.get("ome")
    if isinstance(ome, dict):
        return ome
    return attrs


def version_of(ome: dict[str, Any]) -> str | None:
    """The OME-NGFF version of unwrapped OME metadata, from its group or block ``version`` keys.

    Examples
    --------
    >>> version_of({"multiscales": [{"version": "0.4"}]})
    '0.4'
    """
    if isinstance(ome.get("version"), str):
        return str(ome["version"])
    for key in ("multiscales", "plate", "well", "image-label"):
        block = ome.get(key)
        if isinstance(block, list) and block and isinstance(block[0], dict):
            block = block[0]
        if isinstance(block, dict) and isinstance(block.get("version"), str):
            return str(block["version"])
    return None
