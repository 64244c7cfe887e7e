"""HCS plate and well metadata, built and checked as the spec requires, without touching a store.

A plate lists its rows and columns (unique alphanumeric names), its wells (``"<row>/<column>"`` paths
whose indices point at those names), and optionally its acquisitions (unique non-negative ids). A well
lists its fields of view (unique alphanumeric paths), each optionally tied to an acquisition.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InvalidImageError

__all__ = ["check_names", "plate_metadata", "well_metadata", "well_path"]

_ALPHANUMERIC = re.compile(r"^[A-Za-z0-9]+$")


def _refuse_repeats(values: Sequence[str], what: str) -> None:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise InvalidImageError(f"{what} must be unique; {repeated} appear more than once")


def check_names(values: Sequence[Any], what: str) -> list[str]:
    """Row or column names (``what`` is "rows" or "columns"): unique, letters and digits only."""
    names = [str(v) for v in values]
    if not names:
        raise InvalidImageError(f"a plate needs at least one {what[:-1]}")
    for name in names:
        if not _ALPHANUMERIC.match(name):
            raise InvalidImageError(
                f"{what[:-1]} name {name!r} must be alphanumeric (letters and digits only)"
            )
    _refuse_repeats(names, what)
    return names


def well_path(row: str, column: str) -> str:
    """The path of the well in ``row`` and ``column``.

    Examples
    --------
    >>> well_path("B", "03")
    'B/03'
    """
    return f"{row}/{column}"


def _well(entry: str | Mapping[str, Any], rows: list[str], columns: list[str]) -> dict[str, Any]:
    if isinstance(entry, str):
        parts = entry.split("/")
        if len(parts) != 2:
            raise InvalidImageError(f"well path {entry!r} must be '<row>/<column>'")
        row, column = parts
        if row not in rows or column not in columns:
            raise InvalidImageError(
                f"well {entry!r} is not in the plate: its row must be one of {rows} and its column one of {columns}"
            )
        return {"path": entry, "rowIndex": rows.index(row), "columnIndex": columns.index(column)}
    if not isinstance(entry, Mapping) or not {"path", "rowIndex", "columnIndex"} <= set(entry):
        raise InvalidImageError(
            f"a well must be a '<row>/<column>' string or a dict with path, rowIndex, columnIndex; got {entry!r}"
        )
    built = _well(str(entry["path"]), rows, columns)
    if (entry["rowIndex"], entry["columnIndex"]) != (built["rowIndex"], built["columnIndex"]):
        raise InvalidImageError(
            f"well {entry['path']!r} has rowIndex {entry['rowIndex']} and columnIndex {entry['columnIndex']}, but "
            f"its path points at row {built['rowIndex']} and column {built['columnIndex']}"
        )
    return dict(entry) | built


def _acquisitions(acquisitions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    seen: set[int] = set()
    for acquisition in acquisitions:
        ident = acquisition.get("id") if isinstance(acquisition, Mapping) else None
        if isinstance(ident, bool) or not isinstance(ident, int) or ident < 0:
            raise InvalidImageError(
                f"every acquisition needs an 'id' that is a non-negative integer; got {acquisition!r}"
            )
        if ident in seen:
            raise InvalidImageError(f"acquisition id {ident} appears more than once")
        seen.add(ident)
        for key in ("maximumfieldcount",):
            if key in acquisition and (not isinstance(acquisition[key], int) or acquisition[key] < 1):
                raise InvalidImageError(f"acquisition {ident} {key} must be a positive integer")
        out.append(dict(acquisition))
    return out


def plate_metadata(
    rows: Sequence[str],
    columns: Sequence[str],
    wells: Sequence[str | Mapping[str, Any]],
    *,
    version: str,
    acquisitions: Sequence[Mapping[str, Any]] | None = None,
    field_count: int | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """The ``plate`` block, checked.

    Examples
    --------
    >>> plate_metadata(["A", "B"], ["1", "2"], ["B/2"], version="0.5", name="p")["wells"]
    [{'path': 'B/2', 'rowIndex': 1, 'columnIndex': 1}]
    """
    row_names = check_names(rows, "rows")
    column_names = check_names(columns, "columns")
    built = [_well(w, row_names, column_names) for w in wells]
    if not built:
        raise InvalidImageError("a plate needs at least one well")
    _refuse_repeats([w["path"] for w in built], "wells")
    plate: dict[str, Any] = {}
    if acquisitions is not None:
        plate["acquisitions"] = _acquisitions(acquisitions)
    plate["columns"] = [{"name": c} for c in column_names]
    if field_count is not None:
        if isinstance(field_count, bool) or not isinstance(field_count, int) or field_count < 1:
            raise InvalidImageError(f"field_count must be a positive integer; got {field_count!r}")
        plate["field_count"] = field_count
    if name is not None:
        plate["name"] = str(name)
    plate["rows"] = [{"name": r} for r in row_names]
    plate["version"] = version
    plate["wells"] = built
    return plate


def well_metadata(
    images: Sequence[str | Mapping[str, Any]],
    *,
    version: str | None,
    acquisitions: Sequence[int] | None = None,
) -> dict[str, Any]:
    """The ``well`` block, checked; ``acquisitions`` are the plate's ids, which every field must use.

    Examples
    --------
    >>> well_metadata(["0", {"path": "1", "acquisition": 3}], version=None)
    {'images': [{'path': '0'}, {'path': '1', 'acquisition': 3}]}
    """
    built = []
    for image in images:
        entry = {"path": image} if isinstance(image, str) else dict(image)
        path = entry.get("path")
        if not isinstance(path, str) or not _ALPHANUMERIC.match(path):
            raise InvalidImageError(f"field path {path!r} must be alphanumeric (letters and digits only)")
        if "acquisition" in entry:
            ident = entry["acquisition"]
            if isinstance(ident, bool) or not isinstance(ident, int) or ident < 0:
                raise InvalidImageError(
                    f"field {path!r} acquisition must be a non-negative integer id; got {ident!r}"
                )
            if acquisitions is not None and ident not in acquisitions:
                raise InvalidImageError(
                    f"field {path!r} names acquisition {ident}, which the plate does not list"
                )
        elif acquisitions is not None and len(acquisitions) > 1:
            raise InvalidImageError(
                f"field {path!r} must name its acquisition: the plate has several {list(acquisitions)}"
            )
        built.append(entry)
    if not built:
        raise InvalidImageError("a well needs at least one field")
    _refuse_repeats([e["path"] for e in built], "field paths")
    block: dict[str, Any] = {"images": built}
    if version is not None:
        block["version"] = version
    return block
