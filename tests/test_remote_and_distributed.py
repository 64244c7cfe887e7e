"""Remote object storage and dask.distributed, end to end on real data.

- S3: a real S3-compatible HTTP server (moto's server mode on loopback) takes the writes through fsspec URLs
  and obstore stores; what lands there is compared byte for byte with the same write to a local directory,
  read back with the ``omezarr`` engine and checked by the independent validators.
- dask.distributed: a real ``LocalCluster`` with worker processes writes the same bytes as the local
  scheduler, whatever the input (lazy dask, numpy, ``compute=False``, ``progress=True``).
- Progress bars: ``progress=True`` prints dask's bar, ``progress=False`` prints nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dask
import dask.array
import numpy as np
import pytest
import xarray as xr
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st

import xarray_omezarr
from tests.support.builders import make_image, random_label, regular
from tests.support.stores import assert_same_files, ome_metadata, store_files
from tests.support.validators import validate_store
from xarray_omezarr import writer
from xarray_omezarr.testing import images, methods, scale_factors, storage_options, versions

BUCKET = "omezarr-tests"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def s3_objects(fs: Any, prefix: str) -> dict[str, bytes]:
    """Every object under ``prefix`` (``bucket/name.ome.zarr``), by key relative to the prefix."""
    fs.invalidate_cache()
    keys = fs.find(prefix)
    return {key[len(prefix) + 1 :]: fs.cat_file(key) for key in sorted(keys)}


def cells_image(seed: int = 0) -> xr.DataArray:
    """A (c, y, x) uint16 image with physical coordinates, units and channel names."""
    coords = {
        "c": ["DAPI", "GFP"],
        "y": regular("y", 64, 10.0, 0.325, "um"),
        "x": regular("x", 72, -4.0, 0.325, "um"),
    }
    return make_image({"c": 2, "y": 64, "x": 72}, coords=coords, seed=seed, high=4000, name="image")


def cells_label(image: xr.DataArray) -> xr.DataArray:
    """A uint32 label image on ``image``'s (y, x) grid."""
    return random_label(image, seed=1, high=8, dtype="uint32", name="cells")


# --------------------------------------------------------------------------------------------
# S3 on a real HTTP server
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    options: dict[str, Any]

    def filesystem(self) -> Any:
        import s3fs

        # a fresh instance: fsspec's instance cache would otherwise share (and keep) listings between tests
        return s3fs.S3FileSystem(**self.options, skip_instance_cache=True)


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    """A moto S3 server on loopback with one bucket, and the fsspec options to reach it.

    Dummy credentials in the environment and no AWS config files, so that nothing can reach real AWS.
    """
    import boto3
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as env:
        for name in (
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_S3",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
        ):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("AWS_REGION", "us-east-1")
        env.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        env.setenv("NO_PROXY", "127.0.0.1,localhost")
        env.setenv("no_proxy", "127.0.0.1,localhost")

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            boto3.client(
                "s3",
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            ).create_bucket(Bucket=BUCKET)
            yield S3Server(
                endpoint,
                {
                    "key": "testing",
                    "secret": "testing",
                    "endpoint_url": endpoint,
                    "client_kwargs": {"region_name": "us-east-1"},
                },
            )
        finally:
            server.stop()


def unique_prefix() -> str:
    """A fresh ``bucket/name.ome.zarr`` prefix, so that tests never see each other's objects."""
    return f"{BUCKET}/{uuid.uuid4().hex}.ome.zarr"


