"""Interoperability with the peer implementations ome-zarr-py and ngff-zarr.

1. Stores written by ``da.omezarr.to_zarr`` pass the independent validators and read back identically
   (levels, shapes, transforms, channel names, data) in ome-zarr-py and ngff-zarr.
2. Stores written by ome-zarr-py and ngff-zarr open with ``engine="omezarr"``: each level's data is the
   peer's array and each coordinate is ``translation + scale * arange(n)`` from the peer's own metadata.
3. The same both ways with ngff-zarr for OME-NGFF 0.6 (ome-zarr-py 0.21, the first to write 0.6, needs
   Python 3.12: ``tests/test_ngff06_interop.py``).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_omezarr  # noqa: F401  (registers the accessor)

ngff_zarr = pytest.importorskip("ngff_zarr")
ome_zarr_format = pytest.importorskip("ome_zarr.format")
ome_zarr_io = pytest.importorskip("ome_zarr.io")
ome_zarr_reader = pytest.importorskip("ome_zarr.reader")
ome_zarr_writer = pytest.importorskip("ome_zarr.writer")

from tests.support.builders import make_image, regular  # noqa: E402
from tests.support.rotated import rotated_store  # noqa: E402
from tests.support.stores import ome_metadata  # noqa: E402
from tests.support.validators import validate_store  # noqa: E402
from xarray_omezarr.testing import VERSIONS  # noqa: E402

SPEC_RANK = {"time": 0, "channel": 1, "space": 2}


# --- helpers -------------------------------------------------------------------------------------------


def level_geometry(multiscale: dict[str, Any], level: int) -> tuple[np.ndarray, np.ndarray]:
    """Scale and translation vectors of a level: its dataset transforms, then the multiscale's."""
    ndim = len(multiscale["axes"])
    scale = np.ones(ndim)
    translation = np.zeros(ndim)
    transforms = list(multiscale["datasets"][level].get("coordinateTransformations") or [])
    transforms += list(multiscale.get("coordinateTransformations") or [])
    for transform in transforms:
        if transform["type"] == "scale":
            vector = np.asarray(transform["scale"], dtype=np.float64)
            scale = scale * vector
            translation = translation * vector
        elif transform["type"] == "translation":
            translation = translation + np.asarray(transform["translation"], dtype=np.float64)
        else:
            assert transform["type"] == "identity", transform
    return scale, translation


def assert_coordinates_match_metadata(ds: xr.Dataset, multiscale: dict[str, Any], level: int) -> None:
    """Every non-channel coordinate of ``ds`` is ``translation + scale * arange(n)`` of the metadata."""
    scale, translation = level_geometry(multiscale, level)
    for index, axis in enumerate(multiscale["axes"]):
        name = axis["name"]
        if axis.get("type") == "channel":
            continue
        n = ds.sizes[name]
        expected = translation[index] + scale[index] * np.arange(n, dtype=np.float64)
        actual = ds[name].values
        assert actual.dtype.kind == "f", (name, actual.dtype)
        np.testing.assert_allclose(
            actual, expected, rtol=1e-12, atol=1e-12 * abs(scale[index]), err_msg=f"level {level} {name}"
        )
        if axis.get("unit"):
            assert ds[name].attrs.get("units") == axis["unit"]


def spec_dims(da: xr.DataArray) -> list[str]:
    """The DataArray's dims in the spec's order (time, channel, space), keeping the order within a rank."""
    types = {"t": "time", "time": "time", "c": "channel", "channel": "channel"}
    return sorted(da.dims, key=lambda d: SPEC_RANK[types.get(str(d), "space")])


# --- cases written by us -------------------------------------------------------------------------------


