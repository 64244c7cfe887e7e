"""Label images: written beside their image, on its grid at every level, and read back on its coordinates.

1. ``to_zarr(labels=...)`` for OME-NGFF 0.4 and 0.5 and images downsampled on the block grid
   (``local_mean``, ``resize``) and on the sampling grid (``nearest``): the stores pass the independent
   validators, ome-zarr-py finds the label images and their colours, each label level lies on the image
   level (coordinates) and holds the expected downsampling (``mode`` or ``nearest``).
2. Reading with ``engine="omezarr"``: labels as data variables, ``labels=False``, a label named like the
   image, a label group opened directly; a Dataset read with its labels writes the same JSON again.
3. ``to_zarr_label`` adds a label later without touching the image or the other labels.
4. Bad input is refused before anything is written: no new store, or an existing store unchanged byte
   for byte.
5. ``compute=False`` lists a label only once its delayed write is computed.
6. The seed-compatible ``write_labels``, ``write_multiscale_labels`` and ``write_label_metadata``.
"""

from __future__ import annotations

import inspect
import itertools
import shutil
from pathlib import Path
from typing import Any

import dask
import numpy as np
import pytest
import xarray as xr
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st

import xarray_omezarr  # noqa: F401  (registers the accessor)
from tests.support.builders import make_image, random_label, regular
from tests.support.stores import metadata_files, ome_metadata, store_files
from tests.support.validators import validate_store
from xarray_omezarr import writer
from xarray_omezarr.scale import downsample
from xarray_omezarr.testing import VERSIONS, images, labels, methods, scale_factors, versions
from xarray_omezarr.write import engine

IMAGE_METHODS = ("local_mean", "resize", "nearest")
SPACE = ("z", "y", "x")

# odd sizes everywhere; z is downsampled at the last level only, so the voxels get closer to cubic
SHAPE = {"c": 2, "z": 5, "y": 37, "x": 29}
SCALE_FACTORS = ({"y": 2, "x": 2}, {"z": 2, "y": 4, "x": 4})
FACTORS = [(1, 1, 1), (1, 2, 2), (2, 4, 4)]  # cumulative (z, y, x) factors of each level
# non-zero origins, anisotropic spacing
GEOMETRY = {"z": (-3.0, 2.0), "y": (10.0, 0.5), "x": (-4.0, 0.25)}  # (origin, step)

CELL_COLORS = [
    {"label-value": 1, "rgba": [255, 0, 0, 255]},
    {"label-value": 2, "rgba": [0, 128, 255, 64]},
    {"label-value": 3, "rgba": [10, 20, 30, 0]},
]
CELL_PROPERTIES = [
    {"label-value": 1, "class": "nucleus", "area": 12.5},
    {"label-value": 2, "class": "cytoplasm"},
    {"label-value": 3, "class": "background"},
]
NUCLEI_COLORS = [{"label-value": 7, "rgba": [0, 255, 0, 255]}]


# --- helpers -------------------------------------------------------------------------------------------


def space_coords(shape: dict[str, int] = SHAPE) -> dict[str, xr.Variable]:
    return {
        name: regular(name, shape[name], origin, step, "micrometer")
        for name, (origin, step) in GEOMETRY.items()
    }


def grid_image(shape: dict[str, int] = SHAPE, seed: int = 0) -> xr.DataArray:
    """The image (named channels, z/y/x on ``GEOMETRY``'s grid) that the labels belong to."""
    coords: dict[str, Any] = {"c": ["DAPI", "GFP"][: shape["c"]], **space_coords(shape)}
    return make_image(shape, coords=coords, seed=seed)


def make_label(
    seed: int, high: int = 4, dtype: str = "uint16", shape: dict[str, int] = SHAPE
) -> xr.DataArray:
    return random_label(grid_image(shape), seed=seed, high=high, dtype=dtype)


def label_method(image_method: str) -> str:
    return "nearest" if image_method == "nearest" else "mode"


