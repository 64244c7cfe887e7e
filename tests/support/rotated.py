"""A rotated image written by us as OME-NGFF 0.6, for the peers to read (``tests/test_interop.py`` on
3.11, ``tests/test_ngff06_interop.py`` on 3.12).

``hand_built_store`` builds a 0.6 store by hand: one array mapped to ``intrinsic`` by a unit scale, then a
rotation and a translation from ``intrinsic`` to ``physical`` (the spec's form for transformations that
are not axis-aligned). It is read by the engine (lazy 2-D coordinates), given RFC-4 orientations, and
written by us with a two-level pyramid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import zarr

import xarray_omezarr  # noqa: F401  (registers the accessor)

__all__ = ["AXES", "ROTATION_DEGREES", "TRANSLATION", "hand_built_store", "rotated_store"]

ROTATION_DEGREES = 30.0
TRANSLATION = [5.0, -3.0]
AXES = [
    {"name": "y", "type": "space", "unit": "micrometer"},
    {"name": "x", "type": "space", "unit": "micrometer"},
]


def hand_built_store(
    path: Path, transform: dict[str, Any], shape: tuple[int, int] = (4, 6), *, data: bool = True
) -> Path:
    """A 0.6 image built by hand: the dataset maps to 'intrinsic' by a unit scale, then ``transform``
    leads from 'intrinsic' to 'physical' (the spec's form for transformations that are not axis-aligned)."""
    group = zarr.open_group(path, mode="w", zarr_format=3)
    array = group.create_array(
        "s0", shape=shape, dtype="uint8", chunks=tuple(min(n, 1000) for n in shape), fill_value=0,
        dimension_names=("y", "x"),
    )  # fmt: skip
    if data:
        array[:] = (np.arange(np.prod(shape)) % 251).reshape(shape)
    group.attrs["ome"] = {
        "version": "0.6",
        "multiscales": [
            {
                "name": "cells",
                "coordinateSystems": [
                    {"name": "physical", "axes": AXES},
                    {
                        "name": "intrinsic",
                        "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
                    },
                ],
                "datasets": [
                    {
                        "path": "s0",
                        "coordinateTransformations": [
                            {
                                "type": "scale",
                                "scale": [1, 1],
                                "input": {"path": "s0"},
                                "output": {"name": "intrinsic"},
                            }
                        ],
                    }
                ],
                "coordinateTransformations": [
                    {**transform, "input": {"name": "intrinsic"}, "output": {"name": "physical"}}
                ],
            }
        ],
    }
    return path


def rotated_store(tmp_path: Path) -> tuple[xr.DataArray, Path]:
    """A rotated, shifted image (RFC-5 rotation then translation) written by us as 0.6 with a pyramid,
    anatomically oriented."""
    angle = np.deg2rad(ROTATION_DEGREES)
    rotation = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    sequence = {
        "type": "sequence",
        "transformations": [
            {"type": "rotation", "rotation": rotation},
            {"type": "translation", "translation": TRANSLATION},
        ],
    }
    source = hand_built_store(tmp_path / "source.ome.zarr", sequence, (40, 32))
    image = xr.open_dataset(source, engine="omezarr")["cells"]  # lazy 2-D coordinates
    for name, value in (("y_physical", "anterior-to-posterior"), ("x_physical", "left-to-right")):
        image[name].attrs["orientation"] = value
    path = tmp_path / "rotated.ome.zarr"
    image.omezarr.to_zarr(path, version="0.6", scale_factors=(2,), method="local_mean")
    return image, path
