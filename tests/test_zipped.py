"""Zipped OME-Zarr (``.ozx``, RFC-9): written whole, read locally and from S3 by range requests.

RFC-9 (ome/ngff ``rfc/9/index.md``): the root ``zarr.json`` at the zip's root, one hierarchy, Zarr v3;
recommended: ZIP64, no zip compression, ``zarr.json`` entries first (root first, then breadth-first),
an archive comment ``{"ome": {"version": ...}}``, the ``.ozx`` extension. ngff-zarr also writes
``"zipFile": {"centralDirectory": {"jsonFirst": true}}`` in the comment, which we mirror.
"""

from __future__ import annotations

import json
import os
import struct
import uuid
import zipfile
from pathlib import Path
from typing import Any

import dask.array
import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_omezarr
from tests.support.builders import make_image, random_label, regular
from tests.support.validators import validate_store
from tests.test_remote_and_distributed import BUCKET, s3  # noqa: F401  (the moto S3 server fixture)
from xarray_omezarr.cli import main
from xarray_omezarr.errors import InvalidImageError, TargetExistsError
from xarray_omezarr.stores import ozx_entry_order


def cells() -> xr.DataArray:
    coords = {
        "c": ["DAPI", "GFP"],
        "y": regular("y", 48, 10.0, 0.325, "um"),
        "x": regular("x", 40, -4.0, 0.5, "um"),
    }
    return make_image({"c": 2, "y": 48, "x": 40}, coords=coords, seed=3, high=4000, name="image")


def labels_of(image: xr.DataArray) -> dict[str, xr.DataArray]:
    return {"cells": random_label(image, seed=1, high=8, dtype="uint32", name="cells")}


def write_both(tmp_path: Path, **options: Any) -> tuple[Path, Path]:
    """The same image (with labels) as a directory store and as a .ozx file."""
    image = cells()
    directory, zipped = tmp_path / "image.ome.zarr", tmp_path / "image.ozx"
    for target in (directory, zipped):
        xarray_omezarr.to_zarr(
            image,
            target,
            scale_factors=(2,),
            labels=labels_of(image),
            storage_options={"shards": "auto"},
            **options,
        )
    return directory, zipped


def directory_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def assert_same_dataset(actual: xr.Dataset, expected: xr.Dataset) -> None:
    xr.testing.assert_identical(actual.load(), expected.load())


# --------------------------------------------------------------------------------------------
# The file: entries, order, compression, ZIP64, comment
# --------------------------------------------------------------------------------------------


def test_the_zip_holds_the_directory_store_byte_for_byte(tmp_path: Path) -> None:
    directory, zipped = write_both(tmp_path)
    with zipfile.ZipFile(zipped) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    assert entries == directory_files(directory)
    assert sorted(os.listdir(tmp_path)) == ["image.ome.zarr", "image.ozx"]  # no staging left behind


def test_entries_are_stored_in_rfc9_order_with_the_ome_comment(tmp_path: Path) -> None:
    _, zipped = write_both(tmp_path)
    with zipfile.ZipFile(zipped) as archive:
        infos = archive.infolist()
        comment = json.loads(archive.comment.decode("utf-8"))
    names = [info.filename for info in infos]
    assert {info.compress_type for info in infos} == {zipfile.ZIP_STORED}
    assert names[0] == "zarr.json"
    metadata = [n for n in names if n.endswith("zarr.json")]
    assert names[: len(metadata)] == metadata  # every zarr.json before any chunk
    depths = [n.count("/") for n in metadata]
    assert depths == sorted(depths)  # breadth-first
    assert "labels/cells/0/zarr.json" in metadata
    assert comment == {"ome": {"version": "0.5", "zipFile": {"centralDirectory": {"jsonFirst": True}}}}
    # the local headers follow the central directory's order: metadata at the start of the file
    offsets = [info.header_offset for info in infos]
    assert offsets == sorted(offsets) and offsets[0] == 0


def test_every_local_header_is_zip64(tmp_path: Path) -> None:
    _, zipped = write_both(tmp_path)
    data = zipped.read_bytes()
    with zipfile.ZipFile(zipped) as archive:
        infos = archive.infolist()
    for info in infos:
        header = data[info.header_offset : info.header_offset + 30]
        signature, version_needed = struct.unpack("<IH", header[:6])
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        extra = data[
            info.header_offset + 30 + name_length : info.header_offset + 30 + name_length + extra_length
        ]
        assert signature == 0x04034B50
        assert version_needed >= 45  # ZIP64
        assert struct.unpack("<H", extra[:2])[0] == 0x0001, info.filename  # the ZIP64 extra field


