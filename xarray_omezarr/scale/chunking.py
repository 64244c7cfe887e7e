"""Default chunk shapes: a few MiB per chunk, whatever the image and level.

Dask's automatic chunks (128 MiB) make poor zarr chunks: viewers fetch whole chunks, so a chunk should
be about what a screen shows, and small enough that a few of them per worker keep memory bounded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..geometry.axes import Axis

__all__ = [
    "TARGET_CHUNK_BYTES",
    "TARGET_IN_PLACE_UNIT_BYTES",
    "TARGET_SHARD_BYTES",
    "TARGET_WRITE_UNIT_BYTES",
    "default_chunks",
    "default_shards",
    "in_place_units",
    "read_blocks",
    "write_units",
]

TARGET_CHUNK_BYTES = 4 * 2**20
"""Upper bound of a default chunk: a few MiB, small enough for viewers, large enough for throughput."""
TARGET_SHARD_BYTES = 64 * 2**20
"""Upper bound of an automatic shard: few objects per level, while a write task still holds one shard."""
TARGET_WRITE_UNIT_BYTES = 4 * 2**20
"""About how much of a level one write task computes and writes (see :func:`write_units`)."""
TARGET_IN_PLACE_UNIT_BYTES = 256 * 2**20
"""Upper bound of a write task's block of an array already in memory (see :func:`in_place_units`)."""
_MAX_PLANE_EDGE = 1024  # 2-D tiles larger than this make viewers fetch far more than they show


def default_chunks(shape: Sequence[int], dtype: Any, axes: Sequence[Axis]) -> tuple[int, ...]:
    """Chunks of at most a few MiB: one plane of time and channel, space axes grown evenly.

    Space axes double in turn (x, then y, then z) while the chunk stays within
    :data:`TARGET_CHUNK_BYTES`, and never exceed the array's shape.

    Examples
    --------
    >>> from xarray_omezarr.geometry.axes import axes_from_dims
    >>> default_chunks((2, 300, 4096, 4096), "uint16", axes_from_dims("czyx"))
    (1, 128, 128, 128)
    >>> default_chunks((10, 20), "uint8", axes_from_dims("yx"))
    (10, 20)
    """
    grown_axes = sum(a.type == "space" for a in axes) or len(shape)  # as _grown picks them
    edge = _MAX_PLANE_EDGE if grown_axes == 2 else None
    return _grown([1] * len(shape), shape, dtype, axes, TARGET_CHUNK_BYTES, edge)


def default_shards(
    chunks: Sequence[int], shape: Sequence[int], dtype: Any, axes: Sequence[Axis]
) -> tuple[int, ...]:
    """Shards of whole ``chunks``, grown over the space axes up to :data:`TARGET_SHARD_BYTES`.

    A shard is one object in the store holding many chunks, which keeps object and file counts low; each
    write task holds one uncompressed shard, so shards stay small enough for bounded memory. Space axes
    double in turn (x, then y, then z), never beyond the array (rounded up to whole chunks).

    Examples
    --------
    >>> from xarray_omezarr.geometry.axes import axes_from_dims
    >>> default_shards((1, 64, 128, 256), (2, 300, 4096, 4096), "uint16", axes_from_dims("czyx"))
    (1, 128, 256, 1024)
    >>> default_shards((1, 16, 16), (1, 20, 20), "uint8", axes_from_dims("cyx"))
    (1, 32, 32)
    """
    return _grown(chunks, shape, dtype, axes, TARGET_SHARD_BYTES)


def write_units(
    objects: Sequence[int], shape: Sequence[int], dtype: Any, axes: Sequence[Axis]
) -> tuple[int, ...]:
    """The block one write task handles: whole stored objects (chunks or shards), about 4 MiB.

    Every task costs the scheduler and zarr a fixed amount of Python work, which holds the GIL; tasks of a
    few stored chunks each spread that over more bytes, while a few of them in flight still hold little
    memory. A unit is never cut inside a stored object, so no two tasks write to the same object. It
    grows over the space axes first, then, once it holds whole planes, over the others (channels, then
    time), so that a small image (a plate's field, say) is one task, not one per channel.

    Examples
    --------
    >>> from xarray_omezarr.geometry.axes import axes_from_dims
    >>> write_units((1, 16, 256, 256), (2, 64, 2048, 2048), "uint16", axes_from_dims("czyx"))
    (1, 16, 256, 512)
    >>> write_units((1, 128, 128), (2, 128, 128), "uint16", axes_from_dims("cyx"))
    (2, 128, 128)
    """
    spatial = _grown(objects, shape, dtype, axes, TARGET_WRITE_UNIT_BYTES)
    space = {i for i, a in enumerate(axes) if a.type == "space"}
    if not space or any(g < n for i, (g, n) in enumerate(zip(spatial, shape, strict=True)) if i in space):
        return spatial
    others = [i for i in range(len(shape)) if i not in space]
    return _grown(spatial, shape, dtype, axes, TARGET_WRITE_UNIT_BYTES, grow=others)


