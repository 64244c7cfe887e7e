"""Hypothesis strategies for OME-Zarr images as DataArrays, for this package's tests and for users'.

Requires ``hypothesis`` (in the ``test`` extra). Example::

    from hypothesis import given
    from xarray_omezarr.testing import images

    @given(images())
    def test_round_trip(image): ...
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from hypothesis import strategies as st

__all__ = ["DIM_LAYOUTS", "images", "spacings"]

DIM_LAYOUTS: tuple[tuple[str, ...], ...] = (
    ("y", "x"),
    ("z", "y", "x"),
    ("c", "y", "x"),
    ("c", "z", "y", "x"),
    ("t", "c", "z", "y", "x"),
    ("t", "y", "x"),
    ("x", "y", "c"),  # not in the spec's order: the writer transposes
)
_UNITS = {"space": ["micrometer", "um", "nanometer", "µm", None], "time": ["second", "ms", None]}
_DTYPES = ("uint8", "uint16", "int16", "int32", "float32", "float64")


def spacings() -> st.SearchStrategy[float]:
    """Pixel spacings as people write them: round decimals and awkward floats, tiny to large."""
    round_decimals = st.sampled_from([0.1, 0.1625, 0.325, 0.5, 1.0, 2.0, 0.0301, 3.3e-4, 12.5])
    awkward = st.floats(1e-4, 1e3, allow_nan=False, allow_infinity=False)
    return st.one_of(round_decimals, awkward)


@st.composite
def images(
    draw: st.DrawFn,
    layouts: tuple[tuple[str, ...], ...] = DIM_LAYOUTS,
    max_side: int = 23,
    dtypes: tuple[str, ...] = _DTYPES,
    min_side: int = 1,
) -> xr.DataArray:
    """DataArrays that are valid OME-Zarr images: regular coordinates, units, channel names.

    Sizes include odd ones; origins can be negative or zero; some dims have no coordinate at all.
    """
    dims = draw(st.sampled_from(layouts))
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    sizes = {d: draw(st.integers(1, 4) if d in "tc" else st.integers(min_side, max_side)) for d in dims}
    shape = tuple(sizes[d] for d in dims)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if dtype.kind == "f":
        data = rng.normal(100, 30, shape).astype(dtype)
    else:
        info = np.iinfo(dtype)  # type: ignore[type-var]
        data = rng.integers(max(info.min, -1000), min(info.max, 5000), shape, endpoint=True).astype(dtype)
    coords: dict[str, Any] = {}
    for dim in dims:
        if dim == "c":
            if draw(st.booleans()):
                coords[dim] = [f"ch{i}" for i in range(sizes[dim])]
            continue
        if not draw(st.booleans()) and dim not in "yx":
            continue  # a dim without a coordinate: scale 1, translation 0
        step = draw(spacings())
        origin = draw(st.sampled_from([0.0, -3.5, 10.0, 0.25])) * step
        kind = "time" if dim == "t" else "space"
        unit = draw(st.sampled_from(_UNITS[kind]))
        attrs = {"units": unit} if unit else {}
        coords[dim] = (dim, origin + step * np.arange(sizes[dim]), attrs)
    return xr.DataArray(data, dims=dims, coords=coords, name=draw(st.sampled_from(["image", "cells", None])))