def test_s3_round_trip_equals_local_write(s3, tmp_path):
    image = cells_image()
    prefix = unique_prefix()
    url = f"s3://{prefix}"
    image.omezarr.to_zarr(url, scale_factors=(2, 4), method="local_mean", filesystem_options=s3.options)
    local = tmp_path / "local.ome.zarr"
    image.omezarr.to_zarr(local, scale_factors=(2, 4), method="local_mean")

    ds = xr.open_dataset(url, engine="omezarr", storage_options=s3.options)
    assert list(ds.data_vars) == ["image"]
    read = ds["image"]
    assert read.dims == ("c", "y", "x")
    assert read.dtype == np.uint16
    np.testing.assert_array_equal(read.values, image.values)
    assert read["c"].values.tolist() == ["DAPI", "GFP"]
    for dim in ("y", "x"):
        np.testing.assert_allclose(read[dim].values, image[dim].values, rtol=1e-12)
        assert read[dim].attrs["units"] == "micrometer"
    xr.testing.assert_identical(ds, xr.open_dataset(local, engine="omezarr"))

    level1 = xr.open_dataset(url, engine="omezarr", storage_options=s3.options, level=1)
    assert level1["image"].shape == (2, 32, 36)
    # block averaging by 2 moves the first pixel centre by half a step
    assert float(level1["y"][0]) == pytest.approx(10.0 + 0.325 / 2)
    xr.testing.assert_identical(level1, xr.open_dataset(local, engine="omezarr", level=1))

    tree = xr.open_datatree(url, engine="omezarr", storage_options=s3.options)
    local_tree = xr.open_datatree(local, engine="omezarr")
    assert list(tree.children) == ["0", "1", "2"]
    for level in ("0", "1", "2"):
        xr.testing.assert_identical(tree[level].to_dataset(), local_tree[level].to_dataset())
    np.testing.assert_array_equal(tree["0"].dataset["image"].values, image.values)
    assert tree["2"].dataset["image"].shape == (2, 16, 18)


@pytest.mark.parametrize("version", ["0.5", "0.4"])
def test_s3_store_is_byte_identical_to_local_store(s3, tmp_path, version):
    image = cells_image(seed=1)
    prefix = unique_prefix()
    options = {"scale_factors": (2, 4), "method": "local_mean", "version": version}
    image.omezarr.to_zarr(f"s3://{prefix}", filesystem_options=s3.options, **options)
    local = tmp_path / "local.ome.zarr"
    image.omezarr.to_zarr(local, **options)

    expected = store_files(local)
    assert ("zarr.json" if version == "0.5" else ".zattrs") in expected
    assert_same_files(s3_objects(s3.filesystem(), prefix), expected)


@settings(max_examples=10, deadline=None)
@given(
    image=images(min_side=4, max_side=24, layouts=(("y", "x"), ("c", "z", "y", "x"), ("t", "y", "x"))),
    method=methods(),
    version=versions(),
    lazy=st.booleans(),
    data=st.data(),
)
def test_any_image_on_s3_matches_local(s3, new_store, image, method, version, lazy, data):
    source = image.chunk({d: 7 for d in image.dims}) if lazy else image
    prefix = unique_prefix()
    factors = data.draw(scale_factors(image, method), label="scale_factors")
    storage = data.draw(storage_options(image, version, levels=len(factors) + 1), label="storage_options")
    options = {"scale_factors": factors, "method": method, "version": version, "storage_options": storage}
    # the filesystem options go in their own argument: storage_options may be one dict per level
    source.omezarr.to_zarr(f"s3://{prefix}", filesystem_options=s3.options, **options)
    local = new_store("local.ome.zarr")
    source.omezarr.to_zarr(local, **options)
    assert_same_files(s3_objects(s3.filesystem(), prefix), store_files(local))


def test_filesystem_options_inside_storage_options(s3, tmp_path):
    image = cells_image(seed=2)
    prefix = unique_prefix()
    url = f"s3://{prefix}"
    image.omezarr.to_zarr(
        url, scale_factors=(2,), method="local_mean", storage_options={"chunks": (1, 32, 32), **s3.options}
    )
    group = zarr.open_group(url, mode="r", storage_options=s3.options)
    assert group["0"].chunks == (1, 32, 32)
    ds = xr.open_dataset(url, engine="omezarr", storage_options=s3.options)
    np.testing.assert_array_equal(ds["image"].values, image.values)

    local = tmp_path / "local.ome.zarr"
    image.omezarr.to_zarr(
        local, scale_factors=(2,), method="local_mean", storage_options={"chunks": (1, 32, 32)}
    )
    assert_same_files(s3_objects(s3.filesystem(), prefix), store_files(local))


