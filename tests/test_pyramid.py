"""Pyramid levels hold what their coordinates say, for every method, size, origin and chunking."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import zoom
from skimage.transform import downscale_local_mean, pyramid_reduce, resize

import xarray_omezarr  # noqa: F401
from xarray_omezarr.geometry.axes import axes_from_dims
from xarray_omezarr.scale import Methods, downsample, get_method
from xarray_omezarr.scale.levels import pyramid_factors
from xarray_omezarr.testing import VERSIONS, methods, scale_factors, storage_options, versions

METHODS = ["nearest", "local_mean", "resize", "gaussian", "laplacian", "zoom"]
A, B, C = 3.0, -2.0, 0.5  # ramp slopes along x, y, z (per physical unit)


def ramp_image(shape, origin, spacing, chunks=None) -> xr.DataArray:
    """value = A*x + B*y + C*z at each pixel centre: any linear interpolation keeps it exact."""
    coords = {
        d: origin[i] + spacing[i] * np.arange(n) for i, (d, n) in enumerate(zip("zyx", shape, strict=True))
    }
    z, y, x = np.meshgrid(coords["z"], coords["y"], coords["x"], indexing="ij")
    values = A * x + B * y + C * z
    data = da.from_array(values, chunks=chunks) if chunks else values
    return xr.DataArray(data, dims=("z", "y", "x"), coords=coords, name="ramp")


def interior(level: xr.DataArray, margin: int) -> xr.DataArray:
    return level.isel({d: slice(margin, -margin or None) for d in level.dims})


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape", [(16, 64, 48), (17, 67, 45)], ids=["even", "odd"])
@pytest.mark.parametrize("origin", [(0.0, 0.0, 0.0), (-3.25, 10.5, 101.0)], ids=["zero", "shifted"])
@pytest.mark.parametrize("chunks", [None, (5, 13, 11)], ids=["numpy", "dask"])
def test_ramp_holds_its_value_at_every_written_coordinate(tmp_path, version, method, shape, origin, chunks):
    image = ramp_image(shape, origin, (0.7, 0.25, 0.4), chunks)
    scale_factors = [{"y": 2, "x": 2}, {"z": 2, "y": 4, "x": 4}, {"z": 2, "y": 12, "x": 12}]
    image.omezarr.to_zarr(
        tmp_path / "r.ome.zarr", scale_factors=scale_factors, method=method, version=version
    )
    tree = xr.open_datatree(tmp_path / "r.ome.zarr", engine="omezarr")
    for name, node in tree.children.items():
        level = node.dataset["ramp"]
        z, y, x = np.meshgrid(level.z, level.y, level.x, indexing="ij")
        expected = xr.DataArray(A * x + B * y + C * z, dims=level.dims, coords=level.coords)
        # smoothing meets the image border: skip the pixels whose kernel reached it
        margin = {"nearest": 0, "local_mean": 0, "resize": 2}.get(method, 3)
        np.testing.assert_allclose(
            interior(level, margin).values,
            interior(expected, margin).values,
            rtol=0,
            atol=1e-9,
            err_msg=f"level {name} of {method}",
        )


@pytest.mark.parametrize("method", [*METHODS, "mode"])
@pytest.mark.parametrize("factors", [(1, 2, 2), (2, 3, 3), (1, 4, 5)])
@pytest.mark.parametrize("chunks", [(3, 7, 10), (1, 5, 4), (2, 16, 16)])
@pytest.mark.parametrize("dtype", ["uint16", "float32"])
def test_chunked_equals_whole_array(method, factors, chunks, dtype):
    rng = np.random.default_rng(1)
    whole = (rng.random((7, 41, 37)) * 4000).astype(dtype)
    expected = downsample(whole, factors, method)
    lazy = downsample(da.from_array(whole, chunks=chunks), factors, method)
    assert isinstance(lazy, da.Array)
    if whole.dtype.kind == "f":  # summation order differs between a chunk and the whole array
        np.testing.assert_allclose(lazy.compute(), expected, rtol=1.2e-7)  # one float32 ulp
    else:
        np.testing.assert_array_equal(lazy.compute(), expected)
    assert expected.dtype == whole.dtype


def test_methods_agree_with_scikit_image_where_it_defines_them():
    rng = np.random.default_rng(2)
    image = rng.random((48, 60))
    np.testing.assert_allclose(
        downsample(image, (2, 3), "resize"),
        resize(image, (24, 20), order=1, anti_aliasing=True),  # its default mode="reflect"
    )
    np.testing.assert_allclose(downsample(image, (2, 3), "local_mean"), downscale_local_mean(image, (2, 3)))
    np.testing.assert_allclose(
        downsample(image, (2, 3), "zoom"),
        zoom(image, (1 / 2, 1 / 3), order=1, grid_mode=True, mode="grid-constant"),
    )
    reduced = pyramid_reduce(image, 2)  # the low-pass image of skimage's Laplacian pyramid
    np.testing.assert_allclose(downsample(image, (2, 2), "laplacian"), reduced)


@pytest.mark.parametrize("method", ["local_mean", "resize", "gaussian", "laplacian"])
def test_integer_levels_are_rounded_not_truncated(method):
    # a constant 1.5-ish region: truncation would drift down level after level, rounding does not
    image = np.tile(np.array([[1, 2], [2, 1]], dtype="uint8"), (64, 64))  # block means 1.5 -> 2
    level = image
    for _ in range(4):
        level = downsample(level, (2, 2), method)
        assert level.dtype == np.uint8
    assert abs(float(level.mean()) - 1.5) <= 0.5
    assert level.min() >= 1


def test_integer_results_are_clipped_not_wrapped():
    image = np.zeros((16, 16), "uint8")
    image[6:10, 6:10] = 255
    for method in ("resize", "gaussian", "laplacian"):
        out = downsample(image, (2, 2), method)
        assert out.max() <= 255 and out.dtype == np.uint8
        assert out.max() > 100  # not wrapped to a small value
    signed = np.full((8, 8), -128, "int8")
    assert downsample(signed, (2, 2), "resize").min() == -128


def test_laplacian_is_a_real_downsampled_image_for_integers():
    rng = np.random.default_rng(3)
    image = rng.integers(100, 200, (64, 64)).astype("uint16")
    out = downsample(image, (2, 2), "laplacian")
    assert out.dtype == np.uint16
    assert out.min() >= 100 and out.max() <= 200  # a low-pass image, not band-pass detail around zero


def test_local_mean_ignores_nan():
    image = np.array([[1.0, np.nan], [3.0, 5.0]])
    assert downsample(image, (2, 2), "local_mean")[0, 0] == pytest.approx(3.0)
    assert np.isnan(downsample(np.full((2, 2), np.nan), (2, 2), "local_mean")[0, 0])


def test_mode_picks_most_frequent_and_smallest_on_ties():
    labels = np.array([[1, 1, 2, 3], [4, 1, 3, 2]], dtype="uint32")
    assert downsample(labels, (2, 2), "mode").tolist() == [[1, 2]]


def test_geometry_of_each_grid():
    assert get_method("local_mean").offset(3) == 1.0 and get_method("local_mean").size(7, 3) == 2
    assert get_method("nearest").offset(3) == 0.0 and get_method("nearest").size(7, 3) == 3


def test_integer_scale_factors_leave_z_alone_and_dicts_name_axes():
    axes = axes_from_dims(["t", "c", "z", "y", "x"])
    shape = (2, 3, 9, 64, 64)
    assert pyramid_factors([2, 6], axes, shape)[1:] == [(1, 1, 1, 2, 2), (1, 1, 1, 6, 6)]
    assert pyramid_factors([{"z": 3, "x": 2}], axes, shape)[1] == (1, 1, 3, 1, 2)


def test_levels_are_chained_from_the_previous_level_when_factors_allow():
    image = da.zeros((64, 64), chunks=32, dtype="uint16")
    tree = xr.DataArray(image, dims=("y", "x"), name="i").omezarr.pyramid(
        scale_factors=(2, 4, 6), method="local_mean"
    )
    assert [tree[k]["i"].shape for k in ("1", "2", "3")] == [(32, 32), (16, 16), (10, 10)]
    graph = dict(tree["2"]["i"].data.__dask_graph__())
    assert any(str(k[0] if isinstance(k, tuple) else k).startswith(tree["1"]["i"].data.name) for k in graph)


RAMP = ramp_image((3, 33, 29), (1.0, 2.0, 3.0), (1.0, 0.5, 0.5))


@settings(max_examples=20, deadline=None)
@given(method=methods(), version=versions(), data=st.data())
def test_pyramid_is_what_to_zarr_writes(new_store, method, version, data):
    factors = data.draw(scale_factors(RAMP, method), label="scale_factors")
    options = data.draw(storage_options(RAMP, version, levels=len(factors) + 1), label="storage_options")
    tree = RAMP.omezarr.pyramid(scale_factors=factors, method=method)
    path = new_store("p.ome.zarr")
    RAMP.omezarr.to_zarr(path, scale_factors=factors, method=method, version=version, storage_options=options)
    read = xr.open_datatree(path, engine="omezarr")
    for level in map(str, range(len(factors) + 1)):
        xr.testing.assert_identical(read[level]["ramp"].drop_attrs(), tree[level]["ramp"].drop_attrs())


def test_unknown_methods_are_refused():
    with pytest.raises(ValueError, match="unknown downsampling method 'bicubic'"):
        downsample(np.zeros((4, 4)), (2, 2), "bicubic")
    assert get_method(Methods.ZOOM) is get_method("zoom")


def test_auto_scale_factors_stop_when_the_smallest_level_fits_one_chunk(tmp_path):
    image = xr.DataArray(
        da.zeros((40, 1000, 700), chunks=(10, 500, 700), dtype="uint8"),
        dims=("z", "y", "x"),
        coords={"z": np.arange(40) * 2.0, "y": np.arange(1000) * 0.5, "x": np.arange(700) * 0.5},
        name="a",
    )
    options = {"chunks": (16, 64, 64)}
    image.omezarr.to_zarr(
        tmp_path / "a.ome.zarr", scale_factors="auto", storage_options=options, compute=False
    )
    import zarr

    group = zarr.open_group(tmp_path / "a.ome.zarr", mode="r")
    shapes = [group[str(i)].shape for i in range(len(group))]
    assert shapes[-1][1] <= 64 and shapes[-1][2] <= 64 and shapes[-1][0] <= 16
    assert shapes[-2][1] > 64 or shapes[-2][0] > 16  # no level more than needed
    assert shapes[1] == (40, 500, 350)  # z (4x coarser) waits until y and x catch up
    assert shapes[2] == (40, 250, 175) and shapes[3] == (20, 125, 87)  # then all three together


def test_auto_levels_are_what_pyramid_shows():
    image = xr.DataArray(np.zeros((300, 5000), "uint16"), dims=("y", "x"), name="w")
    tree = image.omezarr.pyramid(scale_factors="auto", method="nearest")
    assert tree[str(len(tree.children) - 1)]["w"].shape[1] <= 1024
    assert [tree[k]["w"].shape for k in ("0", "1")] == [(300, 5000), (150, 2500)]
