"""The blocks the engine writes: dask blocks of whole stored objects, and the target that writes them.

:func:`as_dask` cuts numpy input into views (never a copy) and :func:`write_ready` makes every block
cover whole chunks or shards, so that no two tasks write one stored object. :func:`write_target` then
writes each block, leaving chunks that hold only the fill value unwritten, as zarr does.

zarrs' pipeline finds those chunks itself, in Rust, on the threads that encode. Zarr's own pipeline
compares every chunk with its fill value through a broadcast and a temporary array of booleans, which
costs about a tenth of a write's time on 2 cores; there :class:`SkipEmptyChunks` checks a block chunk
by chunk with ``ndarray.any()`` on its bits (no temporary), and writes it in one call when no chunk is
empty, the usual case for images. Either way the store is the one zarr would write.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import zarr

from ..config import pipelined, uses_zarrs
from ..geometry.axes import Axis
from ..scale.chunking import in_place_units, write_units

__all__ = ["SkipEmptyChunks", "StoreTarget", "as_dask", "write_ready", "write_target"]


class StoreTarget:
    """A ``da.store`` target that writes each block into one zarr array.

    dask sees the target as an opaque object with a short token. Handed the zarr array itself (a
    dataclass of dataclasses), ``da.store`` would walk all its fields looking for dask collections and
    hash them all to name the task: about 4 ms per array, most of a small field's write in a plate.

    Examples
    --------
    >>> array = zarr.create_array(zarr.storage.MemoryStore(), shape=(4,), chunks=(2,), dtype="u1")
    >>> StoreTarget(array)[0:2] = np.array([1, 2], "u1")
    >>> array[:].tolist()
    [1, 2, 0, 0]
    """

    def __init__(self, array: zarr.Array) -> None:
        self.array = array

    def __dask_tokenize__(self) -> tuple[str, ...]:
        return (type(self).__name__, str(self.array.store_path), repr(self.array.shape))

    def __setitem__(self, region: tuple[slice, ...], block: Any) -> None:
        self.array[region] = block


class SkipEmptyChunks(StoreTarget):
    """A ``da.store`` target that writes a block's chunks unless all their bits are zero.

    Parameters
    ----------
    array
        A newly created, unsharded zarr array whose fill value is zero; blocks given to it cover whole
        chunks (the last chunk along an axis may be partial). Where zarr deletes an existing chunk that
        becomes empty, this leaves it: the writer only ever writes into arrays it has just created.

    Examples
    --------
    >>> array = zarr.create_array(zarr.storage.MemoryStore(), shape=(4, 4), chunks=(2, 2), dtype="u1")
    >>> block = np.zeros((4, 4), "u1")
    >>> block[0, 0] = 7
    >>> SkipEmptyChunks(array)[0:4, 0:4] = block
    >>> sorted(k for k in array.store_path.store._store_dict if k.startswith("c/"))
    ['c/0/0']
    """

    def __init__(self, array: zarr.Array) -> None:
        # each chunk is checked here, so zarr need not compare it again
        super().__init__(pipelined(array, writing=True, write_empty_chunks=True))

    def __setitem__(self, region: tuple[slice, ...], block: Any) -> None:
        block = np.asarray(block)
        pieces = list(_chunk_pieces(region, self.array.chunks, self.array.shape))
        filled = [(where, piece) for where, piece in pieces if _has_set_bits(block[piece])]
        if len(filled) == len(pieces):
            self.array[region] = block
            return
        for where, piece in filled:
            self.array[where] = block[piece]


def _has_set_bits(values: np.ndarray) -> bool:
    """Whether any value differs from all-zero bits: as zarr compares, -0.0 is not the fill value 0."""
    return bool(values.view(np.dtype(f"u{values.dtype.itemsize}")).any())


def _chunk_pieces(region: tuple[slice, ...], chunks: tuple[int, ...], shape: tuple[int, ...]) -> Any:
    """Each chunk inside ``region``: its place in the array and in the block."""
    ranges = []
    for s, c, n in zip(region, chunks, shape, strict=True):
        start, stop = s.start or 0, n if s.stop is None else s.stop
        ranges.append([(i, min(i + c, stop)) for i in range(start, stop, c)])
    for bounds in itertools.product(*ranges):
        where = tuple(slice(a, b) for a, b in bounds)
        piece = tuple(
            slice(a - (s.start or 0), b - (s.start or 0)) for (a, b), s in zip(bounds, region, strict=True)
        )
        yield where, piece


def write_target(array: zarr.Array) -> StoreTarget:
    """What ``da.store`` writes ``array`` through, with the chosen codec pipeline: a :class:`StoreTarget`,
    or :class:`SkipEmptyChunks` where zarr's own pipeline would look for empty chunks.

    That is an unsharded array with a zero fill value that skips empty chunks (zarr's default) written by
    zarr's pipeline; zarrs' pipeline finds them itself, and shards are written whole, zarr's sharding
    codec leaving out their empty inner chunks.
    """
    chosen = pipelined(array, writing=True)
    fill = array.fill_value
    if (
        array.shards is None
        and not array.config.write_empty_chunks
        and fill is not None
        and not np.any(fill)
        and not uses_zarrs(chosen)
    ):
        return SkipEmptyChunks(array)
    return StoreTarget(chosen)


def write_ready(level: Any, objects: tuple[int, ...], axes: Sequence[Axis]) -> Any:
    """``level`` as dask blocks that each cover whole stored ``objects`` (chunks or shards).

    Blocks that already do are kept. An array in memory is cut into views as large as
    :func:`~xarray_omezarr.scale.chunking.in_place_units` allows (they cost no memory); anything else
    into :func:`~xarray_omezarr.scale.chunking.write_units`.
    """
    if hasattr(level, "dask") and all(
        all(c % o == 0 for c in block_sizes[:-1])
        for block_sizes, o in zip(level.chunks, objects, strict=True)
    ):
        return level
    in_place = (
        in_place_units(objects, level.shape, level.dtype)
        if isinstance(level, np.ndarray) and level.flags.c_contiguous
        else None
    )
    return as_dask(level, in_place or write_units(objects, level.shape, level.dtype, axes))


def as_dask(array: Any, chunks: tuple[int, ...]) -> Any:
    """``array`` as a dask array with ``chunks``; numpy input is cut into views, never copied."""
    import dask.array as da

    if hasattr(array, "dask"):
        return array.rechunk(chunks)
    if not isinstance(array, np.ndarray):
        return da.from_array(array if hasattr(array, "shape") else np.asarray(array), chunks=chunks)
    # da.from_array copies a numpy array and hashes all of it for a name: twice the memory and seconds
    # of work for an image of GiBs. Views of the caller's array cost neither; the name only has to be
    # unique.
    normalized = da.core.normalize_chunks(chunks, array.shape, dtype=array.dtype)
    name = f"numpy-image-{uuid.uuid4().hex}"
    starts = [np.cumsum((0, *c[:-1])) for c in normalized]
    graph = {
        (name, *index): array[
            tuple(
                slice(int(s[i]), int(s[i]) + c[i]) for s, c, i in zip(starts, normalized, index, strict=True)
            )
        ]
        for index in itertools.product(*(range(len(c)) for c in normalized))
    }
    return da.Array(graph, name, normalized, dtype=array.dtype)
