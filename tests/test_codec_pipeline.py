"""The codec pipeline: zarrs' Rust pipeline when installed, zarr's own otherwise, and the same stores either way."""

from __future__ import annotations

import warnings
from pathlib import Path

import numcodecs
import numpy as np
import pytest
import xarray as xr
import zarr
from zarr.codecs import BloscCodec, ZstdCodec

import xarray_omezarr
from xarray_omezarr.backend.arrays import OmeZarrBackendArray
from xarray_omezarr.config import codec_pipeline_for, pipelined

from .support.builders import make_image, regular
from .support.stores import assert_same_files, store_files
from .support.validators import validate_store

pytest.importorskip("zarrs")

STORAGE = {
    "default": None,
    "blosc": {"compressors": BloscCodec(cname="zstd", clevel=1, shuffle="shuffle")},
    "zstd-checksum": {"compressors": ZstdCodec(level=3, checksum=True)},
    "zstd-0": {"compressors": ZstdCodec(level=0)},  # zarr's default codec, which zarrs encodes differently
    "uncompressed": {"compressors": None},
    "chunks": {"chunks": (1, 8, 16, 16)},
    "sharded": {"chunks": (1, 4, 8, 8), "shards": (1, 8, 16, 16)},
}
# Zarr v2 (0.4) takes numcodecs' compressors, and has no shards
STORAGE_V2 = {
    **{
        name: options
        for name, options in STORAGE.items()
        if name not in ("blosc", "zstd-checksum", "zstd-0", "sharded")
    },
    "blosc": {"compressors": numcodecs.Blosc(cname="zstd", clevel=1, shuffle=numcodecs.Blosc.SHUFFLE)},
    "zstd-checksum": {"compressors": numcodecs.Zstd(level=3, checksum=True)},
}
CASES = [("0.5", name) for name in STORAGE] + [("0.4", name) for name in STORAGE_V2]


def image() -> xr.DataArray:
    coords = {
        "c": ["DAPI", "GFP"],
        "z": regular("z", 12, 0.0, 2.0, "um"),
        "y": regular("y", 40, 5.0, 0.5, "um"),
        "x": regular("x", 36, -3.0, 0.5, "um"),
    }
    return make_image({"c": 2, "z": 12, "y": 40, "x": 36}, coords=coords, high=5000, chunks=(1, 6, 20, 18))


def pipeline_name(array: zarr.Array) -> str:
    return type(array._async_array.codec_pipeline).__name__


@pytest.mark.parametrize(("version", "storage"), CASES)
def test_stores_written_through_zarrs_are_those_written_without(
    tmp_path: Path, version: str, storage: str
) -> None:
    options = (STORAGE if version == "0.5" else STORAGE_V2)[storage]
    written = {}
    for pipeline in ("zarr", "zarrs"):
        path = tmp_path / f"{pipeline}.ome.zarr"
        with xarray_omezarr.set_options(codec_pipeline=pipeline):
            image().omezarr.to_zarr(
                path, version=version, scale_factors=(2, 4), method="local_mean", storage_options=options
            )
        written[pipeline] = store_files(path)
    assert_same_files(written["zarrs"], written["zarr"])
    validate_store(tmp_path / "zarrs.ome.zarr")


