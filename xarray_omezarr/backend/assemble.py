"""Model to xarray: one level as a lazy Dataset with physical coordinates, and trees of images, labels,
wells and plates.

Coordinates are rebuilt from each level's geometry (the dataset transforms followed by the
multiscale's), with the same formula the writer used, so writing what was read reproduces the store's
metadata. Channel names from ``omero`` become the channel coordinate.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import xarray as xr
import zarr
from xarray.core import indexing

from ..coordinate_systems import in_scene_system, read_transformation_graph
from ..describe import DEFAULT_NAME
from ..model import Level, Multiscale
from ..ngff.v06 import system_axes
from ..read import (
    child_group,
    group_ome,
    label_names,
    level_arrays,
    read_multiscale,
    read_plate,
    read_well,
    scene_paths,
)
from .arrays import OmeZarrBackendArray, StackedFieldsArray
from .lazy_coordinates import level_transformation, physical_coordinates

__all__ = [
    "ImageNode",
    "add_labels",
    "group_nodes",
    "level_dataset",
    "open_image",
    "plate_dataset",
    "well_dataset",
]


@dataclass(frozen=True)
class ImageNode:
    """A multiscale image as read: its group, its model and the group's OME metadata."""

    group: zarr.Group
    image: Multiscale
    arrays: tuple[zarr.Array, ...]
    ome: Mapping[str, Any] = field(default_factory=dict)

    @property
    def axes(self) -> Any:
        return self.image.axes

    @property
    def levels(self) -> tuple[Level, ...]:
        return self.image.levels

    @property
    def name(self) -> str | None:
        return self.image.name

    def channel_labels(self) -> list[str] | None:
        return self.image.channel_labels()

    def array(self, level: int) -> zarr.Array:
        """The zarr array of ``level``."""
        return self.arrays[level]


def open_image(group: zarr.Group, index: int = 0, coordinate_system: str | None = None) -> ImageNode:
    """Read multiscale ``index`` of ``group`` (in ``coordinate_system``, a 0.6 system's name) with what
    the backend needs beside the model."""
    arrays = level_arrays(group, index)
    return ImageNode(
        group, read_multiscale(group, index, coordinate_system, arrays), arrays, group_ome(group)
    )


def _field_paths(group: zarr.Group) -> list[str]:
    return [f.path for f in read_well(group).fields]


def _variable_name(image: ImageNode) -> str:
    name = image.name
    if not name or "/" in name:  # ome-zarr-py names images after their group path, e.g. "/"
        return DEFAULT_NAME
    return name


@functools.lru_cache(maxsize=256)
def _axis_coordinates(
    axes: tuple[Any, ...],
    shape: tuple[int, ...],
    geometry: tuple[Any, ...],
    labels: tuple[str, ...] | None,
    lazy: bool,
) -> xr.Coordinates:
    """A level's 1-D coordinates (with their indexes), made once for all the fields of a plate that
    share them: a plate's thousands of levels would otherwise build the same indexes again and
    again. The channel names are the channel axis's; ``lazy`` levels (not axis-aligned) keep only
    those, their space coordinates come from their transformation."""
    coords: dict[str, xr.Variable] = {}
    for axis, size, along in zip(axes, shape, geometry, strict=True):
        if axis.type == "channel":
            if labels is not None:
                coords[axis.name] = xr.Variable(axis.name, np.asarray(labels, dtype=object))
        elif not lazy:
            coords[axis.name] = xr.Variable(axis.name, along.values(size), axis.coordinate_attrs())
    return xr.Coordinates(coords)


