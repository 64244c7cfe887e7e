"""Fixtures shared by the test modules; helpers to import live in :mod:`tests.support`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

# The spec's schemas and test cases are data, not tests: pytest (and --doctest-modules) leaves them alone.
collect_ignore = ["data"]


@pytest.fixture(scope="session")
def new_store(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Return a function that gives a path for a new store, in a directory of its own.

    Session-scoped, so that hypothesis tests can use it for every example they run: each call gives a
    path that does not exist yet.

    Examples
    --------
    ::

        def test_write(new_store):
            path = new_store("image.ome.zarr")  # .../store0/image.ome.zarr, not there yet
    """

    def make(name: str = "image.ome.zarr") -> Path:
        return tmp_path_factory.mktemp("store") / name

    return make
