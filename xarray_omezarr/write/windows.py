"""Channel windows measured on a written level: the data range of each channel, read back in blocks.

The ``omero`` block's windows need each channel's range; the engine measures it on the smallest level
as stored (a thumbnail's worth of reading for a pyramid), after the data are written.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import zarr

from ..geometry.axes import Axis
from ..scale.chunking import read_blocks

__all__ = ["MEASURED_WHOLE_BYTES", "READ_BACK_BYTES", "channel_ranges", "lazy_channel_ranges"]


READ_BACK_BYTES = 64 * 2**20
"""Up to this size a smallest level's channel ranges are read back once written; above it (an image
written with few or no extra levels) they are measured on its blocks as they are written."""

MEASURED_WHOLE_BYTES = 16 * 2**20
"""Up to this size a level measured as it is written is measured whole, in one task: a small field of a
plate then adds one task to the write, not one per block."""


def channel_ranges(array: zarr.Array, axes: Sequence[Axis]) -> np.ndarray:
    """The finite data range of each channel of a written level, as a ``(channels, 2)`` array.

    Read back block by block (blocks of whole chunks, up to 16 MiB, which zarr decodes in parallel), so
    memory stays bounded whatever the level's size. A channel with no finite value gets NaN.
    """
    channel = _channel_axis(axes)
    count = array.shape[channel] if channel is not None else 1
    step = read_blocks(array.chunks, array.shape, array.dtype, axes)
    starts = [range(0, n, s) for n, s in zip(array.shape, step, strict=True)]
    parts = []
    for corner in itertools.product(*starts):
        region = tuple(slice(c, c + s) for c, s in zip(corner, step, strict=True))
        parts.append(_block_ranges(np.asarray(array[region]), channel, corner))
    return _combined(parts, count)


def lazy_channel_ranges(level: Any, axes: Sequence[Axis], dtype: Any) -> Any:
    """The ranges :func:`channel_ranges` would read back from ``level`` (a dask array written as
    ``dtype``), as a delayed value measured on its blocks, which the write computes anyway.

    Examples
    --------
    >>> import dask.array as da
    >>> from xarray_omezarr.geometry.axes import axes_from_dims
    >>> level = da.from_array(np.arange(8, dtype="uint8").reshape(2, 4), chunks=(1, 2))
    >>> lazy_channel_ranges(level, axes_from_dims("cx"), "uint8").compute()
    array([[0., 3.],
           [4., 7.]])
    """
    import dask

    channel = _channel_axis(axes)
    count = level.shape[channel] if channel is not None else 1
    if level.nbytes <= MEASURED_WHOLE_BYTES:  # dask hands the task the level whole
        whole = dask.delayed(_block_ranges, pure=True)(level, channel, (0,) * level.ndim, dtype)
        return dask.delayed(_combined, pure=True)([whole], count)
    starts = [np.cumsum((0, *c[:-1])) for c in level.chunks]
    parts = [
        dask.delayed(_block_ranges, pure=True)(
            block, channel, tuple(int(s[i]) for s, i in zip(starts, index, strict=True)), dtype
        )
        for index, block in np.ndenumerate(level.to_delayed())
    ]
    return dask.delayed(_combined, pure=True)(parts, count)


def _channel_axis(axes: Sequence[Axis]) -> int | None:
    return next((i for i, a in enumerate(axes) if a.type == "channel"), None)


def _block_ranges(
    block: np.ndarray, channel: int | None, corner: Sequence[int], dtype: Any = None
) -> tuple[int, np.ndarray, np.ndarray]:
    """The first channel of a block at ``corner``, and each of its channels' finite minimum and maximum
    (as stored, in ``dtype``)."""
    block = np.asarray(block) if dtype is None else np.asarray(block).astype(dtype, copy=False)
    block = np.moveaxis(block, channel, 0) if channel is not None else block[None]
    if block.dtype.kind == "f":
        block = np.where(np.isfinite(block), block, np.nan)
    over = tuple(range(1, block.ndim))
    with warnings.catch_warnings():  # a block with no finite value of a channel: NaN, which fmin skips
        warnings.simplefilter("ignore", RuntimeWarning)
        lows = np.nanmin(block, axis=over).astype(float)
        highs = np.nanmax(block, axis=over).astype(float)
    return (corner[channel] if channel is not None else 0), lows, highs


def _combined(parts: Sequence[tuple[int, np.ndarray, np.ndarray]], count: int) -> np.ndarray:
    lows, highs = np.full(count, np.inf), np.full(count, -np.inf)
    for first, low, high in parts:
        index = slice(first, first + len(low))
        lows[index] = np.fmin(lows[index], low)
        highs[index] = np.fmax(highs[index], high)
    lows[np.isinf(lows)] = np.nan
    highs[np.isinf(highs)] = np.nan
    return np.stack([lows, highs], axis=1)
