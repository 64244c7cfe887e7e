"""OME-NGFF 0.6 images whose transformations are not axis-aligned: lazy N-D coordinates, write-back."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_omezarr
from tests.support.rotated import AXES, hand_built_store, rotated_store
from tests.support.validators import validate_store
from xarray_omezarr import transform_points
from xarray_omezarr.backend.lazy_coordinates import RFC5CoordinateTransform
from xarray_omezarr.errors import InvalidImageError
from xarray_omezarr.geometry.rfc5 import Affine, parse_transformation

# a quarter turn, pixels 2 µm apart, shifted: y = 10 - 2 j, x = 1 + 2 i
AFFINE = {"type": "affine", "affine": [[0.0, -2.0, 10.0], [2.0, 0.0, 1.0]]}
ROTATION = {
    "type": "sequence",
    "transformations": [
        {"type": "rotation", "rotation": [[0.6, -0.8], [0.8, 0.6]]},
        {"type": "translation", "translation": [5.0, -3.0]},
    ],
}


@pytest.mark.parametrize("transform", [AFFINE, ROTATION], ids=["affine", "rotation"])
def test_a_rotated_image_opens_with_lazy_coordinates_equal_to_the_transformation(
    tmp_path: Path, transform: dict[str, Any]
) -> None:
    path = hand_built_store(tmp_path / "r.ome.zarr", transform)
    ds = xr.open_dataset(path, engine="omezarr")
    image = ds["cells"]
    assert image.dims == ("y", "x") and "y" not in ds.coords and "x" not in ds.coords
    assert ds["y_physical"].dims == ("y", "x") and ds["y_physical"].attrs["units"] == "micrometer"
    assert isinstance(ds.xindexes["y_physical"].transform, RFC5CoordinateTransform)  # type: ignore[attr-defined]
    pixels = np.array([[0, 0], [1, 0], [0, 1], [3, 5], [2, 4]])
    expected = transform_points(path, pixels, source="s0", target="physical")
    assert np.array_equal(expected, parse_transformation(transform).apply(pixels))
    for (i, j), (y, x) in zip(pixels, expected, strict=True):
        assert float(ds["y_physical"][i, j]) == y and float(ds["x_physical"][i, j]) == x
    assert json.loads(ds["x_physical"].attrs["transformation"]) == transform_json_of(transform)
    tree = xr.open_datatree(path, engine="omezarr")
    assert np.array_equal(tree["s0"]["x_physical"].values, ds["x_physical"].values)


def transform_json_of(transform: dict[str, Any]) -> dict[str, Any]:
    from xarray_omezarr.geometry.rfc5 import transformation_json

    return transformation_json(parse_transformation(transform))


def test_an_affine_in_the_dataset_itself_is_read_too(tmp_path: Path) -> None:
    path = hand_built_store(tmp_path / "r.ome.zarr", AFFINE)
    group = zarr.open_group(path, mode="r+")
    ome = dict(group.attrs["ome"])
    multiscale = ome["multiscales"][0]
    multiscale["datasets"][0]["coordinateTransformations"] = [
        {**AFFINE, "input": {"path": "s0"}, "output": {"name": "physical"}}
    ]
    multiscale.pop("coordinateTransformations")
    group.attrs["ome"] = ome
    ds = xr.open_dataset(path, engine="omezarr")
    assert float(ds["y_physical"][0, 5]) == 0.0 and float(ds["x_physical"][3, 0]) == 7.0


def test_a_diagonal_affine_gives_exact_1d_coordinates(tmp_path: Path) -> None:
    diagonal = {"type": "affine", "affine": [[2.0, 0.0, 1.0], [0.0, 0.5, -1.0]]}
    ds = xr.open_dataset(hand_built_store(tmp_path / "d.ome.zarr", diagonal), engine="omezarr")
    assert ds["y"].values.tolist() == [1.0, 3.0, 5.0, 7.0]
    assert ds["x"].values.tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5]


def test_coordinate_system_chooses_the_output_system(tmp_path: Path) -> None:
    path = hand_built_store(tmp_path / "r.ome.zarr", AFFINE)
    intrinsic = xr.open_dataset(path, engine="omezarr", coordinate_system="intrinsic")
    assert intrinsic["x"].values.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    physical = xr.open_dataset(path, engine="omezarr", coordinate_system="physical")
    assert "x_physical" in physical.coords
    tree = xr.open_datatree(path, engine="omezarr", coordinate_system="intrinsic")
    assert tree["s0"]["y"].values.tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(InvalidImageError, match=r"'nowhere'.*\['physical', 'intrinsic'\]"):
        xr.open_dataset(path, engine="omezarr", coordinate_system="nowhere")
    with pytest.raises(InvalidImageError, match="nowhere"):
        xr.open_datatree(path, engine="omezarr", coordinate_system="nowhere")


def test_a_huge_rotated_image_opens_instantly_and_computes_only_what_is_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = hand_built_store(tmp_path / "big.ome.zarr", ROTATION, (20_000, 20_000), data=False)
    computed: list[int] = []
    forward = RFC5CoordinateTransform.forward

    def counting(self: RFC5CoordinateTransform, positions: dict[str, Any]) -> dict[Any, Any]:
        computed.append(int(np.broadcast(*positions.values()).size))
        return forward(self, positions)

    monkeypatch.setattr(RFC5CoordinateTransform, "forward", counting)
    start = time.perf_counter()
    ds = xr.open_dataset(path, engine="omezarr")
    assert time.perf_counter() - start < 5
    assert ds["x_physical"].shape == (20_000, 20_000) and computed == []
    value = float(ds["x_physical"][1234, 567])
    assert np.isclose(value, parse_transformation(ROTATION).apply([[1234, 567]])[0, 1])
    assert max(computed) == 1
    assert int(ds["cells"][7, 7]) == 0  # the fill value, read lazily


def test_written_back_as_0_6_keeps_the_transformation_and_the_coordinates(tmp_path: Path) -> None:
    read = xr.open_dataset(hand_built_store(tmp_path / "r.ome.zarr", AFFINE), engine="omezarr")["cells"]
    out = tmp_path / "out.ome.zarr"
    read.omezarr.to_zarr(out, version="0.6", scale_factors=(2,))
    validate_store(out)
    multiscale = json.loads((out / "zarr.json").read_text())["attributes"]["ome"]["multiscales"][0]
    (outer,) = multiscale["coordinateTransformations"]
    assert {k: outer[k] for k in ("type", "affine")} == AFFINE
    # the physical system keeps the name it was read with
    assert outer["input"] == {"name": "intrinsic"} and outer["output"] == {"name": "physical"}
    assert [s["name"] for s in multiscale["coordinateSystems"]] == ["physical", "intrinsic"]
    assert multiscale["coordinateSystems"][0]["axes"] == AXES
    back = xr.open_dataset(out, engine="omezarr")
    for name in ("y_physical", "x_physical"):
        assert np.array_equal(back[name].values, read[name].values)
    assert np.array_equal(back["cells"].values, read.values)
    # level 1: the pixel-centre pyramid geometry in level 0's index space, then the affine
    level1 = xr.open_dataset(out, engine="omezarr", level=1)
    expected = Affine(((0.0, -2.0, 10.0), (2.0, 0.0, 1.0))).apply([[0.5, 0.5], [2.5, 4.5]])
    assert float(level1["y_physical"][0, 0]) == expected[0, 0]
    assert float(level1["x_physical"][1, 2]) == expected[1, 1]
    again = tmp_path / "again.ome.zarr"
    back["cells"].omezarr.to_zarr(again, version="0.6", scale_factors=(2,))
    assert (again / "zarr.json").read_bytes() == (out / "zarr.json").read_bytes()


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_writing_a_rotated_image_as_0_4_or_0_5_is_refused_before_anything_is_written(
    tmp_path: Path, version: str
) -> None:
    read = xr.open_dataset(hand_built_store(tmp_path / "r.ome.zarr", ROTATION), engine="omezarr")["cells"]
    out = tmp_path / "out.ome.zarr"
    with pytest.raises(InvalidImageError, match=f'non-axis-aligned.*OME-NGFF {version}.*version="0.6"'):
        read.omezarr.to_zarr(out, version=version, scale_factors=(2,))
    assert not out.exists() or not any(out.iterdir())


def test_a_transposed_rotated_image_is_written_in_the_spec_order(tmp_path: Path) -> None:
    read = xr.open_dataset(hand_built_store(tmp_path / "r.ome.zarr", AFFINE), engine="omezarr")["cells"]
    read.omezarr.to_zarr(tmp_path / "a.ome.zarr", version="0.6", scale_factors=())
    read.transpose("x", "y").omezarr.to_zarr(tmp_path / "b.ome.zarr", version="0.6", scale_factors=())
    assert (tmp_path / "a.ome.zarr/zarr.json").read_bytes() == (
        tmp_path / "b.ome.zarr/zarr.json"
    ).read_bytes()


def test_a_sliced_rotated_image_is_refused_rather_than_written_without_its_placement(tmp_path: Path) -> None:
    read = xr.open_dataset(hand_built_store(tmp_path / "r.ome.zarr", AFFINE), engine="omezarr")["cells"]
    sliced = read.isel(y=slice(1, 3))
    with pytest.raises(InvalidImageError, match="have lost"):
        sliced.omezarr.to_zarr(tmp_path / "out.ome.zarr", version="0.6", scale_factors=())
    sliced.drop_vars(["y_physical", "x_physical"]).omezarr.to_zarr(
        tmp_path / "index.ome.zarr", version="0.6", scale_factors=()
    )


def test_a_label_on_the_rotated_grid_joins_the_image(tmp_path: Path) -> None:
    path = hand_built_store(tmp_path / "r.ome.zarr", AFFINE)
    label_path = hand_built_store(path / "labels" / "nuclei", AFFINE)
    zarr.open_group(path / "labels", mode="a", zarr_format=3).attrs["ome"] = {
        "version": "0.6",
        "labels": ["nuclei"],
    }
    label = zarr.open_group(label_path, mode="a")
    label.attrs["ome"] = {
        **dict(label.attrs["ome"]),
        "image-label": {"colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]}]},
    }
    ds = xr.open_dataset(path, engine="omezarr")
    assert ds["nuclei"].dims == ("y", "x") and "x_physical" in ds["nuclei"].coords
    assert np.array_equal(ds["nuclei"].values, ds["cells"].values)


SWAP = {"type": "mapAxis", "mapAxis": [1, 0]}
SWAPPED_PARTS = {
    "type": "byDimension",
    "transformations": [
        {"transformation": {"type": "scale", "scale": [2.0]}, "inputAxes": [0], "outputAxes": [1]},
        {
            "transformation": {"type": "translation", "translation": [-1.0]},
            "inputAxes": [1],
            "outputAxes": [0],
        },
    ],
}


@pytest.mark.parametrize("transform", [SWAP, SWAPPED_PARTS], ids=["mapAxis", "byDimension"])
def test_axis_swapping_transformations_give_lazy_coordinates_too(
    tmp_path: Path, transform: dict[str, Any]
) -> None:
    path = hand_built_store(tmp_path / "s.ome.zarr", transform, (3, 3))
    ds = xr.open_dataset(path, engine="omezarr")
    pixels = np.array([[0, 0], [1, 2], [2, 1]])
    expected = transform_points(path, pixels, source="s0", target="physical")
    got = np.array([[float(ds[f"{a}_physical"][i, j]) for a in "yx"] for i, j in pixels])
    assert np.array_equal(got, expected)


def test_a_label_on_a_rotated_image_lies_on_its_pixels(tmp_path: Path) -> None:
    """A label image of a rotated image: written on the image's grid (the same rotation), read back as a
    variable beside the image on the same lazy coordinates, and in its own subtree."""

    _, path = rotated_store(tmp_path)
    ds = xr.open_dataset(path, engine="omezarr")
    bright = (ds["cells"] > int(ds["cells"].median())).astype("uint8")
    xarray_omezarr.to_zarr_label(bright, path, "bright")
    again = xr.open_dataset(path, engine="omezarr")
    np.testing.assert_array_equal(again["bright"].values, bright.values)
    for name in ("y_physical", "x_physical"):
        np.testing.assert_array_equal(again["bright"][name].values, ds[name].values)
    image_ome = zarr.open_group(path, mode="r").attrs["ome"]["multiscales"][0]  # type: ignore[index]
    label_ome = zarr.open_group(path / "labels" / "bright", mode="r").attrs["ome"]["multiscales"][0]  # type: ignore[index]
    # the same rotation, into the label's own physical system (named after it)
    steps = [t["transformations"] for t in label_ome["coordinateTransformations"]]
    assert steps == [t["transformations"] for t in image_ome["coordinateTransformations"]]
    tree = xr.open_datatree(path, engine="omezarr")
    level1 = tree["labels/bright/1"]
    assert level1["bright"].shape == tree["1"]["cells"].shape == (20, 16)
    for name in ("y_physical", "x_physical"):
        np.testing.assert_array_equal(level1[name].values, tree["1"][name].values)
