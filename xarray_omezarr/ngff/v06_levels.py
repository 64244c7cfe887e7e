"""OME-NGFF 0.6 levels whose transformations are not axis-aligned (affine, rotation, mapAxis...).

:mod:`.v06` reads axis-aligned images into exact 1-D geometry; when a dataset's or the multiscale's
transformation is of another type, it hands the levels here: each keeps its axis-aligned dataset
geometry (scale and translation) and the RFC-5 transformation that follows it, from which the backend
builds lazy coordinates.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..errors import InvalidImageError, MalformedStoreError, TransformationError, UnsupportedTransformError
from ..geometry.rfc5 import Sequence as RFC5Sequence
from ..geometry.rfc5 import Transformation, axis_aligned, parse_transformation
from ..geometry.transforms import LinearAxis
from ..model import Level

__all__ = ["ends", "general_levels", "reference"]


def reference(value: Any, where: str) -> str:
    """The name or path an ``input``/``output`` names: an object (0.6) or a plain string (drafts)."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, Mapping):
        for key in ("name", "path"):
            if isinstance(value.get(key), str) and value[key]:
                return str(value[key])
    raise MalformedStoreError(f"{where} must name a coordinate system or an array; got {value!r}")


def ends(transform: Any) -> tuple[str | None, str | None]:
    """The systems a multiscale-level transformation leads from and to (``None`` where not named)."""
    if not isinstance(transform, Mapping):
        return None, None
    ends: list[str | None] = []
    for key in ("input", "output"):
        try:
            ends.append(reference(transform.get(key), key))
        except MalformedStoreError:
            ends.append(None)
    return ends[0], ends[1]


def _parsed(transform: Any, where: str) -> Transformation:
    """Any RFC-5 transformation, without its ends (the level's dataset and system are the model's)."""
    try:
        parsed = parse_transformation(transform)
    except TransformationError as error:
        raise MalformedStoreError(f"{where}: {error}") from None
    return replace(parsed, name=None, input=None, output=None)


def multiscale_chain(
    multiscale: Mapping[str, Any], start: str, target: str, strict: bool
) -> tuple[list[tuple[Mapping[str, Any], bool]], str]:
    """The multiscale-level transformations leading from ``start`` to ``target``: each step's JSON
    and whether it is taken forwards (else inverted, where only the reverse is listed), and the
    system reached. Without a path, ``strict`` refuses; otherwise a warning, no steps and ``start``."""
    transforms = multiscale.get("coordinateTransformations") or []
    if not isinstance(transforms, list):
        raise MalformedStoreError("the multiscale's 'coordinateTransformations' must be a list")
    steps: list[tuple[Mapping[str, Any], bool]] = []
    current, seen = start, {start}
    while current != target:
        forward = next((t for t in transforms if ends(t)[0] == current and ends(t)[1] not in seen), None)
        backward = next((t for t in transforms if ends(t)[1] == current and ends(t)[0] not in seen), None)
        step = forward if forward is not None else backward
        if step is None:
            if strict:
                raise InvalidImageError(
                    f"no multiscale transformation leads from coordinate system {start!r} to {target!r}"
                )
            warnings.warn(
                f"no multiscale transformation leads from coordinate system {start!r} to {target!r}; "
                f"the coordinates are those of {start!r}",
                UserWarning,
                stacklevel=4,
            )
            return [], start
        steps.append((step, step is forward))
        reached = ends(step)[1] if step is forward else ends(step)[0]
        assert reached is not None
        current = reached
        seen.add(current)
    return steps, current


def _outer_general(
    multiscale: Mapping[str, Any], start: str, target: str, strict: bool
) -> tuple[list[Transformation], str]:
    """As :func:`_outer`, for transformations of any type: the chain of steps and the system reached."""
    chain, reached = multiscale_chain(multiscale, start, target, strict)
    steps: list[Transformation] = []
    for step, forward in chain:
        parsed = _parsed(step, f"the multiscale's transformation from {ends(step)[0 if forward else 1]!r}")
        if not forward:
            try:
                parsed = parsed.inverse()
            except TransformationError as error:
                raise UnsupportedTransformError(str(error)) from None
        steps.append(parsed)
    return steps, reached


def general_levels(
    multiscale: Mapping[str, Any],
    transforms: Sequence[Any],
    levels: Sequence[tuple[str, tuple[int, ...], Any, Any]],
    source: str,
    target: str,
    strict: bool,
) -> tuple[list[Level], str]:
    """Levels whose transformations are not all axis-aligned: exact geometry where they are, else each
    level's full transformation (its dataset's, then the multiscale's) for lazy coordinates."""
    outer, reached = _outer_general(multiscale, source, target, strict)
    result = []
    for transform, (path, shape, chunks, shards) in zip(transforms, levels, strict=True):
        inner = _parsed(transform, f"dataset {path!r}")
        ndim = len(shape)
        geometry = axis_aligned(inner, ndim)
        full = inner if not outer else RFC5Sequence((inner, *outer))
        try:
            out_ndim = full.output_ndim(ndim)
        except TransformationError as error:
            raise MalformedStoreError(f"dataset {path!r}: {error}") from None
        if out_ndim != ndim:
            raise UnsupportedTransformError(
                f"dataset {path!r} maps {ndim} array dimensions to {out_ndim} coordinates; only "
                "transformations that keep the number of dimensions are read as coordinates"
            )
        aligned = axis_aligned(full, ndim)
        if aligned is not None:
            result.append(Level(path, shape, aligned, chunks, shards))
        elif geometry is not None and outer:  # the 0.6 form: scale and translation, then the rest
            rest = outer[0] if len(outer) == 1 else RFC5Sequence(tuple(outer))
            result.append(Level(path, shape, geometry, chunks, shards, transformation=rest))
        else:
            identity = tuple(LinearAxis() for _ in range(ndim))
            result.append(Level(path, shape, identity, chunks, shards, transformation=full))
    return result, reached
