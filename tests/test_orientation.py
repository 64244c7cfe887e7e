"""RFC-4 anatomical orientation: a space coordinate's ``attrs["orientation"]`` in OME-NGFF 0.6.

Written as ``{"type": "anatomical", "value": ...}`` on each space axis of the image's coordinate
systems (and its labels'), read back into the coordinates' attrs, and checked first: values from
RFC-4's list, on all space axes or none, one anatomical direction per axis; before 0.6 it is refused,
as nothing could store it. The RFC-4 draft schema (``tests/data/rfc4``) checks the axes we write.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
import xarray as xr

import xarray_omezarr  # noqa: F401  (the accessor)
from tests.support.builders import make_image, random_label, regular
from tests.support.stores import ome_metadata
from tests.support.validators import validate_store
from xarray_omezarr.errors import InvalidImageError
from xarray_omezarr.geometry.axes import ORIENTATIONS

RFC4_SCHEMA = Path(__file__).parent / "data" / "rfc4" / "orientation.schema.json"
ORIENTED = {"z": "inferior-to-superior", "y": "posterior-to-anterior", "x": "left-to-right"}


def brain(orientation: dict[str, str] | None = None) -> xr.DataArray:
    """A small 3-D image with an orientation on its space coordinates."""
    image = make_image(
        ("c", "z", "y", "x"),
        (2, 4, 16, 12),
        coords={
            "c": ["T1", "T2"],
            "z": regular("z", 4, 0.0, 2.0, "micrometer"),
            "y": regular("y", 16, 0.0, 0.5, "micrometer"),
            "x": regular("x", 12, 0.0, 0.5, "micrometer"),
        },
        seed=11,
    ).rename("brain")
    for dim, value in (ORIENTED if orientation is None else orientation).items():
        image[dim].attrs["orientation"] = value
    return image


def system_axes(path: Path) -> list[dict[str, Any]]:
    (multiscale,) = ome_metadata(path)["multiscales"]
    axes: list[dict[str, Any]] = multiscale["coordinateSystems"][0]["axes"]
    return axes


def test_orientation_is_written_on_every_space_axis_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "brain.ome.zarr"
    image = brain()
    label = random_label(image, seed=3, high=4)
    image.omezarr.to_zarr(path, version="0.6", scale_factors=(2,), labels={"regions": label})
    written = {a["name"]: a.get("orientation") for a in system_axes(path)}
    assert written == {"c": None} | {d: {"type": "anatomical", "value": v} for d, v in ORIENTED.items()}
    assert {a["name"]: a.get("orientation") for a in system_axes(path / "labels" / "regions")} == {
        d: {"type": "anatomical", "value": v} for d, v in ORIENTED.items()
    }
    validate_store(path)
    with open(RFC4_SCHEMA) as f:
        jsonschema.validate({"axes": system_axes(path)}, json.load(f))
    ds = xr.open_dataset(path, engine="omezarr")
    assert {d: ds[d].attrs.get("orientation") for d in ORIENTED} == ORIENTED
    assert ds["c"].attrs == {} and ds["z"].attrs["units"] == "micrometer"
    tree = xr.open_datatree(path, engine="omezarr")
    assert tree["1"]["x"].attrs["orientation"] == "left-to-right"  # every level
    # what was read writes back the same metadata
    again = tmp_path / "again.ome.zarr"
    ds["brain"].omezarr.to_zarr(again, version="0.6", scale_factors=(2,))
    assert system_axes(again) == system_axes(path)


def test_the_intrinsic_system_has_no_orientation(tmp_path: Path) -> None:
    """Array space is not anatomy: a translated image's second (array) system carries none."""
    path = tmp_path / "shifted.ome.zarr"
    image = brain()
    image = image.assign_coords(x=image["x"] + 100.0)
    image["x"].attrs = {"units": "micrometer", "orientation": "left-to-right"}
    image.omezarr.to_zarr(path, version="0.6", scale_factors=(2,))
    systems = ome_metadata(path)["multiscales"][0]["coordinateSystems"]
    assert all("orientation" not in a for s in systems[1:] for a in s["axes"])
    assert xr.open_dataset(path, engine="omezarr")["x"].attrs["orientation"] == "left-to-right"


