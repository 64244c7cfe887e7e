"""The planner: what a write will create, decided and checked before the store is touched.

Pure: from a described image (or precomputed levels) and the writer's options, :func:`plan_image`
and :func:`plan_levels` make an :class:`ImagePlan`: the final :class:`~xarray_omezarr.model.Multiscale`
(every level's path, shape, geometry, chunks and shards), each level's lazy data cut into blocks of
whole stored objects, and each array's ``create_array`` options. Every check of the bad-input
contract that needs no store happens here; the engine (:mod:`.engine`) only carries a plan out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..describe import DEFAULT_NAME, Described, is_dataarray
from ..errors import InvalidImageError, InvalidImageTypeError
from ..geometry.axes import Axis, parse_axes, validate_axes
from ..geometry.rfc5 import Transformation
from ..geometry.transforms import LinearAxis, parse_transforms
from ..model import Level, Multiscale
from ..ngff import Format
from ..ngff.multiscale import check_datasets
from ..ngff.omero import check_omero
from ..scale import Methods, get_method
from ..scale.chunking import write_units
from ..scale.levels import ScaleFactors, build_pyramid, level_geometry, pyramid_factors
from ..version import __version__
from .blocks import as_dask, write_ready
from .options import StorageOptions, array_options, options_per_level

__all__ = ["ImagePlan", "level0_chunks", "method_metadata", "plan_image", "plan_levels", "planned_factors"]


@dataclass(frozen=True)
class ImagePlan:
    """One multiscale image to write: the model, and per level its data and array options.

    ``datasets`` holds the caller's own ``coordinateTransformations`` documents where given (the
    seed API), which are written as they are instead of the levels' geometry.
    """

    image: Multiscale
    data: tuple[Any, ...]
    arrays: tuple[dict[str, Any], ...]
    fmt: Format
    datasets: tuple[dict[str, Any], ...] | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(level.path for level in self.image.levels)


def method_metadata(method: Methods) -> dict[str, Any]:
    """The multiscale's ``metadata`` block: which function computed the levels, and how."""
    return {
        "description": f"downsampled with the {method.value!r} method of xarray-omezarr",
        "method": get_method(method).function_name,
        "version": __version__,
        "kwargs": {"method": method.value},
    }


def _level_transforms(
    shapes: Sequence[tuple[int, ...]],
    ndim: int,
    coordinate_transformations: Sequence[Sequence[Mapping[str, Any]]] | None,
    geometry: Sequence[Sequence[LinearAxis]] | None,
) -> tuple[list[tuple[LinearAxis, ...]], tuple[dict[str, Any], ...] | None]:
    """Each level's geometry, and the caller's datasets documents when they gave transforms."""
    if coordinate_transformations is not None:
        if len(coordinate_transformations) != len(shapes):
            raise InvalidImageError(
                f"coordinate_transformations has {len(coordinate_transformations)} entries for "
                f"{len(shapes)} levels"
            )
        datasets = tuple(
            {"path": str(i), "coordinateTransformations": list(t)}
            for i, t in enumerate(coordinate_transformations)
        )
        check_datasets(datasets, ndim)
        parsed = [
            tuple(parse_transforms(d["coordinateTransformations"], ndim, f"dataset {d['path']!r}"))
            for d in datasets
        ]
        return parsed, datasets
    if geometry is not None:
        return [tuple(g) for g in geometry], None
    # without coordinates, the only information is the shape ratio to level 0 (the seed's behaviour)
    first = shapes[0]
    return [tuple(LinearAxis(n0 / n) for n0, n in zip(first, s, strict=True)) for s in shapes], None


