"""Writing an OME-NGFF 0.6 scene's DataTree back: each image it places, then the scene document.

A scene (RFC-5) is a group whose ``scene`` lists coordinate systems and the transformations that place
images of its subgroups in them. ``xr.open_datatree`` gives its root (the ``scene`` in
``attrs["ome"]``) and one subtree per image; writing that tree writes every image as
:func:`~.trees.plan_tree` plans it, at its path, and the scene document last, so that a write that
stops midway never leaves a scene naming images that are not there.
"""

from __future__ import annotations

from typing import Any

import xarray as xr

from ..errors import InvalidImageError
from ..ngff import Format, multiscale_json, ome_attributes
from ..ngff.v06 import scene_references
from ..stores import WriteMode
from . import engine
from .groups import GroupLike, check_group_fmt
from .trees import plan_tree

__all__ = ["is_scene", "write_scene"]


def _ome(tree: xr.DataTree) -> dict[str, Any]:
    return ome_attributes(dict(tree.attrs.get("ome") or {}))


def is_scene(tree: xr.DataTree) -> bool:
    """Whether ``tree``'s root is a 0.6 scene (read by the ``omezarr`` engine), not an image."""
    ome = _ome(tree)
    return "scene" in ome and "multiscales" not in ome


def _images(tree: xr.DataTree) -> dict[str, xr.DataTree]:
    """The images below the scene's root by path: the subtrees whose root holds multiscale metadata."""
    return {
        node.relative_to(tree): node
        for node in tree.subtree
        if node is not tree
        and "multiscales" in _ome(node)
        and "labels" not in node.relative_to(tree).split("/")
    }


def _check_references(scene: dict[str, Any], plans: dict[str, Any], fmt: Format) -> None:
    """Every system the scene names in one of its images is one that image is written with."""
    written = {
        path: {s["name"] for s in multiscale_json(image.image, fmt)["multiscales"][0]["coordinateSystems"]}
        for path, (image, _labels) in plans.items()
    }
    for where, name in scene_references(scene):
        path = str(where).strip("/")
        if name is not None and path in written and name not in written[path]:
            raise InvalidImageError(
                f"the scene places the coordinate system {name!r} of {path!r}, but that image would be "
                f"written in {sorted(written[path])}: it was opened in another system (coordinate_system=); "
                "open the scene without coordinate_system= to write it back"
            )


def write_scene(
    tree: xr.DataTree, store: GroupLike, fmt: Format, *, mode: WriteMode, compute: bool, progress: bool
) -> list[Any]:
    """Write the scene ``tree`` into ``store``: its images, then its ``scene`` document.

    Examples
    --------
    >>> import numpy as np, zarr, xarray_omezarr
    >>> from xarray_omezarr.ngff import FormatV06
    >>> image = xr.DataArray(np.zeros((8, 8), "u1"), dims=("y", "x")).omezarr.to_zarr
    >>> source = zarr.open_group(zarr.storage.MemoryStore(), zarr_format=3)
    >>> _ = image(source.store_path / "tile_0", scale_factors=(2,), version="0.6")
    >>> source.attrs["ome"] = {"version": "0.6", "scene": {
    ...     "coordinateSystems": [{"name": "world", "axes": [{"name": "y", "type": "space"},
    ...                                                   {"name": "x", "type": "space"}]}],
    ...     "coordinateTransformations": [{"type": "translation", "translation": [0, 8],
    ...         "input": {"path": "tile_0", "name": "image"}, "output": {"name": "world"}}]}}
    >>> tree = xr.open_datatree(source.store, engine="omezarr")
    >>> copy = zarr.storage.MemoryStore()
    >>> write_scene(tree, copy, FormatV06(), mode="w-", compute=True, progress=False)
    []
    >>> zarr.open_group(copy).attrs.asdict() == source.attrs.asdict()
    True
    """
    if not fmt.version.startswith("0.6"):
        raise InvalidImageError(
            f"a scene (coordinate systems and transformations between images) is OME-NGFF 0.6; it cannot be "
            f"written as {fmt.version}: write it with version='0.6', or write its images one by one"
        )
    if not compute:
        raise InvalidImageError("a scene is written image by image; compute=False is not supported")
    # every image is planned (and so checked) before the store is touched
    plans = {path: plan_tree(node, fmt) for path, node in _images(tree).items()}
    scene = _ome(tree)["scene"]
    _check_references(scene, plans, fmt)
    root, fmt = check_group_fmt(store, fmt, mode=mode)
    for path, (image, labels) in plans.items():
        target = root.store_path / path
        engine.write_image(image, target, mode="w", progress=progress)
        engine.write_labels(target, labels, mode="w", compute=True, progress=progress)
    engine.write_document(root, "scene", scene, fmt)
    return []