@pytest.mark.parametrize("version", ["0.5", "0.4"])
def test_s3_store_passes_the_validators(s3, tmp_path, version):
    image = cells_image(seed=3)
    prefix = unique_prefix()
    url = f"s3://{prefix}"
    image.omezarr.to_zarr(
        url, scale_factors=(2, 4), method="local_mean", version=version, filesystem_options=s3.options
    )
    xarray_omezarr.to_zarr_label(cells_label(image), url, "cells", filesystem_options=s3.options)

    fs = s3.filesystem()
    downloaded = tmp_path / "downloaded.ome.zarr"
    fs.get(prefix, str(downloaded), recursive=True)
    assert_same_files(store_files(downloaded), s3_objects(fs, prefix))
    validate_store(downloaded)


def test_s3_mode_refuses_then_replaces(s3, tmp_path):
    first = cells_image(seed=4)
    prefix = unique_prefix()
    url = f"s3://{prefix}"
    first.omezarr.to_zarr(url, scale_factors=(2, 4), method="local_mean", filesystem_options=s3.options)
    fs = s3.filesystem()
    before = s3_objects(fs, prefix)

    second = cells_image(seed=5)
    with pytest.raises(FileExistsError):
        second.omezarr.to_zarr(url, scale_factors=(2,), method="local_mean", filesystem_options=s3.options)
    assert_same_files(s3_objects(fs, prefix), before)

    second.omezarr.to_zarr(
        url, scale_factors=(2,), method="local_mean", mode="w", filesystem_options=s3.options
    )
    local = tmp_path / "second.ome.zarr"
    second.omezarr.to_zarr(local, scale_factors=(2,), method="local_mean")
    # replaced, not merged: the old level 2 is gone
    assert_same_files(s3_objects(fs, prefix), store_files(local))
    ds = xr.open_dataset(url, engine="omezarr", storage_options=s3.options)
    np.testing.assert_array_equal(ds["image"].values, second.values)


def test_labels_to_s3(s3, tmp_path):
    image = cells_image(seed=6)
    label = cells_label(image)
    prefix = unique_prefix()
    url = f"s3://{prefix}"
    image.omezarr.to_zarr(url, scale_factors=(2, 4), method="local_mean", filesystem_options=s3.options)
    xarray_omezarr.to_zarr_label(label, url, "cells", filesystem_options=s3.options)

    ds = xr.open_dataset(url, engine="omezarr", storage_options=s3.options)
    assert sorted(ds.data_vars) == ["cells", "image"]
    np.testing.assert_array_equal(ds["cells"].values, label.values)
    assert ds["cells"].dims == ("y", "x")
    np.testing.assert_array_equal(ds["image"].values, image.values)

    local = tmp_path / "local.ome.zarr"
    image.omezarr.to_zarr(local, scale_factors=(2, 4), method="local_mean")
    xarray_omezarr.to_zarr_label(label, local, "cells")
    for level in (1, 2):
        remote = xr.open_dataset(url, engine="omezarr", storage_options=s3.options, level=level)
        assert sorted(remote.data_vars) == ["cells", "image"]
        xr.testing.assert_identical(remote, xr.open_dataset(local, engine="omezarr", level=level))
    assert_same_files(s3_objects(s3.filesystem(), prefix), store_files(local))


def test_obstore_store(s3, tmp_path):
    from obstore.store import S3Store

    image = cells_image(seed=7)
    name = f"{uuid.uuid4().hex}.ome.zarr"
    store = S3Store(
        BUCKET,
        prefix=name,
        endpoint=s3.endpoint,
        access_key_id="testing",
        secret_access_key="testing",
        region="us-east-1",
        client_options={"allow_http": True},
    )
    image.omezarr.to_zarr(store, scale_factors=(2, 4), method="local_mean")

    url = f"s3://{BUCKET}/{name}"
    ds = xr.open_dataset(url, engine="omezarr", storage_options=s3.options)
    np.testing.assert_array_equal(ds["image"].values, image.values)
    local = tmp_path / "local.ome.zarr"
    image.omezarr.to_zarr(local, scale_factors=(2, 4), method="local_mean")
    xr.testing.assert_identical(ds, xr.open_dataset(local, engine="omezarr"))
    assert_same_files(s3_objects(s3.filesystem(), f"{BUCKET}/{name}"), store_files(local))
    # and read back through the obstore store itself
    xr.testing.assert_identical(xr.open_dataset(store, engine="omezarr"), ds)
    tree = xr.open_datatree(store, engine="omezarr")
    np.testing.assert_array_equal(
        tree["1"].dataset["image"].values, xr.open_dataset(local, engine="omezarr", level=1)["image"].values
    )