def in_place_units(objects: Sequence[int], shape: Sequence[int], dtype: Any) -> tuple[int, ...] | None:
    """The block one write task hands to zarr from a C-contiguous array in memory, or ``None``.

    Such a block is a view: it costs no memory, so it is as large as a contiguous run of whole stored
    ``objects`` (chunks or shards) allows within :data:`TARGET_IN_PLACE_UNIT_BYTES`. Zarr's work per
    call (indexing, chunk descriptions, the trip through its event loop) is then paid a few times per
    level instead of once per few MiB, and zarrs' pipeline encodes the block where it lies, without
    first copying it to make it contiguous. Trailing axes are taken whole, from the last; ``None``
    when no block of several objects is contiguous within the bound (the caller then cuts
    :func:`write_units`).

    Examples
    --------
    >>> in_place_units((1, 16, 256, 256), (2, 64, 2048, 2048), "uint16")  # 256 MiB
    (1, 32, 2048, 2048)
    >>> in_place_units((1, 16, 256, 256), (2, 64, 8192, 8192), "uint16") is None  # 2 GiB per z-slab
    True
    >>> in_place_units((256, 256), (1000, 1000), "uint8")
    (1000, 1000)
    """
    itemsize = np.dtype(dtype).itemsize
    unit = [int(o) for o in objects]
    for axis in range(len(shape) - 1, -1, -1):
        others = math.prod(unit) // unit[axis]
        fitting = TARGET_IN_PLACE_UNIT_BYTES // (others * itemsize) // unit[axis] * unit[axis]
        if fitting >= shape[axis]:
            unit[axis] = int(shape[axis])  # whole: the next axis out may grow too
            continue
        unit[axis] = max(unit[axis], fitting)
        # contiguous only if every axis before this one is a single index
        if any(u > 1 for u in unit[:axis]) or unit == [int(o) for o in objects]:
            return None
        break
    return tuple(unit)


def read_blocks(
    chunks: Sequence[int], shape: Sequence[int], dtype: Any, axes: Sequence[Axis]
) -> tuple[int, ...]:
    """Blocks of whole chunks, up to 16 MiB, for reading a level back: zarr decodes their chunks in parallel.

    Examples
    --------
    >>> from xarray_omezarr.geometry.axes import axes_from_dims
    >>> read_blocks((1, 256, 256), (3, 8192, 8192), "uint16", axes_from_dims("cyx"))
    (1, 2048, 4096)
    """
    return _grown(chunks, shape, dtype, axes, 4 * TARGET_WRITE_UNIT_BYTES)


def _grown(
    block: Sequence[int],
    shape: Sequence[int],
    dtype: Any,
    axes: Sequence[Axis],
    target: int,
    edge: int | None = None,
    grow: Sequence[int] | None = None,
) -> tuple[int, ...]:
    """``block`` doubled over the space axes in turn (x, y, z) while it stays within ``target`` bytes.

    Never beyond the array rounded up to whole blocks, nor beyond ``edge`` along a space axis. ``grow``
    names other axes to double instead (the last first).
    """
    itemsize = np.dtype(dtype).itemsize
    grown = [int(b) for b in block]
    limit = [-(-int(n) // int(b)) * int(b) for n, b in zip(shape, block, strict=True)]
    space = [i for i, a in enumerate(axes) if a.type == "space"] or list(range(len(shape)))
    if grow is not None:
        space = list(grow)
    if edge is not None:
        limit = [min(n, edge) if i in space else n for i, n in enumerate(limit)]
    grew = True
    while grew:
        grew = False
        for i in reversed(space):
            wanted = min(grown[i] * 2, limit[i])
            wanted -= wanted % block[i]
            if wanted > grown[i] and math.prod(grown) // grown[i] * wanted * itemsize <= target:
                grown[i] = wanted
                grew = True
    return tuple(grown)
