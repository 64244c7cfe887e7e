"""Images from the files people have, as lazy DataArrays with physical coordinates: what ``convert`` reads.

- TIFF and OME-TIFF through tifffile (the ``tiff`` extra): the first series, read lazily through
  tifffile's zarr view of the file, so that a TIFF larger than memory converts with bounded memory.
  OME-XML gives pixel sizes and units, the time step and channel names; a plain TIFF's resolution
  tags, or ImageJ's ``spacing`` and ``unit``, give what they can.
- Anything xarray opens (NetCDF, Zarr, OME-Zarr...) with its coordinates, lazily (``chunks={}``).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import xarray as xr

from .errors import InvalidImageError, NoImageError
from .read import is_ome_zarr_path

__all__ = ["open_source", "open_tiff"]

_TIFF_SUFFIXES = (".tif", ".tiff", ".btf", ".tf8", ".tf2")
# tifffile's axis letters -> our dims; S (samples, e.g. RGB) becomes the channel axis
_TIFF_DIMS = {"T": "t", "C": "c", "S": "c", "Z": "z", "Y": "y", "X": "x"}
# OME-XML's unit symbols -> names normalize_unit knows
_OME_UNITS = {"µm": "micrometer", "um": "micrometer", "nm": "nanometer", "mm": "millimeter", "Å": "angstrom"}


def _ome_pixels(ome_xml: str) -> tuple[dict[str, tuple[float, str | None]], list[str]]:
    """Pixel sizes per dim (value, unit) and channel names from OME-XML."""
    root = ET.fromstring(ome_xml)
    pixels = next((e for e in root.iter() if e.tag.endswith("}Pixels") or e.tag == "Pixels"), None)
    if pixels is None:
        return {}, []
    sizes: dict[str, tuple[float, str | None]] = {}
    for dim in ("X", "Y", "Z"):
        value = pixels.get(f"PhysicalSize{dim}")
        if value is not None:
            unit = pixels.get(f"PhysicalSize{dim}Unit") or "µm"
            sizes[dim.lower()] = (float(value), _OME_UNITS.get(unit, unit))
    if pixels.get("TimeIncrement") is not None:
        sizes["t"] = (float(pixels.get("TimeIncrement", 1)), pixels.get("TimeIncrementUnit", "s"))
    names = [
        c.get("Name") or f"Channel {i}" for i, c in enumerate(e for e in pixels if e.tag.endswith("Channel"))
    ]
    return sizes, names


def _tiff_sizes(tif: Any, page: Any) -> dict[str, tuple[float, str | None]]:
    """Pixel sizes from ImageJ metadata and resolution tags, for TIFFs without OME-XML."""
    sizes: dict[str, tuple[float, str | None]] = {}
    imagej = tif.imagej_metadata or {}
    written = imagej.get("unit")
    # ImageJ writes "micron" and escapes "µm"; "pixel" means no physical unit
    unit: str | None = {"micron": "micrometer", "\\u00B5m": "micrometer", "pixel": None}.get(
        str(written), written
    )
    for tag, dim in (("XResolution", "x"), ("YResolution", "y")):
        resolution = page.tags.get(tag)
        if resolution is not None:
            numerator, denominator = resolution.value
            if numerator:
                sizes[dim] = (denominator / numerator, unit)
    if "spacing" in imagej:
        sizes["z"] = (float(imagej["spacing"]), unit)
    return sizes


def open_tiff(path: str | os.PathLike[str]) -> xr.DataArray:
    """The first series of a TIFF or OME-TIFF as a lazy DataArray with physical coordinates.

    Examples
    --------
    >>> import tempfile, tifffile
    >>> path = tempfile.mkdtemp() + "/cells.ome.tif"
    >>> tifffile.imwrite(path, np.zeros((2, 8, 8), "uint8"), ome=True,
    ...                  metadata={"axes": "CYX", "PhysicalSizeX": 0.5, "Channel": {"Name": ["a", "b"]}})
    >>> da = open_tiff(path)
    >>> da.dims, da.c.values.tolist(), float(da.x[1])
    (('c', 'y', 'x'), ['a', 'b'], 0.5)
    >>> da.close()  # closes the file
    """
    try:
        import dask.array
        import tifffile
        import zarr
    except ImportError as error:  # pragma: no cover - the message is the point
        raise ImportError("reading TIFF needs tifffile: pip install 'xarray-omezarr[tiff]'") from error
    # The file stays open while the lazy array reads through it; ``close()`` on the result closes it.
    tif = tifffile.TiffFile(os.fspath(path))
    series = tif.series[0]
    letters = series.axes
    dims = []
    for letter in letters:
        dim = _TIFF_DIMS.get(letter, letter.lower())
        if dim in dims:
            raise InvalidImageError(
                f"the TIFF's axes {letters!r} map two axes onto {dim!r}; it cannot be converted"
            )
        dims.append(dim)
    array = zarr.open_array(series.aszarr(level=0), mode="r")
    data = dask.array.from_zarr(array)
    names: list[str] = []
    if tif.is_ome and tif.ome_metadata:
        sizes, names = _ome_pixels(tif.ome_metadata)
    else:
        sizes = _tiff_sizes(tif, series.pages[0])
    coords: dict[str, Any] = {}
    for dim, n in zip(dims, data.shape, strict=True):
        if dim == "c" and len(names) == n:
            coords["c"] = names
        elif dim in sizes:
            step, unit = sizes[dim]
            coords[dim] = xr.Variable(dim, step * np.arange(n), {"units": unit} if unit else {})
    name = os.path.basename(os.fspath(path)).split(".")[0] or None
    image = xr.DataArray(data, dims=dims, coords=coords, name=name)
    image.set_close(tif.close)
    return image


def open_source(path: str | os.PathLike[str], *, variable: str | None = None) -> xr.DataArray | xr.Dataset:
    """The image in ``path``: a TIFF through :func:`open_tiff`, anything else through ``xr.open_dataset``.

    ``variable`` picks the data variable of a dataset with several. An OME-Zarr image comes as the
    ``omezarr`` engine's Dataset, so that its labels are converted with it.
    """
    text = os.fspath(path)
    if "://" not in text and not os.path.exists(text):
        raise NoImageError(f"there is no file or folder at {text!r}")
    if text.lower().endswith(_TIFF_SUFFIXES):
        return open_tiff(text)
    if os.path.isdir(text) and is_ome_zarr_path(text):
        return xr.open_dataset(text, engine="omezarr", chunks={})  # the image and its labels
    ds = xr.open_dataset(text, chunks={})
    candidates = [str(n) for n, v in ds.data_vars.items() if v.ndim >= 2]
    if variable is None:
        if len(candidates) != 1:
            raise InvalidImageError(f"{text!r} holds the variables {candidates}; choose one with --variable")
        variable = candidates[0]
    if variable not in ds.data_vars:
        raise InvalidImageError(f"{text!r} has no variable {variable!r}; it has {candidates}")
    return ds[variable]
