"""OME-NGFF 0.6 scenes as DataTrees: one subtree per image placed, the scene's systems in the root's attrs.

A scene is a group whose ``scene`` places images of its subgroups in shared coordinate systems (RFC-5):
the spec's stitching example places four tiles in a "world" system by translations. Opened with
``xr.open_datatree``, it is its images, each with its levels and labels as usual, and the scene's
coordinate systems and transformations in ``attrs["ome"]``; written back, the same store. Malformed
scenes (a cycle, a system nobody defines, a path out of the store) are refused on read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_omezarr
from tests.support.builders import make_image, random_label, regular
from tests.support.stores import metadata_files, store_files
from tests.support.validators import validate_store
from xarray_omezarr.errors import InvalidImageError, MalformedStoreError, TransformationError

OFFSETS = {"tile_0": (0, 0), "tile_1": (0, 348), "tile_2": (276, 0), "tile_3": (276, 348)}


def tile(seed: int) -> xr.DataArray:
    coords = {"y": regular("y", 24, 0.0, 0.5, "micrometer"), "x": regular("x", 32, 0.0, 0.5, "micrometer")}
    return make_image({"y": 24, "x": 32}, coords=coords, seed=seed, name="tile")


def scene_block(paths: dict[str, tuple[int, int]], system: str = "tile") -> dict[str, Any]:
    """The spec's stitching example: each tile's physical system translated into "world"."""
    return {
        "coordinateSystems": [
            {
                "name": "world",
                "axes": [
                    {"name": "y", "type": "space", "unit": "micrometer"},
                    {"name": "x", "type": "space", "unit": "micrometer"},
                ],
            }
        ],
        "coordinateTransformations": [
            {
                "type": "translation",
                "translation": list(offset),
                "input": {"path": path, "name": system},
                "output": {"name": "world"},
                "name": f"{path} to world",
            }
            for path, offset in paths.items()
        ],
    }


def make_scene(path: Path, paths: dict[str, tuple[int, int]] | None = None, labels: bool = False) -> None:
    paths = OFFSETS if paths is None else paths
    root = zarr.open_group(path, mode="w", zarr_format=3)
    for i, name in enumerate(paths):
        if "/" in name:
            root.require_group(name.rpartition("/")[0])  # zarr v3 has no implicit groups
        image = tile(i)
        extra = {"labels": {"cells": random_label(image, seed=i, high=5)}} if labels and i == 0 else {}
        image.omezarr.to_zarr(path / name, version="0.6", scale_factors=(2,), method="local_mean", **extra)
    root.attrs["ome"] = {"version": "0.6", "scene": scene_block(paths)}


def test_a_scene_opens_as_a_tree_of_its_images(tmp_path: Path) -> None:
    path = tmp_path / "stitched.ome.zarr"
    make_scene(path, labels=True)
    tree = xr.open_datatree(path, engine="omezarr")
    assert list(tree.children) == list(OFFSETS)
    scene = tree.attrs["ome"]["scene"]
    assert [t["input"]["path"] for t in scene["coordinateTransformations"]] == list(OFFSETS)
    assert [s["name"] for s in scene["coordinateSystems"]] == ["world"]
    for i, name in enumerate(OFFSETS):
        level0 = tree[f"{name}/0"]["tile"]
        np.testing.assert_array_equal(level0.values, tile(i).values)
        np.testing.assert_allclose(level0["x"].values, tile(i)["x"].values)  # its own physical system
        assert tree[f"{name}/1"]["tile"].shape == (12, 16)
    assert "cells" in tree["tile_0/labels"].children
    # the scene places the tiles: transform_points follows the same metadata
    world = xarray_omezarr.transform_points(
        path, np.array([[0.0, 0.0]]), source={"path": "tile_3", "name": "tile"}, target="world"
    )
    np.testing.assert_allclose(world, [OFFSETS["tile_3"]])


def test_a_scene_written_back_is_the_same_store(tmp_path: Path) -> None:
    path = tmp_path / "stitched.ome.zarr"
    make_scene(path, labels=True)
    copy = tmp_path / "copy.ome.zarr"
    xarray_omezarr.tree_to_zarr(xr.open_datatree(path, engine="omezarr"), copy)
    assert metadata_files(copy) == metadata_files(path)
    assert store_files(copy) == store_files(path)
    validate_store(copy / "tile_0", strict_labels=False)
    written = json.loads((copy / "zarr.json").read_text())["attributes"]["ome"]
    assert written["version"] == "0.6" and written["scene"] == scene_block(OFFSETS)


def test_nested_image_paths_and_a_scene_without_images(tmp_path: Path) -> None:
    path = tmp_path / "nested.ome.zarr"
    make_scene(path, {"tiles/a": (0, 0), "tiles/b": (10, 0)})
    tree = xr.open_datatree(path, engine="omezarr")
    assert list(tree["tiles"].children) == ["a", "b"]
    assert tree["tiles/b/0"]["tile"].shape == (24, 32)
    bare = tmp_path / "systems.ome.zarr"  # systems and transformations only, as RFC-5's conformance cases
    root = zarr.open_group(bare, mode="w", zarr_format=3)
    block = scene_block({})
    block["coordinateSystems"].append({"name": "other", "axes": block["coordinateSystems"][0]["axes"]})
    block["coordinateTransformations"] = [
        {"type": "scale", "scale": [2.0, 2.0], "input": "world", "output": "other"}
    ]
    root.attrs["ome"] = {"version": "0.6", "scene": block}
    empty = xr.open_datatree(bare, engine="omezarr")
    assert not empty.children and empty.attrs["ome"]["scene"] == block


def test_open_dataset_on_a_scene_points_to_the_tree(tmp_path: Path) -> None:
    path = tmp_path / "stitched.ome.zarr"
    make_scene(path)
    with pytest.raises(InvalidImageError, match="open_datatree"):
        xr.open_dataset(path, engine="omezarr")
    single = xr.open_dataset(path / "tile_2", engine="omezarr")  # one image by its path
    np.testing.assert_array_equal(single["tile"].values, tile(2).values)


def _cycle(block: dict[str, Any]) -> None:
    block["coordinateTransformations"].append(
        {
            "type": "translation",
            "translation": [1, 1],
            "input": {"name": "world"},
            "output": {"path": "tile_0", "name": "tile"},
        }
    )


def _unknown_system(block: dict[str, Any]) -> None:
    block["coordinateTransformations"][1]["output"] = {"name": "elsewhere"}


def _outside(block: dict[str, Any]) -> None:
    block["coordinateTransformations"][2]["input"]["path"] = "../tile_2"


def _missing_image(block: dict[str, Any]) -> None:
    block["coordinateTransformations"][3]["input"]["path"] = "tile_9"


def _wrong_dimensionality(block: dict[str, Any]) -> None:
    block["coordinateTransformations"][0]["translation"] = [1, 2, 3]


MALFORMED = {
    "cycle": (_cycle, TransformationError, "cycle"),
    "unknown system": (_unknown_system, TransformationError, "elsewhere"),
    "path outside the store": (_outside, MalformedStoreError, r"\.\."),
    "missing image": (_missing_image, (MalformedStoreError, TransformationError), "tile_9"),
    "dimensionality": (_wrong_dimensionality, TransformationError, "3"),
}


@pytest.mark.parametrize(("edit", "error", "message"), MALFORMED.values(), ids=list(MALFORMED))
def test_malformed_scenes_are_refused_on_read(tmp_path: Path, edit: Any, error: Any, message: str) -> None:
    path = tmp_path / "stitched.ome.zarr"
    make_scene(path)
    xr.open_datatree(path, engine="omezarr")  # valid before the edit
    root = zarr.open_group(path, mode="a")
    ome = dict(root.attrs["ome"])  # type: ignore[arg-type]
    edit(ome["scene"])
    root.attrs["ome"] = ome
    with pytest.raises(error, match=message):
        xr.open_datatree(path, engine="omezarr")


def test_a_scene_is_written_as_0_6_only(tmp_path: Path) -> None:
    path = tmp_path / "stitched.ome.zarr"
    make_scene(path)
    tree = xr.open_datatree(path, engine="omezarr")
    target = tmp_path / "old.ome.zarr"
    with pytest.raises(InvalidImageError, match=r"is OME-NGFF 0\.6"):
        xarray_omezarr.tree_to_zarr(tree, target, version="0.5")
    assert not target.exists()


def _add_rotated_system(path: Path) -> None:
    """A second scene system: "world" turned by a quarter turn (not axis-aligned)."""
    root = zarr.open_group(path, mode="a")
    ome = dict(root.attrs["ome"])  # type: ignore[arg-type]
    block = ome["scene"]
    block["coordinateSystems"].append({"name": "turned", "axes": block["coordinateSystems"][0]["axes"]})
    block["coordinateTransformations"].append(
        {
            "type": "rotation",
            "rotation": [[0, -1], [1, 0]],
            "input": {"name": "world"},
            "output": {"name": "turned"},
        }
    )
    root.attrs["ome"] = ome


def test_a_scene_opened_in_its_own_system_places_every_image(tmp_path: Path) -> None:
    path = tmp_path / "stitched.ome.zarr"
    make_scene(path, labels=True)
    tree = xr.open_datatree(path, engine="omezarr", coordinate_system="world")
    for i, (name, (dy, dx)) in enumerate(OFFSETS.items()):
        own = xr.open_datatree(path / name, engine="omezarr")
        for level in ("0", "1"):
            placed, local = tree[f"{name}/{level}"]["tile"], own[f"/{level}"]["tile"]
            np.testing.assert_array_equal(placed.values, local.values)
            # exact 1-D coordinates: the tile's own, translated by the scene (not approximately: the same floats)
            assert placed["y"].values.tolist() == (local["y"].values + dy).tolist()
            assert placed["x"].values.tolist() == (local["x"].values + dx).tolist()
            assert placed["x"].attrs["units"] == "micrometer"
            assert placed.encoding["coordinate_system"] == "world"
        corner = xarray_omezarr.transform_points(
            path, [0.0, 0.0], source={"path": f"{name}/0"}, target="world"
        )
        np.testing.assert_allclose(corner, [tree[f"{name}/0"]["y"][0], tree[f"{name}/0"]["x"][0]])
        assert tree[f"{name}/0"]["tile"].values.tolist() == tile(i).values.tolist()
    # the label keeps its own system: a scene places images, not their labels
    np.testing.assert_allclose(tree["tile_0/labels/cells/0"]["x"].values, tile(0)["x"].values)


def test_a_scene_system_reached_by_a_rotation_gives_lazy_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "stitched.ome.zarr"
    make_scene(path)
    _add_rotated_system(path)
    tree = xr.open_datatree(path, engine="omezarr", coordinate_system="turned")
    level = tree["tile_3/1"].dataset
    assert level["y_physical"].dims == ("y", "x") and "y" not in level.coords
    index = np.array([[0, 0], [3, 7], [11, 15]])
    expected = xarray_omezarr.transform_points(
        path, index.astype(float), source={"path": "tile_3/1"}, target="turned"
    )
    got = np.stack([level[c].values[index[:, 0], index[:, 1]] for c in ("y_physical", "x_physical")], axis=1)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_images_opened_in_a_scene_system_write_alone_not_back_into_the_scene(tmp_path: Path) -> None:
    path = tmp_path / "stitched.ome.zarr"
    make_scene(path)
    tree = xr.open_datatree(path, engine="omezarr", coordinate_system="world")
    target = tmp_path / "copy.ome.zarr"
    with pytest.raises(InvalidImageError, match=r"'tile'.*coordinate_system="):
        xarray_omezarr.tree_to_zarr(tree, target)
    assert not target.exists()
    # one tile alone: an image in the "world" system, at its place in the scene
    alone = tmp_path / "tile_1.ome.zarr"
    xarray_omezarr.tree_to_zarr(tree["tile_1"], alone)
    validate_store(alone)
    written = json.loads((alone / "zarr.json").read_text())["attributes"]["ome"]["multiscales"][0]
    assert [s["name"] for s in written["coordinateSystems"]] == ["world"]
    again = xr.open_dataset(alone, engine="omezarr")
    assert again["x"].values.tolist() == tree["tile_1/0"]["x"].values.tolist()


def test_a_scene_in_an_unknown_system_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "stitched.ome.zarr"
    make_scene(path)
    with pytest.raises(InvalidImageError, match="'nowhere' is not one of"):
        xr.open_datatree(path, engine="omezarr", coordinate_system="nowhere")


def test_a_scene_without_systems_of_its_own_shows_images_in_theirs(tmp_path: Path) -> None:
    """coordinate_system= names a system of each image when the scene defines none itself."""
    path = tmp_path / "pair.ome.zarr"
    make_scene(path, {"tile_0": (0, 0), "tile_1": (0, 16)})
    root = zarr.open_group(path, mode="a")
    ome = dict(root.attrs["ome"])  # type: ignore[arg-type]
    ome["scene"] = {
        "coordinateTransformations": [
            {
                "type": "translation",
                "translation": [0, 16],
                "input": {"path": "tile_0", "name": "tile"},
                "output": {"path": "tile_1", "name": "tile"},
            }
        ]
    }
    root.attrs["ome"] = ome
    tree = xr.open_datatree(path, engine="omezarr", coordinate_system="tile")
    assert tree["tile_1/0"]["x"].values.tolist() == tile(1)["x"].values.tolist()
