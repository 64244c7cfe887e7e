"""Fixtures shared by the test modules; helpers to import live in :mod:`tests.support`."""

from __future__ import annotations

# The spec's schemas and test cases are data, not tests: pytest (and --doctest-modules) leaves them alone.
collect_ignore = ["data"]
