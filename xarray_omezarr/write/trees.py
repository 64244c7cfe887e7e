"""Planning the write of a DataTree read by the ``omezarr`` engine: the same image, levels and labels back.

The tree already holds every level (``/0``, ``/1``... with their coordinates) and every label image
(``/labels/<name>/<level>``), and its root and label nodes hold the OME metadata they were read with.
So nothing is recomputed: each level is written as it is, with the geometry of its coordinates, the
method and channel block of the metadata, and the chunks, shards and codecs it was stored with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import xarray as xr

from ..describe import describe_image
from ..errors import InvalidImageError
from ..ngff import Format, ome_attributes, version_of
from ..ngff.labels import image_label_metadata
from ..ngff.multiscale import dataset_paths
from .labels import LabelPlan, check_label_dtype
from .plan import ImagePlan, plan_levels

__all__ = ["plan_tree", "tree_version"]

_MULTISCALE_KEYS = {
    "version",
    "name",
    "axes",
    "coordinateSystems",
    "datasets",
    "coordinateTransformations",
    "type",
    "metadata",
}


def tree_version(tree: xr.DataTree) -> str | None:
    """The OME-NGFF version the tree was read from (``None`` for a tree not read by the engine)."""
    return version_of(ome_attributes(dict(tree.attrs.get("ome") or {})))


def _image_plan(node: xr.DataTree, fmt: Format, where: str, default_name: str | None = None) -> ImagePlan:
    """The plan that writes the multiscale image of ``node`` (its levels are its children)."""
    ome = ome_attributes(dict(node.attrs.get("ome") or {}))
    if not isinstance(ome.get("multiscales"), list):
        raise InvalidImageError(
            f"the DataTree node {where!r} holds no OME multiscale metadata (attrs['ome']); write trees read "
            "with xr.open_datatree(path, engine='omezarr'), or write a DataArray with .omezarr.to_zarr"
        )
    levels = []
    for path in dataset_paths(ome):
        if path not in node.children:
            raise InvalidImageError(
                f"the DataTree node {where!r} lists level {path!r} but has no child {path!r}"
            )
        variables = list(node[path].dataset.data_vars.values())
        if len(variables) != 1:
            raise InvalidImageError(
                f"level {path!r} of {where!r} must hold one data variable; it has {len(variables)}"
            )
        levels.append(variables[0])
    described = [describe_image(level) for level in levels]
    version = version_of(ome)
    # codecs carry over only between stores of one Zarr format (0.5 and later are Zarr v3)
    same_zarr = (3 if version is not None and version >= "0.5" else 2) == fmt.zarr_format
    storage = []
    for level in levels:
        options: dict[str, Any] = {"chunks": level.encoding.get("chunks") or level.data.shape}
        if level.encoding.get("shards") is not None and fmt.zarr_format == 3:
            options["shards"] = level.encoding["shards"]
        if same_zarr and level.encoding.get("compressors") is not None:
            options["compressors"] = level.encoding["compressors"]
        storage.append(options)
    multiscale = ome["multiscales"][0]
    return plan_levels(
        [d.data for d in described],
        described[0].axes,
        fmt,
        storage_options=storage,
        geometry=[d.geometry for d in described],
        name=multiscale.get("name") or default_name,
        method=multiscale.get("type"),
        method_metadata=multiscale.get("metadata"),
        omero=ome.get("omero"),
        extra={k: v for k, v in multiscale.items() if k not in _MULTISCALE_KEYS},
        coordinate_system=described[0].image.coordinate_system,
    )


def plan_tree(tree: xr.DataTree, fmt: Format) -> tuple[ImagePlan, list[LabelPlan]]:
    """Plan the image of ``tree`` (read by the ``omezarr`` engine) and each of its label images.

    Examples
    --------
    >>> import numpy as np, zarr, xarray_omezarr
    >>> from xarray_omezarr.ngff import FormatV05
    >>> store = zarr.storage.MemoryStore()
    >>> _ = xr.DataArray(np.zeros((8, 8), "u1"), dims=("y", "x")).omezarr.to_zarr(store, scale_factors=(2,))
    >>> image, labels = plan_tree(xr.open_datatree(store, engine="omezarr"), FormatV05())
    >>> [level.shape for level in image.image.levels], labels
    ([(8, 8), (4, 4)], [])
    """
    if isinstance(ome_attributes(dict(tree.attrs.get("ome") or {})).get("plate"), Mapping):
        raise InvalidImageError(
            "writing a plate's DataTree back is not supported yet; write the plate with xarray_omezarr.write_plate"
        )
    image = _image_plan(tree, fmt, "/")
    labels = []
    if "labels" in tree.children:
        for name, node in tree["labels"].children.items():
            plan = _image_plan(node, fmt, f"/labels/{name}", default_name=str(name))
            for data in plan.data:
                check_label_dtype(data, name=str(name))
            block = ome_attributes(dict(node.attrs.get("ome") or {})).get("image-label") or {}
            block = {k: v for k, v in block.items() if k != "version"}
            image_label = image_label_metadata(
                block.pop("colors", None), block.pop("properties", None), **block
            )
            labels.append(LabelPlan(str(name), plan, image_label))
    return image, labels
