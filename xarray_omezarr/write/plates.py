"""Planning HCS plates: wells of fields of view, each field a full image planned like any other.

Two ways in: a dense DataArray with ``row``, ``column`` and ``field`` dims plus the image dims, or a
mapping of well paths (``"B/3"``) to lists of fields, for sparse plates whose fields may differ in
shape. :func:`plan_plate` checks everything (the plate and well documents, and every field with its
labels, through the image planner) before the engine writes the first field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import xarray as xr

from ..describe import DEFAULT_NAME, describe_image
from ..errors import InvalidImageError, InvalidImageTypeError
from ..ngff import Format
from ..ngff.plate import check_names, plate_metadata, well_metadata
from ..scale import Methods
from ..scale.levels import ScaleFactors
from .labels import LabelPlan, plan_labels
from .options import StorageOptions
from .plan import ImagePlan, plan_image

__all__ = ["PLATE_DIMS", "FieldPlan", "PlatePlan", "plan_plate", "plate_fields"]

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
        raise InvalidImageTypeError(
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
        raise InvalidImageError(
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


@dataclass(frozen=True)
class FieldPlan:
    """One field of view: its image's plan and its labels' plans."""

    image: ImagePlan
    labels: tuple[LabelPlan, ...] = ()


@dataclass(frozen=True)
class PlatePlan:
    """A whole plate: each well's fields, each well's ``well`` block, and the ``plate`` block."""

    fields: dict[str, tuple[FieldPlan, ...]]
    wells: dict[str, dict[str, Any]]
    plate: dict[str, Any]
    fmt: Format
    consolidated: bool = True
    """Whether zarr's consolidated metadata is written at the plate's root, after everything else."""


def plan_plate(
    wells: Mapping[str, Sequence[FieldLike]] | xr.DataArray,
    fmt: Format,
    *,
    rows: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    acquisitions: Sequence[Mapping[str, Any]] | None = None,
    field_count: int | None = None,
    name: str | None = None,
    scale_factors: ScaleFactors | str,
    method: Methods | str,
    storage_options: StorageOptions = None,
    axis_types: Mapping[str, str | None] | None = None,
    consolidated: bool = True,
) -> PlatePlan:
    """Plan a plate: its documents and every field (with its labels), as :func:`~.write_plate` writes them.

    Examples
    --------
    >>> import numpy as np
    >>> from xarray_omezarr.ngff import FormatV05
    >>> field = xr.DataArray(np.zeros((16, 16), "uint8"), dims=("y", "x"))
    >>> plan = plan_plate({"A/1": [field], "B/3": [field, field]}, FormatV05(), scale_factors=(2,),
    ...                   method="local_mean")
    >>> plan.plate["rows"], len(plan.fields["B/3"])
    ([{'name': 'A'}, {'name': 'B'}], 2)
    """
    if isinstance(wells, xr.DataArray):
        name = name if name is not None else (str(wells.name) if wells.name is not None else None)
        wells = plate_fields(wells)
    entries = {
        path: [_field_entry(f, f"field {i} of well {path!r}") for i, f in enumerate(fields)]
        for path, fields in wells.items()
    }
    for path in entries:
        if not isinstance(path, str) or path.count("/") != 1:
            raise InvalidImageError(f"well {path!r} must be a '<row>/<column>' path")
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
        well_blocks[path] = well_metadata(
            images, version=fmt.version if fmt.versioned_blocks else None, acquisitions=ids
        )

    def field_plan(entry: Mapping[str, Any]) -> FieldPlan:
        described = describe_image(entry["image"], axis_types=axis_types)
        image = plan_image(
            described.changed(name=described.image.name or DEFAULT_NAME),
            fmt,
            scale_factors=scale_factors,
            method=method,
            storage_options=storage_options,
        )
        labels = plan_labels(entry.get("labels") or {}, image.image, fmt, storage_options=storage_options)
        return FieldPlan(image, tuple(labels))

    planned = {
        path: tuple(field_plan(entry) for entry in field_entries) for path, field_entries in entries.items()
    }
    return PlatePlan(planned, well_blocks, plate_block, fmt, consolidated)
