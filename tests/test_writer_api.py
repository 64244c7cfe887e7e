"""The seed-compatible functional API: names, parameters and behaviour of ome-zarr-py's writer."""

from __future__ import annotations

import inspect
import json

import dask
import dask.array as da
import numpy as np
import pytest
import xarray as xr
import zarr
from dask.delayed import Delayed

from tests.support.stores import group_attributes, ome_metadata
from tests.support.validators import validate_store
from xarray_omezarr import writer
from xarray_omezarr.ngff import CurrentFormat, FormatV04, FormatV05, format_from_version
from xarray_omezarr.testing import VERSIONS

SEED_SIGNATURES = {
    "check_format": ["group", "fmt"],
    "check_group_fmt": ["group", "fmt", "mode"],
    "write_image": [
        "image",
        "group",
        "scale_factors",
        "method",
        "scaler",
        "fmt",
        "axes",
        "coordinate_transformations",
        "storage_options",
        "compute",
    ],
    "write_multiscale": [
        "pyramid",
        "group",
        "fmt",
        "axes",
        "coordinate_transformations",
        "storage_options",
        "name",
        "compute",
    ],
    "write_multiscales_metadata": ["group", "datasets", "fmt", "axes", "name"],
}


@pytest.mark.parametrize("function", sorted(SEED_SIGNATURES))
def test_seed_names_and_positional_parameters(function):
    parameters = list(inspect.signature(getattr(writer, function)).parameters)
    assert parameters[: len(SEED_SIGNATURES[function])] == SEED_SIGNATURES[function]


def test_seed_defaults():
    defaults = {name: p.default for name, p in inspect.signature(writer.write_image).parameters.items()}
    assert tuple(defaults["scale_factors"]) == (2, 4, 8, 16)
    assert defaults["method"] == "resize"
    assert defaults["compute"] is True
    assert inspect.signature(writer.check_group_fmt).parameters["mode"].default == "a"


def test_formats():
    assert CurrentFormat() == FormatV05() == format_from_version("0.5")
    assert format_from_version("0.4") == FormatV04()
    with pytest.raises(ValueError, match="cannot be written"):
        format_from_version("0.3")


@pytest.mark.parametrize("fmt", [FormatV04(), FormatV05(), "0.4", "0.5"])
@pytest.mark.parametrize("lazy", [False, True])
def test_write_image_numpy_and_dask_like_the_seed(tmp_path, fmt, lazy):
    data = np.random.default_rng(0).integers(0, 1000, (2, 5, 64, 48)).astype("uint16")
    image = da.from_array(data, chunks=(1, 5, 32, 32)) if lazy else data
    path = tmp_path / "img.ome.zarr"
    assert writer.write_image(image, str(path), axes="czyx", fmt=fmt, scale_factors=(2, 4)) == []
    validate_store(path)
    group = zarr.open_group(path, mode="r")
    assert [group[p].shape for p in ("0", "1", "2")] == [(2, 5, 64, 48), (2, 5, 32, 24), (2, 5, 16, 12)]
    np.testing.assert_array_equal(group["0"][...], data)
    multiscale = ome_metadata(path)["multiscales"][0]
    assert [a["name"] for a in multiscale["axes"]] == ["c", "z", "y", "x"]
    # resize puts level 1's first pixel at the centre of the first 2x2 block: translation 0.5
    assert multiscale["datasets"][1]["coordinateTransformations"] == [
        {"type": "scale", "scale": [1.0, 1.0, 2.0, 2.0]},
        {"type": "translation", "translation": [0.0, 0.0, 0.5, 0.5]},
    ]
    assert multiscale["type"] == "resize"
    assert multiscale["metadata"]["method"] == "xarray_omezarr.scale.downsample"


def test_write_image_into_an_open_group_with_extra_metadata(tmp_path):
    group = zarr.open_group(tmp_path / "g.zarr", mode="w", zarr_format=2)
    writer.write_image(np.zeros((32, 32), "uint8"), group, scale_factors=(2,), name="named", description="x")
    multiscale = ome_metadata(tmp_path / "g.zarr")["multiscales"][0]
    assert (
        multiscale["version"] == "0.4" and multiscale["name"] == "named" and multiscale["description"] == "x"
    )


