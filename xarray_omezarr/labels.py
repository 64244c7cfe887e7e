"""Label images from xarray: segmentation masks on their image's grid, level for level.

A label image must lie exactly on its image's pixels, at every pyramid level. So its levels are not
chosen by the caller: they follow the image's. Each image level's factors come from its scale, and its
grid from its translation: block-centre levels (``local_mean``, ``resize``...) get ``mode`` labels, which
sit on the same block grid; ``nearest`` levels get ``nearest`` labels. Both never invent label values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import xarray as xr
import zarr

from .axes import Axis
from .image import describe_image
from .label_spec import check_label_dtype, check_label_name, image_label_metadata
from .reader import open_multiscale
from .scale import Methods, check_label_method
from .stores import resolve_target
from .transforms import LinearAxis
from .writer import StorageOptions, check_format, open_existing_group, write_labels

__all__ = ["ImageGrid", "check_labels", "label_plan", "to_zarr_label", "write_label_on"]

_RTOL = 1e-9


@dataclass(frozen=True)
class ImageGrid:
    """What a label image must match: the image's axes, shape and per-level pixel positions."""

    axes: tuple[Axis, ...]
    shape: tuple[int, ...]
    levels: tuple[tuple[LinearAxis, ...], ...]

    @classmethod
    def from_store(cls, group: Any) -> ImageGrid:
        image = open_multiscale(group)
        return cls(image.axes, tuple(image.levels[0].array.shape), tuple(lv.geometry for lv in image.levels))


def _close(a: float, b: float, scale: float) -> bool:
    return math.isclose(a, b, rel_tol=_RTOL, abs_tol=_RTOL * abs(scale))