@pytest.mark.parametrize("dtype", ["uint16", "float32"])
@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_empty_chunks_are_left_out_alike_by_both_pipelines(tmp_path: Path, dtype: str, version: str) -> None:
    """zarrs finds empty chunks itself where zarr's pipeline has ours check them: the same objects
    are left out, a chunk of -0.0 (not zero bits) is kept, and so is a chunk with a single value set."""
    values = np.zeros((2, 32, 64), dtype)
    values[0, :16, :32] = 7  # one whole chunk
    values[1, 0, 0] = 1  # a single pixel of another
    if dtype == "float32":
        values[1, 16:, 32:] = -0.0
    data = xr.DataArray(values, dims=("c", "y", "x"))
    written = {}
    for pipeline in ("zarr", "zarrs"):
        path = tmp_path / f"{pipeline}.ome.zarr"
        with xarray_omezarr.set_options(codec_pipeline=pipeline):
            data.omezarr.to_zarr(
                path, version=version, scale_factors=(), storage_options={"chunks": (1, 16, 32)}
            )
        written[pipeline] = store_files(path)
    assert_same_files(written["zarrs"], written["zarr"])
    stored = sorted(
        k.split("/", 1)[1]
        for k in written["zarrs"]
        if k.startswith("0/") and not k.endswith(("zarr.json", ".zarray", ".zattrs"))
    )
    prefix = "c/" if version == "0.5" else ""  # 0.4 stores its chunk keys with "/" too, without "c/"
    expected = [f"{prefix}0/0/0", f"{prefix}1/0/0"] + ([f"{prefix}1/1/1"] if dtype == "float32" else [])
    assert stored == expected
    np.testing.assert_array_equal(
        xr.open_dataarray(tmp_path / "zarrs.ome.zarr", engine="omezarr").values, values
    )


def test_levels_are_written_and_read_through_zarrs(tmp_path: Path) -> None:
    path = tmp_path / "img.ome.zarr"
    source = image()
    with xarray_omezarr.set_options(codec_pipeline="zarrs"):
        source.omezarr.to_zarr(path, scale_factors=(2,))
        opened = xr.open_dataset(path, engine="omezarr", chunks=None)
    lazy = opened["img"].variable._data
    while not isinstance(lazy, OmeZarrBackendArray):  # through xarray's lazy wrappers to ours
        lazy = lazy.array
    assert pipeline_name(lazy.array) == "ZarrsCodecPipeline"
    np.testing.assert_array_equal(opened["img"].values, source.values)
    with xarray_omezarr.set_options(codec_pipeline="zarr"):
        np.testing.assert_array_equal(xr.open_dataset(path, engine="omezarr")["img"].values, source.values)


def test_arrays_zarrs_cannot_encode_keep_zarrs_pipeline_silently(tmp_path: Path) -> None:
    v2 = zarr.create_array(
        tmp_path / "v2.zarr",
        shape=(4,),
        chunks=(2,),
        dtype="u2",
        zarr_format=2,
        compressors=numcodecs.Zstd(level=3, checksum=True),
    )
    with xarray_omezarr.set_options(codec_pipeline="zarrs"), warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pipeline_name(pipelined(v2, writing=True)) == "BatchedCodecPipeline"


def test_sharded_arrays_are_written_by_zarr_and_read_by_zarrs(tmp_path: Path) -> None:
    array = zarr.create_array(tmp_path / "a.zarr", shape=(8, 8), chunks=(2, 2), shards=(4, 4), dtype="u2")
    with xarray_omezarr.set_options(codec_pipeline="zarrs"):
        assert pipeline_name(pipelined(array, writing=True)) == "BatchedCodecPipeline"
        assert pipeline_name(pipelined(array, writing=False)) == "ZarrsCodecPipeline"
        plain = zarr.create_array(tmp_path / "b.zarr", shape=(8, 8), chunks=(2, 2), dtype="u2")
        assert pipeline_name(pipelined(plain, writing=True)) == "ZarrsCodecPipeline"


def test_zarr_pipeline_when_turned_off_or_chosen_in_zarrs_config() -> None:
    with xarray_omezarr.set_options(codec_pipeline="zarr"):
        assert codec_pipeline_for(sharded=False, writing=True) is None
    with xarray_omezarr.set_options(codec_pipeline="auto"):
        assert codec_pipeline_for(sharded=False, writing=True) == "zarrs.ZarrsCodecPipeline"
        # a pipeline the user chose in zarr's own config is theirs to keep
        with zarr.config.set({"codec_pipeline.path": "zarrs.ZarrsCodecPipeline"}):
            assert codec_pipeline_for(sharded=True, writing=True) is None
    assert xarray_omezarr.get_options()["codec_pipeline"] == "auto"


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="codec_pipeline must be one of"):
        xarray_omezarr.set_options(codec_pipeline="rust")  # type: ignore[arg-type]
    assert xarray_omezarr.get_options()["codec_pipeline"] == "auto"
