"""Zarr's consolidated metadata on plates: written last, read in one go, kept current by our writes.

A plate is written with zarr's consolidated metadata at its root (``.zmetadata`` in Zarr v2, a
``consolidated_metadata`` key in the root ``zarr.json`` in Zarr v3), so that opening it reads one
document. Every later write of ours below it (labels, appends, regions, a field replaced), whether
through the plate's path or a field's own path, must leave that document equal to what a fresh walk
of the store finds; a write that fails leaves none behind. Stores without one are read by one
concurrent walk, held in memory only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_omezarr
from tests.support.builders import make_image, random_label, regular
from xarray_omezarr.consolidated import read_hierarchy
from xarray_omezarr.read import group_ome

VERSIONS = ["0.4", "0.5"]


def field(seed: int, frames: int | None = None) -> xr.DataArray:
    shape = ({"t": frames} if frames else {}) | {"c": 2, "y": 32, "x": 32}
    coords = {d: regular(d, 32, 0.0, 0.5, "micrometer") for d in ("y", "x")}
    if frames:
        coords["t"] = regular("t", frames, 0.0, 1.0, "second")
    return make_image(shape, coords=coords, seed=seed, name="cells")


def write_plate(path: Path, version: str, frames: int | None = None, **kwargs: Any) -> None:
    wells = {"A/1": [field(1, frames), field(2, frames)], "B/3": [field(3, frames)]}
    xarray_omezarr.write_plate(
        path, wells, scale_factors=(2,), method="local_mean", version=version, **kwargs
    )


def on_disk(path: Path) -> dict[str, Any]:
    """The consolidated metadata stored at ``path``, flattened to ``{node path: metadata dict}``."""
    group = zarr.open_group(path, mode="r")
    assert group.metadata.consolidated_metadata is not None, "no consolidated metadata at the plate's root"
    return _comparable(group)


def _comparable(group: zarr.Group) -> dict[str, Any]:
    # each node's own metadata; how a group nests its children's is the document's business
    flat = group.metadata.consolidated_metadata.flattened_metadata  # type: ignore[union-attr]
    return {
        k: {n: v for n, v in m.to_dict().items() if n != "consolidated_metadata"} for k, m in flat.items()
    }


def walked(path: Path) -> dict[str, Any]:
    """What the store holds now, found by walking it (ignoring any consolidated document)."""
    group = read_hierarchy(zarr.open_group(path, mode="r", use_consolidated=False))
    return _comparable(group)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_plate_lists_every_node_in_its_consolidated_metadata(tmp_path: Path, version: str) -> None:
    path = tmp_path / "plate.ome.zarr"
    write_plate(path, version)
    listed = on_disk(path)
    assert listed == walked(path)
    # wells, fields and their levels, each with its OME metadata
    assert {"A/1", "A/1/0", "A/1/1", "B/3/0", "A/1/0/0", "A/1/0/1"} <= set(listed)
    assert (path / ".zmetadata").is_file() == (version == "0.4")
    # the attributes are the plate's own, so readers that ignore consolidation see the same plate
    assert zarr.open_group(path, mode="r", use_consolidated=False).attrs.asdict() == dict(
        zarr.open_group(path, mode="r").attrs
    )


def test_consolidated_false_writes_none(tmp_path: Path) -> None:
    path = tmp_path / "plate.ome.zarr"
    write_plate(path, "0.5", consolidated=False)
    assert zarr.open_group(path, mode="r").metadata.consolidated_metadata is None
    tree = xr.open_datatree(path, engine="omezarr")  # read by walking the store
    assert tree["A/1/1/0"]["cells"].shape == (2, 32, 32)


def _reads_to_open(path: Path) -> int:
    """How many objects opening the plate as a tree reads (zarr's LoggingStore counts them)."""
    store = zarr.storage.LoggingStore(zarr.storage.LocalStore(path, read_only=True))
    tree = xr.open_datatree(store, engine="omezarr")
    reads = store.counter["get"]
    np.testing.assert_array_equal(tree["B/3/0/0"]["cells"].values, field(3).values)
    assert store.counter["get"] > reads  # the count is real: reading a chunk adds to it
    return reads


@pytest.mark.parametrize("version", VERSIONS)
def test_opening_a_consolidated_plate_reads_one_document(tmp_path: Path, version: str) -> None:
    write_plate(tmp_path / "consolidated.ome.zarr", version)
    write_plate(tmp_path / "walked.ome.zarr", version, consolidated=False)
    nodes = len(walked(tmp_path / "walked.ome.zarr"))
    consolidated = _reads_to_open(tmp_path / "consolidated.ome.zarr")
    assert consolidated <= 4  # zarr asks for zarr.json, .zgroup, .zattrs and .zmetadata at once
    assert _reads_to_open(tmp_path / "walked.ome.zarr") >= nodes  # each node's metadata once


@pytest.mark.parametrize("version", VERSIONS)
def test_an_unconsolidated_plate_is_read_by_name_with_no_listing(tmp_path: Path, version: str) -> None:
    write_plate(tmp_path / "consolidated.ome.zarr", version)
    write_plate(tmp_path / "walked.ome.zarr", version, consolidated=False)
    for path in (tmp_path / "consolidated.ome.zarr", tmp_path / "walked.ome.zarr"):
        _label_at_field_path(path)
    store = zarr.storage.LoggingStore(zarr.storage.LocalStore(tmp_path / "walked.ome.zarr", read_only=True))
    tree = xr.open_datatree(store, engine="omezarr")
    listings = {k: n for k, n in store.counter.items() if k.startswith("list")}
    assert not any(listings.values()), listings  # the plate says where its nodes are
    # every node once: three wells' groups with their rows, fields, levels, labels (v2 asks for each
    # of .zarray, .zgroup and .zattrs), and the probe of each field's labels group
    nodes = len(walked(tmp_path / "walked.ome.zarr"))
    fields = 3
    per_node = 3 if version == "0.4" else 1
    assert store.counter["get"] <= per_node * (nodes + fields) + 8
    expected = xr.open_datatree(tmp_path / "consolidated.ome.zarr", engine="omezarr")
    assert tree["A/1/0"]["labels"]["cells_seg"].identical(expected["A/1/0"]["labels"]["cells_seg"])
    xr.testing.assert_identical(tree, expected)


def test_a_well_the_plate_lists_but_the_store_lacks_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "plate.ome.zarr"
    write_plate(path, "0.5", consolidated=False)
    import shutil

    shutil.rmtree(path / "B" / "3")
    with pytest.raises(Exception, match="B/3"):
        xr.open_datatree(path, engine="omezarr")


def _label_at_field_path(path: Path) -> None:
    xarray_omezarr.to_zarr_label(random_label(field(1), seed=4), path / "A" / "1" / "0", "cells_seg")


def _label_through_the_root_group(path: Path) -> None:
    root = zarr.open_group(path, mode="r+")  # consolidated: its children come from the document
    xarray_omezarr.to_zarr_label(random_label(field(2), seed=5), root["A/1/1"], "nuclei")


def _field_replaced(path: Path) -> None:
    bigger = make_image({"c": 2, "y": 48, "x": 48}, seed=9, name="cells")
    version = "0.4" if (path / ".zgroup").exists() else "0.5"
    field_path = path / "B" / "3" / "0"
    bigger.omezarr.to_zarr(field_path, mode="w", scale_factors=(2,), method="local_mean", version=version)


def _region(path: Path) -> None:
    part = field(7).isel(y=slice(0, 16))
    part.omezarr.to_zarr(path / "A" / "1" / "1", region={"y": slice(0, 16)})


WRITES = {
    "label at a field's path": _label_at_field_path,
    "label through the root group": _label_through_the_root_group,
    "field replaced": _field_replaced,
    "region": _region,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=list(WRITES))
@pytest.mark.parametrize("version", VERSIONS)
def test_our_writes_into_a_plate_keep_its_consolidated_metadata_current(
    tmp_path: Path, version: str, write: Any
) -> None:
    path = tmp_path / "plate.ome.zarr"
    write_plate(path, version)
    before = on_disk(path)
    write(path)
    assert on_disk(path) == walked(path)
    assert on_disk(path) != before or write is _region  # a region changes data, not metadata
    tree = xr.open_datatree(path, engine="omezarr")
    if write is _label_at_field_path:
        assert "cells_seg" in tree["A/1/0/labels"].children
    if write is _field_replaced:
        assert tree["B/3/0/0"]["cells"].shape == (2, 48, 48)


@pytest.mark.parametrize("version", VERSIONS)
def test_an_append_to_a_field_keeps_the_plate_current(tmp_path: Path, version: str) -> None:
    path = tmp_path / "plate.ome.zarr"
    write_plate(path, version, frames=2)
    more = field(1, frames=4).isel(t=slice(2, 4))
    more.omezarr.to_zarr(path / "A" / "1" / "0", mode="a", append_dim="t")
    assert on_disk(path) == walked(path)
    # the fields no longer share a shape, so they cannot be stacked (stale metadata would stack them)
    with pytest.raises(ValueError, match="cannot be stacked"):
        xr.open_dataset(path, engine="omezarr")
    tree = xr.open_datatree(path, engine="omezarr")
    assert tree["A/1/0/0"]["cells"].sizes["t"] == 4
    assert tree["A/1/1/0"]["cells"].sizes["t"] == 2


def test_a_failed_plate_write_leaves_no_consolidated_metadata(tmp_path: Path) -> None:
    path = tmp_path / "plate.ome.zarr"

    def fail(block: np.ndarray) -> np.ndarray:
        raise RuntimeError("the camera went away")

    broken = field(3).copy(
        data=da.zeros((2, 32, 32), dtype="uint16", chunks=16).map_blocks(fail, dtype="uint16")
    )
    with pytest.raises(RuntimeError, match="camera"):
        xarray_omezarr.write_plate(path, {"A/1": [field(1)], "B/3": [broken]}, scale_factors=(2,))
    group = zarr.open_group(path, mode="r")
    assert group.metadata.consolidated_metadata is None
    assert "plate" not in group_ome(group)