def expected_levels(values: np.ndarray, image_method: str) -> list[np.ndarray]:
    """What each label level must hold: ``mode`` chained level by level, or ``nearest`` by slicing."""
    if image_method == "nearest":
        return [values[tuple(slice(None, None, f) for f in factors)] for factors in FACTORS]
    levels = [values]
    for before, after in itertools.pairwise(FACTORS):
        relative = tuple(a // b for a, b in zip(after, before, strict=True))
        levels.append(np.asarray(downsample(levels[-1], relative, "mode")))
    return levels


def listed_labels(image_dir: Path) -> list[str]:
    labels_dir = image_dir / "labels"
    if not (labels_dir / "zarr.json").exists() and not (labels_dir / ".zattrs").exists():
        return []
    return list(ome_metadata(labels_dir).get("labels", []))


def expected_block(version: str, colors: Any = None, properties: Any = None) -> dict[str, Any]:
    block: dict[str, Any] = {"version": version} if version == "0.4" else {}
    if colors is not None:
        block["colors"] = colors
    if properties is not None:
        block["properties"] = properties
    block["source"] = {"image": "../../"}
    return block


def write_store(path: Path, version: str, image_method: str) -> None:
    grid_image().omezarr.to_zarr(
        path,
        scale_factors=SCALE_FACTORS,
        method=image_method,
        version=version,
        labels={"cells": make_label(1), "nuclei": make_label(2, high=9, dtype="int32")},
        label_metadata={"cells": {"colors": CELL_COLORS, "properties": CELL_PROPERTIES}},
    )


@pytest.fixture(scope="module", params=[(v, m) for v in VERSIONS for m in IMAGE_METHODS], ids=str)
def store(request, tmp_path_factory) -> tuple[Path, str, str]:
    """An image with two labels written in one call (read-only: tests that write copy it)."""
    version, image_method = request.param
    path = tmp_path_factory.mktemp("labels") / "img.ome.zarr"
    write_store(path, version, image_method)
    return path, version, image_method


def copy_of(store_path: Path, tmp_path: Path) -> Path:
    target = tmp_path / f"copy{len(list(tmp_path.glob('copy*')))}.ome.zarr"
    shutil.copytree(store_path, target)
    return target


# --- 1. writing in one call ----------------------------------------------------------------------------


def test_store_validates_and_lists_both_labels(store):
    path, version, image_method = store
    validate_store(path)
    assert listed_labels(path) == ["cells", "nuclei"]
    cells = ome_metadata(path / "labels" / "cells")
    assert cells["image-label"] == expected_block(version, CELL_COLORS, CELL_PROPERTIES)
    assert ome_metadata(path / "labels" / "nuclei")["image-label"] == expected_block(version)
    assert cells["multiscales"][0]["type"] == label_method(image_method)
    if version == "0.5":
        assert ome_metadata(path)["version"] == ome_metadata(path / "labels")["version"] == "0.5"
        assert "version" not in cells["image-label"]
    else:
        assert cells["multiscales"][0]["version"] == "0.4"


@pytest.mark.parametrize("version", VERSIONS)
def test_strict_label_schema_when_every_label_has_colors(tmp_path, version):
    path = tmp_path / "img.ome.zarr"
    grid_image().omezarr.to_zarr(
        path,
        scale_factors=SCALE_FACTORS,
        method="local_mean",
        version=version,
        labels={"cells": make_label(1), "nuclei": make_label(2, high=9, dtype="int32")},
        label_metadata={"cells": {"colors": CELL_COLORS}, "nuclei": {"colors": NUCLEI_COLORS}},
    )
    validate_store(path, strict_labels=True)
    assert ome_metadata(path / "labels" / "nuclei")["image-label"]["colors"] == NUCLEI_COLORS
    # the strict check is real: a label without colours fails it
    to_zarr_label_plain = make_label(3)
    to_zarr_label_plain.omezarr.to_zarr_label(path, "plain")
    with pytest.raises(AssertionError):
        validate_store(path, strict_labels=True)


def test_ome_zarr_py_finds_labels_and_colors(store):
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader

    path, _, _ = store
    nodes = list(Reader(parse_url(str(path)))())
    image_levels = len(ome_metadata(path)["multiscales"][0]["datasets"])
    found = {}
    for node in nodes:
        parts = str(node.zarr.path).rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2] == "labels":
            found[parts[-1]] = node
    assert set(found) == {"cells", "nuclei"}
    expected = {c["label-value"]: [v / 255 for v in c["rgba"]] for c in CELL_COLORS}
    color = found["cells"].metadata["color"]
    assert set(color) == set(expected)
    for value, rgba in expected.items():
        assert color[value] == pytest.approx(rgba)
    assert not found["nuclei"].metadata.get("color")
    for node in found.values():
        assert len(node.data) == image_levels == len(FACTORS)
    np.testing.assert_array_equal(np.asarray(found["cells"].data[0]), make_label(1).values)


def test_label_levels_lie_on_image_levels(store):
    path, _, image_method = store
    tree = xr.open_datatree(path, engine="omezarr")
    assert set(tree["labels"].children) == {"cells", "nuclei"}
    for name in ("cells", "nuclei"):
        assert set(tree["labels"][name].children) == set(tree.children) - {"labels"}
        assert len(tree["labels"][name].children) == len(FACTORS)
    for level in range(len(FACTORS)):
        image = tree[str(level)].dataset
        for name in ("cells", "nuclei"):
            label = tree[f"labels/{name}/{level}"].dataset
            for dim in SPACE:
                assert label.sizes[dim] == image.sizes[dim], (name, level, dim)
                np.testing.assert_array_equal(label[dim].values, image[dim].values, err_msg=f"{name} {level}")
            assert "c" not in label.dims
    # level 2 has the expected geometry: block grid for local_mean/resize, sampling grid for nearest
    z, y = tree["2"]["z"].values, tree["2"]["y"].values
    if image_method == "nearest":
        np.testing.assert_allclose(y[:2], [10.0, 12.0])
        np.testing.assert_allclose(z[:2], [-3.0, 1.0])
    else:
        np.testing.assert_allclose(y[:2], [10.75, 12.75])
        np.testing.assert_allclose(z[:2], [-2.0, 2.0])


