"""Read an OME-Zarr store (OME-NGFF 0.1 to 0.6) into :mod:`xarray_omezarr.model`: the writer's mirror.

The functions here open groups and arrays; everything they learn goes through the pure parsers of
:mod:`.ngff`, so a store read back gives the same model the planner produced for it. A malformed
store is refused with a :class:`~xarray_omezarr.errors.MalformedStoreError` that names the metadata
file and the key at fault, and no path in the metadata can lead outside the store.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import zarr

from .consolidated import consolidated_member
from .errors import MalformedStoreError
from .model import LabelImage, Multiscale, Plate, Well, WellField
from .ngff import multiscale_from_json, ome_attributes, version_of
from .ngff.multiscale import dataset_paths, safe_relative_path
from .ngff.v06 import scene_references

__all__ = [
    "child_group",
    "group_ome",
    "is_ome_zarr_attrs",
    "is_ome_zarr_path",
    "label_names",
    "level_arrays",
    "member",
    "read_label",
    "read_multiscale",
    "read_plate",
    "read_well",
    "scene_paths",
]


def group_ome(group: zarr.Group) -> dict[str, Any]:
    """The OME metadata of a group, unwrapped whatever the version."""
    return ome_attributes(dict(group.attrs))


def metadata_file(group: zarr.Group) -> str:
    """The name of the file that holds ``group``'s attributes, for error messages."""
    name = "zarr.json" if group.metadata.zarr_format == 3 else ".zattrs"
    return f"{group.path}/{name}" if group.path else name


def is_ome_zarr_attrs(attrs: Mapping[str, Any]) -> bool:
    """Whether group attributes hold OME metadata this package reads."""
    ome = ome_attributes(dict(attrs))
    return any(key in ome for key in ("multiscales", "plate", "well", "bioformats2raw.layout"))


def is_ome_zarr_path(path: str) -> bool:
    """Whether the local directory ``path`` is an OME-Zarr group, from its metadata file alone."""
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


def member(group: zarr.Group, path: str) -> zarr.Group | zarr.Array:
    """The node at ``path`` below ``group``; a :class:`KeyError` if there is none.

    Consolidated metadata (see :mod:`xarray_omezarr.consolidated`) lists a group's children, but
    can lack a node that a longer path reaches in the store through a directory that is no zarr
    node, such as a plate's well below a Zarr v2 row without ``.zgroup``: the store is asked then.
    """
    try:
        node = consolidated_member(group, path)
        return group[path] if node is None else node
    except KeyError:
        if group.metadata.consolidated_metadata is None or "/" not in path.strip("/"):
            raise
    try:
        return zarr.open(group.store_path / path, mode="r")
    except (FileNotFoundError, zarr.errors.NodeNotFoundError) as error:
        raise KeyError(path) from error


def child_group(group: zarr.Group, path: str, what: str = "group") -> zarr.Group:
    """The group at ``path`` below ``group``, which the metadata lists; a clear error if it is not there."""
    try:
        node = member(group, path)
    except KeyError:
        raise MalformedStoreError(
            f"{metadata_file(group)} lists the {what} {path!r}, but the store has no group at {path!r}"
        ) from None
    if not isinstance(node, zarr.Group):
        raise MalformedStoreError(f"{path!r} is listed in the metadata but is not a group")
    return node


def level_arrays(group: zarr.Group, index: int = 0) -> tuple[zarr.Array, ...]:
    """The arrays of multiscale ``index``'s levels, as its metadata lists them, largest first."""
    arrays = []
    for path in dataset_paths(group_ome(group), index):
        try:
            node = member(group, path)
        except KeyError:
            raise MalformedStoreError(
                f"dataset {path!r} is listed in the metadata but there is no array there"
            ) from None
        if not isinstance(node, zarr.Array):
            raise MalformedStoreError(f"dataset {path!r} is a group, not an array")
        arrays.append(node)
    return tuple(arrays)


def read_multiscale(
    group: zarr.Group,
    index: int = 0,
    coordinate_system: str | None = None,
    arrays: tuple[zarr.Array, ...] | None = None,
) -> Multiscale:
    """Read multiscale ``index`` of ``group`` into a :class:`~xarray_omezarr.model.Multiscale`.

    ``coordinate_system`` chooses a 0.6 image's output system by name (by default its first);
    ``arrays`` are its :func:`level_arrays`, where the caller has them already.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> from xarray_omezarr.writer import write_image
    >>> g = zarr.open_group(zarr.storage.MemoryStore())
    >>> _ = write_image(np.zeros((8, 8), "uint8"), g, scale_factors=(2,), method="local_mean")
    >>> image = read_multiscale(g)
    >>> [lv.path for lv in image.levels], image.levels[1].geometry[0]
    (['0', '1'], LinearAxis(scale=2.0, translation=0.5))
    """
    if arrays is None:
        arrays = level_arrays(group, index)
    specs = [(tuple(a.shape), a.dtype, tuple(a.chunks), a.shards) for a in arrays]
    return multiscale_from_json(group_ome(group), specs, index, coordinate_system)