def test_entry_order_function() -> None:
    names = ["b/c/0", "zarr.json", "b/zarr.json", "a/b/zarr.json", "a/zarr.json", "0/c/1/0"]
    assert ozx_entry_order(names) == [
        "zarr.json",
        "a/zarr.json",
        "b/zarr.json",
        "a/b/zarr.json",
        "0/c/1/0",
        "b/c/0",
    ]


def test_arrays_are_sharded_by_default_unless_asked(tmp_path: Path) -> None:
    xarray_omezarr.to_zarr(cells(), tmp_path / "default.ozx", scale_factors=(2,))
    xarray_omezarr.to_zarr(
        cells(), tmp_path / "plain.ozx", scale_factors=(2,), storage_options={"shards": None}
    )
    for name, sharded in (("default.ozx", True), ("plain.ozx", False)):
        with zipfile.ZipFile(tmp_path / name) as archive:
            codecs = json.loads(archive.read("0/zarr.json"))["codecs"]
        assert (codecs[0]["name"] == "sharding_indexed") is sharded


def test_the_same_image_gives_the_same_bytes(tmp_path: Path) -> None:
    image = cells()
    first, second = tmp_path / "a.ozx", tmp_path / "b.ozx"
    xarray_omezarr.to_zarr(image, first, scale_factors=(2,))
    xarray_omezarr.to_zarr(image, second, scale_factors=(2,))
    assert first.read_bytes() == second.read_bytes()


def test_the_unzipped_content_passes_the_validators(tmp_path: Path) -> None:
    _, zipped = write_both(tmp_path)
    unzipped = tmp_path / "unzipped.ome.zarr"
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(unzipped)
    validate_store(unzipped)


# --------------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", [None, "omezarr"])
def test_round_trip_is_exact(tmp_path: Path, engine: str | None) -> None:
    directory, zipped = write_both(tmp_path)
    image = cells()
    ds = xr.open_dataset(zipped, engine=engine)
    xr.testing.assert_equal(ds["image"].load(), image)
    assert ds["image"].y.attrs == {"units": "micrometer"}
    np.testing.assert_array_equal(ds["cells"].values, labels_of(image)["cells"].values)
    assert_same_dataset(ds, xr.open_dataset(directory, engine="omezarr"))
    tree = xr.open_datatree(zipped, engine=engine)
    expected = xr.open_datatree(directory, engine="omezarr")
    assert [n.path for n in tree.subtree] == [n.path for n in expected.subtree]
    for node, other in zip(tree.subtree, expected.subtree, strict=True):
        assert_same_dataset(node.to_dataset(), other.to_dataset())


def test_a_tree_read_from_a_zip_writes_the_same_zip(tmp_path: Path) -> None:
    _, zipped = write_both(tmp_path)
    copy = tmp_path / "copy.ozx"
    xarray_omezarr.tree_to_zarr(xr.open_datatree(zipped, engine="omezarr"), copy)
    assert copy.read_bytes() == zipped.read_bytes()


def test_dask_input_and_a_plate(tmp_path: Path) -> None:
    image = cells().chunk({"y": 16})
    image.omezarr.to_zarr(tmp_path / "lazy.ozx", scale_factors=(2,))  # the accessor forwards the same
    xr.testing.assert_equal(xr.open_dataset(tmp_path / "lazy.ozx")["image"].load(), image.load())
    field = make_image({"y": 16, "x": 16}, seed=2, name="plate")
    plate = xr.concat([field.expand_dims(row=["A"], column=["1"], field=[0])], "field")
    xarray_omezarr.to_zarr(plate, tmp_path / "plate.ozx", scale_factors=(2,))
    ds = xr.open_dataset(tmp_path / "plate.ozx", engine="omezarr")
    np.testing.assert_array_equal(np.asarray(ds["plate"]).squeeze(), field.values)


# --------------------------------------------------------------------------------------------
# Failures leave nothing behind; bad input is refused before anything is written
# --------------------------------------------------------------------------------------------


def failing_image() -> xr.DataArray:
    image = cells()

    def fail(block: np.ndarray, block_info: Any = None) -> np.ndarray:
        if block_info[0]["chunk-location"][1] == 1:
            raise RuntimeError("disk on fire")
        return block

    data = dask.array.from_array(image.values, chunks=(2, 16, 40)).map_blocks(
        fail, block_info=True, dtype=image.dtype
    )
    return image.copy(data=data)


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="disk on fire"):
        xarray_omezarr.to_zarr(failing_image(), tmp_path / "image.ozx")
    assert os.listdir(tmp_path) == []


