"""Small images and labels for the tests: regular coordinates, seeded random data, labels on an image's grid.

Examples
--------
>>> image = make_image({"c": 2, "y": 4, "x": 6}, coords={"x": regular("x", 6, 10.0, 0.5, "um")}, seed=1)
>>> image.dims, image.dtype.name, image.name, float(image.x[1])
(('c', 'y', 'x'), 'uint16', 'img', 10.5)
>>> label = random_label(image, seed=2, high=3)
>>> label.dims, label.dtype.name, bool(label.x.equals(image.x))
(('y', 'x'), 'uint16', True)
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

__all__ = ["make_image", "random_label", "regular"]

_CHANNEL_DIMS = ("c", "ch", "channel")


def regular(dim: str, n: int, start: float = 0.0, step: float = 1.0, units: str | None = None) -> xr.Variable:
    """Return a regular coordinate variable ``start + step * arange(n)`` (float64).

    Parameters
    ----------
    dim
        The dimension (and so the coordinate) name.
    n
        Its number of pixels.
    start, step
        The first pixel's coordinate and the pixel spacing.
    units
        Stored as the ``units`` attribute when given.

    Examples
    --------
    >>> x = regular("x", 3, 1.0, 0.5, "um")
    >>> x.dims, x.values.tolist(), x.attrs
    (('x',), [1.0, 1.5, 2.0], {'units': 'um'})
    """
    return xr.Variable(dim, start + step * np.arange(n, dtype=np.float64), {"units": units} if units else {})


def make_image(
    dims: Sequence[str] | Mapping[str, int] = ("y", "x"),
    shape: Sequence[int] | None = None,
    *,
    coords: Mapping[str, Any] | None = None,
    seed: int = 0,
    low: int = 0,
    high: int = 60000,
    dtype: str = "uint16",
    chunks: Any = None,
    name: Hashable | None = "img",
) -> xr.DataArray:
    """Return an image of seeded random values.

    Parameters
    ----------
    dims
        The dims, or a mapping of dims to sizes (then ``shape`` is not given).
    shape
        The sizes of ``dims``; 16 pixels along each by default.
    coords
        Coordinates by name. An ``xr.Variable`` is put on the dim of its key, whatever its own dim is.
    seed
        Seed of ``numpy.random.default_rng``: the same arguments give the same image.
    low, high
        Integer values are drawn from ``[low, high)`` (``high`` clipped to the dtype); floats from
        ``[0, 1)``.
    dtype
        The data type.
    chunks
        Dask chunks: the image is a dask array cut from the numpy one. ``None`` keeps numpy.
    name
        The DataArray's name.

    Examples
    --------
    >>> image = make_image(("z", "y", "x"), (2, 3, 4), high=10, chunks=(1, 3, 2))
    >>> image.sizes, image.chunks, int(image.max()) < 10
    (Frozen({'z': 2, 'y': 3, 'x': 4}), ((1, 1), (3,), (2, 2)), True)
    """
    if isinstance(dims, Mapping):
        if shape is not None:
            raise TypeError("give the sizes either as a mapping of dims or as shape, not both")
        dims, shape = tuple(dims), tuple(dims.values())
    dims = tuple(dims)
    shape = tuple(shape) if shape is not None else (16,) * len(dims)
    rng = np.random.default_rng(seed)
    kind = np.dtype(dtype)
    if kind.kind == "f":
        data = rng.random(shape).astype(kind)
    else:
        top = min(high, int(np.iinfo(kind).max) + 1)
        data = rng.integers(low, top, shape, dtype=kind)
    built: dict[str, Any] = {}
    for key, value in (coords or {}).items():
        built[key] = xr.Variable(key, value.values, value.attrs) if isinstance(value, xr.Variable) else value
    return xr.DataArray(
        da.from_array(data, chunks=chunks) if chunks is not None else data, dims=dims, coords=built, name=name
    )


def random_label(
    image: xr.DataArray,
    *,
    seed: int = 0,
    high: int = 4,
    dtype: str = "uint16",
    name: Hashable | None = None,
) -> xr.DataArray:
    """Return a label image on ``image``'s grid: its dims but the channel, its coordinates, random values.

    Parameters
    ----------
    image
        The image the label belongs to.
    seed
        Seed of ``numpy.random.default_rng``.
    high
        Label values are drawn from ``[0, high)``.
    dtype
        An integer data type.
    name
        The label DataArray's name.

    Examples
    --------
    >>> label = random_label(make_image(("c", "z", "y", "x"), (2, 3, 4, 5)), high=2, dtype="uint8")
    >>> label.dims, label.dtype.name, sorted(set(label.values.ravel().tolist())) <= [0, 1]
    (('z', 'y', 'x'), 'uint8', True)
    """
    dims = [d for d in image.dims if str(d).lower() not in _CHANNEL_DIMS]
    sizes = tuple(image.sizes[d] for d in dims)
    data = np.random.default_rng(seed).integers(0, high, sizes).astype(dtype)
    coords = {d: image[d].variable for d in dims if d in image.coords}
    return xr.DataArray(data, dims=dims, coords=coords, name=name)
