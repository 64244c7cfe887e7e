"""The benchmark's other cases: a plate of many small fields, and reading level 0 back.

Each function runs in the fresh process that ``write_pyramid.py`` starts for it, does its setup off the
clock (imports included) and returns the seconds of the part it measures.

- Plate: a 96-well plate of two (2, 128, 128) uint16 fields per well, each field a two-level pyramid
  (factor 2, ``local_mean`` where the writer has it), each writer's default codec (the floor: ours'), OME-NGFF 0.5.
  ``plate-ours`` is :func:`xarray_omezarr.write_plate`; ``plate-ome-zarr-py`` is ome-zarr-py's
  ``write_image`` per field plus its plate and well metadata functions; ``plate-floor`` is plain zarr
  writing the same arrays (ours' chunks and codecs, levels computed off the clock) and the same
  documents (taken from ours), one after the other as a script would.
- Read: level 0 of an image that ours wrote, read whole. ``read-ours`` is ``xr.open_dataset(...)``
  then ``.values``; ``read-ours-dask`` the same with ``chunks={}`` and ``.compute()``;
  ``read-floor`` is ``zarr.open_array(...)[...]`` and ``read-floor-dask`` ``dask.array.from_zarr``.
  Each through zarr's codec pipeline; with ``-zarrs``, through zarrs'.
- Open: a 384-well plate of three (2, 64, 64) fields per well (1152 images), written by ours off the
  clock (with zarr's consolidated metadata). ``open-ours`` is ``xr.open_datatree`` (``open-ours-noindexes``
  with ``create_default_indexes=False``), ``open-ours-grid``
  ``xr.open_dataset`` (the plate as one lazy array, which is what ome-zarr-py's ``Reader`` gives,
  ``open-ome-zarr-py``), ``open-ours-unconsolidated`` ``xr.open_datatree`` of a copy without the
  consolidated metadata; with ``-s3``, from moto's S3 server on loopback, which counts the HTTP
  requests it answers.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

PLATE_WRITERS = ("plate-floor", "plate-ours", "plate-ome-zarr-py")
READERS = ("read-floor", "read-floor-dask", "read-ours", "read-ours-dask")
"""Each also with ``-zarrs``, and so are the plate writers but ome-zarr-py's."""
ROWS, COLUMNS, FIELDS, FIELD_SHAPE = "ABCDEFGH", 12, 2, (2, 128, 128)


def _fields(
    rows: str = ROWS, columns: int = COLUMNS, fields: int = FIELDS, shape: tuple[int, ...] = FIELD_SHAPE
) -> dict[str, list[Any]]:
    """Camera-like uint16 fields, ``{"A/1": [field, ...], ...}``, the same in every run."""
    import numpy as np

    rng = np.random.default_rng(3)
    return {
        f"{row}/{column}": [(200 + rng.poisson(300, shape)).astype("uint16") for _ in range(fields)]
        for row in rows
        for column in range(1, columns + 1)
    }


