"""Write the same image pyramid with xarray-omezarr, the peers and plain zarr, and compare.

Each writer runs in its own process (so peak memory is its own), on the same uint16 image (made in
memory before the clock starts, so peak memory includes it for every writer), with the same chunks, the same number of levels and the same codec (zstd level 0, zarr's default).
The floor is plain zarr writing precomputed levels (numpy block means computed before the clock starts):
the cost of encoding and writing the bytes, with no downsampling at all.

    python benchmarks/write_pyramid.py                      # 1 GiB (2, 64, 2048, 2048), 4 extra levels
    python benchmarks/write_pyramid.py --shape 2 16 1024 1024 --writers ours floor
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

WRITERS = ("floor", "ours", "ome-zarr-py", "ngff-zarr")


def _image(shape: tuple[int, ...], chunks: tuple[int, ...]):  # type: ignore[no-untyped-def]
    import dask.array as da

    # smooth structure plus noise, like a fluorescence image, so that compression is realistic
    rng = da.random.default_rng(0)
    noise = rng.normal(200, 20, shape, chunks=chunks)
    y = da.arange(shape[-2], chunks=chunks[-2])[:, None]
    x = da.arange(shape[-1], chunks=chunks[-1])[None, :]
    pattern = 1500 * (da.sin(y / 37.0) * da.cos(x / 53.0)) ** 2
    return (noise + pattern).clip(0, 65535).astype("uint16")


def _run_one(writer: str, path: str, shape: tuple[int, ...], chunks: tuple[int, ...], levels: int) -> dict:
    import numpy as np

    # every writer starts from the same image in memory, made before the clock starts
    image = _image(shape, chunks).compute()
    factors = [2 ** (i + 1) for i in range(levels)]
    start = time.perf_counter()
    if writer == "floor":
        import dask.array as da
        import zarr

        # the levels are computed before the clock too: the floor is only encoding and writing
        arrays = [da.from_array(image, chunks=chunks)]
        for _ in range(levels):
            arrays.append(da.coarsen(np.mean, arrays[-1], {2: 2, 3: 2}, trim_excess=True).astype("uint16"))
        computed = [a.compute() for a in arrays]
        start = time.perf_counter()
        root = zarr.open_group(path, mode="w")
        for i, level in enumerate(computed):
            target = root.create_array(str(i), shape=level.shape, dtype=level.dtype, chunks=chunks)
            target[...] = level
    elif writer == "ours":
        import xarray as xr

        import xarray_omezarr  # noqa: F401

        data = xr.DataArray(image, dims=("c", "z", "y", "x"), name="bench")
        data.omezarr.to_zarr(
            path, scale_factors=factors, method="local_mean", storage_options={"chunks": chunks}
        )
    elif writer == "ome-zarr-py":
        import zarr
        from ome_zarr.writer import write_image

        root = zarr.open_group(path, mode="w")
        write_image(
            image,
            root,
            axes="czyx",
            scale_factors=factors,
            method="local_mean",
            storage_options={"chunks": chunks},
        )
    elif writer == "ngff-zarr":
        import ngff_zarr

        ngff_image = ngff_zarr.to_ngff_image(image, dims=("c", "z", "y", "x"))
        multiscales = ngff_zarr.to_multiscales(
            ngff_image,
            scale_factors=factors,
            method=ngff_zarr.Methods.ITKWASM_BIN_SHRINK,
            chunks=dict(zip(("c", "z", "y", "x"), chunks, strict=True)),
        )
        ngff_zarr.to_ngff_zarr(path, multiscales, version="0.5")
    else:
        raise ValueError(f"unknown writer {writer!r}; choose from {WRITERS}")
    elapsed = time.perf_counter() - start
    import resource

    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)
    return {
        "writer": writer,
        "seconds": elapsed,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "bytes": size,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shape", type=int, nargs=4, default=(2, 64, 2048, 2048), help="c z y x")
    parser.add_argument("--chunks", type=int, nargs=4, default=(1, 16, 256, 256))
    parser.add_argument("--levels", type=int, default=4, help="extra pyramid levels")
    parser.add_argument("--writers", nargs="+", default=list(WRITERS), choices=WRITERS)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one writer in this process
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    shape, chunks = tuple(args.shape), tuple(args.chunks)
    if args.one:
        print(json.dumps(_run_one(args.one, args.path, shape, chunks, args.levels)))
        return 0
    gib = 2 * shape[0] * shape[1] * shape[2] * shape[3] / 2**30
    print(f"image uint16 {shape} ({gib:.2f} GiB), chunks {chunks}, {args.levels} extra levels, local_mean")
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        for writer in args.writers:
            path = os.path.join(workdir, f"{writer}.ome.zarr")
            command = [
                sys.executable,
                __file__,
                "--one",
                writer,
                "--path",
                path,
                "--levels",
                str(args.levels),
                "--shape",
                *map(str, shape),
                "--chunks",
                *map(str, chunks),
            ]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode:
                print(f"{writer}: failed\n{done.stderr[-2000:]}")
                continue
            results[writer] = json.loads(done.stdout.strip().splitlines()[-1])
            shutil.rmtree(path, ignore_errors=True)
    floor = results.get("floor")
    ours = results.get("ours")
    print(f"{'writer':<12} {'seconds':>8} {'peak MiB':>9} {'MiB on disk':>12} {'x floor':>8} {'x ours':>7}")
    for writer, r in results.items():
        vs_floor = f"{r['seconds'] / floor['seconds']:.2f}" if floor else "-"
        vs_ours = f"{r['seconds'] / ours['seconds']:.2f}" if ours else "-"
        print(
            f"{writer:<12} {r['seconds']:8.1f} {r['peak_mib']:9.0f} {r['bytes'] / 2**20:12.1f} {vs_floor:>8} {vs_ours:>7}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
