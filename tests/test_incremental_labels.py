"""Label images follow appends and region writes along the same axis: the one-call store, file for file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import xarray as xr

import xarray_omezarr  # noqa: F401  (registers the accessor)
from tests.support.killed_writes import movie
from tests.support.stores import snapshot, store_files
from xarray_omezarr import errors


def options(version: str) -> dict[str, Any]:
    return {
        "scale_factors": (2, 4),
        "method": "local_mean",
        "storage_options": {"chunks": (1, 1, 64, 64)},
        "version": version,
    }


def image_and_label(frames: int = 6) -> tuple[xr.DataArray, xr.DataArray]:
    image = movie(frames)
    label = (image.isel(c=0) > 1150).astype("uint8").rename("cells")
    label.attrs["image-label"] = {"colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]}]}
    return image, label


@pytest.fixture(scope="module")
def one_call(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    image, label = image_and_label()
    out = {}
    for version in ("0.4", "0.5"):
        path = tmp_path_factory.mktemp("one-call") / "movie.ome.zarr"
        image.omezarr.to_zarr(path, labels={"cells": label}, **options(version))
        out[version] = store_files(path)
    return out


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_labels_appended_with_their_image_give_the_one_call_store(
    tmp_path: Path, version: str, one_call: Any
) -> None:
    image, label = image_and_label()
    path = tmp_path / "movie.ome.zarr"
    image.isel(t=slice(0, 2)).omezarr.to_zarr(
        path, labels={"cells": label.isel(t=slice(0, 2))}, **options(version)
    )
    for part in (slice(2, 3), slice(3, 6)):
        image.isel(t=part).omezarr.to_zarr(path, append_dim="t", labels={"cells": label.isel(t=part)})
    assert store_files(path) == one_call[version]


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_a_resumed_append_appends_the_labels_the_first_call_did_not_reach(
    tmp_path: Path, version: str, one_call: Any
) -> None:
    image, label = image_and_label()
    path = tmp_path / "movie.ome.zarr"
    image.isel(t=slice(0, 3)).omezarr.to_zarr(
        path, labels={"cells": label.isel(t=slice(0, 3))}, **options(version)
    )
    more, more_labels = image.isel(t=slice(3, 6)), {"cells": label.isel(t=slice(3, 6))}
    more.omezarr.to_zarr(path, append_dim="t")  # the image's part arrived, the label's did not
    more.omezarr.to_zarr(path, append_dim="t", labels=more_labels, resume=True)
    assert store_files(path) == one_call[version]


@pytest.mark.parametrize("region", ["auto", "index"])
@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_labels_written_by_region_with_their_image_give_the_one_call_store(
    tmp_path: Path, version: str, region: str, one_call: Any
) -> None:
    image, label = image_and_label()
    path = tmp_path / "movie.ome.zarr"
    blank = xr.zeros_like(image)
    blank.omezarr.to_zarr(
        path, labels={"cells": xr.zeros_like(label).assign_attrs(label.attrs)}, **options(version)
    )
    for ys in (slice(0, 128), slice(128, 256)):
        for xs in (slice(0, 100), slice(100, 256)):  # off the chunk grid on x
            where: Any = "auto" if region == "auto" else {"y": ys, "x": xs}
            tile, tile_label = image.isel(y=ys, x=xs), label.isel(y=ys, x=xs)
            if region == "index":
                tile, tile_label = tile.drop_vars(["y", "x"]), tile_label.drop_vars(["y", "x"])
            tile.omezarr.to_zarr(path, region=where, labels={"cells": tile_label})
    assert store_files(path) == one_call[version]


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({"nuclei": "part"}, "no label image 'nuclei' to append to"),
        ({"cells": "other dtype"}, "dtype uint16; the image has uint8"),
        ({"cells": "shifted"}, "coordinate starts at"),
    ],
)
def test_bad_label_parts_are_refused_before_anything_is_written(
    tmp_path: Path, labels: Any, message: str
) -> None:
    image, label = image_and_label()
    path = tmp_path / "movie.ome.zarr"
    image.isel(t=slice(0, 3)).omezarr.to_zarr(
        path, labels={"cells": label.isel(t=slice(0, 3))}, **options("0.5")
    )
    before = snapshot(path)
    part = label.isel(t=slice(3, 6))
    given = {
        "part": part,
        "other dtype": part.astype("uint16"),
        "shifted": part.assign_coords(y=part.y + 0.5),
    }
    ((name, kind),) = labels.items()
    with pytest.raises(errors.InvalidImageError, match=re.escape(message)):
        image.isel(t=slice(3, 6)).omezarr.to_zarr(path, append_dim="t", labels={name: given[kind]})
    assert snapshot(path) == before
