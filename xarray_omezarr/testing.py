"""Hypothesis strategies for OME-Zarr images as DataArrays, for this package's tests and for users'.

Images (:func:`images`), their pixel spacings (:func:`spacings`), the writer's options that suit an image
(:func:`scale_factors`, :func:`methods`, :func:`versions`, :func:`storage_options`), label images on an
image's grid (:func:`labels`) and small plates (:func:`plates`). Requires ``hypothesis`` (in the ``test``
extra). Example::

    from hypothesis import given, strategies as st
    from xarray_omezarr.testing import images, methods, scale_factors, versions

    @given(images(), methods(), versions(), st.data())
    def test_round_trip(image, method, version, data):
        factors = data.draw(scale_factors(image, method))
        ...
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import xarray as xr
from hypothesis import strategies as st

from .geometry.axes import axes_from_dims, spec_order
from .scale import Methods, get_method

__all__ = [
    "DIM_LAYOUTS",
    "VERSIONS",
    "WRITABLE_VERSIONS",
    "images",
    "labels",
    "methods",
    "plates",
    "scale_factors",
    "spacings",
    "storage_options",
    "versions",
]

DIM_LAYOUTS: tuple[tuple[str, ...], ...] = (
    ("y", "x"),
    ("z", "y", "x"),
    ("c", "y", "x"),
    ("c", "z", "y", "x"),
    ("t", "c", "z", "y", "x"),
    ("t", "y", "x"),
    ("x", "y", "c"),  # not in the spec's order: the writer transposes
)
VERSIONS: tuple[str, ...] = ("0.4", "0.5")
"""The OME-NGFF versions the parametrized tests cover: 0.4 (Zarr v2) and 0.5 (Zarr v3)."""
WRITABLE_VERSIONS: tuple[str, ...] = (*VERSIONS, "0.6")
"""Every OME-NGFF version the writer writes: 0.4, 0.5 and 0.6 (Zarr v3, coordinate systems)."""
_UNITS = {"space": ["micrometer", "um", "nanometer", "µm", None], "time": ["second", "ms", None]}
_DTYPES = ("uint8", "uint16", "int16", "int32", "float32", "float64")
_LABEL_DTYPES = ("uint8", "uint16", "uint32", "int32", "int64")


def spacings() -> st.SearchStrategy[float]:
    """Pixel spacings as people write them: round decimals and awkward floats, tiny to large.

    Returns
    -------
    SearchStrategy[float]
        Positive finite floats from 1e-4 to 1e3.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20)
    ... @given(spacings())
    ... def check(step):
    ...     assert 1e-4 <= step <= 1e3
    >>> check()
    """
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

    Parameters
    ----------
    layouts
        The dims to draw from (:data:`DIM_LAYOUTS` by default, one of them not in the spec's order).
    max_side, min_side
        The range of sizes of a space axis; time and channel axes have 1 to 4 pixels.
    dtypes
        The data types to draw from.

    Returns
    -------
    SearchStrategy[xr.DataArray]
        Named ``"image"``, ``"cells"`` or not at all.

    Examples
    --------
    >>> import zarr
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, deadline=None)
    ... @given(images(layouts=(("c", "y", "x"),), max_side=8))
    ... def check(image):
    ...     assert image.dims == ("c", "y", "x") and 1 <= image.sizes["y"] <= 8
    ...     image.omezarr.to_zarr(zarr.storage.MemoryStore(), scale_factors=())
    >>> check()
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


def versions() -> st.SearchStrategy[str]:
    """OME-NGFF versions the writer writes.

    Returns
    -------
    SearchStrategy[str]
        ``"0.4"`` (Zarr v2), ``"0.5"`` or ``"0.6"`` (Zarr v3), see :data:`WRITABLE_VERSIONS`.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5)
    ... @given(versions())
    ... def check(version):
    ...     assert version in ("0.4", "0.5", "0.6")
    >>> check()
    """
    return st.sampled_from(WRITABLE_VERSIONS)


def methods(among: Iterable[Methods | str] | None = None) -> st.SearchStrategy[Methods]:
    """Downsampling methods of :class:`xarray_omezarr.scale.Methods`.

    Parameters
    ----------
    among
        The methods to draw from; all of them by default. Strings are accepted.

    Returns
    -------
    SearchStrategy[Methods]
        Members of ``Methods``, which compare equal to their names (``Methods.NEAREST == "nearest"``).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5)
    ... @given(methods(among=["nearest", "local_mean"]))
    ... def check(method):
    ...     assert method in ("nearest", "local_mean")
    >>> check()
    """
    choices = tuple(Methods) if among is None else tuple(Methods(str(m)) for m in among)
    if not choices:
        raise ValueError("methods() needs at least one method to draw from")
    return st.sampled_from(choices)


def _sizes(image: xr.DataArray | Mapping[str, int]) -> dict[str, int]:
    sizes = image.sizes if isinstance(image, xr.DataArray) else image
    return {str(d): int(n) for d, n in sizes.items()}


def _space_dims(dims: list[str]) -> list[str]:
    """The space dims in the writer's (the spec's) order."""
    axes = axes_from_dims(dims)
    return [axes[i].name for i in spec_order(axes) if axes[i].type == "space"]


@st.composite
def scale_factors(
    draw: st.DrawFn,
    image: xr.DataArray | Mapping[str, int],
    method: Methods | str | None = None,
    *,
    min_levels: int = 0,
    max_levels: int = 3,
    max_step: int = 3,
) -> tuple[int, ...] | tuple[dict[str, int], ...]:
    """Scale factors that the writer accepts for ``image``: cumulative, one entry per level after level 0.

    Either integers, which downsample the two in-plane space axes (``y`` and ``x``), or dicts that name
    space axes (those left out keep factor 1); ``()`` when no level is drawn. Each level's factor along
    an axis is a whole multiple (1 to ``max_step`` times) of the previous level's, and no factor shrinks an
    axis below one pixel under ``method``'s size rule (:meth:`xarray_omezarr.scale.Method.size`): ``n // f``
    on the block grid, ``ceil(n / f)`` for ``nearest``, which so accepts factors larger than the axis.

    Parameters
    ----------
    image
        The image, or its sizes by dim.
    method
        The downsampling method the factors are for. ``None``: valid for every method (the block grid's
        rule, ``f <= n``).
    min_levels, max_levels
        How many levels to add to level 0.
    max_step
        The largest ratio between one level's factor and the previous one's.

    Returns
    -------
    SearchStrategy[tuple]
        ``(2, 4)``, ``({"z": 1, "y": 2, "x": 2}, {"y": 6, "x": 4})``, ``()``...

    Examples
    --------
    >>> from hypothesis import given, settings, strategies as st
    >>> @settings(max_examples=10, deadline=None)
    ... @given(images(max_side=12), methods(), st.data())
    ... def check(image, method, data):
    ...     factors = data.draw(scale_factors(image, method))
    ...     tree = image.omezarr.pyramid(scale_factors=factors, method=method)  # never refused
    ...     assert len(tree.children) == len(factors) + 1
    >>> check()
    """
    sizes = _sizes(image)
    space = _space_dims(list(sizes))
    if not space or min_levels > max_levels:
        raise ValueError(f"cannot draw scale factors for sizes {sizes} and {min_levels}..{max_levels} levels")
    rule = get_method(method) if method is not None else None

    def fits(n: int, factor: int) -> bool:
        return (rule.size(n, factor) if rule is not None else n // factor) >= 1

    def step(current: int, axes: list[str]) -> int:
        allowed = [m for m in range(1, max_step + 1) if all(fits(sizes[a], current * m) for a in axes)]
        return current * draw(st.sampled_from(allowed))

    count = draw(st.integers(min_levels, max_levels))
    if draw(st.booleans()):
        in_plane = space[-2:]
        factor, ints = 1, []
        for _ in range(count):
            factor = step(factor, in_plane)
            ints.append(factor)
        return tuple(ints)
    current = dict.fromkeys(space, 1)
    dicts = []
    for _ in range(count):
        current = {a: step(f, [a]) for a, f in current.items()}
        # axes at factor 1 may be named or left out
        dicts.append({a: f for a, f in current.items() if f != 1 or draw(st.booleans())})
    return tuple(dicts)


@st.composite
def storage_options(
    draw: st.DrawFn,
    image: xr.DataArray | Mapping[str, int],
    version: str = "0.5",
    *,
    levels: int | None = None,
    max_chunks_per_axis: int = 4,
) -> dict[str, Any] | list[dict[str, Any]]:
    """``storage_options`` for writing ``image``: chunks and, for Zarr v3 (0.5, 0.6), sometimes shards.

    Chunks are positive integers per axis, in the stored (the spec's) axis order, at most
    ``max_chunks_per_axis`` along each axis of level 0 and sometimes larger than the axis (the writer
    clips them to each level). For ``version="0.5"`` or ``"0.6"`` shards are sometimes added: whole multiples of the
    chunks, or ``"auto"``. ``{}`` (the writer's defaults) is drawn too.

    Parameters
    ----------
    image
        The image, or its sizes by dim.
    version
        ``"0.4"`` (no shards: Zarr v2 has none), ``"0.5"`` or ``"0.6"``.
    levels
        The number of levels of the pyramid (``len(scale_factors) + 1``): given, a list of one dict per
        level is drawn too.
    max_chunks_per_axis
        Keeps the number of stored objects small.

    Returns
    -------
    SearchStrategy[dict | list[dict]]
        ``{"chunks": (1, 8, 5), "shards": (2, 16, 5)}``, ``{"shards": "auto"}``, ``{}``...

    Examples
    --------
    >>> import numpy as np, zarr
    >>> from hypothesis import given, settings
    >>> image = xr.DataArray(np.zeros((3, 20, 30), "uint8"), dims=("c", "y", "x"))
    >>> @settings(max_examples=10, deadline=None)
    ... @given(storage_options(image, "0.5"))
    ... def check(options):
    ...     image.omezarr.to_zarr(zarr.storage.MemoryStore(), scale_factors=(), storage_options=options)
    >>> check()
    """
    sizes = _sizes(image)
    if version not in WRITABLE_VERSIONS:
        raise ValueError(f"version must be one of {WRITABLE_VERSIONS}; got {version!r}")
    axes = axes_from_dims(list(sizes))
    shape = [sizes[axes[i].name] for i in spec_order(axes)]

    def one_level() -> dict[str, Any]:
        kind = draw(
            st.sampled_from(
                ["chunks", "defaults", "auto shards"] if version != "0.4" else ["chunks", "defaults"]
            )
        )
        if kind == "defaults":
            return {}
        if kind == "auto shards":
            return {"shards": "auto"}
        chunks = tuple(draw(st.integers(math.ceil(n / max_chunks_per_axis), n + 2)) for n in shape)
        options: dict[str, Any] = {"chunks": chunks}
        if version != "0.4" and draw(st.booleans()):
            options["shards"] = tuple(c * draw(st.integers(1, 3)) for c in chunks)
        return options

    if levels is not None and draw(st.booleans()):
        return [one_level() for _ in range(levels)]
    return one_level()


@st.composite
def labels(
    draw: st.DrawFn,
    image: xr.DataArray,
    dtypes: tuple[str, ...] = _LABEL_DTYPES,
    max_value: int = 300,
) -> xr.DataArray:
    """Label images on ``image``'s grid: integer DataArrays with its dims and coordinates but the channel.

    Parameters
    ----------
    image
        The image the label belongs to (for instance drawn from :func:`images`).
    dtypes
        Integer dtypes to draw from.
    max_value
        The largest label value (0 is the background); clipped to the dtype.

    Returns
    -------
    SearchStrategy[xr.DataArray]
        Dims in the image's order without its channel axis, the image's coordinates (with their units),
        values from 0 to a drawn maximum.

    Examples
    --------
    >>> import zarr
    >>> from hypothesis import given, settings, strategies as st
    >>> @settings(max_examples=5, deadline=None)
    ... @given(images(max_side=12), st.data())
    ... def check(image, data):
    ...     label = data.draw(labels(image))
    ...     assert "c" not in label.dims and label.dtype.kind in "iu"
    ...     image.omezarr.to_zarr(zarr.storage.MemoryStore(), scale_factors=(), labels={"cells": label})
    >>> check()
    """
    axes = axes_from_dims([str(d) for d in image.dims])
    dims = [a.name for a in axes if a.type != "channel"]
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    high = draw(st.integers(1, min(max_value, int(np.iinfo(dtype).max))))  # type: ignore[type-var]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    data = rng.integers(0, high, tuple(image.sizes[d] for d in dims), endpoint=True).astype(dtype)
    coords = {d: image[d].variable for d in dims if d in image.coords}
    return xr.DataArray(data, dims=dims, coords=coords, name=draw(st.sampled_from(["cells", "nuclei", None])))


@st.composite
def plates(
    draw: st.DrawFn,
    layouts: tuple[tuple[str, ...], ...] = (("y", "x"), ("c", "y", "x"), ("c", "z", "y", "x")),
    max_rows: int = 3,
    max_columns: int = 3,
    max_fields: int = 2,
    max_side: int = 12,
    dense: bool | None = None,
) -> dict[str, list[xr.DataArray]]:
    """Small plates for :func:`xarray_omezarr.write_plate`: well paths ``"A/1"`` and their fields of view.

    Every field of a plate has the same dims and name. A *dense* plate has every well of its rows and
    columns, the same number of fields in each, and fields that differ only in their values (it opens
    with ``xr.open_dataset``); the others miss wells and have fields of other shapes, dtypes and
    coordinates (they open with ``xr.open_datatree``).

    Parameters
    ----------
    layouts
        The fields' dims to draw from, as in :func:`images`.
    max_rows, max_columns
        The plate's size: rows ``A``, ``B``... and columns ``1``, ``2``...
    max_fields
        The largest number of fields in a well.
    max_side
        The largest size of a field along a space axis.
    dense
        Draw only dense plates (``True``), only the others (``False``), or both (``None``).

    Returns
    -------
    SearchStrategy[dict[str, list[xr.DataArray]]]
        ``{"A/1": [field, field], "B/3": [field]}``, in row-major order.

    Examples
    --------
    >>> import zarr
    >>> import xarray_omezarr
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, deadline=None)
    ... @given(plates())
    ... def check(wells):
    ...     assert all(len(path.split("/")) == 2 and fields for path, fields in wells.items())
    ...     xarray_omezarr.write_plate(zarr.storage.MemoryStore(), wells, scale_factors=())
    >>> check()
    """
    layout = draw(st.sampled_from(layouts))
    rows = [chr(ord("A") + i) for i in range(draw(st.integers(1, max_rows)))]
    columns = [str(j + 1) for j in range(draw(st.integers(1, max_columns)))]
    every = [f"{r}/{c}" for r in rows for c in columns]
    is_dense = draw(st.booleans()) if dense is None else dense
    name = draw(st.sampled_from(["cells", "image"]))

    def field() -> xr.DataArray:
        return draw(images(layouts=(layout,), max_side=max_side)).rename(name)

    if is_dense:
        template = field()
        count = draw(st.integers(1, max_fields))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

        def like_template() -> xr.DataArray:
            values: np.ndarray
            if template.dtype.kind == "f":
                values = rng.normal(100, 30, template.shape)
            else:
                top = min(1000, int(np.iinfo(template.dtype).max))  # type: ignore[type-var]
                values = rng.integers(0, top, template.shape, endpoint=True)
            return template.copy(data=values.astype(template.dtype))

        return {path: [like_template() for _ in range(count)] for path in every}
    paths = draw(st.lists(st.sampled_from(every), min_size=1, max_size=len(every), unique=True))
    return {
        path: [field() for _ in range(draw(st.integers(1, max_fields)))]
        for path in sorted(paths, key=every.index)
    }
