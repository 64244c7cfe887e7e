"""HCS plates: ``write_plate`` / ``to_zarr`` on a row/column/field DataArray, the seed functions
``write_plate_metadata`` / ``write_well_metadata``, and reading plates back with the ``omezarr`` engine.

Dense plates (every well, every field, one shape) and sparse plates (wells missing, fields of different
shapes), with no, one and several acquisitions, for OME-NGFF 0.4 and 0.5: the stores validate, ome-zarr-py
reads them, the engine gives back exactly what was written, and writing what was read reproduces every
metadata file byte for byte. Every bad input is refused before anything is written, and writing a plate
of lazy fields needs no more memory than writing one field.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pytest
import xarray as xr
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st

import xarray_omezarr
from tests.support.builders import make_image, regular
from tests.support.stores import group_attributes, metadata_files, ome_metadata, snapshot, store_files
from tests.support.validators import validate_metadata, validate_store
from xarray_omezarr.testing import VERSIONS, methods, plates, scale_factors, storage_options, versions
from xarray_omezarr.writer import write_plate_metadata, write_well_metadata

ROWS = ["A", "B"]
COLUMNS = ["1", "2", "3"]
CHANNELS = ["DAPI", "GFP", "RFP"]
UNIT = "micrometer"
ACQUISITIONS: dict[str, list[dict[str, Any]] | None] = {
    "none": None,
    "one": [{"id": 0, "name": "first", "maximumfieldcount": 3}],
    "several": [
        {"id": 1, "name": "day1", "maximumfieldcount": 3},
        {"id": 3, "name": "day2", "maximumfieldcount": 2},
    ],
}


# --- helpers -------------------------------------------------------------------------------------------


def make_field(
    shape: dict[str, int],
    seed: int,
    dtype: str = "uint16",
    origin: float = 0.0,
    name: str = "cells",
) -> xr.DataArray:
    """One field of view with channel names and regular space coordinates in micrometers."""
    coords: dict[str, Any] = {}
    for dim, size in shape.items():
        if dim == "c":
            coords["c"] = CHANNELS[:size]
        elif dim == "z":
            coords["z"] = regular("z", size, -2.0, 2.0, UNIT)
        else:
            coords[dim] = regular(dim, size, origin + (1.0 if dim == "y" else 0.0), 0.5, UNIT)
    # integers never 0, the fill value
    return make_image(shape, coords=coords, seed=seed, low=1, dtype=dtype, name=name)


DENSE_SHAPES = {
    "czyx": {"c": 2, "z": 3, "y": 24, "x": 20},
    "cyx": {"c": 3, "y": 20, "x": 28},
}
DENSE_METHODS = {"czyx": "local_mean", "cyx": "nearest"}


def dense_plate(kind: str, dtype: str = "uint16") -> xr.DataArray:
    """2 rows x 3 columns x 2 fields of one shape, named "cells"."""
    fields = [
        [
            xr.concat(
                [make_field(DENSE_SHAPES[kind], 100 * i + 10 * j + k, dtype) for k in range(2)], dim="field"
            )
            for j in range(len(COLUMNS))
        ]
        for i in range(len(ROWS))
    ]
    rows = [xr.concat(row, dim="column") for row in fields]
    plate = xr.concat(rows, dim="row").transpose("row", "column", "field", *DENSE_SHAPES[kind])
    return plate.assign_coords(row=ROWS, column=COLUMNS).rename("cells")


def acquisition_ids(acquisitions: str) -> list[int]:
    return [a["id"] for a in ACQUISITIONS[acquisitions] or []]


def field_acquisition(acquisitions: str, k: int) -> int | None:
    """Field ``k``'s acquisition: none without acquisitions, the only one, or alternating over several."""
    ids = acquisition_ids(acquisitions)
    if acquisitions == "several":
        return ids[k % len(ids)]
    return None


def wells_of(plate: xr.DataArray, acquisitions: str) -> dict[str, list[Any]]:
    """The mapping form of a dense plate, each field naming its acquisition when there are several."""
    wells: dict[str, list[Any]] = {}
    image = plate.drop_vars(["row", "column", "field"], errors="ignore")
    for i, row in enumerate(plate["row"].values):
        for j, column in enumerate(plate["column"].values):
            fields: list[Any] = []
            for k in range(plate.sizes["field"]):
                field = image.isel(row=i, column=j, field=k)
                ident = field_acquisition(acquisitions, k)
                fields.append(field if ident is None else {"image": field, "acquisition": ident})
            wells[f"{row}/{column}"] = fields
    return wells


def write_dense(path: Path, plate: xr.DataArray, kind: str, version: str, acquisitions: str) -> None:
    """Write through the DataArray accessor, ``write_plate(DataArray)`` or ``write_plate(mapping)``."""
    options = {"scale_factors": (2,), "method": DENSE_METHODS[kind], "version": version}
    if acquisitions == "none":
        plate.omezarr.to_zarr(path, **options)
    elif acquisitions == "one":
        xarray_omezarr.write_plate(path, plate, acquisitions=ACQUISITIONS["one"], **options)
    else:
        xarray_omezarr.write_plate(
            path,
            wells_of(plate, acquisitions),
            acquisitions=ACQUISITIONS[acquisitions],
            name=str(plate.name),
            **options,
        )


def assert_same_metadata_files(first: Path, second: Path) -> None:
    a, b = metadata_files(first), metadata_files(second)
    assert sorted(a) == sorted(b)
    assert len(a) > 10
    different = [name for name in a if a[name] != b[name]]
    assert not different, f"metadata files differ: {different[:5]}\n{a[different[0]]!r}\n{b[different[0]]!r}"


def assert_image_matches(read: xr.DataArray, expected: xr.DataArray) -> None:
    """Data, dtype, channel names and space coordinates (with units) of a read image."""
    assert read.dims[-expected.ndim :] == expected.dims
    assert read.dtype == expected.dtype
    np.testing.assert_array_equal(read.values, expected.values)
    for dim in expected.dims:
        if dim not in expected.coords:
            continue
        if dim == "c":
            assert read["c"].values.tolist() == [str(v) for v in expected["c"].values]
            continue
        np.testing.assert_allclose(read[dim].values, expected[dim].values, rtol=1e-12, atol=1e-12)
        assert read[dim].attrs.get("units") == UNIT


def ome_zarr_py_plate(path: Path) -> tuple[Any, Any]:
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Plate, Reader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        node = next(iter(Reader(parse_url(str(path)))()))
    specs = [s for s in node.specs if isinstance(s, Plate)]
    assert specs, f"ome-zarr-py does not see a plate at the root: {node.specs}"
    return node, specs[0]


# --- dense plates --------------------------------------------------------------------------------------

DENSE_CASES = [(v, k, a) for v in VERSIONS for k in DENSE_SHAPES for a in ACQUISITIONS]


@pytest.fixture(scope="module", params=DENSE_CASES, ids=lambda c: "-".join(c))
def dense(request, tmp_path_factory) -> tuple[Path, xr.DataArray, str, str, str]:
    version, kind, acquisitions = request.param
    plate = dense_plate(kind)
    path = tmp_path_factory.mktemp("dense") / "plate.ome.zarr"
    write_dense(path, plate, kind, version, acquisitions)
    return path, plate, version, kind, acquisitions


def test_dense_plate_validates(dense):
    path, *_ = dense
    validate_store(path)


