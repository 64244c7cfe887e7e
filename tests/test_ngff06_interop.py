"""OME-NGFF 0.6 against the peers that need Python 3.12: ome-zarr-models 1.8 and ome-zarr-py 0.21.

1. Stores we write as 0.6 (image with labels, plate) are valid ``ome_zarr_models.v06`` groups, and
   ome-zarr-py 0.21 reads them: its Reader (levels, transformations, channel names, data) and its
   ``OMEZarrMultiscale.from_ome_zarr`` (per-level scale, labels).
2. Stores ome-zarr-py 0.21 writes as 0.6 (``OMEZarrMultiscale.to_ome_zarr(version="0.6")``) open with
   ``engine="omezarr"`` at the coordinates their metadata gives, with the peer's data.

These packages install only on Python 3.12+; on 3.11 every test here skips. Run them with
``nox -s ngff06`` (marker ``ngff06_interop``).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_omezarr
from tests.support.builders import make_image, regular
from tests.support.rotated import rotated_store
from tests.support.stores import ome_metadata
from tests.support.validators import validate_store

pytestmark = pytest.mark.ngff06_interop

v06 = pytest.importorskip(
    "ome_zarr_models.v06", reason="ome-zarr-models 1.8+ (Python 3.12+) has the 0.6 models"
)
ome_zarr = pytest.importorskip(
    "ome_zarr", minversion="0.21", reason="ome-zarr-py 0.21+ (Python 3.12+) writes 0.6"
)
ome_zarr_io = pytest.importorskip("ome_zarr.io")
ome_zarr_reader = pytest.importorskip("ome_zarr.reader")


def transforms_of(multiscale: dict[str, Any], level: int) -> tuple[np.ndarray, np.ndarray]:
    """Scale and translation of a 0.6 level's one transformation."""
    (transform,) = multiscale["datasets"][level]["coordinateTransformations"]
    steps = transform["transformations"] if transform["type"] == "sequence" else [transform]
    ndim = len(multiscale["coordinateSystems"][0]["axes"])
    scale, translation = np.ones(ndim), np.zeros(ndim)
    for step in steps:
        if step["type"] == "scale":
            scale, translation = scale * step["scale"], translation * np.asarray(step["scale"])
        elif step["type"] == "translation":
            translation = translation + np.asarray(step["translation"])
    return scale, translation


@pytest.fixture
def ours(tmp_path: Path) -> tuple[xr.DataArray, Path, Path]:
    image = make_image(
        ("c", "z", "y", "x"),
        (2, 4, 27, 20),
        coords={
            "c": ["DAPI", "GFP"],
            "z": regular("z", 4, 1.0, 2.0, "micrometer"),
            "y": regular("y", 27, 10.5, 0.3, "um"),
            "x": regular("x", 20, -4.0, 0.3, "um"),
        },
        seed=3,
    ).rename("cells")
    label = xr.DataArray(
        (np.arange(4 * 27 * 20) % 4).reshape(4, 27, 20).astype("uint32"),
        dims=("z", "y", "x"),
        coords={d: image[d] for d in ("z", "y", "x")},
    )
    path = tmp_path / "cells.ome.zarr"
    image.omezarr.to_zarr(
        path,
        scale_factors=(2, 4),
        method="local_mean",
        version="0.6",
        labels={"nuclei": label},
        label_metadata={"nuclei": {"colors": [{"label-value": 1, "rgba": [0, 255, 0, 255]}]}},
    )
    plate = tmp_path / "plate.ome.zarr"
    xarray_omezarr.write_plate(
        plate,
        {"A/1": [image], "B/2": [image, image]},
        scale_factors=(2,),
        version="0.6",
        acquisitions=[{"id": 0, "name": "first", "maximumfieldcount": 2}],
    )
    return image, path, plate


