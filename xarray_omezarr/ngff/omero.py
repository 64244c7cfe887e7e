"""The transitional ``omero`` block: channel names, display colours and windows.

Pure: built from a channel count and names, checked, and completed with windows once the data's
ranges are known (the engine measures them on the smallest level it wrote).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import InvalidImageError

__all__ = ["channel_colors", "check_omero", "default_omero", "needs_windows", "with_windows"]

_PALETTE = ("00FF00", "FF00FF", "00FFFF", "FF0000", "0000FF", "FFFF00")


def channel_colors(count: int) -> list[str]:
    """Distinct display colours: white for one channel, a fluorescence palette for more.

    Examples
    --------
    >>> channel_colors(1), channel_colors(2)
    (['FFFFFF'], ['00FF00', 'FF00FF'])
    """
    if count == 1:
        return ["FFFFFF"]
    if count == 3:
        return ["FF0000", "00FF00", "0000FF"]
    return [_PALETTE[i % len(_PALETTE)] for i in range(count)]


def default_omero(
    count: int, labels: Sequence[str] | None = None, previous: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The ``omero`` block for ``count`` channels: labels and colours (windows come from the data).

    Channel settings read with the image (``previous``) are kept when the channel count still matches,
    so that writing what was read gives the same metadata back.

    Examples
    --------
    >>> default_omero(2, ["DAPI", "GFP"])["channels"][1]["label"]
    'GFP'
    """
    names = list(labels) if labels else [f"Channel {i}" for i in range(count)]
    if isinstance(previous, Mapping) and len(previous.get("channels", ())) == count:
        channels = [dict(c) | {"label": label} for c, label in zip(previous["channels"], names, strict=True)]
        return dict(previous) | {"channels": channels}
    channels = [
        {
            "label": label,
            "color": color,
            "active": True,
            "coefficient": 1.0,
            "family": "linear",
            "inverted": False,
        }
        for label, color in zip(names, channel_colors(count), strict=True)
    ]
    return {"channels": channels, "rdefs": {"model": "color" if count > 1 else "greyscale"}}


def check_omero(omero: Mapping[str, Any]) -> dict[str, Any]:
    """The ``omero`` block, checked: a channel list, 6-hex-digit colours, complete windows.

    Examples
    --------
    >>> check_omero({"channels": [{"color": "red"}]})
    Traceback (most recent call last):
    ...
    xarray_omezarr.errors.InvalidImageError: omero channel colour must be 6 hex digits such as 'FF00FF'; got 'red'
    """
    channels = omero.get("channels")
    if not isinstance(channels, list):
        raise InvalidImageError("omero metadata needs a 'channels' list")
    for channel in channels:
        color = channel.get("color")
        valid = isinstance(color, str) and len(color) == 6
        if valid:
            try:
                int(color, 16)
            except ValueError:
                valid = False
        if color is not None and not valid:
            raise InvalidImageError(
                f"omero channel colour must be 6 hex digits such as 'FF00FF'; got {color!r}"
            )
        window = channel.get("window")
        if window is not None and not {"min", "max", "start", "end"} <= set(window):
            raise InvalidImageError(f"omero channel window needs min, max, start and end; got {window!r}")
    return dict(omero)


def needs_windows(omero: Mapping[str, Any] | None) -> bool:
    """Whether some channel of ``omero`` lacks a window, which the data's range must fill in."""
    return omero is not None and not all("window" in c for c in omero["channels"])


def with_windows(omero: Mapping[str, Any], ranges: np.ndarray, dtype: Any) -> dict[str, Any]:
    """Fill in missing channel windows: the dtype's range, and the data's range to display.

    ``ranges`` holds each channel's finite ``(low, high)``, NaN for a channel with no finite value.

    Examples
    --------
    >>> with_windows({"channels": [{}]}, np.array([[3.0, 9.0]]), "uint8")["channels"][0]["window"]
    {'min': 0.0, 'max': 255.0, 'start': 3.0, 'end': 9.0}
    """
    channels = [dict(c) for c in omero["channels"]]
    dtype = np.dtype(dtype)
    for channel, (low, high) in zip(channels, np.asarray(ranges, dtype=float), strict=False):
        if "window" in channel:
            continue
        low, high = (0.0, 0.0) if np.isnan(low) else (float(low), float(high))
        if dtype.kind in "iu":
            bounds = (float(np.iinfo(dtype).min), float(np.iinfo(dtype).max))
        elif dtype.kind == "b":
            bounds = (0.0, 1.0)
        else:
            bounds = (low, high)
        channel["window"] = {"min": bounds[0], "max": bounds[1], "start": low, "end": high}
    return dict(omero) | {"channels": channels}