def test_dense_plate_metadata(dense):
    path, _, version, _, acquisitions = dense
    ome = ome_metadata(path)
    block = ome["plate"]
    if version == "0.5":
        assert ome["version"] == "0.5"
    else:
        assert "ome" not in group_attributes(path)
    assert block["version"] == version
    assert block["rows"] == [{"name": r} for r in ROWS]
    assert block["columns"] == [{"name": c} for c in COLUMNS]
    assert block["wells"] == [
        {"path": f"{r}/{c}", "rowIndex": i, "columnIndex": j}
        for i, r in enumerate(ROWS)
        for j, c in enumerate(COLUMNS)
    ]
    assert block["field_count"] == 2
    assert block["name"] == "cells"
    assert block.get("acquisitions") == ACQUISITIONS[acquisitions]
    for r in ROWS:
        for c in COLUMNS:
            well = ome_metadata(path / r / c)
            images = [{"path": str(k)} for k in range(2)]
            if acquisitions == "several":
                images = [
                    i | {"acquisition": field_acquisition(acquisitions, k)} for k, i in enumerate(images)
                ]
            assert well["well"]["images"] == images
            assert ("version" in well["well"]) == (version == "0.4")
            for k in range(2):
                multiscale = ome_metadata(path / r / c / str(k))["multiscales"][0]
                assert [d["path"] for d in multiscale["datasets"]] == ["0", "1"]
                assert multiscale["name"] == "cells"


def test_ome_zarr_py_reads_dense_plate(dense):
    path, plate, _, kind, _ = dense
    node, spec = ome_zarr_py_plate(path)
    assert spec.row_names == ROWS
    assert spec.col_names == COLUMNS
    assert spec.well_paths == [f"{r}/{c}" for r in ROWS for c in COLUMNS]
    # ome-zarr-py tiles field 0 of every well into one image
    stitched = np.asarray(node.data[0])
    ny, nx = DENSE_SHAPES[kind]["y"], DENSE_SHAPES[kind]["x"]
    assert stitched.shape[-2:] == (len(ROWS) * ny, len(COLUMNS) * nx)
    for i in range(len(ROWS)):
        for j in range(len(COLUMNS)):
            tile = stitched[..., i * ny : (i + 1) * ny, j * nx : (j + 1) * nx]
            np.testing.assert_array_equal(tile, plate.isel(row=i, column=j, field=0).values)


def test_dense_plate_round_trip_through_open_dataset(dense):
    path, plate, _, kind, acquisitions = dense
    ds = xr.open_dataset(path, engine="omezarr")
    assert list(ds.data_vars) == ["cells"]
    read = ds["cells"]
    assert read.dims == ("row", "column", "field", *DENSE_SHAPES[kind])
    assert read["row"].values.tolist() == ROWS
    assert read["column"].values.tolist() == COLUMNS
    assert read["field"].values.tolist() == [0, 1]
    assert_image_matches(read, plate.drop_vars(["row", "column"]))
    assert ds.attrs["ome"]["plate"].get("acquisitions") == ACQUISITIONS[acquisitions]

    # level 1 is each field's level 1, stacked the same way
    level1 = xr.open_dataset(path, engine="omezarr", level=1)["cells"]
    field = xr.open_dataset(path / "B" / "3" / "1", engine="omezarr", level=1)["cells"]
    field.attrs = {}
    assert level1.shape[3:] == field.shape
    xr.testing.assert_identical(level1.sel(row="B", column="3", field=1, drop=True), field)


def test_dense_plate_round_trip_through_open_datatree(dense):
    path, plate, *_ = dense
    tree = xr.open_datatree(path, engine="omezarr")
    expected_groups = {"/", *(f"/{r}" for r in ROWS)}
    for r in ROWS:
        for c in COLUMNS:
            expected_groups |= {f"/{r}/{c}", *(f"/{r}/{c}/{k}" for k in range(2))}
            expected_groups |= {f"/{r}/{c}/{k}/{lv}" for k in range(2) for lv in range(2)}
    assert {node.path for node in tree.subtree} == expected_groups
    assert tree.attrs["ome"]["plate"]["rows"] == [{"name": r} for r in ROWS]
    assert tree["A/2"].attrs["ome"]["well"] == ome_metadata(path / "A" / "2")["well"]
    assert "multiscales" in tree["A/2/1"].attrs["ome"]
    for i, r in enumerate(ROWS):
        for j, c in enumerate(COLUMNS):
            for k in range(2):
                assert_image_matches(tree[f"{r}/{c}/{k}/0"]["cells"], plate.isel(row=i, column=j, field=k))


def test_write_what_was_read_reproduces_every_metadata_file(dense, tmp_path):
    path, _, version, kind, acquisitions = dense
    ds = xr.open_dataset(path, engine="omezarr")
    read = ds["cells"]
    again = tmp_path / "again.ome.zarr"
    options = {"scale_factors": (2,), "method": DENSE_METHODS[kind], "version": version}
    if acquisitions == "none":
        read.omezarr.to_zarr(again, **options)
    else:
        # acquisitions are not part of the DataArray: pass them (and each field's) back in
        xarray_omezarr.write_plate(
            again,
            read if acquisitions == "one" else wells_of(read, acquisitions),
            acquisitions=ds.attrs["ome"]["plate"]["acquisitions"],
            name=str(read.name),
            **options,
        )
    assert_same_metadata_files(path, again)
    xr.testing.assert_identical(
        xr.open_dataset(again, engine="omezarr", level=1), xr.open_dataset(path, engine="omezarr", level=1)
    )


def test_dense_plate_writes_the_same_through_every_entry_point(tmp_path):
    plate = dense_plate("cyx")
    options = {"scale_factors": (2,), "method": "nearest", "version": "0.4"}
    plate.omezarr.to_zarr(tmp_path / "accessor.zarr", **options)
    xarray_omezarr.to_zarr(plate, tmp_path / "function.zarr", **options)
    xarray_omezarr.write_plate(tmp_path / "dense.zarr", plate, **options)
    xarray_omezarr.write_plate(tmp_path / "mapping.zarr", wells_of(plate, "none"), name="cells", **options)
    for other in ("function", "dense", "mapping"):
        assert_same_metadata_files(tmp_path / "accessor.zarr", tmp_path / f"{other}.zarr")


def test_lazy_dense_plate_is_written_without_computing_it_first(tmp_path):
    plate = dense_plate("cyx").chunk({"row": 1, "column": 1, "field": 1, "c": 1})
    assert isinstance(plate.data, da.Array)
    plate.omezarr.to_zarr(tmp_path / "lazy.zarr", scale_factors=(2,), version="0.5")
    validate_store(tmp_path / "lazy.zarr")
    read = xr.open_dataset(tmp_path / "lazy.zarr", engine="omezarr")["cells"]
    np.testing.assert_array_equal(read.values, plate.values)


def test_dense_plate_without_row_and_column_coordinates_gets_default_names(tmp_path):
    plate = dense_plate("cyx").drop_vars(["row", "column"])
    plate.omezarr.to_zarr(tmp_path / "plate.zarr", scale_factors=())
    validate_store(tmp_path / "plate.zarr")
    ds = xr.open_dataset(tmp_path / "plate.zarr", engine="omezarr")
    assert ds["row"].values.tolist() == ["A", "B"]
    assert ds["column"].values.tolist() == ["1", "2", "3"]
    np.testing.assert_array_equal(ds["cells"].values, plate.values)


