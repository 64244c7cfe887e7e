"""The ``.omezarr`` accessor on DataArray and Dataset: thin, every method forwards to :mod:`.api`."""

from __future__ import annotations

from typing import Any

import xarray as xr

from . import api


@xr.register_dataarray_accessor("omezarr")
class OmeZarrDataArrayAccessor:
    """OME-Zarr methods for a DataArray: ``da.omezarr.to_zarr(...)``, ``da.omezarr.pyramid(...)``."""

    def __init__(self, obj: xr.DataArray) -> None:
        self._obj = obj

    def to_zarr(self, store: Any, **kwargs: Any) -> list[Any]:
        """Write as an OME-Zarr image; see :func:`xarray_omezarr.api.to_zarr`."""
        return api.to_zarr(self._obj, store, **kwargs)

    def pyramid(self, **kwargs: Any) -> xr.DataTree:
        """The multiscale pyramid with true coordinates; see :func:`xarray_omezarr.api.pyramid`."""
        return api.pyramid(self._obj, **kwargs)

    def to_zarr_label(self, store: Any, name: str, **kwargs: Any) -> list[Any]:
        """Add this label image to an existing image; see :func:`xarray_omezarr.labels.to_zarr_label`."""
        return api.to_zarr_label(self._obj, store, name, **kwargs)


@xr.register_dataset_accessor("omezarr")
class OmeZarrDatasetAccessor:
    """OME-Zarr methods for a Dataset, acting on its image variable."""

    def __init__(self, obj: xr.Dataset) -> None:
        self._obj = obj

    def to_zarr(self, store: Any, **kwargs: Any) -> list[Any]:
        """Write the image variable as an OME-Zarr image; see :func:`xarray_omezarr.api.to_zarr`."""
        return api.to_zarr(self._obj, store, **kwargs)

    def pyramid(self, name: str | None = None, **kwargs: Any) -> xr.DataTree:
        """The pyramid of the image variable; see :func:`xarray_omezarr.api.pyramid`."""
        return api.pyramid(api.image_variable(self._obj, name), **kwargs)
