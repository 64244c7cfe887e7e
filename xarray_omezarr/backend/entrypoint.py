"""The ``omezarr`` xarray backend's entry point: ``xr.open_dataset(path, engine="omezarr")`` and friends.

Thin: it opens the store (:mod:`xarray_omezarr.stores`), reads the model (:mod:`xarray_omezarr.read`)
and assembles xarray objects from it (:mod:`.assemble`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import xarray as xr
import zarr
from xarray.backends import BackendEntrypoint

from ..errors import InvalidImageError
from ..read import group_ome, is_ome_zarr_attrs, is_ome_zarr_path, plate_hierarchy
from ..stores import is_ozx, open_readonly_group
from .assemble import add_labels, group_nodes, level_dataset, open_image, plate_dataset, well_dataset

__all__ = ["OmeZarrBackendEntrypoint"]


class OmeZarrBackendEntrypoint(BackendEntrypoint):
    """Open OME-Zarr images with ``engine="omezarr"``.

    ``open_dataset`` gives one pyramid level (``level=0`` by default); ``open_datatree`` gives every level
    as a child node named after its dataset path. ``coordinate_system`` names the output system of an
    OME-NGFF 0.6 image among its ``coordinateSystems`` (by default the first, the physical one); where
    the transformation to it is not axis-aligned, the dims are index dims named after the axes and the
    coordinates ``<axis>_physical`` are lazy and multi-dimensional.
    """

    description = "Open OME-Zarr (OME-NGFF 0.1-0.6) images and .ozx files with physical coordinates"
    supports_groups = True  # so that xr.open_datatree finds this engine without engine=
    url = "https://github.com/xarray-omezarr/xarray-omezarr"
    open_dataset_parameters = (
        "filename_or_obj",
        "drop_variables",
        "level",
        "multiscale",
        "labels",
        "coordinate_system",
        "storage_options",
    )

    def guess_can_open(self, filename_or_obj: Any) -> bool:
        """Claim local OME-Zarr groups, and zipped OME-Zarr (``.ozx``, RFC-9) files and URLs by their
        extension, so plain zarr stores still go to xarray's zarr engine."""
        if isinstance(filename_or_obj, zarr.Group):
            return is_ome_zarr_attrs(dict(filename_or_obj.attrs))
        if not isinstance(filename_or_obj, str | os.PathLike):
            return False
        path = os.fspath(filename_or_obj)
        if is_ozx(path):
            return "://" in path or os.path.isfile(path)
        return "://" not in path and os.path.isdir(path) and is_ome_zarr_path(path)

    def open_dataset(  # type: ignore[override]
        self,
        filename_or_obj: Any,
        *,
        drop_variables: str | Iterable[str] | None = None,
        level: int = 0,
        multiscale: int = 0,
        labels: bool = True,
        coordinate_system: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> xr.Dataset:
        group = open_readonly_group(filename_or_obj, storage_options)
        ome = group_ome(group)
        if "plate" in ome:
            ds = plate_dataset(plate_hierarchy(group), level)
        elif "well" in ome:
            ds = well_dataset(plate_hierarchy(group), level)
        elif "scene" in ome and "multiscales" not in ome:
            raise InvalidImageError(
                "the group holds an OME-NGFF 0.6 scene (several images placed in shared coordinate "
                "systems), not one image: open it with xr.open_datatree, or open one of its images by its path"
            )
        else:
            ds = level_dataset(open_image(group, multiscale, coordinate_system), level)
            if labels:
                ds = add_labels(ds, group, level)
        if drop_variables is not None:
            ds = ds.drop_vars(drop_variables, errors="ignore")
        return ds

    def open_groups_as_dict(  # type: ignore[override]
        self,
        filename_or_obj: Any,
        *,
        drop_variables: str | Iterable[str] | None = None,
        multiscale: int = 0,
        coordinate_system: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> dict[str, xr.Dataset]:
        # every node is read, so its metadata is read at once
        return group_nodes(
            plate_hierarchy(open_readonly_group(filename_or_obj, storage_options)),
            "",
            drop_variables,
            multiscale,
            coordinate_system,
        )

    def open_datatree(  # type: ignore[override]
        self,
        filename_or_obj: Any,
        *,
        drop_variables: str | Iterable[str] | None = None,
        multiscale: int = 0,
        coordinate_system: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> xr.DataTree:
        groups = self.open_groups_as_dict(
            filename_or_obj,
            drop_variables=drop_variables,
            multiscale=multiscale,
            coordinate_system=coordinate_system,
            storage_options=storage_options,
        )
        return xr.DataTree.from_dict(groups)
