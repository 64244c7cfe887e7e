"""The engine's writes into an image that exists: appending along an axis, and rewriting regions.

Both keep the engine's order: the data first, where readers do not see them yet (beyond the stored
shape, or in place of whole stored objects), then the arrays' shapes, then the OME metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import zarr

from ..config import pipelined
from ..errors import InvalidImageError
from ..model import Multiscale
from ..ngff import Format
from . import progress as _progress
from .append import AppendPlan
from .blocks import StoreTarget, write_target
from .engine import metadata_last, store_then
from .plan import ImagePlan
from .progress import log_resume

__all__ = ["append_image", "finish_resizes", "rewrite_levels"]


def _grown_view(array: zarr.Array, shape: tuple[int, ...]) -> zarr.Array:
    """``array`` as if it had ``shape``, without saying so in the store: writes go to its chunk keys,
    while readers keep seeing the stored shape until :meth:`zarr.Array.resize` makes it final."""
    from zarr.core.array import AsyncArray

    grown = AsyncArray(array.metadata.update_shape(shape), array.store_path, config=array._async_array.config)
    return zarr.Array(grown)


def append_image(
    plan: AppendPlan,
    group: zarr.Group,
    *,
    compute: bool | None = True,
    progress: bool = False,
    resume: bool = False,
    after: Callable[[zarr.Group], None] | None = None,
) -> list[Any]:
    """Append a planned part to the image ``group``: its data beyond every level's extent first, invisible
    to readers; then every level's new shape; then the OME metadata (channel windows measured again).

    A write killed before the shapes change leaves the image as it was (its new chunks lie beyond the
    stored shape, where nothing reads them). With ``resume``, only the blocks of the new part that are
    not stored whole yet are written (see :mod:`.progress`).
    """
    part = plan.part
    arrays, targets, regions = [], [], []
    for level, final in zip(part.image.levels, plan.final.levels, strict=True):
        array = group[level.path]
        assert isinstance(array, zarr.Array)
        objects = array.shards or array.chunks
        if plan.offset % objects[plan.axis] and level.shape[plan.axis]:
            raise InvalidImageError(
                f"level {level.path} holds {array.shape[plan.axis]} along the append axis, not a whole number of "
                f"its stored chunks ({objects[plan.axis]}); appending would rewrite a stored chunk"
            )
        offset = array.shape[plan.axis]
        arrays.append(array)
        targets.append(write_target(_grown_view(array, final.shape)))
        regions.append(
            tuple(
                slice(offset, offset + n) if i == plan.axis else slice(0, n)
                for i, n in enumerate(level.shape)
            )
        )

    def finish(*_: Any) -> None:
        for array, final in zip(arrays, plan.final.levels, strict=True):
            array.resize(final.shape)
        metadata_last(group, plan.final, part.fmt, after=after)

    sources: Sequence[Any] = part.data
    if resume:
        grown = [
            pipelined(_grown_view(a, f.shape), writing=True)
            for a, f in zip(arrays, plan.final.levels, strict=True)
        ]
        sources, targets, regions, rewritten, total = _progress.missing_writes(
            grown, part.paths, part.data, regions, group
        )
        log_resume(rewritten, total)
    return store_then(sources, targets, finish, compute, progress, regions)


def finish_resizes(
    group: zarr.Group, final: Multiscale, fmt: Format, after: Callable[[zarr.Group], None] | None = None
) -> None:
    """Finish an append killed while its arrays were being resized: its data are all stored (the
    resizes come after them), so the arrays not resized yet are, then the OME metadata is written."""
    for level in final.levels:
        array = group[level.path]
        assert isinstance(array, zarr.Array)
        if array.shape != level.shape:
            array.resize(level.shape)
    metadata_last(group, final, fmt, after=after)


def rewrite_levels(
    plan: ImagePlan,
    group: zarr.Group,
    regions: Sequence[tuple[slice, ...] | None],
    *,
    compute: bool | None = True,
    progress: bool = False,
    after: Callable[[zarr.Group], None] | None = None,
) -> list[Any]:
    """Rewrite ``regions`` (one per level, ``None`` to leave a level alone) of the image ``group`` from the
    plan's data, then its OME metadata (channel windows measured again).

    The regions cover whole stored objects, so every object is recomputed and written whole.
    """
    sources, targets, where = [], [], []
    for level, data, region in zip(plan.image.levels, plan.data, regions, strict=True):
        if region is None or any(s.stop <= s.start for s in region):
            continue
        array = group[level.path]
        assert isinstance(array, zarr.Array)
        sources.append(data[region])
        # zarr itself (not SkipEmptyChunks), which deletes a chunk that becomes empty
        targets.append(StoreTarget(pipelined(array, writing=True)))
        where.append(region)

    def finish(*_: Any) -> None:
        metadata_last(group, plan.image, plan.fmt, after=after)

    return store_then(sources, targets, finish, compute, progress, where)