def level_dataset(image: ImageNode, level: int = 0) -> xr.Dataset:
    """One resolution level of an image as a lazy Dataset with physical coordinates.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> from xarray_omezarr.writer import write_image
    >>> g = zarr.open_group(zarr.storage.MemoryStore())
    >>> _ = write_image(np.zeros((4, 4), "uint8"), g, scale_factors=(2,), method="local_mean", name="cells")
    >>> ds = level_dataset(open_image(g), 1)
    >>> ds["cells"].dims, ds["y"].values
    (('y', 'x'), array([0.5, 2.5]))
    """
    if not -len(image.levels) <= level < len(image.levels):
        raise IndexError(
            f"level {level} requested, but the image has {len(image.levels)} levels (0 to "
            f"{len(image.levels) - 1})"
        )
    ref, array = image.levels[level], image.array(level)
    dims = tuple(a.name for a in image.axes)
    labels = image.channel_labels()
    lazy = None
    if ref.transformation is not None:
        lazy = physical_coordinates(level_transformation(ref), image.axes, array.shape)
    coords = _axis_coordinates(
        tuple(image.axes),
        tuple(array.shape),
        tuple(ref.geometry),
        None if labels is None else tuple(labels),
        lazy is not None,
    )
    data = indexing.LazilyIndexedArray(OmeZarrBackendArray(array))
    variable = xr.Variable(dims, data, attrs={"ome": dict(image.ome)})
    # what the store holds, so that writing what was read (a DataTree's to_zarr) stores it alike
    variable.encoding = {
        "preferred_chunks": dict(zip(dims, array.chunks, strict=True)),
        "chunks": tuple(array.chunks),
        "shards": array.shards,
        "compressors": array.compressors,
        "dtype": variable.dtype,
    }
    if image.image.coordinate_system is not None:
        variable.encoding["coordinate_system"] = image.image.coordinate_system
    ds = xr.Dataset({_variable_name(image): variable}, coords=coords, attrs={"ome": dict(image.ome)})
    return ds if lazy is None else ds.assign_coords(lazy)


def _label_variable_name(label: str, taken: set[str]) -> str:
    # a label named like the image (or like an axis) gets a suffix, so neither hides the other
    return label if label not in taken else f"{label}_label"


def _same_lazy_grid(ds: xr.Dataset, label_ds: xr.Dataset, array: xr.DataArray) -> bool:
    """Whether a label's lazy coordinates (a non-axis-aligned image's) are exactly the image's."""
    lazy = [c for c in array.coords if array[c].ndim > 1]
    return (
        bool(lazy)
        and all(ds.sizes.get(d) == n for d, n in array.sizes.items())
        and all(c in ds.xindexes and ds.xindexes[c].equals(label_ds.xindexes[c]) for c in lazy)
    )


def add_labels(ds: xr.Dataset, group: zarr.Group, level: int) -> xr.Dataset:
    """Add each label image at ``level`` as a data variable on the image's coordinates.

    A label whose level does not lie on the image's level (written by a tool with another geometry) is
    left out with a warning; ``open_datatree`` shows it with its own coordinates.
    """
    for name in label_names(group):
        try:
            label = open_image(child_group(child_group(group, "labels", "labels group"), name, "label image"))
        except (KeyError, ValueError) as error:
            warnings.warn(f"label image {name!r} is listed but cannot be read: {error}", stacklevel=3)
            continue
        if not -len(label.levels) <= level < len(label.levels):
            warnings.warn(f"label image {name!r} has no level {level}; it is left out", stacklevel=3)
            continue
        label_ds = level_dataset(label, level)
        array = next(iter(label_ds.data_vars.values()))
        aligned = _same_lazy_grid(ds, label_ds, array) or all(
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
            {d: ds[d] for d in array.dims if d in ds.coords}
        )
        ome = dict(label.ome)
        array.attrs = {"ome": ome, "image-label": ome.get("image-label", {})}
        ds[_label_variable_name(name, {str(v) for v in ds.variables})] = array
    return ds


