"""What an xarray object (or a plain array) says about an OME-Zarr image, without touching a store.

:func:`describe_image` reads dims, coordinates and units off a DataArray and returns a
:class:`Described` image: level 0 as a :class:`~xarray_omezarr.model.Multiscale` (axes, geometry,
name, channel block) and its data in the spec's axis order (a lazy transpose). The planner builds
the rest of the pyramid from it; this module never does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .errors import InvalidImageError
from .geometry.axes import AxesLike, Axis, axes_from_dims, parse_axes, spec_order, validate_axes
from .geometry.rfc5 import Transformation
from .geometry.transforms import LinearAxis, linear_axis_from_coordinate
from .geometry.units import normalize_unit
from .model import Level, Multiscale
from .ngff import level0_geometry, ome_attributes
from .ngff.omero import default_omero

__all__ = ["DEFAULT_NAME", "Described", "describe_image", "is_dataarray"]

DEFAULT_NAME = "image"
"""The name of an image that has none: written as the multiscale name, read as the variable name."""


@dataclass(frozen=True)
class Described:
    """An image ready to be planned: level 0 as a model, and its data in the model's axis order."""

    image: Multiscale
    data: Any

    @property
    def axes(self) -> tuple[Axis, ...]:
        return self.image.axes

    @property
    def dims(self) -> tuple[str, ...]:
        return self.image.dims

    @property
    def geometry(self) -> tuple[LinearAxis, ...]:
        """Level 0's scale and translation per axis."""
        return self.image.levels[0].geometry

    def changed(self, **fields: Any) -> Described:
        """The same data with other model fields (``name``, ``omero``...)."""
        return replace(self, image=replace(self.image, **fields))


def is_dataarray(obj: Any) -> bool:
    """Whether ``obj`` is a DataArray (or quacks like one: dims and coords)."""
    return hasattr(obj, "dims") and hasattr(obj, "coords")


def _coordinate_unit(coord: Any) -> Any:
    """A coordinate's unit: a pint-quantified coordinate's, or its ``units`` attribute."""
    data = getattr(coord.variable, "_data", None)
    units = getattr(data, "units", None)
    if units is not None and hasattr(data, "magnitude"):
        return units
    return coord.attrs.get("units")


def _lazy_transformation(image: Any) -> tuple[Transformation | None, dict[str, Any]]:
    """The RFC-5 transformation behind a DataArray's lazy coordinates (as the backend reads a
    non-axis-aligned 0.6 image), and those coordinates by the dim they stand for; ``None`` without."""
    for index in getattr(image, "xindexes", {}).values():
        transform: Any = getattr(index, "transform", None)
        found = getattr(transform, "transformation", None)
        if not isinstance(found, Transformation):
            continue
        inputs = tuple(getattr(transform, "input_dims", ()))
        if inputs != tuple(str(d) for d in image.dims):
            raise InvalidImageError(
                f"the DataArray's coordinates {list(transform.coord_names)} map its dims in the order "
                f"{list(inputs)}, but it is written in the order {[str(d) for d in image.dims]}; "
                "transpose it back before writing"
            )
        names = tuple(str(n) for n in transform.coord_names)
        return found, {dim: image.coords[name] for dim, name in zip(inputs, names, strict=True)}
    stale = sorted(str(n) for n, c in image.coords.items() if c.ndim > 1 and "transformation" in c.attrs)
    if stale:
        raise InvalidImageError(
            f"the DataArray's coordinates {stale} came from a non-axis-aligned transformation but have lost "
            "it (slicing or computing them drops their lazy index), so its placement cannot be written; "
            "write the whole image as it was read, or drop these coordinates to write it in index space"
        )
    return None, {}


def _read_system(image: Any) -> str | None:
    """The OME-NGFF 0.6 coordinate system a DataArray's coordinates were read in (the backend keeps
    its name in the encoding, which arithmetic drops: a derived array is named afresh)."""
    name = image.encoding.get("coordinate_system")
    return str(name) if name else None


