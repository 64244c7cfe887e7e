"""HCS plates from xarray: wells of fields of view, each field a full OME-Zarr image.

Two ways in: a dense DataArray with ``row``, ``column`` and ``field`` dims plus the image dims, or
:func:`write_plate` with a mapping of well paths (``"B/3"``) to lists of fields, for sparse plates whose
fields may differ in shape. Everything is checked before anything is written; then the fields are written
one at a time (so memory stays bounded by one field), each well's metadata after its fields, and the
plate's metadata last.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr
import zarr

from .format import as_format
from .plate_spec import check_names, plate_metadata, well_metadata
from .pyramid import DEFAULT_SCALE_FACTORS, ScaleFactors
from .scale import Methods
from .writer import StorageOptions, check_group_fmt, write_plate_metadata, write_well_metadata

__all__ = ["PLATE_DIMS", "plate_fields", "write_plate"]

PLATE_DIMS = ("row", "column", "field")

FieldLike = xr.DataArray | Mapping[str, Any]


def _natural_key(name: str) -> tuple[Any, ...]:
    """Sort "A" < "B" < "AA" and "2" < "10"."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, len(part), part)
        for part in re.findall(r"\d+|\D+", name)
    )


def _field_entry(field: FieldLike, where: str) -> dict[str, Any]:
    entry = dict(field) if isinstance(field, Mapping) else {"image": field}
    image = entry.get("image")
    if not isinstance(image, xr.DataArray):
        raise TypeError(
            f"{where} is not an image: give a DataArray, or a dict with 'image' (a DataArray) and optionally "
            f"'acquisition' and 'labels'; got {type(image).__name__}"
        )
    return entry


