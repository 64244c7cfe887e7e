"""Writes that ``tests/test_resume.py`` runs in a subprocess and kills with SIGKILL, and their inputs.

Run as ``python -m tests.support.killed_writes KIND PATH VERSION`` (``KIND`` is ``write`` or
``append``); the conversion is the real command line, ``xarray-omezarr convert``. The same functions
give the test its one-call reference stores, so both sides write exactly the same image.

Examples
--------
>>> movie().sizes
Frozen({'t': 8, 'c': 2, 'y': 256, 'x': 256})
>>> killed_movie().sizes
Frozen({'t': 8, 'c': 2, 'y': 1024, 'x': 1024})
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import xarray as xr

import xarray_omezarr  # noqa: F401  (registers the accessor)

__all__ = ["OPTIONS", "append", "killed_movie", "movie", "write"]

OPTIONS: dict[str, Any] = {
    "scale_factors": (2, 4),
    "method": "local_mean",
    "storage_options": {"chunks": (1, 1, 128, 128)},
}
"""How every write here is made: three levels of small chunks (many objects to kill a write among)."""


def movie(frames: int = 8, size: int = 256) -> xr.DataArray:
    """A deterministic two-channel time-lapse of ``size`` x ``size`` frames, smooth enough to compress
    like a real one."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:size, 0:size]
    base = (1000 + 800 * np.sin(y / 37.0) * np.cos(x / 23.0)).astype("float32")
    data = np.stack(
        [np.stack([base * (1 + 0.1 * t) + c * 200 for c in range(2)]) for t in range(frames)]
    ) + rng.normal(0, 20, (frames, 2, size, size)).astype("float32")
    return xr.DataArray(
        data.astype("uint16"),
        dims=("t", "c", "y", "x"),
        coords={
            "t": xr.Variable("t", np.arange(frames) * 30.0, {"units": "second"}),
            "c": ["DAPI", "GFP"],
            "y": xr.Variable("y", np.arange(size) * 1.0, {"units": "micrometer"}),
            "x": xr.Variable("x", np.arange(size) * 1.0, {"units": "micrometer"}),
        },
        name="movie",
    )


def killed_movie() -> xr.DataArray:
    """The movie the writes here make: 32 MiB, so that level 0 alone is several of the engine's write
    units (4 MiB, :func:`~xarray_omezarr.scale.chunking.write_units`) and a kill lands among them."""
    return movie(size=1024)


def write(path: str, version: str, resume: bool = False) -> None:
    """Write the whole movie in one call (dask input)."""
    killed_movie().chunk({"t": 1}).omezarr.to_zarr(path, version=version, resume=resume, **OPTIONS)


def append(path: str, version: str, resume: bool = False) -> None:
    """Append the movie's second half to a store that holds its first half."""
    killed_movie().isel(t=slice(4, 8)).omezarr.to_zarr(path, append_dim="t", resume=resume)


if __name__ == "__main__":
    import dask

    kind, target, version = sys.argv[1:4]
    # one block at a time: on a fast machine, threads finish the write between two polls of the
    # test, so the kill would miss it; what is stored does not depend on the scheduler
    with dask.config.set(scheduler="synchronous"):
        {"write": write, "append": append}[kind](target, version)
