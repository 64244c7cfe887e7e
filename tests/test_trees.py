"""A DataTree read by the engine writes back as the same store: ``tree.omezarr.to_zarr(path)``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_omezarr  # noqa: F401  (registers the accessors)
from tests.support.stores import store_files
from xarray_omezarr import errors


def cells_with_nuclei() -> tuple[xr.DataArray, xr.DataArray]:
    rng = np.random.default_rng(11)
    coords = {
        "z": ("z", 2.0 + 0.5 * np.arange(6), {"units": "micrometer"}),
        "y": ("y", -1.5 + 0.325 * np.arange(45), {"units": "micrometer"}),
        "x": ("x", 0.325 * np.arange(38), {"units": "micrometer"}),
    }
    image = xr.DataArray(
        rng.integers(0, 3000, (2, 6, 45, 38), dtype="uint16"),
        dims=("c", "z", "y", "x"),
        coords={"c": ["DAPI", "actin"], **coords},
        name="cells",
    )
    nuclei = xr.DataArray(
        (image.isel(c=0).values > 1500).astype("uint16") * 7, dims=("z", "y", "x"), coords=coords
    )
    return image, nuclei


@pytest.mark.parametrize(
    ("version", "method", "storage_options"),
    [
        ("0.4", "local_mean", {"chunks": (1, 2, 16, 16)}),
        ("0.5", "resize", None),
        ("0.5", "nearest", {"chunks": (1, 2, 8, 8), "shards": (1, 2, 16, 16)}),
    ],
)
def test_a_tree_writes_back_as_the_same_store(
    tmp_path: Path, version: str, method: str, storage_options: dict | None
) -> None:
    image, nuclei = cells_with_nuclei()
    source = tmp_path / "source.ome.zarr"
    label_options = None if storage_options is None else {k: v[1:] for k, v in storage_options.items()}
    image.omezarr.to_zarr(
        source, scale_factors=(2, 4), method=method, version=version, storage_options=storage_options
    )
    nuclei.omezarr.to_zarr_label(
        source, "nuclei", colors=[{"label-value": 7, "rgba": [255, 0, 0, 255]}], storage_options=label_options
    )

    tree = xr.open_datatree(source, engine="omezarr")
    copy = tmp_path / "copy.ome.zarr"
    assert tree.omezarr.to_zarr(copy) == []

    assert store_files(copy) == store_files(source)
    # and once more through the copy: a fixed point
    again = tmp_path / "again.ome.zarr"
    xr.open_datatree(copy, engine="omezarr").omezarr.to_zarr(again)
    assert store_files(again) == store_files(source)


def test_a_tree_converts_between_versions(tmp_path: Path) -> None:
    image, nuclei = cells_with_nuclei()
    source = tmp_path / "source.ome.zarr"
    image.omezarr.to_zarr(
        source, scale_factors=(2,), method="local_mean", version="0.5", labels={"nuclei": nuclei}
    )
    old = tmp_path / "old.ome.zarr"
    xr.open_datatree(source, engine="omezarr").omezarr.to_zarr(old, version="0.4")
    assert zarr.open_group(old, mode="r").metadata.zarr_format == 2
    back = xr.open_datatree(old, engine="omezarr")
    original = xr.open_datatree(source, engine="omezarr")
    for path in ("0", "1", "labels/nuclei/0", "labels/nuclei/1"):
        xr.testing.assert_identical(back[path].dataset.compute(), original[path].dataset.compute())


def test_an_edited_tree_writes_its_edit(tmp_path: Path) -> None:
    image, _ = cells_with_nuclei()
    source = tmp_path / "source.ome.zarr"
    image.omezarr.to_zarr(source, scale_factors=(2,), method="local_mean")
    tree = xr.open_datatree(source, engine="omezarr").compute()
    tree["1"]["cells"][...] = 0
    copy = tmp_path / "copy.ome.zarr"
    tree.omezarr.to_zarr(copy)
    read = xr.open_datatree(copy, engine="omezarr")
    assert int(read["1"]["cells"].max()) == 0
    np.testing.assert_array_equal(read["0"]["cells"].values, image.values)


def test_trees_that_are_not_images_are_refused_before_writing(tmp_path: Path) -> None:
    target = tmp_path / "never.ome.zarr"
    plain = xr.DataTree.from_dict({"/": xr.Dataset(), "/0": xr.Dataset({"a": ("x", np.zeros(3))})})
    with pytest.raises(errors.InvalidImageError, match="holds no OME multiscale metadata"):
        plain.omezarr.to_zarr(target)
    assert not target.exists()
