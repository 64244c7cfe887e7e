"""Bad input is refused with a clear exception before anything is written, and malformed stores are
refused on read with a ``ValueError`` that says what is wrong.

Every refused write is tried twice: against a new target (which must not exist afterwards) and with
``mode="w"`` against an existing valid store (which must be byte-for-byte unchanged: the checks run
before the store is cleared).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

import xarray_omezarr  # noqa: F401  (registers the accessor)
from tests.support.builders import make_image, regular
from tests.support.stores import edit_ome, ome_metadata, snapshot
from tests.support.validators import validate_store
from xarray_omezarr import writer
from xarray_omezarr.testing import VERSIONS

# --- helpers -------------------------------------------------------------------------------------------


def existing_store(path: Path, version: str = "0.5") -> dict[str, bytes | None]:
    """Write a valid store at ``path`` and return its snapshot."""
    make_image(shape=(24, 20)).omezarr.to_zarr(path, scale_factors=(2,), version=version)
    state = snapshot(path)
    assert any(v for v in state.values())  # there are chunk and metadata bytes to protect
    return state


# --- refused writes ------------------------------------------------------------------------------------

# Each case: (DataArray factory, to_zarr keyword arguments, exception type, message pattern).
Raises = type[Exception] | tuple[type[Exception], ...]
BAD_WRITES: dict[str, tuple[Callable[[], xr.DataArray], dict[str, Any], Raises, str]] = {
    "irregular-coordinate": (
        lambda: make_image(coords={"y": np.r_[0.0, 1.0, 3.0, np.arange(4.0, 17.0)]}),
        {},
        ValueError,
        r"coordinate 'y' is not regular",
    ),
    "irregular-float32-coordinate": (
        lambda: make_image(coords={"x": np.r_[0.0, 1.0, 3.0, np.arange(4.0, 17.0)].astype("float32")}),
        {},
        ValueError,
        r"coordinate 'x' is not regular",
    ),
    "six-dims": (
        lambda: make_image(dims=("t", "c", "w", "z", "y", "x"), shape=(2, 1, 2, 2, 8, 8)),
        {"scale_factors": ()},
        ValueError,
        r"2 to 5 axes; got 6",
    ),
    "one-space-axis": (
        lambda: make_image(dims=("c", "x"), shape=(2, 16)),
        {"scale_factors": ()},
        ValueError,
        r"needs 2 or 3 space axes; \('c', 'x'\) has 1",
    ),
    "four-space-axes": (
        lambda: make_image(dims=("w", "z", "y", "x"), shape=(2, 2, 8, 8)),
        {"scale_factors": (), "axis_types": {"w": "space"}},
        ValueError,
        r"needs 2 or 3 space axes; .* has 4",
    ),
    "two-time-axes": (
        lambda: make_image(dims=("t", "u", "y", "x"), shape=(2, 2, 8, 8)),
        {"scale_factors": (), "axis_types": {"u": "time"}},
        ValueError,
        r"at most one time axis; got \['t', 'u'\]",
    ),
    "unknown-method": (
        lambda: make_image(),
        {"method": "bogus"},
        ValueError,
        r"unknown downsampling method 'bogus'",
    ),
    "time-unit-on-space-axis": (
        lambda: make_image(coords={"x": regular("x", 16, units="s")}),
        {},
        ValueError,
        r"axis 'x' has unit 's'.*time unit",
    ),
    "version-0.3": (
        lambda: make_image(),
        {"version": "0.3"},
        ValueError,
        r"version '0\.3' cannot be written",
    ),
    "version-0.7": (  # 0.6 is written since it was released; a version that is not is refused
        lambda: make_image(),
        {"version": "0.7"},
        ValueError,
        r"version '0\.7' cannot be written",
    ),
    "shrink-below-one-pixel": (
        lambda: make_image(shape=(16, 40)),
        {"scale_factors": (2, 4, 8, 16, 32)},
        ValueError,
        r"scale factor 32 at level 5 would shrink axis 'y' \(16 pixels\) below one pixel",
    ),
    "scale-factor-zero": (
        lambda: make_image(),
        {"scale_factors": (0,)},
        ValueError,
        r"scale factor 0 \(level 1\) must be a whole number >= 1",
    ),
    "scale-factor-fraction": (
        lambda: make_image(),
        {"scale_factors": (2, 1.5)},
        ValueError,
        r"scale factor 1\.5 \(level 2\) must be a whole number >= 1",
    ),
    "dict-factor-unknown-axis": (
        lambda: make_image(),
        {"scale_factors": ({"w": 2},)},
        ValueError,
        r"names axis 'w', which is not one of \['y', 'x'\]",
    ),
    "dict-factor-channel-axis": (
        lambda: make_image(dims=("c", "y", "x"), shape=(2, 16, 16)),
        {"scale_factors": ({"c": 2, "y": 2, "x": 2},)},
        ValueError,
        r"downsamples 'c', which is not a space axis",
    ),
    "chunks-auto": (
        lambda: make_image(),
        {"storage_options": {"chunks": "auto"}},
        ValueError,
        r"chunks='auto' is not allowed",
    ),
    "storage-options-wrong-length": (
        lambda: make_image(),
        {"scale_factors": (2, 4), "storage_options": [{"chunks": (8, 8)}, {"chunks": (4, 4)}]},
        ValueError,
        r"storage_options has 2 entries but the pyramid has 3 levels",
    ),
    "shards-not-multiple-of-chunks": (
        lambda: make_image(),
        {"storage_options": {"chunks": (4, 4), "shards": (6, 8)}},
        ValueError,
        r"shards \(6, 8\) \(level 0\) must be whole multiples of the chunks \(4, 4\)",
    ),
    "shards-with-0.4": (
        lambda: make_image(),
        {"version": "0.4", "storage_options": {"chunks": (4, 4), "shards": (8, 8)}},
        ValueError,
        r"sharding needs Zarr v3",
    ),
    "datetime-coordinate": (
        lambda: make_image(coords={"x": np.arange(16).astype("datetime64[s]")}),
        {},
        ValueError,
        r"coordinate 'x' has dtype datetime64",
    ),
    "string-coordinate": (
        lambda: make_image(coords={"y": [f"row{i}" for i in range(16)]}),
        {},
        ValueError,
        r"coordinate 'y' has dtype <U",
    ),
    "nan-coordinate": (
        lambda: make_image(coords={"x": np.r_[np.arange(15.0), np.nan]}),
        {},
        ValueError,
        r"coordinate 'x' holds NaN",
    ),
    "constant-coordinate": (
        lambda: make_image(coords={"x": np.full(16, 3.0)}),
        {},
        ValueError,
        r"coordinate 'x' does not increase",
    ),
    "bad-mode": (lambda: make_image(), {"mode": "x"}, ValueError, r"mode must be 'w-'"),
    # a chunk shape of the wrong length is named as such (not a bare zip() error)
    "chunks-wrong-length": (
        lambda: make_image(),
        {"storage_options": {"chunks": (4, 4, 4)}},
        ValueError,
        r"chunks .*must be 2 positive integers",
    ),
    # options that zarr itself refuses must be refused before the store is created or cleared
    "unknown-storage-option": (
        lambda: make_image(),
        {"storage_options": {"bogus": 1}},
        (TypeError, ValueError),
        r"bogus",
    ),
    "bad-compressors": (
        lambda: make_image(),
        {"storage_options": {"compressors": "bogus"}},
        (TypeError, ValueError),
        r"(?i)compressor|BytesBytesCodec",
    ),
    "object-dtype": (
        lambda: xr.DataArray(np.full((16, 16), None, dtype=object), dims=("y", "x")),
        {"scale_factors": ()},
        (TypeError, ValueError),
        r"(?i)object",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_WRITES))
def test_bad_write_to_new_target_writes_nothing(tmp_path: Path, case: str) -> None:
    make, kwargs, error, pattern = BAD_WRITES[case]
    target = tmp_path / "new.ome.zarr"
    with pytest.raises(error, match=pattern):
        make().omezarr.to_zarr(target, **kwargs)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("case", sorted(c for c in BAD_WRITES if "mode" not in BAD_WRITES[c][1]))
def test_bad_write_over_existing_store_with_mode_w_changes_nothing(tmp_path: Path, case: str) -> None:
    make, kwargs, error, pattern = BAD_WRITES[case]
    target = tmp_path / "old.ome.zarr"
    before = existing_store(target)
    with pytest.raises(error, match=pattern):
        make().omezarr.to_zarr(target, mode="w", **kwargs)
    assert snapshot(target) == before


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (
            lambda t: writer.write_image(np.ones((16, 16), "uint8"), t, fmt="0.7"),
            ValueError,
            r"version '0\.7' cannot be written",
        ),
        (
            lambda t: writer.write_image(np.ones((4, 16, 16), "uint8"), t),
            ValueError,
            r"axes are needed for a 3-D image",
        ),
        (
            lambda t: writer.write_image(np.ones((2, 16), "uint8"), t, axes="cx"),
            ValueError,
            r"needs 2 or 3 space axes",
        ),
        (
            lambda t: writer.write_image(np.ones((16, 16), "uint8"), t, scale_factors=(2,), method="bogus"),
            ValueError,
            r"unknown downsampling method",
        ),
        (
            lambda t: writer.write_multiscale(
                [np.ones((16, 16), "uint8"), np.ones((8, 8), "uint8")],
                t,
                axes="yx",
                coordinate_transformations=[[{"type": "scale", "scale": [1.0, 1.0]}]],
            ),
            ValueError,
            r"coordinate_transformations has 1 entries for 2 levels",
        ),
        (
            lambda t: writer.write_multiscale(
                [np.ones((16, 16), "uint8")],
                t,
                axes="yx",
                coordinate_transformations=[[{"type": "scale", "scale": [1.0, 1.0, 1.0]}]],
            ),
            ValueError,
            r"needs 2 finite numbers",
        ),
        (
            lambda t: writer.write_multiscale([np.ones((16, 16), "uint8")], t, axes="zyx"),
            ValueError,
            r"level 0 has 2 dimensions but there are 3 axes",
        ),
    ],
    ids=[
        "fmt-0.7",
        "3d-without-axes",
        "one-space-axis",
        "unknown-method",
        "transforms-count",
        "scale-length",
        "ndim",
    ],
)
def test_writer_functions_refuse_before_writing(
    tmp_path: Path, call: Callable[[str], Any], error: type[Exception], pattern: str
) -> None:
    target = tmp_path / "new.ome.zarr"
    with pytest.raises(error, match=pattern):
        call(str(target))
    assert not target.exists()


# --- existing targets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_existing_store_is_refused_without_mode_w(tmp_path: Path, version: str) -> None:
    target = tmp_path / "old.ome.zarr"
    before = existing_store(target, version)
    for new_version in VERSIONS:
        with pytest.raises(FileExistsError, match=r"already holds data; pass mode='w'"):
            make_image(shape=(8, 8)).omezarr.to_zarr(target, scale_factors=(), version=new_version)
    with pytest.raises(FileExistsError, match=r"already holds data; pass mode='w'"):
        make_image(shape=(8, 8)).omezarr.to_zarr(target, scale_factors=(), mode="w-")
    assert snapshot(target) == before


def test_non_empty_plain_directory_is_refused_without_mode_w(tmp_path: Path) -> None:
    target = tmp_path / "notes"
    (target / "sub").mkdir(parents=True)
    (target / "readme.txt").write_text("keep me")
    (target / "sub" / "data.bin").write_bytes(b"\x00\x01\x02")
    before = snapshot(target)
    with pytest.raises(FileExistsError, match=r"already holds data; pass mode='w'"):
        make_image().omezarr.to_zarr(target)
    assert snapshot(target) == before


@pytest.mark.parametrize(
    ("old_version", "new_version"), [("0.5", "0.5"), ("0.4", "0.4"), ("0.5", "0.4"), ("0.4", "0.5")]
)
def test_mode_w_replaces_existing_store(tmp_path: Path, old_version: str, new_version: str) -> None:
    target = tmp_path / "old.ome.zarr"
    make_image(shape=(32, 32)).omezarr.to_zarr(target, scale_factors=(2, 4), version=old_version)
    new = make_image(shape=(20, 24), coords={"x": regular("x", 24, 5.0, 0.5)}) * 3
    new.name = "replacement"
    new.omezarr.to_zarr(target, scale_factors=(2,), mode="w", version=new_version)
    validate_store(target)
    ds = xr.open_dataset(target, engine="omezarr")
    assert list(ds.data_vars) == ["replacement"]
    np.testing.assert_array_equal(ds["replacement"].values, new.values)
    np.testing.assert_array_equal(ds["x"].values, new["x"].values)
    tree = xr.open_datatree(target, engine="omezarr")
    assert sorted(tree.children) == ["0", "1"]
    assert not (target / "2").exists()  # no level of the old pyramid is left behind
    # only the new format's metadata files remain
    if new_version == "0.5":
        assert not (target / ".zattrs").exists() and not (target / ".zgroup").exists()
    else:
        assert not (target / "zarr.json").exists()


# --- accepted edge cases -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_float32_coordinate_is_regular_within_its_precision(tmp_path: Path, version: str) -> None:
    x = np.arange(100, dtype="float32") * 0.1 + 1000
    assert x.dtype == np.float32
    assert not np.allclose(np.diff(x.astype(np.float64)), 0.1, rtol=1e-6, atol=0)  # irregular in float64
    da = xr.DataArray(np.ones((4, 100), "uint8"), dims=("y", "x"), coords={"x": x})
    target = tmp_path / "f32.ome.zarr"
    da.omezarr.to_zarr(target, scale_factors=(), version=version)
    ome = ome_metadata(target)
    transforms = ome["multiscales"][0]["datasets"][0]["coordinateTransformations"]
    assert transforms[0] == {"type": "scale", "scale": [1.0, 0.1]}
    assert transforms[1] == {"type": "translation", "translation": [0.0, 1000.0]}
    ds = xr.open_dataset(target, engine="omezarr")
    np.testing.assert_array_equal(ds["x"].values.astype("float32"), x)


@pytest.mark.parametrize("version", VERSIONS)
def test_decreasing_coordinate_never_writes_an_invalid_store(tmp_path: Path, version: str) -> None:
    """A decreasing coordinate is either refused before writing (naming the dim) or written as a valid
    store that reads back with the same value at the same coordinate."""
    da = make_image(shape=(16, 16), coords={"x": regular("x", 16, 15.0, -1.0)})
    target = tmp_path / "decreasing.ome.zarr"
    try:
        da.omezarr.to_zarr(target, scale_factors=(2,), version=version)
    except ValueError as error:
        assert "'x'" in str(error)
        assert not target.exists()
        return
    validate_store(target)
    ds = xr.open_dataset(target, engine="omezarr")
    xr.testing.assert_equal(ds["img"].sortby("x").reset_coords(drop=True), da.sortby("x"))


# --- malformed stores on read --------------------------------------------------------------------------


def _set_path(value: str) -> Callable[[dict[str, Any]], None]:
    def edit(ome: dict[str, Any]) -> None:
        ome["multiscales"][0]["datasets"][1]["path"] = value

    return edit


def _add_missing_dataset(ome: dict[str, Any]) -> None:
    datasets = ome["multiscales"][0]["datasets"]
    datasets.append({"path": "7", "coordinateTransformations": datasets[-1]["coordinateTransformations"]})


def _short_scale(ome: dict[str, Any]) -> None:
    ome["multiscales"][0]["datasets"][0]["coordinateTransformations"][0]["scale"] = [1.0]


def _long_translation(ome: dict[str, Any]) -> None:
    ome["multiscales"][0]["datasets"][1]["coordinateTransformations"][1]["translation"] = [0.5, 0.5, 0.5]


def _drop_multiscales(ome: dict[str, Any]) -> None:
    del ome["multiscales"]


def _empty_datasets(ome: dict[str, Any]) -> None:
    ome["multiscales"][0]["datasets"] = []


def _extra_axis(ome: dict[str, Any]) -> None:
    ome["multiscales"][0]["axes"].insert(0, {"name": "z", "type": "space"})


def _unknown_transform(ome: dict[str, Any]) -> None:
    ome["multiscales"][0]["datasets"][0]["coordinateTransformations"].append(
        {"type": "affine", "affine": [[1, 0, 0], [0, 1, 0]]}
    )


MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "path-parent": (_set_path("../x"), r"dataset path '\.\./x' leaves its group"),
    "path-absolute": (_set_path("/0"), r"dataset path '/0' leaves its group"),
    "path-missing-array": (
        _add_missing_dataset,
        r"dataset '7' is listed in the metadata but there is no array",
    ),
    "scale-wrong-length": (
        _short_scale,
        r"dataset '0' has a scale of \[1\.0\], which needs 2 finite numbers",
    ),
    "translation-wrong-length": (
        _long_translation,
        r"dataset '1' has a translation .* needs 2 finite numbers",
    ),
    "multiscales-missing": (_drop_multiscales, r"'multiscales' is missing"),
    "datasets-empty": (_empty_datasets, r"lists no datasets"),
    "axes-count": (_extra_axis, r"3 axes but its arrays have 2 dimensions"),
    "unsupported-transform": (_unknown_transform, r"unsupported type 'affine'"),
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_store_is_refused_on_read(tmp_path: Path, case: str, version: str) -> None:
    edit, pattern = MALFORMED[case]
    target = tmp_path / "broken.ome.zarr"
    make_image(shape=(16, 16)).omezarr.to_zarr(target, scale_factors=(2,), version=version)
    xr.open_dataset(target, engine="omezarr").load()  # valid before the edit
    edit_ome(target, edit)
    with pytest.raises(ValueError, match=pattern):
        xr.open_dataset(target, engine="omezarr")
    with pytest.raises(ValueError, match=pattern):
        xr.open_datatree(target, engine="omezarr")


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no zarr group at"):
        xr.open_dataset(tmp_path / "absent.ome.zarr", engine="omezarr")


@pytest.mark.parametrize("level", [2, -3])
def test_level_out_of_range(tmp_path: Path, level: int) -> None:
    target = tmp_path / "img.ome.zarr"
    make_image().omezarr.to_zarr(target, scale_factors=(2,))
    with pytest.raises(IndexError, match=r"level .* requested, but the image has 2 levels"):
        xr.open_dataset(target, engine="omezarr", level=level)