def _level0(
    data: Any,
    axes: list[Axis],
    geometry: list[LinearAxis],
    transformation: Transformation | None = None,
    **fields: Any,
) -> Described:
    validate_axes(axes)
    level = Level("0", tuple(int(n) for n in data.shape), tuple(geometry), transformation=transformation)
    image = Multiscale(tuple(axes), (level,), dtype=np.dtype(data.dtype), **fields)
    return Described(image, data)


def describe_image(
    image: Any,
    axes: AxesLike | None = None,
    axis_types: Mapping[str, str | None] | None = None,
) -> Described:
    """Describe a DataArray, numpy or dask array as an OME-Zarr image.

    A DataArray gives axis names (its dims), types (from the names, or ``axis_types``), units (a
    coordinate's ``units`` attribute or pint units), scale and translation (its regular dimension
    coordinates) and channel names (the channel coordinate), which become the ``omero`` block. Its
    dims are put in the spec's order by a lazy transpose. A plain array needs ``axes`` unless it is
    2-D (``yx``) or 5-D (``tczyx``), and gets no channel block.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> da = xr.DataArray(np.zeros((3, 4)), dims=("x", "y"), coords={"x": [1.0, 1.5, 2.0]})
    >>> d = describe_image(da)
    >>> d.dims, d.geometry[1]
    (('y', 'x'), LinearAxis(scale=0.5, translation=1.0))
    """
    if not is_dataarray(image):
        parsed = parse_axes(axes, image.ndim)
        return _level0(image, parsed, [LinearAxis() for _ in parsed])
    if axes is not None:
        given = parse_axes(axes, image.ndim)
        names = [a.name for a in given]
        if sorted(names) != sorted(map(str, image.dims)):
            raise InvalidImageError(f"axes {names} do not name the DataArray's dims {tuple(image.dims)}")
        axis_types = {a.name: a.type for a in given} | dict(axis_types or {})
    dims = [str(d) for d in image.dims]
    if len(set(dims)) != len(dims):
        raise InvalidImageError(f"dims must be unique; got {tuple(dims)}")
    draft = axes_from_dims(dims, axis_types)
    order = spec_order(draft)
    image = image.transpose(*[image.dims[i] for i in order])
    ome = ome_attributes(dict(image.attrs.get("ome") or {}))
    read_geometry = level0_geometry(ome, dims)
    described: list[Axis] = []
    geometry: list[LinearAxis] = []
    labels: list[str] | None = None
    transformation, lazy = _lazy_transformation(image)
    for index in order:
        axis = draft[index]
        coord = image.coords.get(axis.name)
        if axis.name not in image.coords and axis.name in lazy:
            coord = lazy[axis.name]  # the unit of a lazy coordinate of a non-axis-aligned image
        unit = (
            normalize_unit(_coordinate_unit(coord), axis.type, axis_name=axis.name)
            if coord is not None
            else None
        )
        orientation = coord.attrs.get("orientation") if coord is not None else None
        described.append(Axis(axis.name, axis.type, unit, None if orientation is None else str(orientation)))
        if coord is None or coord.ndim > 1:
            geometry.append(LinearAxis())
        elif axis.type == "channel":
            labels = [str(v) for v in np.asarray(coord.values).tolist()]
            geometry.append(LinearAxis())
        else:
            values = getattr(coord.variable._data, "magnitude", coord.values)
            read = read_geometry.get(axis.name)
            fallback = read.scale if read is not None and read.scale > 0 else 1.0
            geometry.append(linear_axis_from_coordinate(values, axis.name, default_scale=fallback))
    channel = next((i for i, a in enumerate(described) if a.type == "channel"), None)
    count = 1 if channel is None else int(image.shape[channel])
    previous = ome.get("omero") if isinstance(ome.get("omero"), Mapping) else None
    return _level0(
        image.data,
        described,
        geometry,
        transformation,
        name=str(image.name) if image.name is not None else None,
        omero=default_omero(count, labels, previous),
        coordinate_system=_read_system(image),
    )
