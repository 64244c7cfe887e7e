"""The ``omezarr`` xarray backend: ``xr.open_dataset(path, engine="omezarr")`` and ``open_datatree``.

Data stay lazy behind a :class:`OmeZarrBackendArray`; coordinates are rebuilt from each level's scale
and translation with the same formula the writer used, so writing what was read reproduces the store's
metadata. Channel names from ``omero`` become the channel coordinate.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

import numpy as np
import xarray as xr
import zarr
from xarray.backends import BackendArray, BackendEntrypoint
from xarray.core import indexing

from .format import ome_attributes
from .reader import MultiscaleImage, is_ome_zarr_attrs, open_multiscale, safe_relative_path
from .writer import DEFAULT_NAME

__all__ = ["OmeZarrBackendArray", "OmeZarrBackendEntrypoint", "level_dataset", "open_group"]


class OmeZarrBackendArray(BackendArray):
    """A lazy view of one zarr array; xarray asks it only for the pieces it needs."""

    def __init__(self, array: zarr.Array) -> None:
        self.array = array
        self.shape = tuple(array.shape)
        self.dtype = np.dtype(array.dtype)

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        return indexing.explicit_indexing_adapter(
            key, self.shape, indexing.IndexingSupport.OUTER, self._getitem
        )

    def _getitem(self, key: tuple[Any, ...]) -> np.ndarray:
        return np.asarray(self.array.oindex[key])


def open_group(filename_or_obj: Any, storage_options: dict[str, Any] | None = None) -> zarr.Group:
    """Open the zarr group at a path, URL, store or group, read-only."""
    if isinstance(filename_or_obj, zarr.Group):
        return filename_or_obj
    if isinstance(filename_or_obj, os.PathLike):
        filename_or_obj = os.fspath(filename_or_obj)
    try:
        return zarr.open_group(store=filename_or_obj, mode="r", storage_options=storage_options)
    except (FileNotFoundError, zarr.errors.GroupNotFoundError):
        raise FileNotFoundError(f"no zarr group at {filename_or_obj!r}") from None


def _variable_name(image: MultiscaleImage) -> str:
    name = image.name
    if not name or "/" in name:  # ome-zarr-py names images after their group path, e.g. "/"
        return DEFAULT_NAME
    return name


def level_dataset(image: MultiscaleImage, level: int = 0) -> xr.Dataset:
    """One resolution level of an image as a lazy Dataset with physical coordinates.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> from xarray_omezarr.writer import write_image
    >>> g = zarr.open_group(zarr.storage.MemoryStore())
    >>> _ = write_image(np.zeros((4, 4), "uint8"), g, scale_factors=(2,), method="local_mean", name="cells")
    >>> ds = level_dataset(open_multiscale(g), 1)
    >>> ds["cells"].dims, ds["y"].values
    (('y', 'x'), array([0.5, 2.5]))
    """
    if not -len(image.levels) <= level < len(image.levels):
        raise IndexError(
            f"level {level} requested, but the image has {len(image.levels)} levels (0 to "
            f"{len(image.levels) - 1})"
        )
    ref = image.levels[level]
    dims = tuple(a.name for a in image.axes)
    coords: dict[str, Any] = {}
    labels = image.channel_labels()
    for axis, size, geometry in zip(image.axes, ref.array.shape, ref.geometry, strict=True):
        if axis.type == "channel":
            if labels is not None:
                coords[axis.name] = xr.Variable(axis.name, np.asarray(labels, dtype=object))
            continue
        attrs = {"units": axis.unit} if axis.unit else {}
        coords[axis.name] = xr.Variable(axis.name, geometry.values(size), attrs)
    data = indexing.LazilyIndexedArray(OmeZarrBackendArray(ref.array))
    variable = xr.Variable(dims, data, attrs={"ome": dict(image.ome)})
    variable.encoding = {
        "preferred_chunks": dict(zip(dims, ref.array.chunks, strict=True)),
        "chunks": tuple(ref.array.chunks),
        "dtype": variable.dtype,
    }
    return xr.Dataset({_variable_name(image): variable}, coords=coords, attrs={"ome": dict(image.ome)})


def label_names(group: zarr.Group) -> list[str]:
    """The label images listed in ``group``'s ``labels`` group (checked to stay inside the store)."""
    try:
        labels_group = group["labels"]
    except KeyError:
        return []
    if not isinstance(labels_group, zarr.Group):
        return []
    names = ome_attributes(dict(labels_group.attrs)).get("labels") or []
    return [safe_relative_path(n, "label") for n in names if isinstance(n, str)]


def _label_variable_name(label: str, taken: set[str]) -> str:
    # a label named like the image (or like an axis) gets a suffix, so neither hides the other
    return label if label not in taken else f"{label}_label"