BAD = {
    "unknown value": ({"z": "up", "y": "posterior-to-anterior", "x": "left-to-right"}, "does not know"),
    "one direction twice": (
        {"z": "inferior-to-superior", "y": "right-to-left", "x": "left-to-right"},
        "same anatomical direction",
    ),
    "shared direction": (
        {"z": "rostral-to-caudal", "y": "cranial-to-caudal", "x": "left-to-right"},
        "same anatomical direction",
    ),
    "not every space axis": ({"y": "posterior-to-anterior", "x": "left-to-right"}, "all space axes or none"),
}


@pytest.mark.parametrize(("orientation", "message"), BAD.values(), ids=list(BAD))
def test_bad_orientations_are_refused_before_anything_is_written(
    tmp_path: Path, orientation: dict[str, str], message: str
) -> None:
    path = tmp_path / "bad.ome.zarr"
    with pytest.raises(InvalidImageError, match=message) as error:
        brain(orientation).omezarr.to_zarr(path, version="0.6", scale_factors=(2,))
    assert not path.exists()
    if message == "does not know":
        assert all(value in str(error.value) for value in ORIENTATIONS)  # the allowed list


def test_an_orientation_on_a_channel_is_refused(tmp_path: Path) -> None:
    image = brain()
    image["c"].attrs["orientation"] = "left-to-right"
    with pytest.raises(InvalidImageError, match="only space axes"):
        image.omezarr.to_zarr(tmp_path / "bad.ome.zarr", version="0.6", scale_factors=(2,))


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_before_0_6_an_orientation_is_refused(tmp_path: Path, version: str) -> None:
    path = tmp_path / "old.ome.zarr"
    with pytest.raises(InvalidImageError, match=r'version="0\.6"'):
        brain().omezarr.to_zarr(path, version=version, scale_factors=(2,))
    assert not path.exists()
    unoriented = brain({})
    unoriented.omezarr.to_zarr(path, version=version, scale_factors=(2,))  # without, it writes
    assert "orientation" not in json.dumps(ome_metadata(path))


def test_an_orientation_other_tools_wrote_is_read(tmp_path: Path) -> None:
    """A 0.6 store whose axes carry orientations (written here as plain JSON by zarr)."""
    import zarr

    path = tmp_path / "theirs.ome.zarr"
    root = zarr.open_group(path, mode="w", zarr_format=3)
    root.create_array("0", data=np.arange(24, dtype="uint8").reshape(4, 6))
    axes = [
        {
            "name": "y",
            "type": "space",
            "unit": "millimeter",
            "orientation": {"type": "anatomical", "value": v},
        }
        for v in ("dorsal-to-ventral",)
    ] + [
        {
            "name": "x",
            "type": "space",
            "unit": "millimeter",
            "orientation": {"type": "anatomical", "value": "right-to-left"},
        }
    ]
    root.attrs["ome"] = {
        "version": "0.6",
        "multiscales": [
            {
                "coordinateSystems": [{"name": "physical", "axes": axes}],
                "datasets": [
                    {
                        "path": "0",
                        "coordinateTransformations": [
                            {"type": "scale", "scale": [0.5, 0.5], "input": "0", "output": "physical"}
                        ],
                    }
                ],
            }
        ],
    }
    ds = xr.open_dataset(path, engine="omezarr")
    assert ds["y"].attrs == {"units": "millimeter", "orientation": "dorsal-to-ventral"}
    assert ds["x"].attrs["orientation"] == "right-to-left"
    np.testing.assert_allclose(ds["x"].values, np.arange(6) * 0.5)