def test_label_axes_are_the_image_space_axes(store):
    """The label lies on the image's grid in micrometres: its axes keep the image's units."""
    path, _, _ = store
    image_axes = ome_metadata(path)["multiscales"][0]["axes"]
    assert [a["name"] for a in image_axes] == ["c", *SPACE]
    assert all(a.get("unit") == "micrometer" for a in image_axes[1:])
    for name in ("cells", "nuclei"):
        assert ome_metadata(path / "labels" / name)["multiscales"][0]["axes"] == image_axes[1:], name
    tree = xr.open_datatree(path, engine="omezarr")
    for dim in SPACE:
        assert tree["labels/cells/1"][dim].attrs.get("units") == tree["1"][dim].attrs["units"]


def test_label_data_are_the_expected_downsampling(store):
    path, _, image_method = store
    tree = xr.open_datatree(path, engine="omezarr")
    for name, label in (("cells", make_label(1)), ("nuclei", make_label(2, high=9, dtype="int32"))):
        expected = expected_levels(label.values, image_method)
        for level, values in enumerate(expected):
            stored = tree[f"labels/{name}/{level}"].dataset[name]
            assert stored.dtype == label.dtype
            np.testing.assert_array_equal(stored.values, values, err_msg=f"{name} level {level}")


def test_mode_is_the_majority_of_each_block():
    """Independent of the package: where a 1x2x2 block has a strict majority, level 1 holds it."""
    values = make_label(1).values
    level1 = expected_levels(values, "local_mean")[1]
    nearest = expected_levels(values, "nearest")[1]
    checked = 0
    for z in range(level1.shape[0]):
        for y in range(level1.shape[1]):
            for x in range(level1.shape[2]):
                block = values[z, 2 * y : 2 * y + 2, 2 * x : 2 * x + 2].ravel()
                counts = np.bincount(block)
                if (counts == counts.max()).sum() == 1:
                    assert level1[z, y, x] == counts.argmax()
                    checked += 1
    assert checked > 100
    # mode and nearest differ on this data, so the tests above tell them apart
    assert not np.array_equal(level1, nearest[tuple(slice(0, n) for n in level1.shape)])


@settings(max_examples=15, deadline=None)
@given(image=images(max_side=16), method=methods(), version=versions(), data=st.data())
def test_any_label_lies_on_its_image_at_every_level(new_store, image, method, version, data):
    label = data.draw(labels(image), label="label")
    factors = data.draw(scale_factors(image, method), label="scale_factors")
    path = new_store("img.ome.zarr")
    image.omezarr.to_zarr(path, scale_factors=factors, method=method, version=version, labels={"seg": label})
    validate_store(path)
    assert listed_labels(path) == ["seg"]
    if factors:  # without levels there is nothing to downsample, and no grid to follow
        assert ome_metadata(path / "labels" / "seg")["multiscales"][0]["type"] == label_method(method)
    tree = xr.open_datatree(path, engine="omezarr")
    assert len(tree["labels/seg"].children) == len(factors) + 1
    for level in range(len(factors) + 1):
        ds = xr.open_dataset(path, engine="omezarr", level=level)
        read = ds["seg"]
        assert "c" not in read.dims and read.dtype == label.dtype
        for dim in read.dims:
            np.testing.assert_array_equal(read[dim].values, ds[dim].values)
            assert read.sizes[dim] == ds[image.name or "image"].sizes[dim]
    level0 = xr.open_dataset(path, engine="omezarr")["seg"]
    np.testing.assert_array_equal(level0.values, label.transpose(*level0.dims).values)


# --- 2. reading ----------------------------------------------------------------------------------------


def test_round_trip_through_the_engine(store):
    path, version, image_method = store
    sources = {"cells": make_label(1), "nuclei": make_label(2, high=9, dtype="int32")}
    blocks = {
        "cells": expected_block(version, CELL_COLORS, CELL_PROPERTIES),
        "nuclei": expected_block(version),
    }
    for level in range(len(FACTORS)):
        ds = xr.open_dataset(path, engine="omezarr", level=level)
        assert set(ds.data_vars) == {"img", "cells", "nuclei"}
        for name, source in sources.items():
            label = ds[name]
            assert label.dims == SPACE
            assert label.dtype == source.dtype
            np.testing.assert_array_equal(label.values, expected_levels(source.values, image_method)[level])
            for dim in SPACE:
                assert label[dim].equals(ds["img"][dim])
            assert label.attrs["image-label"] == blocks[name]
            assert label.attrs["ome"]["multiscales"][0]["name"] == name
            assert label.attrs["ome"]["image-label"] == blocks[name]
    ds0 = xr.open_dataset(path, engine="omezarr")
    xr.testing.assert_identical(ds0["cells"].drop_attrs(deep=False), sources["cells"].rename("cells"))


