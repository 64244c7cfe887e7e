"""The omezarr engine: lazy reading, chunks, levels, trees, and which stores it claims."""

from __future__ import annotations

import subprocess
import sys

import dask.array as da
import numpy as np
import pint_xarray  # noqa: F401  (registers .pint)
import pytest
import xarray as xr
import zarr

import xarray_omezarr  # noqa: F401
from xarray_omezarr.backend import OmeZarrBackendEntrypoint


@pytest.fixture
def store(tmp_path):
    image = xr.DataArray(
        np.arange(2 * 30 * 40, dtype="uint16").reshape(2, 30, 40),
        dims=("c", "y", "x"),
        coords={
            "c": ["dapi", "gfp"],
            "y": ("y", 5 + 0.5 * np.arange(30), {"units": "um"}),
            "x": 0.5 * np.arange(40),
        },
        name="cells",
    )
    path = tmp_path / "cells.ome.zarr"
    image.omezarr.to_zarr(
        path, scale_factors=(2, 4), method="local_mean", storage_options={"chunks": (1, 16, 16)}
    )
    return path, image


def test_open_dataset_is_lazy_and_reads_only_what_is_asked(store):
    path, image = store
    ds = xr.open_dataset(path, engine="omezarr")
    variable = ds["cells"].variable
    assert not isinstance(variable._data, np.ndarray)  # still behind the backend array
    np.testing.assert_array_equal(
        ds["cells"].isel(c=1, y=slice(3, 9), x=[0, 5, 7]).values,
        image.isel(c=1, y=slice(3, 9), x=[0, 5, 7]).values,
    )
    assert ds["c"].values.tolist() == ["dapi", "gfp"]
    assert ds["y"].attrs == {"units": "micrometer"}


def test_chunks_empty_dict_gives_one_dask_chunk_per_zarr_chunk(store):
    path, _ = store
    ds = xr.open_dataset(path, engine="omezarr", chunks={})
    assert isinstance(ds["cells"].data, da.Array)
    assert ds["cells"].data.chunks == ((1, 1), (16, 14), (16, 16, 8))


def test_levels_and_tree(store):
    path, _ = store
    level2 = xr.open_dataset(path, engine="omezarr", level=2)
    assert level2["cells"].shape == (2, 7, 10)
    np.testing.assert_allclose(level2["x"].values, 0.75 + 2.0 * np.arange(10))
    tree = xr.open_datatree(path, engine="omezarr")
    assert list(tree.children) == ["0", "1", "2"]
    assert tree.attrs["ome"]["multiscales"][0]["name"] == "cells"
    xr.testing.assert_identical(tree["2"].to_dataset()["cells"].drop_attrs(), level2["cells"].drop_attrs())
    with pytest.raises(IndexError, match="the image has 3 levels"):
        xr.open_dataset(path, engine="omezarr", level=3)


def test_engine_is_guessed_for_ome_zarr_only(store, tmp_path):
    path, _ = store
    entry = OmeZarrBackendEntrypoint()
    assert entry.guess_can_open(path)
    assert entry.guess_can_open(str(path))
    assert list(xr.open_dataset(path).data_vars) == ["cells"]  # no engine given: ours is chosen
    plain = tmp_path / "plain.zarr"
    xr.Dataset({"a": ("t", np.arange(3))}).to_zarr(plain)
    assert not entry.guess_can_open(plain)
    assert list(xr.open_dataset(plain).data_vars) == ["a"]  # xarray's own zarr engine still reads it
    assert not entry.guess_can_open(tmp_path / "missing.ome.zarr")


def test_open_a_zarr_group_object_and_a_memory_store():
    memory = zarr.storage.MemoryStore()
    xr.DataArray(np.ones((8, 8), "float32"), dims=("y", "x")).omezarr.to_zarr(memory, scale_factors=())
    group = zarr.open_group(memory, mode="r")
    ds = xr.open_dataset(group, engine="omezarr")
    assert list(ds.data_vars) == ["image"] and float(ds["image"].sum()) == 64.0


def test_pint_quantified_coordinates_give_units(tmp_path):
    image = xr.DataArray(
        np.zeros((4, 6), "uint8"), dims=("y", "x"), coords={"y": np.arange(4) * 0.5, "x": np.arange(6) * 2.0}
    )
    quantified = image.pint.quantify({"y": "µm", "x": "nm"})
    quantified.omezarr.to_zarr(tmp_path / "q.ome.zarr", scale_factors=())
    ds = xr.open_dataset(tmp_path / "q.ome.zarr", engine="omezarr")
    assert ds["y"].attrs["units"] == "micrometer" and ds["x"].attrs["units"] == "nanometer"
    np.testing.assert_array_equal(ds["x"].values, np.arange(6) * 2.0)


def test_importing_the_package_stays_cheap():
    code = (
        "import sys, xarray_omezarr, xarray as xr; xr.backends.list_engines();"
        "heavy = [m for m in ('dask', 'scipy', 'skimage', 'pint') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("version", ["0.1", "0.2", "0.3"])
def test_legacy_stores_without_transforms_read_with_shape_ratio_scales(tmp_path, version):
    path = tmp_path / f"legacy{version}.zarr"
    group = zarr.open_group(path, mode="w", zarr_format=2)
    base = np.arange(3 * 8 * 12, dtype="uint8").reshape(1, 3, 1, 8, 12)
    levels = [base, base[..., ::2, ::2]]
    for index, level in enumerate(levels):
        data = level[0, :, 0] if version == "0.3" else level  # 0.3 names its axes: here c, y, x
        group.create_array(str(index), data=data, chunks=data.shape)
    multiscale = {"version": version, "datasets": [{"path": "0"}, {"path": "1"}]}
    if version == "0.3":
        multiscale["axes"] = ["c", "y", "x"]
    group.attrs["multiscales"] = [multiscale]
    ds = xr.open_dataset(path, engine="omezarr", level=1)
    expected_dims = ("c", "y", "x") if version == "0.3" else ("t", "c", "z", "y", "x")
    assert ds["image"].dims == expected_dims
    np.testing.assert_array_equal(ds["x"].values, 2.0 * np.arange(6))  # the shape ratio is all there is
    np.testing.assert_array_equal(ds["image"].values, levels[1] if version != "0.3" else levels[1][0, :, 0])
