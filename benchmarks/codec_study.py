"""Which zarr v3 compressor should be the default for uint16 microscopy images?

Every candidate compressor (after zarr's default ``BytesCodec`` serializer) writes the same uint16
array through ``zarr.create_array`` to a ``LocalStore`` in a temporary directory, then reads it back.

    python benchmarks/codec_study.py                    # 64 MiB per dataset, 3 repeats: ~65 s on 2 idle cores
    python benchmarks/codec_study.py --size-mib 512     # larger runs
    python benchmarks/codec_study.py --tiff nuclei.tif  # add a real image or stack, used verbatim

What it measures
----------------
For each dataset and each codec:

- **write**: ``arr[...] = data`` into a ``LocalStore`` (page cache; add ``--fsync`` to make each write
  durable, inside the timer);
- **read**: ``arr[...]`` from that store (page cache, since the files were just written; add
  ``--cold-reads`` to fsync and evict the chunk files with ``posix_fadvise`` before each read);
- **encode** and **decode**: the same into and out of a ``MemoryStore``, so codec cost without the file
  system. All four go through zarr's default configuration, which encodes and decodes chunks
  concurrently on a thread pool, so both cores can be busy;
- the bytes stored and the ratio (uncompressed bytes / stored bytes).

Then, in memory on the first dataset, how blosc's own threads interact with zarr's pool. Importing
``zarr.codecs`` sets ``numcodecs.blosc.use_threads = False``: each call compresses on the calling thread
with a context of its own, and the parallelism comes from zarr running several chunks at once. The
study compares that with ``use_threads=True`` (blosc's global context, ``numcodecs.blosc.get_nthreads()``
internal threads per call, calls serialised by a lock) and with ``async.concurrency=1`` (one chunk at
a time), and zarr's default ``ZstdCodec`` with one chunk at a time.

Throughputs are uncompressed MiB per second of wall time, the median of ``--repeats`` runs. The repeats
go round-robin over the codecs (repeat 1 of every codec, then repeat 2, ...), so a burst of load from
another process is spread over the codecs rather than landing on all repeats of one. The CPU time that
other processes used is watched (Linux only, from ``/proc/stat``): a repeat during which they kept more
than ``--max-other-load`` cores busy is run again, up to ``--retries`` times, and the load over the
whole run is printed. When it is high, the speeds are not trustworthy, although sizes and ratios are.
Before the clock starts, one chunk goes through every codec (imports and first use) and the whole dataset
is written and read three times uncompressed (on a virtual machine, memory touched for the first time
is slow; this was worth a factor of 3 on the first uncompressed reads).

Datasets
--------
- ``synthetic``: a fluorescence-like 3-D volume made with numpy from a fixed seed: gaussian nuclei and
  puncta over a dim, smooth cytoplasm, as photon fluxes (background about 30 photons, peaks of a few
  thousand), then a camera: Poisson shot noise, gaussian read noise (2 ADU) and an offset of 100 ADU.
  Each time point is a random flip/shift of the same volume with fresh noise, so no two chunks repeat.
- ``skimage-cell``: the real microscope image that scikit-image ships (``skimage.data.cell()``, an 8-bit
  quantitative phase image of a cell), used as the structure of the sample: it becomes a photon flux
  (dark background, bright cell, a few thousand photons), is defocused with distance from the middle
  plane, drifts a pixel or so per plane, and is imaged by the same simulated camera with fresh noise per
  plane. Each time point is a different random crop and flip.
- ``cells3d``: scikit-image's real 3-D fluorescence stack (uint16, 2 channels x 60 planes), used
  verbatim, when ``skimage.data.cells3d()`` can load it (it needs ``pooch`` and network access, or an
  earlier download in pooch's cache; ``--no-download`` skips it). Copies are stacked to reach the size,
  each randomly flipped and rolled, so no chunk repeats while each chunk holds real, unaltered pixels.
- ``--tiff PATH`` (any number of times): a real uint16 image or stack, used verbatim the same way. A 2-D
  image gets 2-D chunks (one plane per chunk), so that a chunk never holds two copies of the image.

All arrays are 4-D, ``(t, z, y, x)``; except for 2-D ``--tiff`` images the chunks are ``(1, 16, 256, 256)``
(2 MiB of uint16; fewer planes if a real stack has fewer).

Recommendation rule
-------------------
For each compressed candidate: its size relative to the smallest candidate of each dataset, and its
write speed, each combined over the datasets with a geometric mean. Among the candidates whose relative
size is within ``--size-tolerance`` (5 % by default) of the smallest, the fastest writer is recommended;
its read speed is printed alongside. Writing is what the choice of codec costs most (decoding is several
times faster than encoding for all of them), and size is what the user keeps paying for.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numcodecs
import numcodecs.blosc
import numpy as np
import zarr
from scipy import ndimage
from zarr.abc.codec import BytesBytesCodec
from zarr.codecs import BloscCodec, ZstdCodec
from zarr.storage import LocalStore, MemoryStore

MIB = 2**20
CHUNKS = (1, 16, 256, 256)
SEED = 20240611
T = TypeVar("T")


@dataclass(frozen=True)
class Candidate:
    """A compressor to compare; ``codec`` None means no compression at all."""

    name: str
    codec: BytesBytesCodec | None


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("none", None),
    Candidate("zstd level=0 (zarr default)", ZstdCodec()),
    Candidate("zstd level=1", ZstdCodec(level=1)),
    Candidate("zstd level=3", ZstdCodec(level=3)),
    Candidate("blosc lz4 5 shuffle", BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")),
    Candidate("blosc lz4 5 bitshuffle", BloscCodec(cname="lz4", clevel=5, shuffle="bitshuffle")),
    Candidate("blosc lz4hc 5 shuffle", BloscCodec(cname="lz4hc", clevel=5, shuffle="shuffle")),
    # blosc's clevel N runs zstd at level 2N - 1 (c-blosc's zstd_wrap_compress): 1, 5 and 9 below
    Candidate("blosc zstd 1 shuffle", BloscCodec(cname="zstd", clevel=1, shuffle="shuffle")),
    Candidate("blosc zstd 3 shuffle", BloscCodec(cname="zstd", clevel=3, shuffle="shuffle")),
    Candidate("blosc zstd 5 shuffle", BloscCodec(cname="zstd", clevel=5, shuffle="shuffle")),
    Candidate("blosc zstd 5 bitshuffle", BloscCodec(cname="zstd", clevel=5, shuffle="bitshuffle")),
    # a control: the same as above without shuffling, to see that shuffling happens and what it buys
    Candidate("blosc zstd 5 noshuffle", BloscCodec(cname="zstd", clevel=5, shuffle="noshuffle")),
)


@dataclass
class Dataset:
    """A uint16 array over (t, z, y, x) and the chunks to store it with."""

    name: str
    description: str
    data: np.ndarray
    chunks: tuple[int, ...]


@dataclass
class Timings:
    """Seconds per repeat of each measurement, and the bytes one write stored."""

    write: list[float] = field(default_factory=list)
    read: list[float] = field(default_factory=list)
    encode: list[float] = field(default_factory=list)
    decode: list[float] = field(default_factory=list)
    stored_bytes: int = 0


@dataclass
class Row:
    """One line of a results table: median throughputs in MiB/s, size in MiB."""

    codec: str
    write: float
    read: float
    encode: float
    decode: float
    stored_mib: float
    ratio: float


# ----------------------------------------------------------------------------------------------------
# data


def _camera(
    flux: np.ndarray, rng: np.random.Generator, offset: int = 100, read_noise: float = 2.0
) -> np.ndarray:
    """Image a photon flux: Poisson shot noise, gaussian read noise, an offset, rounded to uint16."""
    electrons = rng.poisson(flux).astype(np.float32)
    electrons += rng.standard_normal(flux.shape, dtype=np.float32) * np.float32(read_noise)
    return np.clip(np.rint(electrons + offset), 0, 65535).astype(np.uint16)


def _gaussian_spots(
    shape: tuple[int, int, int],
    count: int,
    sigma: tuple[float, float, float],
    peak: tuple[float, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """Gaussian spots at random places with random peak heights, as a float32 flux."""
    impulses = np.zeros(shape, np.float32)
    where = tuple(rng.integers(0, n, count) for n in shape)
    # a unit impulse blurred by a normalised gaussian peaks at 1 / ((2 pi)^(3/2) sz sy sx)
    gain = (2 * np.pi) ** 1.5 * float(np.prod(sigma))
    np.add.at(impulses, where, rng.uniform(*peak, count).astype(np.float32) * np.float32(gain))
    return ndimage.gaussian_filter(impulses, sigma, mode="wrap")


def _synthetic_flux(shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    """A fluorescence-like volume (photons per pixel): nuclei, puncta, cytoplasm and background."""
    nuclei = _gaussian_spots(shape, 40, (2.0, 9.0, 9.0), (800, 3000), rng)
    puncta = _gaussian_spots(shape, 400, (1.0, 1.5, 1.5), (200, 2000), rng)
    cytoplasm = ndimage.gaussian_filter(rng.random(shape, dtype=np.float32), (3, 24, 24), mode="wrap")
    cytoplasm = (cytoplasm - cytoplasm.min()) / np.ptp(cytoplasm) * 120
    return nuclei + puncta + cytoplasm + 30


def _random_flip(block: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Flip each of the last two axes with probability 1/2."""
    for axis in (-2, -1):
        if rng.random() < 0.5:
            block = np.flip(block, axis)
    return block


