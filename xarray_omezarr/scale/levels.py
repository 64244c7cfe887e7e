"""Multiscale pyramids whose levels know where their pixels are.

:func:`pyramid_factors` turns the seed's ``scale_factors`` (cumulative, relative to level 0) into one
factor per axis and level, refusing what cannot be built. :func:`build_pyramid` computes the levels,
each from the nearest finer level whose factors divide its own, and carries each level's
:class:`~xarray_omezarr.transforms.LinearAxis` along so that the metadata written is the geometry of
the data, not a ratio of shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InvalidImageError, InvalidImageTypeError
from ..geometry.axes import Axis
from ..geometry.transforms import LinearAxis, tidy
from .chunking import default_chunks
from .methods import Methods, get_method
from .methods import downsample as _downsample

__all__ = [
    "DEFAULT_SCALE_FACTORS",
    "ScaleFactors",
    "build_pyramid",
    "level_geometry",
    "pyramid_factors",
    "source_level",
]

DEFAULT_SCALE_FACTORS = (2, 4, 8, 16)

ScaleFactors = Sequence[int] | Sequence[Mapping[str, int]]


def _as_factor(value: Any, where: str) -> int:
    if isinstance(value, bool) or not float(value).is_integer() or int(value) < 1:
        raise InvalidImageError(f"scale factor {value!r} ({where}) must be a whole number >= 1")
    return int(value)


def pyramid_factors(
    scale_factors: ScaleFactors | str | None,
    axes: Sequence[Axis],
    shape: Sequence[int],
    method: Methods | str | None = Methods.RESIZE,
    geometry: Sequence[LinearAxis] | None = None,
    chunks: Sequence[int] | None = None,
) -> list[tuple[int, ...]]:
    """Cumulative factors per axis for every level, level 0 (all ones) first.

    Plain integers downsample the in-plane axes (the last two space axes: ``y`` and ``x``) and leave
    ``z`` alone, as the seed documents; dicts name the axes they downsample, any space axis included.
    ``"auto"`` halves space axes level by level until the smallest level fits in one chunk (``chunks``,
    default: :func:`~xarray_omezarr.chunking.default_chunks`); an axis whose spacing (from ``geometry``)
    is more than twice the finest waits until the others catch up, so anisotropic ``z`` is kept until
    the voxels are about cubic.

    Examples
    --------
    >>> from xarray_omezarr.geometry.axes import axes_from_dims
    >>> pyramid_factors([2, 4], axes_from_dims(["z", "y", "x"]), (10, 64, 64))
    [(1, 1, 1), (1, 2, 2), (1, 4, 4)]
    >>> pyramid_factors([{"z": 2, "y": 2, "x": 2}], axes_from_dims(["z", "y", "x"]), (10, 64, 64))
    [(1, 1, 1), (2, 2, 2)]
    """
    spec = get_method(method)
    names = [a.name for a in axes]
    space = [a.name for a in axes if a.type == "space"]
    if isinstance(scale_factors, str) and scale_factors == "auto":
        return _auto_factors(axes, shape, spec.name, geometry, chunks)
    if isinstance(scale_factors, str | bytes | Mapping):
        raise InvalidImageTypeError(
            f"scale_factors must be a list of ints or of dicts; got {scale_factors!r}"
        )
    levels: list[tuple[int, ...]] = [tuple(1 for _ in axes)]
    for i, entry in enumerate(scale_factors or ()):
        where = f"level {i + 1}"
        if isinstance(entry, Mapping):
            for key in entry:
                if key not in names:
                    raise InvalidImageError(
                        f"scale factor {where} names axis {key!r}, which is not one of {names}"
                    )
                if key not in space:
                    raise InvalidImageError(
                        f"scale factor {where} downsamples {key!r}, which is not a space axis; only {space} "
                        "can be downsampled"
                    )
            per_axis = {k: _as_factor(v, where) for k, v in entry.items()}
        else:
            factor = _as_factor(entry, where)
            per_axis = dict.fromkeys(space[-2:], factor)
        levels.append(tuple(per_axis.get(n, 1) for n in names))
    for level, factors in enumerate(levels[1:], start=1):
        for name, n, f in zip(names, shape, factors, strict=True):
            if spec.size(n, f) < 1:
                raise InvalidImageError(
                    f"scale factor {f} at level {level} would shrink axis {name!r} ({n} pixels) below one "
                    "pixel; use fewer or smaller scale_factors"
                )
    return levels


def _auto_factors(
    axes: Sequence[Axis],
    shape: Sequence[int],
    method: Methods,
    geometry: Sequence[LinearAxis] | None,
    chunks: Sequence[int] | None,
) -> list[tuple[int, ...]]:
    spec = get_method(method)
    if chunks is None:
        chunks = default_chunks(shape, "uint16", axes)  # the most common microscopy dtype
    spacing = [abs(g.scale) for g in geometry] if geometry is not None else [1.0] * len(axes)
    space = [i for i, a in enumerate(axes) if a.type == "space"]
    factors = [1] * len(axes)
    levels = [tuple(factors)]
    while True:
        sizes = [spec.size(n, f) for n, f in zip(shape, factors, strict=True)]
        if all(sizes[i] <= chunks[i] for i in space):
            return levels
        finest = min(spacing[i] * factors[i] for i in space if sizes[i] > 1)
        halve = [i for i in space if sizes[i] > 1 and spacing[i] * factors[i] < 2 * finest * (1 - 1e-9)]
        for i in halve:
            factors[i] *= 2
        levels.append(tuple(factors))


def level_geometry(
    geometry: Sequence[LinearAxis], factors: Sequence[int], method: Methods | str
) -> tuple[LinearAxis, ...]:
    """Where the pixels of the level with cumulative ``factors`` lie, from level 0's ``geometry``.

    Computed from level 0 in one step (one rounding instead of one per level), and tidied of float noise.

    Examples
    --------
    >>> level_geometry([LinearAxis(0.5, 10.0)], [4], "local_mean")
    (LinearAxis(scale=2.0, translation=10.75),)
    """
    spec = get_method(method)
    return tuple(
        LinearAxis(tidy(axis.scale * f), tidy(axis.translation + spec.offset(f) * axis.scale))
        if f > 1
        else axis
        for axis, f in zip(geometry, factors, strict=True)
    )


def source_level(levels: Sequence[tuple[int, ...]], target: tuple[int, ...]) -> int:
    """The coarsest earlier level whose factors divide ``target``'s (level 0 always does)."""
    for index in range(len(levels) - 1, -1, -1):
        if all(t % f == 0 and t >= f for f, t in zip(levels[index], target, strict=True)):
            return index
    return 0


