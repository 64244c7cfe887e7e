"""What an xarray object (or a plain array) says about an OME-Zarr image, without touching a store.

:func:`describe_image` reads dims, coordinates and units off a DataArray and returns an
:class:`ImageDescription`: the data in the spec's axis order (a lazy transpose), the NGFF axes, each
axis's scale and translation, and the channel names. The writer turns that description into arrays
and metadata; this module never does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .axes import Axis, axes_from_dims, spec_order, validate_axes
from .format import ome_attributes
from .transforms import LinearAxis, linear_axis_from_coordinate
from .units import normalize_unit

__all__ = [
    "DEFAULT_NAME",
    "ImageDescription",
    "channel_colors",
    "describe_image",
    "omero_metadata",
    "parse_axes",
]

AxesLike = str | Sequence[str] | Sequence[Mapping[str, str]]

DEFAULT_NAME = "image"
"""The name of an image that has none: written as the multiscale name, read as the variable name."""

_DEFAULT_AXES = {2: "yx", 5: "tczyx"}
_PALETTE = ("00FF00", "FF00FF", "00FFFF", "FF0000", "0000FF", "FFFF00")


@dataclass(frozen=True)
class ImageDescription:
    """An image ready to be written: data in spec order, axes, geometry and channel names."""

    data: Any
    axes: tuple[Axis, ...]
    geometry: tuple[LinearAxis, ...]
    channel_labels: tuple[str, ...] | None = None
    name: str | None = None
    ome: Mapping[str, Any] = field(default_factory=dict)  # OME metadata the object was read with

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.axes)


def parse_axes(axes: AxesLike | None, ndim: int) -> list[Axis]:
    """Axes from the seed's forms: ``"tczyx"``, a list of names, or a list of dicts.

    Examples
    --------
    >>> [a.name for a in parse_axes("czyx", 4)]
    ['c', 'z', 'y', 'x']
    >>> parse_axes(None, 2)[0]
    Axis(name='y', type='space', unit=None)
    """
    if axes is None:
        if ndim not in _DEFAULT_AXES:
            raise ValueError(
                f"axes are needed for a {ndim}-D image, e.g. axes={'tczyx'[-ndim:]!r} or a DataArray with dims"
            )
        axes = _DEFAULT_AXES[ndim]
    entries: list[Any] = list(axes)
    if len(entries) != ndim:
        raise ValueError(f"{len(entries)} axes {entries} for an image of {ndim} dimensions")
    parsed = [Axis.from_json(entry) for entry in entries]
    return [Axis(a.name, a.type, normalize_unit(a.unit, a.type, axis_name=a.name)) for a in parsed]


def _coordinate_unit(coord: Any) -> Any:
    """A coordinate's unit: a pint-quantified coordinate's, or its ``units`` attribute."""
    data = getattr(coord.variable, "_data", None)
    units = getattr(data, "units", None)
    if units is not None and hasattr(data, "magnitude"):
        return units
    return coord.attrs.get("units")


def _ome_axis_scale(ome: Mapping[str, Any], name: str) -> float | None:
    """Level 0's scale of axis ``name`` in OME metadata read earlier, for axes of one pixel."""
    try:
        multiscale = ome["multiscales"][0]
        index = [Axis.from_json(a).name for a in multiscale["axes"]].index(name)
        for transform in multiscale["datasets"][0]["coordinateTransformations"]:
            if transform.get("type") == "scale":
                return float(transform["scale"][index])
    except (KeyError, IndexError, ValueError, TypeError):
        pass
    return None