def test_write_image_accepts_a_dataarray_and_uses_its_coordinates(tmp_path):
    image = xr.DataArray(
        np.zeros((3, 16, 16), "float32"),
        dims=("z", "y", "x"),
        coords={
            "z": ("z", [0.0, 2.0, 4.0], {"units": "um"}),
            "y": np.arange(16) * 0.5,
            "x": np.arange(16) * 0.5,
        },
    )
    writer.write_image(image, str(tmp_path / "d.ome.zarr"), scale_factors=(2,), method="nearest")
    multiscale = ome_metadata(tmp_path / "d.ome.zarr")["multiscales"][0]
    assert multiscale["axes"][0] == {"name": "z", "type": "space", "unit": "micrometer"}
    assert multiscale["datasets"][1]["coordinateTransformations"] == [
        {"type": "scale", "scale": [2.0, 1.0, 1.0]}
    ]


def test_scaler_is_deprecated_and_ignored(tmp_path):
    with pytest.warns(DeprecationWarning, match="scaler"):
        writer.write_image(
            np.zeros((8, 8), "uint8"), str(tmp_path / "s.zarr"), scale_factors=(2,), scaler=object()
        )
    assert zarr.open_group(tmp_path / "s.zarr", mode="r")["1"].shape == (4, 4)


def test_write_multiscale_with_user_transforms_and_storage_options_per_level(tmp_path):
    levels = [np.ones((64, 64), "uint8"), np.ones((32, 32), "uint8")]
    transforms = [[{"type": "scale", "scale": [0.5, 0.5]}], [{"type": "scale", "scale": [1.0, 1.0]}]]
    writer.write_multiscale(
        levels,
        str(tmp_path / "m.zarr"),
        axes=["y", "x"],
        coordinate_transformations=transforms,
        storage_options=[{"chunks": (16, 16)}, {"chunks": (8, 8)}],
        name="m",
    )
    group = zarr.open_group(tmp_path / "m.zarr", mode="r")
    assert group["0"].chunks == (16, 16) and group["1"].chunks == (8, 8)
    assert [
        d["coordinateTransformations"]
        for d in ome_metadata(tmp_path / "m.zarr")["multiscales"][0]["datasets"]
    ] == transforms


def test_write_multiscale_without_transforms_uses_the_shape_ratio(tmp_path):
    writer.write_multiscale([np.ones((8, 8)), np.ones((4, 4))], str(tmp_path / "r.zarr"))
    datasets = ome_metadata(tmp_path / "r.zarr")["multiscales"][0]["datasets"]
    assert datasets[1]["coordinateTransformations"] == [{"type": "scale", "scale": [2.0, 2.0]}]


def test_write_multiscales_metadata_validates_datasets(tmp_path):
    group = zarr.open_group(tmp_path / "x.zarr", mode="w")
    with pytest.raises(ValueError, match="one 'scale' first"):
        writer.write_multiscales_metadata(group, [{"path": "0", "coordinateTransformations": []}], axes="yx")
    with pytest.raises(ValueError, match="needs 2 finite numbers"):
        writer.write_multiscales_metadata(
            group,
            [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1.0]}]}],
            axes="yx",
        )
    assert "ome" not in group.attrs


def test_check_format_and_check_group_fmt(tmp_path):
    v2 = zarr.open_group(tmp_path / "v2.zarr", mode="w", zarr_format=2)
    assert writer.check_format(v2) == FormatV04()
    with pytest.raises(ValueError, match="needs a Zarr v3 group"):
        writer.check_format(v2, FormatV05())
    group, fmt = writer.check_group_fmt(str(tmp_path / "new.zarr"), "0.4")
    assert group.metadata.zarr_format == 2 and fmt == FormatV04()
    group, fmt = writer.check_group_fmt(str(tmp_path / "new.zarr"))  # mode "a" opens what is there
    assert fmt == FormatV04()