def test_plate_name_defaults(tmp_path):
    plate = dense_plate("cyx")
    plate.rename(None).omezarr.to_zarr(tmp_path / "unnamed.zarr", scale_factors=())
    assert ome_metadata(tmp_path / "unnamed.zarr")["plate"]["name"] == "plate"
    plate.omezarr.to_zarr(tmp_path / "named.zarr", scale_factors=(), name="screen1")
    assert ome_metadata(tmp_path / "named.zarr")["plate"]["name"] == "screen1"


def test_to_zarr_refuses_compute_false_for_a_plate(tmp_path):
    target = tmp_path / "plate.zarr"
    with pytest.raises(ValueError, match="compute=False"):
        dense_plate("cyx").omezarr.to_zarr(target, compute=False)
    assert not target.exists()


# --- sparse plates -------------------------------------------------------------------------------------

# given out of order on purpose: rows and columns come out in natural order (A < B < AA, 2 < 10)
SPARSE_SHAPES: dict[str, list[dict[str, int]]] = {
    "B/10": [{"c": 2, "y": 20, "x": 24}, {"c": 2, "y": 16, "x": 16}],
    "AA/2": [{"c": 2, "y": 24, "x": 20}],
    "A/2": [{"c": 2, "y": 16, "x": 16}, {"c": 2, "y": 16, "x": 16}, {"c": 2, "y": 12, "x": 28}],
}
SPARSE_ROWS = ["A", "B", "AA"]
SPARSE_COLUMNS = ["2", "10"]
LABELLED = ("A/2", 2)  # the field that carries a label image


def sparse_field(path: str, k: int, shape: dict[str, int], acquisitions: str) -> dict[str, Any]:
    image = make_field(shape, seed=10 * sum(map(ord, path)) + k, dtype="float32", origin=10.0 * k)
    entry: dict[str, Any] = {"image": image}
    ident = field_acquisition(acquisitions, k)
    if ident is not None:
        entry["acquisition"] = ident
    if (path, k) == LABELLED:
        label = (image.isel(c=0, drop=True) * 4).astype("uint16").rename("nuclei")
        entry["labels"] = {"nuclei": label}
    return entry


def sparse_wells(acquisitions: str) -> dict[str, list[dict[str, Any]]]:
    return {
        path: [sparse_field(path, k, shape, acquisitions) for k, shape in enumerate(shapes)]
        for path, shapes in SPARSE_SHAPES.items()
    }


SPARSE_CASES = [(v, a) for v in VERSIONS for a in ACQUISITIONS]


@pytest.fixture(scope="module", params=SPARSE_CASES, ids=lambda c: "-".join(c))
def sparse(request, tmp_path_factory) -> tuple[Path, dict[str, list[dict[str, Any]]], str, str]:
    version, acquisitions = request.param
    wells = sparse_wells(acquisitions)
    path = tmp_path_factory.mktemp("sparse") / "plate.ome.zarr"
    xarray_omezarr.write_plate(
        path, wells, acquisitions=ACQUISITIONS[acquisitions], scale_factors=(2,), version=version
    )
    return path, wells, version, acquisitions


def test_sparse_plate_validates(sparse):
    path, *_ = sparse
    validate_store(path)


def test_sparse_plate_metadata(sparse):
    path, wells, version, acquisitions = sparse
    block = ome_metadata(path)["plate"]
    assert block["rows"] == [{"name": r} for r in SPARSE_ROWS]
    assert block["columns"] == [{"name": c} for c in SPARSE_COLUMNS]
    assert block["wells"] == [
        {
            "path": p,
            "rowIndex": SPARSE_ROWS.index(p.split("/")[0]),
            "columnIndex": SPARSE_COLUMNS.index(p.split("/")[1]),
        }
        for p in SPARSE_SHAPES
    ]
    assert block["field_count"] == 3
    assert block["name"] == "plate"
    assert block["version"] == version
    assert block.get("acquisitions") == ACQUISITIONS[acquisitions]
    for well_path, fields in wells.items():
        images = ome_metadata(path / well_path)["well"]["images"]
        assert images == [
            {"path": str(k)} | ({"acquisition": f["acquisition"]} if "acquisition" in f else {})
            for k, f in enumerate(fields)
        ]
    labelled = path / LABELLED[0] / str(LABELLED[1])
    assert ome_metadata(labelled / "labels")["labels"] == ["nuclei"]
    assert "image-label" in ome_metadata(labelled / "labels" / "nuclei")
    for well_path in ("A/10", "B/2", "AA/10"):  # missing wells are not written at all
        assert not (path / well_path).exists()


def test_ome_zarr_py_reads_sparse_plate(sparse):
    """ome-zarr-py's Reader stitches the fields of a well into one image, so it cannot show fields of
    different shapes as a plate; its plate, well and image specs still read every group."""
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Plate, Reader, Well

    path, wells, *_ = sparse
    location = parse_url(str(path))
    assert Plate.matches(location)
    plate = location.root_attrs["plate"]
    assert [r["name"] for r in plate["rows"]] == SPARSE_ROWS
    assert [c["name"] for c in plate["columns"]] == SPARSE_COLUMNS
    assert [w["path"] for w in plate["wells"]] == list(SPARSE_SHAPES)
    for well_path, fields in wells.items():
        well = parse_url(str(path / well_path))
        assert Well.matches(well)
        assert [i["path"] for i in well.root_attrs["well"]["images"]] == [str(k) for k in range(len(fields))]
        for k, entry in enumerate(fields):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                node = next(iter(Reader(parse_url(str(path / well_path / str(k))))()))
            np.testing.assert_array_equal(np.asarray(node.data[0]), entry["image"].values)
            assert node.metadata["channel_names"] == CHANNELS[:2]


def test_sparse_plate_round_trip_through_open_datatree(sparse):
    path, wells, *_ = sparse
    tree = xr.open_datatree(path, engine="omezarr")
    paths = {node.path for node in tree.subtree}
    assert {"/", "/A", "/B", "/AA"} <= paths
    assert not any(p.startswith(("/A/10", "/B/2", "/AA/10")) for p in paths)
    for well_path, fields in wells.items():
        assert tree[well_path].attrs["ome"]["well"] == ome_metadata(path / well_path)["well"]
        for k, entry in enumerate(fields):
            assert_image_matches(tree[f"{well_path}/{k}/0"]["cells"], entry["image"])
            assert tree[f"{well_path}/{k}/1"]["cells"].shape[-2:] == tuple(
                (n + 1) // 2 for n in entry["image"].shape[-2:]
            )
            for name, label in (entry.get("labels") or {}).items():
                read = tree[f"{well_path}/{k}/labels/{name}/0"][name]
                np.testing.assert_array_equal(read.values, label.values)
                assert read.dtype == label.dtype


def test_sparse_plate_open_dataset_points_to_open_datatree(sparse):
    path, *_ = sparse
    with pytest.raises(ValueError, match="open_datatree"):
        xr.open_dataset(path, engine="omezarr")
    with pytest.raises(ValueError, match="open_datatree"):
        xr.open_dataset(path / "A" / "2", engine="omezarr")  # its third field differs


