"""Lazy coordinates for non-axis-aligned transformations: nothing image-sized until asked for."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from xarray_omezarr.backend.lazy_coordinates import RFC5CoordinateTransform, coordinates_for
from xarray_omezarr.errors import TransformationError
from xarray_omezarr.geometry.rfc5 import Affine, Rotation, Scale, Sequence, Translation

ROTATE_AND_SCALE = Sequence(
    (Scale((0.5, 0.25)), Rotation(((0.6, -0.8), (0.8, 0.6))), Translation((10.0, -3.0)))
)


def test_coordinates_of_a_huge_grid_are_computed_only_where_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    computed: list[int] = []
    forward = RFC5CoordinateTransform.forward

    def counting_forward(self: RFC5CoordinateTransform, dim_positions: dict) -> dict:
        computed.append(int(np.broadcast(*dim_positions.values()).size))
        return forward(self, dim_positions)

    monkeypatch.setattr(RFC5CoordinateTransform, "forward", counting_forward)
    coords = coordinates_for(ROTATE_AND_SCALE, ("i", "j"), (100_000, 100_000), ("y", "x"))
    dataset = xr.Dataset(coords=coords)
    assert dataset["y"].shape == (100_000, 100_000)
    assert dataset["x"].dims == ("i", "j")
    assert computed == []  # creating them, and wrapping them in a Dataset, computes nothing

    rows, columns = [0, 7, 99_999], [12_345, 3, 99_999]
    pointwise = dataset["x"].isel(i=xr.Variable("p", rows), j=xr.Variable("p", columns)).values
    expected = ROTATE_AND_SCALE.apply(np.column_stack([rows, columns]))[:, 1]
    assert np.array_equal(pointwise, expected)
    # (xarray 2026.9 cannot mix a list and an integer on these coordinates: take a slice of one)
    outer = dataset["x"][[0, 7, 99_999], 12_345:12_346].values[:, 0]
    assert np.array_equal(outer, ROTATE_AND_SCALE.apply(np.column_stack([rows, [12_345] * 3]))[:, 1])
    corner = dataset.isel(i=slice(-2, None), j=slice(-3, None))
    assert corner["y"].shape == (2, 3)
    assert max(computed) <= 6


def test_the_values_are_those_apply_gives_exactly() -> None:
    affine = Affine(((0.0, -1.5, 5.0), (1.0, 0.25, -2.0)))
    coords = coordinates_for(affine, ("i", "j"), (4, 5), ("y", "x"))
    data = xr.DataArray(np.zeros((4, 5)), dims=("i", "j"), coords=coords)
    i, j = np.meshgrid(np.arange(4.0), np.arange(5.0), indexing="ij")
    mapped = affine.apply(np.column_stack([i.ravel(), j.ravel()]))
    assert np.array_equal(data["y"].values, mapped[:, 0].reshape(4, 5))
    assert np.array_equal(data["x"].values, mapped[:, 1].reshape(4, 5))
    assert data.isel(i=2, j=3)["x"].item() == mapped[2 * 5 + 3, 1]


def test_nearest_selection_inverts_the_transformation() -> None:
    coords = coordinates_for(ROTATE_AND_SCALE, ("i", "j"), (50, 60), ("y", "x"))
    data = xr.DataArray(np.arange(50 * 60).reshape(50, 60), dims=("i", "j"), coords=coords)
    target = ROTATE_AND_SCALE.apply([[12.0, 34.0]])[0]
    picked = data.sel(y=xr.Variable("p", [target[0]]), x=xr.Variable("p", [target[1]]), method="nearest")
    assert picked.values.tolist() == [12 * 60 + 34]


def test_bad_requests_are_clear_errors() -> None:
    with pytest.raises(TransformationError, match="named like dimensions"):
        coordinates_for(ROTATE_AND_SCALE, ("y", "x"), (4, 4), ("y", "x"))
    with pytest.raises(TransformationError, match=r"gives 2 coordinates, but 3 output axes"):
        coordinates_for(ROTATE_AND_SCALE, ("i", "j"), (4, 4), ("z", "y", "x"))
    with pytest.raises(TransformationError, match="is for 2-dimensional points"):
        coordinates_for(ROTATE_AND_SCALE, ("i",), (4,), ("y", "x"))
