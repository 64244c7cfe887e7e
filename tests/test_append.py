"""Appending along time or channel (``mode="a", append_dim=...``) gives the store one call writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_omezarr
from tests.support.stores import store_files
from xarray_omezarr import errors


def time_lapse(t: int = 5, seed: int = 4) -> xr.DataArray:
    rng = np.random.default_rng(seed)
    return xr.DataArray(
        rng.integers(0, 2000, (t, 2, 3, 40, 36), dtype="uint16"),
        dims=("t", "c", "z", "y", "x"),
        name="embryo",
        coords={
            "t": ("t", 30.0 + 15.0 * np.arange(t), {"units": "second"}),
            "c": ["H2B", "membrane"],
            "z": ("z", 2.0 * np.arange(3), {"units": "micrometer"}),
            "y": ("y", 5.0 + 0.4 * np.arange(40), {"units": "micrometer"}),
            "x": ("x", 0.4 * np.arange(36), {"units": "micrometer"}),
        },
    )


@pytest.mark.parametrize("version", ["0.4", "0.5"])
@pytest.mark.parametrize("method", ["local_mean", "resize", "nearest"])
def test_appending_time_points_in_pieces_gives_the_one_call_store(
    tmp_path: Path, version: str, method: str
) -> None:
    movie = time_lapse()
    options = {"scale_factors": (2, 4), "method": method, "version": version}
    whole = tmp_path / "whole.ome.zarr"
    movie.omezarr.to_zarr(whole, **options)

    pieces = tmp_path / "pieces.ome.zarr"
    movie.isel(t=slice(0, 2)).omezarr.to_zarr(pieces, **options)
    movie.isel(t=slice(2, 3)).omezarr.to_zarr(pieces, append_dim="t")
    # dask input, and mode="a" said out loud
    later = movie.isel(t=slice(3, 5)).chunk({"t": 1, "y": 16})
    assert later.omezarr.to_zarr(pieces, mode="a", append_dim="t") == []

    assert store_files(pieces) == store_files(whole)


def test_appending_channels_gives_the_one_call_store(tmp_path: Path) -> None:
    cells = time_lapse(t=1).isel(t=0)
    four = xr.concat(
        [cells, (cells + 7).assign_coords(c=["actin", "tubulin"])], dim="c"
    )  # four channels, four default colours
    whole = tmp_path / "whole.ome.zarr"
    four.omezarr.to_zarr(whole, scale_factors=(2,), method="local_mean")
    pieces = tmp_path / "pieces.ome.zarr"
    four.isel(c=slice(0, 2)).omezarr.to_zarr(pieces, scale_factors=(2,), method="local_mean")
    four.isel(c=slice(2, 4)).omezarr.to_zarr(pieces, append_dim="c")
    assert store_files(pieces) == store_files(whole)
    assert xr.open_dataset(pieces, engine="omezarr")["c"].values.tolist() == [
        "H2B",
        "membrane",
        "actin",
        "tubulin",
    ]


def test_the_first_append_creates_the_image(tmp_path: Path) -> None:
    movie = time_lapse(t=2)
    path = tmp_path / "new.ome.zarr"
    movie.omezarr.to_zarr(path, append_dim="t", scale_factors=(2,))
    movie.assign_coords(t=movie.t + 30.0).omezarr.to_zarr(path, append_dim="t")
    read = xr.open_dataset(path, engine="omezarr")["embryo"]
    assert read["t"].values.tolist() == [30.0, 45.0, 60.0, 75.0]
    assert read["t"].attrs["units"] == "second"


def test_a_killed_append_leaves_the_image_as_it_was(tmp_path: Path) -> None:
    movie = time_lapse()
    path = tmp_path / "movie.ome.zarr"
    movie.isel(t=slice(0, 3)).omezarr.to_zarr(path, scale_factors=(2, 4), method="local_mean")
    metadata_before = {
        k: v for k, v in store_files(path).items() if k.endswith(("zarr.json", ".zattrs", ".zarray"))
    }
    before = xr.open_dataset(path, engine="omezarr").compute()

    class PowerCut(zarr.storage.LocalStore):
        """A store on disk whose machine dies after three chunks of the appended part have arrived."""

        arrived = 0

        async def set(self, key: str, value) -> None:  # type: ignore[no-untyped-def]
            if "/c/" in key:
                PowerCut.arrived += 1
                if PowerCut.arrived > 3:
                    raise RuntimeError("the acquisition machine lost power")
            await super().set(key, value)

    more = movie.isel(t=slice(3, 5))
    with pytest.raises(RuntimeError, match="lost power"):
        more.omezarr.to_zarr(PowerCut(path), append_dim="t")
    beyond = [k for k in store_files(path) if k.split("/")[1:3] in (["c", "3"], ["c", "4"])]
    assert beyond, "chunks of the new time points reached the store, beyond the stored shape"

    after_files = store_files(path)
    assert {k: after_files[k] for k in metadata_before} == metadata_before
    xr.testing.assert_identical(xr.open_dataset(path, engine="omezarr").compute(), before)
    # and the append can simply be done again, giving the one-call store
    more.omezarr.to_zarr(path, append_dim="t")
    whole = tmp_path / "whole.ome.zarr"
    movie.omezarr.to_zarr(whole, scale_factors=(2, 4), method="local_mean")
    assert store_files(path) == store_files(whole)


def bad_appends(movie: xr.DataArray) -> dict[str, tuple[xr.DataArray, dict, str]]:
    more = movie.isel(t=slice(3, 5))
    return {
        "dtype": (more.astype("float32"), {"append_dim": "t"}, "dtype float32; the image has uint16"),
        "gap": (more.assign_coords(t=more.t + 15.0), {"append_dim": "t"}, "must start at 75 with step 15"),
        "step": (more.assign_coords(t=more.t.copy(data=[75.0, 100.0])), {"append_dim": "t"}, "with step 25"),
        "overlap": (movie.isel(t=slice(2, 4)), {"append_dim": "t"}, "must start at 75"),
        "shifted y": (
            more.assign_coords(y=more.y + 0.1),
            {"append_dim": "t"},
            "'y' coordinate starts at 5.1",
        ),
        "smaller": (more.isel(x=slice(0, 30)), {"append_dim": "x"}, "is a space axis"),
        "channels": (more.assign_coords(c=["a", "b"]), {"append_dim": "t"}, "channels are ['a', 'b']"),
        "units": (
            more.assign_coords(t=more.t.assign_attrs(units="millisecond")),
            {"append_dim": "t"},
            "in millisecond",
        ),
        "unknown dim": (more, {"append_dim": "q"}, "append_dim 'q' is not an axis"),
        "no append_dim": (more, {"mode": "a"}, "mode='a' appends to it along append_dim"),
        "region": (more, {"mode": "r+"}, "mode='r+' writes a region"),
        "mode": (more, {"mode": "w-", "append_dim": "t"}, "append_dim needs mode='a'"),
        "labels": (
            more,
            {"append_dim": "t", "labels": {"x": more.isel(t=0, c=0)}},
            "no label image 'x' to append to",
        ),
    }


@pytest.mark.parametrize("case", list(bad_appends(time_lapse())))
def test_bad_appends_are_refused_and_leave_the_store_byte_identical(tmp_path: Path, case: str) -> None:
    movie = time_lapse()
    path = tmp_path / "movie.ome.zarr"
    movie.isel(t=slice(0, 3)).omezarr.to_zarr(path, scale_factors=(2,), method="local_mean")
    before = store_files(path)
    part, options, message = bad_appends(movie)[case]
    with pytest.raises(ValueError, match=re.escape(message)):
        part.omezarr.to_zarr(path, **options)
    assert store_files(path) == before


def test_a_store_that_is_not_an_image_is_refused(tmp_path: Path) -> None:
    field = xr.DataArray(np.ones((8, 8), "uint8"), dims=("y", "x"))
    plate = tmp_path / "plate.ome.zarr"
    xarray_omezarr.write_plate(plate, {"A/1": [field]}, scale_factors=())
    with pytest.raises(errors.InvalidImageError, match="holds no OME-Zarr image to extend"):
        field.expand_dims(t=[0.0]).omezarr.to_zarr(plate, append_dim="t")
    plain = tmp_path / "plain.zarr"
    zarr.open_group(plain, mode="w").attrs["note"] = "not an image"
    before = json.loads((plain / "zarr.json").read_text())
    with pytest.raises(errors.InvalidImageError, match="holds no OME-Zarr image"):
        field.expand_dims(t=[0.0]).omezarr.to_zarr(plain, append_dim="t")
    assert json.loads((plain / "zarr.json").read_text()) == before
