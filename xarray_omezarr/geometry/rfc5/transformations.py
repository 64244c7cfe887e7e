"""RFC-5 coordinate transformations as frozen dataclasses: apply to points, invert, check dimensions.

Every transformation maps an ``(N, ndim)`` array of points (one row per point, columns in the order
of its input coordinate system's axes) to an ``(N, ndim_out)`` array, vectorised over the points.
Scale and translation are exact (one multiplication, division or addition per coordinate); matrices
(affine, rotation) are applied as ``points @ A.T + b``. Parameters stored in a zarr array (``path``)
are read by the store layer and filled in with :func:`with_parameters`; until then, applying them
is an error that says so.

Examples
--------
>>> t = Affine(((0.0, 2.0, 1.0), (1.0, 0.0, 0.0)))
>>> t.apply([[1.0, 2.0]]), t.inverse().apply(t.apply([[1.0, 2.0]]))
(array([[5., 1.]]), array([[1., 2.]]))
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from ...errors import TransformationError

__all__ = [
    "Affine",
    "Identity",
    "InverseOf",
    "MapAxis",
    "ProjectAxis",
    "Rotation",
    "Scale",
    "SystemRef",
    "Transformation",
    "Translation",
    "as_points",
]

Matrix = tuple[tuple[float, ...], ...]

SINGULAR_CONDITION = 1e12
"""A matrix whose condition number exceeds this has no usable inverse."""


@dataclass(frozen=True)
class SystemRef:
    """A reference to a coordinate system: its ``name``, in the group at ``path`` (relative to the root).

    ``name=None`` with a ``path`` is the array at ``path`` in array-index space, as a dataset's
    transformation input (``{"path": "s0"}``) means.

    Examples
    --------
    >>> str(SystemRef("physical")), str(SystemRef("physical", "tile_0")), str(SystemRef(None, "img/0"))
    ("'physical'", "'physical' of 'tile_0'", "array 'img/0'")
    """

    name: str | None
    path: str = ""

    def __str__(self) -> str:
        if self.name is None:
            return f"array {self.path!r}"
        return f"{self.name!r} of {self.path!r}" if self.path else repr(self.name)

    def rebased(self, prefix: str) -> SystemRef:
        """The same reference, seen from a group ``prefix`` levels above the one that wrote it."""
        path = "/".join(p for p in (prefix, self.path) if p)
        return SystemRef(self.name, path)


def as_points(points: Any, ndim: int | None = None) -> np.ndarray:
    """``points`` as a float64 ``(N, ndim)`` array; a clear error for any other shape.

    Examples
    --------
    >>> as_points([[1, 2]]).dtype, as_points([[1, 2]]).shape
    (dtype('float64'), (1, 2))
    """
    array = np.asarray(points, dtype=np.float64)
    if array.ndim != 2:
        raise TransformationError(
            f"points must be an (N, ndim) array, one row per point; got an array of shape {array.shape}"
        )
    if ndim is not None and array.shape[1] != ndim:
        raise TransformationError(f"points have {array.shape[1]} coordinates each, but {ndim} are needed")
    return array


def _vector(values: tuple[float, ...] | None, kind: str, path: str | None) -> np.ndarray:
    if values is None:
        raise TransformationError(
            f"the {kind} parameters are stored in the array {path!r}, which was not read; "
            "use xarray_omezarr.transform_points on the store, which reads it"
        )
    return np.asarray(values, dtype=np.float64)


@dataclass(frozen=True, kw_only=True)
class Transformation:
    """Base of every RFC-5 transformation: its optional ``name`` and ``input``/``output`` systems."""

    name: str | None = None
    input: SystemRef | None = None
    output: SystemRef | None = None

    type_name: ClassVar[str] = ""

    def describe(self) -> str:
        """How error messages name this transformation."""
        label = f" {self.name!r}" if self.name else ""
        ends = f" from {self.input} to {self.output}" if self.input and self.output else ""
        return f"{self.type_name} transformation{label}{ends}"

    def output_ndim(self, input_ndim: int) -> int:
        """The number of output coordinates for ``input_ndim`` input ones; an error if they do not fit."""
        raise NotImplementedError

    def apply(self, points: Any) -> np.ndarray:
        """Map ``points`` (``(N, ndim)``) to the output system: a new ``(N, ndim_out)`` array."""
        array = as_points(points)
        self.output_ndim(array.shape[1])
        return self._apply(array)

    def _apply(self, points: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @property
    def invertible(self) -> bool:
        """Whether :meth:`inverse` gives a transformation (parameters stored by path count as invertible)."""
        return False

    def inverse(self) -> Transformation:
        """The transformation from the output system back to the input one."""
        raise TransformationError(f"the {self.describe()} has no inverse")

    def apply_inverse(self, points: np.ndarray) -> np.ndarray:
        """The inverse mapping of ``(N, ndim_out)`` points (unchecked; :meth:`inverse` is the checked way)."""
        return self.inverse()._apply(points)

    def _ends_swapped(self) -> dict[str, Any]:
        return {"name": self.name, "input": self.output, "output": self.input}

    def _check_ndim(self, input_ndim: int, expected: int) -> int:
        if input_ndim != expected:
            raise TransformationError(
                f"the {self.describe()} is for {expected}-dimensional points, "
                f"but its input has {input_ndim} dimensions"
            )
        return expected


@dataclass(frozen=True, kw_only=True)
class Identity(Transformation):
    """Coordinates unchanged."""

    type_name = "identity"

    def output_ndim(self, input_ndim: int) -> int:
        return input_ndim

    def _apply(self, points: np.ndarray) -> np.ndarray:
        return points.copy()

    @property
    def invertible(self) -> bool:
        return True

    def inverse(self) -> Transformation:
        return Identity(**self._ends_swapped())


@dataclass(frozen=True)
class MapAxis(Transformation):
    """Output coordinate ``j`` is input coordinate ``map_axis[j]`` (a permutation, or a selection).

    Examples
    --------
    >>> MapAxis((2, 0, 1)).apply([[10.0, 20.0, 30.0]])
    array([[30., 10., 20.]])
    """

    map_axis: tuple[int, ...] = ()
    type_name = "mapAxis"

    def __post_init__(self) -> None:
        if len(set(self.map_axis)) != len(self.map_axis) or any(i < 0 for i in self.map_axis):
            raise TransformationError(
                f"mapAxis {list(self.map_axis)} must list distinct, non-negative input axis indices"
            )

    def output_ndim(self, input_ndim: int) -> int:
        if self.map_axis and max(self.map_axis) >= input_ndim:
            raise TransformationError(
                f"the {self.describe()} uses input axis {max(self.map_axis)}, but its input has "
                f"{input_ndim} dimensions"
            )
        return len(self.map_axis)

    def _apply(self, points: np.ndarray) -> np.ndarray:
        return points[:, list(self.map_axis)]

    @property
    def invertible(self) -> bool:
        return sorted(self.map_axis) == list(range(len(self.map_axis)))

    def inverse(self) -> Transformation:
        if not self.invertible:
            raise TransformationError(f"the {self.describe()} drops axes, so it has no inverse")
        order = [0] * len(self.map_axis)
        for j, i in enumerate(self.map_axis):
            order[i] = j
        return MapAxis(tuple(order), **self._ends_swapped())


@dataclass(frozen=True)
class ProjectAxis(Transformation):
    """Drop the input axes ``dropped_inputs``, then insert zeros at the output indices ``created_outputs``."""

    dropped_inputs: tuple[int, ...] = ()
    created_outputs: tuple[int, ...] = ()
    type_name = "projectAxis"

    def output_ndim(self, input_ndim: int) -> int:
        if any(not 0 <= i < input_ndim for i in self.dropped_inputs):
            raise TransformationError(f"the {self.describe()} drops an axis its {input_ndim}-D input lacks")
        ndim = input_ndim - len(self.dropped_inputs) + len(self.created_outputs)
        if any(not 0 <= i < ndim for i in self.created_outputs):
            raise TransformationError(f"the {self.describe()} creates an axis beyond its {ndim}-D output")
        return ndim

    def _apply(self, points: np.ndarray) -> np.ndarray:
        kept = np.delete(points, list(self.dropped_inputs), axis=1)
        out = np.zeros((points.shape[0], self.output_ndim(points.shape[1])))
        created = set(self.created_outputs)
        out[:, [j for j in range(out.shape[1]) if j not in created]] = kept
        return out


@dataclass(frozen=True)
class Translation(Transformation):
    """``x + translation``, exactly."""

    translation: tuple[float, ...] | None = None
    path: str | None = None
    type_name = "translation"

    def output_ndim(self, input_ndim: int) -> int:
        if self.translation is None:
            return input_ndim
        return self._check_ndim(input_ndim, len(self.translation))

    def _apply(self, points: np.ndarray) -> np.ndarray:
        return points + _vector(self.translation, "translation", self.path)

    def apply_inverse(self, points: np.ndarray) -> np.ndarray:
        return points - _vector(self.translation, "translation", self.path)

    @property
    def invertible(self) -> bool:
        return True

    def inverse(self) -> Transformation:
        if self.translation is None:
            return InverseOf(self, **self._ends_swapped())
        return Translation(tuple(-t for t in self.translation), **self._ends_swapped())


@dataclass(frozen=True)
class Scale(Transformation):
    """``x * scale``, exactly; its inverse divides (exactly too, rather than multiplying by ``1 / s``)."""

    scale: tuple[float, ...] | None = None
    path: str | None = None
    type_name = "scale"

    def output_ndim(self, input_ndim: int) -> int:
        if self.scale is None:
            return input_ndim
        return self._check_ndim(input_ndim, len(self.scale))

    def _apply(self, points: np.ndarray) -> np.ndarray:
        return points * _vector(self.scale, "scale", self.path)

    def apply_inverse(self, points: np.ndarray) -> np.ndarray:
        """Divide by the scale: the exact inverse."""
        return points / _vector(self.scale, "scale", self.path)

    @property
    def invertible(self) -> bool:
        return self.scale is None or all(s != 0 for s in self.scale)

    def inverse(self) -> Transformation:
        if not self.invertible:
            raise TransformationError(f"the {self.describe()} has a zero factor, so it has no inverse")
        return InverseOf(self, **self._ends_swapped())


def _matrix(values: Matrix | None, kind: str, path: str | None) -> np.ndarray:
    if values is None:
        _vector(None, kind, path)
    return np.asarray(values, dtype=np.float64)


@dataclass(frozen=True)
class Affine(Transformation):
    """``A @ x + b`` from an ``(n_out, n_in + 1)`` matrix ``[A | b]`` (a trailing ``[0 ... 0 1]`` row is dropped).

    Examples
    --------
    >>> Affine(((0.0, -1.0, 5.0), (1.0, 0.0, 0.0))).apply([[1.0, 2.0]])
    array([[3., 1.]])
    """

    affine: Matrix | None = None
    path: str | None = None
    type_name = "affine"

    def __post_init__(self) -> None:
        if self.affine is None:
            return
        rows = [len(r) for r in self.affine]
        if not rows or len(set(rows)) != 1 or rows[0] < 2:
            raise TransformationError(
                f"an affine matrix must have rows of equal length (n_in + 1), at least 2; got row lengths {rows}"
            )
        last = self.affine[-1]
        if (
            len(self.affine) == rows[0]
            and len(self.affine) > 1
            and all(v == 0 for v in last[:-1])
            and last[-1] == 1
        ):
            object.__setattr__(self, "affine", self.affine[:-1])

    def output_ndim(self, input_ndim: int) -> int:
        if self.affine is None:
            return input_ndim
        self._check_ndim(input_ndim, len(self.affine[0]) - 1)
        return len(self.affine)

    def _apply(self, points: np.ndarray) -> np.ndarray:
        matrix = _matrix(self.affine, "affine", self.path)
        return points @ matrix[:, :-1].T + matrix[:, -1]

    def apply_inverse(self, points: np.ndarray) -> np.ndarray:
        _matrix(self.affine, "affine", self.path)
        return self.inverse()._apply(points)

    @property
    def invertible(self) -> bool:
        if self.affine is None:
            return True
        linear = np.asarray(self.affine, dtype=np.float64)[:, :-1]
        return linear.shape[0] == linear.shape[1] and bool(np.linalg.cond(linear) < SINGULAR_CONDITION)

    def inverse(self) -> Transformation:
        if self.affine is None:
            return InverseOf(self, **self._ends_swapped())
        matrix = np.asarray(self.affine, dtype=np.float64)
        linear, offset = matrix[:, :-1], matrix[:, -1]
        if linear.shape[0] != linear.shape[1]:
            raise TransformationError(
                f"the {self.describe()} maps {linear.shape[1]} dimensions to {linear.shape[0]}, "
                "so it has no inverse"
            )
        if not self.invertible:
            raise TransformationError(f"the {self.describe()} is singular (its matrix has no inverse)")
        inverse = np.linalg.inv(linear)
        rows = np.hstack([inverse, -(inverse @ offset)[:, None]])
        return Affine(tuple(tuple(float(v) for v in r) for r in rows), **self._ends_swapped())


@dataclass(frozen=True)
class Rotation(Transformation):
    """``R @ x`` for a square matrix ``R``; its inverse is ``R``'s inverse (the transpose, if ``R`` is orthonormal)."""

    rotation: Matrix | None = None
    path: str | None = None
    type_name = "rotation"

    def __post_init__(self) -> None:
        if self.rotation is not None and any(len(r) != len(self.rotation) for r in self.rotation):
            raise TransformationError(
                f"a rotation matrix must be square; got {[list(r) for r in self.rotation]}"
            )

    def output_ndim(self, input_ndim: int) -> int:
        if self.rotation is None:
            return input_ndim
        return self._check_ndim(input_ndim, len(self.rotation))

    def _apply(self, points: np.ndarray) -> np.ndarray:
        return points @ _matrix(self.rotation, "rotation", self.path).T

    def apply_inverse(self, points: np.ndarray) -> np.ndarray:
        _matrix(self.rotation, "rotation", self.path)
        return self.inverse()._apply(points)

    @property
    def invertible(self) -> bool:
        if self.rotation is None:
            return True
        return bool(np.linalg.cond(np.asarray(self.rotation, dtype=np.float64)) < SINGULAR_CONDITION)

    def inverse(self) -> Transformation:
        if self.rotation is None:
            return InverseOf(self, **self._ends_swapped())
        if not self.invertible:
            raise TransformationError(f"the {self.describe()} is singular (its matrix has no inverse)")
        inverse = np.linalg.inv(np.asarray(self.rotation, dtype=np.float64))
        return Rotation(tuple(tuple(float(v) for v in r) for r in inverse), **self._ends_swapped())


@dataclass(frozen=True)
class InverseOf(Transformation):
    """The inverse of ``transformation``: the exact inverse of a scale, or a parsed ``inverseOf``."""

    transformation: Transformation = field(default_factory=Identity)
    type_name = "inverseOf"

    def output_ndim(self, input_ndim: int) -> int:
        inverse = self.transformation.inverse()
        if isinstance(inverse, InverseOf):  # a scale or a by-path parameter: square, n -> n
            return self.transformation.output_ndim(input_ndim)
        return inverse.output_ndim(input_ndim)

    def _apply(self, points: np.ndarray) -> np.ndarray:
        return self.transformation.apply_inverse(points)

    @property
    def invertible(self) -> bool:
        return True

    def inverse(self) -> Transformation:
        return replace(self.transformation, **self._ends_swapped())