def plan_levels(
    levels: Sequence[Any],
    axes: Sequence[Axis],
    fmt: Format,
    *,
    storage_options: StorageOptions = None,
    geometry: Sequence[Sequence[LinearAxis]] | None = None,
    coordinate_transformations: Sequence[Sequence[Mapping[str, Any]]] | None = None,
    name: str | None = None,
    method: str | None = None,
    method_metadata: Mapping[str, Any] | None = None,
    omero: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    coordinate_system: str | None = None,
) -> ImagePlan:
    """Plan the write of precomputed ``levels`` (numpy or dask, largest first) on ``axes``.

    The levels' geometry comes from ``coordinate_transformations`` (written as given), else from
    ``geometry``, else from their shape ratios to level 0.

    Examples
    --------
    >>> from xarray_omezarr.geometry.axes import axes_from_dims
    >>> from xarray_omezarr.ngff import FormatV05
    >>> plan = plan_levels([np.zeros((8, 8), "u1"), np.zeros((4, 4), "u1")], axes_from_dims("yx"), FormatV05())
    >>> plan.image.levels[1].geometry[0], plan.arrays[1]["chunks"]
    (LinearAxis(scale=2.0, translation=0.0), (4, 4))
    """
    _check_levels(levels, axes)
    shapes = [tuple(int(n) for n in level.shape) for level in levels]
    per_level = options_per_level(storage_options, len(levels))
    arrays = [
        array_options(o, shape, level.dtype, tuple(axes), fmt, i)
        for i, (o, shape, level) in enumerate(zip(per_level, shapes, levels, strict=True))
    ]
    return _assembled(
        levels,
        axes,
        fmt,
        arrays,
        geometry=geometry,
        coordinate_transformations=coordinate_transformations,
        name=name,
        method=method,
        method_metadata=method_metadata,
        omero=omero,
        extra=extra,
        coordinate_system=coordinate_system,
    )


def _check_levels(levels: Sequence[Any], axes: Sequence[Axis]) -> None:
    """Valid axes, and levels of a dtype OME-Zarr holds with one dimension per axis."""
    if not levels:
        raise InvalidImageError("the pyramid needs at least one level")
    validate_axes(axes)
    for index, level in enumerate(levels):
        if np.dtype(level.dtype).kind not in "biuf":
            raise InvalidImageTypeError(
                f"level {index} has dtype {level.dtype}; OME-Zarr images hold booleans, integers or real floats"
            )
        if level.ndim != len(axes):
            raise InvalidImageError(
                f"level {index} has {level.ndim} dimensions but there are {len(axes)} axes"
            )


def _assembled(
    levels: Sequence[Any],
    axes: Sequence[Axis],
    fmt: Format,
    arrays: Sequence[dict[str, Any]],
    *,
    geometry: Sequence[Sequence[LinearAxis]] | None,
    coordinate_transformations: Sequence[Sequence[Mapping[str, Any]]] | None,
    name: str | None,
    method: str | None,
    method_metadata: Mapping[str, Any] | None,
    omero: Mapping[str, Any] | None,
    extra: Mapping[str, Any] | None,
    transformation: Transformation | None = None,
    coordinate_system: str | None = None,
) -> ImagePlan:
    """The plan of ``levels`` whose arrays' options are settled: checked, with the model and write blocks.

    ``transformation`` is level 0's RFC-5 transformation when it is not axis-aligned (OME-NGFF 0.6 only);
    ``coordinate_system`` the name of the system the image was read in (0.6), kept when written as 0.6.
    """
    axes = tuple(axes)
    if transformation is not None and not fmt.version.startswith("0.6"):
        raise InvalidImageError(
            f"the image's coordinates come from a non-axis-aligned ({transformation.type_name}) transformation, which "
            f"OME-NGFF {fmt.version} cannot store (it has scale and translation only); write it with "
            'version="0.6", or give it 1-D coordinates'
        )
    oriented = [a.name for a in axes if a.orientation is not None]
    if oriented and not fmt.version.startswith("0.6"):
        raise InvalidImageError(
            f"the coordinates {oriented} have an anatomical orientation (attrs['orientation']), which only "
            f'OME-NGFF 0.6 stores (RFC-4); write with version="0.6", or drop the attribute for {fmt.version}'
        )
    shapes = [tuple(int(n) for n in level.shape) for level in levels]
    geometries, datasets = _level_transforms(shapes, len(axes), coordinate_transformations, geometry)
    if omero is not None:
        check_omero(omero)
    name = DEFAULT_NAME if name is None else name
    image = Multiscale(
        axes=axes,
        levels=tuple(
            Level(str(i), shape, g, option["chunks"], option["shards"], transformation if i == 0 else None)
            for i, (shape, g, option) in enumerate(zip(shapes, geometries, arrays, strict=True))
        ),
        dtype=np.dtype(levels[0].dtype),
        name=name,
        method=method,
        method_metadata=method_metadata,
        omero=dict(omero) if omero is not None else None,
        version=fmt.version,
        extra=dict(extra or {}),
        coordinate_system=fmt.coordinate_system(name, coordinate_system),
    )
    data = tuple(
        write_ready(level, option["shards"] or option["chunks"], axes)
        for level, option in zip(levels, arrays, strict=True)
    )
    return ImagePlan(image, data, tuple(arrays), fmt, datasets)


