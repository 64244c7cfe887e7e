"""Planning label images: integer data on their image's grid, level for level.

A label image must lie exactly on its image's pixels, at every pyramid level. So its levels are not
chosen by the caller: they follow the image's. Each image level's factors come from its scale, and its
grid from its translation: block-centre levels (``local_mean``, ``resize``...) get ``mode`` labels, which
sit on the same block grid; ``nearest`` levels get ``nearest`` labels. Both never invent label values.
Pure: the image is a :class:`~xarray_omezarr.model.Multiscale`, planned or read from a store.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from ..describe import describe_image
from ..errors import InvalidImageError, InvalidImageTypeError
from ..model import Multiscale
from ..ngff import Format
from ..ngff.labels import check_label_name, image_label_metadata
from ..scale import Methods, check_label_method, get_method
from .options import StorageOptions
from .plan import ImagePlan, plan_image

__all__ = ["LabelPlan", "check_label_dtype", "label_plan", "plan_label", "plan_labels"]


def check_label_dtype(data: Any, *, cast: bool = False, name: str = "labels") -> Any:
    """The label data as an integer array: booleans become uint8, integral floats only with ``cast``.

    Floats are checked lazily-safe: with ``cast=True`` the values are verified to be whole numbers (which
    computes a dask array once) before the cast.

    Examples
    --------
    >>> check_label_dtype(np.array([True, False])).dtype
    dtype('uint8')
    >>> check_label_dtype(np.array([1.0, 2.0]))
    Traceback (most recent call last):
    ...
    xarray_omezarr.errors.InvalidImageTypeError: label image 'labels' has dtype float64; labels must be integers. Pass cast=True to convert \
whole-number floats, or convert with .astype('uint32')
    """
    dtype = np.dtype(data.dtype)
    if dtype.kind == "b":
        return data.astype(np.uint8)
    if dtype.kind in "iu":
        return data
    if dtype.kind == "f" and cast:
        values = data.data if hasattr(data, "dims") else data
        whole = bool(np.all(np.isfinite(values) & (np.round(values) == values)))
        if not whole:
            raise InvalidImageError(
                f"label image {name!r} has values that are not whole numbers; it cannot be cast"
            )
        low, high = float(np.min(values)), float(np.max(values))
        target: np.dtype[Any] = np.dtype("int32") if low < 0 else np.dtype("uint32")
        if high > np.iinfo(target).max or low < np.iinfo(target).min:
            target = np.dtype("int64")
        return data.astype(target)
    hint = " Pass cast=True to convert whole-number floats, or" if dtype.kind == "f" else ""
    raise InvalidImageTypeError(
        f"label image {name!r} has dtype {dtype}; labels must be integers.{hint} convert with .astype('uint32')"
    )


_RTOL = 1e-9


def _close(a: float, b: float, scale: float) -> bool:
    return math.isclose(a, b, rel_tol=_RTOL, abs_tol=_RTOL * abs(scale))


def _level_factors(grid: Multiscale, names: Sequence[str]) -> tuple[list[dict[str, int]], set[bool]]:
    """Cumulative factor of each space axis per image level, and which grids the levels use."""
    base = grid.levels[0].geometry
    factors: list[dict[str, int]] = []
    grids: set[bool] = set()  # True: block grid, False: sampling grid
    for number, level in enumerate((lv.geometry for lv in grid.levels[1:]), start=1):
        entry: dict[str, int] = {}
        for axis, first, this in zip(grid.axes, base, level, strict=True):
            if axis.type != "space" or axis.name not in names:
                continue
            ratio = this.scale / first.scale
            factor = round(ratio)
            if factor < 1 or not _close(ratio, factor, 1.0):
                raise InvalidImageError(
                    f"the image's level {number} is not an integer downsampling of level 0 along {axis.name!r} "
                    f"(scale ratio {ratio:g}); labels cannot follow its pyramid"
                )
            entry[axis.name] = factor
            if factor > 1:
                if _close(this.translation, first.translation + (factor - 1) / 2 * first.scale, first.scale):
                    grids.add(True)
                elif _close(this.translation, first.translation, first.scale):
                    grids.add(False)
                else:
                    raise InvalidImageError(
                        f"the image's level {number} along {axis.name!r} is neither on the block grid nor on the "
                        "sampling grid of level 0; labels cannot follow its pyramid"
                    )
        factors.append(entry)
    return factors, grids


def _method_grid(name: str | None) -> bool:
    """Whether the image's recorded method puts levels on the block grid (unknown methods: assume so)."""
    try:
        return get_method(name).on_block_grid if name is not None else True
    except ValueError:
        return True