def strict_from_zarr(cls: Any, path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a SHOULD that our store breaks counts
        warnings.simplefilter("ignore", DeprecationWarning)
        return cls.from_zarr(zarr.open_group(str(path), mode="r"))


def test_ome_zarr_models_accepts_our_0_6_stores(ours: tuple[xr.DataArray, Path, Path]) -> None:
    _, path, plate = ours
    validate_store(path, strict_labels=True)  # schemas, ome-zarr-models v06 and the arrays
    validate_store(plate)
    image = strict_from_zarr(v06.Image, path)
    (multiscale,) = image.ome_attributes.multiscales
    assert [cs.name for cs in multiscale.coordinateSystems] == ["cells"]
    assert [d.path for d in multiscale.datasets] == ["0", "1", "2"]
    strict_from_zarr(v06.Labels, path / "labels")
    label = strict_from_zarr(v06.ImageLabel, path / "labels/nuclei")
    assert label.ome_attributes.image_label is not None
    hcs = strict_from_zarr(v06.HCS, plate)
    assert [w.path for w in hcs.ome_attributes.plate.wells] == ["A/1", "B/2"]
    well = strict_from_zarr(v06.Well, plate / "B/2")
    assert [i.path for i in well.ome_attributes.well.images] == ["0", "1"]
    strict_from_zarr(v06.Image, plate / "B/2/1")


def test_ome_zarr_py_reader_reads_our_0_6_store(ours: tuple[xr.DataArray, Path, Path]) -> None:
    image, path, _ = ours
    multiscale = ome_metadata(path)["multiscales"][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        node = next(iter(ome_zarr_reader.Reader(ome_zarr_io.parse_url(str(path)))()))
    tree = xr.open_datatree(path, engine="omezarr")
    assert [tuple(a.shape) for a in node.data] == [tree[str(i)].dataset["cells"].shape for i in range(3)]
    assert node.metadata["coordinateTransformations"] == [
        d["coordinateTransformations"] for d in multiscale["datasets"]
    ]
    assert node.metadata["channel_names"] == ["DAPI", "GFP"]
    np.testing.assert_array_equal(np.asarray(node.data[0]), image.values)
    np.testing.assert_array_equal(np.asarray(node.data[2]), tree["2"].dataset["cells"].values)


def test_peers_accept_an_oriented_0_6_store(ours: tuple[xr.DataArray, Path, Path], tmp_path: Path) -> None:
    """RFC-4 orientations on the space axes: ome-zarr-models validates the store, ome-zarr-py reads it."""
    image = ours[0].copy()
    for dim, value in {
        "z": "inferior-to-superior",
        "y": "anterior-to-posterior",
        "x": "left-to-right",
    }.items():
        image[dim].attrs["orientation"] = value
    path = tmp_path / "oriented.ome.zarr"
    image.omezarr.to_zarr(path, scale_factors=(2,), version="0.6")
    validate_store(path)
    (multiscale,) = strict_from_zarr(v06.Image, path).ome_attributes.multiscales
    assert [a.name for a in multiscale.coordinateSystems[0].axes] == ["c", "z", "y", "x"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        node = next(iter(ome_zarr_reader.Reader(ome_zarr_io.parse_url(str(path)))()))
    np.testing.assert_array_equal(np.asarray(node.data[0]), image.values)


def test_peers_accept_our_rotated_0_6_store(tmp_path: Path) -> None:
    """A rotated image: ome-zarr-models validates it; ome-zarr-py's Reader reads its levels and gives
    the transformations of its datasets as we wrote them."""
    image, path = rotated_store(tmp_path)
    validate_store(path)
    (multiscale,) = strict_from_zarr(v06.Image, path).ome_attributes.multiscales
    assert [cs.name for cs in multiscale.coordinateSystems] == ["physical", "intrinsic"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        node = next(iter(ome_zarr_reader.Reader(ome_zarr_io.parse_url(str(path)))()))
    written = ome_metadata(path)["multiscales"][0]
    assert node.metadata["coordinateTransformations"] == [
        d["coordinateTransformations"] for d in written["datasets"]
    ]
    np.testing.assert_array_equal(np.asarray(node.data[0]), image.values)
    assert [tuple(a.shape) for a in node.data] == [(40, 32), (20, 16)]


def test_ome_zarr_py_multiscale_reads_our_0_6_store(ours: tuple[xr.DataArray, Path, Path]) -> None:
    _, path, _ = ours
    multiscale = ome_metadata(path)["multiscales"][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = ome_zarr.OMEZarrMultiscale.from_ome_zarr(str(path))
    assert len(peer.images) == 3
    for level, peer_image in enumerate(peer.images):
        ds = xr.open_dataset(path, engine="omezarr", level=level)
        assert list(peer_image.axes) == list(ds["cells"].dims)
        scale, _ = transforms_of(multiscale, level)
        assert [peer_image.scale[a] for a in peer_image.axes] == pytest.approx(list(scale), rel=1e-12)
        for name in ("z", "y", "x"):
            assert peer_image.scale[name] == pytest.approx(float(ds[name][1] - ds[name][0]), rel=1e-9)
        assert peer_image.axes_units == {"z": "micrometer", "y": "micrometer", "x": "micrometer"}
        np.testing.assert_array_equal(np.asarray(peer_image.data), ds["cells"].values)
    assert list(peer.labels) == ["nuclei"]


PEER_CASES = {
    "yx": ("yx", (37, 50), {"y": 0.5, "x": 0.5}, {"y": "micrometer", "x": "micrometer"}),
    "zyx": ("zyx", (5, 33, 47), {"z": 2.0, "y": 0.5, "x": 0.25}, {"z": "micrometer", "y": "micrometer"}),
    "czyx": ("czyx", (2, 3, 30, 41), {"c": 1.0, "z": 1.5, "y": 0.3, "x": 0.3}, None),
    "tczyx": (
        "tczyx",
        (2, 2, 3, 24, 19),
        {"t": 2.0, "c": 1.0, "z": 1.0, "y": 0.4, "x": 0.4},
        {"t": "second", "x": "micrometer", "y": "micrometer"},
    ),
}


@pytest.mark.parametrize("case", sorted(PEER_CASES))
@pytest.mark.parametrize("method", ["resize", "nearest", "local_mean"])
def test_engine_reads_ome_zarr_py_0_6_store(tmp_path: Path, case: str, method: str) -> None:
    axes, shape, scale, units = PEER_CASES[case]
    data = np.random.default_rng(7).integers(0, 4000, size=shape, dtype=np.uint16)
    path = tmp_path / "peer.ome.zarr"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer_image = ome_zarr.OMEZarrImage(data, axes=axes, scale=scale, axes_units=units)
        peer = ome_zarr.OMEZarrMultiscale(peer_image, scale_factors=(2, 4), method=method)
        peer.to_ome_zarr(str(path), version="0.6")
    ome = ome_metadata(path)
    assert ome["version"] == "0.6"
    multiscale = ome["multiscales"][0]
    system = multiscale["coordinateSystems"][0]
    group = zarr.open_group(str(path), mode="r")
    for level, dataset in enumerate(multiscale["datasets"]):
        ds = xr.open_dataset(path, engine="omezarr", level=level)
        (variable,) = ds.data_vars.values()
        assert variable.dims == tuple(axes)
        np.testing.assert_array_equal(variable.values, group[dataset["path"]][...])
        level_scale, level_translation = transforms_of(multiscale, level)
        for index, axis in enumerate(system["axes"]):
            if axis.get("type") == "channel":
                continue
            name = axis["name"]
            expected = level_translation[index] + level_scale[index] * np.arange(ds.sizes[name])
            np.testing.assert_allclose(ds[name].values, expected, rtol=1e-12, atol=1e-12)
            if axis.get("unit"):
                assert ds[name].attrs["units"] == axis["unit"]
    np.testing.assert_array_equal(
        next(iter(xr.open_dataset(path, engine="omezarr").data_vars.values())).values, data
    )
