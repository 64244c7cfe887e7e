"""Lazy coordinates for transformations that are not axis-aligned (affine, rotation, chains with them).

An image whose array indices map to physical space through a rotation or an affine has
coordinates that vary along several dimensions at once: ``x`` depends on both ``i`` and ``j``.
Materialised, each would be as large as the image. Here they are computed only for the elements
asked for, through xarray's :class:`~xarray.indexes.CoordinateTransform` and
:class:`~xarray.indexes.CoordinateTransformIndex`: a coordinate's value at index ``(i, j)`` is
``transform.apply([[i, j]])``, the pixel centre, the same numbers :func:`xarray_omezarr.transform_points`
gives.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import xarray as xr
from xarray.indexes import CoordinateTransform, CoordinateTransformIndex

from ..errors import TransformationError
from ..geometry.axes import Axis
from ..geometry.rfc5 import Scale, Transformation, Translation, transformation_json
from ..geometry.rfc5 import Sequence as RFC5Sequence
from ..model import Level

__all__ = [
    "PHYSICAL_SUFFIX",
    "RFC5CoordinateTransform",
    "coordinates_for",
    "level_transformation",
    "physical_coordinates",
]

PHYSICAL_SUFFIX = "_physical"
"""What names a lazy coordinate after its axis: axis ``x`` gives coordinate ``x_physical``."""


class RFC5CoordinateTransform(CoordinateTransform):
    """An RFC-5 transformation from array indices (``dims``) to named output coordinates."""

    def __init__(
        self,
        transformation: Transformation,
        dims: Sequence[str],
        shape: Sequence[int],
        output_axes: Sequence[str],
    ) -> None:
        super().__init__(tuple(output_axes), dict(zip(dims, (int(n) for n in shape))), np.dtype(np.float64))
        self.transformation = transformation
        self.input_dims = tuple(dims)

    def forward(self, dim_positions: dict[str, Any]) -> dict[Hashable, Any]:
        arrays = np.broadcast_arrays(
            *(np.asarray(dim_positions[d], dtype=np.float64) for d in self.input_dims)
        )
        shape = arrays[0].shape
        points = np.stack([a.ravel() for a in arrays], axis=-1)
        mapped = self.transformation.apply(points)
        return {name: mapped[:, j].reshape(shape) for j, name in enumerate(self.coord_names)}

    def reverse(self, coord_labels: dict[Hashable, Any]) -> dict[str, Any]:
        arrays = np.broadcast_arrays(
            *(np.asarray(coord_labels[n], dtype=np.float64) for n in self.coord_names)
        )
        shape = arrays[0].shape
        points = np.stack([a.ravel() for a in arrays], axis=-1)
        indices = self.transformation.inverse().apply(points)
        return {dim: indices[:, j].reshape(shape) for j, dim in enumerate(self.input_dims)}

    def equals(self, other: CoordinateTransform, exclude: frozenset[Hashable] | None = None) -> bool:
        return (
            isinstance(other, RFC5CoordinateTransform)
            and self.transformation == other.transformation
            and self.input_dims == other.input_dims
            and self.dim_size == other.dim_size
            and self.coord_names == other.coord_names
        )

    def __repr__(self) -> str:
        return f"RFC5CoordinateTransform({self.transformation.describe()}, dims={self.input_dims})"


def coordinates_for(
    transform: Transformation, dims: Sequence[str], shape: Sequence[int], output_axes: Sequence[str]
) -> xr.Coordinates:
    """Lazy coordinates ``output_axes`` over an array of ``shape`` with ``dims``, mapped by ``transform``.

    Nothing image-sized is computed until a coordinate's values are asked for; indexing a coordinate
    computes the selected elements only.

    Parameters
    ----------
    transform
        From array indices (in the order of ``dims``) to the output system's axes.
    dims, shape
        The array's dimensions and sizes.
    output_axes
        The names of the output coordinates, one per output axis; none may be one of ``dims`` (a
        coordinate named like a dimension must be 1-D).

    Examples
    --------
    >>> from xarray_omezarr.geometry.rfc5 import Affine
    >>> rotate = Affine(((0.0, -1.0, 5.0), (1.0, 0.0, 0.0)))
    >>> coords = coordinates_for(rotate, ("i", "j"), (100_000, 100_000), ("y", "x"))
    >>> coords["y"].shape, float(coords["y"][2, 3]), float(coords["x"][2, 3])
    ((100000, 100000), 2.0, 2.0)
    """
    dims, shape, output_axes = tuple(dims), tuple(shape), tuple(output_axes)
    if len(dims) != len(shape):
        raise TransformationError(f"dims {list(dims)} and shape {list(shape)} differ in length")
    clash = set(dims) & set(output_axes)
    if clash:
        raise TransformationError(
            f"output coordinates {sorted(clash)} are named like dimensions; coordinates that vary along "
            "several dimensions need names of their own (for example dims ('i', 'j') for axes ('y', 'x'))"
        )
    ndim = transform.output_ndim(len(dims))
    if ndim != len(output_axes):
        raise TransformationError(
            f"the {transform.describe()} gives {ndim} coordinates, but {len(output_axes)} output axes "
            f"are named: {list(output_axes)}"
        )
    index = CoordinateTransformIndex(RFC5CoordinateTransform(transform, dims, shape, output_axes))
    return xr.Coordinates.from_xindex(index)


def physical_coordinates(
    transform: Transformation, axes: Sequence[Axis], shape: Sequence[int]
) -> xr.Coordinates:
    """The lazy coordinates of a level that is not axis-aligned, as the backend names them.

    The array's dims keep the axis names (``y``, ``x``: index dims, no coordinate of their own); the
    coordinates of the output system are named ``<axis>_physical`` (``y_physical``, ``x_physical``),
    each 2-D or more, with the axis' unit and the transformation's 0.6 JSON in their attributes.
    """
    dims = tuple(a.name for a in axes)
    names = tuple(f"{a.name}{PHYSICAL_SUFFIX}" for a in axes)
    coords = coordinates_for(transform, dims, shape, names)
    text = json.dumps(transformation_json(transform))
    for axis, name in zip(axes, names, strict=True):
        coords[name].attrs.update({**axis.coordinate_attrs(), "transformation": text})
    return coords


def level_transformation(level: Level) -> Transformation:
    """A non-axis-aligned level's whole transformation: its geometry (scale, then translation, where
    not the identity), then its :attr:`~xarray_omezarr.model.Level.transformation`."""
    assert level.transformation is not None
    scale = tuple(float(a.scale) for a in level.geometry)
    translation = tuple(float(a.translation) for a in level.geometry)
    steps: list[Transformation] = []
    if any(s != 1 for s in scale):
        steps.append(Scale(scale))
    if any(t != 0 for t in translation):
        steps.append(Translation(translation))
    return RFC5Sequence((*steps, level.transformation)) if steps else level.transformation
