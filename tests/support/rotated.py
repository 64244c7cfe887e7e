"""A rotated image written by us as OME-NGFF 0.6, for the peers to read (``tests/test_interop.py`` on
3.11, ``tests/test_ngff06_interop.py`` on 3.12).

The source is a 0.6 store built by hand: one array mapped to ``intrinsic`` by a unit scale, then a
rotation and a translation from ``intrinsic`` to ``physical`` (the spec's form for transformations that
are not axis-aligned). It is read by the engine (lazy 2-D coordinates), given RFC-4 orientations, and
written by us with a two-level pyramid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
import zarr

import xarray_omezarr  # noqa: F401  (registers the accessor)
from tests.support.builders import make_image

__all__ = ["ROTATION_DEGREES", "TRANSLATION", "rotated_store"]

ROTATION_DEGREES = 30.0
TRANSLATION = [5.0, -3.0]


def rotated_store(tmp_path: Path) -> tuple[xr.DataArray, Path]:
    """A rotated, shifted image (RFC-5 rotation then translation) written by us as 0.6 with a pyramid,
    anatomically oriented."""
    angle = np.deg2rad(ROTATION_DEGREES)
    rotation = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    source = zarr.open_group(tmp_path / "source.ome.zarr", mode="w", zarr_format=3)
    source.create_array("0", data=make_image({"y": 40, "x": 32}, seed=8).values, dimension_names=("y", "x"))
    axes = [{"name": d, "type": "space", "unit": "micrometer"} for d in "yx"]
    source.attrs["ome"] = {
        "version": "0.6",
        "multiscales": [
            {
                "name": "cells",
                "coordinateSystems": [
                    {"name": "physical", "axes": axes},
                    {"name": "intrinsic", "axes": [{"name": d, "type": "space"} for d in "yx"]},
                ],
                "datasets": [
                    {
                        "path": "0",
                        "coordinateTransformations": [
                            {
                                "type": "scale",
                                "scale": [1, 1],
                                "input": {"path": "0"},
                                "output": {"name": "intrinsic"},
                            }
                        ],
                    }
                ],
                "coordinateTransformations": [
                    {
                        "type": "sequence",
                        "transformations": [
                            {"type": "rotation", "rotation": rotation},
                            {"type": "translation", "translation": TRANSLATION},
                        ],
                        "input": {"name": "intrinsic"},
                        "output": {"name": "physical"},
                    }
                ],
            }
        ],
    }
    image = xr.open_dataset(source.store_path.store.root, engine="omezarr")["cells"]  # lazy 2-D coordinates
    for name, value in (("y_physical", "anterior-to-posterior"), ("x_physical", "left-to-right")):
        image[name].attrs["orientation"] = value
    path = tmp_path / "rotated.ome.zarr"
    image.omezarr.to_zarr(path, version="0.6", scale_factors=(2,), method="local_mean")
    return image, path