def test_writer_write_image_to_fsspec_store(s3, tmp_path):
    data = np.random.default_rng(8).integers(0, 60000, (2, 48, 40), dtype="uint16")
    prefix = unique_prefix()
    url = f"s3://{prefix}"
    store = zarr.storage.FsspecStore.from_url(url, storage_options=s3.options, read_only=False)
    assert writer.write_image(data, store, axes="cyx", scale_factors=(2,)) == []

    local = tmp_path / "local.ome.zarr"
    writer.write_image(data, str(local), axes="cyx", scale_factors=(2,))
    assert_same_files(s3_objects(s3.filesystem(), prefix), store_files(local))
    tree = xr.open_datatree(url, engine="omezarr", storage_options=s3.options)
    assert list(tree.children) == ["0", "1"]
    np.testing.assert_array_equal(tree["0"].dataset["image"].values, data)
    assert tree["1"].dataset["image"].shape == (2, 24, 20)


# --------------------------------------------------------------------------------------------
# dask.distributed with a real LocalCluster
# --------------------------------------------------------------------------------------------


def _distributed_is_default() -> bool:
    from dask.base import get_scheduler

    scheduler = get_scheduler()
    return scheduler is not None and "distributed" in getattr(scheduler, "__module__", "")


@pytest.fixture(scope="module")
def cluster_client() -> Iterator[Any]:
    """A client on a two-process LocalCluster that is *not* the default scheduler.

    Tests make it current with ``client.as_current()`` for the writes that should run on it; everything
    else (and every other test module) keeps dask's local schedulers.
    """
    import distributed

    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
    assert not _distributed_is_default()
    assert distributed.client._get_global_client() is None


def lazy_image() -> xr.DataArray:
    """A (c, z, y, x) uint16 dask image in chunks of (1, 4, 64, 64), with units and channel names."""
    coords = {
        "c": ["DAPI", "GFP"],
        "z": regular("z", 8, 0.0, 0.5, "um"),
        "y": regular("y", 256, 0.0, 0.1625, "um"),
        "x": regular("x", 256, 0.0, 0.1625, "um"),
    }
    # named: without a name, xarray would take the dask array's graph key as the DataArray's name
    sizes = {"c": 2, "z": 8, "y": 256, "x": 256}
    return make_image(sizes, coords=coords, high=4000, chunks=(1, 4, 64, 64), name="image")


def write_locally(image: xr.DataArray, path: Path, **options: Any) -> dict[str, bytes]:
    with dask.config.set(scheduler="threads"):
        image.omezarr.to_zarr(path, **options)
    return store_files(path)


def write_on_cluster(client: Any, image: xr.DataArray, path: Path, **options: Any) -> dict[str, bytes]:
    """Write ``image`` with ``client`` current, check that tasks ran on the cluster, return the files."""
    from distributed import get_task_stream

    with client.as_current(), get_task_stream(client) as tasks:
        image.omezarr.to_zarr(path, **options)
    assert tasks.data, "nothing ran on the cluster"
    return store_files(path)


def test_client_is_current_only_where_asked(cluster_client):
    from distributed import get_client

    assert not _distributed_is_default()
    with pytest.raises(ValueError):
        get_client()
    with cluster_client.as_current():
        assert _distributed_is_default()
        assert get_client() is cluster_client
    assert not _distributed_is_default()


@pytest.mark.parametrize("method", ["local_mean", "resize"])
def test_distributed_write_is_byte_identical(cluster_client, tmp_path, method):
    image = lazy_image()
    options = {"scale_factors": (2, 4), "method": method, "version": "0.5"}
    expected = write_locally(image, tmp_path / "local.ome.zarr", **options)

    path = tmp_path / "cluster.ome.zarr"
    assert_same_files(write_on_cluster(cluster_client, image, path, **options), expected)
    validate_store(path)
    read = xr.open_dataset(path, engine="omezarr")["image"]
    np.testing.assert_array_equal(read.values, image.values)


