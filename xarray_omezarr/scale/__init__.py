"""Multiscale pyramids: downsampling methods, the levels they give, and chunk shapes.

Pure (no store is touched): :mod:`.methods` computes smaller arrays and says where their pixels are,
:mod:`.levels` turns ``scale_factors`` into levels with their geometry, and :mod:`.chunking` chooses
chunk, shard and task block shapes. ``xarray_omezarr.scale.downsample`` is the function the written
metadata names as the one that computed the levels.
"""

from __future__ import annotations

from .methods import LABEL_METHODS, Method, Methods, check_label_method, downsample, get_method

__all__ = ["LABEL_METHODS", "Method", "Methods", "check_label_method", "downsample", "get_method"]
