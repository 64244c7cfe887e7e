"""Region writes (``region=``) and ``update_pyramid``: the store one call writing the final image gives."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_omezarr
from tests.support.stores import store_files


def volume(seed: int = 8) -> xr.DataArray:
    rng = np.random.default_rng(seed)
    return xr.DataArray(
        rng.integers(0, 3000, (2, 6, 70, 64), dtype="uint16"),
        dims=("c", "z", "y", "x"),
        name="tissue",
        coords={
            "c": ["DAPI", "GFP"],
            "z": ("z", 1.5 * np.arange(6), {"units": "micrometer"}),
            "y": ("y", 3.0 + 0.25 * np.arange(70), {"units": "micrometer"}),
            "x": ("x", 0.25 * np.arange(64), {"units": "micrometer"}),
        },
    )


OPTIONS = {"storage_options": {"chunks": (1, 2, 16, 16)}}


def write(image: xr.DataArray, path: Path, method: str, version: str) -> None:
    image.omezarr.to_zarr(path, scale_factors=(2, 4), method=method, version=version, **OPTIONS)


@pytest.mark.parametrize("version", ["0.4", "0.5"])
@pytest.mark.parametrize("method", ["local_mean", "resize", "nearest"])
def test_tiles_written_as_regions_give_the_one_call_store(tmp_path: Path, version: str, method: str) -> None:
    final = volume()
    whole = tmp_path / "whole.ome.zarr"
    write(final, whole, method, version)

    tiles = tmp_path / "tiles.ome.zarr"
    write(xr.zeros_like(final), tiles, method, version)
    for y in (slice(0, 32), slice(32, 70)):
        for x in (slice(0, 48), slice(48, 64)):
            tile = final.isel(y=y, x=x)
            assert tile.omezarr.to_zarr(tiles, region="auto") == []
    assert store_files(tiles) == store_files(whole)


def test_a_region_by_index_and_a_part_off_the_chunk_grid(tmp_path: Path) -> None:
    final = volume()
    whole = tmp_path / "whole.ome.zarr"
    write(final, whole, "resize", "0.5")
    path = tmp_path / "edited.ome.zarr"
    write(final.where(final < 0, 0).astype("uint16"), path, "resize", "0.5")
    # index regions, one not on the chunk grid (and smoothing halos that reach far beyond it)
    final.isel(y=slice(0, 21)).omezarr.to_zarr(path, region={"y": slice(0, 21)})
    final.isel(y=slice(21, 70)).drop_vars("y").omezarr.to_zarr(path, region={"y": slice(21, 70)})
    assert store_files(path) == store_files(whole)


@pytest.mark.parametrize("method", ["local_mean", "gaussian", "nearest"])
def test_update_pyramid_after_editing_level_0(tmp_path: Path, method: str) -> None:
    before, after = volume(1), volume(1).copy()
    after[:, 2:4, 10:30, 40:50] = 4000
    whole = tmp_path / "whole.ome.zarr"
    write(after, whole, method, "0.5")
    path = tmp_path / "edited.ome.zarr"
    write(before, path, method, "0.5")
    zarr.open_array(path / "0", mode="r+")[:, 2:4, 10:30, 40:50] = 4000
    xarray_omezarr.update_pyramid(path, region={"z": slice(2, 4), "y": slice(10, 30), "x": slice(40, 50)})
    assert store_files(path) == store_files(whole)
    # and the whole pyramid at once
    zarr.open_array(path / "0", mode="r+")[0, 0, 0, 0] = 0
    xarray_omezarr.update_pyramid(path)
    after[0, 0, 0, 0] = 0
    again = tmp_path / "again.ome.zarr"
    write(after, again, method, "0.5")
    assert store_files(path) == store_files(again)


def bad_regions(image: xr.DataArray) -> dict[str, tuple[xr.DataArray, dict, str]]:
    tile = image.isel(y=slice(0, 16), x=slice(0, 16))
    return {
        "off grid": (tile.assign_coords(y=tile.y + 0.1), {"region": "auto"}, "off the image's grid"),
        "outside": (tile.assign_coords(y=tile.y - 1.0), {"region": "auto"}, "the image has 0 to 69"),
        "step": (image.isel(y=slice(0, 16, 2)), {"region": "auto"}, "step is 0.5"),
        "dtype": (tile.astype("float32"), {"region": "auto"}, "dtype float32"),
        "shape": (tile, {"region": {"y": slice(0, 8), "x": slice(0, 16)}}, "is not the region's"),
        "bounds": (tile, {"region": {"y": slice(60, 76), "x": slice(0, 16)}}, "lies outside"),
        "axis": (tile, {"region": {"q": slice(0, 1)}}, "region names ['q']"),
        "lazy": (tile, {"region": "auto", "compute": False}, "compute at once"),
        "append": (tile, {"region": "auto", "append_dim": "c"}, "no append_dim"),
    }


@pytest.mark.parametrize("case", list(bad_regions(volume())))
def test_bad_regions_are_refused_and_leave_the_store_byte_identical(tmp_path: Path, case: str) -> None:
    image = volume()
    path = tmp_path / "image.ome.zarr"
    write(image, path, "local_mean", "0.5")
    before = store_files(path)
    part, options, message = bad_regions(image)[case]
    with pytest.raises(ValueError, match=re.escape(message)):
        part.omezarr.to_zarr(path, **options)
    assert store_files(path) == before


def test_a_region_needs_an_image(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs an existing image"):
        volume().omezarr.to_zarr(tmp_path / "none.ome.zarr", region="auto")
    with pytest.raises(FileNotFoundError, match="no OME-Zarr image"):
        xarray_omezarr.update_pyramid(tmp_path / "none.ome.zarr")