def test_distributed_delayed_write(cluster_client, tmp_path):
    from distributed import get_task_stream

    image = lazy_image()
    options = {"scale_factors": (2, 4), "method": "local_mean", "version": "0.5"}
    expected = write_locally(image, tmp_path / "local.ome.zarr", **options)

    path = tmp_path / "cluster.ome.zarr"
    with cluster_client.as_current():
        written = image.omezarr.to_zarr(path, compute=False, **options)
    assert written
    # nothing claims to be a complete image before the work is computed
    assert "multiscales" not in ome_metadata(path)
    with get_task_stream(cluster_client) as tasks:
        cluster_client.gather(cluster_client.compute(written))
    assert tasks.data, "nothing ran on the cluster"
    assert_same_files(store_files(path), expected)


def test_distributed_write_with_progress(cluster_client, tmp_path, capsys):
    image = lazy_image()
    options = {"scale_factors": (2,), "method": "local_mean", "version": "0.5"}
    expected = write_locally(image, tmp_path / "local.ome.zarr", **options)

    capsys.readouterr()
    written = write_on_cluster(cluster_client, image, tmp_path / "cluster.ome.zarr", progress=True, **options)
    assert_same_files(written, expected)
    _assert_progress_bar(capsys.readouterr().out)  # distributed's text bar


def test_distributed_numpy_input(cluster_client, tmp_path):
    image = lazy_image().isel(z=slice(0, 4), y=slice(0, 128), x=slice(0, 96)).compute()
    assert isinstance(image.data, np.ndarray)
    options = {"scale_factors": (2, 4), "method": "local_mean", "version": "0.5"}
    expected = write_locally(image, tmp_path / "local.ome.zarr", **options)

    assert_same_files(
        write_on_cluster(cluster_client, image, tmp_path / "cluster.ome.zarr", **options), expected
    )


def test_a_memory_store_is_refused_on_a_cluster_of_processes(cluster_client):
    store = zarr.storage.MemoryStore()
    with (
        cluster_client.as_current(),
        pytest.raises(ValueError, match="MemoryStore, which lives in this process"),
    ):
        lazy_image().omezarr.to_zarr(store, scale_factors=(2,))
    assert not dict(store._store_dict)  # nothing was written
    lazy_image().omezarr.to_zarr(store, scale_factors=(2,))  # without the cluster it works
    np.testing.assert_array_equal(zarr.open_group(store, mode="r")["0"][...], lazy_image().values)


# --------------------------------------------------------------------------------------------
# Progress bars on the local scheduler
# --------------------------------------------------------------------------------------------


def _assert_progress_bar(text: str) -> None:
    assert "100%" in text or "Completed" in text, f"no progress bar in {text!r}"


@pytest.mark.parametrize("progress", [True, False])
def test_accessor_progress_bar(tmp_path, capsys, progress):
    image = cells_image(seed=9)
    capsys.readouterr()
    image.omezarr.to_zarr(tmp_path / "a.ome.zarr", scale_factors=(2,), method="local_mean", progress=progress)
    captured = capsys.readouterr()
    if progress:
        _assert_progress_bar(captured.out)
    else:
        assert captured.out == ""
        assert "Completed" not in captured.err
    np.testing.assert_array_equal(
        xr.open_dataset(tmp_path / "a.ome.zarr", engine="omezarr")["image"].values, image.values
    )


@pytest.mark.parametrize("progress", [True, False])
def test_writer_progress_bars(tmp_path, capsys, progress):
    data = np.random.default_rng(10).integers(0, 4000, (2, 32, 32), dtype="uint16")
    labels = np.zeros((32, 32), "uint8")
    labels[4:12, 8:20] = 3
    path = str(tmp_path / "w.ome.zarr")
    capsys.readouterr()
    writer.write_image(data, path, axes="cyx", scale_factors=(2,), progress=progress)
    image_output = capsys.readouterr()
    writer.write_labels(labels, path, "cells", axes="yx", scale_factors=(2,), progress=progress)
    label_output = capsys.readouterr()
    for captured in (image_output, label_output):
        if progress:
            _assert_progress_bar(captured.out)
        else:
            assert captured.out == ""
            assert "Completed" not in captured.err
    ds = xr.open_dataset(path, engine="omezarr")
    np.testing.assert_array_equal(ds["image"].values, data)
    np.testing.assert_array_equal(ds["cells"].values, labels)
