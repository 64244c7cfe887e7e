"""Downsampling methods, each with the geometry of the pixels it produces.

A method does two things: it computes a smaller array, and it says where that array's pixels are in
the input's index space. Output pixel ``j`` along an axis downsampled by ``f`` lies at input index
``offset + f * j``, so a level's coordinates (and hence its OME transforms) follow from the input's
coordinates exactly, never from a ratio of shapes.

Two grids occur:

* the *block grid* (``local_mean``, ``resize``, ``gaussian``, ``laplacian``, ``mode``): the input is cut
  into blocks of ``f`` pixels (a remainder of fewer than ``f`` pixels at the end is dropped), and output
  pixel ``j`` sits at the centre of block ``j``: ``offset = (f - 1) / 2``, size ``n // f``;
* the *sampling grid* (``nearest``): output pixel ``j`` *is* input pixel ``f * j``: ``offset = 0``,
  size ``ceil(n / f)``.

Every method is computed by one block function that sees a block of whole ``f``-blocks (plus a halo for
methods that smooth), so a chunked dask array gives exactly the whole-array result, with no seams.
Integer output is rounded to nearest and clipped to the dtype, never truncated or wrapped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Literal

import numpy as np

from ..errors import InvalidImageError

__all__ = [
    "LABEL_METHODS",
    "Method",
    "Methods",
    "check_label_method",
    "downsample",
    "get_method",
]


class Methods(StrEnum):
    """The downsampling methods; plain strings (``"local_mean"``) are accepted wherever these are.

    - ``nearest``: keep every ``f``-th pixel (pixel ``f * j`` of the input).
    - ``resize``: anti-aliased linear resampling onto the block centres, as ``skimage.transform.resize``
      does when the size divides by ``f`` (Gaussian with ``sigma = (f - 1) / 2``, then linear
      interpolation).
    - ``laplacian``: the low-pass image of a Laplacian pyramid, i.e. the Gaussian-reduced image that
      ``skimage.transform.pyramid_laplacian`` subtracts from (``sigma = 2 f / 6``, then linear
      interpolation onto the block centres). Never the band-pass detail.
    - ``local_mean``: the mean of each block, as ``skimage.transform.downscale_local_mean``.
    - ``gaussian``: a stronger low-pass (``sigma = f / 2``) sampled at the block centres, for noisy data.
    - ``mode``: the most frequent value of each block (the smallest on ties), for labels.
    - ``zoom``: linear interpolation at the block centres without anti-aliasing, which is what
      ``scipy.ndimage.zoom(order=1, grid_mode=True)`` computes when the size divides by ``f``. (Its
      default ``grid_mode=False`` aligns the corner pixels instead, which gives scales such as 2.03 that no
      other level shares, and cannot be computed chunk by chunk without seams.) Fast and sharp; it aliases
      fine patterns, where ``resize`` does not.
    """

    NEAREST = "nearest"
    RESIZE = "resize"
    LAPLACIAN = "laplacian"
    LOCAL_MEAN = "local_mean"
    GAUSSIAN = "gaussian"
    MODE = "mode"
    ZOOM = "zoom"

    def __str__(self) -> str:
        return self.value


LABEL_METHODS = frozenset({Methods.NEAREST, Methods.MODE})
"""Methods that never invent values, the only ones allowed for labels."""

_GAUSSIAN_TRUNCATE = 4.0  # scipy's default: the kernel reaches 4 sigma
_NUMPY_PAD_MODE: dict[str, Literal["reflect", "symmetric"]] = {
    "mirror": "reflect",
    "reflect": "symmetric",
}  # scipy.ndimage's names -> numpy's


@dataclass(frozen=True)
class Method:
    """A downsampling method: its geometry and its block function."""

    name: Methods
    on_block_grid: bool
    sigma: Callable[[int], float] | None = None  # Gaussian pre-filter per factor, None for none
    reduce: Callable[[np.ndarray, Sequence[int]], np.ndarray] | None = None
    border: str = "mirror"  # scipy.ndimage's name for how smoothing extends the image at its border

    def offset(self, factor: int) -> float:
        """Input index of output pixel 0 along an axis downsampled by ``factor``."""
        return (factor - 1) / 2 if self.on_block_grid else 0.0

    def size(self, n: int, factor: int) -> int:
        """Output size along an axis of ``n`` pixels downsampled by ``factor``."""
        return n // factor if self.on_block_grid else -(-n // factor)

    def reach(self, factor: int) -> int:
        """How many input pixels beyond its block an output pixel's value depends on (smoothing's halo)."""
        if self.sigma is None or factor <= 1:
            return 0
        return int(_GAUSSIAN_TRUNCATE * self.sigma(factor) + 0.5)

    @property
    def function_name(self) -> str:
        """Fully qualified name of the function that computes it, recorded in the metadata."""
        return f"{__package__}.downsample"  # the public name: xarray_omezarr.scale.downsample


def _compute_dtype(dtype: np.dtype) -> np.dtype:
    """Float32 where it is exact enough (inputs of up to 16 bits), float64 otherwise."""
    if dtype.kind == "f" and dtype.itemsize <= 4:
        return np.dtype(np.float32)
    if dtype.kind in "biu" and dtype.itemsize <= 2:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _cast_back(values: Any, dtype: np.dtype) -> np.ndarray:
    """Float results back to the input dtype: rounded to nearest and clipped for integers."""
    if dtype == values.dtype:
        return values
    if dtype.kind == "b":
        return values >= 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.clip(np.rint(values), info.min, info.max).astype(dtype)
    return values.astype(dtype)


def _blocks(x: np.ndarray, factors: Sequence[int]) -> np.ndarray:
    """View ``x`` (whole blocks only) as ``(n0 // f0, f0, n1 // f1, f1, ...)``."""
    shape: list[int] = []
    for n, f in zip(x.shape, factors, strict=True):
        shape += [n // f, f]
    return x.reshape(shape)


_FLOAT32_EXACT_COUNT = 64


def _sum_dtype(dtype: np.dtype, count: int) -> np.dtype:
    """An accumulator that holds the sum of ``count`` values of ``dtype`` exactly (floats: in float64)."""
    if dtype.kind in "bu" and dtype.itemsize <= 2 and count <= 2**16:
        return np.dtype(np.uint32)  # half the memory traffic of int64, the common microscopy case
    if dtype.kind == "i" and dtype.itemsize <= 2 and count <= 2**15:
        return np.dtype(np.int32)
    if dtype.kind in "bu":
        return np.dtype(np.uint64)
    return np.dtype(np.int64) if dtype.kind == "i" else np.dtype(np.float64)


def _block_sum(x: np.ndarray, factors: Sequence[int]) -> np.ndarray:
    """The sum of each block: axis by axis, adding the ``f`` strided views of each downsampled axis.

    Strided adds stream through memory where a reduction over the small block axes of a reshaped view
    does not (several times faster), each axis shrinks the data before the next, and the adds run in a
    fixed order, so a chunk gives the same bits as the whole image.
    """
    dtype = _sum_dtype(x.dtype, math.prod(factors))
    total = x
    for axis, f in enumerate(factors):
        if f == 1:
            continue
        end = (total.shape[axis] // f) * f
        views = [total[(slice(None),) * axis + (slice(start, end, f),)] for start in range(f)]
        summed = np.add(views[0], views[1], dtype=dtype)
        for view in views[2:]:
            np.add(summed, view, out=summed)
        total = summed
    return total if total is not x else x.astype(dtype)


def _block_mean(x: np.ndarray, factors: Sequence[int]) -> np.ndarray:
    if x.dtype.kind == "f" and np.isnan(x).any():
        import warnings

        with warnings.catch_warnings():  # an all-NaN block is NaN, and that is the answer
            warnings.simplefilter("ignore", RuntimeWarning)
            blocks = _blocks(x, factors)
            axes = tuple(range(1, blocks.ndim, 2))
            return _cast_back(np.nanmean(blocks, axis=axes, dtype=np.float64), x.dtype)
    # integer sums are exact, and float sums are taken in float64; one division rounds once
    count = math.prod(factors)
    total = _block_sum(x, factors)
    if x.dtype.kind in "iu" and x.dtype.itemsize <= 2 and count <= _FLOAT32_EXACT_COUNT:
        # float32 holds these sums exactly, and its rounding error (at most 2**-8 near 65535) is smaller
        # than the distance 1 / count of any mean from a half, so rounding to nearest is exact. A mean
        # lies within the input's range: no clipping.
        mean = np.divide(total, count, dtype=np.float32)
        return np.rint(mean, out=mean).astype(x.dtype)
    return _cast_back(np.divide(total, count, dtype=np.float64), x.dtype)


def _block_mode(x: np.ndarray, factors: Sequence[int]) -> np.ndarray:
    """The most frequent value of each block; the smallest of them on ties."""
    blocks = _blocks(x, factors)
    ndim = x.ndim
    order = [2 * i for i in range(ndim)] + [2 * i + 1 for i in range(ndim)]
    members = np.sort(blocks.transpose(order).reshape(*blocks.shape[0::2], -1), axis=-1)
    # blocks are small (f**ndim values), so counting by pairwise comparison is cheap and vectorised
    counts = (members[..., :, None] == members[..., None, :]).sum(axis=-1)
    first_most_frequent = np.argmax(counts, axis=-1)[..., None]  # sorted: the first is the smallest
    return np.take_along_axis(members, first_most_frequent, axis=-1)[..., 0]


def _block_centres(x: np.ndarray, factors: Sequence[int]) -> np.ndarray:
    """Linear interpolation at each block's centre: the middle pixel, or the mean of the middle two."""
    out = x
    for axis, f in enumerate(factors):
        if f == 1:
            continue
        moved = np.moveaxis(out, axis, -1)
        blocks = moved.reshape(*moved.shape[:-1], moved.shape[-1] // f, f)
        if f % 2:
            centre = blocks[..., f // 2]
        else:
            centre = (blocks[..., f // 2 - 1] + blocks[..., f // 2]) / 2
        out = np.moveaxis(centre, -1, axis)
    return out


def _block_centre_values(x: np.ndarray, factors: Sequence[int]) -> np.ndarray:
    return _cast_back(_block_centres(x.astype(_compute_dtype(x.dtype), copy=False), factors), x.dtype)


def _halo(method: Method, factors: Sequence[int]) -> tuple[int, ...]:
    """How many neighbouring pixels each output needs beyond its block, per axis."""
    return tuple(method.reach(f) for f in factors)


def _smooth_block(
    block: np.ndarray,
    factors: Sequence[int],
    halo: Sequence[int],
    method: Method,
    out_dtype: Any,
    block_info: dict[Any, Any] | None = None,
) -> np.ndarray:
    """Smooth a block, then sample its block centres.

    The block carries ``halo`` pixels of its neighbours on each side, except where it touches the
    image border: there it is extended here the way the method's reference extends the whole image
    (``method.border``), so that every block sees exactly what the whole image would.
    """
    from scipy import ndimage

    assert method.sigma is not None
    pad = []
    for axis, h in enumerate(halo):
        if block_info is None:  # the whole image: borders on both sides
            pad.append((h, h))
            continue
        index, count = block_info[0]["chunk-location"][axis], block_info[0]["num-chunks"][axis]
        pad.append((h if index == 0 else 0, h if index == count - 1 else 0))
    if any(before or after for before, after in pad):
        block = np.pad(block, pad, mode=_NUMPY_PAD_MODE[method.border])
    compute_dtype = _compute_dtype(np.dtype(out_dtype))
    if all(h >= _radius(method, f) for h, f in zip(halo, factors, strict=True)):
        out = block
        for axis, (f, h) in enumerate(zip(factors, halo, strict=True)):
            if f > 1:
                out = _smooth_and_sample(out, axis, f, h, method, compute_dtype)
        return _cast_back(out, np.dtype(out_dtype))
    # an image smaller than the kernel: only scipy extends it far enough (this is the rare, slow path)
    sigmas = [method.sigma(f) if f > 1 else 0.0 for f in factors]
    work = block.astype(compute_dtype, copy=False)
    smoothed = ndimage.gaussian_filter(work, sigmas, mode=method.border, truncate=_GAUSSIAN_TRUNCATE)
    inner = smoothed[tuple(slice(h, s - h) for h, s in zip(halo, smoothed.shape, strict=True))]
    return _cast_back(_block_centres(inner, factors), np.dtype(out_dtype))


def _radius(method: Method, factor: int) -> int:
    """The Gaussian kernel's radius, as scipy.ndimage computes it."""
    if factor == 1 or method.sigma is None:
        return 0
    return int(_GAUSSIAN_TRUNCATE * method.sigma(factor) + 0.5)


def _sampling_taps(method: Method, factor: int) -> list[tuple[int, float]]:
    """Weights of the Gaussian followed by block-centre interpolation, as ``(input offset, weight)``.

    Output pixel ``j`` of an axis is ``sum(w * x[f * j + offset])``: smoothing and sampling in one pass,
    computing only the pixels that are kept.
    """
    assert method.sigma is not None
    sigma, radius = method.sigma(factor), _radius(method, factor)
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()  # scipy.ndimage's normalised kernel
    centres = [(factor // 2, 1.0)] if factor % 2 else [(factor // 2 - 1, 0.5), (factor // 2, 0.5)]
    taps: dict[int, float] = {}
    for centre, share in centres:
        for offset, weight in zip(offsets, kernel, strict=True):
            taps[centre + int(offset)] = taps.get(centre + int(offset), 0.0) + share * float(weight)
    return sorted(taps.items())


def _smooth_and_sample(
    x: np.ndarray, axis: int, factor: int, halo: int, method: Method, dtype: np.dtype
) -> np.ndarray:
    """Smooth ``x`` along ``axis`` and sample the block centres, dropping the ``halo`` on both sides.

    The same arithmetic runs in the same order for every output pixel, so a chunk (with its halo) gives
    exactly the bits of the whole image.
    """
    size = (x.shape[axis] - 2 * halo) // factor
    shape = list(x.shape)
    shape[axis] = size
    out = np.zeros(shape, dtype=dtype)
    scratch = np.empty_like(out)
    for offset, weight in _sampling_taps(method, factor):
        start = halo + offset
        view = x[(slice(None),) * axis + (slice(start, start + factor * (size - 1) + 1, factor),)]
        np.multiply(view, dtype.type(weight), out=scratch, dtype=dtype)
        np.add(out, scratch, out=out)
    return out


_METHODS: dict[Methods, Method] = {
    Methods.NEAREST: Method(Methods.NEAREST, on_block_grid=False),
    Methods.LOCAL_MEAN: Method(Methods.LOCAL_MEAN, on_block_grid=True, reduce=_block_mean),
    Methods.MODE: Method(Methods.MODE, on_block_grid=True, reduce=_block_mode),
    Methods.ZOOM: Method(Methods.ZOOM, on_block_grid=True, reduce=_block_centre_values),
    Methods.RESIZE: Method(Methods.RESIZE, on_block_grid=True, sigma=lambda f: (f - 1) / 2),
    # skimage's pyramid_reduce smooths with ndimage's "reflect" while its resize uses "mirror"; each
    # method follows its own reference to the border pixel
    Methods.LAPLACIAN: Method(
        Methods.LAPLACIAN, on_block_grid=True, sigma=lambda f: 2 * f / 6, border="reflect"
    ),
    Methods.GAUSSIAN: Method(Methods.GAUSSIAN, on_block_grid=True, sigma=lambda f: f / 2),
}


def get_method(method: Methods | str | None) -> Method:
    """The :class:`Method` for a name, with a clear error for unknown ones.

    Examples
    --------
    >>> get_method("local_mean").offset(2)
    0.5
    >>> get_method("nearest").size(5, 2)
    3
    """
    if method is None:
        method = Methods.RESIZE
    try:
        key = Methods(method.value if isinstance(method, Enum) else method)
    except ValueError:
        raise InvalidImageError(
            f"unknown downsampling method {method!r}; choose one of {[m.value for m in Methods]}"
        ) from None
    return _METHODS[key]


def check_label_method(method: Methods | str) -> Method:
    """The method for labels: only ``nearest`` and ``mode``, which never invent label values.

    Examples
    --------
    >>> check_label_method("mode").name
    <Methods.MODE: 'mode'>
    >>> check_label_method("resize")
    Traceback (most recent call last):
    ...
    xarray_omezarr.errors.InvalidImageError: method 'resize' would invent label values between neighbouring labels; labels are downsampled with 'nearest' or 'mode'
    """
    spec = get_method(method)
    if spec.name not in LABEL_METHODS:
        raise InvalidImageError(
            f"method {spec.name.value!r} would invent label values between neighbouring labels; labels are "
            "downsampled with 'nearest' or 'mode'"
        )
    return spec


def _aligned_chunks(chunks: tuple[int, ...], factor: int, minimum: int) -> tuple[int, ...]:
    """Chunks along one axis made multiples of ``factor`` and at least ``minimum`` where possible."""
    total = sum(chunks)
    if factor == 1 and min(chunks) >= minimum:
        return chunks
    size = max(chunks[0], minimum, factor)
    size = -(-size // factor) * factor
    if size >= total:
        return (total,)
    out = [size] * (total // size)
    remainder = total % size
    if remainder >= minimum:
        out.append(remainder)
    elif remainder:  # too short to carry the halo: dask would re-chunk on its own, so merge it here
        out[-1] += remainder
    return tuple(out)


def downsample(data: Any, factors: Sequence[int], method: Methods | str | None = Methods.RESIZE) -> Any:
    """Downsample a numpy or dask array by integer ``factors`` (one per axis) with ``method``.

    The result keeps the input's dtype and type (numpy stays numpy, dask stays lazy). Chunked and
    whole-array results are equal. Where output pixel ``j`` lies is ``get_method(method).offset(f) + f * j``
    in input pixels.

    Examples
    --------
    >>> import numpy as np
    >>> downsample(np.arange(8, dtype="uint8").reshape(2, 4), (1, 2), "local_mean")
    array([[0, 2],
           [4, 6]], dtype=uint8)
    """
    spec = get_method(method)
    factors = tuple(int(f) for f in factors)
    if len(factors) != data.ndim:
        raise InvalidImageError(f"{len(factors)} factors for an array of {data.ndim} dimensions")
    if any(f < 1 for f in factors):
        raise InvalidImageError(f"downsampling factors must be integers >= 1; got {factors}")
    if any(spec.size(n, f) < 1 for n, f in zip(data.shape, factors, strict=True)):
        raise InvalidImageError(
            f"factors {factors} would shrink an array of shape {data.shape} below one pixel"
        )
    if spec.name == Methods.NEAREST:
        return data[tuple(slice(None, None, f) for f in factors)]
    whole = tuple(slice(0, (n // f) * f) for n, f in zip(data.shape, factors, strict=True))
    data = data[whole]
    is_dask = hasattr(data, "dask")
    halo = _halo(spec, factors)
    # the extension of an axis of n pixels repeats after n (reflect) or n - 1 (mirror) of them: a longer
    # halo adds nothing, and a block of the whole axis then sees the whole period
    period = data.shape if spec.border == "reflect" else tuple(n - 1 for n in data.shape)
    halo = tuple(min(h, p) for h, p in zip(halo, period, strict=True))
    if spec.reduce is not None:
        if not is_dask:
            return spec.reduce(np.asarray(data), factors)
        aligned = data.rechunk(
            tuple(_aligned_chunks(c, f, 1) for c, f in zip(data.chunks, factors, strict=True))
        )
        out_chunks = tuple(tuple(c // f for c in cs) for cs, f in zip(aligned.chunks, factors, strict=True))
        return aligned.map_blocks(spec.reduce, factors, chunks=out_chunks, dtype=data.dtype)
    dtype = data.dtype
    if not is_dask:
        return _smooth_block(np.asarray(data), factors, halo, spec, dtype)
    aligned = data.rechunk(
        tuple(_aligned_chunks(c, f, h) for c, f, h in zip(data.chunks, factors, halo, strict=True))
    )
    out_chunks = tuple(tuple(c // f for c in cs) for cs, f in zip(aligned.chunks, factors, strict=True))
    return aligned.map_overlap(
        _smooth_block,
        depth=dict(enumerate(halo)),
        boundary="none",
        trim=False,
        chunks=out_chunks,
        dtype=dtype,
        factors=factors,
        halo=halo,
        method=spec,
        out_dtype=dtype,
        meta=np.empty((0,) * data.ndim, dtype=dtype),
    )
