"""Write the same image pyramid with xarray-omezarr, the peers and plain zarr, and compare.

Every writer runs in its own process, on the same uint16 (c, z, y, x) image, with the same chunks, the
same number of levels and, by default, the same codec (ours, Blosc zstd level 1 with byte shuffle,
which zarrs' pipeline encodes to zarr's bytes; ``--codec zstd`` for zarr's default, which it does not,
so that ours keeps zarr's pipeline there). Writers run in turn, each
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

Imports happen before the clock starts, and so does a touch of the same fresh memory in every writer
(:func:`warm_memory`: on a virtual machine that returns freed memory to its host, the first touch of
memory costs what a writer did before its clock decides). Figures: wall seconds, peak resident memory during the write (the input included; Linux's high-water
mark, reset when the clock starts), its ratio to the input's size, MiB on disk, and time ratios to the
floor and to ours.

    python benchmarks/write_pyramid.py                # 1 GiB numpy image, 4 extra levels, same codec
    python benchmarks/write_pyramid.py --image noisy  # a camera's noise: encoding is the expensive part
    python benchmarks/write_pyramid.py --defaults     # every writer with its own default settings
    python benchmarks/write_pyramid.py --large        # 16 GiB lazily generated dask image: bounded memory
    python benchmarks/write_pyramid.py --case open    # opening a 384-well plate, locally and on S3 (moto)
    python benchmarks/write_pyramid.py --shape 2 16 1024 1024 --writers ours floor --repeat 1
    python benchmarks/write_pyramid.py --sweep 0.25 0.5 1 2 --json sweep.json   # how cost grows
    python benchmarks/plot_sweep.py sweep.json docs/performance_sweep.png
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
WARM_BYTES = 3 * 2**30
"""Memory every writer touches and frees before its clock starts (:func:`warm_memory`): more than a
write of the default image touches (its files in the page cache, and the floor's levels)."""


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


def warm_memory(nbytes: int) -> None:
    """Touch ``nbytes`` of fresh memory and free it, right before the clock starts, in every writer alike.

    On a virtual machine that hands freed memory back to its host (a balloon's free page reporting, as
    on the machines these figures come from), the first touch of a page after that costs a fault in
    the host, which the guest sees only as slower page faults and page-cache copies (system time).
    A writer that allocated and freed a lot just before the clock (the floor, computing its levels)
    then writes its files into memory that is still backed, while one that starts cold pays up to a
    second more for the same bytes. Warming every writer the same way measures the writers, not
    what the process did before; the warmed memory is freed, so peak memory is not affected.
    """
    import numpy as np

    block = np.ones(nbytes, dtype=np.uint8)  # ones, not empty: every page is written
    del block


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

    if "ours" in writer:
        import xarray_omezarr

        return xarray_omezarr.set_options(codec_pipeline="zarrs" if writer.endswith("-zarrs") else "zarr")
    if writer.endswith("-zarrs"):
        return zarr.config.set({"codec_pipeline.path": "zarrs.ZarrsCodecPipeline"})
    return contextlib.nullcontext()


def import_writer(writer: str) -> None:
    """Import what ``writer`` needs, so that imports stay outside the clock and the memory figure."""
    import contextlib
    import importlib

    names = ["zarr", "dask.array", "xarray"]
    if "ours" in writer or writer.startswith(("plate", "read", "open")):
        names.append("xarray_omezarr")
    if "ome-zarr-py" in writer:
        names.append("ome_zarr.writer")
    if "ngff-zarr" in writer:
        names.append("ngff_zarr")
    for name in names:
        importlib.import_module(name)
    # imported on first use by whoever uses them: zarr imports the codec pipeline it is configured
    # with, and dask imports distributed (when installed) in every compute, to look for a client
    for name in ("zarrs", "numcodecs", "distributed"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    # and xarray looks for the duck-array libraries it knows (pint, sparse, ...) on the first variable it makes
    import numpy as np
    import xarray as xr

    xr.DataArray(np.zeros(2), dims="x", coords={"x": [0.0, 1.0]})


def run_one(writer: str, path: str, settings: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: make the image, then write it (or read it), measuring that only."""
    import_writer(writer)
    base = writer.removesuffix("-zarrs")
    if writer.startswith("open-"):
        import cases

        warm_memory(WARM_BYTES)
        reset_peak_memory()
        seconds, requests = cases.open_plate(writer, settings["read_from"])
        return {
            "writer": writer,
            "seconds": seconds,
            "peak_mib": peak_memory_mib(),
            "disk_mib": 0.0,
            "requests": requests,
        }
    if writer.startswith(("plate-", "read-")):
        import cases

        with codec_pipeline(writer):
            warm_memory(WARM_BYTES)
            reset_peak_memory()
            if writer.startswith("plate-"):
                seconds = cases.write_plate(base, path)
            else:
                seconds = cases.read_level0(base, settings["read_from"])
            peak = peak_memory_mib()
            wrote = pipeline_of(writer, path)
        written = disk_mib(path) if os.path.exists(path) else 0.0
        return {
            "writer": writer,
            "seconds": seconds,
            "peak_mib": peak,
            "disk_mib": written,
            "pipeline": wrote,
        }
    shape, chunks = tuple(settings["shape"]), tuple(settings["chunks"])
    kind = settings.get("image", "smooth")
    image = lazy_image(shape, chunks, kind) if settings["lazy"] else numpy_image(shape, chunks, kind)
    with codec_pipeline(writer):
        warm_memory(WARM_BYTES)
        reset_peak_memory()
        seconds = write(base, image, path, settings)
        peak = peak_memory_mib()
        wrote = pipeline_of(writer, path)
    return {
        "writer": writer,
        "seconds": seconds,
        "peak_mib": peak,
        "disk_mib": disk_mib(path),
        "pipeline": wrote,
    }


def pipeline_of(writer: str, path: str) -> str:
    """The codec pipeline that wrote (or read) level 0: ``zarrs`` or ``zarr``.

    Ours writes an array through zarrs only where zarrs encodes its chunks to the bytes zarr's
    pipeline writes (``xarray_omezarr.config.pipelined``), so ``ours-zarrs`` may write through zarr's.
    """
    if "ours" not in writer or writer.startswith(("read-", "open-")):
        return "zarrs" if writer.endswith("-zarrs") else "zarr"
    import zarr

    from xarray_omezarr.config import pipelined, uses_zarrs

    level0 = next(
        array
        for name, array in zarr.open_group(path, mode="r").members(max_depth=None)
        if isinstance(array, zarr.Array) and name.rsplit("/", 1)[-1] == "0"
    )
    return "zarrs" if uses_zarrs(pipelined(level0, writing=True)) else "zarr"


# --- the comparison ------------------------------------------------------------------------------------


def run_in_subprocess(writer: str, workdir: str, settings: dict[str, Any]) -> dict[str, Any] | None:
    path = os.path.join(workdir, f"{writer}.ome.zarr")
    os.sync()  # the previous writer's data reach the disk before this writer's clock starts
    done = subprocess.run(
        [sys.executable, __file__, "--one", writer, "--path", path, "--settings", json.dumps(settings)],
        capture_output=True,
        text=True,
    )
    shutil.rmtree(path, ignore_errors=True)  # (a kept source is written elsewhere: settings["keep"])
    if done.returncode:
        print(f"{writer}: failed\n{done.stderr[-3000:]}", flush=True)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def reference(writer: str, role: str) -> str:
    """The writer that ``writer`` is measured against: its case's ``"floor"`` or ``"ours"``.

    Ours and the floors are measured against the same kind (``plate-ours-zarrs`` against
    ``plate-floor-zarrs``); a peer against its case's floor and ours, through zarr's pipeline.
    """
    if writer.startswith("open-"):  # the open case has no floor: each opener against ours' tree, per place
        return "open-ours" + ("-s3" if writer.endswith("-s3") else "") if role == "ours" else ""
    if "ours" in writer or "floor" in writer:
        return writer.replace("ours", role).replace("floor", role)
    prefix = writer.split("-")[0] + "-" if writer.startswith(("plate-", "read-")) else ""
    return prefix + role


def medians(results: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, float]]:
    return {
        w: {
            k: statistics.median(r.get(k, 0) for r in runs)
            for k in ("seconds", "peak_mib", "disk_mib", "requests")
        }
        for w, runs in results.items()
        if runs
    }


def report(results: dict[str, list[dict[str, Any]]], input_mib: float | None) -> dict[str, dict[str, float]]:
    """Print the table of one comparison; its medians, with each writer's ratios added."""
    median = medians(results)
    print(
        f"{'writer':<22} {'seconds':>8} {'peak MiB':>9} {'x input':>8} {'MiB on disk':>12} "
        f"{'x floor':>8} {'x ours':>7} {'requests':>9} {'pipeline':>9}"
    )
    for writer, m in median.items():
        for role in ("floor", "ours"):
            other = median.get(reference(writer, role))
            m[f"x {role}"] = m["seconds"] / other["seconds"] if other else float("nan")
        per_input = f"{m['peak_mib'] / input_mib:8.2f}" if input_mib else f"{'-':>8}"
        print(
            f"{writer:<22} {m['seconds']:8.2f} {m['peak_mib']:9.0f} {per_input} "
            f"{m['disk_mib']:12.1f} {m['x floor']:8.2f} {m['x ours']:7.2f} "
            f"{m['requests'] if m['requests'] else '-':>9} {results[writer][0].get('pipeline', '-'):>9}"
        )
    print("runs (seconds):", {w: [round(r["seconds"], 2) for r in runs] for w, runs in results.items()})
    return median


def compare(writers: list[str], settings: dict[str, Any], repeat: int, workdir: str) -> dict[str, list[Any]]:
    """Every writer ``repeat`` times, interleaved, each in its own process."""
    results: dict[str, list[dict[str, Any]]] = {w: [] for w in writers}
    for _ in range(repeat):
        for writer in writers:
            result = run_in_subprocess(writer, workdir, settings)
            if result is not None:
                results[writer].append(result)
    return results


def image_settings(args: argparse.Namespace, kind: str) -> dict[str, Any]:
    shape = tuple(args.shape or ((2, 256, 4096, 4096) if args.large else (2, 64, 2048, 2048)))
    return {
        "shape": shape,
        "chunks": tuple(args.chunks),
        "levels": args.levels,
        "codec": args.codec,
        "defaults": args.defaults,
        "lazy": args.large,
        "image": kind,
    }


def describe(settings: dict[str, Any]) -> tuple[str, float]:
    """A line saying what the image comparison writes, and the input's MiB."""
    shape = settings["shape"]
    input_mib = 2 * shape[0] * shape[1] * shape[2] * shape[3] / 2**20
    kind = "dask, generated lazily" if settings["lazy"] else "numpy"
    how = (
        "each writer's default settings"
        if settings["defaults"]
        else f"chunks {settings['chunks']}, local_mean, codec {settings['codec']}"
    )
    line = f"{settings['image']} image uint16 {shape} ({input_mib / 1024:.2f} GiB, {kind}), {settings['levels']} extra levels, {how}"
    return line, input_mib


def run_case(case: str, args: argparse.Namespace, workdir: str, kind: str) -> dict[str, dict[str, float]]:
    """Run one comparison and print its table; its medians and ratios."""
    import cases

    settings = image_settings(args, kind)
    if case == "write":
        writers = args.writers or (["ours", "floor"] if args.large else list(WRITERS))
        line, input_mib = describe(settings)
        print(f"\n== write: {line}", flush=True)
        return report(compare(writers, settings, args.repeat, workdir), input_mib)
    if case == "plate":
        writers = args.writers or [*cases.PLATE_WRITERS, "plate-floor-zarrs", "plate-ours-zarrs"]
        print(
            f"\n== plate: {len(cases.ROWS) * cases.COLUMNS} wells of {cases.FIELDS} {cases.FIELD_SHAPE} fields, "
            "two levels each",
            flush=True,
        )
        return report(compare(writers, settings, args.repeat, workdir), None)
    if case == "open":
        writers = args.writers or list(cases.OPENERS)
        source = os.path.join(workdir, "open-source.ome.zarr")
        cases.make_open_plate(source)
        rows, columns, fields = len(cases.OPEN_ROWS), cases.OPEN_COLUMNS, cases.OPEN_FIELDS
        print(
            f"\n== open the tree of a plate of {rows * columns} wells of {fields} fields, locally and on moto's S3",
            flush=True,
        )
        results = compare(writers, {**settings, "read_from": source}, args.repeat, workdir)
        shutil.rmtree(source, ignore_errors=True)
        return report(results, None)
    # read: level 0 of an image ours wrote, off the clock
    writers = args.writers or [*cases.READERS, *(f"{r}-zarrs" for r in cases.READERS)]
    line, input_mib = describe(settings)
    source = os.path.join(workdir, "read-source.ome.zarr")
    run_in_subprocess("ours", workdir, {**settings, "keep": source})
    print(f"\n== read level 0 of: {line}", flush=True)
    results = compare(writers, {**settings, "read_from": source}, args.repeat, workdir)
    shutil.rmtree(source, ignore_errors=True)
    return report(results, input_mib)


SUMMARY = [
    ("ours / floor", "ours", "floor"),
    ("ours-zarrs / floor-zarrs", "ours-zarrs", "floor-zarrs"),
    ("floor-zarrs / floor", "floor-zarrs", "floor"),
    ("ome-zarr-py / ours", "ome-zarr-py", "ours"),
    ("ngff-zarr / ours", "ngff-zarr", "ours"),
    ("ome-zarr-py / ours-zarrs", "ome-zarr-py", "ours-zarrs"),
    ("ngff-zarr / ours-zarrs", "ngff-zarr", "ours-zarrs"),
]


def summarise(figures: dict[str, dict[str, dict[str, float]]]) -> None:
    """One table of the ratios that matter, from every comparison of the run."""
    print("\n== summary (time ratios of medians)")
    for title, median in figures.items():
        for label, top, bottom in SUMMARY:
            prefix = title.split(" ")[0] + "-" if title.startswith(("plate", "read")) else ""
            a, b = median.get(prefix + top), median.get(prefix + bottom)
            if a and b:
                print(f"{title:<14} {prefix + label:<42} {a['seconds'] / b['seconds']:6.2f}")
        if title == "open":
            for where in ("", "-s3"):
                for top, bottom in (
                    ("ome-zarr-py", "ours"),
                    ("ome-zarr-py", "ours-grid"),
                    ("ours-unconsolidated", "ours"),
                ):
                    a, b = median.get(f"open-{top}{where}"), median.get(f"open-{bottom}{where}")
                    if a and b:
                        label = f"open-{top}{where} / {bottom}"
                        print(f"{title:<14} {label:<42} {a['seconds'] / b['seconds']:6.2f}")
        if title.startswith("read"):
            for reader in ("read-ours", "read-ours-dask", "read-ours-zarrs", "read-ours-dask-zarrs"):
                if reader in median:
                    print(f"{title:<14} {reader + ' / floor':<42} {median[reader]['x floor']:6.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--case", default="write", choices=("write", "plate", "read", "open"), help="what to measure"
    )
    parser.add_argument("--all", action="store_true", help="every case, both images, and a summary of ratios")
    parser.add_argument("--shape", type=int, nargs=4, default=None, help="c z y x (default 2 64 2048 2048)")
    parser.add_argument("--chunks", type=int, nargs=4, default=(1, 16, 256, 256))
    parser.add_argument("--levels", type=int, default=4, help="extra pyramid levels")
    parser.add_argument(
        "--writers", nargs="+", default=None, help=f"writers (default: all of the case's); {WRITERS}"
    )
    parser.add_argument(
        "--codec", default="blosc-zstd", choices=CODECS, help="the codec every writer uses (default: ours)"
    )
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
    parser.add_argument("--json", help="also write every comparison's medians to this JSON file")
    parser.add_argument(
        "--sweep",
        type=float,
        nargs="+",
        default=None,
        metavar="GIB",
        help="the write case at each of these sizes (GiB; depth 64 per GiB of 2 x 2048 x 2048), for plot_sweep.py",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one writer in this process
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        settings = json.loads(args.settings)
        print(json.dumps(run_one(args.one, settings.get("keep", args.path), settings)))
        return 0
    figures: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as workdir:
        if args.sweep:
            for gib in args.sweep:
                args.shape = (2, max(16, round(64 * gib)), 2048, 2048)
                figures[f"sweep {gib:g}"] = run_case("write", args, workdir, args.image)
        elif args.all:
            for kind in ("smooth", "noisy"):
                figures[f"write {kind}"] = run_case("write", args, workdir, kind)
            figures["plate"] = run_case("plate", args, workdir, args.image)
            figures["read"] = run_case("read", args, workdir, "noisy")
            figures["open"] = run_case("open", args, workdir, args.image)
            summarise(figures)
        else:
            figures[args.case] = run_case(args.case, args, workdir, args.image)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
