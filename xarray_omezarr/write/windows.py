"""Channel windows measured on a written level: the data range of each channel, read back in blocks.

The ``omero`` block's windows need each channel's range; the engine measures it on the smallest level
as stored (a thumbnail's worth of reading for a pyramid), after the data are written.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence

import numpy as np
import zarr

from ..geometry.axes import Axis
from ..scale.chunking import read_blocks

__all__ = ["channel_ranges"]


def channel_ranges(array: zarr.Array, axes: Sequence[Axis]) -> np.ndarray:
    """The finite data range of each channel of a written level, as a ``(channels, 2)`` array.

    Read back block by block (blocks of whole chunks, up to 16 MiB, which zarr decodes in parallel), so
    memory stays bounded whatever the level's size. A channel with no finite value gets NaN.
    """
    channel = next((i for i, a in enumerate(axes) if a.type == "channel"), None)
    count = array.shape[channel] if channel is not None else 1
    lows, highs = np.full(count, np.inf), np.full(count, -np.inf)
    step = read_blocks(array.chunks, array.shape, array.dtype, axes)
    starts = [range(0, n, s) for n, s in zip(array.shape, step, strict=True)]
    for corner in itertools.product(*starts):
        region = tuple(slice(c, c + s) for c, s in zip(corner, step, strict=True))
        block = np.asarray(array[region])
        block = np.moveaxis(block, channel, 0) if channel is not None else block[None]
        if block.dtype.kind == "f":
            block = np.where(np.isfinite(block), block, np.nan)
        over = tuple(range(1, block.ndim))
        first = corner[channel] if channel is not None else 0
        index = slice(first, first + block.shape[0])
        with warnings.catch_warnings():  # a block with no finite value of a channel: NaN, which fmin skips
            warnings.simplefilter("ignore", RuntimeWarning)
            lows[index] = np.fmin(lows[index], np.nanmin(block, axis=over).astype(float))
            highs[index] = np.fmax(highs[index], np.nanmax(block, axis=over).astype(float))
    lows[np.isinf(lows)] = np.nan
    highs[np.isinf(highs)] = np.nan
    return np.stack([lows, highs], axis=1)
