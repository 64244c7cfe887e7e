"""The command line: ``xarray-omezarr info|validate|convert|demo``, on stores and files written by others."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
import xarray as xr

import xarray_omezarr
from tests.support.stores import edit_ome
from xarray_omezarr.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def store(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    coords = {
        "z": ("z", 1.0 + 2.0 * np.arange(4), {"units": "micrometer"}),
        "y": ("y", 0.25 * np.arange(48), {"units": "micrometer"}),
        "x": ("x", 0.25 * np.arange(40), {"units": "micrometer"}),
    }
    image = xr.DataArray(
        rng.integers(0, 900, (2, 4, 48, 40), dtype="uint16"),
        dims=("c", "z", "y", "x"),
        coords={"c": ["DAPI", "GFP"], **coords},
        name="cells",
    )
    nuclei = xr.DataArray((image.isel(c=0).values > 450).astype("uint8"), dims=("z", "y", "x"), coords=coords)
    path = tmp_path / "cells.ome.zarr"
    image.omezarr.to_zarr(path, scale_factors=(2, 4), method="local_mean", labels={"nuclei": nuclei})
    return path


def test_info_shows_levels_storage_coordinates_channels_and_labels(store: Path, capsys) -> None:
    status, out, _ = run(capsys, "info", str(store))
    assert status == 0
    assert "OME-NGFF 0.5 image 'cells'" in out
    assert "level 2: 2 x 4 x 12 x 10 uint16" in out
    assert (
        "scale c=1, z=2 micrometer, y=1 micrometer, x=1 micrometer; translation c=0, z=1, y=0.375, x=0.375"
        in out
    )
    assert "channel 'GFP': colour FF00FF, window" in out
    assert "label image 'nuclei':" in out
    assert out.strip().endswith("valid")


def test_info_json_is_machine_readable(store: Path, capsys) -> None:
    status, out, _ = run(capsys, "info", str(store), "--json")
    assert status == 0
    info = json.loads(out)
    assert info["kind"] == "image" and info["valid"] is True and info["problems"] == []
    assert [level["shape"] for level in info["levels"]] == [[2, 4, 48, 40], [2, 4, 24, 20], [2, 4, 12, 10]]
    assert info["levels"][1]["translation"] == {"c": 0.0, "z": 1.0, "y": 0.125, "x": 0.125}
    assert info["levels"][0]["codecs"][-1].startswith("blosc(")
    assert [c["label"] for c in info["channels"]] == ["DAPI", "GFP"]
    assert list(info["labels"]) == ["nuclei"]
    assert info["labels"]["nuclei"]["method"] == "mode"


def test_info_on_a_plate(tmp_path: Path, capsys) -> None:
    field = xr.DataArray(np.ones((16, 16), "uint8"), dims=("y", "x"))
    xarray_omezarr.write_plate(
        tmp_path / "plate.ome.zarr", {"A/1": [field], "B/3": [field, field]}, scale_factors=(2,)
    )
    status, out, _ = run(capsys, "info", str(tmp_path / "plate.ome.zarr"), "--json")
    info = json.loads(out)
    assert status == 0 and info["kind"] == "plate" and info["valid"]
    assert info["rows"] == ["A", "B"] and info["columns"] == ["1", "3"]
    assert info["wells"] == [{"path": "A/1", "fields": ["0"]}, {"path": "B/3", "fields": ["0", "1"]}]


def test_validate_accepts_a_good_store(store: Path, capsys) -> None:
    assert run(capsys, "validate", str(store)) == (0, f"{store}: valid\n", "")


def test_validate_names_each_problem_on_its_own_line(store: Path, capsys) -> None:
    def wrong_scale(ome) -> None:
        ome["multiscales"][0]["datasets"][1]["coordinateTransformations"][0]["scale"] = [
            1.0,
            2.0,
            0.375,
            0.125,
        ]

    def no_axes(ome) -> None:
        del ome["multiscales"][0]["axes"]

    edit_ome(store, wrong_scale)
    edit_ome(store / "labels" / "nuclei", no_axes)
    status, out, _ = run(capsys, "validate", str(store))
    assert status == 1
    lines = out.splitlines()
    assert "1: has 24 pixels along 'y', but its scale (1.5 times level 0's) makes 48 / 1.5 = 32" in lines
    assert "1: has 20 pixels along 'x', but its scale (0.5 times level 0's) makes 40 / 0.5 = 80" in lines
    assert any(
        line.startswith("labels/nuclei: the 0.5 image schema refuses") and "'axes'" in line for line in lines
    )
    assert any(
        line.startswith("labels/nuclei/1: does not lie on its image's level 1 along 'y'") for line in lines
    )


def test_validate_reports_a_missing_array_and_a_path_outside_the_store(store: Path, capsys) -> None:
    shutil.rmtree(store / "2")

    def outside(ome) -> None:
        ome["multiscales"][0]["datasets"][1]["path"] = "../elsewhere"

    edit_ome(store / "labels" / "nuclei", outside)
    status, out, _ = run(capsys, "validate", str(store))
    assert status == 1
    assert "/: dataset '2' is listed in the metadata but there is no array there" in out.splitlines()
    assert any("'../elsewhere' leaves its group" in line for line in out.splitlines())


def test_errors_are_one_line_with_status_2(tmp_path: Path, capsys) -> None:
    status, out, err = run(capsys, "info", str(tmp_path / "nothing.ome.zarr"))
    assert (status, out) == (2, "")
    assert err.startswith("error: ") and err.count("\n") == 1
    status, _, err = run(capsys, "convert", str(tmp_path / "none.tif"), str(tmp_path / "out.ome.zarr"))
    assert status == 2 and "there is no file or folder" in err
    assert not (tmp_path / "out.ome.zarr").exists()


def test_every_command_has_help_with_an_example(capsys) -> None:
    for command in ("info", "validate", "convert", "demo"):
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0
        assert "example: xarray-omezarr " + command in capsys.readouterr().out


def test_convert_an_ome_tiff_keeps_sizes_units_and_channel_names(tmp_path: Path, capsys) -> None:
    data = np.random.default_rng(1).integers(0, 4000, (2, 3, 40, 52), dtype="uint16")
    source = tmp_path / "cells.ome.tif"
    metadata = {
        "axes": "CZYX",
        "PhysicalSizeX": 0.325,
        "PhysicalSizeY": 0.325,
        "PhysicalSizeZ": 1.5,
        "PhysicalSizeZUnit": "nm",
        "Channel": {"Name": ["DAPI", "Cy5"]},
    }
    tifffile.imwrite(source, data, ome=True, metadata=metadata)
    target = tmp_path / "cells.ome.zarr"
    status, _, err = run(
        capsys, "convert", str(source), str(target), "--scale-factors", "2", "--method", "nearest"
    )
    assert status == 0, err
    ds = xr.open_dataset(target, engine="omezarr")
    image = ds["cells"]
    np.testing.assert_array_equal(image.values, data)
    assert image["c"].values.tolist() == ["DAPI", "Cy5"]
    assert float(image["x"][1]) == 0.325 and image["x"].attrs["units"] == "micrometer"
    assert float(image["z"][1]) == 1.5 and image["z"].attrs["units"] == "nanometer"
    level1 = xr.open_dataset(target, engine="omezarr", level=1)["cells"]
    np.testing.assert_array_equal(level1.values, data[:, :, ::2, ::2])
    assert run(capsys, "validate", str(target))[0] == 0


def test_convert_a_plain_tiff_with_imagej_sizes_and_chosen_storage(tmp_path: Path, capsys) -> None:
    data = np.random.default_rng(2).integers(0, 255, (5, 64, 48), dtype="uint8")
    source = tmp_path / "stack.tif"
    tifffile.imwrite(
        source,
        data,
        imagej=True,
        resolution=(1 / 0.2, 1 / 0.2),
        metadata={"spacing": 0.8, "unit": "micron", "axes": "ZYX"},
    )
    target = tmp_path / "stack.ome.zarr"
    options = [
        "--chunks",
        "1",
        "32",
        "32",
        "--shards",
        "1",
        "64",
        "64",
        "--codec",
        "zstd",
        "--version",
        "0.5",
    ]
    status, _, err = run(
        capsys, "convert", str(source), str(target), "--scale-factors", "none", "--quiet", *options
    )
    assert status == 0, err
    image = xr.open_dataset(target, engine="omezarr")["stack"]
    np.testing.assert_array_equal(image.values, data)
    assert float(image["y"][1]) == pytest.approx(0.2) and float(image["z"][1]) == pytest.approx(0.8)
    assert image["x"].attrs["units"] == "micrometer"
    info = json.loads(run(capsys, "info", str(target), "--json")[1])
    assert info["levels"][0]["chunks"] == [1, 32, 32] and info["levels"][0]["shards"] == [1, 64, 64]
    assert "zstd(level=3, checksum=False)" in info["levels"][0]["codecs"][-1]


@pytest.mark.parametrize("kind", ["netcdf", "zarr"])
def test_convert_what_xarray_opens_keeps_its_coordinates(tmp_path: Path, capsys, kind: str) -> None:
    volume = xr.DataArray(
        np.random.default_rng(3).random((6, 30, 20)).astype("float32"),
        dims=("z", "y", "x"),
        coords={
            "z": ("z", -2.0 + 0.5 * np.arange(6), {"units": "um"}),
            "y": ("y", 10.0 + 0.1 * np.arange(30), {"units": "um"}),
            "x": ("x", 0.1 * np.arange(20), {"units": "um"}),
        },
        name="density",
    )
    source = tmp_path / ("volume.nc" if kind == "netcdf" else "volume.zarr")
    if kind == "netcdf":
        volume.to_netcdf(source, engine="scipy")
    else:
        volume.to_zarr(source, consolidated=False)
    target = tmp_path / "volume.ome.zarr"
    assert run(capsys, "convert", str(source), str(target), "--scale-factors", "2", "--quiet")[0] == 0
    read = xr.open_dataset(target, engine="omezarr")["density"]
    np.testing.assert_array_equal(read.values, volume.values)
    for dim in "zyx":
        np.testing.assert_allclose(read[dim].values, volume[dim].values, rtol=1e-12)
        assert read[dim].attrs["units"] == "micrometer"


def test_convert_an_ome_zarr_to_another_version_with_its_labels(store: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "old.ome.zarr"
    assert (
        run(
            capsys,
            "convert",
            str(store),
            str(target),
            "--version",
            "0.4",
            "--scale-factors",
            "2",
            "4",
            "--method",
            "local_mean",
            "--quiet",
        )[0]
        == 0
    )
    before = xr.open_dataset(store, engine="omezarr", level=2).compute()
    after = xr.open_dataset(target, engine="omezarr", level=2).compute()
    xr.testing.assert_equal(after["cells"], before["cells"])
    xr.testing.assert_equal(after["nuclei"], before["nuclei"])
    assert run(capsys, "validate", str(target))[0] == 0


def test_the_console_script_and_python_m_run_the_same_command(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "xarray-omezarr"
    for command in ([str(script)], [sys.executable, "-m", "xarray_omezarr"]):
        target = tmp_path / f"demo-{len(command)}.ome.zarr"
        result = subprocess.run([*command, "demo", str(target)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert "level 2: shape {'c': 2, 'z': 24, 'y': 64, 'x': 64} uint16" in result.stdout
        again = subprocess.run([*command, "demo", str(target)], capture_output=True, text=True, check=False)
        assert again.returncode == 2 and again.stderr.startswith("error: ") and "mode='w'" in again.stderr