def test_write_read_write_reproduces_every_json_file(store, tmp_path):
    path, version, image_method = store
    ds = xr.open_dataset(path, engine="omezarr")
    again = tmp_path / "again.ome.zarr"
    assert ds.omezarr.to_zarr(again, scale_factors=SCALE_FACTORS, method=image_method, version=version) == []
    before, after = metadata_files(path), metadata_files(again)
    assert set(after) == set(before)
    assert any(k.startswith("labels/cells/") for k in before)
    for key, content in before.items():
        assert after[key] == content, key
    for level, values in enumerate(expected_levels(make_label(1).values, image_method)):
        np.testing.assert_array_equal(zarr.open_array(again / "labels" / "cells" / str(level))[...], values)


def test_labels_false_leaves_them_out(store):
    path, _, _ = store
    ds = xr.open_dataset(path, engine="omezarr", labels=False)
    assert list(ds.data_vars) == ["img"]
    with_labels = xr.open_dataset(path, engine="omezarr", level=1)
    assert set(with_labels.data_vars) == {"img", "cells", "nuclei"}


@pytest.mark.parametrize("version", VERSIONS)
def test_label_named_like_the_image(tmp_path, version):
    path = tmp_path / "img.ome.zarr"
    image, label = grid_image(), make_label(4)
    image.omezarr.to_zarr(
        path,
        scale_factors=SCALE_FACTORS,
        method="local_mean",
        version=version,
        labels={"img": label},
        label_metadata={"img": {"colors": CELL_COLORS}},
    )
    validate_store(path, strict_labels=True)
    ds = xr.open_dataset(path, engine="omezarr")
    assert set(ds.data_vars) == {"img", "img_label"}
    np.testing.assert_array_equal(ds["img"].values, image.values)
    np.testing.assert_array_equal(ds["img_label"].values, label.values)
    assert ds["img_label"].attrs["image-label"]["colors"] == CELL_COLORS
    # written again, the label keeps its stored name
    again = tmp_path / "again.ome.zarr"
    ds.omezarr.to_zarr(again, scale_factors=SCALE_FACTORS, method="local_mean", version=version)
    assert listed_labels(again) == ["img"]
    assert metadata_files(again) == metadata_files(path)


def test_open_a_label_group_directly(store):
    path, version, image_method = store
    label_dir = path / "labels" / "cells"
    ds = xr.open_dataset(label_dir, engine="omezarr", level=1)
    assert list(ds.data_vars) == ["cells"]
    image = xr.open_dataset(path, engine="omezarr", level=1)
    for dim in SPACE:
        np.testing.assert_array_equal(ds[dim].values, image[dim].values)
    np.testing.assert_array_equal(ds["cells"].values, expected_levels(make_label(1).values, image_method)[1])
    tree = xr.open_datatree(label_dir, engine="omezarr")
    assert set(tree.children) == {"0", "1", "2"}
    assert tree.attrs["ome"]["image-label"] == expected_block(version, CELL_COLORS, CELL_PROPERTIES)


# --- 3. adding a label later ---------------------------------------------------------------------------


def labels_group_file(version: str) -> str:
    return "labels/zarr.json" if version == "0.5" else "labels/.zattrs"


def test_to_zarr_label_keeps_image_and_other_labels(store, tmp_path):
    source, version, image_method = store
    path = copy_of(source, tmp_path)
    before = store_files(path)
    extra = make_label(5, high=6, dtype="uint8")
    colors = [{"label-value": 5, "rgba": [1, 2, 3, 4]}]
    assert extra.omezarr.to_zarr_label(path, "extra", colors=colors) == []
    after = store_files(path)
    changed = {labels_group_file(version)}
    for key, content in before.items():
        if key not in changed:
            assert after.get(key) == content, f"{key} was modified"
    assert all(k in before or k.startswith("labels/extra/") for k in after)
    assert listed_labels(path) == ["cells", "nuclei", "extra"]
    assert ome_metadata(path / "labels")["labels"] == ["cells", "nuclei", "extra"]
    validate_store(path)
    ome = ome_metadata(path / "labels" / "extra")
    assert ome["image-label"] == expected_block(version, colors)
    assert ome["multiscales"][0]["type"] == label_method(image_method)
    tree = xr.open_datatree(path, engine="omezarr")
    for level, values in enumerate(expected_levels(extra.values, image_method)):
        node = tree[f"labels/extra/{level}"].dataset
        np.testing.assert_array_equal(node["extra"].values, values)
        for dim in SPACE:
            np.testing.assert_array_equal(node[dim].values, tree[str(level)][dim].values)


@pytest.mark.parametrize("version", VERSIONS)
def test_to_zarr_label_takes_colors_from_attrs_of_a_read_label(tmp_path, version):
    path = tmp_path / "img.ome.zarr"
    write_store(path, version, "local_mean")
    cells = xr.open_dataset(path, engine="omezarr")["cells"]
    cells.omezarr.to_zarr_label(path, "copy")
    assert ome_metadata(path / "labels" / "copy")["image-label"] == expected_block(
        version, CELL_COLORS, CELL_PROPERTIES
    )
    assert listed_labels(path) == ["cells", "nuclei", "copy"]


