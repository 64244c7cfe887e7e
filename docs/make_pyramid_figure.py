"""Draw docs/pyramid_levels.png and print the coordinate table of docs/pyramids.md.

Run from the repository root: ``python docs/make_pyramid_figure.py`` (needs matplotlib).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

import xarray_omezarr  # noqa: F401
from xarray_omezarr.cli import demo_image

METHODS = ["nearest", "local_mean", "resize", "gaussian", "laplacian", "zoom"]
HERE = Path(__file__).parent


def centres_table() -> str:
    axis = xr.DataArray(
        np.zeros((2, 11)), dims=("y", "x"), coords={"x": 10.0 + 0.5 * np.arange(11)}, name="a"
    )
    rows = ["| method | level 1 (f=2) x | level 2 (f=4) x |", "|---|---|---|"]
    for method in METHODS:
        tree = axis.omezarr.pyramid(scale_factors=[{"x": 2}, {"x": 4}], method=method)
        cells = [", ".join(f"{v:g}" for v in tree[k]["a"].x.values) for k in ("1", "2")]
        rows.append(f"| `{method}` | {cells[0]} | {cells[1]} |")
    return "\n".join(rows)


def figure() -> None:
    image = demo_image((2, 4, 96, 96)).isel(c=0, z=1).drop_vars("z")
    fig, axes = plt.subplots(2, 3, figsize=(12, 7.5))
    tree = image.omezarr.pyramid(scale_factors=(4, 16), method="local_mean")
    for ax, level in zip(axes[0], ("0", "1", "2"), strict=True):
        da = tree[level]["demo"]
        step_x, step_y = float(da.x[1] - da.x[0]), float(da.y[1] - da.y[0])
        extent = [
            float(da.x[0]) - step_x / 2,
            float(da.x[-1]) + step_x / 2,
            float(da.y[-1]) + step_y / 2,
            float(da.y[0]) - step_y / 2,
        ]
        ax.imshow(da.values, extent=extent, cmap="magma", vmin=float(image.min()), vmax=float(image.max()))
        ax.set_title(f"local_mean level {level}: {da.shape[0]}x{da.shape[1]}, step {step_x:g} µm")
        ax.set_xlabel("x (µm)")
        ax.set_ylabel("y (µm)")
        ax.set_xlim(20 - 0.1625, 20 + 0.1625 * 96)
        ax.set_ylim(10 + 0.1625 * 96, 10 - 0.1625)
    gs = axes[1, 0].get_gridspec()
    for ax in axes[1]:
        ax.remove()
    bottom = fig.add_subplot(gs[1, :])
    row = xr.DataArray(np.zeros((2, 12)), dims=("y", "x"), coords={"x": np.arange(12.0)}, name="a")
    for i, method in enumerate(METHODS):
        tree = row.omezarr.pyramid(scale_factors=[{"x": 2}, {"x": 4}], method=method)
        base = -i * 1.2
        bottom.scatter(row.x, np.full(12, base), marker="|", s=200, color="0.6")
        bottom.scatter(
            tree["1"]["a"].x, np.full(tree["1"]["a"].sizes["x"], base - 0.3), marker="o", color="C0"
        )
        bottom.scatter(
            tree["2"]["a"].x, np.full(tree["2"]["a"].sizes["x"], base - 0.6), marker="s", color="C3"
        )
        bottom.text(-1.2, base - 0.3, method, ha="right", va="center", family="monospace")
    bottom.set_xlim(-4.5, 12)
    bottom.set_yticks([])
    bottom.set_xlabel(
        "x (pixel centres of level 0 in grey; level 1 (f=2) blue circles; level 2 (f=4) red squares)"
    )
    fig.suptitle("Pyramid levels sit where their pixels are: levels overlap exactly in physical coordinates")
    fig.tight_layout()
    fig.savefig(HERE / "pyramid_levels.png", dpi=80)


if __name__ == "__main__":
    figure()
    print(centres_table())
