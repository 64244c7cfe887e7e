"""The notebook view (``obj.omezarr`` in Jupyter), rendered by a real browser: Debian's Chromium,
driven by Playwright with its ``executable_path`` (never a browser download)."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import xarray_omezarr  # noqa: F401  (registers the accessors)
from xarray_omezarr.view import thumbnail

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# CI installs Debian's chromium (.ci/run), so there a missing browser is a failure, never a skip
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true",
    reason="Debian's chromium is not installed (apt-get install chromium); CI always runs this test",
)


def two_channel_cells() -> xr.DataArray:
    """Green nuclei on the left half, magenta membranes on the right half."""
    data = np.zeros((2, 3, 96, 128), "uint16")
    data[0, :, 20:76, 10:54] = 3000
    data[1, :, 20:76, 74:118] = 3000
    return xr.DataArray(
        data,
        dims=("c", "z", "y", "x"),
        name="cells",
        coords={
            "c": ["nuclei", "membranes"],
            "z": ("z", 0.5 * np.arange(3), {"units": "micrometer"}),
            "y": ("y", 0.1625 * np.arange(96), {"units": "micrometer"}),
            "x": ("x", 0.1625 * np.arange(128), {"units": "micrometer"}),
        },
    )


def screenshot(html: str, tmp_path: Path) -> tuple[str, np.ndarray, dict[str, float]]:
    """The page's text, a screenshot of the thumbnail as RGB, and where the thumbnail is."""
    from PIL import Image
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "view.html"
    page_file.write_text(f"<html><body>{html}</body></html>", encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    flags += ["--disable-component-update", "--disable-sync", "--no-first-run"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            page.goto(page_file.as_uri())
            text = page.inner_text("body")
            image = page.locator("img")
            box = image.bounding_box()
            assert box is not None
            png = image.screenshot()
        finally:
            browser.close()
    return text, np.asarray(Image.open(io.BytesIO(png)).convert("RGB")), box


def colour_fraction(picture: np.ndarray, rgb: tuple[int, int, int]) -> float:
    return float(np.mean(np.all(np.abs(picture.astype(int) - rgb) < 40, axis=-1)))


@needs_chromium
def test_a_dataarray_view_shows_the_planned_levels_and_a_coloured_thumbnail(tmp_path: Path) -> None:
    text, picture, box = screenshot(two_channel_cells().omezarr._repr_html_(), tmp_path)
    assert "the 5 levels .omezarr.to_zarr() writes by default" in text
    assert "2 x 3 x 48 x 64" in text  # level 1
    assert "y=0.325, x=0.325" in text and "y=0.08125, x=0.08125" in text
    assert "nuclei #00FF00" in text and "membranes #FF00FF" in text
    assert box["width"] >= 128
    left, right = picture[:, : picture.shape[1] // 2], picture[:, picture.shape[1] // 2 :]
    assert colour_fraction(left, (0, 255, 0)) > 0.2 and colour_fraction(left, (255, 0, 255)) == 0
    assert colour_fraction(right, (255, 0, 255)) > 0.2 and colour_fraction(right, (0, 255, 0)) == 0


@needs_chromium
def test_a_tree_view_shows_the_stored_levels_windows_and_labels(tmp_path: Path) -> None:
    image = two_channel_cells()
    nuclei = xr.DataArray(
        (image.isel(c=0).values > 0).astype("uint8"),
        dims=("z", "y", "x"),
        coords={d: image[d] for d in "zyx"},
    )
    path = tmp_path / "cells.ome.zarr"
    image.omezarr.to_zarr(path, scale_factors=(2, 4), method="local_mean", labels={"nuclei": nuclei})
    tree = xr.open_datatree(path, engine="omezarr")
    text, picture, _ = screenshot(tree.omezarr._repr_html_(), tmp_path)
    assert "(3 levels, as read)" in text
    assert "2 x 3 x 24 x 32" in text and "(1, 3, 24, 32)" in text
    assert "window 0-3000" in text
    assert "nuclei: uint8, 3 levels" in text
    assert colour_fraction(picture, (0, 255, 0)) > 0.1 and colour_fraction(picture, (255, 0, 255)) > 0.1
    # the dataset view lists the labels it would write with the image
    dataset_text, _, _ = screenshot(xr.open_dataset(path, engine="omezarr").omezarr._repr_html_(), tmp_path)
    assert "nuclei: uint8, dims ('z', 'y', 'x')" in dataset_text


def test_thumbnails_follow_the_channel_windows_and_colours() -> None:
    plane = np.array([[[0, 50, 100, 200]], [[200, 100, 50, 0]]], dtype="float32")
    channels = [
        {"color": "FF0000", "window": {"start": 50, "end": 100}},
        {"color": "0000FF", "window": {"start": 0, "end": 200}, "active": True},
    ]
    assert thumbnail(plane, channels)[0].tolist() == [[0, 0, 255], [0, 0, 128], [255, 0, 64], [255, 0, 0]]
    channels[1]["active"] = False
    assert thumbnail(plane, channels)[0, :, 2].tolist() == [0, 0, 0, 0]