@pytest.mark.parametrize("version", VERSIONS)
def test_to_zarr_label_on_an_image_without_labels(tmp_path, version):
    path = tmp_path / "img.ome.zarr"
    grid_image().omezarr.to_zarr(path, scale_factors=(2, 4), method="nearest", version=version)
    mask = xr.DataArray(make_label(6).values > 1, dims=SPACE, coords=space_coords())
    mask.omezarr.to_zarr_label(path, "mask")
    assert listed_labels(path) == ["mask"]
    validate_store(path)
    ds = xr.open_dataset(path, engine="omezarr", level=2)
    assert ds["mask"].dtype == np.uint8
    np.testing.assert_array_equal(ds["mask"].values, mask.values[:, ::4, ::4].astype("uint8"))
    assert ome_metadata(path / "labels" / "mask")["multiscales"][0]["type"] == "nearest"


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        (np.arange(0, 5, dtype=float), "uint32"),
        (np.arange(-2, 3, dtype=float), "int32"),
    ],
)
def test_cast_whole_number_floats(tmp_path, values, dtype):
    path = tmp_path / "img.ome.zarr"
    grid_image().omezarr.to_zarr(path, scale_factors=(2,), method="local_mean")
    data = np.broadcast_to(values[:, None, None], tuple(SHAPE[d] for d in SPACE)).copy()
    label = xr.DataArray(data, dims=SPACE, coords=space_coords())
    label.omezarr.to_zarr_label(path, "cast", cast=True)
    stored = zarr.open_array(path / "labels" / "cast" / "0")
    assert stored.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(stored[...], data)


@pytest.mark.parametrize("version", VERSIONS)
def test_mode_w_replaces_a_label(tmp_path, version):
    path = tmp_path / "img.ome.zarr"
    write_store(path, version, "local_mean")
    replacement = make_label(9)
    with pytest.raises(FileExistsError, match="cells"):
        replacement.omezarr.to_zarr_label(path, "cells")
    replacement.omezarr.to_zarr_label(path, "cells", mode="w", colors=NUCLEI_COLORS)
    assert listed_labels(path) == ["cells", "nuclei"]
    ds = xr.open_dataset(path, engine="omezarr")
    np.testing.assert_array_equal(ds["cells"].values, replacement.values)
    assert ds["cells"].attrs["image-label"]["colors"] == NUCLEI_COLORS
    validate_store(path)


# --- 4. bad input, refused before anything is written --------------------------------------------------

SMALL = {"c": 2, "z": 3, "y": 9, "x": 7}


def small_label(**changes: Any) -> xr.DataArray:
    return make_label(11, shape=SMALL, **changes)


def relabel(label: xr.DataArray, **coords: Any) -> xr.DataArray:
    return label.assign_coords({k: xr.Variable(k, v) for k, v in coords.items()})


def bad_grid_cases() -> dict[str, tuple[Any, type[Exception], str]]:
    good = small_label()
    y0, dy = GEOMETRY["y"]
    z0, dz = GEOMETRY["z"]
    x0, dx = GEOMETRY["x"]
    return {
        "size-x": (good.isel(x=slice(0, 6)), ValueError, r"does not lie on the image's grid along 'x'"),
        "origin-y": (
            relabel(good, y=y0 + dy / 2 + dy * np.arange(SMALL["y"])),
            ValueError,
            r"does not lie on the image's grid along 'y'",
        ),
        "spacing-z": (
            relabel(good, z=z0 + dz * 2 * np.arange(SMALL["z"])),
            ValueError,
            r"does not lie on the image's grid along 'z'",
        ),
        "spacing-x": (
            relabel(good, x=x0 + dx / 2 * np.arange(SMALL["x"])),
            ValueError,
            r"does not lie on the image's grid along 'x'",
        ),
        "channel-axis": (
            good.expand_dims(c=["DAPI", "GFP"]),
            ValueError,
            r"channel axis 'c'",
        ),
        "missing-z": (good.isel(z=0, drop=True), ValueError, r"lacks the image's space axes \['z'\]"),
        "extra-axis": (good.expand_dims(t=1), ValueError, r"axis 't'.*does not have"),
        "float": (good.astype("float32"), TypeError, r"must be integers"),
        "complex": (good.astype("complex64"), TypeError, r"must be integers"),
    }


