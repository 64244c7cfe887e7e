"""transform_points on stores: an image's arrays and systems, parameters stored in arrays, scenes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

from xarray_omezarr import transform_points
from xarray_omezarr.coordinate_systems import read_transformation_graph
from xarray_omezarr.errors import MalformedStoreError, TransformationError
from xarray_omezarr.geometry.rfc5 import SystemRef

YX = [
    {"name": "y", "type": "space", "unit": "micrometer"},
    {"name": "x", "type": "space", "unit": "micrometer"},
]


def image_multiscale(extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A 0.6 image: two levels (scale then translation per level) into 'intrinsic', then rotated into 'physical'."""
    return {
        "coordinateSystems": [{"name": "intrinsic", "axes": YX}, {"name": "physical", "axes": YX}],
        "datasets": [
            {
                "path": "s0",
                "coordinateTransformations": [
                    {
                        "type": "sequence",
                        "input": {"path": "s0"},
                        "output": {"name": "intrinsic"},
                        "transformations": [
                            {"type": "scale", "scale": [0.1625, 0.325]},
                            {"type": "translation", "translation": [-3.25, 10.0]},
                        ],
                    }
                ],
            },
            {
                "path": "s1",
                "coordinateTransformations": [
                    {
                        "type": "scale",
                        "scale": [0.325, 0.65],
                        "input": {"path": "s1"},
                        "output": {"name": "intrinsic"},
                    }
                ],
            },
        ],
        "coordinateTransformations": extra
        if extra is not None
        else [
            {
                "type": "affine",
                "affine": [[0, -1, 5], [1, 0, 0]],
                "input": {"name": "intrinsic"},
                "output": {"name": "physical"},
            }
        ],
    }


