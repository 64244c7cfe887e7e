"""Lazy arrays behind the backend's variables: one zarr array, or the equal fields of a plate stacked.

xarray asks them only for the pieces it needs (outer indexing), so nothing is read until then.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import zarr
from xarray.backends import BackendArray
from xarray.core import indexing

from ..config import pipelined

__all__ = ["OmeZarrBackendArray", "StackedFieldsArray"]


class OmeZarrBackendArray(BackendArray):
    """A lazy view of one zarr array; xarray asks it only for the pieces it needs."""

    def __init__(self, array: zarr.Array) -> None:
        self.stored = array
        self.shape = tuple(array.shape)
        self.dtype = np.dtype(array.dtype)

    @functools.cached_property
    def array(self) -> zarr.Array:
        """The array reading through the chosen codec pipeline, made on the first read: opening a plate
        makes thousands of these, most of which are never read."""
        return pipelined(self.stored, writing=False)

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        return indexing.explicit_indexing_adapter(
            key, self.shape, indexing.IndexingSupport.OUTER, self._getitem
        )

    def _getitem(self, key: tuple[Any, ...]) -> np.ndarray:
        if all(isinstance(k, slice | int) for k in key):  # zarr's basic selection: its fastest path
            return np.asarray(self.array[key])
        return np.asarray(self.array.oindex[key])


class StackedFieldsArray(BackendArray):
    """Field images of equal shape seen as one lazy array: leading dims pick the field (gaps are filled)."""

    def __init__(
        self, fields: Mapping[tuple[int, ...], zarr.Array], outer_shape: tuple[int, ...], first: zarr.Array
    ) -> None:
        self.fields = {key: pipelined(field, writing=False) for key, field in fields.items()}
        self.outer_shape = outer_shape
        self.shape = (*outer_shape, *first.shape)
        self.dtype = np.dtype(first.dtype)
        self.fill = np.nan if self.dtype.kind == "f" else 0

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        return indexing.explicit_indexing_adapter(
            key, self.shape, indexing.IndexingSupport.OUTER, self._getitem
        )

    def _getitem(self, key: tuple[Any, ...]) -> np.ndarray:
        outer, inner = key[: len(self.outer_shape)], key[len(self.outer_shape) :]
        picked = [np.arange(n)[k] for k, n in zip(outer, self.outer_shape, strict=True)]
        kept = [np.ndim(p) > 0 for p in picked]
        indices = [np.atleast_1d(p) for p in picked]
        inner_shape: tuple[int, ...] | None = None
        out: np.ndarray | None = None
        for position in itertools.product(*[range(len(i)) for i in indices]):
            field = self.fields.get(tuple(int(i[p]) for i, p in zip(indices, position, strict=True)))
            if field is None:
                continue
            values = np.asarray(field.oindex[inner])
            if out is None:
                inner_shape = values.shape
                out = np.full((*[len(i) for i in indices], *inner_shape), self.fill, dtype=self.dtype)
            out[position] = values
        if out is None:  # only gaps selected: read nothing, shape from any field
            probe = np.asarray(next(iter(self.fields.values())).oindex[inner])
            out = np.full((*[len(i) for i in indices], *probe.shape), self.fill, dtype=self.dtype)
        return out[tuple(slice(None) if k else 0 for k in kept)]