BAD_METADATA: dict[str, tuple[dict[str, Any], str]] = {
    "colors-duplicate": (
        {"colors": [{"label-value": 1, "rgba": [1, 2, 3, 4]}, {"label-value": 1, "rgba": [5, 6, 7, 8]}]},
        "label-value 1 more than once",
    ),
    "colors-float-value": ({"colors": [{"label-value": 1.5, "rgba": [1, 2, 3, 4]}]}, "must be an integer"),
    "colors-bool-value": ({"colors": [{"label-value": True, "rgba": [1, 2, 3, 4]}]}, "must be an integer"),
    "colors-string-value": ({"colors": [{"label-value": "1", "rgba": [1, 2, 3, 4]}]}, "must be an integer"),
    "colors-no-value": ({"colors": [{"rgba": [1, 2, 3, 4]}]}, "needs a 'label-value'"),
    "rgba-three": ({"colors": [{"label-value": 1, "rgba": [1, 2, 3]}]}, "four integers from 0 to 255"),
    "rgba-five": ({"colors": [{"label-value": 1, "rgba": [1, 2, 3, 4, 5]}]}, "four integers from 0 to 255"),
    "rgba-256": ({"colors": [{"label-value": 1, "rgba": [256, 0, 0, 255]}]}, "four integers from 0 to 255"),
    "rgba-negative": (
        {"colors": [{"label-value": 1, "rgba": [0, -1, 0, 255]}]},
        "four integers from 0 to 255",
    ),
    "rgba-float": ({"colors": [{"label-value": 1, "rgba": [0, 0.5, 0, 255]}]}, "four integers from 0 to 255"),
    "rgba-missing": ({"colors": [{"label-value": 1}]}, "four integers from 0 to 255"),
    "properties-duplicate": (
        {"properties": [{"label-value": 2, "a": 1}, {"label-value": 2, "a": 2}]},
        "label-value 2 more than once",
    ),
    "properties-float-value": ({"properties": [{"label-value": 2.0}]}, "must be an integer"),
    "properties-no-value": ({"properties": [{"class": "x"}]}, "needs a 'label-value'"),
}


@pytest.fixture(scope="module")
def small_stores(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """Template images (no labels yet and one label ``cells``), copied by each test that writes."""
    stores = {}
    for version in VERSIONS:
        for image_method in ("local_mean", "nearest"):
            path = tmp_path_factory.mktemp("small") / "img.ome.zarr"
            grid_image(SMALL).omezarr.to_zarr(
                path,
                scale_factors=(2,),
                method=image_method,
                version=version,
                labels={"cells": small_label()},
            )
            stores[version, image_method] = path
    return stores


def assert_refused_new_store(tmp_path: Path, version: str, error: type[Exception], match: str, **kwargs: Any):
    path = tmp_path / "new.ome.zarr"
    with pytest.raises(error, match=match):
        grid_image(SMALL).omezarr.to_zarr(
            path, scale_factors=(2,), method="local_mean", version=version, **kwargs
        )
    assert not path.exists(), f"{sorted(store_files(path))} were written before the error"


def assert_refused_existing(
    small_stores,
    tmp_path,
    version,
    error,
    match,
    label=None,
    name="extra",
    image_method="local_mean",
    **kwargs,
):
    path = copy_of(small_stores[version, image_method], tmp_path)
    before = store_files(path)
    label = small_label() if label is None else label
    with pytest.raises(error, match=match):
        label.omezarr.to_zarr_label(path, name, **kwargs)
    assert store_files(path) == before


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", sorted(bad_grid_cases()))
def test_to_zarr_refuses_bad_label_before_writing(tmp_path, version, case):
    label, error, match = bad_grid_cases()[case]
    # the good label comes first: it must not be written either
    assert_refused_new_store(tmp_path, version, error, match, labels={"good": small_label(), "bad": label})


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", sorted(bad_grid_cases()))
def test_to_zarr_label_refuses_bad_label_before_writing(small_stores, tmp_path, version, case):
    label, error, match = bad_grid_cases()[case]
    assert_refused_existing(small_stores, tmp_path, version, error, match, label=label)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", sorted(BAD_METADATA))
def test_to_zarr_refuses_bad_label_metadata_before_writing(tmp_path, version, case):
    metadata, match = BAD_METADATA[case]
    assert_refused_new_store(
        tmp_path,
        version,
        ValueError,
        match,
        labels={"good": small_label(), "bad": small_label()},
        label_metadata={"bad": metadata},
    )


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", sorted(BAD_METADATA))
def test_to_zarr_label_refuses_bad_label_metadata_before_writing(small_stores, tmp_path, version, case):
    metadata, match = BAD_METADATA[case]
    assert_refused_existing(small_stores, tmp_path, version, ValueError, match, **metadata)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("key", ["colors", "properties"])
def test_empty_colors_or_properties_never_make_an_invalid_store(small_stores, tmp_path, version, key):
    """The schemas ask for at least one entry: refuse an empty list, or leave the key out."""
    path = copy_of(small_stores[version, "local_mean"], tmp_path)
    before = store_files(path)
    try:
        small_label().omezarr.to_zarr_label(path, "empty", **{key: []})
    except ValueError:
        assert store_files(path) == before
    else:
        assert ome_metadata(path / "labels" / "empty")["image-label"].get(key, None) != []
        validate_store(path)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ["a/b", "", ".."])
def test_bad_label_names_are_refused_before_writing(small_stores, tmp_path, version, name):
    assert_refused_existing(small_stores, tmp_path, version, ValueError, "label name", name=name)
    assert_refused_new_store(tmp_path, version, ValueError, "label name", labels={name: small_label()})


