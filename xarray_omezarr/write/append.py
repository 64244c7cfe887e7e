"""Planning an append: more time points (or channels) for an image written earlier.

Pure: the existing image is the :class:`~xarray_omezarr.model.Multiscale` the reader returns; the
new part is described like any image. Every level of the new part is planned with the existing
pyramid's own factors, method, chunks, shards and codecs (downsampling never mixes time points or
channels, so the new part's levels are the final image's levels there). Everything that would make
the result differ from writing the final image in one call is refused before anything is written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..describe import Described
from ..errors import InvalidImageError
from ..geometry.transforms import LinearAxis, tidy
from ..model import Multiscale
from ..ngff import Format
from ..ngff.omero import default_omero
from ..scale import Methods, get_method
from .plan import ImagePlan, plan_image

__all__ = [
    "AppendPlan",
    "check_compatible",
    "existing_options",
    "plan_append",
    "pyramid_factors_of",
    "without_windows",
]

_RTOL = 1e-9


@dataclass(frozen=True)
class AppendPlan:
    """The new part's plan, where it goes along the append axis, and the image once it is appended."""

    part: ImagePlan
    axis: int
    offset: int
    final: Multiscale


def _close(a: float, b: float, scale: float) -> bool:
    return math.isclose(a, b, rel_tol=_RTOL, abs_tol=_RTOL * abs(scale))


def pyramid_factors_of(image: Multiscale) -> list[dict[str, int]]:
    """The cumulative factor of each space axis per level (level 1 first), read off the levels' scales."""
    base = image.levels[0].geometry
    factors = []
    for number, level in enumerate(image.levels[1:], start=1):
        entry = {}
        for axis, first, this in zip(image.axes, base, level.geometry, strict=True):
            if axis.type != "space":
                continue
            ratio = this.scale / first.scale
            if round(ratio) < 1 or not _close(ratio, round(ratio), 1.0):
                raise InvalidImageError(
                    f"level {number} of the existing image is not a whole downsampling of level 0 along "
                    f"{axis.name!r} (scale ratio {ratio:g}); it cannot be extended level for level"
                )
            entry[axis.name] = round(ratio)
        factors.append(entry)
    return factors