def _image_nodes(
    image: ImageNode, prefix: str, drop_variables: str | Iterable[str] | None
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


def group_nodes(
    group: zarr.Group,
    prefix: str,
    drop_variables: str | Iterable[str] | None = None,
    multiscale: int = 0,
    coordinate_system: str | None = None,
) -> dict[str, xr.Dataset]:
    """Tree nodes of an image (levels and labels), a well (its fields), a plate (rows, wells, fields) or
    a 0.6 scene (the images it places, with its systems and transformations in the root's attrs).

    ``coordinate_system`` names the system every image is shown in: one of a scene's own systems
    (each image placed by the scene's transformations) or of each image's.
    """
    ome = group_ome(group)
    if "plate" in ome:
        plate = read_plate(group)
        nodes = {prefix or "/": xr.Dataset(attrs={"ome": group_ome(group)})}
        for well in plate.wells:
            nodes.setdefault(f"{prefix}/{well.row}", xr.Dataset())
            nodes.update(
                group_nodes(child_group(group, well.path, "well"), f"{prefix}/{well.path}", drop_variables)
            )
        return nodes
    if "scene" in ome and "multiscales" not in ome:
        # the scene's systems and transformations are checked as transform_points follows them
        graph = read_transformation_graph(group)
        # a scene may define no systems of its own (only transformations between its images')
        own = coordinate_system is not None and ome["scene"].get("coordinateSystems")
        systems = system_axes(ome["scene"]) if own else {}
        nodes = {prefix or "/": xr.Dataset(attrs={"ome": dict(ome)})}
        for path in scene_paths(group):
            image_group = child_group(group, path, "scene image")
            if coordinate_system not in systems:  # one of the images' own systems, or their defaults
                nodes.update(
                    group_nodes(
                        image_group, f"{prefix}/{path}", drop_variables, multiscale, coordinate_system
                    )
                )
                continue
            image = open_image(image_group, multiscale)
            placed = in_scene_system(graph, image.image, path, coordinate_system, systems[coordinate_system])
            nodes.update(
                _image_and_labels(
                    image_group, replace(image, image=placed), f"{prefix}/{path}", drop_variables
                )
            )
        return nodes
    if "well" in ome:
        nodes = {prefix or "/": xr.Dataset(attrs={"ome": dict(ome)})}
        for field in _field_paths(group):
            nodes.update(group_nodes(child_group(group, field, "field"), f"{prefix}/{field}", drop_variables))
        return nodes
    return _image_and_labels(group, open_image(group, multiscale, coordinate_system), prefix, drop_variables)


def _image_and_labels(
    group: zarr.Group, image: ImageNode, prefix: str, drop_variables: str | Iterable[str] | None
) -> dict[str, xr.Dataset]:
    """Tree nodes of an image read from ``group`` and of its label images (each in its own system)."""
    nodes = _image_nodes(image, prefix, drop_variables)
    names = label_names(group)
    if names:
        nodes[f"{prefix}/labels"] = xr.Dataset(
            attrs={"ome": group_ome(child_group(group, "labels", "labels group"))}
        )
    for name in names:
        nodes.update(
            _image_nodes(
                open_image(child_group(child_group(group, "labels", "labels group"), name, "label image")),
                f"{prefix}/labels/{name}",
                drop_variables,
            )
        )
    return nodes


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
    images = {key: open_image(group) for key, group in fields.items()}
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
    zarr_arrays = {key: images[key].array(level) for key in images}
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
    plate = read_plate(group)
    fields: dict[tuple[int, ...], zarr.Group] = {}
    field_count = 0
    for well in plate.wells:
        paths = _field_paths(child_group(group, well.path, "well"))
        field_count = max(field_count, len(paths))
        for number, path in enumerate(paths):
            key = (plate.rows.index(well.row), plate.columns.index(well.column), number)
            fields[key] = child_group(child_group(group, well.path, "well"), path, "field")
    if not fields:
        raise ValueError("the plate has no fields")
    index: list[list[Any]] = [list(plate.rows), list(plate.columns), list(range(field_count))]
    stacked = stacked_fields(fields, ("row", "column", "field"), index, level)
    return xr.Dataset({stacked.name: stacked}, attrs={"ome": group_ome(group)})


def well_dataset(group: zarr.Group, level: int) -> xr.Dataset:
    """A well whose fields share a shape, as one lazy array with dims field + image dims."""
    paths = _field_paths(group)
    fields: dict[tuple[int, ...], zarr.Group] = {
        (n,): child_group(group, path, "field") for n, path in enumerate(paths)
    }
    stacked = stacked_fields(fields, ("field",), [list(range(len(paths)))], level)
    return xr.Dataset({stacked.name: stacked}, attrs={"ome": group_ome(group)})
