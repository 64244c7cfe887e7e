"""The command line: ``xarray-omezarr info|validate|convert|demo`` (also ``python -m xarray_omezarr``).

Each subcommand is a few lines over a public function: :func:`~xarray_omezarr.summary.summarize`,
:func:`~xarray_omezarr.validate.validate_store`, :func:`~xarray_omezarr.sources.open_source` with
:func:`~xarray_omezarr.to_zarr`. Errors are one line on stderr and exit status 2; ``validate`` exits
with 1 when it finds problems.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["demo_image", "main"]

_CODECS = ("blosc-zstd", "blosc-lz4", "zstd", "gzip", "none")


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


def _open(path: str) -> Any:
    from .stores import open_readonly_group

    return open_readonly_group(path)


def _demo(args: argparse.Namespace) -> int:
    import xarray as xr

    from .api import to_zarr

    image = demo_image()
    to_zarr(
        image,
        args.path,
        scale_factors=(2, 4),
        method="local_mean",
        version=args.version,
        mode="w" if args.overwrite else "w-",
    )
    tree = xr.open_datatree(args.path, engine="omezarr")
    print(
        f"wrote {args.path}: OME-NGFF {args.version}, image {image.name!r}, channels {image.c.values.tolist()}"
    )
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


def _info(args: argparse.Namespace) -> int:
    from .summary import render_text, summarize
    from .validate import validate_store

    group = _open(args.path)
    info = summarize(group)
    problems = [str(p) for p in validate_store(group)]
    info["valid"], info["problems"] = not problems, problems
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(render_text(info, args.path))
    print("valid" if not problems else f"not valid: {len(problems)} problem(s); see xarray-omezarr validate")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from .validate import validate_store

    problems = validate_store(_open(args.path))
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{args.path}: valid")
    return 1 if problems else 0


def _codec(name: str) -> Any:
    """The codec a ``--codec`` name stands for (numcodecs': the writer turns it into Zarr v3's for 0.5)."""
    from numcodecs import Blosc, GZip, Zstd

    codecs = {
        "blosc-zstd": Blosc("zstd", 1, Blosc.SHUFFLE),
        "blosc-lz4": Blosc("lz4", 5, Blosc.SHUFFLE),
        "zstd": Zstd(3),
        "gzip": GZip(5),
        "none": None,
    }
    return codecs[name]


def _scale_factors(values: Sequence[str] | None) -> Any:
    if values is None:
        return (2, 4, 8, 16)
    if list(values) in (["auto"], ["none"]):
        return "auto" if values[0] == "auto" else ()
    try:
        return tuple(int(v) for v in values)
    except ValueError:
        raise ValueError(
            f"--scale-factors takes whole numbers, 'auto' or 'none'; got {' '.join(values)}"
        ) from None


def _convert(args: argparse.Namespace) -> int:
    from .api import to_zarr
    from .sources import open_source

    options: dict[str, Any] = {}
    if args.chunks:
        options["chunks"] = tuple(args.chunks) if len(args.chunks) > 1 else args.chunks[0]
    if args.shards:
        options["shards"] = "auto" if args.shards == ["auto"] else tuple(int(s) for s in args.shards)
    if args.codec is not None:
        options["compressors"] = _codec(args.codec)
    image = open_source(args.input, variable=args.variable)
    with image:  # closes the source file (a TIFF stays open while it is read lazily)
        to_zarr(
            image,
            args.output,
            scale_factors=_scale_factors(args.scale_factors),
            method=args.method,
            version=args.version,
            mode="w" if args.overwrite else "w-",
            storage_options=options or None,
            progress=not args.quiet,
            resume=args.resume,
        )
    if not args.quiet:
        print(f"wrote {args.output}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xarray-omezarr",
        description="Look inside, check, convert and make OME-Zarr (OME-NGFF) images.",
        epilog="Run 'xarray-omezarr COMMAND --help' for a command's options and an example.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, example: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=f"example: {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    info = command(
        "info",
        "show what a store holds: levels, storage, coordinates, channels, labels, plate",
        "xarray-omezarr info cells.ome.zarr --json",
    )
    info.add_argument("path", help="a local path or URL (s3://...), a store or a .ozx file")
    info.add_argument("--json", action="store_true", help="print JSON for machines")
    info.set_defaults(run=_info)

    validate = command(
        "validate",
        "check a store against the spec's schemas and the rules no schema can check",
        "xarray-omezarr validate cells.ome.zarr",
    )
    validate.add_argument("path", help="a local path or URL (s3://...), a store or a .ozx file")
    validate.set_defaults(run=_validate)

    convert = command(
        "convert",
        "convert a TIFF, OME-TIFF or anything xarray opens (NetCDF, Zarr) to OME-Zarr",
        "xarray-omezarr convert cells.ome.tif cells.ome.zarr --scale-factors 2 4 --method local_mean",
    )
    convert.add_argument("input", help="a .tif/.ome.tif file, or a file or folder xarray opens")
    convert.add_argument(
        "output", help="where to write, e.g. out.ome.zarr, or out.ozx for one zipped file (RFC-9, 0.5)"
    )
    convert.add_argument(
        "--scale-factors",
        nargs="+",
        metavar="F",
        help="cumulative y/x factors (default 2 4 8 16), 'auto' or 'none'",
    )
    convert.add_argument(
        "--method",
        default="resize",
        help="downsampling method (default resize; local_mean, nearest, gaussian...)",
    )
    convert.add_argument(
        "--version", default="0.5", choices=["0.4", "0.5", "0.6"], help="OME-NGFF version (default 0.5)"
    )
    convert.add_argument(
        "--chunks", nargs="+", type=int, metavar="N", help="chunk shape of every level (default: a few MiB)"
    )
    convert.add_argument("--shards", nargs="+", metavar="N", help="shard shape, or 'auto' (0.5 only)")
    convert.add_argument("--codec", choices=_CODECS, help="compression (default blosc-zstd)")
    convert.add_argument("--variable", help="the data variable to convert, for inputs with several")
    convert.add_argument("--overwrite", action="store_true", help="replace an existing store at OUTPUT")
    convert.add_argument(
        "--resume",
        action="store_true",
        help="finish a conversion that was interrupted, writing only what is missing (same arguments)",
    )
    convert.add_argument("--quiet", action="store_true", help="no progress bar")
    convert.set_defaults(run=_convert)

    demo = command(
        "demo",
        "write a synthetic 3-D two-channel image pyramid and summarise it",
        "xarray-omezarr demo out.ome.zarr",
    )
    demo.add_argument("path", help="where to write, e.g. out.ome.zarr")
    demo.add_argument(
        "--version", default="0.5", choices=["0.4", "0.5", "0.6"], help="OME-NGFF version (default 0.5)"
    )
    demo.add_argument("--overwrite", action="store_true", help="replace an existing store at PATH")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 1 problems found, 2 error)."""
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (OSError, ValueError, TypeError, KeyError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