def add_labels(ds: xr.Dataset, group: zarr.Group, level: int) -> xr.Dataset:
    """Add each label image at ``level`` as a data variable on the image's coordinates.

    A label whose level does not lie on the image's level (written by a tool with another geometry) is
    left out with a warning; ``open_datatree`` shows it with its own coordinates.
    """
    import warnings

    for name in label_names(group):
        try:
            node = group[f"labels/{name}"]
            if not isinstance(node, zarr.Group):
                raise ValueError("it is not a group")
            label = open_multiscale(node)
        except (KeyError, ValueError) as error:
            warnings.warn(f"label image {name!r} is listed but cannot be read: {error}", stacklevel=3)
            continue
        if not -len(label.levels) <= level < len(label.levels):
            warnings.warn(f"label image {name!r} has no level {level}; it is left out", stacklevel=3)
            continue
        label_ds = level_dataset(label, level)
        array = next(iter(label_ds.data_vars.values()))
        aligned = all(
            d in ds.coords
            and ds.sizes[d] == array.sizes[d]
            and np.allclose(ds[d].values, array[d].values, rtol=1e-9, atol=1e-12)
            for d in array.dims
        )
        if not aligned:
            warnings.warn(
                f"label image {name!r} does not lie on the image's pixels at level {level}; it is left out "
                "(xr.open_datatree shows it with its own coordinates)",
                stacklevel=3,
            )
            continue
        array = array.drop_vars([c for c in array.coords if c in ds.coords]).assign_coords(
            {d: ds[d] for d in array.dims}
        )
        ome = dict(label.ome)
        array.attrs = {"ome": ome, "image-label": ome.get("image-label", {})}
        ds[_label_variable_name(name, {str(v) for v in ds.variables})] = array
    return ds


def _is_ome_zarr_path(path: str) -> bool:
    for name in ("zarr.json", ".zattrs"):
        try:
            with open(os.path.join(path, name), encoding="utf-8") as f:
                attrs = json.load(f)
        except (OSError, ValueError):
            continue
        if name == "zarr.json":
            if attrs.get("node_type") != "group":
                return False
            attrs = attrs.get("attributes", {})
        if isinstance(attrs, dict) and is_ome_zarr_attrs(attrs):
            return True
    return False


def _image_nodes(
    image: MultiscaleImage, prefix: str, drop_variables: str | Iterable[str] | None
) -> dict[str, xr.Dataset]:
    """Tree nodes of one multiscale image: its group (with the OME metadata) and one node per level."""
    nodes = {prefix or "/": xr.Dataset(attrs={"ome": dict(image.ome)})}
    for index, ref in enumerate(image.levels):
        ds = level_dataset(image, index)
        ds.attrs = {}
        for variable in ds.data_vars.values():
            variable.attrs = {}
        if drop_variables is not None:
            ds = ds.drop_vars(drop_variables, errors="ignore")
        nodes[f"{prefix}/{ref.path}"] = ds
    return nodes


class OmeZarrBackendEntrypoint(BackendEntrypoint):
    """Open OME-Zarr images with ``engine="omezarr"``.

    ``open_dataset`` gives one pyramid level (``level=0`` by default); ``open_datatree`` gives every level
    as a child node named after its dataset path.
    """

    description = "Open OME-Zarr (OME-NGFF 0.1-0.5) images with physical coordinates"
    url = "https://github.com/xarray-omezarr/xarray-omezarr"
    open_dataset_parameters = (
        "filename_or_obj",
        "drop_variables",
        "level",
        "multiscale",
        "labels",
        "storage_options",
    )

    def guess_can_open(self, filename_or_obj: Any) -> bool:
        """Claim local OME-Zarr groups only, so plain zarr stores still go to xarray's zarr engine."""
        if isinstance(filename_or_obj, zarr.Group):
            return is_ome_zarr_attrs(dict(filename_or_obj.attrs))
        if not isinstance(filename_or_obj, str | os.PathLike):
            return False
        path = os.fspath(filename_or_obj)
        return "://" not in path and os.path.isdir(path) and _is_ome_zarr_path(path)

    def open_dataset(  # type: ignore[override]
        self,
        filename_or_obj: Any,
        *,
        drop_variables: str | Iterable[str] | None = None,
        level: int = 0,
        multiscale: int = 0,
        labels: bool = True,
        storage_options: dict[str, Any] | None = None,
    ) -> xr.Dataset:
        group = open_group(filename_or_obj, storage_options)
        image = open_multiscale(group, multiscale)
        ds = level_dataset(image, level)
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
        storage_options: dict[str, Any] | None = None,
    ) -> dict[str, xr.Dataset]:
        group = open_group(filename_or_obj, storage_options)
        groups = _image_nodes(open_multiscale(group, multiscale), "", drop_variables)
        names = label_names(group)
        if names:
            groups["/labels"] = xr.Dataset(attrs={"ome": ome_attributes(dict(group["labels"].attrs))})
        for name in names:
            label_group = group[f"labels/{name}"]
            if isinstance(label_group, zarr.Group):
                groups.update(_image_nodes(open_multiscale(label_group), f"/labels/{name}", drop_variables))
        return groups

    def open_datatree(  # type: ignore[override]
        self,
        filename_or_obj: Any,
        *,
        drop_variables: str | Iterable[str] | None = None,
        multiscale: int = 0,
        storage_options: dict[str, Any] | None = None,
    ) -> xr.DataTree:
        groups = self.open_groups_as_dict(
            filename_or_obj,
            drop_variables=drop_variables,
            multiscale=multiscale,
            storage_options=storage_options,
        )
        return xr.DataTree.from_dict(groups)
