"""Draw how write time and peak memory grow with the image's size, from ``write_pyramid.py --sweep``.

Usage::

    python benchmarks/write_pyramid.py --sweep 0.25 0.5 1 2 --json sweep.json
    python benchmarks/plot_sweep.py sweep.json docs/performance_sweep.png

One line per writer (ours, the floors, the peers), seconds on the left, peak resident memory on the
right, both against the input's size in GiB.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

LABELS = {
    "ours": "xarray-omezarr",
    "ours-zarrs": "xarray-omezarr (zarrs)",
    "floor": "floor: plain zarr",
    "floor-zarrs": "floor: plain zarr (zarrs)",
    "ome-zarr-py": "ome-zarr-py",
    "ngff-zarr": "ngff-zarr",
}


def series(figures: dict[str, dict[str, dict[str, float]]]) -> dict[str, list[tuple[float, float, float]]]:
    """``{writer: [(GiB, seconds, peak MiB), ...]}`` from the sweep's comparisons, by size."""
    out: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for title, medians in figures.items():
        if not title.startswith("sweep "):
            continue
        gib = float(title.split()[1])
        for writer, median in medians.items():
            out[writer].append((gib, median["seconds"], median["peak_mib"]))
    return {w: sorted(points) for w, points in out.items()}


def main(source: str, target: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(source) as f:
        lines = series(json.load(f))
    figure, (time_axes, memory_axes) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for writer, points in lines.items():
        sizes, seconds, memory = zip(*points, strict=True)
        style = (
            {"linewidth": 2.5}
            if writer.startswith("ours")
            else {"linestyle": "--" if "floor" in writer else "-"}
        )
        time_axes.plot(sizes, seconds, marker="o", label=LABELS.get(writer, writer), **style)
        memory_axes.plot(
            sizes, [m / 1024 for m in memory], marker="o", label=LABELS.get(writer, writer), **style
        )
    time_axes.set(xlabel="input (GiB)", ylabel="seconds", title="write time, 4 extra levels")
    memory_axes.set(xlabel="input (GiB)", ylabel="peak resident memory (GiB)", title="peak memory")
    memory_axes.legend(fontsize="small")
    for axes in (time_axes, memory_axes):
        axes.grid(alpha=0.3)
        axes.set_xlim(left=0)
        axes.set_ylim(bottom=0)
    figure.savefig(target, dpi=120)


if __name__ == "__main__":
    main(*sys.argv[1:3])