def test_a_failed_write_leaves_the_existing_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "image.ozx"
    xarray_omezarr.to_zarr(cells(), target, scale_factors=(2,))
    before = target.read_bytes()
    with pytest.raises(RuntimeError, match="disk on fire"):
        xarray_omezarr.to_zarr(failing_image(), target, mode="w")
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["image.ozx"]


def test_a_failure_while_zipping_leaves_the_existing_file_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "image.ozx"
    xarray_omezarr.to_zarr(cells(), target, scale_factors=(2,))
    before = target.read_bytes()
    close = zipfile.ZipFile.close
    failed: list[bool] = []

    def broken_close(self: zipfile.ZipFile) -> None:
        close(self)
        if not failed:  # the first archive closed is the new .ozx, once complete
            failed.append(True)
            raise OSError("no space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "close", broken_close)
    with pytest.raises(OSError, match="no space left"):
        xarray_omezarr.to_zarr(cells(), target, mode="w")
    monkeypatch.undo()
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["image.ozx"]


def test_mode_w_replaces_and_the_default_refuses(tmp_path: Path) -> None:
    target = tmp_path / "image.ozx"
    xarray_omezarr.to_zarr(cells(), target, scale_factors=())
    before = target.read_bytes()
    with pytest.raises(TargetExistsError, match="mode='w'"):
        xarray_omezarr.to_zarr(cells(), target)
    assert target.read_bytes() == before
    xarray_omezarr.to_zarr(cells(), target, scale_factors=(2,), mode="w")
    assert len(xr.open_datatree(target).children) == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"version": "0.4"}, "Zarr v3"),
        ({"mode": "a"}, "written whole"),
        ({"mode": "r+"}, "written whole"),
        ({"append_dim": "c"}, "directory store"),
        ({"region": {"y": slice(0, 8)}}, "directory store"),
        ({"compute": False}, "compute=False"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidImageError, match=message):
        xarray_omezarr.to_zarr(cells(), tmp_path / "image.ozx", **options)
    assert os.listdir(tmp_path) == []


def test_targets_that_are_no_file_are_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.ozx").mkdir()
    with pytest.raises(InvalidImageError, match="is a directory"):
        xarray_omezarr.to_zarr(cells(), tmp_path / "folder.ozx", mode="w")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        xarray_omezarr.to_zarr(cells(), tmp_path / "missing" / "image.ozx")
    with pytest.raises(InvalidImageError, match="filesystem options"):
        xarray_omezarr.to_zarr(cells(), tmp_path / "image.ozx", filesystem_options={"anon": True})
    with pytest.raises(InvalidImageError, match="not through a ZipStore"):
        xarray_omezarr.to_zarr(cells(), zarr.storage.ZipStore(tmp_path / "store.ozx", mode="w"))
    assert os.listdir(tmp_path) == ["folder.ozx"]


def test_an_ozx_file_cannot_be_changed_in_place(tmp_path: Path) -> None:
    target = tmp_path / "image.ozx"
    xarray_omezarr.to_zarr(cells(), target, scale_factors=())
    before = target.read_bytes()
    label = random_label(cells(), seed=1, high=8, dtype="uint32")
    with pytest.raises(InvalidImageError, match="cannot be changed in place"):
        xarray_omezarr.to_zarr_label(label, target, "cells")
    with pytest.raises(InvalidImageError, match="cannot be changed in place"):
        xarray_omezarr.writer.write_image(cells().values, str(target), axes="cyx")
    assert target.read_bytes() == before


def test_reading_what_is_not_an_ozx_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no zipped OME-Zarr"):
        xr.open_dataset(tmp_path / "missing.ozx", engine="omezarr")
    (tmp_path / "text.ozx").write_text("not a zip")
    with pytest.raises(FileNotFoundError, match="not a zip file"):
        xr.open_dataset(tmp_path / "text.ozx", engine="omezarr")


# --------------------------------------------------------------------------------------------
# Peers: ngff-zarr writes and reads .ozx
# --------------------------------------------------------------------------------------------