def describe_image(
    image: Any,
    axes: AxesLike | None = None,
    axis_types: Mapping[str, str | None] | None = None,
) -> ImageDescription:
    """Describe a DataArray, numpy or dask array as an OME-Zarr image.

    A DataArray gives axis names (its dims), types (from the names, or ``axis_types``), units (a
    coordinate's ``units`` attribute or pint units), scale and translation (its regular dimension
    coordinates) and channel names (the channel coordinate). Its dims are put in the spec's order by a
    lazy transpose. A plain array needs ``axes`` unless it is 2-D (``yx``) or 5-D (``tczyx``).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> da = xr.DataArray(np.zeros((3, 4)), dims=("x", "y"), coords={"x": [1.0, 1.5, 2.0]})
    >>> d = describe_image(da)
    >>> d.dims, d.geometry[1]
    (('y', 'x'), LinearAxis(scale=0.5, translation=1.0))
    """
    if not hasattr(image, "dims") or not hasattr(image, "coords"):
        parsed = parse_axes(axes, image.ndim)
        validate_axes(parsed)
        return ImageDescription(image, tuple(parsed), tuple(LinearAxis() for _ in parsed))
    if axes is not None:
        names = [a.name for a in parse_axes(axes, image.ndim)]
        if sorted(names) != sorted(map(str, image.dims)):
            raise ValueError(f"axes {names} do not name the DataArray's dims {tuple(image.dims)}")
        axis_types = {a.name: a.type for a in parse_axes(axes, image.ndim)} | dict(axis_types or {})
    dims = [str(d) for d in image.dims]
    if len(set(dims)) != len(dims):
        raise ValueError(f"dims must be unique; got {tuple(dims)}")
    draft = axes_from_dims(dims, axis_types)
    order = spec_order(draft)
    image = image.transpose(*[image.dims[i] for i in order])
    ome = ome_attributes(dict(image.attrs.get("ome") or {}))
    described: list[Axis] = []
    geometry: list[LinearAxis] = []
    labels: tuple[str, ...] | None = None
    for index in order:
        axis = draft[index]
        coord = image.coords.get(axis.name)
        unit = (
            normalize_unit(_coordinate_unit(coord), axis.type, axis_name=axis.name)
            if coord is not None
            else None
        )
        described.append(Axis(axis.name, axis.type, unit))
        if coord is None:
            geometry.append(LinearAxis())
        elif axis.type == "channel":
            labels = tuple(str(v) for v in np.asarray(coord.values).tolist())
            geometry.append(LinearAxis())
        else:
            values = getattr(coord.variable._data, "magnitude", coord.values)
            fallback = _ome_axis_scale(ome, axis.name) or 1.0
            geometry.append(linear_axis_from_coordinate(values, axis.name, default_scale=fallback))
    validate_axes(described)
    name = str(image.name) if image.name is not None else None
    return ImageDescription(image.data, tuple(described), tuple(geometry), labels, name, ome)


def channel_colors(count: int) -> list[str]:
    """Distinct display colours: white for one channel, a fluorescence palette for more.

    Examples
    --------
    >>> channel_colors(1), channel_colors(2)
    (['FFFFFF'], ['00FF00', 'FF00FF'])
    """
    if count == 1:
        return ["FFFFFF"]
    if count == 3:
        return ["FF0000", "00FF00", "0000FF"]
    return [_PALETTE[i % len(_PALETTE)] for i in range(count)]


def omero_metadata(description: ImageDescription) -> dict[str, Any]:
    """The ``omero`` block: channel labels and colours (windows are filled in from the data on write).

    Channel settings read with the image (``attrs["ome"]["omero"]``) are kept when the channel count still
    matches, so that writing what was read gives the same metadata back.
    """
    channel_axis = next((i for i, a in enumerate(description.axes) if a.type == "channel"), None)
    count = 1 if channel_axis is None else int(description.data.shape[channel_axis])
    labels = description.channel_labels or tuple(f"Channel {i}" for i in range(count))
    previous = description.ome.get("omero") if isinstance(description.ome, Mapping) else None
    if isinstance(previous, Mapping) and len(previous.get("channels", ())) == count:
        channels = [dict(c) | {"label": label} for c, label in zip(previous["channels"], labels, strict=True)]
        return dict(previous) | {"channels": channels}
    channels = [
        {
            "label": label,
            "color": color,
            "active": True,
            "coefficient": 1.0,
            "family": "linear",
            "inverted": False,
        }
        for label, color in zip(labels, channel_colors(count), strict=True)
    ]
    return {"channels": channels, "rdefs": {"model": "color" if count > 1 else "greyscale"}}
