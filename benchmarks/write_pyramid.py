"""Write the same image pyramid with xarray-omezarr, the peers and plain zarr, and compare.

Every writer runs in its own process, on the same uint16 (c, z, y, x) image, with the same chunks, the
same number of levels and, by default, the same codec (zarr's default, zstd). Writers run in turn, each
``--repeat`` times, after the disk has taken the previous writer's data (``sync``, outside the clock),
and the median is reported.

Writers:

- ``floor``: plain zarr writing levels computed before the clock starts (numpy block means): the cost
  of encoding and writing the bytes, with no downsampling at all.
- ``floor-zarrs``: the same through zarrs' Rust codec pipeline.
- ``ours``: ``DataArray.omezarr.to_zarr(..., method="local_mean")`` with zarr's codec pipeline.
- ``ours-zarrs``: the same with zarrs' pipeline (what ours uses when zarrs is installed).
- ``ome-zarr-py``: ``ome_zarr.writer.write_image(..., method="local_mean")``.
- ``ngff-zarr``: ``to_multiscales`` with its bin-shrink method (a block mean), then ``to_ngff_zarr``.

Imports happen before the clock starts. Figures: wall seconds, peak resident memory during the write (the input included; Linux's high-water
mark, reset when the clock starts), its ratio to the input's size, MiB on disk, and time ratios to the
floor and to ours.

    python benchmarks/write_pyramid.py                # 1 GiB numpy image, 4 extra levels, same codec
    python benchmarks/write_pyramid.py --image noisy  # a camera's noise: encoding is the expensive part
    python benchmarks/write_pyramid.py --defaults     # every writer with its own default settings
    python benchmarks/write_pyramid.py --large        # 16 GiB lazily generated dask image: bounded memory
    python benchmarks/write_pyramid.py --shape 2 16 1024 1024 --writers ours floor --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

WRITERS = ("floor", "floor-zarrs", "ours", "ours-zarrs", "ome-zarr-py", "ngff-zarr")
DIMS = ("c", "z", "y", "x")
CODECS = ("zstd", "blosc-lz4", "blosc-zstd", "none")


# --- the image -----------------------------------------------------------------------------------------


def _image_block(kind: str = "smooth", block_info: dict[Any, Any] | None = None) -> Any:
    import numpy as np

    assert block_info is not None
    info = block_info[None]
    (c0, c1), (z0, z1), (y0, y1), (x0, x1) = info["array-location"]
    y = np.arange(y0, y1)[:, None]
    x = np.arange(x0, x1)[None, :]
    shape = (c1 - c0, z1 - z0, y1 - y0, x1 - x0)
    rng = np.random.default_rng([*info["chunk-location"], 7])  # the same block whoever computes it
    if kind == "noisy":
        # a camera: offset, a wide range of signal, shot noise at a gain of 2 counts per photon and
        # read noise, so that about 8 of the 16 bits are noise, as on real sCMOS frames
        signal = 100 + 12000 * (np.sin(y / 37.0) * np.cos(x / 53.0)) ** 2
        noise = rng.standard_normal(shape, dtype=np.float32) * np.sqrt(2 * signal + 16)
        return (signal + noise).clip(0, 65535).astype(info["dtype"])
    structure = 100 + 1500 * (np.sin(y / 37.0) * np.cos(x / 53.0)) ** 2
    noisy = structure + rng.standard_normal(shape, dtype=np.float32) * np.sqrt(structure)
    return noisy.clip(0, 65535).astype(info["dtype"])


def lazy_image(shape: tuple[int, ...], chunks: tuple[int, ...], kind: str = "smooth") -> Any:
    """A fluorescence-like uint16 image, generated chunk by chunk when computed.

    ``"smooth"``: slow structure (100 to 1600 counts) with shot noise, which compresses about 2:1.
    ``"noisy"``: a camera's frames (100 to 12100 counts, shot and read noise), about 8 bits of noise
    per pixel, which is what makes encoding expensive. Every chunk is made on its own from its
    position, so the generator holds nothing between chunks and any scheduler can make any chunk.
    """
    import dask.array as da

    return da.map_blocks(
        _image_block, kind, chunks=da.core.normalize_chunks(chunks, shape), dtype="uint16", meta=None
    )


def numpy_image(shape: tuple[int, ...], chunks: tuple[int, ...], kind: str = "smooth") -> Any:
    """The image in memory, filled chunk by chunk (so making it never needs twice its size)."""
    import dask.array as da
    import numpy as np

    out = np.empty(shape, dtype="uint16")
    da.store(lazy_image(shape, chunks, kind), out, lock=False)
    return out


# --- the writers ---------------------------------------------------------------------------------------


def codec_object(name: str) -> Any:
    """The zarr v3 compressor for a ``--codec`` name (``None`` for no compression)."""
    from zarr.codecs import BloscCodec, ZstdCodec

    return {
        "zstd": ZstdCodec(level=0),  # zarr's default
        "blosc-lz4": BloscCodec(cname="lz4", clevel=5, shuffle="shuffle"),
        "blosc-zstd": BloscCodec(cname="zstd", clevel=1, shuffle="shuffle"),  # our default
        "none": None,
    }[name]


def write(writer: str, image: Any, path: str, settings: dict[str, Any]) -> float:
    """Write ``image`` with ``writer``; the seconds it took (the floor's levels are made off the clock)."""
    levels, chunks, defaults = settings["levels"], tuple(settings["chunks"]), settings["defaults"]
    factors = [2 ** (i + 1) for i in range(levels)]
    codec = None if defaults else codec_object(settings["codec"])
    compressors = {} if defaults else {"compressors": codec}
    start = time.perf_counter()
    if writer == "floor":
        import dask.array as da
        import numpy as np
        import zarr

        pyramid = [image]
        for _ in range(0 if hasattr(image, "dask") else levels):
            finer = da.from_array(pyramid[-1], chunks=chunks)
            pyramid.append(da.coarsen(np.mean, finer, {2: 2, 3: 2}).round().astype("uint16").compute())
        start = time.perf_counter()
        root = zarr.open_group(path, mode="w")
        for i, level in enumerate(pyramid):
            target = root.create_array(
                str(i), shape=level.shape, dtype=level.dtype, chunks=chunks, **compressors
            )
            if hasattr(level, "dask"):  # the large case: level 0 only, straight from the generator
                da.store(level, target, lock=False)
            else:
                target[...] = level
    elif writer == "ours":
        import xarray as xr

        import xarray_omezarr  # noqa: F401  (the accessor)

        data = xr.DataArray(image, dims=DIMS, name="bench")
        if defaults:
            data.omezarr.to_zarr(path, scale_factors=factors)
        else:
            data.omezarr.to_zarr(
                path,
                scale_factors=factors,
                method="local_mean",
                storage_options={"chunks": chunks, **compressors},
            )
    elif writer == "ome-zarr-py":
        import zarr
        from ome_zarr.writer import write_image

        root = zarr.open_group(path, mode="w")
        if defaults:
            write_image(image, root, axes="czyx", scale_factors=factors)
        else:
            write_image(
                image,
                root,
                axes="czyx",
                scale_factors=factors,
                method="local_mean",
                storage_options={"chunks": chunks, "compressor": codec},
            )
    elif writer == "ngff-zarr":
        import ngff_zarr

        ngff_image = ngff_zarr.to_ngff_image(image, dims=DIMS)
        planar = [{"z": 1, "y": f, "x": f} for f in factors]  # a plain integer would shrink z as well
        if defaults:
            multiscales = ngff_zarr.to_multiscales(ngff_image, scale_factors=planar)
            ngff_zarr.to_ngff_zarr(path, multiscales)
        else:
            multiscales = ngff_zarr.to_multiscales(
                ngff_image,
                scale_factors=planar,
                method=ngff_zarr.Methods.ITKWASM_BIN_SHRINK,
                chunks=dict(zip(DIMS, chunks, strict=True)),
            )
            ngff_zarr.to_ngff_zarr(path, multiscales, version="0.5", compressors=[codec] if codec else [])
    else:
        raise ValueError(f"unknown writer {writer!r}; choose from {WRITERS}")
    return time.perf_counter() - start


# --- measuring -----------------------------------------------------------------------------------------


def reset_peak_memory() -> None:
    """Restart the kernel's high-water mark of resident memory (Linux); elsewhere it runs from the start."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_memory_mib() -> float:
    """Peak resident memory since :func:`reset_peak_memory`, in MiB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_mib(path: str) -> float:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files) / 2**20


