"""What a store holds, as plain data: the tree of images, levels, labels, wells and plates.

:func:`summarize` reads the models (:mod:`.read`) and the arrays' storage and returns JSON-ready
dicts, which ``xarray-omezarr info`` prints (as text, or with ``--json``) and the notebook view
renders. Nothing here writes.

Examples
--------
>>> import numpy as np, xarray as xr, zarr, xarray_omezarr
>>> store = zarr.storage.MemoryStore()
>>> _ = xr.DataArray(np.zeros((8, 8), "u1"), dims=("y", "x")).omezarr.to_zarr(store, scale_factors=(2,))
>>> info = summarize(zarr.open_group(store, mode="r"))
>>> info["kind"], [level["shape"] for level in info["levels"]]
('image', [[8, 8], [4, 4]])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import zarr

from .model import Multiscale
from .read import child_group, group_ome, label_names, read_multiscale, read_plate, read_well

__all__ = ["codec_names", "render_text", "summarize"]


def codec_names(array: zarr.Array) -> list[str]:
    """The array's codecs, short: ``["blosc(cname=zstd, clevel=1, shuffle=shuffle)"]``.

    Filters, serializer and compressors in order; a sharded array's inner codecs are shown inside.
    """
    names = []
    for codec in (
        *array.filters,
        *([array.serializer] if array.serializer is not None else []),
        *array.compressors,
    ):
        names.append(_codec_name(codec))
    return names


def _codec_name(codec: Any) -> str:
    if hasattr(codec, "to_dict"):  # a Zarr v3 codec
        described = codec.to_dict()
        name, config = described.get("name", type(codec).__name__), described.get("configuration") or {}
    else:  # a numcodecs codec (Zarr v2)
        config = dict(codec.get_config())
        name = config.pop("id", type(codec).__name__)
    inner = config.pop("codecs", None)
    parts = [f"{k}={v}" for k, v in config.items() if not isinstance(v, list | dict)]
    if inner:
        parts.append("codecs=[" + ", ".join(_codec_name_from_dict(c) for c in inner) + "]")
    return f"{name}({', '.join(parts)})" if parts else str(name)


def _codec_name_from_dict(described: Mapping[str, Any]) -> str:
    config = described.get("configuration") or {}
    parts = [f"{k}={v}" for k, v in config.items() if not isinstance(v, list | dict)]
    return f"{described.get('name')}({', '.join(parts)})" if parts else str(described.get("name"))


def _image(group: zarr.Group, image: Multiscale) -> dict[str, Any]:
    levels = []
    for level in image.levels:
        array = group[level.path]
        assert isinstance(array, zarr.Array)
        levels.append(
            {
                "path": level.path,
                "shape": list(level.shape),
                "dtype": str(array.dtype),
                "chunks": list(array.chunks),
                "shards": list(array.shards) if array.shards is not None else None,
                "codecs": codec_names(array),
                "scale": {a.name: g.scale for a, g in zip(image.axes, level.geometry, strict=True)},
                "translation": {
                    a.name: g.translation for a, g in zip(image.axes, level.geometry, strict=True)
                },
            }
        )
    channels = [
        {k: c[k] for k in ("label", "color", "window", "active") if k in c}
        for c in (image.omero or {}).get("channels", [])
        if isinstance(c, Mapping)
    ]
    return {
        "kind": "image",
        "name": image.name,
        "version": image.version,
        "method": image.method,
        "axes": [{"name": a.name, "type": a.type, "unit": a.unit} for a in image.axes],
        "levels": levels,
        "channels": channels,
    }


def summarize(group: zarr.Group) -> dict[str, Any]:
    """The hierarchy at ``group`` as JSON-ready data: an image (levels, channels, labels), a well or a plate."""
    ome = group_ome(group)
    if isinstance(ome.get("plate"), Mapping):
        plate = read_plate(group)
        wells = []
        for well in plate.wells:
            fields = [f.path for f in read_well(child_group(group, well.path, "well")).fields]
            wells.append({"path": well.path, "fields": fields})
        first = next(((w["path"], w["fields"][0]) for w in wells if w["fields"]), None)
        field = summarize(child_group(group, f"{first[0]}/{first[1]}", "field")) if first else None
        return {
            "kind": "plate",
            "name": plate.name,
            "version": plate.version,
            "rows": list(plate.rows),
            "columns": list(plate.columns),
            "wells": wells,
            "first_field": field,
        }
    if isinstance(ome.get("well"), Mapping):
        well = read_well(group)
        return {
            "kind": "well",
            "fields": {f.path: summarize(child_group(group, f.path, "field")) for f in well.fields},
        }
    out = _image(group, read_multiscale(group))
    labels = {}
    for name in label_names(group):
        node = child_group(child_group(group, "labels", "labels group"), name, "label image")
        labels[name] = _image(node, read_multiscale(node))
    out["labels"] = labels
    return out


def _number(value: float) -> str:
    return f"{value:g}"


def _image_lines(image: Mapping[str, Any], indent: str) -> list[str]:
    units = {a["name"]: a["unit"] for a in image["axes"]}
    axes = ", ".join(
        f"{a['name']} ({a['type'] or 'custom'}{', ' + a['unit'] if a['unit'] else ''})" for a in image["axes"]
    )
    lines = [f"{indent}axes: {axes}", f"{indent}method: {image['method'] or 'not recorded'}"]
    for level in image["levels"]:
        shape = " x ".join(map(str, level["shape"]))
        spacing = ", ".join(
            f"{d}={_number(s)}{' ' + units[d] if units[d] else ''}" for d, s in level["scale"].items()
        )
        origin = ", ".join(f"{d}={_number(t)}" for d, t in level["translation"].items())
        storage = f"chunks {tuple(level['chunks'])}" + (
            f", shards {tuple(level['shards'])}" if level["shards"] else ""
        )
        lines.append(
            f"{indent}level {level['path']}: {shape} {level['dtype']}; {storage}; {', '.join(level['codecs'])}"
        )
        lines.append(f"{indent}  scale {spacing}; translation {origin}")
    for channel in image.get("channels", []):
        window = channel.get("window")
        shown = f", window {_number(window['start'])}-{_number(window['end'])}" if window else ""
        lines.append(f"{indent}channel {channel.get('label')!r}: colour {channel.get('color')}{shown}")
    for name, label in image.get("labels", {}).items():
        lines.append(f"{indent}label image {name!r}:")
        lines.extend(_image_lines(label, indent + "  "))
    return lines


def render_text(info: Mapping[str, Any], title: str) -> str:
    """The summary as indented text, for a terminal."""
    if info["kind"] == "plate":
        lines = [
            f"{title}: OME-NGFF {info['version']} plate {info['name']!r}",
            f"  rows {', '.join(info['rows'])}; columns {', '.join(info['columns'])}",
            f"  {len(info['wells'])} wells, {sum(len(w['fields']) for w in info['wells'])} fields",
        ]
        for well in info["wells"]:
            lines.append(f"  well {well['path']}: fields {', '.join(well['fields'])}")
        if info["first_field"] is not None:
            lines.append("  first field:")
            lines.extend(_image_lines(info["first_field"], "    "))
        return "\n".join(lines)
    if info["kind"] == "well":
        lines = [f"{title}: OME-NGFF well with {len(info['fields'])} fields"]
        for path, field in info["fields"].items():
            lines.append(f"  field {path}:")
            lines.extend(_image_lines(field, "    "))
        return "\n".join(lines)
    header = f"{title}: OME-NGFF {info['version']} image {info['name']!r}"
    return "\n".join([header, *_image_lines(info, "  ")])