def existing_options(image: Multiscale, arrays: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each level's chunks, shards and codecs as stored, for the new part to be stored alike."""
    return [
        {"chunks": level.chunks, "shards": level.shards, **dict(options)}
        for level, options in zip(image.levels, arrays, strict=True)
    ]


def plan_append(
    part: Described,
    existing: Multiscale,
    stored: Sequence[Mapping[str, Any]],
    append_dim: str,
    fmt: Format,
) -> AppendPlan:
    """Plan appending ``part`` to ``existing`` along ``append_dim``.

    ``stored`` holds each existing level's other array options (``compressors``, ``fill_value``...).
    The part must have the image's axes, units, dtype and, on every other axis, its size and
    coordinates; along ``append_dim`` its coordinate must continue the image's grid.
    """
    names = existing.dims
    if append_dim not in names:
        raise InvalidImageError(f"append_dim {append_dim!r} is not an axis of the image {names}")
    axis = names.index(append_dim)
    kind = existing.axes[axis].type
    if kind == "space":
        raise InvalidImageError(
            f"append_dim {append_dim!r} is a space axis; appending along it would change every level's "
            "pyramid blocks. Append along time, channel or a custom axis, or write a region"
        )
    check_compatible(part, existing)
    level0 = existing.levels[0]
    shape = part.image.levels[0].shape
    geometry = list(part.geometry)
    for index, (dim, n, given, held) in enumerate(
        zip(names, shape, part.geometry, level0.geometry, strict=True)
    ):
        if index == axis:
            continue
        if n != level0.shape[index]:
            raise InvalidImageError(
                f"the appended part has {n} pixels along {dim!r}; the image has {level0.shape[index]}"
            )
        if existing.axes[index].type != "channel" and not (
            _close(given.scale, held.scale, held.scale)
            and _close(given.translation, held.translation, held.scale)
        ):
            raise InvalidImageError(
                f"the appended part's {dim!r} coordinate starts at {given.translation:g} with step {given.scale:g}; "
                f"the image's at {held.translation:g} with step {held.scale:g}"
            )
        geometry[index] = held
    geometry[axis] = _continued(part, existing, axis)
    if kind == "channel":
        omero = _appended_channels(part, existing)
    else:
        _check_same_channels(part, existing)
        omero = without_windows(existing.omero)
    if existing.method is None:
        raise InvalidImageError("the image records no downsampling method ('type'); it cannot be extended")
    method = get_method(existing.method).name  # refuses a method this package does not compute
    factors = pyramid_factors_of(existing)
    from dataclasses import replace

    described = Described(
        replace(
            part.image, levels=(replace(part.image.levels[0], geometry=tuple(geometry)),), name=existing.name
        ),
        part.data,
    )
    options = existing_options(existing, stored)
    planned = plan_image(
        described,
        fmt,
        scale_factors=factors,
        method=Methods(method),
        storage_options=options,
        omero=omero,
        extra=existing.extra,
    )
    for number, (mine_level, theirs_level) in enumerate(
        zip(planned.image.levels, existing.levels, strict=True)
    ):
        for index in range(len(names)):
            if index == axis:
                continue
            if mine_level.shape[index] != theirs_level.shape[index]:
                raise InvalidImageError(
                    f"level {number} of the appended part does not match the image's level {number}"
                )
    final_levels = tuple(
        replace(
            theirs,
            shape=tuple(
                n + (m if i == axis else 0)
                for i, (n, m) in enumerate(zip(theirs.shape, mine.shape, strict=True))
            ),
        )
        for theirs, mine in zip(existing.levels, planned.image.levels, strict=True)
    )
    final = replace(existing, levels=final_levels, omero=omero, method=planned.image.method)
    return AppendPlan(planned, axis, level0.shape[axis], final)


def check_compatible(part: Described, existing: Multiscale) -> None:
    """The part has the image's axes (names, types, units) and dtype, or a clear error."""
    names = existing.dims
    if part.dims != names:
        raise InvalidImageError(f"the part has axes {part.dims}; the image has {names}")
    for mine, theirs in zip(part.axes, existing.axes, strict=True):
        if (mine.type, mine.unit) != (theirs.type, theirs.unit):
            raise InvalidImageError(
                f"axis {mine.name!r} of the part is of type {mine.type} in {mine.unit}; the image's is "
                f"of type {theirs.type} in {theirs.unit}"
            )
    if np.dtype(part.image.dtype) != np.dtype(existing.dtype):
        raise InvalidImageError(
            f"the part has dtype {np.dtype(part.image.dtype)}; the image has {np.dtype(existing.dtype)}"
        )


def _continued(part: Described, existing: Multiscale, axis: int) -> LinearAxis:
    """The appended part's geometry along the append axis, which must continue the image's grid."""
    theirs = existing.levels[0].geometry[axis]
    size = existing.levels[0].shape[axis]
    if existing.axes[axis].type == "channel":
        return theirs
    mine = part.geometry[axis]
    expected = tidy(theirs.translation + theirs.scale * size)
    step_known = part.image.levels[0].shape[axis] > 1
    if (step_known and not _close(mine.scale, theirs.scale, theirs.scale)) or not _close(
        mine.translation, expected, theirs.scale
    ):
        raise InvalidImageError(
            f"the appended {existing.axes[axis].name!r} coordinate starts at {mine.translation:g} with step "
            f"{mine.scale:g}; to continue the image's grid it must start at {expected:g} with step {theirs.scale:g}"
        )
    return LinearAxis(theirs.scale, expected)


def _check_same_channels(part: Described, existing: Multiscale) -> None:
    mine, theirs = part.image.channel_labels(), existing.channel_labels()
    if mine is not None and theirs is not None and mine != theirs:
        raise InvalidImageError(f"the appended part's channels are {mine}; the image's are {theirs}")


def _appended_channels(part: Described, existing: Multiscale) -> dict[str, Any] | None:
    """The channel block of the image once the part's channels follow its own.

    Channels still as the writer made them get the colours a one-call write of all of them gets;
    channels the user set keep theirs, and the part's follow. Windows are measured again on the data.
    """
    if existing.omero is None:
        return None
    channels = [
        {k: v for k, v in dict(c).items() if k != "window"} for c in existing.omero.get("channels", [])
    ]
    added = [
        {k: v for k, v in dict(c).items() if k != "window"}
        for c in (part.image.omero or {}).get("channels", [])
    ]
    labels = [str(c.get("label")) for c in channels + added]
    clash = sorted({str(c.get("label")) for c in added} & {str(c.get("label")) for c in channels})
    if clash:
        raise InvalidImageError(f"the appended channels {clash} are already channels of the image")
    as_written = default_omero(len(channels), labels[: len(channels)])
    if channels == as_written["channels"] and dict(existing.omero).get("rdefs") == as_written["rdefs"]:
        return default_omero(len(labels), labels)
    return dict(existing.omero) | {"channels": channels + added}


def without_windows(omero: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The channel block with its windows left out, to be measured again on all the data."""
    if omero is None:
        return None
    return dict(omero) | {
        "channels": [{k: v for k, v in dict(c).items() if k != "window"} for c in omero["channels"]]
    }
