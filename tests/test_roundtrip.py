"""Write -> read -> write: data, coordinates, units and channel names come back exactly, and the second
write reproduces the first one's OME metadata byte for byte."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import xarray as xr
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st

import xarray_omezarr  # noqa: F401
from tests.support.stores import edit_ome, group_attributes
from tests.support.validators import validate_store
from xarray_omezarr.geometry.units import normalize_unit
from xarray_omezarr.testing import VERSIONS, images, methods, scale_factors, storage_options, versions


def expected_units(image: xr.DataArray) -> dict[str, str | None]:
    return {
        str(d): normalize_unit(image[d].attrs.get("units"), "time" if d == "t" else "space", axis_name=str(d))
        for d in image.dims
        if d in image.coords and d != "c"
    }


def assert_read_matches(read: xr.DataArray, image: xr.DataArray) -> None:
    expected = image.transpose(*[d for d in ("t", "c", "z", "y", "x") if d in image.dims])
    assert read.dims == expected.dims
    assert read.dtype == expected.dtype
    np.testing.assert_array_equal(read.values, expected.values)
    for dim in expected.dims:
        if dim == "c":
            if "c" in expected.coords:
                assert read["c"].values.tolist() == [str(v) for v in expected["c"].values]
            continue
        if dim in expected.coords:
            # rebuilt from scale and translation: equal to the original to the last bits of rounding
            np.testing.assert_allclose(
                read[dim].values,
                expected[dim].values,
                rtol=1e-12,
                atol=1e-12 * abs(float(expected[dim].values[-1])),
            )
        else:
            np.testing.assert_array_equal(read[dim].values, np.arange(expected.sizes[dim], dtype=float))
    for dim, unit in expected_units(image).items():
        assert read[dim].attrs.get("units") == unit


@settings(max_examples=50, deadline=None)
@given(image=images(), lazy=st.booleans(), version=versions(), method=methods(), data=st.data())
def test_round_trip_is_exact(new_store, image, lazy, version, method, data):
    factors = data.draw(scale_factors(image, method), label="scale_factors")
    options = data.draw(storage_options(image, version, levels=len(factors) + 1), label="storage_options")
    write = {"scale_factors": factors, "method": method, "version": version, "storage_options": options}
    path = new_store("image.ome.zarr")
    source = image.chunk({d: 5 for d in image.dims}) if lazy else image
    source.omezarr.to_zarr(path, **write)
    ds = xr.open_dataset(path, engine="omezarr")
    name = image.name or "image"
    assert list(ds.data_vars) == [name]
    assert_read_matches(ds[name], image)

    again = path.parent / "again.ome.zarr"
    ds[name].omezarr.to_zarr(again, **write)
    assert group_attributes(again) == group_attributes(path)


@settings(max_examples=40, deadline=None)
@given(
    image=images(min_side=8, max_side=40, layouts=(("y", "x"), ("c", "z", "y", "x"), ("z", "y", "x"))),
    version=versions(),
    method=methods(),
    data=st.data(),
)
def test_pyramid_round_trip_and_validators(new_store, version, method, image, data):
    factors = data.draw(scale_factors(image, method, min_levels=1), label="scale_factors")
    options = data.draw(storage_options(image, version, levels=len(factors) + 1), label="storage_options")
    write = {"scale_factors": factors, "method": method, "version": version, "storage_options": options}
    path = new_store("image.ome.zarr")
    image.omezarr.to_zarr(path, **write)
    validate_store(path)
    tree = xr.open_datatree(path, engine="omezarr")
    name = image.name or "image"
    expected = image.omezarr.pyramid(scale_factors=factors, method=method)
    levels = [str(level) for level in range(len(factors) + 1)]
    assert list(tree.children) == levels
    for level in levels:
        read = tree[level].dataset[name]
        want = expected[level].dataset[name]
        np.testing.assert_array_equal(read.values, want.values)
        for dim in read.dims:
            if dim != "c":
                np.testing.assert_array_equal(read[dim].values, want[dim].values)
    again = path.parent / "again.ome.zarr"
    xr.open_dataset(path, engine="omezarr")[name].omezarr.to_zarr(again, **write)
    assert group_attributes(again) == group_attributes(path)


@pytest.mark.parametrize("version", VERSIONS)
def test_rewriting_a_snapped_scale_keeps_it(tmp_path, version):
    """Write -> read -> write of a nearly regular coordinate gives the same scale, to the last bit."""
    step = 512.7587719862057
    image = xr.DataArray(
        np.zeros((2, 22), "uint8"), dims=("y", "x"), coords={"x": 10.0 * step + step * np.arange(22)}
    )
    image.omezarr.to_zarr(tmp_path / "first.ome.zarr", scale_factors=(), version=version)
    read = xr.open_dataset(tmp_path / "first.ome.zarr", engine="omezarr")["image"]
    read.omezarr.to_zarr(tmp_path / "second.ome.zarr", scale_factors=(), version=version)
    assert group_attributes(tmp_path / "second.ome.zarr") == group_attributes(tmp_path / "first.ome.zarr")


def test_float32_and_linspace_coordinates_round_trip(tmp_path):
    y = np.linspace(-2.0, 5.0, 15)
    x = (np.arange(11, dtype="float32") * np.float32(0.1) + np.float32(1000)).astype("float32")
    image = xr.DataArray(np.ones((15, 11), "uint8"), dims=("y", "x"), coords={"y": y, "x": x})
    image.omezarr.to_zarr(tmp_path / "a.ome.zarr", scale_factors=())
    scale = group_attributes(tmp_path / "a.ome.zarr")["ome"]["multiscales"][0]["datasets"][0][
        "coordinateTransformations"
    ]
    assert scale[0]["scale"] == [0.5, 0.1]
    assert scale[1]["translation"] == [-2.0, 1000.0]
    read = xr.open_dataset(tmp_path / "a.ome.zarr", engine="omezarr")
    np.testing.assert_allclose(read.y.values, y, rtol=1e-15)
    np.testing.assert_allclose(read.x.values.astype("float32"), x, rtol=1e-7)


def test_dims_in_any_order_are_transposed_lazily(tmp_path):
    data = da.random.randint(0, 100, (16, 12, 3), chunks=(8, 6, 1)).astype("uint8")
    image = xr.DataArray(data, dims=("x", "y", "c"), coords={"c": ["a", "b", "c"]}, name="image")
    image.omezarr.to_zarr(tmp_path / "t.ome.zarr", scale_factors=(2,))
    read = xr.open_dataset(tmp_path / "t.ome.zarr", engine="omezarr")["image"]
    assert read.dims == ("c", "y", "x")
    np.testing.assert_array_equal(read.values, image.transpose("c", "y", "x").values)


def test_single_pixel_axis_keeps_its_scale_through_a_round_trip(tmp_path):
    image = xr.DataArray(
        np.zeros((1, 6, 6), "uint16"),
        dims=("z", "y", "x"),
        coords={"z": ("z", [4.0], {"units": "um"}), "y": np.arange(6) * 0.2, "x": np.arange(6) * 0.2},
    )
    image.omezarr.to_zarr(tmp_path / "a.ome.zarr", scale_factors=())

    def stretch_z(ome: dict) -> None:
        ome["multiscales"][0]["datasets"][0]["coordinateTransformations"][0]["scale"][0] = 2.5

    edit_ome(tmp_path / "a.ome.zarr", stretch_z)
    first = group_attributes(tmp_path / "a.ome.zarr")
    read = xr.open_dataset(tmp_path / "a.ome.zarr", engine="omezarr")["image"]
    read.omezarr.to_zarr(tmp_path / "b.ome.zarr", scale_factors=())
    assert group_attributes(tmp_path / "b.ome.zarr") == first


def _windows(path) -> list[dict]:
    return [c["window"] for c in zarr.open_group(path, mode="r").attrs["ome"]["omero"]["channels"]]


@pytest.mark.parametrize("how", ["read back", "measured while written", "measured whole while written"])
def test_channel_windows_are_each_channels_finite_range_on_the_smallest_level(tmp_path, how, monkeypatch):
    from xarray_omezarr.write import engine, windows

    if how != "read back":  # as for a smallest level too large to read back
        monkeypatch.setattr(engine, "READ_BACK_BYTES", 0)
    if how == "measured while written":  # block by block, as for a level too large to measure whole
        monkeypatch.setattr(windows, "MEASURED_WHOLE_BYTES", 0)
    rng = np.random.default_rng(4)
    data = rng.normal(100, 30, (3, 300, 200)).astype("float32")
    data[0, 5, 5], data[0, 6, 6], data[0, 7, 7] = np.nan, np.inf, -np.inf
    data[1] = np.nan  # no finite value at all
    image = xr.DataArray(data, dims=("c", "y", "x"), coords={"c": ["a", "b", "c"]}, name="w")
    path = tmp_path / "w.ome.zarr"
    # small chunks: the range is gathered over many blocks read back
    image.omezarr.to_zarr(path, scale_factors=(), storage_options={"chunks": (1, 32, 32)})
    finite = np.where(np.isfinite(data[0]), data[0], np.nan)
    a, b, c = _windows(path)
    assert (a["start"], a["end"]) == (float(np.nanmin(finite)), float(np.nanmax(finite)))
    assert (b["start"], b["end"]) == (0.0, 0.0)
    assert (c["start"], c["end"]) == (float(data[2].min()), float(data[2].max()))

    counts = xr.DataArray((data[2:] * 10).astype("uint16"), dims=("c", "y", "x"), name="u")
    path = tmp_path / "u.ome.zarr"
    counts.omezarr.to_zarr(path, scale_factors=(2,), method="local_mean")
    (window,) = _windows(path)
    smallest = zarr.open_group(path, mode="r")["1"][...]
    assert (window["min"], window["max"]) == (0.0, 65535.0)
    assert (window["start"], window["end"]) == (float(smallest.min()), float(smallest.max()))
