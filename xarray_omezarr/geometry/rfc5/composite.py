"""Composite RFC-5 transformations (sequence, bijection, byDimension), fields stored in arrays, and parameters by path.

Examples
--------
>>> from .transformations import Scale, Translation
>>> t = Sequence((Scale((2.0, 4.0)), Translation((1.0, -1.0))))
>>> t.apply(np.array([[1.0, 1.0], [0.5, 0.25]]))
array([[3., 3.],
       [2., 0.]])
>>> t.inverse().apply(t.apply(np.array([[1.0, 1.0]])))
array([[1., 1.]])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ...errors import TransformationError
from .transformations import Affine, Identity, InverseOf, Rotation, Scale, Transformation, Translation

__all__ = [
    "Bijection",
    "ByDimension",
    "Coordinates",
    "DimensionTransformation",
    "Displacements",
    "Sequence",
    "with_parameters",
]


@dataclass(frozen=True)
class Sequence(Transformation):
    """The ``transformations`` applied one after the other."""

    transformations: tuple[Transformation, ...] = ()
    type_name = "sequence"

    def output_ndim(self, input_ndim: int) -> int:
        for t in self.transformations:
            input_ndim = t.output_ndim(input_ndim)
        return input_ndim

    def _apply(self, points: np.ndarray) -> np.ndarray:
        for t in self.transformations:
            points = t._apply(points)
        return points

    @property
    def invertible(self) -> bool:
        return all(t.invertible for t in self.transformations)

    def inverse(self) -> Transformation:
        return Sequence(tuple(t.inverse() for t in reversed(self.transformations)), **self._ends_swapped())


@dataclass(frozen=True)
class Bijection(Transformation):
    """A ``forward`` transformation and its given ``inverse`` (used as they are, never inverted)."""

    forward: Transformation = field(default_factory=Identity)
    inverse_transformation: Transformation = field(default_factory=Identity)
    type_name = "bijection"

    def output_ndim(self, input_ndim: int) -> int:
        ndim = self.forward.output_ndim(input_ndim)
        back = self.inverse_transformation.output_ndim(ndim)
        if back != input_ndim:
            raise TransformationError(
                f"the {self.describe()} has an inverse that gives {back} dimensions instead of {input_ndim}"
            )
        return ndim

    def _apply(self, points: np.ndarray) -> np.ndarray:
        return self.forward._apply(points)

    @property
    def invertible(self) -> bool:
        return True

    def inverse(self) -> Transformation:
        return Bijection(self.inverse_transformation, self.forward, **self._ends_swapped())


@dataclass(frozen=True)
class DimensionTransformation:
    """One part of a ``byDimension``: ``transformation`` from ``input_axes`` to ``output_axes``.

    Axes are indices, or axis names until :meth:`ByDimension.with_axis_names` resolves them.
    """

    transformation: Transformation
    input_axes: tuple[int | str, ...]
    output_axes: tuple[int | str, ...]


def _indices(axes: tuple[int | str, ...], what: str) -> list[int]:
    if not all(isinstance(a, int) for a in axes):
        raise TransformationError(
            f"byDimension {what} axes {list(axes)} are names; they need the coordinate systems' axes "
            "to be resolved (build the transformation graph, which does it)"
        )
    return [int(a) for a in axes]


@dataclass(frozen=True)
class ByDimension(Transformation):
    """Independent transformations on subsets of the axes; together their outputs fill every output axis once.

    Examples
    --------
    >>> part = DimensionTransformation(Scale((10.0,)), (1,), (1,))
    >>> ByDimension((DimensionTransformation(Identity(), (0,), (0,)), part)).apply([[1.0, 2.0]])
    array([[ 1., 20.]])
    """

    transformations: tuple[DimensionTransformation, ...] = ()
    type_name = "byDimension"

    def __post_init__(self) -> None:
        outputs = [a for t in self.transformations for a in t.output_axes]
        if not all(isinstance(a, int) for a in outputs):
            return
        if sorted(outputs) != list(range(len(outputs))):
            raise TransformationError(
                f"byDimension output axes {outputs} must name every output axis exactly once "
                f"(0 to {len(outputs) - 1})"
            )

    def with_axis_names(self, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> ByDimension:
        """Axis names replaced by their indices in the input and output systems' axes."""

        def resolve(axes: tuple[int | str, ...], names: tuple[str, ...], what: str) -> tuple[int | str, ...]:
            try:
                return tuple(names.index(a) if isinstance(a, str) else a for a in axes)
            except ValueError:
                raise TransformationError(
                    f"the {self.describe()} names {what} axes {list(axes)}, but the {what} system's axes "
                    f"are {list(names)}"
                ) from None

        parts = tuple(
            DimensionTransformation(
                t.transformation,
                resolve(t.input_axes, inputs, "input"),
                resolve(t.output_axes, outputs, "output"),
            )
            for t in self.transformations
        )
        return replace(self, transformations=parts)

    def output_ndim(self, input_ndim: int) -> int:
        for part in self.transformations:
            inputs = _indices(part.input_axes, "input")
            if any(not 0 <= i < input_ndim for i in inputs):
                raise TransformationError(
                    f"the {self.describe()} uses input axes {inputs}, but its input has {input_ndim} dimensions"
                )
            if part.transformation.output_ndim(len(inputs)) != len(part.output_axes):
                raise TransformationError(
                    f"in the {self.describe()}, the {part.transformation.describe()} does not map "
                    f"{len(inputs)} axes to {len(part.output_axes)}"
                )
        return sum(len(t.output_axes) for t in self.transformations)

    def _apply(self, points: np.ndarray) -> np.ndarray:
        out = np.empty((points.shape[0], sum(len(t.output_axes) for t in self.transformations)))
        for part in self.transformations:
            inputs, outputs = _indices(part.input_axes, "input"), _indices(part.output_axes, "output")
            out[:, outputs] = part.transformation._apply(points[:, inputs])
        return out

    @property
    def invertible(self) -> bool:
        inputs = [a for t in self.transformations for a in t.input_axes]
        indices = [a for a in inputs if isinstance(a, int)]
        one_each = len(indices) == len(inputs) and sorted(indices) == list(range(len(inputs)))
        return one_each and all(t.transformation.invertible for t in self.transformations)

    def inverse(self) -> Transformation:
        if not self.invertible:
            raise TransformationError(
                f"the {self.describe()} has no inverse: each input axis must be used exactly once, "
                "by an invertible transformation"
            )
        parts = tuple(
            DimensionTransformation(t.transformation.inverse(), t.output_axes, t.input_axes)
            for t in self.transformations
        )
        return ByDimension(parts, **self._ends_swapped())