def build_pyramid(
    data: Any,
    factors: Sequence[tuple[int, ...]],
    method: Methods | str | None = Methods.RESIZE,
    chunks: Sequence[tuple[int, ...]] | None = None,
) -> list[Any]:
    """Compute every level, each from the nearest finer level it can be derived from.

    Where each level's pixels lie is :func:`level_geometry`'s business; this computes their values.

    Parameters
    ----------
    data
        Level 0, a numpy or dask array.
    factors
        Cumulative factors per level, as :func:`pyramid_factors` returns them (level 0 first).
    method
        A :class:`~xarray_omezarr.scale.Methods` member or its name.
    chunks
        Dask chunks per level (dask input): each level is rechunked to them as soon as it is computed, so
        the next level is computed from blocks as large as the ones written, not from ever smaller ones.

    Examples
    --------
    >>> import numpy as np
    >>> [level.shape for level in build_pyramid(np.zeros((4, 6)), [(1, 1), (2, 2)], "local_mean")]
    [(4, 6), (2, 3)]
    """
    spec = get_method(method)

    def chunked(array: Any, index: int) -> Any:
        if chunks is None or not hasattr(array, "dask"):
            return array
        return array.rechunk(chunks[index])

    levels = [chunked(data, 0)]
    for index, target in enumerate(factors[1:], start=1):
        source = source_level(factors[:index], target)
        relative = tuple(t // f for f, t in zip(factors[source], target, strict=True))
        array = levels[source]
        if any(r > 1 for r in relative):
            array = _downsample(array, relative, spec.name)
        levels.append(chunked(array, index))
    return levels
