"""OME metadata and files of a store on disk, read as plain JSON and bytes (no zarr, no package code).

Examples
--------
>>> import pathlib, tempfile
>>> import numpy as np, xarray as xr
>>> import xarray_omezarr  # noqa: F401  (registers the accessor)
>>> image = xr.DataArray(np.ones((4, 4), "uint8"), dims=("y", "x"))
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = pathlib.Path(tmp) / "img.ome.zarr"
...     _ = image.omezarr.to_zarr(path, scale_factors=(), version="0.5")
...     print(ome_metadata(path)["version"], sorted(group_attributes(path)), sorted(metadata_files(path)))
0.5 ['ome'] ['0/zarr.json', 'zarr.json']
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tests.support.validators import read_attributes

__all__ = [
    "METADATA_FILES",
    "assert_same_files",
    "data_files",
    "edit_ome",
    "group_attributes",
    "metadata_files",
    "ome_metadata",
    "snapshot",
    "store_files",
]

METADATA_FILES = frozenset({"zarr.json", ".zattrs", ".zgroup", ".zarray"})
"""The names of Zarr v2 and v3 metadata files."""

PathLike = str | os.PathLike[str]


# --- OME attributes -------------------------------------------------------------------------------------


def group_attributes(group_dir: PathLike) -> dict[str, Any]:
    """Return a group's attributes exactly as stored.

    Parameters
    ----------
    group_dir
        The group's directory: Zarr v3 (``zarr.json``, its ``attributes``) or Zarr v2 (``.zgroup``, with
        the attributes in ``.zattrs``; ``{}`` when there is none yet).

    Returns
    -------
    dict
        For OME-NGFF 0.5 ``{"ome": {...}}``, for 0.4 the OME keys themselves.

    Raises
    ------
    AssertionError
        If there is no Zarr group in ``group_dir``.
    """
    return read_attributes(group_dir)[1]


def ome_metadata(group_dir: PathLike) -> dict[str, Any]:
    """Return the dict that holds a group's OME keys (``multiscales``, ``plate``, ``labels``...).

    Parameters
    ----------
    group_dir
        The group's directory.

    Returns
    -------
    dict
        ``attributes["ome"]`` of a Zarr v3 group (``{}`` without one), the attributes of a Zarr v2 group.
    """
    zarr_format, attributes = read_attributes(group_dir)
    if zarr_format == 3:
        ome = attributes.get("ome")
        return ome if isinstance(ome, dict) else {}
    return attributes


def edit_ome(group_dir: PathLike, edit: Callable[[dict[str, Any]], Any]) -> None:
    """Change a group's OME metadata in place, in its JSON file.

    Parameters
    ----------
    group_dir
        The group's directory (Zarr v3: ``zarr.json``; Zarr v2: ``.zattrs``).
    edit
        Called with the dict holding the OME keys (see :func:`ome_metadata`), which it changes in place.
    """
    group_dir = Path(group_dir)
    if (group_dir / "zarr.json").is_file():
        document = json.loads((group_dir / "zarr.json").read_text())
        edit(document["attributes"]["ome"])
        (group_dir / "zarr.json").write_text(json.dumps(document))
    else:
        document = json.loads((group_dir / ".zattrs").read_text())
        edit(document)
        (group_dir / ".zattrs").write_text(json.dumps(document))


# --- files and snapshots --------------------------------------------------------------------------------


def store_files(root: PathLike) -> dict[str, bytes]:
    """Return every file under ``root`` and its bytes, by POSIX path relative to ``root``.

    Parameters
    ----------
    root
        A local store (or any directory).

    Returns
    -------
    dict
        ``{"zarr.json": b"...", "0/c/0/0": b"..."}``, sorted by path.
    """
    root = Path(root)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def metadata_files(root: PathLike) -> dict[str, bytes]:
    """Return the Zarr metadata files under ``root`` (``zarr.json``, ``.zattrs``, ``.zgroup``, ``.zarray``).

    Parameters
    ----------
    root
        A local store.

    Returns
    -------
    dict
        As :func:`store_files`, metadata files only.
    """
    return {k: v for k, v in store_files(root).items() if k.rsplit("/", 1)[-1] in METADATA_FILES}


def data_files(root: PathLike) -> dict[str, bytes]:
    """Return the files under ``root`` that are not Zarr metadata: the stored chunks and shards.

    Parameters
    ----------
    root
        A local store, or the directory of one array.

    Returns
    -------
    dict
        As :func:`store_files`, without metadata files.
    """
    return {k: v for k, v in store_files(root).items() if k.rsplit("/", 1)[-1] not in METADATA_FILES}


def snapshot(root: PathLike) -> dict[str, bytes | None]:
    """Return every file's bytes and every directory (as ``None``) under ``root``, by relative path.

    Two equal snapshots mean a byte-identical tree: no file changed, none and no directory was added or
    removed.

    Parameters
    ----------
    root
        Any directory.

    Returns
    -------
    dict
        ``{"0": None, "0/zarr.json": b"...", ...}``, sorted by path.
    """
    root = Path(root)
    return {
        p.relative_to(root).as_posix(): None if p.is_dir() else p.read_bytes()
        for p in sorted(root.rglob("*"))
    }


def assert_same_files(actual: Mapping[str, bytes], expected: Mapping[str, bytes]) -> None:
    """Assert that two stores given as their files (see :func:`store_files`) are byte-identical.

    Parameters
    ----------
    actual, expected
        Files or objects by relative path.

    Raises
    ------
    AssertionError
        Naming the paths that only one side has, or whose bytes differ.
    """
    assert sorted(actual) == sorted(expected)
    different = [key for key in expected if actual[key] != expected[key]]
    assert not different, f"objects whose bytes differ: {different}"
