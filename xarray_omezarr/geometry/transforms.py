"""Scale and translation from regular coordinates, and coordinates back from them.

Index ``i`` on an axis sits at ``translation + scale * i``: the pixel centre. Writing derives
``scale`` and ``translation`` from a dimension coordinate; reading rebuilds the coordinate with that
same formula. To make write -> read -> write reproduce the metadata byte for byte, the scale written is
the *shortest* decimal that rebuilds the coordinate exactly, so ``0.1`` stays ``0.1`` and never becomes
``0.10000000000000009`` through the rounding of ``(last - first) / (n - 1)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidImageError

__all__ = [
    "LinearAxis",
    "coordinate_values",
    "linear_axis_from_coordinate",
    "parse_transforms",
    "tidy",
    "transforms_to_json",
]

REGULARITY_RTOL = 1e-6
"""How far (relative to the step) a coordinate may stray from a regular grid."""


@dataclass(frozen=True)
class LinearAxis:
    """An axis whose index ``i`` lies at ``translation + scale * i``.

    Examples
    --------
    >>> LinearAxis(0.5, 10.0).values(3)
    array([10. , 10.5, 11. ])
    """

    scale: float = 1.0
    translation: float = 0.0

    def values(self, size: int) -> np.ndarray:
        """The coordinate of each of ``size`` pixels."""
        return coordinate_values(size, self.scale, self.translation)

    def then(self, outer: LinearAxis) -> LinearAxis:
        """This transform followed by ``outer`` (the multiscale-level one after a dataset's)."""
        return LinearAxis(outer.scale * self.scale, outer.scale * self.translation + outer.translation)


def coordinate_values(size: int, scale: float, translation: float) -> np.ndarray:
    """Pixel-centre coordinates, computed the one way that reading and writing share.

    Examples
    --------
    >>> coordinate_values(4, 0.1, 1.0)
    array([1. , 1.1, 1.2, 1.3])
    """
    return translation + scale * np.arange(size, dtype=np.float64)


def tidy(value: float, ulps: int = 4) -> float:
    """The shortest decimal within a few ulps of ``value``: removes arithmetic noise such as ``...0002``.

    Examples
    --------
    >>> tidy(20.243750000000002)
    20.24375
    """
    tolerance = ulps * float(np.spacing(abs(value)))
    for candidate in _shortest_decimals(value, np.dtype(np.float64)):
        if abs(candidate - value) <= tolerance:
            return candidate
    return float(value)


def _shortest_decimals(value: float, dtype: np.dtype) -> list[float]:
    """Candidate floats near ``value``, shortest decimal representation first."""
    digits = 9 if dtype == np.float32 else 17
    seen: list[float] = []
    for precision in range(1, digits + 1):
        candidate = float(f"{value:.{precision}g}")
        if candidate not in seen:
            seen.append(candidate)
    return seen


def _exact_scalar(value: float, dtype: np.dtype) -> float:
    """The shortest float64 that the coordinate's own dtype reads as ``value``."""
    if dtype == np.float32:
        return float(str(np.float32(value)))
    return float(value)


def linear_axis_from_coordinate(
    values: Any, dim: str, *, rtol: float = REGULARITY_RTOL, default_scale: float = 1.0
) -> LinearAxis:
    """Scale and translation of a regular coordinate, or a clear error for an irregular one.

    Parameters
    ----------
    values
        The coordinate values (1-D, numeric).
    dim
        The dimension name, for error messages.
    rtol
        Allowed deviation from the regular grid, relative to the step. Float32 coordinates are
        also allowed their own rounding error.
    default_scale
        The scale of a coordinate with a single value, whose step cannot be seen.

    Examples
    --------
    >>> linear_axis_from_coordinate([5.0, 5.1, 5.2, 5.3], "x")
    LinearAxis(scale=0.1, translation=5.0)
    >>> linear_axis_from_coordinate([0, 1, 3], "x")
    Traceback (most recent call last):
    ...
    xarray_omezarr.errors.InvalidImageError: coordinate 'x' is not regular: ...
    """
    array = np.asarray(values)
    if array.ndim != 1:
        raise InvalidImageError(f"coordinate {dim!r} must be one-dimensional; got shape {array.shape}")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool) or np.issubdtype(
        array.dtype, np.complexfloating
    ):
        raise InvalidImageError(
            f"coordinate {dim!r} has dtype {array.dtype}; a space, time or custom axis needs real numbers "
            "(convert dates and times to numbers with a 'units' attribute)"
        )
    dtype = array.dtype if array.dtype == np.float32 else np.dtype(np.float64)
    values64 = array.astype(np.float64)
    if not np.all(np.isfinite(values64)):
        raise InvalidImageError(f"coordinate {dim!r} holds NaN or infinite values")
    translation = _exact_scalar(values64[0], dtype)
    if array.size == 1:
        return LinearAxis(float(default_scale), translation)
    span_step = (values64[-1] - values64[0]) / (array.size - 1)
    if span_step == 0:
        raise InvalidImageError(f"coordinate {dim!r} does not increase: every value is {values64[0]}")
    if span_step < 0:
        raise InvalidImageError(
            f"coordinate {dim!r} decreases, but OME-Zarr scales are positive; reverse the axis first, e.g. "
            f"da.isel({dim}=slice(None, None, -1))"
        )
    exact = _shortest_exact_step(array, translation, dtype, span_step, values64[1] - values64[0])
    if exact is not None:
        return LinearAxis(exact, translation)
    step = _exact_scalar(span_step, dtype)
    deviation = np.max(np.abs(values64 - coordinate_values(array.size, step, translation)))
    allowed = rtol * abs(step)
    if dtype == np.float32:
        allowed = max(allowed, 4 * float(np.finfo(np.float32).eps) * float(np.max(np.abs(values64))))
    if deviation > allowed:
        raise InvalidImageError(
            f"coordinate {dim!r} is not regular: its values stray up to {deviation:.3g} from a grid of step "
            f"{step:.6g} (more than {rtol:g} of the step). OME-Zarr stores a scale and a translation per "
            "axis, so interpolate the data onto a regular grid (e.g. with DataArray.interp) first"
        )
    # Nearly regular: snap to a grid whose step a later write of the snapped coordinates finds again.
    return LinearAxis(_fixed_point_step(array.size, translation, dtype, step), translation)


