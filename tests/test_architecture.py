"""The package's shape: one model for planning and reading, the layering contracts, small modules,
and the error hierarchy that keeps the built-in exception types."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_omezarr
from xarray_omezarr import errors, writer
from xarray_omezarr.describe import describe_image
from xarray_omezarr.ngff import as_format
from xarray_omezarr.read import read_label, read_multiscale
from xarray_omezarr.write.labels import plan_labels
from xarray_omezarr.write.plan import plan_image

PACKAGE = Path(xarray_omezarr.__file__).parent


def cells(c: int = 2, z: int = 5, y: int = 37, x: int = 42) -> xr.DataArray:
    rng = np.random.default_rng(3)
    return xr.DataArray(
        rng.integers(0, 4000, (c, z, y, x), dtype="uint16"),
        dims=("c", "z", "y", "x"),
        name="cells",
        coords={
            "c": ["DAPI", "GFP"][:c],
            "z": ("z", 1.0 + 0.5 * np.arange(z), {"units": "micrometer"}),
            "y": ("y", -3.25 + 0.1625 * np.arange(y), {"units": "micrometer"}),
            "x": ("x", 10.0 + 0.1625 * np.arange(x), {"units": "micrometer"}),
        },
    )


@pytest.mark.parametrize("version", ["0.4", "0.5"])
@pytest.mark.parametrize("method", ["local_mean", "resize", "nearest"])
def test_the_planned_model_is_the_model_read_back(tmp_path: Path, version: str, method: str) -> None:
    image = cells()
    label = xr.DataArray(
        (image.isel(c=0).values > 2000).astype("uint8"),
        dims=("z", "y", "x"),
        coords={d: image[d] for d in "zyx"},
    )
    options = None  # the defaults, which fit the image and its label alike
    fmt = as_format(version)
    described = describe_image(image)
    plan = plan_image(described, fmt, scale_factors=(2, 4), method=method, storage_options=options)
    (label_plan,) = plan_labels({"seg": label}, plan.image, fmt, storage_options=options)

    path = tmp_path / "cells.ome.zarr"
    image.omezarr.to_zarr(
        path,
        scale_factors=(2, 4),
        method=method,
        version=version,
        storage_options=options,
        labels={"seg": label},
    )
    group = zarr.open_group(path, mode="r")
    read = read_multiscale(group)

    # everything but the channel windows, which are measured on the data once it is written
    assert read.axes == plan.image.axes
    assert read.levels == plan.image.levels
    assert (read.name, read.method, read.method_metadata, read.version) == (
        plan.image.name,
        plan.image.method,
        plan.image.method_metadata,
        plan.image.version,
    )
    assert np.dtype(read.dtype) == plan.image.dtype
    assert read.channel_labels() == plan.image.channel_labels() == ["DAPI", "GFP"]
    assert [{k: v for k, v in c.items() if k != "window"} for c in read.omero["channels"]] == list(
        plan.image.omero["channels"]
    )
    seg = read_label(group, "seg")
    assert seg.multiscale.levels == label_plan.plan.image.levels
    assert seg.multiscale.axes == label_plan.plan.image.axes
    assert {k: v for k, v in seg.image_label.items() if k != "version"} == label_plan.image_label


def test_write_image_of_a_dataarray_keeps_its_channel_names(tmp_path: Path) -> None:
    image = cells()
    writer.write_image(image, str(tmp_path / "seed.ome.zarr"), scale_factors=(2,), method="local_mean")
    image.omezarr.to_zarr(tmp_path / "accessor.ome.zarr", scale_factors=(2,), method="local_mean")
    seed = xr.open_dataset(tmp_path / "seed.ome.zarr", engine="omezarr")
    assert seed["c"].values.tolist() == ["DAPI", "GFP"]
    accessor = zarr.open_group(tmp_path / "accessor.ome.zarr", mode="r").attrs["ome"]
    assert zarr.open_group(tmp_path / "seed.ome.zarr", mode="r").attrs["ome"]["omero"] == accessor["omero"]


def test_a_label_listed_but_missing_is_a_malformed_store(tmp_path: Path) -> None:
    path = tmp_path / "cells.ome.zarr"
    image = cells()
    label = xr.DataArray(
        np.zeros((5, 37, 42), "uint8"), dims=("z", "y", "x"), coords={d: image[d] for d in "zyx"}
    )
    image.omezarr.to_zarr(path, scale_factors=(2,), labels={"seg": label})
    listing = path / "labels" / "zarr.json"
    document = json.loads(listing.read_text())
    document["attributes"]["ome"]["labels"] = ["seg", "c"]
    listing.write_text(json.dumps(document))
    with pytest.raises(errors.MalformedStoreError, match=r"labels/zarr.json lists the label image 'c'"):
        xr.open_datatree(path, engine="omezarr")


def test_errors_keep_their_built_in_types(tmp_path: Path) -> None:
    path = tmp_path / "cells.ome.zarr"
    cells().omezarr.to_zarr(path, scale_factors=())
    with pytest.raises(errors.TargetExistsError) as existing:
        cells().omezarr.to_zarr(path, scale_factors=())
    assert isinstance(existing.value, FileExistsError)
    with pytest.raises(errors.InvalidImageError) as bad:
        cells().omezarr.to_zarr(tmp_path / "other.ome.zarr", method="no-such-method")
    assert isinstance(bad.value, ValueError)
    assert not (tmp_path / "other.ome.zarr").exists()


def test_open_datatree_finds_the_engine_by_itself(tmp_path: Path) -> None:
    path = tmp_path / "cells.ome.zarr"
    cells().omezarr.to_zarr(path, scale_factors=(2,))
    tree = xr.open_datatree(path)
    assert sorted(tree.children) == ["0", "1"]
    assert tree["1"]["cells"].sizes == {"c": 2, "z": 5, "y": 18, "x": 21}


def test_the_accessor_shows_its_parameters() -> None:
    import inspect

    parameters = inspect.signature(cells().omezarr.to_zarr).parameters
    assert {"scale_factors", "method", "version", "mode", "labels"} <= set(parameters)
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def test_the_layering_contracts_hold() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports)], capture_output=True, text=True, cwd=PACKAGE.parent, check=False, env=os.environ
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_no_module_is_over_500_lines() -> None:
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 500} == {}
