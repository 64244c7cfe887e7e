"""Read an OME-Zarr store (OME-NGFF 0.1 to 0.6) into :mod:`xarray_omezarr.model`: the writer's mirror.

The functions here open groups and arrays; everything they learn goes through the pure parsers of
:mod:`.ngff`, so a store read back gives the same model the planner produced for it. A malformed
store is refused with a :class:`~xarray_omezarr.errors.MalformedStoreError` that names the metadata
file and the key at fault, and no path in the metadata can lead outside the store.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from typing import Any

import zarr
from zarr.core.group import AsyncGroup

from .consolidated import consolidated_member, read_hierarchy, with_hierarchy
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
    "plate_hierarchy",
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
    return _listed(labels_group)


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


def plate_hierarchy(group: zarr.Group) -> zarr.Group:
    """``group``, a plate or a well, with the metadata of every node its OME metadata leads to in memory.

    Without zarr's consolidated metadata, zarr's walk of a hierarchy lists every group (a request on
    object storage) and then reads every node it finds. A plate says where its nodes are: its wells,
    their fields, each field's levels and labels. So they are read by name, one step of the plate at
    a time, each step's nodes at once, with no listing: about one request per node. A node the
    metadata names but the store lacks is left out, for the reader to report. A group with consolidated
    metadata is returned as it is; one that is neither a plate nor a well gets zarr's walk
    (:func:`~xarray_omezarr.consolidated.read_hierarchy`).

    Examples
    --------
    >>> import numpy as np, xarray as xr, xarray_omezarr
    >>> store = zarr.storage.MemoryStore()
    >>> field = xr.DataArray(np.zeros((8, 8), "uint8"), dims=("y", "x"))
    >>> xarray_omezarr.write_plate(store, {"A/1": [field]}, scale_factors=(2,), consolidated=False)
    >>> held = plate_hierarchy(zarr.open_group(store, mode="r"))
    >>> sorted(held.metadata.consolidated_metadata.flattened_metadata)
    ['A', 'A/1', 'A/1/0', 'A/1/0/0', 'A/1/0/1']
    """
    from zarr.core.sync import sync

    if group.metadata.consolidated_metadata is not None:
        return group
    ome = group_ome(group)
    if "plate" not in ome and "well" not in ome:
        return read_hierarchy(group)
    node = group._async_group
    flat: dict[str, Any] = {}

    async def fetch(paths: list[str]) -> dict[str, zarr.Group | zarr.Array]:
        found = await asyncio.gather(*(node.getitem(p) for p in paths), return_exceptions=True)
        nodes = {}
        for path, got in zip(paths, found, strict=True):
            if isinstance(got, KeyError | FileNotFoundError):
                continue  # named, not there: the reader says so when it gets there
            if isinstance(got, BaseException):
                raise got
            flat[path] = got.metadata
            nodes[path] = zarr.Group(got) if isinstance(got, AsyncGroup) else zarr.Array(got)
        return nodes

    def groups(nodes: Mapping[str, Any]) -> dict[str, zarr.Group]:
        return {path: n for path, n in nodes.items() if isinstance(n, zarr.Group)}

    async def walk() -> None:
        wells = {"": group}
        if "plate" in ome:
            paths = [well.path for well in read_plate(group).wells]
            wells = groups(await fetch(sorted({p.split("/")[0] for p in paths}) + paths))
            wells = {p: g for p, g in wells.items() if p in paths}
        fields = [f"{_below(w, f.path)}" for w, g in wells.items() for f in read_well(g).fields]
        images = groups(await fetch(fields))
        levels = [_below(p, d) for p, g in images.items() for d in _all_dataset_paths(g)]
        found = groups(await fetch(levels + [_below(p, "labels") for p in images]))
        labels = [_below(p, n) for p, g in found.items() if p.endswith("labels") for n in _listed(g)]
        label_images = groups(await fetch(labels))
        await fetch([_below(p, d) for p, g in label_images.items() for d in _all_dataset_paths(g)])

    sync(walk())
    return with_hierarchy(group, flat)


def _below(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def _all_dataset_paths(group: zarr.Group) -> list[str]:
    """The levels every multiscale of an image names."""
    ome = group_ome(group)
    count = len(ome.get("multiscales") or []) if isinstance(ome.get("multiscales"), list) else 0
    return sorted({path for index in range(count) for path in dataset_paths(ome, index)})


def _listed(labels_group: zarr.Group) -> list[str]:
    names = group_ome(labels_group).get("labels") or []
    return [safe_relative_path(n, "label") for n in names if isinstance(n, str)]