def test_sparse_plate_wells_and_fields_open_on_their_own(sparse):
    path, wells, *_ = sparse
    well = xr.open_dataset(path / "AA" / "2", engine="omezarr")["cells"]
    assert well.dims == ("field", "c", "y", "x")
    assert well["field"].values.tolist() == [0]
    assert_image_matches(well.isel(field=0, drop=True), wells["AA/2"][0]["image"])

    field_path = path / LABELLED[0] / str(LABELLED[1])
    field = xr.open_dataset(field_path, engine="omezarr")
    entry = wells[LABELLED[0]][LABELLED[1]]
    assert_image_matches(field["cells"], entry["image"])
    np.testing.assert_array_equal(field["nuclei"].values, entry["labels"]["nuclei"].values)

    well_tree = xr.open_datatree(path / "B" / "10", engine="omezarr")
    assert {n.path for n in well_tree.subtree} == {"/", "/0", "/0/0", "/0/1", "/1", "/1/0", "/1/1"}
    assert_image_matches(well_tree["1/0"]["cells"], wells["B/10"][1]["image"])


def test_sparse_plate_written_again_from_the_tree_is_identical(sparse, tmp_path):
    path, _, version, _ = sparse
    tree = xr.open_datatree(path, engine="omezarr")
    plate = tree.attrs["ome"]["plate"]
    wells: dict[str, list[dict[str, Any]]] = {}
    for well in plate["wells"]:
        fields = []
        for image in tree[well["path"]].attrs["ome"]["well"]["images"]:
            node = tree[f"{well['path']}/{image['path']}"]
            entry: dict[str, Any] = {"image": node["0"]["cells"]}
            if "acquisition" in image:
                entry["acquisition"] = image["acquisition"]
            if "labels" in node.children:
                entry["labels"] = {
                    name: node[f"labels/{name}/0"][name] for name in node["labels"].attrs["ome"]["labels"]
                }
            fields.append(entry)
        wells[well["path"]] = fields
    again = tmp_path / "again.ome.zarr"
    xarray_omezarr.write_plate(
        again,
        wells,
        rows=[r["name"] for r in plate["rows"]],
        columns=[c["name"] for c in plate["columns"]],
        acquisitions=plate.get("acquisitions"),
        field_count=plate.get("field_count"),
        name=plate.get("name"),
        scale_factors=(2,),
        version=version,
    )
    assert_same_metadata_files(path, again)


# --- any plate ---------------------------------------------------------------------------------------


@settings(max_examples=6, deadline=None)
@given(wells=plates(), method=methods(), version=versions(), data=st.data())
def test_any_plate_validates_and_reads_back_field_by_field(new_store, wells, method, version, data):
    fields = [f for well in wells.values() for f in well]
    smallest = {str(d): min(f.sizes[d] for f in fields) for d in fields[0].dims}
    factors = data.draw(scale_factors(smallest, method), label="scale_factors")
    options = data.draw(storage_options(smallest, version, levels=len(factors) + 1), label="storage_options")
    path = new_store("plate.ome.zarr")
    xarray_omezarr.write_plate(
        path, wells, scale_factors=factors, method=method, version=version, storage_options=options
    )
    validate_store(path)
    assert [w["path"] for w in ome_metadata(path)["plate"]["wells"]] == list(wells)
    tree = xr.open_datatree(path, engine="omezarr")
    for well, fields in wells.items():
        assert [i["path"] for i in ome_metadata(path / well)["well"]["images"]] == [
            str(k) for k in range(len(fields))
        ]
        for k, field in enumerate(fields):
            assert len(tree[f"{well}/{k}"].children) == len(factors) + 1
            read = tree[f"{well}/{k}/0"][field.name]
            assert read.dtype == field.dtype
            np.testing.assert_array_equal(read.values, field.transpose(*read.dims).values)


# --- gaps in open_dataset ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("dtype", "fill"), [("uint16", 0), ("int8", 0), ("float32", np.nan)])
def test_missing_wells_and_fields_are_fill_values(tmp_path, version, dtype, fill):
    shape = {"c": 2, "y": 16, "x": 32}
    fields = {key: make_field(shape, seed, dtype) for seed, key in enumerate(["A1a", "A1b", "B3a", "A2a"])}
    wells = {"A/1": [fields["A1a"], fields["A1b"]], "B/3": [fields["B3a"]], "A/2": [fields["A2a"]]}
    path = tmp_path / "gaps.zarr"
    xarray_omezarr.write_plate(
        path,
        wells,
        rows=ROWS,
        columns=COLUMNS,
        scale_factors=(2,),
        version=version,
        storage_options={"chunks": (1, 8, 16)},
    )
    validate_store(path)
    expected = np.full((2, 3, 2, *shape.values()), fill, dtype=dtype)
    expected[0, 0, 0], expected[0, 0, 1] = fields["A1a"].values, fields["A1b"].values
    expected[1, 2, 0], expected[0, 1, 0] = fields["B3a"].values, fields["A2a"].values

    # ome-zarr-py stitches field 0 of every well, zeros where a well is missing
    node, spec = ome_zarr_py_plate(path)
    assert (spec.row_names, spec.col_names) == (ROWS, COLUMNS)
    stitched = np.asarray(node.data[0])
    assert stitched.shape == (2, 2 * 16, 3 * 32)
    for i, j in np.ndindex(2, 3):
        tile = stitched[:, i * 16 : (i + 1) * 16, j * 32 : (j + 1) * 32]
        present = f"{ROWS[i]}/{COLUMNS[j]}" in wells
        np.testing.assert_array_equal(tile, expected[i, j, 0] if present else 0)

    ds = xr.open_dataset(path, engine="omezarr")
    read = ds["cells"]
    assert read.dims == ("row", "column", "field", "c", "y", "x")
    assert read.dtype == np.dtype(dtype)
    assert read["row"].values.tolist() == ROWS
    assert read["column"].values.tolist() == COLUMNS
    assert read["field"].values.tolist() == [0, 1]
    np.testing.assert_array_equal(read.values, expected)
    # selections of gaps only, of one field and across gaps and fields
    np.testing.assert_array_equal(read.sel(row="B", column="1").values, expected[1, 0])
    np.testing.assert_array_equal(read.isel(field=1, c=1).values, expected[:, :, 1, 1])
    np.testing.assert_array_equal(read.isel(x=slice(3, 20, 2), y=5).values, expected[..., 5, 3:20:2])
    np.testing.assert_array_equal(read[1, 2, 0, 0, 0, 0].values, expected[1, 2, 0, 0, 0, 0])

    # chunks={}: one chunk per field, and each field in its zarr chunks
    lazy = xr.open_dataset(path, engine="omezarr", chunks={})["cells"]
    assert isinstance(lazy.data, da.Array)
    assert lazy.chunks == ((1, 1), (1, 1, 1), (1, 1), (1, 1), (8, 8), (16, 16))
    np.testing.assert_array_equal(lazy.values, expected)

    level1 = xr.open_dataset(path, engine="omezarr", level=1)["cells"]
    assert level1.shape == (2, 3, 2, 2, 8, 16)
    gap = level1.sel(row="B", column="1").values
    np.testing.assert_array_equal(gap, np.full_like(gap, fill))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda f: f.isel(x=slice(0, 12)), id="shape"),
        pytest.param(lambda f: f.astype("int32"), id="dtype"),
        pytest.param(lambda f: f.assign_coords(x=regular("x", 16, 3.0, 0.5, UNIT)), id="coordinates"),
        pytest.param(lambda f: f.assign_coords(c=["a", "b"]), id="channel-names"),
    ],
)
def test_fields_that_differ_cannot_be_stacked(tmp_path, change: Callable[[xr.DataArray], xr.DataArray]):
    field = make_field({"c": 2, "y": 16, "x": 16}, 0)
    path = tmp_path / "plate.zarr"
    xarray_omezarr.write_plate(path, {"A/1": [field], "B/2": [field, change(field)]}, scale_factors=())
    validate_store(path)
    with pytest.raises(ValueError, match="open_datatree") as error:
        xr.open_dataset(path, engine="omezarr")
    assert "B/2/1" in str(error.value)
    with pytest.raises(ValueError, match="open_datatree"):
        xr.open_dataset(path / "B" / "2", engine="omezarr")
    # the well with one field, and the tree, still open
    assert xr.open_dataset(path / "A" / "1", engine="omezarr")["cells"].sizes["field"] == 1
    tree = xr.open_datatree(path, engine="omezarr")
    assert_image_matches(tree["B/2/1/0"]["cells"], change(field))