def label_plan(
    label: xr.DataArray, grid: Multiscale, method: Methods | str | None = None
) -> tuple[list[dict[str, int]], Methods]:
    """The scale factors and method that put ``label``'s levels on the image's, or a clear error.

    Parameters
    ----------
    label
        The label DataArray: the image's space axes (and optionally its other axes but channel).
    grid
        The image it belongs to, as planned or as read.
    method
        ``"mode"`` or ``"nearest"``; by default the one on the image's grid.

    Examples
    --------
    >>> import numpy as np
    >>> from xarray_omezarr.geometry.axes import axes_from_dims
    >>> from xarray_omezarr.model import Level, LinearAxis
    >>> grid = Multiscale(tuple(axes_from_dims("yx")), (
    ...     Level("0", (8, 8), (LinearAxis(), LinearAxis())),
    ...     Level("1", (4, 4), (LinearAxis(2.0, 0.5), LinearAxis(2.0, 0.5)))))
    >>> label_plan(xr.DataArray(np.zeros((8, 8), "uint8"), dims=("y", "x")), grid)
    ([{'y': 2, 'x': 2}], <Methods.MODE: 'mode'>)
    """
    described = describe_image(label)
    image_axes = {a.name: (i, a) for i, a in enumerate(grid.axes)}
    for axis, size, geometry in zip(described.axes, described.data.shape, described.geometry, strict=True):
        if axis.name not in image_axes:
            raise InvalidImageError(f"the label has axis {axis.name!r}, which the image does not have")
        index, image_axis = image_axes[axis.name]
        if image_axis.type == "channel":
            raise InvalidImageError(
                f"the label has the image's channel axis {axis.name!r}; labels have no channels"
            )
        if size != grid.levels[0].shape[index]:
            raise InvalidImageError(
                f"the label does not lie on the image's grid along {axis.name!r}: {size} pixels, the image has "
                f"{grid.levels[0].shape[index]}"
            )
        if axis.unit is not None and image_axis.unit is not None and axis.unit != image_axis.unit:
            raise InvalidImageError(
                f"the label's axis {axis.name!r} is in {axis.unit}, the image's in {image_axis.unit}; give the label "
                "the image's coordinates"
            )
        expected = grid.levels[0].geometry[index]
        if not (
            _close(geometry.scale, expected.scale, expected.scale)
            and _close(geometry.translation, expected.translation, expected.scale)
        ):
            raise InvalidImageError(
                f"the label does not lie on the image's grid along {axis.name!r}: its pixels start at "
                f"{geometry.translation:g} with step {geometry.scale:g}, the image's at {expected.translation:g} "
                f"with step {expected.scale:g}"
            )
    missing = [a.name for a in grid.axes if a.type == "space" and a.name not in described.dims]
    if missing:
        raise InvalidImageError(f"the label lacks the image's space axes {missing}")
    factors, grids = _level_factors(grid, described.dims)
    if len(grids) > 1:
        raise InvalidImageError(
            "the image's levels mix the block grid and the sampling grid; labels cannot follow them"
        )
    # levels that downsample nothing cannot show their grid: then the image's method says it
    on_block_grid = next(iter(grids), _method_grid(grid.method))
    if method is None:
        return factors, Methods.MODE if on_block_grid else Methods.NEAREST
    spec = check_label_method(method)
    if grids and spec.on_block_grid != on_block_grid:
        wanted = "mode" if on_block_grid else "nearest"
        raise InvalidImageError(
            f"labels downsampled with {spec.name.value!r} would not lie on the image's levels, which are on the "
            f"{'block' if on_block_grid else 'sampling'} grid; use method={wanted!r}"
        )
    return factors, spec.name


@dataclass(frozen=True)
class LabelPlan:
    """One label image to write into ``labels/<name>``: its pyramid's plan and its ``image-label`` block."""

    name: str
    plan: ImagePlan
    image_label: dict[str, Any]


