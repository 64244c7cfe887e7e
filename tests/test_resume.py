"""``resume=True``: writes, appends and conversions killed with SIGKILL, then finished.

Each write runs in a subprocess that is killed at a random moment once a random number of its
stored objects has reached the disk (the store is polled, so the kill lands while data are being
written); the test process then makes the same call with ``resume=True``. The store must then be
byte for byte the one a single uninterrupted call writes: every level's chunks and the OME
metadata. Each resume's share of stored objects written again is printed (``pytest -s``) and
recorded as a property of the test (``--junitxml``).
"""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import dask
import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_omezarr
from tests.support import killed_writes
from tests.support.stores import data_files, ome_metadata, snapshot, store_files
from xarray_omezarr import errors
from xarray_omezarr.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _environment() -> dict[str, str]:
    return os.environ | {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def _count(path: Path) -> int:
    """The data objects under ``path`` by name only (fast, and safe while a writer renames files)."""
    metadata = {"zarr.json", ".zattrs", ".zgroup", ".zarray"}
    return sum(
        1 for _, _, names in os.walk(path) for n in names if n not in metadata and not n.endswith(".partial")
    )


def killed(command: list[str], store: Path, threshold: int, seed: int) -> bool:
    """Run ``command``, SIGKILL it once ``store`` holds ``threshold`` more data objects (plus a random
    few milliseconds); whether it was killed before it finished."""
    jitter = random.Random(seed).uniform(0.0, 0.01)
    before = _count(store)
    process = subprocess.Popen(command, cwd=ROOT, env=_environment(), stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if _count(store) - before >= threshold:
            time.sleep(jitter)
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.005)
    process.wait()
    return False


def rewritten_share(records: list[logging.LogRecord]) -> tuple[int, int]:
    """The objects the resume wrote again, and those planned, from its log record."""
    (record,) = [r for r in records if r.name == "xarray_omezarr.resume"]
    return record.rewritten, record.total  # type: ignore[attr-defined]


def report(record_property: Any, what: str, rewritten: int, total: int, was_killed: bool) -> None:
    share = rewritten / total if total else 0.0
    print(
        f"\n{what}: resume wrote {rewritten} of {total} objects ({share:.0%}); killed mid-write: {was_killed}"
    )
    record_property("rewritten_objects", rewritten)
    record_property("planned_objects", total)
    record_property("rewritten_share", round(share, 3))


@pytest.fixture(scope="module")
def one_call(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """The stores one uninterrupted call writes, by version."""
    out = {}
    for version in ("0.4", "0.5"):
        path = tmp_path_factory.mktemp("one-call") / "movie.ome.zarr"
        killed_writes.write(str(path), version)
        out[version] = store_files(path)
    return out


@pytest.mark.parametrize("seed", [1, 5])
@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_a_killed_write_resumed_is_the_one_call_store(
    tmp_path: Path, version: str, seed: int, one_call: Any, caplog: Any, record_property: Any
) -> None:
    path = tmp_path / "movie.ome.zarr"
    objects = len(data_files_of(one_call[version]))
    threshold = random.Random(seed).randint(objects // 10, objects * 7 // 10)
    command = [sys.executable, "-m", "tests.support.killed_writes", "write", str(path), version]
    was_killed = killed(command, path, threshold, seed)
    assert was_killed, "the write finished before the kill"
    assert "multiscales" not in ome_metadata(path)  # the kill came before the metadata
    assert store_files(path) != one_call[version]
    with caplog.at_level(logging.INFO, logger="xarray_omezarr.resume"):
        killed_writes.write(str(path), version, resume=True)
    assert store_files(path) == one_call[version]
    rewritten, total = rewritten_share(caplog.records)
    assert 0 < rewritten < total
    report(record_property, f"write {version} seed {seed}", rewritten, total, was_killed)


def data_files_of(files: dict[str, bytes]) -> list[str]:
    return [k for k in files if k.rsplit("/", 1)[-1] not in {"zarr.json", ".zattrs", ".zgroup", ".zarray"}]


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_a_killed_append_resumed_is_the_one_call_store(
    tmp_path: Path, version: str, one_call: Any, caplog: Any, record_property: Any
) -> None:
    path = tmp_path / "movie.ome.zarr"
    killed_writes.killed_movie().isel(t=slice(0, 4)).omezarr.to_zarr(
        path, version=version, **killed_writes.OPTIONS
    )
    metadata_before = ome_metadata(path)
    objects = len(data_files_of(one_call[version])) // 2
    command = [sys.executable, "-m", "tests.support.killed_writes", "append", str(path), version]
    was_killed = killed(command, path, objects // 3, 3)
    assert was_killed, "the append finished before the kill"
    assert ome_metadata(path) == metadata_before  # the image is still the first half
    with caplog.at_level(logging.INFO, logger="xarray_omezarr.resume"):
        killed_writes.append(str(path), version, resume=True)
    assert store_files(path) == one_call[version]
    rewritten, total = rewritten_share(caplog.records)
    assert 0 < rewritten < total
    report(record_property, f"append {version}", rewritten, total, was_killed)
    # the append is complete: resuming it again changes nothing
    before = snapshot(path)
    killed_writes.append(str(path), version, resume=True)
    assert snapshot(path) == before


def _convert_arguments(source: Path, target: Path, version: str) -> list[str]:
    return [
        "convert",
        str(source),
        str(target),
        "--scale-factors",
        "2",
        "4",
        "--method",
        "local_mean",
        "--chunks",
        "1",
        "1",
        "128",
        "128",
        "--version",
        version,
        "--quiet",
    ]


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_a_killed_conversion_resumed_is_the_one_call_store(
    tmp_path: Path, version: str, caplog: Any, record_property: Any
) -> None:
    source = tmp_path / "movie.zarr"
    killed_writes.killed_movie().to_dataset().to_zarr(source, zarr_format=2 if version == "0.4" else 3)
    whole = tmp_path / "whole.ome.zarr"
    assert main(_convert_arguments(source, whole, version)) == 0
    path = tmp_path / "movie.ome.zarr"
    command = [sys.executable, "-m", "xarray_omezarr", *_convert_arguments(source, path, version)]
    was_killed = killed(command, path, len(data_files(whole)) // 2, 4)
    assert was_killed, "the conversion finished before the kill"
    with caplog.at_level(logging.INFO, logger="xarray_omezarr.resume"):
        assert main([*_convert_arguments(source, path, version), "--resume"]) == 0
    assert store_files(path) == store_files(whole)
    rewritten, total = rewritten_share(caplog.records)
    assert 0 < rewritten < total
    report(record_property, f"convert {version}", rewritten, total, was_killed)


# --- without a subprocess: the states resume=True finds, and what it refuses ---------------------------


def small() -> xr.DataArray:
    data = np.random.default_rng(0).integers(0, 4000, (64, 64), dtype="uint16")
    return xr.DataArray(data, dims=("y", "x"), name="small")


SMALL = {"scale_factors": (2, 4), "method": "local_mean", "storage_options": {"chunks": (16, 16)}}


def interrupted(path: Path, version: str) -> None:
    """What a write killed halfway through its data leaves: the progress record, half the objects."""

    class PowerCut(zarr.storage.LocalStore):
        arrived = 0

        async def set(self, key: str, value: Any) -> None:
            if "/c/" in key or key.split("/")[-1][:1].isdigit():
                PowerCut.arrived += 1
                if PowerCut.arrived > 12:
                    raise RuntimeError("the machine lost power")
            await super().set(key, value)

    # one task at a time: no other task is still writing once the error is raised
    with dask.config.set(scheduler="synchronous"), pytest.raises(RuntimeError, match="lost power"):
        small().omezarr.to_zarr(PowerCut(path), version=version, **SMALL)
    time.sleep(0.3)  # zarr's writes of the same block already under way when the power went


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_resume_of_a_complete_image_rewrites_nothing(tmp_path: Path, version: str, caplog: Any) -> None:
    path = tmp_path / "small.ome.zarr"
    small().omezarr.to_zarr(path, version=version, **SMALL)
    before = snapshot(path)
    with caplog.at_level(logging.INFO, logger="xarray_omezarr.resume"):
        assert small().omezarr.to_zarr(path, version=version, resume=True, **SMALL) == []
    assert rewritten_share(caplog.records) == (0, 0)
    assert snapshot(path) == before


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_resume_where_nothing_was_written_writes_the_image(tmp_path: Path, version: str) -> None:
    path, whole = tmp_path / "small.ome.zarr", tmp_path / "whole.ome.zarr"
    small().omezarr.to_zarr(path, version=version, resume=True, **SMALL)
    small().omezarr.to_zarr(whole, version=version, **SMALL)
    assert store_files(path) == store_files(whole)


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_a_truncated_chunk_and_leftover_partial_files_do_not_survive(tmp_path: Path, version: str) -> None:
    path, whole = tmp_path / "small.ome.zarr", tmp_path / "whole.ome.zarr"
    small().omezarr.to_zarr(whole, version=version, **SMALL)
    interrupted(path, version)
    chunk = sorted(data_files(path / "0"))[0]
    # what a write killed inside LocalStore.set leaves: its temporary file, never the object itself
    (path / "0" / f"{chunk}.0123456789abcdef0123456789abcdef.partial").write_bytes(b"\x00" * 7)
    small().omezarr.to_zarr(path, version=version, resume=True, **SMALL)
    assert store_files(path) == store_files(whole)


def test_a_truncated_object_on_a_store_that_is_not_atomic_is_written_again(tmp_path: Path) -> None:
    from zarr.storage import FsspecStore

    path, whole = tmp_path / "small.ome.zarr", tmp_path / "whole.ome.zarr"
    small().omezarr.to_zarr(whole, **SMALL)
    interrupted(path, "0.5")
    chunk = path / "0" / sorted(data_files(path / "0"))[0]
    chunk.write_bytes(chunk.read_bytes()[:5])  # a local filesystem through fsspec writes in place
    store = FsspecStore.from_url(f"file://{path}", storage_options={"auto_mkdir": True})
    small().omezarr.to_zarr(store, resume=True, **SMALL)
    assert store_files(path) == store_files(whole)


def bad_resumes() -> dict[str, tuple[xr.DataArray, dict[str, Any], str]]:
    image = small()
    return {
        "dtype": (image.astype("int32"), SMALL, "data_type: the store has"),
        "chunks": (image, SMALL | {"storage_options": {"chunks": (32, 32)}}, "chunk_shape"),
        "scale_factors": (image, SMALL | {"scale_factors": (2,)}, "multiscales[0].datasets"),
        "more levels": (image, SMALL | {"scale_factors": (2, 4, 8)}, "datasets"),
        "method": (image, SMALL | {"method": "resize"}, "'resize'"),
        "codecs": (
            image,
            SMALL | {"storage_options": {"chunks": (16, 16), "compressors": zarr.codecs.ZstdCodec(level=5)}},
            "codecs",
        ),
        "shards": (image, SMALL | {"storage_options": {"chunks": (16, 16), "shards": (32, 32)}}, "sharding"),
        "name": (image.rename("other"), SMALL, "name"),
        "region": (image, SMALL | {"region": "auto"}, "resume=True finishes an interrupted image write"),
    }


@pytest.mark.parametrize("case", list(bad_resumes()))
def test_a_resume_with_other_arguments_is_refused_and_leaves_the_store_byte_identical(
    tmp_path: Path, case: str
) -> None:
    path = tmp_path / "small.ome.zarr"
    interrupted(path, "0.5")
    before = snapshot(path)
    image, options, message = bad_resumes()[case]
    with pytest.raises(errors.InvalidImageError, match=message.replace("[", r"\[").replace("(", r"\(")):
        image.omezarr.to_zarr(path, resume=True, **options)
    assert snapshot(path) == before


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_a_resume_of_another_complete_image_is_refused(tmp_path: Path, version: str) -> None:
    path = tmp_path / "small.ome.zarr"
    small().omezarr.to_zarr(path, version=version, **SMALL)
    before = snapshot(path)
    with pytest.raises(errors.CannotResumeError, match="it holds another image"):
        small().omezarr.to_zarr(path, version=version, resume=True, **(SMALL | {"method": "resize"}))
    with pytest.raises(errors.InvalidImageError, match="needs a Zarr"):
        other = "0.5" if version == "0.4" else "0.4"
        small().omezarr.to_zarr(path, version=other, resume=True, **SMALL)
    assert snapshot(path) == before


def test_resume_of_a_group_that_holds_something_else_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.zarr"
    zarr.open_group(path, mode="w").create_array("data", shape=(4,), dtype="u1")
    before = snapshot(path)
    with pytest.raises(errors.CannotResumeError, match="no record of an interrupted write"):
        small().omezarr.to_zarr(path, resume=True, **SMALL)
    assert snapshot(path) == before


def test_resume_is_refused_for_labels_and_plates(tmp_path: Path) -> None:
    image = small()
    with pytest.raises(errors.InvalidImageError, match="label images"):
        image.omezarr.to_zarr(tmp_path / "a.ome.zarr", resume=True, labels={"l": image.astype("u1")})
    assert not (tmp_path / "a.ome.zarr").exists()


def test_the_accessor_and_the_function_take_resume(tmp_path: Path) -> None:
    path = tmp_path / "small.ome.zarr"
    interrupted(path, "0.5")
    xarray_omezarr.to_zarr(small().to_dataset(), path, resume=True, **SMALL)
    assert "multiscales" in ome_metadata(path)


def test_the_seed_writer_takes_resume(tmp_path: Path) -> None:
    from xarray_omezarr.writer import write_image

    path, whole = tmp_path / "small.ome.zarr", tmp_path / "whole.ome.zarr"
    interrupted(path, "0.5")
    write_image(small(), str(path), resume=True, **SMALL)
    write_image(small(), str(whole), **SMALL)
    assert store_files(path) == store_files(whole)


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_an_append_killed_while_resizing_its_arrays_is_finished(tmp_path: Path, version: str) -> None:
    image = small().expand_dims(t=[0.0, 1.0, 2.0, 3.0]).copy()
    image.values[:] += np.arange(4, dtype="uint16")[:, None, None]
    options = SMALL | {"storage_options": {"chunks": (1, 16, 16)}, "version": version}
    whole, path = tmp_path / "whole.ome.zarr", tmp_path / "movie.ome.zarr"
    image.omezarr.to_zarr(whole, **options)
    image.isel(t=slice(0, 2)).omezarr.to_zarr(path, **options)
    names = ("zarr.json",) if version == "0.5" else (".zarray", ".zattrs")
    kept = [f"{level}/{n}" for level in ("1", "2") for n in names] + ["zarr.json", ".zattrs"]
    before = {f: (path / f).read_bytes() for f in kept if (path / f).exists()}
    image.isel(t=slice(2, 4)).omezarr.to_zarr(path, append_dim="t")
    for name, content in before.items():  # killed once level 0 was resized: levels 1 and 2 were not
        (path / name).write_bytes(content)
    assert zarr.open_array(path / "0").shape[0] == 4 and zarr.open_array(path / "1").shape[0] == 2
    other = image.isel(t=slice(2, 4)) + 1
    with pytest.raises(errors.CannotResumeError, match="different sizes along 't'"):
        other.omezarr.to_zarr(path, append_dim="t", resume=True)
    image.isel(t=slice(2, 4)).omezarr.to_zarr(path, append_dim="t", resume=True)
    assert store_files(path) == store_files(whole)