@pytest.mark.parametrize("version", VERSIONS)
def test_compute_false_writes_data_first_and_metadata_last(tmp_path, version):
    path = tmp_path / "lazy.ome.zarr"
    image = xr.DataArray(
        da.ones((2, 64, 64), chunks=(1, 32, 32), dtype="uint16"), dims=("c", "y", "x"), name="l"
    )
    delayed = image.omezarr.to_zarr(path, scale_factors=(2,), version=version, compute=False)
    assert len(delayed) == 1 and isinstance(delayed[0], Delayed)
    group = zarr.open_group(path, mode="r")
    assert "multiscales" not in json.dumps(dict(group.attrs))  # nothing claims to be an image yet
    dask.compute(*delayed)
    read = xr.open_dataset(path, engine="omezarr")
    np.testing.assert_array_equal(read["l"].values, 1)


def test_a_write_that_fails_midway_leaves_no_image_metadata(tmp_path):
    def explode(block):
        raise RuntimeError("disk on fire")

    data = da.ones((64, 64), chunks=16, dtype="uint8").map_blocks(lambda b: b, dtype="uint8")
    data = da.concatenate(
        [data, da.ones((64, 64), chunks=16, dtype="uint8").map_blocks(explode, dtype="uint8")]
    )
    with pytest.raises(RuntimeError, match="disk on fire"):
        xr.DataArray(data, dims=("y", "x")).omezarr.to_zarr(tmp_path / "f.ome.zarr", scale_factors=())
    attrs = group_attributes(tmp_path / "f.ome.zarr")
    assert "ome" not in attrs
    with pytest.raises(ValueError, match="no OME-Zarr multiscale"):
        xr.open_dataset(tmp_path / "f.ome.zarr", engine="omezarr")


def test_default_chunks_are_a_few_mib_and_clipped_to_each_level(tmp_path):
    image = xr.DataArray(
        da.zeros((2, 40, 2048, 2048), chunks=(2, 40, 2048, 2048), dtype="uint16"), dims=("c", "z", "y", "x")
    )
    delayed = image.omezarr.to_zarr(
        tmp_path / "c.ome.zarr", scale_factors=(2, 4, 8, 16, 32, 64), compute=False
    )
    assert delayed
    group = zarr.open_group(tmp_path / "c.ome.zarr", mode="r")
    for path in map(str, range(7)):
        array = group[path]
        nbytes = np.prod(array.chunks) * array.dtype.itemsize
        assert nbytes <= 4 * 2**20, (path, array.chunks)
        assert all(c <= n for c, n in zip(array.chunks, array.shape, strict=True))
    assert group["0"].chunks == (1, 40, 128, 128) or np.prod(group["0"].chunks) * 2 >= 2**20


def test_user_transforms_without_a_scale_are_refused_before_writing(tmp_path):
    target = tmp_path / "t.zarr"
    with pytest.raises(ValueError, match="one 'scale' first"):
        writer.write_multiscale(
            [np.zeros((4, 4))],
            str(target),
            axes="yx",
            coordinate_transformations=[[{"type": "translation", "translation": [1.0, 1.0]}]],
        )
    assert not target.exists()


def test_shards_for_0_5_round_trip_and_validate(tmp_path):
    data = da.random.default_rng(1).integers(0, 1000, (2, 64, 96), chunks=(1, 20, 20)).astype("uint16")
    image = xr.DataArray(data, dims=("c", "y", "x"), name="s")
    path = tmp_path / "sharded.ome.zarr"
    image.omezarr.to_zarr(
        path, scale_factors=(2,), storage_options={"chunks": (1, 16, 16), "shards": (1, 32, 32)}
    )
    group = zarr.open_group(path, mode="r")
    assert group["0"].chunks == (1, 16, 16) and group["0"].shards == (1, 32, 32)
    np.testing.assert_array_equal(xr.open_dataset(path, engine="omezarr")["s"].values, image.values)
    validate_store(path)