def _level_factors(grid: ImageGrid, names: Sequence[str]) -> tuple[list[dict[str, int]], set[bool]]:
    """Cumulative factor of each space axis per image level, and which grids the levels use."""
    base = grid.levels[0]
    factors: list[dict[str, int]] = []
    grids: set[bool] = set()  # True: block grid, False: sampling grid
    for number, level in enumerate(grid.levels[1:], start=1):
        entry: dict[str, int] = {}
        for axis, first, this in zip(grid.axes, base, level, strict=True):
            if axis.type != "space" or axis.name not in names:
                continue
            ratio = this.scale / first.scale
            factor = round(ratio)
            if factor < 1 or not _close(ratio, factor, 1.0):
                raise ValueError(
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
                    raise ValueError(
                        f"the image's level {number} along {axis.name!r} is neither on the block grid nor on the "
                        "sampling grid of level 0; labels cannot follow its pyramid"
                    )
        factors.append(entry)
    return factors, grids


def label_plan(
    label: xr.DataArray, grid: ImageGrid, method: Methods | str | None = None
) -> tuple[list[dict[str, int]], Methods]:
    """The scale factors and method that put ``label``'s levels on the image's, or a clear error.

    Parameters
    ----------
    label
        The label DataArray: the image's space axes (and optionally its other axes but channel).
    grid
        The image it belongs to.
    method
        ``"mode"`` or ``"nearest"``; by default the one on the image's grid.

    Examples
    --------
    >>> import numpy as np
    >>> from xarray_omezarr.axes import axes_from_dims
    >>> grid = ImageGrid(tuple(axes_from_dims("yx")), (8, 8), (
    ...     (LinearAxis(), LinearAxis()), (LinearAxis(2.0, 0.5), LinearAxis(2.0, 0.5))))
    >>> label_plan(xr.DataArray(np.zeros((8, 8), "uint8"), dims=("y", "x")), grid)
    ([{'y': 2, 'x': 2}], <Methods.MODE: 'mode'>)
    """
    described = describe_image(label)
    image_axes = {a.name: (i, a) for i, a in enumerate(grid.axes)}
    for axis, size, geometry in zip(described.axes, described.data.shape, described.geometry, strict=True):
        if axis.name not in image_axes:
            raise ValueError(f"the label has axis {axis.name!r}, which the image does not have")
        index, image_axis = image_axes[axis.name]
        if image_axis.type == "channel":
            raise ValueError(f"the label has the image's channel axis {axis.name!r}; labels have no channels")
        if size != grid.shape[index]:
            raise ValueError(
                f"the label does not lie on the image's grid along {axis.name!r}: {size} pixels, the image has "
                f"{grid.shape[index]}"
            )
        if axis.unit is not None and image_axis.unit is not None and axis.unit != image_axis.unit:
            raise ValueError(
                f"the label's axis {axis.name!r} is in {axis.unit}, the image's in {image_axis.unit}; give the label "
                "the image's coordinates"
            )
        expected = grid.levels[0][index]
        if not (
            _close(geometry.scale, expected.scale, expected.scale)
            and _close(geometry.translation, expected.translation, expected.scale)
        ):
            raise ValueError(
                f"the label does not lie on the image's grid along {axis.name!r}: its pixels start at "
                f"{geometry.translation:g} with step {geometry.scale:g}, the image's at {expected.translation:g} "
                f"with step {expected.scale:g}"
            )
    missing = [a.name for a in grid.axes if a.type == "space" and a.name not in described.dims]
    if missing:
        raise ValueError(f"the label lacks the image's space axes {missing}")
    factors, grids = _level_factors(grid, described.dims)
    if len(grids) > 1:
        raise ValueError(
            "the image's levels mix the block grid and the sampling grid; labels cannot follow them"
        )
    on_block_grid = next(iter(grids), True)
    if method is None:
        return factors, Methods.MODE if on_block_grid else Methods.NEAREST
    spec = check_label_method(method)
    if grids and spec.on_block_grid != on_block_grid:
        wanted = "mode" if on_block_grid else "nearest"
        raise ValueError(
            f"labels downsampled with {spec.name.value!r} would not lie on the image's levels, which are on the "
            f"{'block' if on_block_grid else 'sampling'} grid; use method={wanted!r}"
        )
    return factors, spec.name


def check_labels(
    labels: Mapping[str, xr.DataArray],
    grid: ImageGrid,
    label_metadata: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Check label images and their metadata against an image before anything is written.

    Examples
    --------
    >>> import numpy as np
    >>> from xarray_omezarr.axes import axes_from_dims
    >>> grid = ImageGrid(tuple(axes_from_dims("yx")), (4, 4), ((LinearAxis(), LinearAxis()),))
    >>> check_labels({"a/b": xr.DataArray(np.zeros((4, 4), "uint8"), dims=("y", "x"))}, grid)
    Traceback (most recent call last):
    ...
    ValueError: a label name must be a non-empty string without '/'; got 'a/b'
    """
    for name, label in labels.items():
        check_label_name(name)
        check_label_dtype(label, name=name)
        label_plan(label, grid)
        extra = dict((label_metadata or {}).get(name, {}))
        unknown = set(extra) - {"colors", "properties"}
        if unknown:
            raise ValueError(
                f"label_metadata for {name!r} may hold 'colors' and 'properties'; not {sorted(unknown)}"
            )
        image_label_metadata(extra.get("colors"), extra.get("properties"))


def to_zarr_label(
    label: xr.DataArray,
    store: Any,
    name: str,
    *,
    method: Methods | str | None = None,
    colors: list[dict[str, Any]] | None = None,
    properties: list[dict[str, Any]] | None = None,
    mode: str = "w-",
    storage_options: StorageOptions = None,
    compute: bool = True,
    cast: bool = False,
    progress: bool = False,
    filesystem_options: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Add a label image to an existing OME-Zarr image, on its grid at every level.

    The image's data are not touched; other label images stay listed.

    Parameters
    ----------
    label
        Integer DataArray with the image's space coordinates (booleans become uint8; whole-number floats
        with ``cast=True``).
    store
        The image: a path, store or zarr group.
    name
        The label image's name (its group is ``labels/<name>``).
    method
        ``"mode"`` or ``"nearest"``; by default the one on the image's grid.
    colors, properties
        The ``image-label`` colours and properties; by default those in ``label.attrs["image-label"]``
        (as read by the ``omezarr`` engine).
    mode
        ``"w-"`` refuses an existing label of the same name, ``"w"`` replaces it.
    storage_options, compute
        As for :func:`xarray_omezarr.to_zarr`.
    cast
        Convert whole-number float labels to integers.
    progress, filesystem_options
        As for :func:`xarray_omezarr.to_zarr`.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> store = zarr.storage.MemoryStore()
    >>> image = xr.DataArray(np.zeros((8, 8), "uint16"), dims=("y", "x"))
    >>> _ = image.omezarr.to_zarr(store, scale_factors=(2,), method="local_mean")
    >>> to_zarr_label(xr.DataArray(np.ones((8, 8), "uint8"), dims=("y", "x")), store, "cells")
    []
    """
    store, storage_options = resolve_target(store, storage_options, filesystem_options)
    group = open_existing_group(store)
    return write_label_on(
        label,
        group,
        ImageGrid.from_store(group),
        name,
        method=method,
        colors=colors,
        properties=properties,
        mode=mode,
        storage_options=storage_options,
        compute=compute,
        cast=cast,
        progress=progress,
    )


def write_label_on(
    label: xr.DataArray,
    group: zarr.Group,
    grid: ImageGrid,
    name: str,
    *,
    method: Methods | str | None = None,
    colors: list[dict[str, Any]] | None = None,
    properties: list[dict[str, Any]] | None = None,
    **options: Any,
) -> list[Any]:
    """Write ``label`` into the image ``group`` whose levels ``grid`` describes.

    ``options`` (``mode``, ``storage_options``, ``compute``, ``cast``, ``progress``) go to
    :func:`~xarray_omezarr.writer.write_labels`; see :func:`to_zarr_label`.
    """
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
    metadata = {k: v for k, v in previous.items() if k != "version"} if isinstance(previous, Mapping) else {}
    if colors is not None:
        metadata["colors"] = colors
    if properties is not None:
        metadata["properties"] = properties
    return write_labels(
        label,
        group,
        name,
        scale_factors=factors,
        method=chosen,
        fmt=check_format(group),
        label_metadata=metadata,
        **options,
    )
