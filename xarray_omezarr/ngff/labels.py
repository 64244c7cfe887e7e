"""What the spec asks of label images, checked without touching a store.

Label images hold integers (segmentation ids); their ``image-label`` metadata lists display colours and
properties per label value, each value at most once, and points back at the image they annotate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import InvalidImageError

__all__ = ["SOURCE_IMAGE", "check_label_name", "image_label_metadata"]

SOURCE_IMAGE = "../../"
"""Where a label image (``<image>/labels/<name>``) finds its image."""


def check_label_name(name: Any) -> str:
    """A label name usable as a group name under ``labels/``.

    Examples
    --------
    >>> check_label_name("../x")
    Traceback (most recent call last):
    ...
    xarray_omezarr.errors.InvalidImageError: a label name must be a non-empty string without '/'; got '../x'
    """
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or name in (".", ".."):
        raise InvalidImageError(f"a label name must be a non-empty string without '/'; got {name!r}")
    return name


def _label_values(entries: Sequence[Mapping[str, Any]], what: str) -> None:
    seen: set[int] = set()
    for entry in entries:
        if not isinstance(entry, Mapping) or "label-value" not in entry:
            raise InvalidImageError(f"every entry of {what} needs a 'label-value'; got {entry!r}")
        value = entry["label-value"]
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise InvalidImageError(f"{what} label-value must be an integer; got {value!r}")
        if int(value) in seen:
            raise InvalidImageError(f"{what} lists label-value {int(value)} more than once")
        seen.add(int(value))


def _checked_colors(colors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    _label_values(colors, "colors")
    out = []
    for entry in colors:
        rgba = entry.get("rgba")
        if (
            not isinstance(rgba, Sequence)
            or len(rgba) != 4
            or any(
                isinstance(c, bool) or not isinstance(c, int | np.integer) or not 0 <= c <= 255 for c in rgba
            )
        ):
            raise InvalidImageError(
                f"colors rgba of label {entry['label-value']} must be four integers from 0 to 255; got {rgba!r}"
            )
        out.append({"label-value": int(entry["label-value"]), "rgba": [int(c) for c in rgba]})
    return out


def image_label_metadata(
    colors: Sequence[Mapping[str, Any]] | None = None,
    properties: Sequence[Mapping[str, Any]] | None = None,
    *,
    versioned: bool = False,
    version: str | None = None,
    **metadata: Any,
) -> dict[str, Any]:
    """The ``image-label`` block, checked: unique integer label values, rgba of four ints in 0..255.

    Examples
    --------
    >>> image_label_metadata([{"label-value": 1, "rgba": [255, 0, 0, 255]}])
    {'colors': [{'label-value': 1, 'rgba': [255, 0, 0, 255]}], 'source': {'image': '../../'}}
    """
    block: dict[str, Any] = {}
    if versioned:
        block["version"] = version
    if colors:  # an empty list is left out: the schema wants at least one entry
        block["colors"] = _checked_colors(colors)
    if properties:
        _label_values(properties, "properties")
        block["properties"] = [dict(p) | {"label-value": int(p["label-value"])} for p in properties]
    block["source"] = dict(metadata.pop("source", {"image": SOURCE_IMAGE}))
    block.update(metadata)
    return block