def label_names(group: zarr.Group) -> list[str]:
    """The label images listed in ``group``'s ``labels`` group (checked to stay inside the store)."""
    try:
        labels_group = member(group, "labels")
    except KeyError:
        return []
    if not isinstance(labels_group, zarr.Group):
        return []
    names = group_ome(labels_group).get("labels") or []
    return [safe_relative_path(n, "label") for n in names if isinstance(n, str)]


def read_label(group: zarr.Group, name: str) -> LabelImage:
    """The label image ``labels/<name>`` of the image ``group``."""
    labels_group = child_group(group, "labels", "labels group")
    node = child_group(labels_group, name, "label image")
    block = group_ome(node).get("image-label")
    return LabelImage(name, read_multiscale(node), dict(block) if isinstance(block, Mapping) else {})


def read_well(group: zarr.Group, path: str = "", row: str = "", column: str = "") -> Well:
    """The well metadata of ``group``: its fields, checked to stay inside the store."""
    well = group_ome(group).get("well")
    images = well.get("images") if isinstance(well, Mapping) else None
    if not isinstance(images, list):
        raise MalformedStoreError("the group holds no OME-Zarr well ('well' with 'images' is missing)")
    fields = []
    for image in images:
        field_path = safe_relative_path(image.get("path") if isinstance(image, Mapping) else None, "field")
        acquisition = image.get("acquisition")
        fields.append(WellField(field_path, acquisition if isinstance(acquisition, int) else None))
    return Well(path, row, column, tuple(fields))


def read_plate(group: zarr.Group) -> Plate:
    """Read the plate metadata of ``group``, refusing wells outside the plate or the store.

    Wells carry no fields here (their groups are opened only when needed: see :func:`read_well`).
    """
    ome = group_ome(group)
    plate = ome.get("plate")
    if not isinstance(plate, Mapping):
        raise MalformedStoreError("the group holds no OME-Zarr plate ('plate' is missing)")
    try:
        rows = tuple(str(r["name"]) for r in plate["rows"])
        columns = tuple(str(c["name"]) for c in plate["columns"])
        entries = list(plate["wells"])
    except (KeyError, TypeError):
        raise MalformedStoreError("the plate metadata needs 'rows', 'columns' and 'wells' lists") from None
    wells = []
    for entry in entries:
        path = safe_relative_path(entry.get("path") if isinstance(entry, Mapping) else None, "well")
        parts = path.split("/")
        if len(parts) != 2 or parts[0] not in rows or parts[1] not in columns:
            raise MalformedStoreError(
                f"well {path!r} is not '<row>/<column>' with a row and a column of the plate"
            )
        wells.append(Well(path, parts[0], parts[1]))
    acquisitions = plate.get("acquisitions")
    field_count = plate.get("field_count")
    name = plate.get("name")
    return Plate(
        rows,
        columns,
        tuple(wells),
        name=name if isinstance(name, str) else None,
        acquisitions=tuple(acquisitions) if isinstance(acquisitions, list) else None,
        field_count=field_count if isinstance(field_count, int) else None,
        version=version_of(ome),
    )


def scene_paths(group: zarr.Group) -> list[str]:
    """The groups a 0.6 ``scene`` in ``group`` places (``{"path": "tile_0", "name": "physical"}`` as
    a transformation's input or output), each once, in the order the scene names them.

    Examples
    --------
    >>> g = zarr.open_group(zarr.storage.MemoryStore(), zarr_format=3)
    >>> g.attrs["ome"] = {"version": "0.6", "scene": {"coordinateTransformations": [
    ...     {"type": "identity", "input": {"path": "tile_1", "name": "physical"}, "output": {"name": "world"}},
    ...     {"type": "identity", "input": {"path": "tile_0", "name": "physical"}, "output": {"name": "world"}}]}}
    >>> scene_paths(g)
    ['tile_1', 'tile_0']
    """
    scene = group_ome(group).get("scene")
    if not isinstance(scene, Mapping) or not isinstance(scene.get("coordinateTransformations"), list):
        raise MalformedStoreError(f"{metadata_file(group)}: a scene needs a 'coordinateTransformations' list")
    paths: list[str] = []
    for where, _name in scene_references(scene):
        path = safe_relative_path(where, "scene image")
        if path not in paths:
            paths.append(path)
    return paths
