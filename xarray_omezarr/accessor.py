"""The ``.omezarr`` accessor on DataArray, Dataset and DataTree: explicit signatures, each method forwards to :mod:`.api`.

The parameters are spelled out (not ``**kwargs``) so that ``help(da.omezarr.to_zarr)`` and editors show
them; what they mean is documented once, on the functions in :mod:`xarray_omezarr.api`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import xarray as xr

from . import api
from .api import DEFAULT_SCALE_FACTORS, Format, Methods, ScaleFactors, StorageOptions, StoreLike, WriteMode

__all__ = ["OmeZarrDataArrayAccessor", "OmeZarrDataTreeAccessor", "OmeZarrDatasetAccessor"]

T = TypeVar("T", xr.DataArray, xr.Dataset)


class _OmeZarrAccessor(Generic[T]):
    """What DataArray and Dataset share: writing as an OME-Zarr image."""

    def __init__(self, obj: T) -> None:
        self._obj: T = obj

    def _repr_html_(self) -> str:
        """The notebook view: planned levels, channels, labels and a thumbnail (see :mod:`.view`)."""
        from .view import view_html

        return view_html(self._obj)

    def to_zarr(
        self,
        store: StoreLike,
        *,
        scale_factors: ScaleFactors | str = DEFAULT_SCALE_FACTORS,
        method: Methods | str = Methods.RESIZE,
        version: Format | str = "0.5",
        mode: WriteMode | None = None,
        append_dim: str | None = None,
        region: str | Mapping[str, slice] | None = None,
        storage_options: StorageOptions = None,
        name: str | None = None,
        compute: bool = True,
        axis_types: Mapping[str, str | None] | None = None,
        labels: Mapping[str, xr.DataArray] | None = None,
        label_metadata: Mapping[str, Mapping[str, Any]] | None = None,
        progress: bool = False,
        filesystem_options: Mapping[str, Any] | None = None,
        resume: bool = False,
        independent: bool = False,
    ) -> list[Any]:
        """Write as an OME-Zarr image with a multiscale pyramid (and labels, or as a plate).

        See :func:`xarray_omezarr.to_zarr` for the parameters. For a Dataset, ``name`` picks the image
        variable (by default its only variable that is not a label image).

        Examples
        --------
        >>> import numpy as np, xarray as xr, zarr
        >>> da = xr.DataArray(np.zeros((32, 32), "uint8"), dims=("y", "x"))
        >>> da.omezarr.to_zarr(zarr.storage.MemoryStore(), scale_factors=(2,))
        []
        """
        return api.to_zarr(
            self._obj,
            store,
            scale_factors=scale_factors,
            method=method,
            version=version,
            mode=mode,
            append_dim=append_dim,
            region=region,
            storage_options=storage_options,
            name=name,
            compute=compute,
            axis_types=axis_types,
            labels=labels,
            label_metadata=label_metadata,
            progress=progress,
            filesystem_options=filesystem_options,
            resume=resume,
            independent=independent,
        )


@xr.register_dataarray_accessor("omezarr")
class OmeZarrDataArrayAccessor(_OmeZarrAccessor[xr.DataArray]):
    """OME-Zarr methods for a DataArray: ``da.omezarr.to_zarr(...)``, ``da.omezarr.pyramid(...)``."""

    def pyramid(
        self,
        *,
        scale_factors: ScaleFactors | str = DEFAULT_SCALE_FACTORS,
        method: Methods | str = Methods.RESIZE,
        axis_types: Mapping[str, str | None] | None = None,
    ) -> xr.DataTree:
        """The multiscale pyramid with true coordinates; see :func:`xarray_omezarr.pyramid`.

        Examples
        --------
        >>> import numpy as np, xarray as xr
        >>> da = xr.DataArray(np.arange(16.0).reshape(4, 4), dims=("y", "x"), name="img")
        >>> da.omezarr.pyramid(scale_factors=(2,), method="local_mean")["1"]["img"].shape
        (2, 2)
        """
        return api.pyramid(self._obj, scale_factors=scale_factors, method=method, axis_types=axis_types)

    def to_zarr_label(
        self,
        store: StoreLike,
        name: str,
        *,
        method: Methods | str | None = None,
        colors: list[dict[str, Any]] | None = None,
        properties: list[dict[str, Any]] | None = None,
        mode: WriteMode = "w-",
        storage_options: StorageOptions = None,
        compute: bool = True,
        cast: bool = False,
        progress: bool = False,
        filesystem_options: Mapping[str, Any] | None = None,
    ) -> list[Any]:
        """Add this label image to an existing image; see :func:`xarray_omezarr.to_zarr_label`."""
        return api.to_zarr_label(
            self._obj,
            store,
            name,
            method=method,
            colors=colors,
            properties=properties,
            mode=mode,
            storage_options=storage_options,
            compute=compute,
            cast=cast,
            progress=progress,
            filesystem_options=filesystem_options,
        )


@xr.register_dataset_accessor("omezarr")
class OmeZarrDatasetAccessor(_OmeZarrAccessor[xr.Dataset]):
    """OME-Zarr methods for a Dataset, acting on its image variable (and writing its label variables)."""

    def pyramid(
        self,
        name: str | None = None,
        *,
        scale_factors: ScaleFactors | str = DEFAULT_SCALE_FACTORS,
        method: Methods | str = Methods.RESIZE,
        axis_types: Mapping[str, str | None] | None = None,
    ) -> xr.DataTree:
        """The pyramid of the image variable ``name``; see :func:`xarray_omezarr.pyramid`."""
        return api.pyramid(
            api.image_variable(self._obj, name),
            scale_factors=scale_factors,
            method=method,
            axis_types=axis_types,
        )


@xr.register_datatree_accessor("omezarr")
class OmeZarrDataTreeAccessor:
    """OME-Zarr methods for a DataTree read by the ``omezarr`` engine: ``tree.omezarr.to_zarr(...)``."""

    def __init__(self, obj: xr.DataTree) -> None:
        self._obj = obj

    def _repr_html_(self) -> str:
        """The notebook view: the tree's levels, channels, labels and a thumbnail (see :mod:`.view`)."""
        from .view import view_html

        return view_html(self._obj)

    def to_zarr(
        self,
        store: StoreLike,
        *,
        version: Format | str | None = None,
        mode: WriteMode = "w-",
        compute: bool = True,
        progress: bool = False,
        filesystem_options: Mapping[str, Any] | None = None,
    ) -> list[Any]:
        """Write the tree's image, levels and labels back as they are; see :func:`xarray_omezarr.api.tree_to_zarr`."""
        return api.tree_to_zarr(
            self._obj,
            store,
            version=version,
            mode=mode,
            compute=compute,
            progress=progress,
            filesystem_options=filesystem_options,
        )