CASES: dict[str, dict[str, Any]] = {
    # odd sizes, no coordinates: unit scale, zero origin
    "yx-plain-odd": {
        "dims": ("y", "x"),
        "shape": (31, 45),
        "coords": {},
        "scale_factors": (2, 4),
        "method": "resize",
    },
    # non-zero origin, anisotropic spacing, units
    "yx-origin-aniso": {
        "dims": ("y", "x"),
        "shape": (40, 27),
        "coords": {"y": regular("y", 40, 100.5, 0.3, "um"), "x": regular("x", 27, -7.0, 0.7, "um")},
        "scale_factors": (2, 4),
        "method": "local_mean",
    },
    # 3-D with z, downsampled in z too (dict factors), nearest (ceil sizes)
    "zyx-nearest-dict": {
        "dims": ("z", "y", "x"),
        "shape": (7, 33, 21),
        "coords": {
            "z": regular("z", 7, -3.0, 2.5, "micrometer"),
            "y": regular("y", 33, 12.0, 0.5, "micrometer"),
            "x": regular("x", 21, 0.25, 0.5, "micrometer"),
        },
        "scale_factors": ({"z": 2, "y": 2, "x": 2}, {"z": 2, "y": 4, "x": 4}),
        "method": "nearest",
    },
    # channels with names, gaussian
    "czyx-channels": {
        "dims": ("c", "z", "y", "x"),
        "shape": (3, 4, 21, 35),
        "coords": {
            "c": ["DAPI", "GFP", "RFP"],
            "z": regular("z", 4, 1.0, 3.0, "um"),
            "y": regular("y", 21, 5.0, 0.65, "um"),
            "x": regular("x", 35, -2.0, 0.65, "um"),
        },
        "scale_factors": (2, 4),
        "method": "gaussian",
    },
    # all five axes, time with units
    "tczyx-time": {
        "dims": ("t", "c", "z", "y", "x"),
        "shape": (2, 2, 3, 19, 26),
        "coords": {
            "t": regular("t", 2, 0.0, 1.5, "s"),
            "c": ["a", "b"],
            "z": regular("z", 3, 0.0, 2.0, "um"),
            "y": regular("y", 19, 0.0, 0.2, "um"),
            "x": regular("x", 26, 10.0, 0.2, "um"),
        },
        "scale_factors": (2,),
        "method": "mode",
    },
    # dims not in the spec's order are transposed on write
    "yxc-transposed": {
        "dims": ("y", "x", "c"),
        "shape": (25, 18, 2),
        "coords": {"c": ["red", "green"], "y": regular("y", 25, 3.0, 1.25), "x": regular("x", 18, 4.0, 0.75)},
        "scale_factors": (2, 4),
        "method": "laplacian",
    },
}