@pytest.mark.parametrize("version", VERSIONS)
def test_float_labels_with_cast(small_stores, tmp_path, version):
    label = small_label()
    fractional = label.astype("float64") + 0.5
    assert_refused_existing(
        small_stores, tmp_path, version, ValueError, "not whole numbers", fractional, cast=True
    )
    with_nan = label.astype("float64").where(label > 0)
    assert_refused_existing(
        small_stores, tmp_path, version, ValueError, "not whole numbers", with_nan, cast=True
    )
    complex_label = label.astype("complex128")
    assert_refused_existing(
        small_stores, tmp_path, version, TypeError, "must be integers", complex_label, cast=True
    )


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("image_method", "method", "match"),
    [
        ("local_mean", "resize", "would invent label values"),
        ("local_mean", "local_mean", "would invent label values"),
        ("nearest", "gaussian", "would invent label values"),
        ("local_mean", "nearest", "use method='mode'"),
        ("nearest", "mode", "use method='nearest'"),
        ("local_mean", "bogus", "unknown downsampling method"),
    ],
)
def test_label_method_refused(small_stores, tmp_path, version, image_method, method, match):
    assert_refused_existing(
        small_stores, tmp_path, version, ValueError, match, image_method=image_method, method=method
    )


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("image_method", "method"), [("local_mean", "mode"), ("nearest", "nearest")])
def test_explicit_label_method_on_its_grid(small_stores, tmp_path, version, image_method, method):
    path = copy_of(small_stores[version, image_method], tmp_path)
    small_label(high=3).omezarr.to_zarr_label(path, "explicit", method=method)
    assert ome_metadata(path / "labels" / "explicit")["multiscales"][0]["type"] == method
    assert listed_labels(path) == ["cells", "explicit"]


@pytest.mark.parametrize("version", VERSIONS)
def test_existing_label_name_is_refused(small_stores, tmp_path, version):
    assert_refused_existing(small_stores, tmp_path, version, FileExistsError, "'cells'", name="cells")


@pytest.mark.parametrize("version", VERSIONS)
def test_the_image_chunks_suit_its_labels(tmp_path, version):
    """Chunks for a (c, z, y, x) image either suit its labels too or are refused before anything is written."""
    path = tmp_path / "img.ome.zarr"
    try:
        grid_image(SMALL).omezarr.to_zarr(
            path,
            scale_factors=(2,),
            version=version,
            storage_options={"chunks": (1, 3, 8, 8)},
            labels={"cells": small_label()},
        )
    except ValueError:
        assert not path.exists(), f"{sorted(store_files(path))} were written before the error"
    else:
        assert listed_labels(path) == ["cells"]


@pytest.mark.parametrize("version", VERSIONS)
def test_no_image_to_add_a_label_to(tmp_path, version):
    path = tmp_path / "missing.ome.zarr"
    with pytest.raises(FileNotFoundError):
        small_label().omezarr.to_zarr_label(path, "cells")
    assert not path.exists()


# --- 5. compute=False ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_to_zarr_label_compute_false_lists_the_label_once_computed(small_stores, tmp_path, version):
    path = copy_of(small_stores[version, "local_mean"], tmp_path)
    label = small_label(high=5)
    delayed = label.omezarr.to_zarr_label(path, "late", compute=False)
    assert len(delayed) == 1
    assert listed_labels(path) == ["cells"]
    assert "late" not in xr.open_dataset(path, engine="omezarr").data_vars
    dask.compute(*delayed)
    assert listed_labels(path) == ["cells", "late"]
    np.testing.assert_array_equal(xr.open_dataset(path, engine="omezarr")["late"].values, label.values)
    validate_store(path)


@pytest.mark.parametrize("version", VERSIONS)
def test_to_zarr_with_labels_compute_false(tmp_path, version):
    path = tmp_path / "img.ome.zarr"
    delayed = grid_image(SMALL).omezarr.to_zarr(
        path, scale_factors=(2,), version=version, compute=False, labels={"cells": small_label()}
    )
    assert delayed
    assert listed_labels(path) == []
    dask.compute(*delayed)
    assert listed_labels(path) == ["cells"]
    validate_store(path)


# --- 6. the seed-compatible functions -------------------------------------------------------------------

SEED_LABEL_SIGNATURES = {
    "write_labels": [
        "labels",
        "group",
        "name",
        "scaler",
        "scale_factors",
        "method",
        "fmt",
        "axes",
        "coordinate_transformations",
        "storage_options",
        "label_metadata",
        "compute",
    ],
    "write_multiscale_labels": [
        "pyramid",
        "group",
        "name",
        "fmt",
        "axes",
        "coordinate_transformations",
        "storage_options",
        "label_metadata",
        "compute",
    ],
    "write_label_metadata": ["group", "name", "colors", "properties", "fmt"],
}


@pytest.mark.parametrize("function", sorted(SEED_LABEL_SIGNATURES))
def test_seed_label_signatures(function):
    parameters = inspect.signature(getattr(writer, function)).parameters
    assert list(parameters)[: len(SEED_LABEL_SIGNATURES[function])] == SEED_LABEL_SIGNATURES[function]
    if function == "write_labels":
        assert tuple(parameters["scale_factors"].default) == (2, 4, 8, 16)
        assert parameters["method"].default == "nearest"
        assert parameters["mode"].default == "w-"
        assert parameters["cast"].default is False


