"""Appends, regions, ``update_pyramid`` and ``resume=True`` on S3 (moto's server over HTTP).

Each gives the objects, byte for byte, that one call writing the final image to S3 gives. The moto
bucket is shared by every test of the session: each test writes under its own prefixes and looks
only at those.
"""

from __future__ import annotations

from typing import Any

import dask
import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_omezarr
from tests.support.stores import assert_same_files
from tests.test_remote_and_distributed import s3, s3_objects, unique_prefix  # noqa: F401  (s3: the moto fixture)

OPTIONS = {"scale_factors": (2, 4), "method": "local_mean", "storage_options": {"chunks": (1, 8, 8)}}


def movie(seed: int = 2) -> xr.DataArray:
    rng = np.random.default_rng(seed)
    return xr.DataArray(
        rng.integers(1, 3000, (5, 40, 32), dtype="uint16"),
        dims=("t", "y", "x"),
        name="movie",
        coords={
            "t": ("t", 2.0 * np.arange(5), {"units": "second"}),
            "y": ("y", 0.5 * np.arange(40), {"units": "micrometer"}),
            "x": ("x", 0.5 * np.arange(32), {"units": "micrometer"}),
        },
    )


def store_of(server: Any, prefix: str) -> zarr.storage.FsspecStore:
    return zarr.storage.FsspecStore.from_url(f"s3://{prefix}", storage_options=server.options)


def one_call(server: Any, image: xr.DataArray, version: str) -> dict[str, bytes]:
    prefix = unique_prefix()
    image.omezarr.to_zarr(f"s3://{prefix}", version=version, filesystem_options=server.options, **OPTIONS)
    return s3_objects(server.filesystem(), prefix)


@pytest.mark.parametrize("version", ["0.5", "0.4"])
def test_append_in_pieces_to_s3(s3: Any, version: str) -> None:  # noqa: F811
    final, prefix = movie(), unique_prefix()
    url = f"s3://{prefix}"
    final.isel(t=slice(0, 2)).omezarr.to_zarr(url, version=version, filesystem_options=s3.options, **OPTIONS)
    for piece in (slice(2, 4), slice(4, 5)):
        final.isel(t=piece).omezarr.to_zarr(url, append_dim="t", filesystem_options=s3.options)
    assert_same_files(s3_objects(s3.filesystem(), prefix), one_call(s3, final, version))


@pytest.mark.parametrize("version", ["0.5", "0.4"])
def test_regions_written_to_s3(s3: Any, version: str) -> None:  # noqa: F811
    final, prefix = movie(), unique_prefix()
    url = f"s3://{prefix}"
    xr.zeros_like(final).omezarr.to_zarr(url, version=version, filesystem_options=s3.options, **OPTIONS)
    # one tile off the chunk grid, the rest independent (on the tile grid: 32 rows)
    final.isel(y=slice(0, 13)).omezarr.to_zarr(url, region="auto", filesystem_options=s3.options)
    final.isel(y=slice(13, 40)).omezarr.to_zarr(
        url, region={"y": slice(13, 40)}, filesystem_options=s3.options
    )
    assert xarray_omezarr.tile_grid(store_of(s3, prefix)) == {"t": 1, "y": 32, "x": 32}
    final.isel(y=slice(32, 40)).omezarr.to_zarr(
        url, region="auto", independent=True, filesystem_options=s3.options
    )
    assert_same_files(s3_objects(s3.filesystem(), prefix), one_call(s3, final, version))


@pytest.mark.parametrize("version", ["0.5", "0.4"])
def test_update_pyramid_on_s3_after_editing_level_0(s3: Any, version: str) -> None:  # noqa: F811
    before, prefix = movie(), unique_prefix()
    after = before.copy()
    after[1:3, 5:20, 10:30] = 4000
    before.omezarr.to_zarr(f"s3://{prefix}", version=version, filesystem_options=s3.options, **OPTIONS)
    zarr.open_array(store_of(s3, prefix), path="0", mode="r+")[1:3, 5:20, 10:30] = 4000
    region = {"t": slice(1, 3), "y": slice(5, 20), "x": slice(10, 30)}
    assert xarray_omezarr.update_pyramid(store_of(s3, prefix), region=region) == []
    assert_same_files(s3_objects(s3.filesystem(), prefix), one_call(s3, after, version))


def _power_cut(block: np.ndarray, block_info: Any = None) -> np.ndarray:
    if block_info is not None and block_info[None]["chunk-location"][0] == 3:
        raise RuntimeError("the connection dropped")
    return block


@pytest.mark.parametrize("version", ["0.5", "0.4"])
def test_resume_on_s3_after_a_write_interrupted(s3: Any, version: str) -> None:  # noqa: F811
    final, prefix = movie(), unique_prefix()
    url = f"s3://{prefix}"
    lazy = final.chunk({"t": 1, "y": 8, "x": 8})
    failing = lazy.copy(data=lazy.data.map_blocks(_power_cut, dtype=lazy.dtype))
    # one task at a time: the blocks of t = 0..2 are stored, then the write stops
    with dask.config.set(scheduler="synchronous"), pytest.raises(RuntimeError, match="connection dropped"):
        failing.omezarr.to_zarr(url, version=version, filesystem_options=s3.options, **OPTIONS)
    objects = s3_objects(s3.filesystem(), prefix)
    assert any("/0/" in f"/{key}" for key in objects)  # some data arrived, the write is half done
    expected = one_call(s3, final, version)
    assert objects != expected
    lazy.omezarr.to_zarr(url, version=version, resume=True, filesystem_options=s3.options, **OPTIONS)
    assert_same_files(s3_objects(s3.filesystem(), prefix), expected)