def codec_pipeline(writer: str) -> Any:
    """The codec pipeline ``writer`` runs with: ``-zarrs`` writers use zarrs' Rust pipeline, ours
    without the suffix zarr's own (ours would choose zarrs when installed), the peers their default."""
    import contextlib

    import zarr

    if writer.startswith("ours"):
        import xarray_omezarr

        return xarray_omezarr.set_options(codec_pipeline="zarrs" if writer.endswith("-zarrs") else "zarr")
    if writer.endswith("-zarrs"):
        return zarr.config.set({"codec_pipeline.path": "zarrs.ZarrsCodecPipeline"})
    return contextlib.nullcontext()


def import_writer(writer: str) -> None:
    """Import what ``writer`` needs, so that imports stay outside the clock and the memory figure."""
    import importlib

    modules = {
        "ours": ["xarray", "xarray_omezarr"],
        "ome-zarr-py": ["ome_zarr.writer"],
        "ngff-zarr": ["ngff_zarr"],
    }
    for name in ["zarr", *modules.get(writer.removesuffix("-zarrs"), [])]:
        importlib.import_module(name)


def run_one(writer: str, path: str, settings: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: make the image, then write it, measuring the write only."""
    shape, chunks = tuple(settings["shape"]), tuple(settings["chunks"])
    import_writer(writer)
    kind = settings.get("image", "smooth")
    image = lazy_image(shape, chunks, kind) if settings["lazy"] else numpy_image(shape, chunks, kind)
    with codec_pipeline(writer):
        reset_peak_memory()
        seconds = write(writer.removesuffix("-zarrs"), image, path, settings)
    return {"writer": writer, "seconds": seconds, "peak_mib": peak_memory_mib(), "disk_mib": disk_mib(path)}


# --- the comparison ------------------------------------------------------------------------------------


def run_in_subprocess(writer: str, workdir: str, settings: dict[str, Any]) -> dict[str, Any] | None:
    path = os.path.join(workdir, f"{writer}.ome.zarr")
    os.sync()  # the previous writer's data reach the disk before this writer's clock starts
    done = subprocess.run(
        [sys.executable, __file__, "--one", writer, "--path", path, "--settings", json.dumps(settings)],
        capture_output=True,
        text=True,
    )
    shutil.rmtree(path, ignore_errors=True)
    if done.returncode:
        print(f"{writer}: failed\n{done.stderr[-3000:]}", flush=True)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(results: dict[str, list[dict[str, Any]]], input_mib: float) -> None:
    median = {
        w: {k: statistics.median(r[k] for r in runs) for k in ("seconds", "peak_mib", "disk_mib")}
        for w, runs in results.items()
        if runs
    }
    floor, ours = median.get("floor"), median.get("ours")
    print(
        f"{'writer':<12} {'seconds':>8} {'peak MiB':>9} {'x input':>8} {'MiB on disk':>12} "
        f"{'x floor':>8} {'x ours':>7}"
    )
    for writer, m in median.items():
        vs_floor = f"{m['seconds'] / floor['seconds']:.2f}" if floor else "-"
        vs_ours = f"{m['seconds'] / ours['seconds']:.2f}" if ours else "-"
        print(
            f"{writer:<12} {m['seconds']:8.2f} {m['peak_mib']:9.0f} {m['peak_mib'] / input_mib:8.2f} "
            f"{m['disk_mib']:12.1f} {vs_floor:>8} {vs_ours:>7}"
        )
    if ours:
        for writer, m in median.items():
            if writer in ("ome-zarr-py", "ngff-zarr"):
                print(f"ours is {m['seconds'] / ours['seconds']:.2f}x as fast as {writer}")
    if "ours-zarrs" in median and "floor-zarrs" in median:
        ratio = median["ours-zarrs"]["seconds"] / median["floor-zarrs"]["seconds"]
        print(f"ours-zarrs takes {ratio:.2f}x the time of floor-zarrs")
    print("runs (seconds):", {w: [round(r["seconds"], 2) for r in runs] for w, runs in results.items()})


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shape", type=int, nargs=4, default=None, help="c z y x (default 2 64 2048 2048)")
    parser.add_argument("--chunks", type=int, nargs=4, default=(1, 16, 256, 256))
    parser.add_argument("--levels", type=int, default=4, help="extra pyramid levels")
    parser.add_argument("--writers", nargs="+", default=None, choices=WRITERS)
    parser.add_argument("--codec", default="zstd", choices=CODECS, help="the codec every writer uses")
    parser.add_argument(
        "--image", default="smooth", choices=("smooth", "noisy"), help="smooth structure, or a camera's noise"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per writer; the median is reported")
    parser.add_argument("--defaults", action="store_true", help="each writer with its own defaults")
    parser.add_argument(
        "--large",
        action="store_true",
        help="16 GiB (2, 256, 4096, 4096) generated lazily by dask: ours and the floor (level 0 only)",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one writer in this process
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.path, json.loads(args.settings))))
        return 0
    shape = tuple(args.shape or ((2, 256, 4096, 4096) if args.large else (2, 64, 2048, 2048)))
    writers = args.writers or (["ours", "floor"] if args.large else list(WRITERS))
    settings = {
        "shape": shape,
        "chunks": tuple(args.chunks),
        "levels": args.levels,
        "codec": args.codec,
        "defaults": args.defaults,
        "lazy": args.large,
        "image": args.image,
    }
    input_mib = 2 * shape[0] * shape[1] * shape[2] * shape[3] / 2**20
    print(
        f"{args.image} image uint16 {shape} ({input_mib / 1024:.2f} GiB, {'dask, generated lazily' if args.large else 'numpy'}), "
        f"{args.levels} extra levels, "
        + (
            "each writer's default settings"
            if args.defaults
            else f"chunks {tuple(args.chunks)}, local_mean, codec {args.codec}"
        ),
        flush=True,
    )
    results: dict[str, list[dict[str, Any]]] = {w: [] for w in writers}
    with tempfile.TemporaryDirectory() as workdir:
        for _ in range(args.repeat):
            for writer in writers:
                result = run_in_subprocess(writer, workdir, settings)
                if result is not None:
                    results[writer].append(result)
    report(results, input_mib)
    return 0


if __name__ == "__main__":
    sys.exit(main())