def write_image(group: zarr.Group, multiscale: dict[str, Any], shape: tuple[int, int] = (16, 24)) -> None:
    group.create_array("s0", shape=shape, dtype="uint8", dimension_names=("y", "x"))
    group.create_array("s1", shape=(shape[0] // 2, shape[1] // 2), dtype="uint8", dimension_names=("y", "x"))
    group.attrs["ome"] = {"version": "0.6", "multiscales": [multiscale]}


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "image.ome.zarr"
    write_image(zarr.open_group(path, mode="w"), image_multiscale())
    return path


def test_array_indices_map_to_the_systems_of_the_image(image: Path) -> None:
    index = np.array([[0.0, 0.0], [3.0, 7.0], [15.0, 23.0]])
    intrinsic = transform_points(image, index, source="s0", target="intrinsic")
    # exactly the pixel centres the coordinates of the package are made of: translation + scale * i
    assert np.array_equal(intrinsic, np.array([-3.25, 10.0]) + np.array([0.1625, 0.325]) * index)
    physical = transform_points(image, index, source="s0", target="physical")
    np.testing.assert_allclose(physical, np.column_stack([5 - intrinsic[:, 1], intrinsic[:, 0]]))
    np.testing.assert_allclose(transform_points(image, physical, source="physical", target="s0"), index)
    # level 1 -> level 0 through their shared system
    np.testing.assert_allclose(
        transform_points(image, [[1.0, 1.0]], source="s1", target="s0"),
        [[(0.325 + 3.25) / 0.1625, (0.65 - 10) / 0.325]],
    )


def test_a_single_point_and_the_systems_read(image: Path) -> None:
    assert transform_points(image, [1.0, 2.0], source="s0", target="s0").tolist() == [1.0, 2.0]
    graph = read_transformation_graph(image)
    assert set(graph.systems) == {
        SystemRef("intrinsic"),
        SystemRef("physical"),
        SystemRef(None, "s0"),
        SystemRef(None, "s1"),
    }
    assert graph.systems[SystemRef(None, "s0")].axis_names == ("y", "x")
    assert graph.systems[SystemRef("physical")].axes[0].unit == "micrometer"


def test_an_affine_stored_in_an_array_is_read(tmp_path: Path) -> None:
    path = tmp_path / "image.ome.zarr"
    group = zarr.open_group(path, mode="w")
    stored = [
        {
            "type": "affine",
            "path": "transforms/rotate",
            "input": {"name": "intrinsic"},
            "output": {"name": "physical"},
        }
    ]
    write_image(group, image_multiscale(stored))
    group.create_array("transforms/rotate", data=np.array([[0.0, -1.0, 5.0], [1.0, 0.0, 0.0]]))
    mapped = transform_points(path, [[0.0, 0.0]], source="intrinsic", target="physical")
    np.testing.assert_allclose(mapped, [[5.0, 0.0]])


def test_a_parameter_path_outside_the_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.ome.zarr"
    stored = [
        {
            "type": "affine",
            "path": "../elsewhere",
            "input": {"name": "intrinsic"},
            "output": {"name": "physical"},
        }
    ]
    write_image(zarr.open_group(path, mode="w"), image_multiscale(stored))
    with pytest.raises(MalformedStoreError, match="leaves its group"):
        transform_points(path, [[0.0, 0.0]], source="intrinsic", target="physical")


def test_an_unknown_system_names_the_store_systems(image: Path) -> None:
    with pytest.raises(
        TransformationError,
        match=r"unknown source system 'world'; the store defines: 'intrinsic', 'physical', array 's0', array 's1'",
    ):
        transform_points(image, [[0.0, 0.0]], source="world", target="physical")


def stitched_scene(path: Path, transformations: list[dict[str, Any]] | None = None) -> None:
    """The spec's scene_stitching example, with real tile images below it."""
    root = zarr.open_group(path, mode="w")
    for i in range(4):
        tile = root.create_group(f"tile_{i}")
        multiscale = {
            "coordinateSystems": [{"name": "physical", "axes": YX}],
            "datasets": [
                {
                    "path": "s0",
                    "coordinateTransformations": [
                        {
                            "type": "scale",
                            "scale": [2.0, 2.0],
                            "input": {"path": "s0"},
                            "output": {"name": "physical"},
                        }
                    ],
                }
            ],
        }
        tile.create_array("s0", shape=(8, 8), dtype="uint8", dimension_names=("y", "x"))
        tile.attrs["ome"] = {"version": "0.6", "multiscales": [multiscale]}
    offsets = [[0, 0], [0, 348], [276, 0], [276, 348]]
    root.attrs["ome"] = {
        "version": "0.6",
        "scene": {
            "coordinateSystems": [{"name": "world", "axes": YX}],
            "coordinateTransformations": transformations
            or [
                {
                    "type": "translation",
                    "translation": offset,
                    "input": {"path": f"tile_{i}", "name": "physical"},
                    "output": {"name": "world"},
                }
                for i, offset in enumerate(offsets)
            ],
        },
    }


def test_a_scene_links_the_systems_of_its_images(tmp_path: Path) -> None:
    path = tmp_path / "scene.ome.zarr"
    stitched_scene(path)
    tile_3 = {"name": "physical", "path": "tile_3"}
    assert transform_points(path, [[1.0, 2.0]], source=tile_3, target="world").tolist() == [[277.0, 350.0]]
    # pixel (1, 2) of tile 3 is at (278, 352) in the world: pixel (139, 176) of tile 0
    assert transform_points(path, [[1.0, 2.0]], source="tile_3/s0", target="tile_0/s0").tolist() == [
        [139.0, 176.0]
    ]
    with pytest.raises(
        TransformationError, match=r"unknown source system 'physical'.*'physical' of 'tile_0'"
    ):
        transform_points(path, [[1.0, 2.0]], source="physical", target="world")  # four tiles have one


def test_a_cycle_in_a_scene_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scene.ome.zarr"

    def step(source: int, target: int) -> dict[str, Any]:
        return {
            "type": "translation",
            "translation": [0, 1],
            "input": {"path": f"tile_{source}", "name": "physical"},
            "output": {"path": f"tile_{target}", "name": "physical"},
        }

    stitched_scene(path, [step(0, 1), step(1, 2), step(2, 0)])
    with pytest.raises(
        TransformationError, match=r"form a cycle: 'physical' of 'tile_0' -> 'physical' of 'tile_1'"
    ):
        transform_points(path, [[1.0, 2.0]], source="tile_0/s0", target="tile_1/s0")


def test_a_malformed_transformation_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "scene.ome.zarr"
    stitched_scene(path, [{"type": "shear", "input": {"name": "world"}, "output": {"name": "world"}}])
    with pytest.raises(
        TransformationError, match=r"^zarr.json: unknown coordinate transformation type 'shear'"
    ):
        transform_points(path, [[1.0, 2.0]], source="world", target="world")


def test_an_image_without_coordinate_systems_is_a_clear_error(tmp_path: Path) -> None:
    from xarray_omezarr import writer

    path = tmp_path / "image.ome.zarr"
    writer.write_image(np.zeros((8, 8), "uint8"), str(path), scale_factors=(2,), method="local_mean")
    with pytest.raises(TransformationError, match=r"no coordinateSystems \(OME-NGFF version '0.5'\)"):
        transform_points(path, [[1.0, 2.0]], source="0", target="physical")


def test_systems_at_the_top_of_the_metadata_are_read(tmp_path: Path) -> None:
    # the layout of the spec's examples/transformations documents
    group = zarr.open_group(tmp_path / "doc.ome.zarr", mode="w")
    group.attrs["ome"] = {
        "version": "0.6",
        "coordinateSystems": [{"name": "ji", "axes": YX}, {"name": "yx", "axes": YX}],
        "coordinateTransformations": [
            {
                "type": "affine",
                "affine": [[1, 2, 3], [4, 5, 6]],
                "input": {"name": "ji"},
                "output": {"name": "yx"},
            }
        ],
    }
    assert transform_points(group, [[1.0, 1.0]], source="ji", target="yx").tolist() == [[6.0, 15.0]]


def test_a_homogeneous_matrix_stored_in_an_array_is_read(tmp_path: Path) -> None:
    path = tmp_path / "image.ome.zarr"
    group = zarr.open_group(path, mode="w")
    stored = [{"type": "affine", "path": "m", "input": {"name": "intrinsic"}, "output": {"name": "physical"}}]
    write_image(group, image_multiscale(stored))
    group.create_array("m", data=np.array([[2.0, 0.0, 1.0], [0.0, 3.0, 0.0], [0.0, 0.0, 1.0]]))
    assert transform_points(path, [[1.0, 1.0]], source="intrinsic", target="physical").tolist() == [
        [3.0, 3.0]
    ]
    assert transform_points(path, [[3.0, 3.0]], source="physical", target="intrinsic").tolist() == [
        [1.0, 1.0]
    ]
