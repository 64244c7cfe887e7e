"""What a write in progress leaves in its store, so that ``resume=True`` can finish it.

A write records, in one attribute of the image's group (:data:`PROGRESS_KEY`), the OME multiscale
metadata it is going to write (the levels' paths and transforms, the method and its factors) and
its phase: ``"creating"`` is set before the arrays are created (or replaced, with ``mode="w"``),
``"writing"`` once they all are, before any data. The engine deletes it once the OME metadata is
written (the last step), so a finished store holds no trace of it: its group metadata file is
byte for byte the one-call write's. (An attribute rather than an object of its own, which zarr
would warn about when it lists the group's members.) Its presence
says "a write of exactly this image was under way here"; ``resume=True`` compares it with the
metadata of its own plan, which catches another method or other factors that the arrays' shapes
alone do not show.

Which data are complete is found from the stored objects themselves (:func:`missing_blocks`), not
from a journal of finished blocks. Each stored object (a chunk, or a shard) is written by one
``set`` of the whole object:

- ``zarr.storage.LocalStore`` writes a temporary ``<key>.<uuid>.partial`` file and renames it into
  place (zarr >= 3.1), and a rename is atomic: an object that exists is whole. A write killed midway
  leaves only its ``.partial`` file, which :func:`remove_partial_files` deletes. The ``zarrs``
  pipeline, though, writes a local store's files itself, in place, so where it may have written,
  a killed write can leave a file cut short (even empty): then objects are decoded too (below).
- Object stores (S3, GCS, Azure, through obstore or fsspec) make an object visible only once its
  upload (single or multipart) is complete.
- A ``MemoryStore`` sets a key in one step.

For any other store (a local filesystem through fsspec, a user's own store), where a killed write
can leave a truncated object, every object that exists is also decoded before it counts as done
(:func:`atomic_objects` says which kind a store is).

Every level is computed from the caller's data, never read back from a finer level in the store, and
the computation is deterministic: a complete object of any level is exactly the object a one-call
write stores, whichever other objects are missing. So a block of whole objects is rewritten exactly
when one of its objects is missing (or, on other stores, does not decode), and no coarser block has
to be recomputed because of a finer one.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import zlib
from collections.abc import Sequence
from typing import Any

import zarr
from zarr.core.sync import sync

from ..config import zarrs_installed
from .blocks import StoreTarget

__all__ = [
    "PROGRESS_KEY",
    "atomic_objects",
    "block_objects",
    "block_regions",
    "clear_progress",
    "log_resume",
    "mark_in_progress",
    "missing_blocks",
    "missing_writes",
    "read_progress",
    "remove_partial_files",
    "stored_keys",
]

PROGRESS_KEY = "xarray_omezarr:progress"
"""The group attribute a write in progress keeps (deleted when the write ends)."""

_PARTIAL = re.compile(r"\.[0-9a-f]{32}\.partial$")


def mark_in_progress(group: zarr.Group, document: dict[str, Any], phase: str) -> None:
    """Record in ``group`` that a write of the image whose OME metadata is ``document`` is under way.

    ``phase`` is ``"creating"`` (set before the arrays are created, or replaced with ``mode="w"``)
    or ``"writing"`` (every array is created, data are being written). The document is kept as
    compressed, base64-encoded JSON: a reader or validator that searches the attributes for
    ``multiscales`` must not take a write in progress for an image.
    """
    text = json.dumps(document, default=repr, sort_keys=True).encode()
    record = {"phase": phase, "metadata": base64.b64encode(zlib.compress(text)).decode("ascii")}
    group.attrs.update({PROGRESS_KEY: record})


def read_progress(group: zarr.Group) -> dict[str, Any] | None:
    """The record :func:`mark_in_progress` left in ``group`` (``phase``, ``metadata`` decoded), or ``None``."""
    found = group.attrs.get(PROGRESS_KEY)
    if not isinstance(found, dict):
        return None
    record = dict(found)
    try:
        record["metadata"] = json.loads(zlib.decompress(base64.b64decode(str(record.get("metadata", "")))))
    except (ValueError, zlib.error):
        record["metadata"] = {}  # not ours, or damaged: compared with the plan, it differs
    return record


def clear_progress(group: zarr.Group) -> None:
    """Delete the progress attribute of ``group`` (the write is complete).

    The group is opened afresh: what was written into it through other objects since (a label's
    ``image-label``) must be kept.
    """
    fresh = zarr.open_group(group.store_path, mode="r+", use_consolidated=False)
    if PROGRESS_KEY in fresh.attrs:
        del fresh.attrs[PROGRESS_KEY]


async def _keys(store: Any, prefix: str) -> set[str]:
    return {key async for key in store.list_prefix(prefix)}


def stored_keys(group: zarr.Group, path: str) -> set[str]:
    """Every key stored under the array ``path`` of ``group``, relative to the array."""
    prefix = f"{group.store_path.path}/{path}/".lstrip("/")
    return {k[len(prefix) :] for k in sync(_keys(group.store, prefix))}


def remove_partial_files(group: zarr.Group) -> int:
    """Delete the temporary ``.partial`` files that writes killed in ``LocalStore.set`` left behind."""
    prefix = f"{group.store_path.path}/".lstrip("/")
    leftovers = [k for k in sync(_keys(group.store, prefix)) if _PARTIAL.search(k)]
    for key in leftovers:
        sync(group.store.delete(key))
    return len(leftovers)


def atomic_objects(store: Any) -> bool:
    """Whether every object that exists in ``store`` is whole (see the module's notes)."""
    from zarr.storage import FsspecStore, LocalStore, MemoryStore

    if isinstance(store, LocalStore):
        from zarr.storage import _local

        if zarrs_installed():
            return False  # zarrs writes the files itself, in place (the killed write may have used it)
        return hasattr(_local, "_atomic_write")  # zarr versions that write through a rename
    if isinstance(store, MemoryStore):
        return True
    if isinstance(store, FsspecStore):
        protocol = store.fs.protocol
        protocols = {protocol} if isinstance(protocol, str) else set(protocol)
        return not protocols & {"file", "local"}
    return type(store).__name__ == "ObjectStore"  # obstore: object stores' puts are atomic


def block_regions(data: Any, offset: Sequence[int] | None = None) -> list[tuple[slice, ...]]:
    """The region (in the target array) of every dask block of ``data``, placed at ``offset``."""
    offset = offset or [0] * data.ndim
    starts = [list(itertools.accumulate((0, *c[:-1]))) for c in data.chunks]
    regions = []
    for index in itertools.product(*(range(len(c)) for c in data.chunks)):
        regions.append(
            tuple(
                slice(o + s[i], o + s[i] + c[i])
                for o, s, c, i in zip(offset, starts, data.chunks, index, strict=True)
            )
        )
    return regions


def _objects(region: tuple[slice, ...], objects: Sequence[int]) -> list[tuple[int, ...]]:
    ranges = [range(s.start // o, -(-s.stop // o)) for s, o in zip(region, objects, strict=True)]
    return list(itertools.product(*ranges))


def block_objects(level: Any) -> list[tuple[int, ...]]:
    """The grid positions of every stored object of a planned :class:`~xarray_omezarr.model.Level`."""
    return _objects(tuple(slice(0, n) for n in level.shape), level.shards or level.chunks)


def missing_blocks(
    array: zarr.Array, regions: Sequence[tuple[slice, ...]], keys: set[str], decode: bool
) -> tuple[list[tuple[slice, ...]], int]:
    """The stored objects of ``array`` inside ``regions`` to write again, and how many objects there are.

    ``regions`` are blocks of whole objects; an object is done when its key is among ``keys`` (and,
    with ``decode``, it decodes). Returns each object to write again as its region (within its
    block), and the number of objects the ``regions`` cover.
    """
    objects = array.shards or array.chunks
    todo, total = [], 0
    for region in regions:
        covered = _objects(region, objects)
        total += len(covered)
        for position in covered:
            where = tuple(
                slice(max(s.start, i * o), min(s.stop, (i + 1) * o))
                for s, i, o in zip(region, position, objects, strict=True)
            )
            done = array.metadata.encode_chunk_key(position) in keys
            if done and decode:
                try:
                    array[where]
                except Exception:  # a truncated object: anything its codecs raise
                    done = False
            if not done:
                todo.append(where)
    return todo, total


def missing_writes(
    arrays: Sequence[zarr.Array],
    level_paths: Sequence[str],
    sources: Sequence[Any],
    regions: Sequence[tuple[slice, ...]],
    group: zarr.Group,
) -> tuple[list[Any], list[Any], list[tuple[slice, ...]], int, int]:
    """Of the blocks of ``sources`` going into ``regions`` of ``arrays``, those not stored whole yet."""
    decode = not atomic_objects(group.store)
    remove_partial_files(group)
    todo_sources, todo_targets, todo_regions, rewritten, total = [], [], [], 0, 0
    for array, path, data, region in zip(arrays, level_paths, sources, regions, strict=True):
        offset = [s.start for s in region]
        blocks = block_regions(data, offset)
        todo, count = missing_blocks(array, blocks, stored_keys(group, path), decode)
        rewritten, total = rewritten + len(todo), total + count
        target = StoreTarget(array)
        for block in todo:
            todo_sources.append(
                data[tuple(slice(b.start - o, b.stop - o) for b, o in zip(block, offset, strict=True))]
            )
            todo_targets.append(target)
            todo_regions.append(block)
    return todo_sources, todo_targets, todo_regions, rewritten, total


def log_resume(rewritten: int, total: int) -> None:
    """Say how much of the write a resume does again (the ``xarray_omezarr.resume`` logger)."""
    import logging

    logging.getLogger("xarray_omezarr.resume").info(
        "resume: writing %d of the %d stored objects planned",
        rewritten,
        total,
        extra={"rewritten": rewritten, "total": total},
    )