# --- write order ---------------------------------------------------------------------------------------


class RecordingStore(zarr.storage.MemoryStore):
    """A memory store that remembers the order in which keys are written."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[str] = []

    async def set(self, key: str, value: Any, byte_range: Any = None) -> None:
        self.written.append(key)
        await super().set(key, value, byte_range)


def test_fields_then_each_well_then_the_plate(tmp_path):
    store = RecordingStore()
    field = make_field({"y": 16, "x": 16}, 0)
    xarray_omezarr.write_plate(store, {"A/1": [field, field], "B/2": [field]}, scale_factors=(2,))
    order = store.written
    assert order[-1] == "zarr.json"  # the plate metadata comes last
    for well, n in (("A/1", 2), ("B/2", 1)):
        last_metadata = max(i for i, key in enumerate(order) if key == f"{well}/zarr.json")
        field_keys = [
            i for i, key in enumerate(order) if key.startswith(f"{well}/") and key != f"{well}/zarr.json"
        ]
        assert field_keys and max(field_keys) < last_metadata
        assert len({order[i].split("/")[2] for i in field_keys}) == n
    root = json.loads(store._store_dict["zarr.json"].to_bytes())
    assert "plate" in root["attributes"]["ome"]


def test_a_write_that_fails_midway_leaves_no_plate_metadata(tmp_path):
    def boom(block: np.ndarray) -> np.ndarray:
        raise RuntimeError("the microscope fell over")

    good = make_field({"y": 16, "x": 16}, 0)
    bad = good.copy(data=da.from_array(good.values, chunks=8).map_blocks(boom, dtype=good.dtype))
    path = tmp_path / "plate.zarr"
    with pytest.raises(RuntimeError, match="fell over"):
        xarray_omezarr.write_plate(path, {"A/1": [good], "A/2": [bad]}, scale_factors=(), version="0.4")
    assert "plate" not in group_attributes(path)  # readers do not take it for a complete plate
    # a well's document comes only after all its fields (A/1's may or may not be written: the wells of
    # a batch are written by one computation, which stops at the first failure)
    assert not (path / "A" / "2" / ".zattrs").exists() or "well" not in group_attributes(path / "A" / "2")
    if (path / "A" / "1" / ".zattrs").exists() and "well" in group_attributes(path / "A" / "1"):
        np.testing.assert_array_equal(zarr.open_array(path / "A" / "1" / "0" / "0")[...], good.values)


# --- the seed functions --------------------------------------------------------------------------------

SEED_ACQUISITIONS = [
    {"id": 0, "name": "first", "maximumfieldcount": 2},
    {"id": 5, "name": "second", "maximumfieldcount": 1, "starttime": 1700000000},
]
SEED_WELLS: list[Any] = ["A/1", {"path": "B/12", "rowIndex": 1, "columnIndex": 1}]
SEED_PLATE = {
    "acquisitions": SEED_ACQUISITIONS,
    "columns": [{"name": "1"}, {"name": "12"}],
    "field_count": 2,
    "name": "screen",
    "rows": [{"name": "A"}, {"name": "B"}],
    "wells": [
        {"path": "A/1", "rowIndex": 0, "columnIndex": 0},
        {"path": "B/12", "rowIndex": 1, "columnIndex": 1},
    ],
}
SEED_IMAGES: list[Any] = [{"path": "0", "acquisition": 0}, {"path": "f1", "acquisition": 5}]


def seed_plate(group: Any, fmt: str | None = None) -> None:
    write_plate_metadata(
        group,
        ["A", "B"],
        ["1", "12"],
        SEED_WELLS,
        fmt=fmt,
        acquisitions=SEED_ACQUISITIONS,
        field_count=2,
        name="screen",
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_seed_functions_write_the_documented_json(tmp_path, version):
    zarr_format = 3 if version == "0.5" else 2
    plate_dir = tmp_path / "plate.zarr"
    root = zarr.open_group(plate_dir, mode="w", zarr_format=zarr_format)
    seed_plate(root)  # the format comes from the group
    well = root.require_group("A").require_group("1")
    write_well_metadata(well, SEED_IMAGES)
    write_well_metadata(str(plate_dir / "B" / "12"), ["0"], fmt=version)  # a path, with the format given

    if version == "0.5":
        assert group_attributes(plate_dir) == {
            "ome": {"version": "0.5", "plate": SEED_PLATE | {"version": "0.5"}}
        }
        assert group_attributes(plate_dir / "A" / "1") == {
            "ome": {"version": "0.5", "well": {"images": SEED_IMAGES}}
        }
        assert group_attributes(plate_dir / "B" / "12") == {
            "ome": {"version": "0.5", "well": {"images": [{"path": "0"}]}}
        }
    else:
        assert group_attributes(plate_dir) == {"plate": SEED_PLATE | {"version": "0.4"}}
        assert group_attributes(plate_dir / "A" / "1") == {"well": {"images": SEED_IMAGES, "version": "0.4"}}
        assert group_attributes(plate_dir / "B" / "12") == {
            "well": {"images": [{"path": "0"}], "version": "0.4"}
        }
    for group in (plate_dir, plate_dir / "A" / "1", plate_dir / "B" / "12"):
        validate_metadata(group_attributes(group), version)


@pytest.mark.parametrize("version", VERSIONS)
def test_seed_functions_build_a_plate_by_hand(tmp_path, version):
    """Images written one by one plus the seed metadata make a plate that validates and reads back."""
    path = tmp_path / "plate.zarr"
    images = {("A", "1", "0"): 0, ("A", "1", "f1"): 1, ("B", "12", "0"): 2}
    for (row, column, field), seed in images.items():
        make_field({"c": 2, "y": 16, "x": 16}, seed).omezarr.to_zarr(
            path / row / column / field, scale_factors=(2,), version=version
        )
    write_well_metadata(str(path / "A" / "1"), SEED_IMAGES, fmt=version)
    write_well_metadata(str(path / "B" / "12"), [{"path": "0", "acquisition": 5}], fmt=version)
    seed_plate(str(path), fmt=version)
    validate_store(path)
    ds = xr.open_dataset(path, engine="omezarr")["cells"]
    assert ds["row"].values.tolist() == ["A", "B"]
    assert ds["column"].values.tolist() == ["1", "12"]
    np.testing.assert_array_equal(
        ds.sel(row="A", column="1", field=1).values, make_field({"c": 2, "y": 16, "x": 16}, 1).values
    )
    np.testing.assert_array_equal(ds.sel(row="A", column="12").values, 0)
    tree = xr.open_datatree(path, engine="omezarr")
    assert "/A/1/f1/1" in {n.path for n in tree.subtree}


# (arguments after the group, exception, message pattern)
BAD_PLATE_METADATA: list[Any] = [
    pytest.param((["A", "A"], ["1"], ["A/1"]), {}, "unique", id="duplicate-rows"),
    pytest.param((["A"], ["1", "2", "1"], ["A/1"]), {}, "unique", id="duplicate-columns"),
    pytest.param((["A-1"], ["1"], ["A-1/1"]), {}, "alphanumeric", id="row-not-alphanumeric"),
    pytest.param((["A"], ["1 "], ["A/1 "]), {}, "alphanumeric", id="column-not-alphanumeric"),
    pytest.param(([""], ["1"], ["/1"]), {}, "alphanumeric", id="empty-row-name"),
    pytest.param(([], ["1"], []), {}, "at least one row", id="no-rows"),
    pytest.param((["A"], ["1"], []), {}, "at least one well", id="no-wells"),
    pytest.param((["A"], ["1"], ["B/1"]), {}, "not in the plate", id="well-row-not-in-rows"),
    pytest.param((["A"], ["1"], ["A/2"]), {}, "not in the plate", id="well-column-not-in-columns"),
    pytest.param((["A"], ["1"], ["A1"]), {}, "<row>/<column>", id="well-path-without-slash"),
    pytest.param((["A"], ["1"], ["A/1/0"]), {}, "<row>/<column>", id="well-path-too-deep"),
    pytest.param(
        (["A", "B"], ["1"], [{"path": "B/1", "rowIndex": 0, "columnIndex": 0}]),
        {},
        "rowIndex",
        id="inconsistent-rowIndex",
    ),
    pytest.param(
        (["A"], ["1", "2"], [{"path": "A/2", "rowIndex": 0, "columnIndex": 0}]),
        {},
        "columnIndex",
        id="inconsistent-columnIndex",
    ),
    pytest.param((["A"], ["1"], [{"path": "A/1"}]), {}, "rowIndex", id="well-dict-without-indices"),
    pytest.param((["A"], ["1"], ["A/1", "A/1"]), {}, "unique", id="duplicate-wells"),
    pytest.param(
        (["A"], ["1"], ["A/1", {"path": "A/1", "rowIndex": 0, "columnIndex": 0}]),
        {},
        "unique",
        id="duplicate-wells-str-and-dict",
    ),
    pytest.param(
        (["A"], ["1"], ["A/1"]),
        {"acquisitions": [{"id": 0}, {"id": 0}]},
        "more than once",
        id="duplicate-acquisition",
    ),
    pytest.param(
        (["A"], ["1"], ["A/1"]), {"acquisitions": [{"id": -1}]}, "non-negative", id="negative-acquisition"
    ),
    pytest.param(
        (["A"], ["1"], ["A/1"]), {"acquisitions": [{"id": "0"}]}, "non-negative", id="string-acquisition"
    ),
    pytest.param(
        (["A"], ["1"], ["A/1"]), {"acquisitions": [{"id": True}]}, "non-negative", id="bool-acquisition"
    ),
    pytest.param(
        (["A"], ["1"], ["A/1"]), {"acquisitions": [{"name": "x"}]}, "id", id="acquisition-without-id"
    ),
    pytest.param(
        (["A"], ["1"], ["A/1"]),
        {"acquisitions": [{"id": 0, "maximumfieldcount": 0}]},
        "maximumfieldcount",
        id="bad-maximumfieldcount",
    ),
    pytest.param((["A"], ["1"], ["A/1"]), {"field_count": 0}, "field_count", id="zero-field-count"),
]

BAD_WELL_METADATA: list[Any] = [
    pytest.param(["0", "0"], "unique", id="duplicate-field-paths"),
    pytest.param(["0", {"path": "0", "acquisition": 1}], "unique", id="duplicate-field-paths-str-and-dict"),
    pytest.param(["0/1"], "alphanumeric", id="field-path-with-slash"),
    pytest.param(["a.b"], "alphanumeric", id="field-path-with-dot"),
    pytest.param([""], "alphanumeric", id="empty-field-path"),
    pytest.param([{"acquisition": 0}], "alphanumeric", id="field-without-path"),
    pytest.param([{"path": "0", "acquisition": "1"}], "integer", id="string-acquisition"),
    pytest.param([{"path": "0", "acquisition": -1}], "acquisition", id="negative-acquisition"),
    pytest.param([], "at least one field", id="no-fields"),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("args", "kwargs", "match"), BAD_PLATE_METADATA)
def test_write_plate_metadata_refuses_bad_input(tmp_path, version, args, kwargs, match):
    group = zarr.open_group(tmp_path / "group.zarr", mode="w", zarr_format=3 if version == "0.5" else 2)
    with pytest.raises(ValueError, match=match):
        write_plate_metadata(group, *args, **kwargs)
    assert dict(group.attrs) == {}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("images", "match"), BAD_WELL_METADATA)
def test_write_well_metadata_refuses_bad_input(tmp_path, version, images, match):
    group = zarr.open_group(tmp_path / "group.zarr", mode="w", zarr_format=3 if version == "0.5" else 2)
    with pytest.raises(ValueError, match=match):
        write_well_metadata(group, images)
    assert dict(group.attrs) == {}


@pytest.mark.parametrize("version", VERSIONS)
def test_seed_functions_given_a_path_create_nothing_on_bad_input(tmp_path, version):
    plate_target = tmp_path / "plate.zarr"
    with pytest.raises(ValueError, match="unique"):
        write_plate_metadata(str(plate_target), ["A", "A"], ["1"], ["A/1"], fmt=version)
    assert not plate_target.exists()
    well_target = tmp_path / "well.zarr"
    with pytest.raises(ValueError, match="unique"):
        write_well_metadata(str(well_target), ["0", "0"], fmt=version)
    assert not well_target.exists()


# --- write_plate refuses bad input before writing anything ---------------------------------------------


# Each case: write_plate keyword arguments (the bad part in the LAST well, so that a writer that checked
# as it went would already have written the first ones), exception type, message pattern.
BAD_PLATES: list[Any] = [
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()]}, "rows": ["A", "A"]},
        ValueError,
        "unique",
        id="duplicate-rows",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()]}, "columns": ["1", "1"]},
        ValueError,
        "unique",
        id="duplicate-columns",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()], "A_2/1": [make_image()]}},
        ValueError,
        "alphanumeric",
        id="row-not-alphanumeric",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()], "A/1.5": [make_image()]}},
        ValueError,
        "alphanumeric",
        id="column-not-alphanumeric",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()], "A1": [make_image()]}},
        ValueError,
        "<row>/<column>",
        id="path-without-slash",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()], "A/1/2": [make_image()]}},
        ValueError,
        "<row>/<column>",
        id="path-too-deep",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()], "B/1": [make_image()]}, "rows": ["A"]},
        ValueError,
        "not in the plate",
        id="rows-without-a-well-row",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()], "A/2": [make_image()]}, "columns": ["1", "3"]},
        ValueError,
        "not in the plate",
        id="columns-without-a-well-column",
    ),
    pytest.param(lambda: {"wells": {}}, ValueError, "at least one", id="no-wells"),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()], "A/2": []}},
        ValueError,
        "at least one field",
        id="empty-well",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()]}, "acquisitions": [{"id": 2}, {"id": 2}]},
        ValueError,
        "more than once",
        id="duplicate-acquisition-ids",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()]}, "acquisitions": [{"id": -3}]},
        ValueError,
        "non-negative",
        id="negative-acquisition-id",
    ),
    pytest.param(
        lambda: {
            "wells": {
                "A/1": [{"image": make_image(), "acquisition": 0}],
                "A/2": [{"image": make_image(), "acquisition": 7}],
            },
            "acquisitions": [{"id": 0}],
        },
        ValueError,
        "acquisition 7",
        id="field-names-unknown-acquisition",
    ),
    pytest.param(
        lambda: {
            "wells": {
                "A/1": [{"image": make_image(), "acquisition": 0}],
                "A/2": [{"image": make_image(), "acquisition": 1}, make_image()],
            },
            "acquisitions": [{"id": 0}, {"id": 1}],
        },
        ValueError,
        "must name its acquisition",
        id="field-without-acquisition-when-several",
    ),
    pytest.param(
        lambda: {
            "wells": {"A/1": [make_image()], "A/2": [{"image": make_image(), "acquisition": "0"}]},
            "acquisitions": [{"id": 0}],
        },
        ValueError,
        "integer",
        id="string-acquisition",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()], "A/2": [np.ones((16, 16))]}},
        TypeError,
        "not an image",
        id="numpy-field",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()], "A/2": ["image.tif"]}},
        TypeError,
        "not an image",
        id="string-field",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()], "A/2": [None]}}, TypeError, "not an image", id="none-field"
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()], "A/2": [{"labels": {}}]}},
        TypeError,
        "not an image",
        id="dict-without-image",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()], "A/2": [{"image": np.ones((16, 16))}]}},
        TypeError,
        "not an image",
        id="dict-with-numpy-image",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()], "A/2": [make_image(("foo", "x"))]}},
        ValueError,
        "space axes",
        id="unknown-dims",
    ),
    pytest.param(
        lambda: {
            "wells": {"A/1": [make_image()], "A/2": [make_image(shape=(4, 4))]},
            "scale_factors": (2, 4, 8),
        },
        ValueError,
        "scale factor",
        id="scale-factors-too-big-for-a-field",
    ),
    pytest.param(
        lambda: {
            "wells": {
                "A/1": [make_image()],
                "A/2": [{"image": make_image(), "labels": {"nuclei": make_image(dtype="float32")}}],
            }
        },
        TypeError,
        "integer",
        id="float-label",
    ),
    pytest.param(
        lambda: {
            "wells": {
                "A/1": [make_image()],
                "A/2": [{"image": make_image(), "labels": {"nuclei": make_image(shape=(8, 16))}}],
            }
        },
        ValueError,
        "grid",
        id="label-off-the-field-grid",
    ),
    pytest.param(
        lambda: {
            "wells": {
                "A/1": [make_image()],
                "A/2": [{"image": make_image(), "labels": {"a/b": make_image()}}],
            }
        },
        ValueError,
        "label name",
        id="bad-label-name",
    ),
    pytest.param(
        lambda: {
            "wells": {"A/1": [make_image(("c", "y", "x"), (2, 16, 16))], "A/2": [make_image()]},
            "storage_options": {"chunks": (1, 8, 8)},
        },
        ValueError,
        "chunks",
        id="chunks-that-do-not-fit-a-field",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()]}, "field_count": 0},
        ValueError,
        "field_count",
        id="zero-field-count",
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()]}, "version": "0.3"}, ValueError, "0.3", id="bad-version"
    ),
    pytest.param(
        lambda: {"wells": {"A/1": [make_image()]}, "method": "bogus"}, ValueError, "bogus", id="bad-method"
    ),
    pytest.param(lambda: {"wells": {"A/1": [make_image()]}, "mode": "x"}, ValueError, "mode", id="bad-mode"),
    pytest.param(
        lambda: {"wells": dense_plate("cyx").assign_coords(row=["A", "A"])},
        ValueError,
        "unique",
        id="dense-duplicate-rows",
    ),
    pytest.param(
        lambda: {"wells": dense_plate("cyx").assign_coords(column=["1", "2", "3-"])},
        ValueError,
        "alphanumeric",
        id="dense-column-not-alphanumeric",
    ),
    pytest.param(
        lambda: {"wells": dense_plate("cyx").isel(field=0, drop=True)},
        ValueError,
        "field",
        id="dense-without-field-dim",
    ),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("case", "error", "match"), BAD_PLATES)
def test_write_plate_refuses_bad_input_before_writing(tmp_path, version, case, error, match):
    kwargs = {"scale_factors": (2,), "version": version} | case()
    target = tmp_path / "plate.zarr"
    with pytest.raises(error, match=match):
        xarray_omezarr.write_plate(target, kwargs.pop("wells"), **kwargs)
    assert not target.exists(), f"something was written: {list(snapshot(target))[:6]}"


@pytest.mark.parametrize("version", VERSIONS)
def test_write_plate_refuses_an_existing_target_and_leaves_it_alone(tmp_path, version):
    target = tmp_path / "plate.zarr"
    xarray_omezarr.write_plate(target, {"A/1": [make_image()]}, scale_factors=(), version=version)
    before = store_files(target)
    with pytest.raises(FileExistsError):
        xarray_omezarr.write_plate(target, {"B/2": [make_image()]}, scale_factors=(), version=version)
    with pytest.raises(FileExistsError):
        dense_plate("cyx").omezarr.to_zarr(target, version=version)
    assert store_files(target) == before
    # mode="w" replaces it
    xarray_omezarr.write_plate(target, {"B/2": [make_image()]}, scale_factors=(), version=version, mode="w")
    assert [w["path"] for w in ome_metadata(target)["plate"]["wells"]] == ["B/2"]
    assert not (target / "A").exists()
    validate_store(target)


# --- memory ---------------------------------------------------------------------------------------------

MEMORY_SCRIPT = """
import resource, sys
import dask.array as da
import xarray as xr
import xarray_omezarr