@pytest.fixture(
    params=[(case, version) for case in CASES for version in VERSIONS], ids=lambda p: f"{p[0]}-{p[1]}"
)
def written(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[xr.DataArray, Path, dict[str, Any]]:
    case_name, version = request.param
    case = CASES[case_name]
    da = make_image(case["dims"], case["shape"], coords=case["coords"], seed=len(case_name))
    path = tmp_path / f"{case_name}.ome.zarr"
    result = da.omezarr.to_zarr(
        path, scale_factors=case["scale_factors"], method=case["method"], version=version
    )
    assert result == []
    assert (path / ("zarr.json" if version == "0.5" else ".zattrs")).exists()
    return da, path, {"version": version, **case}


def test_written_store_is_valid(written: tuple[xr.DataArray, Path, dict[str, Any]]) -> None:
    _, path, case = written
    validate_store(path)
    ome = ome_metadata(path)
    if case["version"] == "0.5":
        assert ome["version"] == "0.5"
    else:
        assert ome["multiscales"][0]["version"] == "0.4"
    assert len(ome["multiscales"][0]["datasets"]) == len(case["scale_factors"]) + 1


def test_ome_zarr_py_reads_our_store(written: tuple[xr.DataArray, Path, dict[str, Any]]) -> None:
    da, path, _ = written
    multiscale = ome_metadata(path)["multiscales"][0]
    ours = xr.open_datatree(path, engine="omezarr")
    levels = [ours[str(d["path"])].dataset for d in multiscale["datasets"]]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = ome_zarr_reader.Reader(ome_zarr_io.parse_url(str(path)))
        node = next(iter(reader()))
    assert len(node.data) == len(multiscale["datasets"])
    assert [tuple(a.shape) for a in node.data] == [
        tuple(next(iter(ds.data_vars.values())).shape) for ds in levels
    ]
    assert node.metadata["coordinateTransformations"] == [
        d["coordinateTransformations"] for d in multiscale["datasets"]
    ]
    assert [a["name"] for a in node.metadata["axes"]] == spec_dims(da)
    np.testing.assert_array_equal(np.asarray(node.data[0]), da.transpose(*spec_dims(da)).values)

    labels = [c["label"] for c in ome_metadata(path)["omero"]["channels"]]
    assert node.metadata["channel_names"] == labels
    if "c" in da.dims:
        assert labels == [str(v) for v in da["c"].values]
        assert list(levels[0]["c"].values) == labels


def test_ngff_zarr_reads_our_store(written: tuple[xr.DataArray, Path, dict[str, Any]]) -> None:
    da, path, _ = written
    multiscale = ome_metadata(path)["multiscales"][0]
    peer = ngff_zarr.from_ngff_zarr(str(path))
    assert len(peer.images) == len(multiscale["datasets"])
    for level, image in enumerate(peer.images):
        ds = xr.open_dataset(path, engine="omezarr", level=level)
        variable = ds["img"]
        assert tuple(image.dims) == variable.dims
        assert tuple(image.data.shape) == variable.shape
        for index, axis in enumerate(multiscale["axes"]):
            name = axis["name"]
            scale, translation = level_geometry(multiscale, level)
            if axis.get("type") == "channel" or ds.sizes[name] < 2:
                # no numeric coordinate (or no step to see): the metadata is the reference
                implied_scale, implied_translation = scale[index], translation[index]
            else:
                implied_translation = float(ds[name][0])
                implied_scale = float(ds[name][1] - ds[name][0])
            assert image.scale[name] == pytest.approx(implied_scale, rel=1e-12), (level, name)
            assert image.translation[name] == pytest.approx(implied_translation, rel=1e-12, abs=1e-12), (
                level,
                name,
            )
        np.testing.assert_array_equal(np.asarray(image.data), variable.values)
    np.testing.assert_array_equal(np.asarray(peer.images[0].data), da.transpose(*spec_dims(da)).values)


def test_our_coordinates_match_our_metadata(written: tuple[xr.DataArray, Path, dict[str, Any]]) -> None:
    da, path, _ = written
    multiscale = ome_metadata(path)["multiscales"][0]
    for level in range(len(multiscale["datasets"])):
        ds = xr.open_dataset(path, engine="omezarr", level=level)
        assert_coordinates_match_metadata(ds, multiscale, level)
    ds0 = xr.open_dataset(path, engine="omezarr", level=0)
    for name in da.dims:
        if name != "c" and name in da.coords:
            np.testing.assert_allclose(ds0[name].values, da[name].values, rtol=1e-12)


# --- stores written by the peers -----------------------------------------------------------------------


def peer_arrays(path: Path) -> list[np.ndarray]:
    """Each level's array, read with zarr from the path the peer's metadata lists."""
    group = zarr.open_group(str(path), mode="r")
    return [np.asarray(group[d["path"]][...]) for d in ome_metadata(path)["multiscales"][0]["datasets"]]


def check_engine_reads_peer_store(path: Path) -> None:
    multiscale = ome_metadata(path)["multiscales"][0]
    arrays = peer_arrays(path)
    names = [a["name"] for a in multiscale["axes"]]
    for level, array in enumerate(arrays):
        ds = xr.open_dataset(path, engine="omezarr", level=level)
        assert len(ds.data_vars) == 1
        variable = next(iter(ds.data_vars.values()))
        assert variable.dims == tuple(names)
        np.testing.assert_array_equal(variable.values, array)
        assert_coordinates_match_metadata(ds, multiscale, level)
    tree = xr.open_datatree(path, engine="omezarr")
    assert len(tree.children) == len(multiscale["datasets"])
    leaves = [node for node in tree.subtree if node.has_data]
    assert len(leaves) == len(arrays)
    for node, array in zip(leaves, arrays, strict=True):
        np.testing.assert_array_equal(next(iter(node.dataset.data_vars.values())).values, array)


OME_ZARR_CASES = {
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


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", sorted(OME_ZARR_CASES))
@pytest.mark.parametrize("method", ["resize", "nearest", "local_mean"])
def test_engine_reads_ome_zarr_py_store(tmp_path: Path, case: str, version: str, method: str) -> None:
    axes, shape, scale, units = OME_ZARR_CASES[case]
    data = np.random.default_rng(7).integers(0, 4000, size=shape, dtype=np.uint16)
    fmt = ome_zarr_format.FormatV04() if version == "0.4" else ome_zarr_format.FormatV05()
    path = tmp_path / "peer.ome.zarr"
    # ome-zarr-py 0.18 opens a path as a group of the format's Zarr version (v2 for 0.4, v3 for 0.5);
    # its pixel sizes go in ``scale`` (``coordinate_transformations`` is deprecated and ignored).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ome_zarr_writer.write_image(
            data,
            str(path),
            axes=axes,
            scale_factors=(2, 4),
            method=ome_zarr_writer.Methods(method),
            fmt=fmt,
            scale=scale,
            axes_units=units,
        )
    assert (path / ("zarr.json" if version == "0.5" else ".zattrs")).exists()
    multiscale = ome_metadata(path)["multiscales"][0]
    assert [d["path"] for d in multiscale["datasets"]] == ["s0", "s1", "s2"]
    check_engine_reads_peer_store(path)
    np.testing.assert_array_equal(xr.open_dataset(path, engine="omezarr")["image"].values, data)


NGFF_ZARR_CASES = {
    "yx": (("y", "x"), (41, 30), {"y": 0.5, "x": 0.75}, {"y": 3.0, "x": -1.5}, None),
    "zyx": (
        ("z", "y", "x"),
        (9, 36, 27),
        {"z": 2.0, "y": 0.5, "x": 0.5},
        {"z": 10.0, "y": -5.0, "x": 3.0},
        None,
    ),
    "czyx": (
        ("c", "z", "y", "x"),
        (2, 4, 32, 33),
        {"z": 1.0, "y": 0.25, "x": 0.25},
        {"z": 0.0, "y": 100.0, "x": 200.0},
        ["DAPI", "GFP"],
    ),
    "tczyx": (
        ("t", "c", "z", "y", "x"),
        (2, 1, 4, 26, 23),
        {"t": 5.0, "z": 1.0, "y": 0.2, "x": 0.2},
        {"t": 0.0, "z": 0.0, "y": 0.0, "x": 0.0},
        None,
    ),
}


def test_ngff_zarr_reads_our_rotated_0_6_store(tmp_path: Path) -> None:
    """ngff-zarr gets the levels, their scale and translation into array space and the rotation that
    leads on to the physical system, as we wrote them; and the axes' orientations."""
    image, path = rotated_store(tmp_path)
    validate_store(path)
    peer = ngff_zarr.from_ngff_zarr(str(path))
    ours = xr.open_datatree(path, engine="omezarr")
    for level, peer_image in enumerate(peer.images):
        np.testing.assert_array_equal(np.asarray(peer_image.data), ours[str(level)]["cells"].values)
    assert (peer.images[1].scale, peer.images[1].translation) == ({"y": 2.0, "x": 2.0}, {"y": 0.5, "x": 0.5})
    (sequence,) = peer.metadata.coordinateTransformations
    assert (sequence.input.name, sequence.output.name) == ("intrinsic", "physical")  # the name read
    rotation, translation = sequence.transformations
    np.testing.assert_allclose(
        rotation.rotation,
        np.cos(np.deg2rad(30.0)) * np.eye(2) + np.sin(np.deg2rad(30.0)) * np.array([[0, -1], [1, 0]]),
    )
    assert translation.translation == [5.0, -3.0]
    physical = next(s for s in peer.metadata.coordinateSystems if s.name == "physical")
    assert [a.orientation["value"] for a in physical.axes] == ["anterior-to-posterior", "left-to-right"]
    # and the physical coordinates we give are the peer's transformation of the pixel centres
    j, i = np.meshgrid(np.arange(32), np.arange(40))
    expected = np.asarray(rotation.rotation) @ np.stack([i.ravel(), j.ravel()]) + np.array([[5.0], [-3.0]])
    np.testing.assert_allclose(ours["0"]["y_physical"].values.ravel(), expected[0], atol=1e-9)
    np.testing.assert_allclose(ours["0"]["x_physical"].values.ravel(), expected[1], atol=1e-9)
    np.testing.assert_array_equal(ours["0"]["cells"].values, image.values)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", sorted(NGFF_ZARR_CASES))
def test_engine_reads_ngff_zarr_store(tmp_path: Path, case: str, version: str) -> None:
    dims, shape, scale, translation, channel_names = NGFF_ZARR_CASES[case]
    data = np.random.default_rng(11).integers(0, 4000, size=shape, dtype=np.uint16)
    units = {d: "micrometer" for d in dims if d in ("z", "y", "x")}
    image = ngff_zarr.to_ngff_image(
        data,
        dims=dims,
        scale=scale,
        translation=translation,
        axes_units=units,
        channel_names=channel_names,
    )
    multiscales = ngff_zarr.to_multiscales(
        image, scale_factors=[2, 4], method=ngff_zarr.Methods.ITKWASM_BIN_SHRINK
    )
    if channel_names is not None:
        multiscales.metadata.omero = ngff_zarr.compute_omero_from_multiscales(multiscales)
    path = tmp_path / "peer.ome.zarr"
    ngff_zarr.to_ngff_zarr(str(path), multiscales, version=version)
    multiscale = ome_metadata(path)["multiscales"][0]
    paths = [d["path"] for d in multiscale["datasets"]]
    assert len(paths) == 3 and all("/" in p for p in paths)  # e.g. "scale0/image"
    check_engine_reads_peer_store(path)
    np.testing.assert_array_equal(
        next(iter(xr.open_dataset(path, engine="omezarr").data_vars.values())).values, data
    )
    ds = xr.open_dataset(path, engine="omezarr")
    if channel_names is not None:
        assert [c["label"] for c in ome_metadata(path)["omero"]["channels"]] == channel_names
        assert list(ds["c"].values) == channel_names
    elif "c" in dims:
        assert "c" not in ds.coords  # no omero labels: no channel coordinate is invented


# --- OME-NGFF 0.6 with ngff-zarr (ome-zarr-py 0.21 and ome-zarr-models 1.8: test_ngff06_interop.py) ---------


def level_geometry_06(multiscale: dict[str, Any], level: int) -> tuple[np.ndarray, np.ndarray]:
    """Scale and translation of a 0.6 level: its one transformation (a scale, or a scale and a translation)."""
    (transform,) = multiscale["datasets"][level]["coordinateTransformations"]
    steps = transform["transformations"] if transform["type"] == "sequence" else [transform]
    ndim = len(multiscale["coordinateSystems"][0]["axes"])
    scale, translation = np.ones(ndim), np.zeros(ndim)
    for step in steps:
        if step["type"] == "scale":
            scale = scale * np.asarray(step["scale"], dtype=np.float64)
            translation = translation * np.asarray(step["scale"], dtype=np.float64)
        elif step["type"] == "translation":
            translation = translation + np.asarray(step["translation"], dtype=np.float64)
        else:
            assert step["type"] == "identity", step
    assert "coordinateTransformations" not in multiscale  # neither writer adds multiscale-level ones
    return scale, translation


def assert_coordinates_match_06_metadata(ds: xr.Dataset, multiscale: dict[str, Any], level: int) -> None:
    scale, translation = level_geometry_06(multiscale, level)
    for index, axis in enumerate(multiscale["coordinateSystems"][0]["axes"]):
        if axis.get("type") == "channel":
            continue
        name = axis["name"]
        expected = translation[index] + scale[index] * np.arange(ds.sizes[name], dtype=np.float64)
        np.testing.assert_allclose(ds[name].values, expected, rtol=1e-12, atol=1e-12 * abs(scale[index]))
        if axis.get("unit"):
            assert ds[name].attrs.get("units") == axis["unit"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_ngff_zarr_reads_our_0_6_store(tmp_path: Path, case: str) -> None:
    spec = CASES[case]
    da = make_image(spec["dims"], spec["shape"], coords=spec["coords"], seed=len(case))
    path = tmp_path / f"{case}.ome.zarr"
    da.omezarr.to_zarr(path, scale_factors=spec["scale_factors"], method=spec["method"], version="0.6")
    validate_store(path)
    multiscale = ome_metadata(path)["multiscales"][0]
    assert ome_metadata(path)["version"] == "0.6"
    peer = ngff_zarr.from_ngff_zarr(str(path))
    assert len(peer.images) == len(multiscale["datasets"]) == len(spec["scale_factors"]) + 1
    for level, image in enumerate(peer.images):
        ds = xr.open_dataset(path, engine="omezarr", level=level)
        assert_coordinates_match_06_metadata(ds, multiscale, level)
        variable = ds["img"]
        assert tuple(image.dims) == variable.dims
        scale, translation = level_geometry_06(multiscale, level)
        for index, name in enumerate(variable.dims):
            assert image.scale[name] == pytest.approx(scale[index], rel=1e-12), (level, name)
            assert image.translation[name] == pytest.approx(translation[index], rel=1e-12, abs=1e-12)
            if name != "c" and ds.sizes[name] > 1:
                assert image.translation[name] == pytest.approx(float(ds[name][0]), rel=1e-12, abs=1e-12)
                assert image.scale[name] == pytest.approx(float(ds[name][1] - ds[name][0]), rel=1e-9)
        np.testing.assert_array_equal(np.asarray(image.data), variable.values)
    np.testing.assert_array_equal(np.asarray(peer.images[0].data), da.transpose(*spec_dims(da)).values)


@pytest.mark.parametrize("case", sorted(NGFF_ZARR_CASES))
def test_engine_reads_ngff_zarr_0_6_store(tmp_path: Path, case: str) -> None:
    dims, shape, scale, translation, channel_names = NGFF_ZARR_CASES[case]
    data = np.random.default_rng(11).integers(0, 4000, size=shape, dtype=np.uint16)
    units = {d: "micrometer" for d in dims if d in ("z", "y", "x")}
    image = ngff_zarr.to_ngff_image(
        data, dims=dims, scale=scale, translation=translation, axes_units=units, channel_names=channel_names
    )
    multiscales = ngff_zarr.to_multiscales(
        image, scale_factors=[2, 4], method=ngff_zarr.Methods.ITKWASM_BIN_SHRINK
    )
    path = tmp_path / "peer.ome.zarr"
    ngff_zarr.to_ngff_zarr(str(path), multiscales, version="0.6")
    ome = ome_metadata(path)
    assert ome["version"] == "0.6"
    multiscale = ome["multiscales"][0]
    arrays = peer_arrays(path)
    for level, (peer_image, array) in enumerate(zip(multiscales.images, arrays, strict=True)):
        ds = xr.open_dataset(path, engine="omezarr", level=level)
        variable = next(iter(ds.data_vars.values()))
        assert variable.dims == dims
        np.testing.assert_array_equal(variable.values, array)
        assert_coordinates_match_06_metadata(ds, multiscale, level)
        for name in dims:  # at the peer's own scale and translation of each level
            if name != "c":
                expected = peer_image.translation[name] + peer_image.scale[name] * np.arange(ds.sizes[name])
                np.testing.assert_allclose(ds[name].values, expected, rtol=1e-12, atol=1e-12)
    tree = xr.open_datatree(path, engine="omezarr")
    assert len([node for node in tree.subtree if node.has_data]) == len(arrays)
