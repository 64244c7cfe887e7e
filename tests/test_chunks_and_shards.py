"""Chunks and shards on disk: defaults, automatic shards, per-level options, and one writer per object.

1. Default chunks are 1-4 MiB and clipped to each level; ``shards="auto"`` gives shards of whole chunks
   of at most 64 MiB, clipped to each level (rounded up to whole chunks).
2. Per-level ``storage_options`` reach their level (chunks, shards, codecs), through the accessor too.
3. Whatever the input's dask chunks, every chunk (or shard) object is written exactly once: no two tasks
   share an object, so no write can undo another's (checked on a store that counts its writes).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import dask.array as da
import numpy as np
import pytest
import xarray as xr
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st
from zarr.codecs import BloscCodec, ZstdCodec

from tests.support.builders import make_image
from tests.support.stores import data_files
from tests.support.validators import validate_store
from xarray_omezarr.scale.chunking import TARGET_CHUNK_BYTES, TARGET_SHARD_BYTES
from xarray_omezarr.testing import methods, scale_factors, storage_options


def _image(shape: tuple[int, ...], chunks: tuple[int, ...]) -> xr.DataArray:
    """A lazy (c, y, x) uint16 image in dask chunks ``chunks``."""
    return make_image(("c", "y", "x"), shape, seed=3, high=4000, chunks=chunks)


# --- 1. defaults -----------------------------------------------------------------------------------------


def test_automatic_shards_hold_whole_chunks_and_stay_bounded(tmp_path):
    image = _image((2, 3000, 2500), (1, 1000, 1000))
    path = tmp_path / "auto.ome.zarr"
    image.omezarr.to_zarr(
        path, scale_factors=(2, 4, 8), method="local_mean", storage_options={"shards": "auto"}
    )
    group = zarr.open_group(path, mode="r")
    for level in map(str, range(4)):
        array = group[level]
        chunk_bytes = math.prod(array.chunks) * 2
        shard_bytes = math.prod(array.shards) * 2
        assert chunk_bytes <= TARGET_CHUNK_BYTES
        assert shard_bytes <= TARGET_SHARD_BYTES
        assert all(s % c == 0 for s, c in zip(array.shards, array.chunks, strict=True))
        assert all(
            s <= -(-n // c) * c for s, n, c in zip(array.shards, array.shape, array.chunks, strict=True)
        )
    assert group["0"].shards != group["0"].chunks  # it does shard
    np.testing.assert_array_equal(xr.open_dataset(path, engine="omezarr")["img"].values, image.values)
    validate_store(path)


def test_user_shards_larger_than_a_small_level_are_clipped_not_refused(tmp_path):
    image = _image((1, 80, 80), (1, 80, 80))
    path = tmp_path / "small.ome.zarr"
    image.omezarr.to_zarr(
        path, scale_factors=(2, 4, 8), storage_options={"chunks": (1, 16, 16), "shards": (1, 64, 64)}
    )
    group = zarr.open_group(path, mode="r")
    assert group["0"].chunks == (1, 16, 16) and group["0"].shards == (1, 64, 64)
    assert group["3"].shape == (1, 10, 10)
    assert group["3"].chunks == (1, 10, 10) and group["3"].shards == (1, 10, 10)
    for level in map(str, range(4)):
        read = xr.open_dataset(path, engine="omezarr", level=int(level))["img"].values
        np.testing.assert_array_equal(read, group[level][...])
    validate_store(path)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"shards": "big"}, "shards must be 'auto' or integers"),
        ({"chunks": (1, 16, 16), "shards": (1, 24, 32)}, "whole multiples of the chunks"),
        ({"shards": (1, 32)}, "must be 3 positive integers"),
        ({"chunks": "auto"}, "not allowed"),
    ],
)
def test_bad_shards_are_refused_before_anything_is_written(tmp_path, options, message):
    path = tmp_path / "bad.ome.zarr"
    with pytest.raises(ValueError, match=message):
        _image((1, 64, 64), (1, 64, 64)).omezarr.to_zarr(path, scale_factors=(2,), storage_options=options)
    assert not path.exists()


# --- 2. per-level options ----------------------------------------------------------------------------------


def test_storage_options_per_level_reach_their_level(tmp_path):
    image = _image((2, 256, 256), (1, 128, 128))
    per_level: list[dict[str, Any]] = [
        {"chunks": (1, 64, 64), "shards": (1, 128, 128), "compressors": ZstdCodec(level=5)},
        {"chunks": (1, 32, 32), "compressors": BloscCodec(cname="lz4", shuffle="shuffle")},
        {"chunks": (2, 64, 64), "compressors": None},
    ]
    path = tmp_path / "levels.ome.zarr"
    image.omezarr.to_zarr(path, scale_factors=(2, 4), method="local_mean", storage_options=per_level)
    group = zarr.open_group(path, mode="r")
    assert group["0"].chunks == (1, 64, 64) and group["0"].shards == (1, 128, 128)
    assert group["1"].chunks == (1, 32, 32) and group["1"].shards is None
    assert group["2"].chunks == (2, 64, 64)
    assert isinstance(group["0"].compressors[0], ZstdCodec) and group["0"].compressors[0].level == 5
    assert isinstance(group["1"].compressors[0], BloscCodec)
    assert group["2"].compressors == ()
    for level in range(3):
        np.testing.assert_array_equal(
            xr.open_dataset(path, engine="omezarr", level=level)["img"].values, group[str(level)][...]
        )
    validate_store(path)


def test_a_list_of_the_wrong_length_is_refused(tmp_path):
    path = tmp_path / "wrong.ome.zarr"
    with pytest.raises(ValueError, match="storage_options has 2 entries but the pyramid has 3 levels"):
        _image((1, 64, 64), (1, 64, 64)).omezarr.to_zarr(path, scale_factors=(2, 4), storage_options=[{}, {}])
    assert not path.exists()


# --- 3. one writer per object ------------------------------------------------------------------------------


class CountingStore(zarr.storage.LocalStore):
    """A local store that counts how often each key is written."""

    def __init__(self, root: Any, read_only: bool = False, writes: Counter[str] | None = None) -> None:
        super().__init__(root, read_only=read_only)
        self.writes: Counter[str] = Counter() if writes is None else writes

    def with_read_only(self, read_only: bool = False) -> CountingStore:
        return type(self)(self.root, read_only=read_only, writes=self.writes)

    async def set(self, key: str, value: Any) -> None:
        self.writes[key] += 1
        await super().set(key, value)


def _data_keys(writes: Counter[str]) -> Counter[str]:
    return Counter({k: n for k, n in writes.items() if not k.endswith("zarr.json")})


@settings(max_examples=16, deadline=None)
@given(
    input_chunks=st.tuples(st.integers(1, 2), st.integers(9, 70), st.integers(9, 70)),
    method=methods(),
    data=st.data(),
)
def test_every_chunk_or_shard_is_written_once_whatever_the_input_chunks(
    new_store, input_chunks, method, data
):
    image = _image((2, 120, 100), input_chunks)
    factors = data.draw(scale_factors(image, method, min_levels=1), label="scale_factors")
    options = data.draw(
        storage_options(image, "0.5", levels=len(factors) + 1, max_chunks_per_axis=8), label="storage_options"
    )
    store = CountingStore(new_store("c.ome.zarr"))
    image.omezarr.to_zarr(store, scale_factors=factors, method=method, storage_options=options)
    writes = _data_keys(store.writes)
    assert writes and max(writes.values()) == 1, [k for k, n in writes.items() if n > 1][:5]
    group = zarr.open_group(store, mode="r")
    expected_objects = sum(
        math.prod(-(-n // o) for n, o in zip(group[p].shape, group[p].shards or group[p].chunks, strict=True))
        for p in map(str, range(len(factors) + 1))
    )
    assert len(writes) <= expected_objects  # empty chunks may be skipped, but nothing extra is written
    np.testing.assert_array_equal(group["0"][...], image.values)


# --- 4. chunks of zeros --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["uint16", "float32", "bool"])
def test_chunks_holding_only_zeros_are_left_out_as_zarr_leaves_them_out(tmp_path, dtype):
    data = np.zeros((2, 96, 80), dtype=dtype)
    data[0, 5:9, 70:75] = 1  # one chunk of one block
    data[1, 40:90, :] = 1  # whole blocks
    if dtype == "float32":
        data[0, 60, 3] = -0.0  # equal to the fill value, as zarr compares
        data[1, 0, 0] = np.nan  # not equal to it
    image = xr.DataArray(da.from_array(data, chunks=(1, 64, 64)), dims=("c", "y", "x"), name="img")
    path = tmp_path / "sparse.ome.zarr"
    options = {"chunks": (1, 16, 16), "compressors": ZstdCodec(level=1)}
    image.omezarr.to_zarr(path, scale_factors=(), storage_options=options)
    plain = zarr.create_array(tmp_path / "plain.zarr", shape=data.shape, dtype=dtype, fill_value=0, **options)
    plain[...] = data
    ours = data_files(path / "0")
    assert ours == data_files(tmp_path / "plain.zarr")
    assert 0 < len(ours) < 2 * 6 * 5
    np.testing.assert_array_equal(xr.open_dataset(path, engine="omezarr")["img"].values, data)