def _random_flip_shift(block: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Flip the last two axes at random and roll them by a random offset (a new view of the sample)."""
    shift = tuple(int(rng.integers(0, n)) for n in block.shape[-2:])
    return np.roll(_random_flip(block, rng), shift, axis=(-2, -1))


def _timepoints(size_mib: float, block_bytes: int) -> int:
    return max(1, round(size_mib * MIB / block_bytes))


def synthetic_dataset(size_mib: float) -> Dataset:
    """The synthetic fluorescence volume, with fresh noise per time point."""
    rng = np.random.default_rng(SEED)
    flux = _synthetic_flux((16, 512, 512), rng)
    n = _timepoints(size_mib, flux.size * 2)
    data = np.stack([_camera(_random_flip_shift(flux, rng), rng) for _ in range(n)])
    return Dataset(
        "synthetic",
        "numpy blobs/puncta + Poisson + read noise, offset 100",
        data,
        CHUNKS,
    )


def _cell_flux() -> np.ndarray:
    """skimage's cell image as a photon flux: background near 30 photons, the cell up to ~2500."""
    import skimage.data

    image = skimage.data.cell().astype(np.float32)
    low, high = np.percentile(image, [50, 99.9])
    return 30 + 2500 * np.clip((image - low) / (high - low), 0, 1)


def _cell_block(flux: np.ndarray, planes: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """One time point: a random crop that drifts by about a pixel per plane, defocused away from the middle."""
    y = int(rng.integers(0, flux.shape[0] - size - planes))
    x = int(rng.integers(0, flux.shape[1] - size - planes))
    block = np.empty((planes, size, size), np.float32)
    for z in range(planes):
        y, x = y + int(rng.integers(0, 2)), x + int(rng.integers(0, 2))
        defocus = abs(z - planes // 2) / 3
        block[z] = ndimage.gaussian_filter(flux[y : y + size, x : x + size], defocus)
    return _random_flip(block, rng)


def skimage_cell_dataset(size_mib: float) -> Dataset:
    """skimage's real cell image as the sample, imaged by the simulated camera."""
    rng = np.random.default_rng(SEED + 1)
    flux = _cell_flux()
    n = _timepoints(size_mib, 16 * 512 * 512 * 2)
    data = np.stack([_camera(_cell_block(flux, 16, 512, rng), rng) for _ in range(n)])
    return Dataset(
        "skimage-cell",
        "skimage.data.cell() (real, 8-bit) as flux, simulated camera, fresh noise per plane",
        data,
        CHUNKS,
    )


def verbatim_dataset(name: str, image: np.ndarray, size_mib: float) -> Dataset:
    """A real image used verbatim: randomly flipped copies stacked along t up to the size asked for."""
    if image.dtype != np.uint16:
        raise ValueError(f"{name}: expected uint16, got {image.dtype}")
    rng = np.random.default_rng(SEED + 2)
    if image.ndim == 2:
        volume = image[None, None]
        chunks: tuple[int, ...] = (1, 1, min(1024, image.shape[0]), min(1024, image.shape[1]))
    else:
        volume = image.reshape(-1, *image.shape[-3:])
        chunks = (1, min(16, volume.shape[1]), min(256, volume.shape[2]), min(256, volume.shape[3]))
    copies = max(1, round(size_mib * MIB / volume.nbytes))
    data = np.concatenate([volume] + [_random_flip_shift(volume, rng) for _ in range(copies - 1)])
    return Dataset(
        name, f"real, verbatim: {image.shape} uint16, {copies} flipped/shifted copies", data, chunks
    )


def cells3d_dataset(size_mib: float) -> Dataset | str:
    """skimage's real 3-D fluorescence stack (z, c, y, x), or the reason it could not be loaded."""
    try:
        import skimage.data

        stack = skimage.data.cells3d()
    except Exception as error:
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return verbatim_dataset("cells3d", np.ascontiguousarray(stack.transpose(1, 0, 2, 3)), size_mib)


def tiff_dataset(path: Path, size_mib: float) -> Dataset:
    import tifffile

    return verbatim_dataset(path.name, tifffile.imread(path), size_mib)


# ----------------------------------------------------------------------------------------------------
# load from other processes


class OtherLoad:
    """CPU that other processes used while this one ran (from /proc/stat; None off Linux)."""

    def __init__(self) -> None:
        self.start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return None
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
        busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
        own = os.times()
        return busy, own.user + own.system, time.perf_counter()

    def cores(self) -> float | None:
        """Average number of cores busy with other processes since this object was made."""
        end = self._sample()
        if self.start is None or end is None:
            return None
        busy, own, wall = (b - a for a, b in zip(self.start, end))
        return max(0.0, (busy - own) / wall)


# ----------------------------------------------------------------------------------------------------
# measurements


def _files(path: Path) -> Iterator[Path]:
    return (p for p in path.rglob("*") if p.is_file())


def _fsync_all(path: Path, evict: bool = False) -> None:
    """fsync every file under path and, with evict, drop it from the page cache."""
    for file in _files(path):
        fd = os.open(file, os.O_RDONLY)
        try:
            os.fsync(fd)
            if evict:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _create(store: Any, dataset: Dataset, codec: BytesBytesCodec | None) -> zarr.Array:
    return zarr.create_array(
        store,
        shape=dataset.data.shape,
        dtype=dataset.data.dtype,
        chunks=dataset.chunks,
        compressors=codec,
        overwrite=True,
    )


def _timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def _write_local(path: Path, dataset: Dataset, codec: BytesBytesCodec | None, fsync: bool) -> float:
    shutil.rmtree(path, ignore_errors=True)
    array = _create(LocalStore(path), dataset, codec)

    def write() -> None:
        array[...] = dataset.data
        if fsync:
            _fsync_all(path)

    return _timed(write)[0]


def _read_local(path: Path, dataset: Dataset, cold: bool, check: bool) -> float:
    if cold:
        _fsync_all(path, evict=True)
    array = zarr.open_array(LocalStore(path, read_only=True), mode="r")
    seconds, back = _timed(lambda: array[...])
    if check and not np.array_equal(back, dataset.data):
        raise AssertionError(f"{path}: data read back differ from data written")
    return seconds


def _encode_decode_memory(dataset: Dataset, codec: BytesBytesCodec | None) -> tuple[float, float]:
    array = _create(MemoryStore(), dataset, codec)
    encode, _ = _timed(lambda: array.__setitem__(Ellipsis, dataset.data))
    decode, _ = _timed(lambda: array[...])
    return encode, decode


def _stored_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in _files(path))


@dataclass(frozen=True)
class Settings:
    """How to measure: repeats, durability, and how much load from other processes to tolerate."""

    repeats: int = 3
    fsync: bool = False
    cold_reads: bool = False
    max_other_load: float = 0.5
    retries: int = 2


def _measure_once(
    dataset: Dataset, codec: BytesBytesCodec | None, path: Path, settings: Settings, check: bool
) -> tuple[float, float, float, float, int]:
    """Seconds to write, read, encode and decode, and the bytes stored."""
    write = _write_local(path, dataset, codec, settings.fsync)
    read = _read_local(path, dataset, settings.cold_reads, check)
    stored = _stored_bytes(path)
    shutil.rmtree(path)
    encode, decode = _encode_decode_memory(dataset, codec)
    return write, read, encode, decode, stored


def _warm_up(dataset: Dataset, workdir: Path, settings: Settings) -> None:
    """Untimed: one chunk through every candidate, then the whole dataset uncompressed three times.

    The first covers imports and first use of each codec. The second matters on virtual machines, whose
    memory is backed on first touch: the first few hundred MiB of fresh page cache and heap are slow.
    """
    region = tuple(slice(0, c) for c in dataset.chunks)
    small = Dataset(dataset.name, "", np.ascontiguousarray(dataset.data[region]), dataset.chunks)
    path = workdir / "warm-up.zarr"
    for candidate in CANDIDATES:
        _measure_once(small, candidate.codec, path, settings, check=True)
    for _ in range(3):
        _measure_once(dataset, None, path, settings, check=False)


def _when_quiet(function: Callable[[], T], settings: Settings) -> tuple[T, int]:
    """Call function again while other processes kept more than max_other_load cores busy during it.

    At most ``settings.retries`` times; returns the last value and how many calls were redone.
    """
    redone = 0
    while True:
        load = OtherLoad()
        value = function()
        other = load.cores()
        if other is None or other <= settings.max_other_load or redone == settings.retries:
            return value, redone
        redone += 1


def measure(dataset: Dataset, workdir: Path, settings: Settings) -> tuple[dict[str, Timings], int]:
    """Time every candidate on one dataset, repeats going round-robin over the candidates.

    Returns the timings and how many repeats were redone because of load from other processes.
    """
    _warm_up(dataset, workdir, settings)
    timings = {c.name: Timings() for c in CANDIDATES}
    redone = 0
    for repeat in range(settings.repeats):
        for index, candidate in enumerate(CANDIDATES):
            path = workdir / f"{dataset.name}-{index}.zarr"
            run = partial(_measure_once, dataset, candidate.codec, path, settings, repeat == 0)
            once, again = _when_quiet(run, settings)
            redone += again
            result = timings[candidate.name]
            for seconds, value in zip((result.write, result.read, result.encode, result.decode), once):
                seconds.append(value)
            result.stored_bytes = once[4]
    return timings, redone


def to_rows(dataset: Dataset, timings: dict[str, Timings]) -> list[Row]:
    mib = dataset.data.nbytes / MIB

    def speed(seconds: list[float]) -> float:
        return mib / statistics.median(seconds)

    return [
        Row(
            name,
            speed(t.write),
            speed(t.read),
            speed(t.encode),
            speed(t.decode),
            t.stored_bytes / MIB,
            dataset.data.nbytes / t.stored_bytes,
        )
        for name, t in timings.items()
    ]


# ----------------------------------------------------------------------------------------------------
# checks: what zarr's defaults are, and whether blosc shuffles


def check_codecs(dataset: Dataset, workdir: Path) -> list[str]:
    """Facts about the candidates, verified on the data rather than assumed."""
    lines = []
    array = zarr.create_array(
        MemoryStore(), shape=dataset.data.shape, dtype=dataset.data.dtype, chunks=dataset.chunks
    )
    lines.append(f"zarr {zarr.__version__} default compressors for uint16: {array.compressors}")
    chunk = np.ascontiguousarray(dataset.data[tuple(slice(0, c) for c in dataset.chunks)])
    same = numcodecs.Zstd(level=0).encode(chunk) == numcodecs.Zstd(level=3).encode(chunk)
    lines.append(f"zstd level=0 means libzstd's default level 3 (identical bytes for a chunk): {same}")
    for candidate in CANDIDATES:
        if isinstance(candidate.codec, BloscCodec):
            lines.append(f"{candidate.name:<28} {_blosc_header(dataset, workdir, candidate.codec)}")
    lines.append(
        f"numcodecs.blosc.use_threads = {numcodecs.blosc.use_threads} "
        f"(zarr.codecs.blosc sets it to False on import), blosc nthreads = {numcodecs.blosc.get_nthreads()}"
    )
    return lines


def _blosc_header(dataset: Dataset, workdir: Path, codec: BloscCodec) -> str:
    """The typesize zarr chose and what the header of a stored chunk says was done to it."""
    path = workdir / "header-check.zarr"
    array = _create(LocalStore(path), dataset, codec)
    region = tuple(slice(0, c) for c in dataset.chunks)
    array[region] = dataset.data[region]
    stored = array.compressors[0]
    assert isinstance(stored, BloscCodec)
    chunk_file = next(p for p in _files(path) if p.name != "zarr.json")
    header = chunk_file.read_bytes()[:16]
    shutil.rmtree(path)
    # blosc 1 header: byte 2 holds the flags (0x1 byte shuffle, 0x2 stored uncompressed, 0x4 bitshuffle),
    # byte 3 the typesize the shuffle used
    flags, typesize = header[2], header[3]
    shuffle = "bitshuffle" if flags & 0x4 else "shuffle" if flags & 0x1 else "noshuffle"
    return (
        f"metadata typesize={stored.typesize} shuffle={stored.shuffle.value}; "
        f"chunk header typesize={typesize} shuffle={shuffle} uncompressed={bool(flags & 0x2)}"
    )


# ----------------------------------------------------------------------------------------------------
# blosc's own threads against zarr's thread pool


@contextmanager
def _blosc_threads(use_threads: bool, concurrency: int | None) -> Iterator[None]:
    previous = numcodecs.blosc.use_threads
    numcodecs.blosc.use_threads = use_threads
    try:
        if concurrency is None:
            yield
        else:
            with zarr.config.set({"async.concurrency": concurrency}):
                yield
    finally:
        numcodecs.blosc.use_threads = previous


def _encode_decode_threads(
    dataset: Dataset, codec: BytesBytesCodec | None, use_threads: bool, concurrency: int | None
) -> tuple[float, float]:
    with _blosc_threads(use_threads, concurrency):
        return _encode_decode_memory(dataset, codec)


THREAD_MODES: tuple[tuple[str, bool, int | None], ...] = (
    ("zarr pool (default), use_threads=False", False, None),
    ("zarr pool (default), use_threads=True", True, None),
    ("async.concurrency=1, use_threads=False", False, 1),
    ("async.concurrency=1, use_threads=True", True, 1),
)


def thread_study(dataset: Dataset, settings: Settings) -> list[tuple[str, str, float, float]]:
    """Encode/decode MiB/s in memory for a few codecs under each threading mode, medians of repeats."""
    names = ("zstd level=0 (zarr default)", "blosc lz4 5 shuffle", "blosc zstd 5 shuffle")
    codecs = [c for c in CANDIDATES if c.name in names]
    seconds: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(settings.repeats):
        for candidate in codecs:
            for mode, use_threads, concurrency in THREAD_MODES:
                if use_threads and not isinstance(candidate.codec, BloscCodec):
                    continue
                run = partial(_encode_decode_threads, dataset, candidate.codec, use_threads, concurrency)
                pair, _ = _when_quiet(run, settings)
                seconds.setdefault((candidate.name, mode), []).append(pair)
    mib = dataset.data.nbytes / MIB
    return [
        (
            codec,
            mode,
            mib / statistics.median(e for e, _ in runs),
            mib / statistics.median(d for _, d in runs),
        )
        for (codec, mode), runs in seconds.items()
    ]


# ----------------------------------------------------------------------------------------------------
# report


HEADER = (
    f"{'codec':<28} {'write MiB/s':>11} {'read MiB/s':>10} {'encode MiB/s':>12} {'decode MiB/s':>12} "
    f"{'MiB on disk':>11} {'ratio':>6}"
)


def format_table(rows: list[Row]) -> str:
    lines = [HEADER, "-" * len(HEADER)]
    for r in rows:
        lines.append(
            f"{r.codec:<28} {r.write:>11.0f} {r.read:>10.0f} {r.encode:>12.0f} {r.decode:>12.0f} "
            f"{r.stored_mib:>11.1f} {r.ratio:>6.2f}"
        )
    return "\n".join(lines)


def _geomean(values: list[float]) -> float:
    return float(np.exp(np.mean(np.log(values))))


def recommend(tables: dict[str, list[Row]], tolerance: float) -> tuple[str, list[str]]:
    """Fastest geometric-mean writer among codecs whose geometric-mean relative size is within tolerance."""
    names = [c.name for c in CANDIDATES if c.codec is not None]
    relative: dict[str, list[float]] = {n: [] for n in names}
    writes: dict[str, list[float]] = {n: [] for n in names}
    reads: dict[str, list[float]] = {n: [] for n in names}
    for rows in tables.values():
        compressed = [r for r in rows if r.codec in relative]
        smallest = min(r.stored_mib for r in compressed)
        for r in compressed:
            relative[r.codec].append(r.stored_mib / smallest)
            writes[r.codec].append(r.write)
            reads[r.codec].append(r.read)
    summary = {n: (_geomean(relative[n]), _geomean(writes[n]), _geomean(reads[n])) for n in names}
    eligible = [n for n in names if summary[n][0] <= 1 + tolerance]
    best = max(eligible, key=lambda n: summary[n][1])
    lines = [f"{'codec':<28} {'size/smallest':>13} {'write MiB/s':>11} {'read MiB/s':>10}  (geometric means)"]
    for n in sorted(names, key=lambda n: summary[n][0]):
        mark = "*" if n in eligible else " "
        lines.append(f"{n:<28} {summary[n][0]:>13.3f} {summary[n][1]:>11.0f} {summary[n][2]:>10.0f} {mark}")
    size, write, read = summary[best]
    line = (
        f"Recommendation: {best} - fastest writer ({write:.0f} MiB/s write, {read:.0f} MiB/s read) among the "
        f"codecs within {tolerance:.0%} of the smallest size (it is {size - 1:+.1%}), over {len(tables)} dataset(s)."
    )
    return line, lines


# ----------------------------------------------------------------------------------------------------
# main


def load_datasets(args: argparse.Namespace) -> tuple[list[Dataset], list[str]]:
    """The datasets to run on, and notes about the ones that could not be had."""
    datasets = [synthetic_dataset(args.size_mib), skimage_cell_dataset(args.size_mib)]
    notes = []
    if args.no_download:
        notes.append("cells3d: skipped (--no-download)")
    else:
        cells3d = cells3d_dataset(args.size_mib)
        if isinstance(cells3d, Dataset):
            datasets.append(cells3d)
        else:
            notes.append(f"cells3d: not available ({cells3d})")
    datasets += [tiff_dataset(path, args.size_mib) for path in args.tiff]
    return datasets, notes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--size-mib", type=float, default=64, help="uncompressed MiB per dataset (default 64)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="repeats of each measurement (median; default 3)"
    )
    parser.add_argument("--tiff", type=Path, action="append", default=[], help="a real uint16 TIFF to add")
    parser.add_argument("--no-download", action="store_true", help="do not try to fetch skimage's cells3d")
    parser.add_argument("--fsync", action="store_true", help="fsync every chunk file inside the write timer")
    parser.add_argument(
        "--cold-reads", action="store_true", help="evict chunk files from the page cache before reads"
    )
    parser.add_argument(
        "--size-tolerance", type=float, default=0.05, help="size tolerance of the rule (0.05)"
    )
    parser.add_argument(
        "--max-other-load",
        type=float,
        default=0.5,
        help="redo a repeat when other processes kept more cores than this busy (0.5)",
    )
    parser.add_argument("--retries", type=int, default=2, help="at most this many redos per repeat (2)")
    parser.add_argument(
        "--skip-thread-study", action="store_true", help="skip the blosc threading comparison"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    settings = Settings(args.repeats, args.fsync, args.cold_reads, args.max_other_load, args.retries)
    load = OtherLoad()
    started = time.perf_counter()
    print(
        f"zarr {zarr.__version__}, numcodecs {numcodecs.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs"
    )
    print(
        f"writes: {'fsynced' if args.fsync else 'page cache, no fsync'}; reads: {'cold' if args.cold_reads else 'page cache'}"
    )
    datasets, notes = load_datasets(args)
    for note in notes:
        print(note)
    tables: dict[str, list[Row]] = {}
    with tempfile.TemporaryDirectory(prefix="codec-study-") as tmp:
        workdir = Path(tmp)
        print("\n" + "\n".join(check_codecs(datasets[0], workdir)))
        for dataset in datasets:
            shape, chunks, mib = dataset.data.shape, dataset.chunks, dataset.data.nbytes / MIB
            print(f"\n== {dataset.name}: {dataset.description}")
            print(f"   shape {shape}, chunks {chunks}, {mib:.0f} MiB, median of {args.repeats}")
            timings, redone = measure(dataset, workdir, settings)
            tables[dataset.name] = to_rows(dataset, timings)
            if redone:
                print(f"   {redone} repeat(s) redone: other processes used > {settings.max_other_load} cores")
            print(format_table(tables[dataset.name]), flush=True)
    if not args.skip_thread_study:
        print(f"\n== blosc threads vs zarr's pool (in memory, {datasets[0].name}, MiB/s)")
        for codec, mode, encode, decode in thread_study(datasets[0], settings):
            print(f"{codec:<28} {mode:<40} encode {encode:>5.0f} decode {decode:>5.0f}")
    line, summary = recommend(tables, args.size_tolerance)
    print("\n== over all datasets (* = within the size tolerance)\n" + "\n".join(summary))
    other = load.cores()
    if other is not None:
        print(f"\nother processes used {other:.2f} of {os.cpu_count()} cores on average during the run")
        if other > 0.2:
            print("warning: the machine was not idle; speeds are disturbed (sizes and ratios are not)")
    print(f"total time {time.perf_counter() - started:.0f} s\n")
    print(line)


if __name__ == "__main__":
    main()