def test_ngff_zarr_reads_our_file_at_the_same_transforms(tmp_path: Path) -> None:
    ngff_zarr = pytest.importorskip("ngff_zarr")
    _, zipped = write_both(tmp_path)
    multiscales = ngff_zarr.from_ngff_zarr(str(zipped))
    image = cells()
    first = multiscales.images[0]
    assert first.scale["y"] == pytest.approx(0.325) and first.scale["x"] == pytest.approx(0.5)
    assert first.translation["y"] == pytest.approx(10.0) and first.translation["x"] == pytest.approx(-4.0)
    np.testing.assert_array_equal(np.asarray(first.data), image.values)
    ours = xr.open_datatree(zipped, engine="omezarr")["1"]["image"]
    second = multiscales.images[1]
    assert second.scale["x"] == pytest.approx(float(ours.x[1] - ours.x[0]))
    assert second.translation["x"] == pytest.approx(float(ours.x[0]))


def test_we_read_ngff_zarrs_file(tmp_path: Path) -> None:
    ngff_zarr = pytest.importorskip("ngff_zarr")
    data = make_image({"y": 64, "x": 48}, seed=5).values
    ngff_image = ngff_zarr.to_ngff_image(
        data, dims=("y", "x"), scale={"y": 0.5, "x": 0.25}, translation={"y": 1.0, "x": 2.0}
    )
    target = tmp_path / "peer.ozx"
    ngff_zarr.to_ngff_zarr(
        str(target), ngff_zarr.to_multiscales(ngff_image, scale_factors=[2]), version="0.5"
    )
    ds = xr.open_dataset(target)
    variable = next(iter(ds.data_vars.values()))
    np.testing.assert_array_equal(variable.values, data)
    np.testing.assert_allclose(ds.y.values, 1.0 + 0.5 * np.arange(64))
    np.testing.assert_allclose(ds.x.values, 2.0 + 0.25 * np.arange(48))
    assert len(xr.open_datatree(target).children) == 2


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


def test_cli_converts_to_and_inspects_ozx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "source.ome.zarr"
    xarray_omezarr.to_zarr(cells(), source, scale_factors=())
    target = tmp_path / "converted.ozx"
    assert main(["convert", str(source), str(target), "--scale-factors", "2", "--quiet"]) == 0
    assert zipfile.is_zipfile(target)
    assert main(["validate", str(target)]) == 0
    assert main(["info", str(target), "--json"]) == 0
    out = capsys.readouterr().out
    assert "valid" in out
    assert main(["convert", str(source), str(target), "--quiet"]) == 2  # exists, no --overwrite


# --------------------------------------------------------------------------------------------
# S3 (moto's server on loopback): upload one file; read by range requests
# --------------------------------------------------------------------------------------------


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every byte range s3fs fetches from a file, as ``(start, end)``."""
    import s3fs.core

    ranges: list[tuple[int, int]] = []
    original = s3fs.core.S3File._fetch_range

    def counted(self: Any, start: int, end: int) -> bytes:
        ranges.append((start, end))
        return original(self, start, end)

    monkeypatch.setattr(s3fs.core.S3File, "_fetch_range", counted)
    return ranges


def test_s3_upload_is_the_local_file_and_reads_by_range(
    tmp_path: Path,
    s3: Any,  # noqa: F811
    fetched: list[tuple[int, int]],
) -> None:
    # noise compresses badly: a file of a few MiB, of which a small region is a small part
    big = make_image({"y": 1024, "x": 1024}, seed=7, high=60000, name="big")
    options = {"chunks": (128, 128), "shards": (256, 256)}
    local = tmp_path / "big.ozx"
    xarray_omezarr.to_zarr(big, local, scale_factors=(2,), storage_options=options)
    stem = uuid.uuid4().hex
    url = f"s3://{BUCKET}/{stem}.ozx"
    xarray_omezarr.to_zarr(
        big, url, scale_factors=(2,), storage_options=options, filesystem_options=s3.options
    )
    fs = s3.filesystem()
    assert fs.cat_file(url) == local.read_bytes()
    # one object, and nothing staged beside it (the bucket also holds other tests' stores)
    assert [key for key in fs.find(BUCKET) if stem in key] == [f"{BUCKET}/{stem}.ozx"]

    size = local.stat().st_size
    fetched.clear()
    ds = xr.open_dataset(url, engine="omezarr", storage_options=s3.options)
    corner = ds["big"].isel(y=slice(0, 64), x=slice(0, 64)).values
    np.testing.assert_array_equal(corner, big.values[:64, :64])
    read = sum(end - start for start, end in fetched)
    assert 0 < len(fetched) <= 8 and read < size / 4, (fetched, size)
    with pytest.raises(TargetExistsError):
        xarray_omezarr.to_zarr(big, url, filesystem_options=s3.options)
    tree = xr.open_datatree(url, storage_options=s3.options)
    assert len(tree.children) == 2