def _acquisitions_of(entries: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[dict[str, Any]] | None:
    """The acquisitions the fields name, with the most fields any well has of each; None if they name none."""
    per_well = [[f["acquisition"] for f in fields if "acquisition" in f] for fields in entries.values()]
    named = {ident for well in per_well for ident in well}
    if not named:
        return None
    if any(isinstance(i, bool) or not isinstance(i, int) for i in named):
        return None  # left to the checks of the well metadata, which say what is wrong
    return [
        {
            "id": ident,
            "name": f"acquisition {ident}",
            "maximumfieldcount": max(well.count(ident) for well in per_well),
        }
        for ident in sorted(named)
    ]


def plate_fields(plate: xr.DataArray) -> dict[str, list[xr.DataArray]]:
    """The fields of a dense plate DataArray (dims ``row``, ``column``, ``field`` + image dims) by well path.

    Examples
    --------
    >>> import numpy as np
    >>> da = xr.DataArray(np.zeros((1, 2, 3, 4, 4)), dims=("row", "column", "field", "y", "x"),
    ...                   coords={"row": ["A"], "column": ["1", "2"]})
    >>> {k: len(v) for k, v in plate_fields(da).items()}
    {'A/1': 3, 'A/2': 3}
    """
    missing = [d for d in PLATE_DIMS if d not in plate.dims]
    if missing:
        raise ValueError(
            f"a plate DataArray needs dims {PLATE_DIMS}; {missing} are missing from {plate.dims}"
        )
    rows = [str(v) for v in plate["row"].values] if "row" in plate.coords else []
    rows = rows or [chr(65 + i) for i in range(plate.sizes["row"])]
    columns = [str(v) for v in plate["column"].values] if "column" in plate.coords else []
    columns = columns or [str(i + 1) for i in range(plate.sizes["column"])]
    # checked here: repeated names would silently merge wells in the mapping below
    check_names(rows, "rows")
    check_names(columns, "columns")
    image = plate.drop_vars([d for d in PLATE_DIMS if d in plate.coords])
    return {
        f"{row}/{column}": [image.isel(row=i, column=j, field=k) for k in range(plate.sizes["field"])]
        for i, row in enumerate(rows)
        for j, column in enumerate(columns)
    }


def write_plate(
    store: Any,
    wells: Mapping[str, Sequence[FieldLike]] | xr.DataArray,
    *,
    rows: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    acquisitions: Sequence[Mapping[str, Any]] | None = None,
    field_count: int | None = None,
    name: str | None = None,
    scale_factors: ScaleFactors | str = DEFAULT_SCALE_FACTORS,
    method: Methods | str = Methods.RESIZE,
    version: str = "0.5",
    mode: str = "w-",
    storage_options: StorageOptions = None,
    axis_types: Mapping[str, str | None] | None = None,
    progress: bool = False,
) -> None:
    """Write an HCS plate: every field a full pyramid image, plus well and plate metadata.

    Parameters
    ----------
    store
        Where the plate goes: a path or zarr store.
    wells
        ``{"A/1": [field0, field1, ...], ...}``; a field is a DataArray, or a dict with ``image`` (a
        DataArray), ``acquisition`` (an id of ``acquisitions``) and ``labels`` (``{name: DataArray}``).
        Fields may differ in shape. Or a dense DataArray with dims ``row``, ``column``, ``field`` and the
        image dims (see :func:`plate_fields`).
    rows, columns
        The plate's row and column names; by default those of the wells, in natural order.
    acquisitions
        Dicts with unique non-negative integer ``id`` (and ``name``, ``maximumfieldcount``..., which the
        spec's strict schema asks for). By default, the ids the fields name, each with the largest number
        of its fields in one well as ``maximumfieldcount``.
    field_count
        The largest number of fields per well; counted from ``wells`` by default.
    name
        The plate's name; the DataArray's name, else ``"plate"``.
    scale_factors, method, version, mode, storage_options, axis_types, progress
        As for :func:`xarray_omezarr.to_zarr`, for every field.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> field = xr.DataArray(np.zeros((16, 16), "uint8"), dims=("y", "x"))
    >>> write_plate(zarr.storage.MemoryStore(), {"A/1": [field], "B/3": [field, field]}, scale_factors=(2,))
    """
    from .api import to_zarr

    if isinstance(wells, xr.DataArray):
        name = name if name is not None else (str(wells.name) if wells.name is not None else None)
        wells = plate_fields(wells)
    fmt = as_format(version)
    entries = {
        path: [_field_entry(f, f"field {i} of well {path!r}") for i, f in enumerate(fields)]
        for path, fields in wells.items()
    }
    for path in entries:
        if not isinstance(path, str) or path.count("/") != 1:
            raise ValueError(f"well {path!r} must be a '<row>/<column>' path")
    row_names = (
        list(rows) if rows is not None else sorted({p.split("/")[0] for p in entries}, key=_natural_key)
    )
    column_names = (
        list(columns) if columns is not None else sorted({p.split("/")[1] for p in entries}, key=_natural_key)
    )
    counts = [len(fields) for fields in entries.values()]
    if acquisitions is None:
        acquisitions = _acquisitions_of(entries)
    plate_block = plate_metadata(
        row_names,
        column_names,
        list(entries),
        version=fmt.version,
        acquisitions=acquisitions,
        field_count=field_count if field_count is not None else max(counts, default=0) or None,
        name=name if name is not None else "plate",
    )
    ids = [a["id"] for a in plate_block.get("acquisitions", [])]
    well_blocks = {}
    for path, fields in entries.items():
        images = [
            {"path": str(i)} | ({"acquisition": f["acquisition"]} if "acquisition" in f else {})
            for i, f in enumerate(fields)
        ]
        well_blocks[path] = well_metadata(images, version=None, acquisitions=ids)

    def write_field(entry: Mapping[str, Any], target: Any, compute: bool) -> None:
        to_zarr(
            entry["image"],
            target,
            scale_factors=scale_factors,
            method=method,
            version=fmt.version,
            storage_options=storage_options,
            axis_types=axis_types,
            labels=entry.get("labels"),
            mode="w",
            compute=compute,
            progress=progress and compute,
        )

    # a dry run: every field (with its labels) is prepared in memory, not computed, so that anything
    # zarr or the writer would refuse is refused before the first field is written
    for fields in entries.values():
        for entry in fields:
            write_field(entry, zarr.storage.MemoryStore(), compute=False)

    # everything is checked: write field by field, then the wells, then the plate
    root, fmt = check_group_fmt(store, fmt, mode=mode)
    for path, fields in entries.items():
        for i, entry in enumerate(fields):
            write_field(entry, root.store_path / path / str(i), compute=True)
        root.require_group(path.split("/")[0])  # the row group
        write_well_metadata(root.require_group(path), well_blocks[path]["images"], fmt=fmt)
    write_plate_metadata(
        root,
        [r["name"] for r in plate_block["rows"]],
        [c["name"] for c in plate_block["columns"]],
        plate_block["wells"],
        fmt=fmt,
        acquisitions=plate_block.get("acquisitions"),
        field_count=plate_block.get("field_count"),
        name=plate_block.get("name"),
    )