def level0_chunks(described: Described, storage_options: StorageOptions, fmt: Format) -> tuple[int, ...]:
    """Level 0's chunks as the write will store them (what ``scale_factors="auto"`` fits levels into)."""
    first = storage_options if isinstance(storage_options, Mapping | None) else storage_options[0]
    data = described.data
    options = array_options(dict(first or {}), tuple(data.shape), data.dtype, described.axes, fmt, 0)
    return tuple(options["chunks"])


def planned_factors(
    described: Described,
    scale_factors: ScaleFactors | str,
    method: Methods,
    storage_options: StorageOptions,
    fmt: Format,
) -> list[tuple[int, ...]]:
    """The cumulative factors of every level (level 0 first), checked against the image."""
    chunks = level0_chunks(described, storage_options, fmt)
    data = described.data
    return pyramid_factors(scale_factors, described.axes, data.shape, method, described.geometry, chunks)


def plan_image(
    described: Described,
    fmt: Format,
    *,
    scale_factors: ScaleFactors | str,
    method: Methods | str | None,
    storage_options: StorageOptions = None,
    coordinate_transformations: Sequence[Sequence[Mapping[str, Any]]] | None = None,
    omero: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> ImagePlan:
    """Plan an image and its pyramid: every level lazily computed from the one it derives from.

    Each level is chunked as it will be stored as soon as it is computed, so the next level is
    computed from blocks as large as the ones written.

    Examples
    --------
    >>> from xarray_omezarr.describe import describe_image
    >>> from xarray_omezarr.ngff import FormatV05
    >>> plan = plan_image(describe_image(np.zeros((8, 8), "u1")), FormatV05(), scale_factors=(2,),
    ...                   method="local_mean")
    >>> [level.shape for level in plan.image.levels], plan.image.levels[1].geometry[0]
    ([(8, 8), (4, 4)], LinearAxis(scale=2.0, translation=0.5))
    """
    spec = get_method(method)
    data = described.data
    factors = planned_factors(described, scale_factors, spec.name, storage_options, fmt)
    per_level = options_per_level(storage_options, len(factors))
    arrays, units = [], []
    for index, (options, level_factors) in enumerate(zip(per_level, factors, strict=True)):
        shape = tuple(spec.size(n, f) for n, f in zip(data.shape, level_factors, strict=True))
        stored = array_options(options, shape, data.dtype, described.axes, fmt, index)
        arrays.append(stored)
        units.append(write_units(stored["shards"] or stored["chunks"], shape, data.dtype, described.axes))
    if isinstance(data, np.ndarray):
        # written from views as large as write_ready finds best, while the next level is computed
        # from write units cut out of them (views again), so that its temporaries stay small
        level0 = write_ready(data, arrays[0]["shards"] or arrays[0]["chunks"], described.axes)
    else:
        level0 = as_dask(data, units[0])  # computed once, for the store and the next level alike
    levels = build_pyramid(level0, factors, spec.name, chunks=units)
    levels[0] = level0
    image = described.image
    _check_levels(levels, image.axes)
    return _assembled(
        levels,
        image.axes,
        fmt,
        arrays,
        geometry=[level_geometry(described.geometry, f, spec.name) for f in factors],
        coordinate_transformations=coordinate_transformations,
        name=image.name,
        method=spec.name.value,  # recorded even without extra levels: the spec's strict schema asks for it
        method_metadata=method_metadata(spec.name),
        omero=image.omero if omero is None else omero,
        extra=extra,
        transformation=image.levels[0].transformation,
        coordinate_system=image.coordinate_system,
    )


def described_levels(
    levels: Sequence[Any], axes: Any
) -> tuple[list[Any], list[Axis], list[Any] | None, str | None]:
    """Precomputed levels as plain arrays, with their axes, geometry and name.

    DataArray levels give all of it from their dims and coordinates; plain arrays need ``axes`` (or
    are 2-D or 5-D) and have no geometry of their own.
    """
    from ..describe import describe_image

    if not levels:
        raise InvalidImageError("the pyramid needs at least one level")
    if axes is None and is_dataarray(levels[0]):
        described = [describe_image(level) for level in levels]
        return (
            [d.data for d in described],
            list(described[0].axes),
            [d.geometry for d in described],
            described[0].image.name,
        )
    arrays = [level.data if is_dataarray(level) else level for level in levels]
    # axes are read as given, so that a count that does not match the levels is refused by name
    parsed = parse_axes(axes, len(list(axes))) if axes is not None else parse_axes(None, arrays[0].ndim)
    return arrays, parsed, None, None