@dataclass(frozen=True)
class Displacements(Transformation):
    """A displacement field stored in the zarr array at ``path``: parsed, not applied."""

    path: str = ""
    interpolation: str = "linear"
    type_name = "displacements"

    def output_ndim(self, input_ndim: int) -> int:
        return input_ndim

    def _apply(self, points: np.ndarray) -> np.ndarray:
        raise TransformationError(
            f"the {self.describe()} (field {self.path!r}) interpolates a field stored in an array; "
            "xarray-omezarr parses it but does not apply it"
        )


@dataclass(frozen=True)
class Coordinates(Displacements):
    """A coordinate field stored in the zarr array at ``path``: parsed, not applied."""

    type_name = "coordinates"


def with_parameters(t: Transformation, load: Callable[[str], np.ndarray]) -> Transformation:
    """``t`` with parameters stored by ``path`` read through ``load(path)`` (the store layer's reader).

    The result keeps ``path`` (so it serialises as it was written) and carries the values too.

    Examples
    --------
    >>> t = with_parameters(Affine(path="m"), lambda path: np.array([[2.0, 0.0], [0.0, 1.0]]))
    >>> t.apply([[3.0]]), t.path
    (array([[6.]]), 'm')
    """
    if isinstance(t, Scale | Translation) and getattr(t, t.type_name) is None and t.path:
        values = tuple(float(v) for v in np.asarray(load(t.path), dtype=np.float64).ravel())
        values_by_name: dict[str, Any] = {t.type_name: values}
        return replace(t, **values_by_name)
    if isinstance(t, Affine | Rotation) and getattr(t, t.type_name) is None and t.path:
        array = np.asarray(load(t.path), dtype=np.float64)
        if array.ndim != 2:
            raise TransformationError(
                f"the {t.describe()} reads its matrix from {t.path!r}, which has shape {array.shape}, not 2-D"
            )
        matrix: dict[str, Any] = {t.type_name: tuple(tuple(float(v) for v in row) for row in array)}
        return replace(t, **matrix)
    if isinstance(t, Sequence):
        return replace(t, transformations=tuple(with_parameters(s, load) for s in t.transformations))
    if isinstance(t, InverseOf):
        return replace(t, transformation=with_parameters(t.transformation, load))
    if isinstance(t, Bijection):
        return replace(
            t,
            forward=with_parameters(t.forward, load),
            inverse_transformation=with_parameters(t.inverse_transformation, load),
        )
    if isinstance(t, ByDimension):
        parts = tuple(
            replace(p, transformation=with_parameters(p.transformation, load)) for p in t.transformations
        )
        return replace(t, transformations=parts)
    return t
