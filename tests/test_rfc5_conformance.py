"""The RFC-5 conformance cases: each maps its source points to its target points, or must fail.

The cases (``tests/data/rfc5-conformance-cases``, see ``tests/data/README.md``) are OME-NGFF 0.6
scenes; ``transform_points`` reads each store as a user would.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from xarray_omezarr import transform_points
from xarray_omezarr.coordinate_systems import read_transformation_graph
from xarray_omezarr.errors import TransformationError
from xarray_omezarr.geometry.rfc5 import Bijection, Transformation

CASES = Path(__file__).parent / "data" / "rfc5-conformance-cases" / "cases"
CASE_PATHS = sorted(CASES.glob("*.ome.zarr"))


def conformance(case: Path) -> dict[str, Any]:
    with open(case / "conformance.toml", "rb") as f:
        return tomllib.load(f)


def has_bijection(t: Transformation) -> bool:
    return isinstance(t, Bijection) or any(has_bijection(s) for s in getattr(t, "transformations", ()))


def test_all_24_cases_are_here() -> None:
    assert len(CASE_PATHS) == 24


@pytest.mark.parametrize("case", CASE_PATHS, ids=[p.name.removesuffix(".ome.zarr") for p in CASE_PATHS])
def test_conformance_case(case: Path) -> None:
    spec = conformance(case)
    source, target = spec["source"], spec["target"]
    if spec["should_error"]:
        with pytest.raises(TransformationError, match=r"unknown (source|target) system"):
            transform_points(case, source["coordinates"], source=source["name"], target=target["name"])
        return
    tolerances = {"rtol": spec["relative_tolerance"], "atol": spec["absolute_tolerance"]}
    mapped = transform_points(case, source["coordinates"], source=source["name"], target=target["name"])
    np.testing.assert_allclose(mapped, np.asarray(target["coordinates"], dtype=float), **tolerances)

    graph = read_transformation_graph(case)
    chain = graph.path(source["name"], target["name"])
    if all(t.invertible for t in chain) and not any(has_bijection(t) for t in chain):
        # a bijection's inverse is what the store says it is (the cases give one that is not the
        # forward's inverse on purpose), so only the other chains must bring the points back
        back = transform_points(case, target["coordinates"], source=target["name"], target=source["name"])
        np.testing.assert_allclose(back, np.asarray(source["coordinates"], dtype=float), **tolerances)