def write_plate(writer: str, path: str) -> float:
    """Write the plate with ``writer`` into ``path``; the seconds it took."""
    import numpy as np
    import xarray as xr
    import zarr

    import xarray_omezarr

    wells = _fields()
    if writer == "plate-ours":
        images = {
            well: [xr.DataArray(field, dims=("c", "y", "x")) for field in fields]
            for well, fields in wells.items()
        }
        start = time.perf_counter()
        xarray_omezarr.write_plate(path, images, scale_factors=(2,), method="local_mean")
        return time.perf_counter() - start
    if writer == "plate-ome-zarr-py":
        from ome_zarr.writer import write_image, write_plate_metadata, write_well_metadata

        start = time.perf_counter()
        root = zarr.open_group(path, mode="w")
        write_plate_metadata(root, list(ROWS), [str(c) for c in range(1, COLUMNS + 1)], list(wells))
        for well, fields in wells.items():
            well_group = root.require_group(well)
            write_well_metadata(well_group, [{"path": str(i)} for i in range(len(fields))])
            for i, field in enumerate(fields):
                write_image(field, well_group.require_group(str(i)), axes="cyx", scale_factors=(2,))
        return time.perf_counter() - start
    if writer == "plate-floor":
        # the documents ours writes, taken from a plate written beforehand, off the clock
        reference = path + ".reference"
        xarray_omezarr.write_plate(
            reference,
            {w: [xr.DataArray(f, dims=("c", "y", "x")) for f in fs] for w, fs in wells.items()},
            scale_factors=(2,),
            method="local_mean",
            mode="w",  # a reference from an earlier run of the same writer
        )
        documents = {
            key: zarr.open_group(os.path.join(reference, key), mode="r").attrs.asdict()
            for key in ["", *wells, *(f"{w}/{i}" for w in wells for i in range(FIELDS))]
        }
        # the same arrays: ours' chunks, codecs and dimension names
        settings = []
        for level in ("0", "1"):
            array = zarr.open_array(os.path.join(reference, next(iter(wells)), "0", level), mode="r")
            settings.append(
                {
                    "chunks": array.chunks,
                    "serializer": array.serializer,
                    "compressors": array.compressors,
                    "filters": array.filters,
                    "fill_value": array.fill_value,
                    "dimension_names": array.metadata.dimension_names,
                }
            )
        levels = {
            well: [(f, f.reshape(2, 64, 2, 64, 2).mean(axis=(2, 4)).round().astype("uint16")) for f in fields]
            for well, fields in wells.items()
        }
        start = time.perf_counter()
        root = zarr.open_group(path, mode="w")
        root.attrs.update(documents[""])
        for well, fields in levels.items():
            well_group = root.require_group(well)
            well_group.attrs.update(documents[well])
            for i, pyramid in enumerate(fields):
                field_group = well_group.require_group(str(i))
                for level, data in enumerate(pyramid):
                    field_group.create_array(str(level), data=np.asarray(data), **settings[level])
                field_group.attrs.update(documents[f"{well}/{i}"])
        return time.perf_counter() - start
    raise ValueError(f"unknown plate writer {writer!r}; choose from {PLATE_WRITERS}")


def read_level0(reader: str, path: str) -> float:
    """Read level 0 of the image at ``path`` with ``reader``; the seconds it took."""
    import dask.array as da
    import xarray as xr
    import zarr

    import xarray_omezarr  # noqa: F401  (the engine)

    start = time.perf_counter()
    if reader == "read-floor":
        zarr.open_array(os.path.join(path, "0"), mode="r")[...]
    elif reader == "read-floor-dask":
        da.from_zarr(zarr.open_array(os.path.join(path, "0"), mode="r")).compute()
    elif reader == "read-ours":
        _ = xr.open_dataset(path, engine="omezarr")["bench"].values
    elif reader == "read-ours-dask":
        xr.open_dataset(path, engine="omezarr", chunks={})["bench"].compute()
    else:
        raise ValueError(f"unknown reader {reader!r}; choose from {READERS}")
    return time.perf_counter() - start


if __name__ == "__main__":  # a quick look: python benchmarks/cases.py
    import tempfile

    with tempfile.TemporaryDirectory() as workdir:
        for writer in PLATE_WRITERS:
            seconds = write_plate(writer, os.path.join(workdir, writer))
            print(json.dumps({"writer": writer, "seconds": round(seconds, 2)}))


# --- opening a large plate, locally and from S3 --------------------------------------------------------

OPENERS = tuple(
    f"open-{who}{where}"
    for where in ("", "-s3")
    for who in ("ours", "ours-noindexes", "ours-grid", "ours-unconsolidated", "ome-zarr-py")
)
"""Ours open the plate as a tree (``xr.open_datatree``), the same with ``create_default_indexes=False``
(``-noindexes``: xarray's second pass over every node, which adds indexes the engine has already
made, is left out), as one lazy array like ome-zarr-py's Reader (``-grid``: ``xr.open_dataset``), and
as a tree without zarr's consolidated metadata, as plates other tools write are
(``-unconsolidated``); each locally and from moto's S3 server (``-s3``)."""
OPEN_ROWS, OPEN_COLUMNS, OPEN_FIELDS = "ABCDEFGHIJKLMNOP", 24, 3
"""A 384-well plate of three (2, 64, 64) fields per well, two levels each: 1152 images, 2304 arrays."""


