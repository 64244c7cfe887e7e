"""The ``omezarr`` xarray backend: a thin entry point, lazy arrays, and assembly of xarray objects.

Registered through the ``xarray.backends`` entry point as ``xarray_omezarr.backend:OmeZarrBackendEntrypoint``.
"""

from __future__ import annotations

from .arrays import OmeZarrBackendArray, StackedFieldsArray
from .entrypoint import OmeZarrBackendEntrypoint

__all__ = ["OmeZarrBackendArray", "OmeZarrBackendEntrypoint", "StackedFieldsArray"]
