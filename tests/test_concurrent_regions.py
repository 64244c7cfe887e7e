"""Regions written at the same time by separate processes: ``independent=True`` and ``tile_grid``.

Two OS processes wait on one barrier, then each writes its tile of one existing image; the store
must be the one a single call writing the final image gives, byte for byte.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_omezarr
from tests.support.stores import snapshot, store_files
from tests.support.validators import validate_store
from xarray_omezarr.errors import InvalidImageError

CHUNKS = {"storage_options": {"chunks": (8, 8)}}
FACTORS = (2, 4)


def mosaic(seed: int = 3) -> xr.DataArray:
    rng = np.random.default_rng(seed)
    return xr.DataArray(
        rng.integers(1, 3000, (64, 48), dtype="uint16"),
        dims=("y", "x"),
        name="mosaic",
        coords={
            "y": ("y", 0.5 * np.arange(64), {"units": "micrometer"}),
            "x": ("x", 2.0 + 0.5 * np.arange(48), {"units": "micrometer"}),
        },
    )


def write(image: xr.DataArray, path: Path, method: str, version: str) -> None:
    image.omezarr.to_zarr(path, scale_factors=FACTORS, method=method, version=version, **CHUNKS)


def _tile_worker(path: str, rows: tuple[int, int], how: str, barrier: Any) -> None:
    tile = mosaic().isel(y=slice(*rows))
    barrier.wait(timeout=60)
    if how == "level0":  # a smoothing method: level 0 only, the pyramid once all tiles are in
        zarr.open_array(Path(path) / "0", mode="r+")[slice(*rows), :] = tile.values
    else:
        tile.omezarr.to_zarr(path, region="auto", independent=True)


def _run_at_once(path: Path, tiles: list[tuple[int, int]], how: str) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(tiles))
    workers = [context.Process(target=_tile_worker, args=(str(path), rows, how, barrier)) for rows in tiles]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0] * len(tiles)


def test_tile_grid_is_the_lcm_of_every_levels_objects_times_its_factor(tmp_path: Path) -> None:
    path = tmp_path / "m.ome.zarr"
    write(mosaic(), path, "local_mean", "0.5")
    # objects of 8 pixels at every level: 8, 8 x 2, 8 x 4 -> 32 (and the image's 48 along x)
    assert xarray_omezarr.tile_grid(path) == {"y": 32, "x": 32}


@pytest.mark.parametrize("version", ["0.4", "0.5"])
@pytest.mark.parametrize("method", ["local_mean", "nearest", "resize"])
def test_two_processes_write_disjoint_aligned_regions_at_once(
    tmp_path: Path, version: str, method: str
) -> None:
    final = mosaic()
    whole = tmp_path / "whole.ome.zarr"
    write(final, whole, method, version)
    path = tmp_path / "tiles.ome.zarr"
    write(xr.zeros_like(final), path, method, version)
    grid = xarray_omezarr.tile_grid(path)["y"]
    tiles = [(0, grid), (grid, 64)]
    if method == "resize":  # the halo reaches the neighbour's tile: refused, and the documented way instead
        with pytest.raises(InvalidImageError, match=r"smooths.*update_pyramid"):
            final.isel(y=slice(0, grid)).omezarr.to_zarr(path, region="auto", independent=True)
        _run_at_once(path, tiles, "level0")
        xarray_omezarr.update_pyramid(path)
    else:
        _run_at_once(path, tiles, "region")
    assert store_files(path) == store_files(whole)
    validate_store(path)


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        (
            (0, 16),
            "level 2 .* multiples of its stored objects",
        ),  # level 0 and 1 aligned, level 2's chunk shared
        ((0, 12), "level 0 .* multiples of its stored objects"),  # off level 0's chunks
    ],
)
def test_a_region_that_is_not_independent_is_refused_before_anything_is_written(
    tmp_path: Path, rows: tuple[int, int], why: str
) -> None:
    path = tmp_path / "m.ome.zarr"
    write(mosaic(), path, "local_mean", "0.5")
    before = snapshot(path)
    part = mosaic(9).isel(y=slice(*rows))
    with pytest.raises(InvalidImageError, match=f"not independent: at {why}"):
        part.omezarr.to_zarr(path, region="auto", independent=True)
    assert snapshot(path) == before
    # written alone (without independent=True) it is exact
    part.omezarr.to_zarr(path, region="auto")
    expected = mosaic()
    expected[slice(*rows)] = part.values
    check = tmp_path / "check.ome.zarr"
    write(expected, check, "local_mean", "0.5")
    assert store_files(path) == store_files(check)


def test_independent_needs_a_region(tmp_path: Path) -> None:
    with pytest.raises(InvalidImageError, match="independent=True is for region writes"):
        mosaic().omezarr.to_zarr(tmp_path / "m.ome.zarr", independent=True)


def _tile_on_worker(path: str, rows: tuple[int, int], count: int) -> str:
    """A worker's task: announce itself, wait for every other tile's worker, then write its tile."""
    import os
    import time

    import dask as dask_module

    flags = Path(path).parent / "ready"
    flags.mkdir(exist_ok=True)
    (flags / str(rows[0])).touch()
    deadline = time.monotonic() + 60
    while len(os.listdir(flags)) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    with dask_module.config.set(scheduler="synchronous"):  # the tile's own graph, inside this worker
        mosaic().isel(y=slice(*rows)).omezarr.to_zarr(path, region="auto", independent=True)
    return str(os.getpid())


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_each_worker_of_a_local_cluster_writes_a_tile(tmp_path: Path, version: str) -> None:
    import distributed

    final = mosaic()
    whole = tmp_path / "whole.ome.zarr"
    write(final, whole, "local_mean", version)
    path = tmp_path / "tiles.ome.zarr"
    write(xr.zeros_like(final), path, "local_mean", version)
    tiles = [(0, 32), (32, 64)]
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        workers = sorted(client.scheduler_info()["workers"])
        futures = [
            client.submit(_tile_on_worker, str(path), rows, len(tiles), workers=[w], pure=False)
            for rows, w in zip(tiles, workers, strict=True)
        ]
        pids = client.gather(futures)
    assert len(set(pids)) == 2  # two processes
    assert store_files(path) == store_files(whole)
    validate_store(path)
