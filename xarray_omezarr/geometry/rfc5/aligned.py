"""Whether a transformation is axis-aligned: one scale and translation per axis, exact 1-D coordinates.

An axis-aligned transformation maps index ``i`` of axis ``k`` to ``translation[k] + scale[k] * i``
whatever the other indices: the package's :class:`~xarray_omezarr.geometry.transforms.LinearAxis`,
whose coordinates are exact and 1-D. Anything else (a rotation, an affine with off-diagonal terms, a
permutation, a field) needs coordinates that vary along several dimensions: lazy ones, see
:func:`xarray_omezarr.backend.lazy_coordinates.coordinates_for`.

Examples
--------
>>> from .composite import Sequence
>>> from .transformations import Rotation, Scale, Translation
>>> axis_aligned(Sequence((Scale((2.0, 0.5)), Translation((1.0, -1.0)))), 2)
(LinearAxis(scale=2.0, translation=1.0), LinearAxis(scale=0.5, translation=-1.0))
>>> axis_aligned(Rotation(((0.0, -1.0), (1.0, 0.0))), 2) is None
True
"""

from __future__ import annotations

import numpy as np

from ...errors import TransformationError
from ..transforms import LinearAxis
from .composite import ByDimension, Sequence
from .transformations import Affine, Identity, InverseOf, MapAxis, Scale, Transformation, Translation

__all__ = ["axis_aligned"]


def axis_aligned(t: Transformation, ndim: int) -> tuple[LinearAxis, ...] | None:
    """One :class:`LinearAxis` per axis if ``t`` (on ``ndim`` axes) is axis-aligned, else ``None``.

    A scale followed by a translation gives exactly their values; other orders compose them
    (``(i + t) * s`` is ``t * s + s * i``), which may differ from applying them in the last bit.
    """
    try:
        if t.output_ndim(ndim) != ndim:
            return None
    except TransformationError:
        return None
    if isinstance(t, Identity):
        return tuple(LinearAxis() for _ in range(ndim))
    if isinstance(t, Scale) and t.scale is not None:
        return tuple(LinearAxis(s, 0.0) for s in t.scale)
    if isinstance(t, Translation) and t.translation is not None:
        return tuple(LinearAxis(1.0, v) for v in t.translation)
    if isinstance(t, MapAxis) and t.map_axis == tuple(range(ndim)):
        return tuple(LinearAxis() for _ in range(ndim))
    if (
        isinstance(t, InverseOf)
        and isinstance(t.transformation, Scale)
        and t.transformation.scale is not None
    ):
        if all(s != 0 for s in t.transformation.scale):
            return tuple(LinearAxis(1.0 / s, 0.0) for s in t.transformation.scale)
        return None
    if isinstance(t, Affine) and t.affine is not None:
        matrix = np.asarray(t.affine, dtype=np.float64)
        linear = matrix[:, :-1]
        if np.count_nonzero(linear - np.diag(np.diag(linear))):
            return None
        return tuple(LinearAxis(float(linear[k, k]), float(matrix[k, -1])) for k in range(ndim))
    if isinstance(t, Sequence):
        axes = tuple(LinearAxis() for _ in range(ndim))
        for step in t.transformations:
            outer = axis_aligned(step, ndim)
            if outer is None:
                return None
            axes = tuple(inner.then(o) for inner, o in zip(axes, outer))
        return axes
    if isinstance(t, ByDimension):
        parts: dict[int, LinearAxis] = {}
        for part in t.transformations:
            if part.input_axes != part.output_axes:
                return None
            aligned = axis_aligned(part.transformation, len(part.input_axes))
            if aligned is None:
                return None
            parts.update({int(k): a for k, a in zip(part.input_axes, aligned)})
        return tuple(parts[k] for k in range(ndim)) if sorted(parts) == list(range(ndim)) else None
    return None
