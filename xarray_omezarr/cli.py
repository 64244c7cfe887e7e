"""The command line: ``python -m xarray_omezarr demo out.ome.zarr`` writes and summarises an example image."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def demo_image(shape: tuple[int, int, int, int] = (2, 24, 256, 256)):  # type: ignore[no-untyped-def]
    """A synthetic 3-D two-channel image (nuclei and membranes) with physical coordinates.

    Examples
    --------
    >>> demo_image((2, 4, 16, 16)).dims
    ('c', 'z', 'y', 'x')
    """
    import numpy as np
    import xarray as xr

    channels, nz, ny, nx = shape
    rng = np.random.default_rng(0)
    z, y, x = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    blobs = np.zeros((nz, ny, nx))
    for cz, cy, cx in zip(
        rng.uniform(0, nz, 12), rng.uniform(0, ny, 12), rng.uniform(0, nx, 12), strict=True
    ):
        blobs += np.exp(-(((z - cz) / 3) ** 2 + ((y - cy) / 12) ** 2 + ((x - cx) / 12) ** 2))
    rings = np.sin(x / 9.0) ** 2 * np.cos(y / 11.0) ** 2
    planes = [blobs, rings][:channels] + [rng.random((nz, ny, nx)) for _ in range(channels - 2)]
    data = np.stack([(p / p.max() * 3000 + rng.normal(100, 10, p.shape)).clip(0) for p in planes])
    names = ["nuclei", "membranes"] + [f"channel {i}" for i in range(2, channels)]
    return xr.DataArray(
        data.astype("uint16"),
        dims=("c", "z", "y", "x"),
        name="demo",
        coords={
            "c": names[:channels],
            "z": ("z", 2.0 + 0.5 * np.arange(nz), {"units": "micrometer"}),
            "y": ("y", 10.0 + 0.1625 * np.arange(ny), {"units": "um"}),
            "x": ("x", 20.0 + 0.1625 * np.arange(nx), {"units": "µm"}),
        },
    )


def _demo(path: str, version: str, overwrite: bool) -> int:
    import xarray as xr

    import xarray_omezarr  # noqa: F401  (registers .omezarr)

    image = demo_image()
    image.omezarr.to_zarr(
        path, scale_factors=(2, 4), method="local_mean", version=version, mode="w" if overwrite else "w-"
    )
    tree = xr.open_datatree(path, engine="omezarr")
    print(f"wrote {path}: OME-NGFF {version}, image {image.name!r}, channels {image.c.values.tolist()}")
    for name, node in tree.children.items():
        da = node.dataset[image.name]
        spacing = ", ".join(
            f"{d}={float(da[d][1] - da[d][0]):g} {da[d].attrs.get('units', '')}".strip()
            for d in ("z", "y", "x")
        )
        origin = ", ".join(f"{d}={float(da[d][0]):g}" for d in ("z", "y", "x"))
        print(
            f"  level {name}: shape {dict(da.sizes)} {da.dtype}; spacing {spacing}; first pixel at {origin}"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xarray_omezarr", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="write a synthetic 3-D two-channel image pyramid and summarise it"
    )
    demo.add_argument("path", help="where to write, e.g. out.ome.zarr")
    demo.add_argument(
        "--version", default="0.5", choices=["0.4", "0.5"], help="OME-NGFF version (default 0.5)"
    )
    demo.add_argument("--overwrite", action="store_true", help="replace an existing store at PATH")
    args = parser.parse_args(argv)
    try:
        return _demo(args.path, args.version, args.overwrite)
    except FileExistsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