def _fixed_point_step(size: int, translation: float, dtype: np.dtype, step: float) -> float:
    """A step near ``step`` that the exact search finds again in the coordinates it rebuilds.

    Reading rebuilds ``translation + step * i``; a second write estimates the step from those values
    (their span, their first difference), which can differ from ``step`` by an ulp. What the exact
    search returns for a grid rebuilds that very grid, so it is a fixed point: write -> read -> write
    gives the same scale. When the estimates of a grid miss it, the grid of the estimate is tried.
    """
    candidate = step
    for _ in range(8):
        grid = coordinate_values(size, candidate, translation).astype(dtype)
        values = grid.astype(np.float64)
        span, first = (values[-1] - values[0]) / (size - 1), values[1] - values[0]
        found = _shortest_exact_step(grid, translation, dtype, span, first)
        if found is not None:
            return found
        candidate = _exact_scalar(span, dtype)
    return candidate


def _shortest_exact_step(
    values: np.ndarray, translation: float, dtype: np.dtype, *estimates: float
) -> float | None:
    """The shortest decimal step that rebuilds ``values`` exactly from ``translation``, if any."""
    target = values.astype(dtype)
    for estimate in estimates:
        for step in [*_shortest_decimals(estimate, dtype), float(estimate)]:
            if np.array_equal(coordinate_values(values.size, step, translation).astype(dtype), target):
                return step
    return None


def transforms_to_json(axes: Sequence[LinearAxis]) -> list[dict[str, Any]]:
    """The ``coordinateTransformations`` of one dataset: a scale, and a translation unless it is zero.

    Examples
    --------
    >>> transforms_to_json([LinearAxis(2.0, 0.5), LinearAxis(2.0, 0.5)])
    [{'type': 'scale', 'scale': [2.0, 2.0]}, {'type': 'translation', 'translation': [0.5, 0.5]}]
    """
    out: list[dict[str, Any]] = [{"type": "scale", "scale": [float(a.scale) for a in axes]}]
    if any(a.translation != 0 for a in axes):
        out.append({"type": "translation", "translation": [float(a.translation) for a in axes]})
    return out


def parse_transforms(transforms: Any, ndim: int, where: str) -> list[LinearAxis]:
    """Read a ``coordinateTransformations`` list into one :class:`LinearAxis` per axis.

    Refuses what the spec does not allow for images (transforms stored in a binary ``path``, unknown
    types, vectors of the wrong length) with a message that says where the problem is.

    Examples
    --------
    >>> parse_transforms([{"type": "scale", "scale": [1, 2]}], 2, "dataset '0'")
    [LinearAxis(scale=1.0, translation=0.0), LinearAxis(scale=2.0, translation=0.0)]
    """
    if transforms is None:
        return [LinearAxis() for _ in range(ndim)]
    if not isinstance(transforms, list):
        raise InvalidImageError(f"coordinateTransformations of {where} must be a list; got {transforms!r}")
    scale = np.ones(ndim)
    translation = np.zeros(ndim)
    for transform in transforms:
        kind = transform.get("type") if isinstance(transform, Mapping) else None
        if kind == "identity":
            continue
        if kind not in ("scale", "translation"):
            raise InvalidImageError(f"{where} has a coordinate transformation of unsupported type {kind!r}")
        if kind not in transform:
            raise InvalidImageError(
                f"{where} stores its {kind} outside the metadata (in {transform.get('path')!r}), "
                "which is not supported"
            )
        vector = np.asarray(transform[kind], dtype=np.float64)
        if vector.shape != (ndim,) or not np.all(np.isfinite(vector)):
            raise InvalidImageError(
                f"{where} has a {kind} of {transform[kind]!r}, which needs {ndim} finite numbers (one per axis)"
            )
        if kind == "scale":
            scale = scale * vector
            translation = translation * vector
        else:
            translation = translation + vector
    return [LinearAxis(float(s), float(t)) for s, t in zip(scale, translation, strict=True)]
