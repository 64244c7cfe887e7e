"""The ``omezarr`` xarray backend: ``xr.open_dataset(path, engine="omezarr")`` and ``open_datatree``.

Data stay lazy behind a :class:`OmeZarrBackendArray`; coordinates are rebuilt from each level's scale
and translation with the same formula the writer used, so writing what was read reproduces the store's
metadata. Channel names from ``omero`` become the channel coordinate.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
import zarr
from xarray.backends import BackendArray, BackendEntrypoint
from xarray.core import indexing

from .format import ome_attributes
from .image import DEFAULT_NAME
from .reader import (
    MultiscaleImage,
    is_ome_zarr_attrs,
    open_multiscale,
    open_plate,
    safe_relative_path,
    well_fields,
)
from .stores import is_obstore

__all__ = [
    "OmeZarrBackendArray",
    "OmeZarrBackendEntrypoint",
    "group_nodes",
    "level_dataset",
    "open_group",
    "plate_dataset",
    "well_dataset",
]


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
    """Open the zarr group at a path, URL, zarr store, obstore store or group, read-only."""
    if isinstance(filename_or_obj, zarr.Group):
        return filename_or_obj
    if isinstance(filename_or_obj, os.PathLike):
        filename_or_obj = os.fspath(filename_or_obj)
    if is_obstore(filename_or_obj):
        filename_or_obj = zarr.storage.ObjectStore(filename_or_obj, read_only=True)
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


def _child(group: zarr.Group, path: str) -> zarr.Group:
    node = group[path]
    if not isinstance(node, zarr.Group):
        raise ValueError(f"{path!r} is listed in the metadata but is not a group")
    return node


def group_nodes(
    group: zarr.Group, prefix: str, drop_variables: str | Iterable[str] | None = None, multiscale: int = 0
) -> dict[str, xr.Dataset]:
    """Tree nodes of an image (levels and labels), a well (its fields) or a plate (rows, wells, fields)."""
    ome = ome_attributes(dict(group.attrs))
    if "plate" in ome:
        plate = open_plate(group)
        nodes = {prefix or "/": xr.Dataset(attrs={"ome": dict(plate.ome)})}
        for well in plate.wells:
            nodes.setdefault(f"{prefix}/{well.row}", xr.Dataset())
            nodes.update(group_nodes(_child(group, well.path), f"{prefix}/{well.path}", drop_variables))
        return nodes
    if "well" in ome:
        nodes = {prefix or "/": xr.Dataset(attrs={"ome": dict(ome)})}
        for field in well_fields(group):
            nodes.update(group_nodes(_child(group, field), f"{prefix}/{field}", drop_variables))
        return nodes
    nodes = _image_nodes(open_multiscale(group, multiscale), prefix, drop_variables)
    names = label_names(group)
    if names:
        nodes[f"{prefix}/labels"] = xr.Dataset(attrs={"ome": ome_attributes(dict(group["labels"].attrs))})
    for name in names:
        nodes.update(
            _image_nodes(
                open_multiscale(_child(group, f"labels/{name}")), f"{prefix}/labels/{name}", drop_variables
            )
        )
    return nodes


class StackedFieldsArray(BackendArray):
    """Field images of equal shape seen as one lazy array: leading dims pick the field (gaps are filled)."""

    def __init__(
        self, fields: Mapping[tuple[int, ...], zarr.Array], outer_shape: tuple[int, ...], first: zarr.Array
    ) -> None:
        self.fields = dict(fields)
        self.outer_shape = outer_shape
        self.shape = (*outer_shape, *first.shape)
        self.dtype = np.dtype(first.dtype)
        self.fill = np.nan if self.dtype.kind == "f" else 0

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        return indexing.explicit_indexing_adapter(
            key, self.shape, indexing.IndexingSupport.OUTER, self._getitem
        )

    def _getitem(self, key: tuple[Any, ...]) -> np.ndarray:
        import itertools

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


def stacked_fields(
    fields: Mapping[tuple[int, ...], zarr.Group],
    dims: Sequence[str],
    index: Sequence[Sequence[Any]],
    level: int,
) -> xr.DataArray:
    """Stack field images into one lazy array over ``dims`` (e.g. row, column, field); gaps are filled.

    Every field must share its shape, dtype and coordinates; otherwise the error points to
    ``open_datatree``, which keeps each field as it is.
    """
    images = {key: open_multiscale(group) for key, group in fields.items()}
    arrays = {key: level_dataset(image, level) for key, image in images.items()}
    first_key, first_image = next(iter(images.items()))
    first = arrays[first_key]
    for key, ds in arrays.items():
        a, b = ds[_variable_name(images[key])], first[_variable_name(first_image)]
        same = (
            a.shape == b.shape
            and a.dtype == b.dtype
            and all(np.array_equal(ds[d].values, first[d].values) for d in b.dims if d in b.coords)
        )
        if not same:
            where = "/".join(str(index[i][k]) for i, k in enumerate(key))
            origin = "/".join(str(index[i][k]) for i, k in enumerate(first_key))
            raise ValueError(
                f"field {where} differs from field {origin} in shape, dtype or coordinates, so the fields "
                "cannot be stacked into one array; open the store with xr.open_datatree(path, "
                "engine='omezarr') to get every field as it is"
            )
    zarr_arrays = {key: images[key].levels[level].array for key in images}
    reference = zarr_arrays[first_key]
    outer_shape = tuple(len(values) for values in index)
    name = _variable_name(first_image)
    image_dims = first[name].dims
    data = indexing.LazilyIndexedArray(StackedFieldsArray(zarr_arrays, outer_shape, reference))
    variable = xr.Variable((*dims, *image_dims), data)
    variable.encoding = {
        "preferred_chunks": dict(zip(dims, (1,) * len(dims), strict=True))
        | dict(zip(image_dims, reference.chunks, strict=True))
    }
    coords: dict[str, Any] = {d: list(values) for d, values in zip(dims, index, strict=True)}
    coords.update({str(d): first[d] for d in first.coords})
    stacked = xr.DataArray(variable, coords=coords, name=name)
    stacked.encoding = variable.encoding  # the DataArray constructor does not carry it over
    return stacked


def plate_dataset(group: zarr.Group, level: int) -> xr.Dataset:
    """A plate whose fields share a shape, as one lazy array with dims row, column, field + image dims."""
    plate = open_plate(group)
    fields: dict[tuple[int, ...], zarr.Group] = {}
    field_count = 0
    for well in plate.wells:
        paths = well_fields(_child(group, well.path))
        field_count = max(field_count, len(paths))
        for number, path in enumerate(paths):
            key = (plate.rows.index(well.row), plate.columns.index(well.column), number)
            fields[key] = _child(group, f"{well.path}/{path}")
    if not fields:
        raise ValueError("the plate has no fields")
    index: list[list[Any]] = [list(plate.rows), list(plate.columns), list(range(field_count))]
    stacked = stacked_fields(fields, ("row", "column", "field"), index, level)
    return xr.Dataset({stacked.name: stacked}, attrs={"ome": dict(plate.ome)})


def well_dataset(group: zarr.Group, level: int) -> xr.Dataset:
    """A well whose fields share a shape, as one lazy array with dims field + image dims."""
    paths = well_fields(group)
    fields: dict[tuple[int, ...], zarr.Group] = {(n,): _child(group, path) for n, path in enumerate(paths)}
    stacked = stacked_fields(fields, ("field",), [list(range(len(paths)))], level)
    return xr.Dataset({stacked.name: stacked}, attrs={"ome": ome_attributes(dict(group.attrs))})


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
        ome = ome_attributes(dict(group.attrs))
        if "plate" in ome:
            ds = plate_dataset(group, level)
        elif "well" in ome:
            ds = well_dataset(group, level)
        else:
            ds = level_dataset(open_multiscale(group, multiscale), level)
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
        return group_nodes(open_group(filename_or_obj, storage_options), "", drop_variables, multiscale)

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