count, how, target = int(sys.argv[1]), sys.argv[2], sys.argv[3]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

def field(i):
    data = da.random.default_rng(i).integers(0, 60000, (4, 1024, 1024), dtype="uint16", chunks=(1, 512, 512))
    return xr.DataArray(data, dims=("c", "y", "x"), name="cells")

if how == "dense":
    plate = xr.concat([field(i) for i in range(count)], dim="field").expand_dims(["row", "column"])
    assert isinstance(plate.data, da.Array)
    plate.omezarr.to_zarr(target, scale_factors=(2, 4))
else:
    xarray_omezarr.write_plate(target, {f"A/{i + 1}": [field(i)] for i in range(count)}, scale_factors=(2, 4))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""

FIELDS = 16  # 8 MiB each, 128 MiB in all


def peak_increase_mib(tmp_path: Path, count: int, how: str) -> float:
    target = tmp_path / f"{how}-{count}.zarr"
    script = textwrap.dedent(MEMORY_SCRIPT)
    done = subprocess.run(
        [sys.executable, "-c", script, str(count), how, str(target)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (target / "zarr.json").exists()
    kib = int(done.stdout.strip().splitlines()[-1])  # ru_maxrss is in KiB on Linux
    return kib / 1024


@pytest.fixture(scope="module")
def single_field_peak(tmp_path_factory) -> float:
    return peak_increase_mib(tmp_path_factory.mktemp("memory"), 1, "mapping")


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux only")
@pytest.mark.parametrize("how", ["mapping", "dense"])
def test_memory_does_not_grow_with_the_number_of_fields(tmp_path, single_field_peak, how):
    plate_peak = peak_increase_mib(tmp_path, FIELDS, how)
    limit = single_field_peak * 1.5 + 50
    assert plate_peak < limit, (
        f"writing {FIELDS} lazy fields raised the peak RSS by {plate_peak:.0f} MiB; one field by "
        f"{single_field_peak:.0f} MiB (limit {limit:.0f} MiB; all fields at once are {FIELDS * 8} MiB)"
    )
    validate_store(tmp_path / f"{how}-{FIELDS}.zarr")


@pytest.mark.parametrize("version", VERSIONS)
def test_acquisitions_are_filled_in_from_the_fields(tmp_path, version):
    path = tmp_path / "acq.ome.zarr"
    wells = {
        "A/1": [{"image": make_image(), "acquisition": 3}, {"image": make_image(), "acquisition": 3}],
        "B/2": [{"image": make_image(), "acquisition": 0}, {"image": make_image(), "acquisition": 3}],
    }
    xarray_omezarr.write_plate(path, wells, scale_factors=(), version=version)
    plate = xr.open_datatree(path, engine="omezarr").attrs["ome"]["plate"]
    assert plate["acquisitions"] == [
        {"id": 0, "name": "acquisition 0", "maximumfieldcount": 1},
        {"id": 3, "name": "acquisition 3", "maximumfieldcount": 2},
    ]
    validate_store(path)


def test_a_plate_tree_without_xarrays_default_indexes_is_the_same_tree(tmp_path: Path) -> None:
    """docs/plates.md suggests create_default_indexes=False for large plates: the engine's own indexes
    are all there, so the tree is the same."""
    path = tmp_path / "plate.ome.zarr"
    wells = {
        w: [xr.DataArray(np.arange(2 * 8 * 8, dtype="uint16").reshape(2, 8, 8), dims=("c", "y", "x"))]
        for w in ("A/1", "B/2")
    }
    xarray_omezarr.write_plate(path, wells, scale_factors=(2,), method="local_mean")
    default = xr.open_datatree(path, engine="omezarr")
    lean = xr.open_datatree(path, engine="omezarr", create_default_indexes=False)
    xr.testing.assert_identical(default, lean)
    for node in lean.subtree:
        assert set(node.xindexes) == set(default[node.path].xindexes)
    assert set(lean["B/2/0/1"].xindexes) == {"c", "y", "x"}


# --- batches ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_a_plate_written_in_batches_is_the_plate_written_at_once(tmp_path, version, monkeypatch):
    from xarray_omezarr.write import plate_writes

    wells = {
        f"{row}/{column}": [
            {
                "image": make_field({"c": 2, "y": 24, "x": 20}, seed=10 * i + k),
                "labels": {
                    name: (make_field({"y": 24, "x": 20}, seed=i + k) % (n + 3)).astype("uint8").rename(name)
                    for n, name in enumerate(("cells", "nuclei", "spots"))
                },
            }
            for k in range(2)
        ]
        for i, (row, column) in enumerate((r, c) for r in ROWS for c in COLUMNS)
    }
    xarray_omezarr.write_plate(tmp_path / "once.zarr", wells, scale_factors=(2,), version=version)
    monkeypatch.setattr(plate_writes, "PLATE_BATCH_BYTES", 1)  # a batch per well
    xarray_omezarr.write_plate(tmp_path / "batched.zarr", wells, scale_factors=(2,), version=version)
    assert store_files(tmp_path / "batched.zarr") == store_files(tmp_path / "once.zarr")
    # every label of a field is listed, in the order given (their listings are written one by one)
    for path in wells:
        for k in range(2):
            labels = ome_metadata(tmp_path / "batched.zarr" / path / str(k) / "labels")["labels"]
            assert labels == ["cells", "nuclei", "spots"]
    validate_store(tmp_path / "batched.zarr")


@pytest.mark.parametrize("version", VERSIONS)
def test_mode_a_replaces_the_fields_it_writes_and_keeps_the_rest(tmp_path, version):
    target = tmp_path / "plate.zarr"
    first, second = make_field({"y": 16, "x": 16}, 1), make_field({"y": 16, "x": 16}, 2)
    xarray_omezarr.write_plate(target, {"A/1": [first, first]}, scale_factors=(2,), version=version)
    xarray_omezarr.write_plate(
        target, {"A/1": [second], "B/2": [second]}, scale_factors=(2,), version=version, mode="a"
    )
    tree = xr.open_datatree(target, engine="omezarr")
    for path in ("A/1/0", "B/2/0"):
        np.testing.assert_array_equal(tree[f"{path}/0"]["cells"].values, second.values)
    assert ome_metadata(target / "A" / "1")["well"]["images"] == [{"path": "0"}]
    assert [w["path"] for w in ome_metadata(target)["plate"]["wells"]] == ["A/1", "B/2"]
    validate_store(target)


def test_each_fields_channel_windows_are_those_of_the_same_image_written_alone(tmp_path):
    """A plate measures its fields' windows on the levels as they are computed, a lone image reads its
    smallest level back: both give each channel's finite range as stored."""
    rng = np.random.default_rng(11)
    floats = rng.normal(50, 20, (2, 40, 36)).astype("float32")
    floats[0, 3, 3], floats[0, 4, 4] = np.nan, np.inf
    floats[1] = np.nan  # no finite value: the window is 0 to 0
    counts = rng.poisson(900, (3, 33, 31)).astype("uint16")  # odd sizes: the last pixels are cut
    fields = {
        "A/1": [xr.DataArray(floats, dims=("c", "y", "x"), name="f")],
        "B/2": [
            xr.DataArray(counts, dims=("c", "y", "x"), name="n"),
            xr.DataArray(counts[:, ::-1], dims=("c", "y", "x"), name="n"),
        ],
    }
    options = {"scale_factors": (2, 4), "method": "local_mean", "storage_options": {"chunks": (1, 8, 8)}}
    xarray_omezarr.write_plate(tmp_path / "plate.ome.zarr", fields, **options)
    for well, images in fields.items():
        for i, image in enumerate(images):
            alone = tmp_path / f"{well.replace('/', '')}{i}.ome.zarr"
            image.omezarr.to_zarr(alone, **options)
            in_plate = ome_metadata(tmp_path / "plate.ome.zarr" / well / str(i))["omero"]
            assert in_plate == ome_metadata(alone)["omero"]
            smallest = zarr.open_group(alone, mode="r")["2"][0]
            finite = smallest[np.isfinite(smallest)]
            window = in_plate["channels"][0]["window"]
            assert (window["start"], window["end"]) == (float(finite.min()), float(finite.max()))
