"""The notebook view of ``obj.omezarr``: levels, channels, labels and a thumbnail, as HTML.

For a DataArray or Dataset the view shows what ``.omezarr.to_zarr()`` would write with its defaults
(the planned levels: shape, chunks, scale, translation, units); for a DataTree read by the engine it
shows the levels the tree holds. The thumbnail is a middle plane (first time point, middle z) of the
smallest level the tree holds, or of the DataArray itself, sampled to at most 256 pixels a side and
rendered with the channels' ``omero`` colours and windows (additive blending), as a viewer shows it.
Only that sampled plane is ever computed, so the view stays cheap for images larger than memory.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from .describe import DEFAULT_NAME, describe_image
from .errors import InvalidImageError
from .model import Multiscale
from .ngff import FormatV05
from .scale import Methods
from .scale.levels import DEFAULT_SCALE_FACTORS
from .write.plan import ImagePlan, plan_image
from .write.trees import plan_tree

__all__ = ["thumbnail", "view_html"]

THUMBNAIL_SIDE = 256
_STYLE = (
    "<style>.omezarr-view table{border-collapse:collapse;margin:4px 0 8px 0}"
    ".omezarr-view td,.omezarr-view th{border:1px solid #ccc;padding:2px 6px;font-family:monospace;"
    "font-size:12px;text-align:left}.omezarr-view .swatch{display:inline-block;width:12px;height:12px;"
    "border:1px solid #555;vertical-align:middle;margin-right:4px}</style>"
)


def _plane(level: Any, image: Multiscale) -> np.ndarray:
    """A middle ``(channels, y, x)`` plane of a level, sampled to at most :data:`THUMBNAIL_SIDE` a side."""
    index: list[Any] = []
    space = [i for i, a in enumerate(image.axes) if a.type == "space"]
    step = max(1, -(-max(level.shape[i] for i in space[-2:]) // THUMBNAIL_SIDE))
    for i, (axis, n) in enumerate(zip(image.axes, level.shape, strict=True)):
        if axis.type == "channel":
            index.append(slice(None))
        elif i in space[-2:]:
            index.append(slice(None, None, step))
        else:
            index.append(n // 2 if axis.type == "space" else 0)
    plane = np.asarray(level[tuple(index)])
    return plane if image.channel_axis is not None else plane[None]


def _rgb(color: str | None) -> np.ndarray:
    try:
        return np.array([int(str(color)[i : i + 2], 16) for i in (0, 2, 4)], dtype=float) / 255
    except ValueError:
        return np.ones(3)


def thumbnail(plane: np.ndarray, channels: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """An RGB ``uint8`` picture of a ``(channels, y, x)`` plane: each channel windowed and coloured, added.

    A channel without a window is stretched over its finite range; an inactive one is left out.

    Examples
    --------
    >>> plane = np.array([[[0, 10]], [[10, 0]]], dtype="uint16")
    >>> thumbnail(plane, [{"color": "00FF00"}, {"color": "FF00FF"}])[0].tolist()
    [[255, 0, 255], [0, 255, 0]]
    """
    out = np.zeros((*plane.shape[1:], 3))
    for values, channel in zip(plane.astype(float), channels, strict=False):
        if channel.get("active") is False:
            continue
        window = channel.get("window") or {}
        finite = values[np.isfinite(values)]
        low = float(window.get("start", finite.min() if finite.size else 0.0))
        high = float(window.get("end", finite.max() if finite.size else 1.0))
        scaled = np.clip((np.nan_to_num(values, nan=low) - low) / ((high - low) or 1.0), 0, 1)
        out += scaled[..., None] * _rgb(channel.get("color"))
    return (np.clip(out, 0, 1) * 255).round().astype(np.uint8)


def _png(rgb: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _levels_table(image: Multiscale, plan: ImagePlan | None) -> str:
    units = {a.name: a.unit for a in image.axes}
    rows = []
    for index, level in enumerate(image.levels):
        chunks = plan.arrays[index]["chunks"] if plan is not None else level.chunks
        cells = [
            level.path,
            " x ".join(map(str, level.shape)),
            str(tuple(chunks)) if chunks is not None else "",
            ", ".join(
                f"{a.name}={g.scale:g}"
                for a, g in zip(image.axes, level.geometry, strict=True)
                if a.type != "channel"
            ),
            ", ".join(
                f"{a.name}={g.translation:g}"
                for a, g in zip(image.axes, level.geometry, strict=True)
                if a.type != "channel"
            ),
        ]
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    unit_text = ", ".join(f"{d}: {u}" for d, u in units.items() if u) or "none"
    head = "".join(f"<th>{h}</th>" for h in ("level", "shape", "chunks", "scale", "translation"))
    return f"<table><tr>{head}</tr>{''.join(rows)}</table><div>units: {html.escape(unit_text)}</div>"


def _channels_list(channels: Sequence[Mapping[str, Any]]) -> str:
    items = []
    for channel in channels:
        color = html.escape(str(channel.get("color", "FFFFFF")))
        window = channel.get("window")
        shown = f" window {window['start']:g}-{window['end']:g}" if window else ""
        label = html.escape(str(channel.get("label", "")))
        items.append(
            f'<li><span class="swatch" style="background:#{color}"></span>{label} #{color}{shown}</li>'
        )
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _section(
    title: str, image: Multiscale, plan: ImagePlan | None, smallest: Any, labels: Mapping[str, str]
) -> str:
    channels = list((image.omero or {}).get("channels") or [{"color": "FFFFFF"}])
    picture = thumbnail(_plane(smallest, image), channels)
    zoom = max(1, 192 // max(picture.shape[:2]))  # tiny levels are shown enlarged, pixel for pixel
    label_items = "".join(f"<li>{html.escape(n)}: {html.escape(d)}</li>" for n, d in labels.items())
    return (
        f'<div class="omezarr-view">{_STYLE}<b>{html.escape(title)}</b>'
        f"{_levels_table(image, plan)}"
        f"<div>channels:</div>{_channels_list(channels)}"
        + (f"<div>labels:</div><ul>{label_items}</ul>" if labels else "")
        + f'<img alt="thumbnail" src="data:image/png;base64,{_png(picture)}" '
        f'width="{picture.shape[1] * zoom}" height="{picture.shape[0] * zoom}" style="image-rendering:pixelated">'
        "</div>"
    )


def _planned(image: xr.DataArray) -> ImagePlan:
    described = describe_image(image)
    described = described.changed(name=described.image.name or DEFAULT_NAME)
    try:
        return plan_image(described, FormatV05(), scale_factors=DEFAULT_SCALE_FACTORS, method=Methods.RESIZE)
    except InvalidImageError:  # too small for the default factors: as many levels as fit
        return plan_image(described, FormatV05(), scale_factors="auto", method=Methods.RESIZE)


def view_html(obj: xr.DataArray | xr.Dataset | xr.DataTree) -> str:
    """The HTML of ``obj.omezarr`` in a notebook (see the module's description)."""
    from .api import dataset_labels, image_variable

    if isinstance(obj, xr.DataTree):
        plan, labels = plan_tree(obj, FormatV05())
        shown = {
            label.name: f"{label.plan.image.dtype}, {len(label.plan.image.levels)} levels" for label in labels
        }
        title = f"OME-Zarr image {plan.image.name!r} ({len(plan.image.levels)} levels, as read)"
        return _section(title, plan.image, None, plan.data[-1], shown)
    image = image_variable(obj) if isinstance(obj, xr.Dataset) else obj
    plan = _planned(image)
    shown = {}
    if isinstance(obj, xr.Dataset):
        shown = {name: f"{label.dtype}, dims {label.dims}" for name, label in dataset_labels(obj).items()}
    title = (
        f"OME-Zarr image {plan.image.name!r}: the {len(plan.image.levels)} levels .omezarr.to_zarr() writes "
        "by default (OME-NGFF 0.5, resize)"
    )
    return _section(title, plan.image, plan, plan.data[0], shown)