def plan_label(
    label: xr.DataArray,
    grid: Multiscale,
    name: str,
    fmt: Format,
    *,
    storage_options: StorageOptions = None,
    method: Methods | str | None = None,
    colors: list[dict[str, Any]] | None = None,
    properties: list[dict[str, Any]] | None = None,
    cast: bool = False,
) -> LabelPlan:
    """Plan ``label`` on the image ``grid`` (planned or read): its levels on the image's, level for level.

    The ``image-label`` block is ``label.attrs["image-label"]`` (as the ``omezarr`` engine reads it),
    with ``colors`` and ``properties`` replacing its own where given.

    Examples
    --------
    >>> from xarray_omezarr.geometry.axes import axes_from_dims
    >>> from xarray_omezarr.model import Level, LinearAxis
    >>> from xarray_omezarr.ngff import FormatV05
    >>> grid = Multiscale(tuple(axes_from_dims("yx")), (
    ...     Level("0", (8, 8), (LinearAxis(), LinearAxis())),
    ...     Level("1", (4, 4), (LinearAxis(2.0, 0.5), LinearAxis(2.0, 0.5)))))
    >>> label = xr.DataArray(np.ones((8, 8), "uint8"), dims=("y", "x"))
    >>> planned = plan_label(label, grid, "cells", FormatV05())
    >>> planned.plan.image.method, planned.plan.image.levels[1].geometry == grid.levels[1].geometry
    ('mode', True)
    """
    check_label_name(name)
    label = check_label_dtype(label, cast=cast, name=name)
    factors, chosen = label_plan(label, grid, method)
    # the label lies on the image's pixels, so its axes carry the image's units
    units = {a.name: a.unit for a in grid.axes if a.unit}
    label = label.assign_coords(
        {
            d: label[d].assign_attrs(units=units[str(d)])
            for d in label.dims
            if str(d) in units and d in label.coords
        }
    )
    previous = label.attrs.get("image-label")
    block = {k: v for k, v in previous.items() if k != "version"} if isinstance(previous, Mapping) else {}
    if colors is not None:
        block["colors"] = colors
    if properties is not None:
        block["properties"] = properties
    image_label = image_label_metadata(block.pop("colors", None), block.pop("properties", None), **block)
    described = describe_image(label).changed(name=name, omero=None)
    options = _on_label_axes(storage_options, grid.dims, described.dims)
    plan = plan_image(described, fmt, scale_factors=factors, method=chosen, storage_options=options)
    return LabelPlan(name, plan, image_label)


def _on_label_axes(
    storage_options: StorageOptions, image_dims: Sequence[str], label_dims: Sequence[str]
) -> StorageOptions:
    """The image's storage options for its label: chunk and shard shapes given per image axis keep the
    entries of the label's axes (a label has no channel axis, and may lack others)."""
    if storage_options is None:
        return None
    if not isinstance(storage_options, Mapping):
        return [_picked(o, image_dims, label_dims) for o in storage_options]
    return _picked(storage_options, image_dims, label_dims)


def _picked(
    options: Mapping[str, Any], image_dims: Sequence[str], label_dims: Sequence[str]
) -> dict[str, Any]:
    picked = dict(options)
    for key in ("chunks", "shards"):
        value = picked.get(key)
        if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == len(image_dims):
            by_name = dict(zip(image_dims, value, strict=True))
            picked[key] = tuple(by_name[d] for d in label_dims if d in by_name)
    return picked


def plan_labels(
    labels: Mapping[str, xr.DataArray],
    grid: Multiscale,
    fmt: Format,
    *,
    label_metadata: Mapping[str, Mapping[str, Any]] | None = None,
    storage_options: StorageOptions = None,
) -> list[LabelPlan]:
    """Plan label images and their metadata against an image before anything is written.

    Examples
    --------
    >>> from xarray_omezarr.geometry.axes import axes_from_dims
    >>> from xarray_omezarr.model import Level, LinearAxis
    >>> from xarray_omezarr.ngff import FormatV05
    >>> grid = Multiscale(tuple(axes_from_dims("yx")), (Level("0", (4, 4), (LinearAxis(), LinearAxis())),))
    >>> plan_labels({"a/b": xr.DataArray(np.zeros((4, 4), "uint8"), dims=("y", "x"))}, grid, FormatV05())
    Traceback (most recent call last):
    ...
    xarray_omezarr.errors.InvalidImageError: a label name must be a non-empty string without '/'; got 'a/b'
    """
    label_metadata = dict(label_metadata or {})
    stray = set(label_metadata) - set(labels)
    plans = []
    for name, label in labels.items():
        check_label_name(name)
        check_label_dtype(label, name=name)
        extra = dict(label_metadata.get(name, {}))
        unknown = set(extra) - {"colors", "properties"}
        if unknown:
            raise InvalidImageError(
                f"label_metadata for {name!r} may hold 'colors' and 'properties'; not {sorted(unknown)}"
            )
        plans.append(plan_label(label, grid, name, fmt, storage_options=storage_options, **extra))
    if stray:
        raise InvalidImageError(f"label_metadata names {sorted(stray)}, which are not in labels")
    return plans