def seed_image(path: Path, version: str) -> np.ndarray:
    data = np.random.default_rng(3).integers(0, 4, (16, 12)).astype("uint8")
    writer.write_image(data * 10, str(path), scale_factors=(2,), method="nearest", fmt=version)
    return data


@pytest.mark.parametrize("version", VERSIONS)
def test_write_labels_seed(tmp_path, version):
    path = tmp_path / "img.ome.zarr"
    data = seed_image(path, version)
    colors = [{"label-value": 2, "rgba": [9, 8, 7, 6]}]
    assert (
        writer.write_labels(data, str(path), "seg", scale_factors=(2,), label_metadata={"colors": colors})
        == []
    )
    ome = ome_metadata(path / "labels" / "seg")
    assert ome["image-label"] == expected_block(version, colors)
    assert ome["image-label"]["source"] == {"image": "../../"}
    assert listed_labels(path) == ["seg"]
    np.testing.assert_array_equal(zarr.open_array(path / "labels" / "seg" / "1")[...], data[::2, ::2])
    validate_store(path, strict_labels=True)
    with pytest.raises(FileExistsError):
        writer.write_labels(data, str(path), "seg", scale_factors=(2,))
    with pytest.raises(ValueError, match="would invent label values"):
        writer.write_labels(data, str(path), "other", scale_factors=(2,), method="resize")
    with pytest.raises(TypeError, match="must be integers"):
        writer.write_labels(data.astype(float), str(path), "other", scale_factors=(2,))
    assert listed_labels(path) == ["seg"]
    assert not (path / "labels" / "other").exists()


@pytest.mark.parametrize("version", VERSIONS)
def test_write_labels_on_a_missing_image(tmp_path, version):
    path = tmp_path / "missing.ome.zarr"
    with pytest.raises(FileNotFoundError):
        writer.write_labels(np.zeros((8, 8), "uint8"), str(path), "seg", scale_factors=(2,), fmt=version)
    assert not path.exists()


@pytest.mark.parametrize("version", VERSIONS)
def test_write_multiscale_labels_and_label_metadata(tmp_path, version):
    path = tmp_path / "img.ome.zarr"
    data = seed_image(path, version)
    pyramid = [data, data[::2, ::2]]
    writer.write_multiscale_labels(
        pyramid, str(path), "seg", axes="yx", label_metadata={"properties": [{"label-value": 1, "k": "v"}]}
    )
    assert listed_labels(path) == ["seg"]
    ome = ome_metadata(path / "labels" / "seg")
    assert ome["image-label"] == expected_block(version, properties=[{"label-value": 1, "k": "v"}])
    assert [d["path"] for d in ome["multiscales"][0]["datasets"]] == ["0", "1"]
    with pytest.raises(TypeError, match="must be integers"):
        writer.write_multiscale_labels([data.astype("float32")], str(path), "flt", axes="yx")
    assert not (path / "labels" / "flt").exists()

    group = zarr.open_group(path, mode="r+")
    colors = [{"label-value": 3, "rgba": [0, 0, 0, 255]}]
    writer.write_label_metadata(group["labels"], "seg", colors=colors)
    assert ome_metadata(path / "labels" / "seg")["image-label"] == expected_block(version, colors)
    assert ome_metadata(path / "labels" / "seg")["multiscales"][0]["name"] == "seg"
    before = store_files(path)
    with pytest.raises(ValueError, match="four integers"):
        writer.write_label_metadata(group["labels"], "seg", colors=[{"label-value": 3, "rgba": [0, 0, 0]}])
    with pytest.raises(ValueError, match="more than once"):
        writer.write_label_metadata(
            group["labels"], "seg", properties=[{"label-value": 3}, {"label-value": 3}]
        )
    with pytest.raises(ValueError, match="not a group"):
        writer.write_label_metadata(group["labels/seg"], "0", colors=colors)
    assert store_files(path) == before


@pytest.mark.parametrize("version", VERSIONS)
def test_label_is_listed_after_its_data_and_metadata(tmp_path, version, monkeypatch):
    path = tmp_path / "img.ome.zarr"
    data = seed_image(path, version)
    seen = []
    original = engine.list_label

    def checking_list_label(labels_group, name, fmt):
        ome = ome_metadata(path / "labels" / name)
        seen.append(name)
        assert "multiscales" in ome and "image-label" in ome
        np.testing.assert_array_equal(zarr.open_array(path / "labels" / name / "1")[...], data[::2, ::2])
        return original(labels_group, name, fmt)

    monkeypatch.setattr(engine, "list_label", checking_list_label)
    writer.write_labels(data, str(path), "seg", scale_factors=(2,))
    assert seen == ["seg"]
    assert listed_labels(path) == ["seg"]

    # an interrupted write never lists the label
    def broken(*args, **kwargs):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(engine, "write_image_label", broken)
    with pytest.raises(RuntimeError, match="interrupted"):
        writer.write_labels(data, str(path), "half", scale_factors=(2,))
    assert listed_labels(path) == ["seg"]
    assert "half" not in xr.open_dataset(path, engine="omezarr").data_vars