def make_open_plate(path: str) -> None:
    """Write the plate that the open cases read (off the clock, once per run)."""
    import xarray as xr

    import xarray_omezarr

    wells = {
        well: [xr.DataArray(field, dims=("c", "y", "x")) for field in fields]
        for well, fields in _fields(OPEN_ROWS, OPEN_COLUMNS, OPEN_FIELDS, (2, 64, 64)).items()
    }
    xarray_omezarr.write_plate(path, wells, scale_factors=(2,), method="local_mean")


def _counting_s3_server() -> tuple[str, Any]:
    """moto's S3 app behind a loopback server that counts the HTTP requests it answers, by method."""
    import collections
    import threading

    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    counts: collections.Counter[str] = collections.Counter()
    app = DomainDispatcherApplication(create_backend_app)

    def counting(environ: dict[str, Any], start_response: Any) -> Any:
        counts[environ["REQUEST_METHOD"]] += 1
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, counting, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", counts


def _without_consolidated_metadata(path: str) -> str:
    """A copy of the plate at ``path`` whose root lists no consolidated metadata (off the clock)."""
    import json
    import shutil

    copy = path.rstrip("/") + "-unconsolidated"
    if not os.path.exists(copy):
        shutil.copytree(path, copy)
        with open(os.path.join(copy, "zarr.json")) as f:
            root = json.load(f)
        root.pop("consolidated_metadata", None)
        with open(os.path.join(copy, "zarr.json"), "w") as f:
            json.dump(root, f)
    return copy


def open_plate(opener: str, path: str) -> tuple[float, int]:
    """Open the plate at ``path`` with ``opener`` (uploaded to moto first for ``-s3``, off the clock);
    the seconds it took and, on S3, the number of HTTP requests (0 locally)."""
    import xarray as xr
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader

    import xarray_omezarr  # noqa: F401  (the engine)

    counts: Any = {}
    base = opener.removesuffix("-s3")
    if base == "open-ours-unconsolidated":
        path = _without_consolidated_metadata(path)
    url = path
    if opener.endswith("-s3"):
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            os.environ[name] = value
        endpoint, counts = _counting_s3_server()
        os.environ["AWS_ENDPOINT_URL"] = endpoint  # for readers that take no storage options
        import boto3
        import s3fs

        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="bench")
        s3fs.S3FileSystem(endpoint_url=endpoint).put(path, "bench/plate.ome.zarr", recursive=True)
        url = "s3://bench/plate.ome.zarr"
        counts.clear()
    options = {"endpoint_url": os.environ["AWS_ENDPOINT_URL"]} if url != path else None
    start = time.perf_counter()
    if base in ("open-ours", "open-ours-unconsolidated"):
        tree = xr.open_datatree(url, engine="omezarr", storage_options=options)
        assert len(tree.children) == len(OPEN_ROWS)
    elif base == "open-ours-noindexes":
        tree = xr.open_datatree(url, engine="omezarr", storage_options=options, create_default_indexes=False)
        assert len(tree.children) == len(OPEN_ROWS)
    elif base == "open-ours-grid":
        plate = xr.open_dataset(url, engine="omezarr", storage_options=options)
        assert plate.sizes["row"] == len(OPEN_ROWS)
    elif base == "open-ome-zarr-py":
        location = parse_url(url, mode="r")
        assert location is not None, url
        nodes = list(Reader(location)())
        assert nodes
    else:
        raise ValueError(f"unknown opener {opener!r}; choose from {OPENERS}")
    return time.perf_counter() - start, sum(counts.values())
