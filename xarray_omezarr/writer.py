"""The one place that creates OME-Zarr arrays and writes OME metadata.

The functions have the names, parameters and defaults of ome-zarr-py's ``ome_zarr.writer`` so that code
written for it can switch by changing an import; they also accept DataArrays, whose dims, coordinates
and units give the axes and transforms. The accessor and every other writing path end here.

Order of work, so that an interrupted write never leaves a store that claims to be a complete image:

1. check everything (axes, transforms, factors, storage options, existing data) before touching the store;
2. create every array;
3. write the data, level by level;
4. write the OME metadata last.
"""

from __future__ import annotations

import itertools
import os
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import zarr

from . import execution
from .axes import Axis, validate_axes
from .blockwrite import write_target
from .chunking import default_chunks, default_shards, read_blocks, write_units
from .format import Format, as_format, format_from_version, ome_attributes, version_of
from .image import DEFAULT_NAME, AxesLike, ImageDescription, describe_image, parse_axes
from .label_spec import check_label_dtype, check_label_name, image_label_metadata
from .plate_spec import plate_metadata, well_metadata
from .pyramid import DEFAULT_SCALE_FACTORS, Level, ScaleFactors, build_pyramid, pyramid_factors
from .scale import Methods, check_label_method, get_method
from .stores import resolve_store
from .transforms import LinearAxis, parse_transforms, transforms_to_json

__all__ = [
    "check_format",
    "check_group_fmt",
    "write_image",
    "write_label_metadata",
    "write_labels",
    "write_multiscale",
    "write_multiscale_labels",
    "write_multiscales_metadata",
    "write_plate_metadata",
    "write_well_metadata",
]


GroupLike = zarr.Group | str | os.PathLike[str] | Any
StorageOptions = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


# --- groups and formats -------------------------------------------------------------------------------


def check_format(group: zarr.Group, fmt: Format | str | None = None) -> Format:
    """Check that ``fmt`` can be written into ``group``, or infer the format from the group.

    A Zarr v2 group holds OME-NGFF 0.4, a Zarr v3 group 0.5. Without ``fmt``, the version of OME metadata
    already in the group wins, then the group's Zarr format.

    Examples
    --------
    >>> import zarr
    >>> check_format(zarr.open_group(zarr.storage.MemoryStore(), zarr_format=2)).version
    '0.4'
    """
    zarr_format = group.metadata.zarr_format
    if fmt is None:
        existing = version_of(ome_attributes(dict(group.attrs)))
        if existing in ("0.4", "0.5"):
            fmt = format_from_version(existing)
        else:
            fmt = format_from_version("0.5" if zarr_format == 3 else "0.4")
    fmt = as_format(fmt)
    if fmt.zarr_format != zarr_format:
        raise ValueError(
            f"{fmt} needs a Zarr v{fmt.zarr_format} group, but the group is Zarr v{zarr_format}; open it with "
            f"zarr_format={fmt.zarr_format} or choose fmt={'0.5' if zarr_format == 3 else '0.4'!r}"
        )
    return fmt


def _store_has_content(store: Any) -> bool:
    """Whether anything (a zarr node, or any file for a local path) is already at ``store``."""
    if isinstance(store, str | os.PathLike) and "://" not in os.fspath(store):
        path = os.fspath(store)
        return os.path.exists(path) and (not os.path.isdir(path) or bool(os.listdir(path)))
    try:
        zarr.open(store=store, mode="r")
    except Exception:  # zarr raises several types for "nothing here"; any of them means: free
        return False
    return True


def check_group_fmt(
    group: GroupLike, fmt: Format | str | None = None, mode: str = "a"
) -> tuple[zarr.Group, Format]:
    """Open or create the group for ``fmt`` (a path or store), or check ``fmt`` against a group.

    ``mode`` is zarr's: ``"a"`` opens or creates, ``"w"`` replaces whatever is there, ``"w-"`` refuses an
    existing target with a :class:`FileExistsError` and leaves it untouched.

    Examples
    --------
    >>> import zarr
    >>> group, fmt = check_group_fmt(zarr.storage.MemoryStore(), "0.4")
    >>> group.metadata.zarr_format, fmt.version
    (2, '0.4')
    """
    if isinstance(group, zarr.Group):
        return group, check_format(group, fmt)
    if mode not in ("a", "w", "w-", "r+"):
        raise ValueError(f"mode must be 'w-' (refuse existing data), 'w' (replace it) or 'a'; got {mode!r}")
    group = resolve_store(group)
    requested = fmt
    fmt = as_format(fmt)
    if mode == "w-" and _store_has_content(group):
        raise FileExistsError(
            f"{_describe_store(group)} already holds data; pass mode='w' to replace it (nothing was written)"
        )
    if mode in ("a", "r+"):
        try:
            opened = zarr.open_group(store=group, mode="r+")
        except (FileNotFoundError, zarr.errors.GroupNotFoundError):
            opened = zarr.open_group(store=group, mode="a", zarr_format=fmt.zarr_format)
        return opened, check_format(opened, requested)
    opened = zarr.open_group(store=group, mode="w", zarr_format=fmt.zarr_format)
    return opened, fmt


def _describe_store(store: Any) -> str:
    if isinstance(store, str | os.PathLike):
        return repr(os.fspath(store))
    if isinstance(store, zarr.storage.FsspecStore):  # as the URL the user gave
        protocol = store.fs.protocol if isinstance(store.fs.protocol, str) else store.fs.protocol[0]
        return repr(f"{protocol}://{store.path}")
    return f"the store {store!r}"


# --- chunks and storage options -----------------------------------------------------------------------


def _storage_options_per_level(storage_options: StorageOptions, count: int) -> list[dict[str, Any]]:
    if storage_options is None:
        return [{} for _ in range(count)]
    if isinstance(storage_options, Mapping):
        return [dict(storage_options) for _ in range(count)]
    options = [dict(o) for o in storage_options]
    if len(options) != count:
        raise ValueError(
            f"storage_options has {len(options)} entries but the pyramid has {count} levels; pass one dict for "
            "all levels or one per level"
        )
    return options


def _as_zarr3_codecs(compressors: Any) -> Any:
    """numcodecs codecs (as ome-zarr-py users pass them) as their Zarr v3 equivalents; others as they are."""
    import numcodecs
    import numcodecs.zarr3
    from numcodecs.abc import Codec

    def convert(codec: Any) -> Any:
        if not isinstance(codec, Codec):
            return codec
        if isinstance(codec, numcodecs.Blosc):
            shuffles: dict[int, Literal["noshuffle", "shuffle", "bitshuffle"]] = {
                0: "noshuffle",
                1: "shuffle",
                2: "bitshuffle",
            }
            shuffle = shuffles.get(codec.shuffle, "shuffle")
            return zarr.codecs.BloscCodec(
                cname=codec.cname, clevel=codec.clevel, shuffle=shuffle, blocksize=codec.blocksize
            )
        if isinstance(codec, numcodecs.Zstd):
            return zarr.codecs.ZstdCodec(level=codec.level)
        if isinstance(codec, numcodecs.GZip):
            return zarr.codecs.GzipCodec(level=codec.level)
        config = {k: v for k, v in codec.get_config().items() if k != "id"}
        return getattr(numcodecs.zarr3, type(codec).__name__)(**config)

    if compressors is None or isinstance(compressors, str | Mapping):
        return compressors
    if isinstance(compressors, Sequence):
        return [convert(c) for c in compressors]
    return convert(compressors)


def _clipped(chunks: Sequence[int], shape: Sequence[int]) -> tuple[int, ...]:
    return tuple(min(int(c), max(1, int(n))) for c, n in zip(chunks, shape, strict=True))


def _array_options(
    options: dict[str, Any], shape: tuple[int, ...], dtype: Any, axes: Sequence[Axis], fmt: Format, level: int
) -> dict[str, Any]:
    """Validated keyword arguments for ``create_array`` for one level."""
    options = dict(options)
    chunks = options.pop("chunks", None)
    if isinstance(chunks, str):
        raise ValueError(
            f"storage_options chunks={chunks!r} is not allowed (level {level}): zarr's automatic chunks may not "
            "match the dask chunks that write them, which can corrupt data; give the chunk shape as integers"
        )
    if chunks is None:
        chunks = default_chunks(shape, dtype, axes)
    elif isinstance(chunks, int):
        chunks = (chunks,) * len(shape)
    chunks = tuple(chunks)
    if len(chunks) != len(shape) or any(not isinstance(c, int | np.integer) or c < 1 for c in chunks):
        raise ValueError(f"chunks {chunks} (level {level}) must be {len(shape)} positive integers")
    chunks = tuple(int(c) for c in chunks)
    shards = options.pop("shards", None)
    if shards is not None:
        if fmt.zarr_format == 2:
            raise ValueError("sharding needs Zarr v3: write OME-NGFF 0.5 (version='0.5') to use shards")
        if isinstance(shards, str):
            if shards != "auto":
                raise ValueError(f"shards must be 'auto' or integers; got {shards!r} (level {level})")
            shards = default_shards(_clipped(chunks, shape), shape, dtype, axes)
        elif isinstance(shards, int):
            shards = (shards,) * len(shape)
        if len(tuple(shards)) != len(shape) or any(
            not isinstance(s, int | np.integer) or s < 1 for s in shards
        ):
            raise ValueError(f"shards {shards} (level {level}) must be {len(shape)} positive integers")
        shards = tuple(int(s) for s in shards)
        if any(s % c for s, c in zip(shards, chunks, strict=True)):
            raise ValueError(
                f"shards {shards} (level {level}) must be whole multiples of the chunks {chunks}"
            )
    # small levels: chunks no larger than the level, shards no larger than its whole chunks
    chunks = _clipped(chunks, shape)
    if shards is not None:
        shards = tuple(min(s, -(-n // c) * c) for s, n, c in zip(shards, shape, chunks, strict=True))
    for reserved in (
        "shape",
        "dtype",
        "name",
        "store",
        "zarr_format",
        "dimension_names",
        "chunk_key_encoding",
    ):
        if reserved in options:
            raise ValueError(f"storage_options may not set {reserved!r}; the writer sets it from the image")
    options.setdefault("fill_value", 0)
    if "compressor" in options:  # the seed's (Zarr v2) name: zarr takes it for v2 arrays only
        if "compressors" in options:
            raise ValueError("storage_options names both 'compressor' and 'compressors'; give one")
        options["compressors"] = options.pop("compressor")
    options.setdefault("compressors", fmt.default_compressors())
    if fmt.zarr_format == 3:
        options["compressors"] = _as_zarr3_codecs(options["compressors"])
    return {"chunks": chunks, "shards": shards, **options}


# --- metadata ----------------------------------------------------------------------------------------


def _parse_axes_arg(axes: AxesLike | Sequence[Axis] | None) -> list[Axis] | None:
    if axes is None:
        return None
    entries: list[Any] = list(axes)
    if all(isinstance(a, Axis) for a in entries):
        return entries
    return parse_axes(entries, len(entries))


def write_multiscales_metadata(
    group: GroupLike,
    datasets: list[dict[str, Any]],
    fmt: Format | str | None = None,
    axes: AxesLike | Sequence[Axis] | None = None,
    name: str | None = None,
    **metadata: Any,
) -> None:
    """Write the multiscales metadata in the group.

    Parameters
    ----------
    group
        The zarr group or a path to it.
    datasets
        One dict per level with ``path`` and ``coordinateTransformations`` (which must hold one ``scale``, and
        may hold a ``translation`` after it).
    fmt
        Format object or version string; the current format (0.5) by default.
    axes
        Axis names (``"tczyx"``, a list of names) or dicts with name, type and unit.
    name
        The multiscale's name.
    **metadata
        ``omero`` becomes the group's ``omero`` block; any other key (``type``, ``metadata``...) is stored in
        the multiscale.

    Examples
    --------
    >>> import zarr
    >>> g = zarr.open_group(zarr.storage.MemoryStore())
    >>> write_multiscales_metadata(g, [{"path": "0", "coordinateTransformations": [
    ...     {"type": "scale", "scale": [1.0, 1.0]}]}], axes="yx", name="img")
    >>> g.attrs["ome"]["multiscales"][0]["axes"][0]
    {'name': 'y', 'type': 'space'}
    """
    group, fmt = check_group_fmt(group, fmt)
    parsed = _parse_axes_arg(axes)
    if parsed is None:
        raise ValueError("axes are required for OME-NGFF 0.4 and later")
    validate_axes(parsed)
    if not datasets:
        raise ValueError("a multiscale image needs at least one dataset")
    _check_datasets(datasets, parsed)
    omero = metadata.pop("omero", None)
    multiscale: dict[str, Any] = {}
    if fmt.versioned_blocks:
        multiscale["version"] = fmt.version
    if name is not None:
        multiscale["name"] = name
    multiscale["axes"] = [a.to_json() for a in parsed]
    multiscale["datasets"] = [dict(d) for d in datasets]
    multiscale.update(metadata)
    ome: dict[str, Any] = {"multiscales": [multiscale]}
    if omero:
        ome["omero"] = _checked_omero(omero)
    group.attrs.update(fmt.wrap(ome))


def _checked_omero(omero: Mapping[str, Any]) -> dict[str, Any]:
    channels = omero.get("channels")
    if not isinstance(channels, list):
        raise ValueError("omero metadata needs a 'channels' list")
    for channel in channels:
        color = channel.get("color")
        if color is not None and (not isinstance(color, str) or len(color) != 6):
            raise ValueError(f"omero channel colour must be 6 hex digits such as 'FF00FF'; got {color!r}")
        if color is not None:
            int(color, 16)
        window = channel.get("window")
        if window is not None and not {"min", "max", "start", "end"} <= set(window):
            raise ValueError(f"omero channel window needs min, max, start and end; got {window!r}")
    return dict(omero)


def _channel_ranges(array: zarr.Array, axes: Sequence[Axis]) -> np.ndarray:
    """The finite data range of each channel of a written level, as a ``(channels, 2)`` array.

    Read back block by block (blocks of whole chunks, up to 16 MiB, which zarr decodes in parallel), so
    memory stays bounded whatever the level's size. A channel with no finite value gets NaN.
    """
    channel = next((i for i, a in enumerate(axes) if a.type == "channel"), None)
    count = array.shape[channel] if channel is not None else 1
    lows, highs = np.full(count, np.inf), np.full(count, -np.inf)
    step = read_blocks(array.chunks, array.shape, array.dtype, axes)
    starts = [range(0, n, s) for n, s in zip(array.shape, step, strict=True)]
    for corner in itertools.product(*starts):
        region = tuple(slice(c, c + s) for c, s in zip(corner, step, strict=True))
        block = np.asarray(array[region])
        block = np.moveaxis(block, channel, 0) if channel is not None else block[None]
        if block.dtype.kind == "f":
            block = np.where(np.isfinite(block), block, np.nan)
        over = tuple(range(1, block.ndim))
        first = corner[channel] if channel is not None else 0
        index = slice(first, first + block.shape[0])
        with warnings.catch_warnings():  # a block with no finite value of a channel: NaN, which fmin skips
            warnings.simplefilter("ignore", RuntimeWarning)
            lows[index] = np.fmin(lows[index], np.nanmin(block, axis=over).astype(float))
            highs[index] = np.fmax(highs[index], np.nanmax(block, axis=over).astype(float))
    lows[np.isinf(lows)] = np.nan
    highs[np.isinf(highs)] = np.nan
    return np.stack([lows, highs], axis=1)


def _windows_from_ranges(omero: Mapping[str, Any], ranges: np.ndarray, dtype: Any) -> dict[str, Any]:
    """Fill in missing channel windows: the dtype's range, and the data's range to display."""
    channels = [dict(c) for c in omero["channels"]]
    dtype = np.dtype(dtype)
    for channel, (low, high) in zip(channels, np.asarray(ranges, dtype=float), strict=False):
        if "window" in channel:
            continue
        low, high = (0.0, 0.0) if np.isnan(low) else (float(low), float(high))
        if dtype.kind in "iu":
            bounds = (float(np.iinfo(dtype).min), float(np.iinfo(dtype).max))
        elif dtype.kind == "b":
            bounds = (0.0, 1.0)
        else:
            bounds = (low, high)
        channel["window"] = {"min": bounds[0], "max": bounds[1], "start": low, "end": high}
    return dict(omero) | {"channels": channels}


# --- data ----------------------------------------------------------------------------------------------


def _as_array(level: Any) -> Any:
    """The numpy or dask array inside a DataArray (or the array itself)."""
    return level.data if hasattr(level, "dims") and hasattr(level, "coords") else level


def _write_ready(level: Any, objects: tuple[int, ...], axes: Sequence[Axis]) -> Any:
    """``level`` as dask blocks that each cover whole stored ``objects`` (chunks or shards).

    Blocks that already do are kept; anything else is cut into :func:`write_units`.
    """
    if hasattr(level, "dask") and all(
        all(c % o == 0 for c in block_sizes[:-1])
        for block_sizes, o in zip(level.chunks, objects, strict=True)
    ):
        return level
    return _to_dask(level, write_units(objects, level.shape, level.dtype, axes))


def _to_dask(array: Any, chunks: tuple[int, ...]) -> Any:
    """``array`` as a dask array with ``chunks``; numpy input is cut into views, never copied."""
    import dask.array as da

    if hasattr(array, "dask"):
        return array.rechunk(chunks)
    if not isinstance(array, np.ndarray):
        return da.from_array(array if hasattr(array, "shape") else np.asarray(array), chunks=chunks)
    # da.from_array copies a numpy array and hashes all of it for a name: twice the memory and seconds
    # of work for an image of GiBs. Views of the caller's array cost neither; the name only has to be
    # unique.
    normalized = da.core.normalize_chunks(chunks, array.shape, dtype=array.dtype)
    name = f"numpy-image-{uuid.uuid4().hex}"
    starts = [np.cumsum((0, *c[:-1])) for c in normalized]
    graph = {
        (name, *index): array[
            tuple(
                slice(int(s[i]), int(s[i]) + c[i]) for s, c, i in zip(starts, normalized, index, strict=True)
            )
        ]
        for index in itertools.product(*(range(len(c)) for c in normalized))
    }
    return da.Array(graph, name, normalized, dtype=array.dtype)


def _transforms_for_levels(
    pyramid: Sequence[Any], coordinate_transformations: list[list[dict[str, Any]]] | None
) -> list[list[dict[str, Any]]]:
    if coordinate_transformations is not None:
        if len(coordinate_transformations) != len(pyramid):
            raise ValueError(
                f"coordinate_transformations has {len(coordinate_transformations)} entries for "
                f"{len(pyramid)} levels"
            )
        return [list(t) for t in coordinate_transformations]
    first = pyramid[0].shape
    # without coordinates, the only information is the shape ratio to level 0 (the seed's behaviour)
    return [
        transforms_to_json([LinearAxis(n0 / n) for n0, n in zip(first, level.shape, strict=True)])
        for level in pyramid
    ]


def write_multiscale(
    pyramid: Sequence[Any],
    group: GroupLike,
    fmt: Format | str | None = None,
    axes: AxesLike | Sequence[Axis] | None = None,
    coordinate_transformations: list[list[dict[str, Any]]] | None = None,
    storage_options: StorageOptions = None,
    name: str | None = None,
    compute: bool | None = True,
    *,
    mode: str = "w-",
    progress: bool = False,
    **metadata: Any,
) -> list[Any]:
    """Write a pyramid (largest level first) with its multiscale metadata.

    Parameters
    ----------
    pyramid
        numpy arrays, dask arrays or DataArrays, largest first, up to 5-D in the spec's axis order.
    group
        A zarr group, or a path or store where one is created.
    fmt
        Format object or version string (``"0.4"``, ``"0.5"``); 0.5 by default.
    axes
        Axis names or dicts; taken from the dims when the levels are DataArrays.
    coordinate_transformations
        One list of transforms per level. Without it, DataArray levels give theirs from their coordinates
        and plain arrays get a scale of the shape ratio to level 0.
    storage_options
        Options for ``zarr.create_array`` (``chunks``, ``shards``, ``compressors``...), one dict for all
        levels or one per level. ``chunks="auto"`` is refused. Default chunks are a few MiB.
    name
        The multiscale's name; ``"image"`` by default.
    compute
        ``True`` writes now and returns ``[]``; ``False`` returns a one-element list of
        ``dask.delayed.Delayed`` whose computation writes the data and then the metadata.
    mode
        ``"w-"`` (default) refuses to overwrite existing data, ``"w"`` replaces it.
    progress
        Show a progress bar while the data are written (dask's, or distributed's on a cluster).
    **metadata
        ``omero`` for the channel block (windows are filled in from the data when missing), anything else
        (``type``, ``metadata``) goes into the multiscale.

    Returns
    -------
    list
        ``[]`` when computed, else the delayed write.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> g = zarr.open_group(zarr.storage.MemoryStore())
    >>> write_multiscale([np.zeros((8, 8), "uint8"), np.zeros((4, 4), "uint8")], g, axes="yx")
    []
    >>> g["1"].shape
    (4, 4)
    """
    return _write_multiscale(
        pyramid,
        group,
        fmt,
        axes,
        coordinate_transformations,
        storage_options,
        name,
        compute,
        mode,
        metadata,
        progress=progress,
    )


def _write_multiscale(
    pyramid: Sequence[Any],
    group: GroupLike,
    fmt: Format | str | None,
    axes: AxesLike | Sequence[Axis] | None,
    coordinate_transformations: list[list[dict[str, Any]]] | None,
    storage_options: StorageOptions,
    name: str | None,
    compute: bool | None,
    mode: str,
    metadata: dict[str, Any],
    after: Callable[[], None] | None = None,
    progress: bool = False,
) -> list[Any]:
    """:func:`write_multiscale`, with ``after`` run once the data and the multiscale metadata are written."""
    if not pyramid:
        raise ValueError("the pyramid needs at least one level")
    first = pyramid[0]
    if axes is None and hasattr(first, "dims"):
        descriptions = [describe_image(level) for level in pyramid]
        parsed = list(descriptions[0].axes)
        if coordinate_transformations is None:
            coordinate_transformations = [transforms_to_json(d.geometry) for d in descriptions]
        pyramid = [d.data for d in descriptions]
        name = name if name is not None else descriptions[0].name
    else:
        parsed = _parse_axes_arg(axes) or parse_axes(None, first.ndim)
        pyramid = [_as_array(level) for level in pyramid]
    validate_axes(parsed)
    name = DEFAULT_NAME if name is None else name
    for index, level in enumerate(pyramid):
        if np.dtype(level.dtype).kind not in "biuf":
            raise TypeError(
                f"level {index} has dtype {level.dtype}; OME-Zarr images hold booleans, integers or real floats"
            )
        if level.ndim != len(parsed):
            raise ValueError(f"level {index} has {level.ndim} dimensions but there are {len(parsed)} axes")
    fmt = as_format(fmt) if not isinstance(group, zarr.Group) else check_format(group, fmt)
    chosen = fmt
    transforms = _transforms_for_levels(pyramid, coordinate_transformations)
    per_level = _storage_options_per_level(storage_options, len(pyramid))
    options = [
        _array_options(o, tuple(level.shape), level.dtype, parsed, fmt, i)
        for i, (o, level) in enumerate(zip(per_level, pyramid, strict=True))
    ]
    paths = [str(i) for i in range(len(pyramid))]
    datasets = [{"path": p, "coordinateTransformations": t} for p, t in zip(paths, transforms, strict=True)]
    omero = metadata.get("omero")
    if omero is not None:
        _checked_omero(omero)
    _check_datasets(datasets, parsed)

    dims = tuple(a.name for a in parsed)

    def create_arrays(into: zarr.Group) -> list[zarr.Array]:
        return [
            into.create_array(
                name=path,
                shape=tuple(level.shape),
                dtype=level.dtype,
                overwrite=mode == "w",
                **option,
                **chosen.array_kwargs(dims),
            )
            for path, level, option in zip(paths, pyramid, options, strict=True)
        ]

    # a dry run in memory lets zarr refuse bad storage options or dtypes before the real store is touched
    try:
        create_arrays(zarr.open_group(zarr.storage.MemoryStore(), mode="w", zarr_format=chosen.zarr_format))
    except (TypeError, ValueError) as error:
        raise ValueError(f"zarr cannot create the arrays with these settings: {error}") from error

    if compute:
        _refuse_memory_store_on_a_cluster(group)

    # everything is checked: now, and only now, touch the store
    target, fmt = check_group_fmt(group, fmt, mode=mode if not isinstance(group, zarr.Group) else "a")
    _refuse_existing(target, paths, mode)
    arrays = create_arrays(target)
    sources = [
        _write_ready(level, option["shards"] or option["chunks"], parsed)
        for level, option in zip(pyramid, options, strict=True)
    ]

    def finish(*_: Any) -> None:
        meta = dict(metadata)
        if omero is not None and not all("window" in c for c in omero["channels"]):
            # from the smallest level, read back: a thumbnail's worth of reading for a pyramid
            ranges = _channel_ranges(arrays[-1], parsed)
            meta["omero"] = _windows_from_ranges(omero, ranges, arrays[-1].dtype)
        write_multiscales_metadata(target, datasets, fmt=fmt, axes=parsed, name=name, **meta)
        if after is not None:
            after()

    return _store_then(sources, arrays, finish, compute, progress)


def _check_datasets(datasets: Sequence[Mapping[str, Any]], axes: Sequence[Axis]) -> None:
    """Each dataset has a path and one scale first, at most one translation after it, one value per axis."""
    for dataset in datasets:
        path = dataset.get("path")
        if not isinstance(path, str) or not path:
            raise ValueError(f"every dataset needs a 'path' string; got {dataset!r}")
        transforms = dataset.get("coordinateTransformations")
        kinds = [t.get("type") if isinstance(t, Mapping) else None for t in transforms or ()]
        if (
            not kinds
            or kinds[0] != "scale"
            or kinds.count("scale") != 1
            or set(kinds) - {"scale", "translation"}
        ):
            raise ValueError(
                f"dataset {path!r} needs coordinateTransformations with one 'scale' first and at most one "
                f"'translation' after it; got {kinds}"
            )
        parse_transforms(transforms, len(axes), f"dataset {path!r}")


def _refuse_memory_store_on_a_cluster(group: GroupLike) -> None:
    """A MemoryStore lives in this process: workers in other processes would write into copies of it."""
    store = group.store if isinstance(group, zarr.Group) else getattr(group, "store", group)
    if not isinstance(store, zarr.storage.MemoryStore):
        return
    client = execution.distributed_client()
    if client is not None and not execution.workers_share_this_process(client):
        raise ValueError(
            "the target is a zarr MemoryStore, which lives in this process, while the dask.distributed "
            "workers run in other processes: their writes would be lost. Write to a path, URL or object "
            "store, or outside the cluster (nothing was written)"
        )


def _refuse_existing(group: zarr.Group, paths: Sequence[str], mode: str) -> None:
    if mode == "w":
        return
    taken = [p for p in paths if p in group]
    if taken:
        raise FileExistsError(
            f"the group already holds {taken}; pass mode='w' to replace them (nothing was written)"
        )


def _store_then(
    sources: list[Any], arrays: list[zarr.Array], finish: Any, compute: bool | None, progress: bool
) -> list[Any]:
    """Write every level, then call ``finish`` (the metadata); lazily when ``compute`` is false."""
    import dask
    import dask.array as da

    targets = [write_target(array) for array in arrays]
    stored = da.store(sources, targets, lock=False, compute=False, return_stored=False)  # type: ignore[arg-type]
    done = dask.delayed(finish, pure=False)(stored)
    if compute:
        execution.compute(done, progress=progress)
        return []
    return [done]


# --- images --------------------------------------------------------------------------------------------


def _pyramid(
    image: Any,
    scale_factors: ScaleFactors | str,
    method: Methods,
    axes: AxesLike | None,
    axis_types: Mapping[str, str | None] | None,
    storage_options: StorageOptions,
    fmt: Format | str | None,
    group: GroupLike,
) -> tuple[ImageDescription, list[Level]]:
    """Describe ``image`` and build its (lazy) pyramid, chunked like level 0 will be stored."""
    description = describe_image(image, axes=axes, axis_types=axis_types)
    fmt = as_format(fmt) if not isinstance(group, zarr.Group) else check_format(group, fmt)
    first_options = storage_options if isinstance(storage_options, Mapping | None) else storage_options[0]
    data = description.data
    level0 = _array_options(
        dict(first_options or {}), tuple(data.shape), data.dtype, description.axes, fmt, 0
    )
    factors = pyramid_factors(
        scale_factors, description.axes, data.shape, method, description.geometry, level0["chunks"]
    )
    spec = get_method(method)
    per_level = _storage_options_per_level(storage_options, len(factors))
    units = []
    for index, (options, level_factors) in enumerate(zip(per_level, factors, strict=True)):
        shape = tuple(spec.size(n, f) for n, f in zip(data.shape, level_factors, strict=True))
        stored = _array_options(options, shape, data.dtype, description.axes, fmt, index)
        units.append(write_units(stored["shards"] or stored["chunks"], shape, data.dtype, description.axes))
    dask_data = _to_dask(data, units[0])
    return description, build_pyramid(dask_data, description.geometry, factors, method, chunks=units)


def write_image(
    image: Any,
    group: GroupLike,
    scale_factors: ScaleFactors | str = DEFAULT_SCALE_FACTORS,
    method: Methods | str | None = Methods.RESIZE,
    scaler: Any = None,
    fmt: Format | str | None = None,
    axes: AxesLike | None = None,
    coordinate_transformations: list[list[dict[str, Any]]] | None = None,
    storage_options: StorageOptions = None,
    compute: bool | None = True,
    *,
    mode: str = "w-",
    progress: bool = False,
    axis_types: Mapping[str, str | None] | None = None,
    **metadata: Any,
) -> list[Any]:
    """Write an image and its downsampled pyramid, according to the OME-Zarr specification.

    Parameters
    ----------
    image
        numpy, dask or DataArray, up to 5-D. A DataArray's dims, regular coordinates and units give the axes,
        scale, translation and units; its channel coordinate the channel names. Plain arrays are in
        ``(t, c, z, y, x)`` order and need ``axes`` unless 2-D or 5-D.
    group
        A zarr group, or a path or store where one is created.
    scale_factors
        Cumulative downsampling factors per level, relative to level 0. Integers downsample ``y`` and ``x``
        and leave ``z`` alone; dicts (``{"z": 2, "y": 4, "x": 4}``) name the axes. ``()`` writes no pyramid;
        ``"auto"`` adds levels until the smallest fits in one chunk.
    method
        A :class:`~xarray_omezarr.scale.Methods` member or name; ``resize`` by default.
    scaler
        Deprecated in the seed API and ignored (a warning says so); use ``scale_factors`` and ``method``.
    fmt
        Format object or version string; 0.5 by default.
    axes
        Axis names or dicts, for plain arrays.
    coordinate_transformations
        One list per level; by default the levels' true geometry (level 0 from the coordinates).
    storage_options
        ``zarr.create_array`` options, one dict or one per level (see :func:`write_multiscale`).
    compute
        ``False`` returns the delayed write instead of writing.
    mode
        ``"w-"`` (default) refuses existing data, ``"w"`` replaces it.
    progress
        Show a progress bar while the data are written.
    axis_types
        Axis types for dims whose names do not imply one, e.g. ``{"row": "space"}``.
    **metadata
        ``omero``, ``name`` and other multiscale keys.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> g = zarr.open_group(zarr.storage.MemoryStore())
    >>> write_image(np.zeros((64, 64), "uint16"), g, scale_factors=(2, 4), method="local_mean")
    []
    >>> [g[p].shape for p in ("0", "1", "2")]
    [(64, 64), (32, 32), (16, 16)]
    """
    if scaler is not None:
        warnings.warn(
            "the 'scaler' argument is deprecated and ignored; use scale_factors and method",
            DeprecationWarning,
            stacklevel=2,
        )
    spec = get_method(method)
    description, levels = _pyramid(
        image, scale_factors, spec.name, axes, axis_types, storage_options, fmt, group
    )
    if coordinate_transformations is None:
        coordinate_transformations = [transforms_to_json(level.geometry) for level in levels]
    name = metadata.pop("name", None) or description.name
    # recorded even without extra levels: the spec's strict schema asks for both
    metadata.setdefault("type", spec.name.value)
    metadata.setdefault("metadata", _method_metadata(spec.name))
    return write_multiscale(
        [level.data for level in levels],
        group,
        fmt=fmt,
        axes=list(description.axes),
        coordinate_transformations=coordinate_transformations,
        storage_options=storage_options,
        name=name,
        compute=compute,
        mode=mode,
        progress=progress,
        **metadata,
    )


def _method_metadata(method: Methods) -> dict[str, Any]:
    from . import __version__

    return {
        "description": f"downsampled with the {method.value!r} method of xarray-omezarr",
        "method": get_method(method).function_name,
        "version": __version__,
        "kwargs": {"method": method.value},
    }


# --- labels --------------------------------------------------------------------------------------------


def write_label_metadata(
    group: GroupLike,
    name: str,
    colors: list[dict[str, Any]] | None = None,
    properties: list[dict[str, Any]] | None = None,
    fmt: Format | str | None = None,
    **metadata: Any,
) -> None:
    """Write the ``image-label`` metadata of label image ``name`` inside the ``labels`` group ``group``.

    Parameters
    ----------
    group
        The image's ``labels`` group (or a path to it); the label image is its sub-group ``name``.
    name
        The label image's name.
    colors
        ``{"label-value": int, "rgba": [r, g, b, a]}`` per label value (each value once, rgba 0-255).
    properties
        ``{"label-value": int, ...}`` per label value, with any other keys.
    fmt
        Format object or version string; by default the group's.
    **metadata
        Other ``image-label`` keys; ``source`` defaults to ``{"image": "../../"}``.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> g = zarr.open_group(zarr.storage.MemoryStore())
    >>> _ = write_multiscale_labels([np.zeros((4, 4), "uint8")], g, "cells", axes="yx")
    >>> write_label_metadata(g["labels"], "cells", colors=[{"label-value": 1, "rgba": [0, 255, 0, 255]}])
    >>> g["labels/cells"].attrs["ome"]["image-label"]["colors"]
    [{'label-value': 1, 'rgba': [0, 255, 0, 255]}]
    """
    labels_group, fmt = check_group_fmt(group, fmt)
    block = image_label_metadata(
        colors, properties, versioned=fmt.versioned_blocks, version=fmt.version, **metadata
    )
    target = labels_group[name]
    if not isinstance(target, zarr.Group):
        raise ValueError(f"labels/{name} is not a group; write the label image before its metadata")
    ome = ome_attributes(dict(target.attrs))
    ome = {k: v for k, v in ome.items() if k != "version"} | {"image-label": block}
    target.attrs.update(fmt.wrap(ome))


def _list_label(labels_group: zarr.Group, name: str, fmt: Format) -> None:
    """Add ``name`` to the ``labels`` list, keeping the names already there."""
    names = list(ome_attributes(dict(labels_group.attrs)).get("labels") or [])
    if name not in names:
        names.append(name)
    labels_group.attrs.update(fmt.wrap({"labels": names}))


def write_multiscale_labels(
    pyramid: Sequence[Any],
    group: GroupLike,
    name: str,
    fmt: Format | str | None = None,
    axes: AxesLike | Sequence[Axis] | None = None,
    coordinate_transformations: list[list[dict[str, Any]]] | None = None,
    storage_options: StorageOptions = None,
    label_metadata: dict[str, Any] | None = None,
    compute: bool | None = True,
    *,
    mode: str = "w-",
    progress: bool = False,
    **metadata: Any,
) -> list[Any]:
    """Write a label pyramid (largest first) to ``labels/<name>`` of the image group ``group``.

    The data are written first, then the label image's multiscale and ``image-label`` metadata, and last
    its name is added to the ``labels`` list, so an interrupted write never lists a half-written label.

    Parameters
    ----------
    pyramid
        Integer numpy, dask or DataArray levels, largest first.
    group
        The image group (or a path to it); it must exist.
    name
        The label image's name: its group is ``labels/<name>``.
    fmt, axes, coordinate_transformations, storage_options, compute
        As for :func:`write_multiscale`.
    label_metadata
        ``colors``, ``properties`` and other ``image-label`` keys (see :func:`write_label_metadata`).
    mode
        ``"w-"`` (default) refuses a label of the same name, ``"w"`` replaces it.
    progress
        Show a progress bar while the data are written.
    **metadata
        Other multiscale keys (``type``, ``metadata``).

    Examples
    --------
    >>> import numpy as np, zarr
    >>> g = zarr.open_group(zarr.storage.MemoryStore())
    >>> write_multiscale_labels([np.ones((4, 4), "uint16")], g, "nuclei", axes="yx")
    []
    >>> g["labels"].attrs["ome"]["labels"]
    ['nuclei']
    """
    check_label_name(name)
    for index, level in enumerate(pyramid):
        check_label_dtype(level, name=f"{name}, level {index}")
    label_metadata = dict(label_metadata or {})
    block = image_label_metadata(
        label_metadata.pop("colors", None), label_metadata.pop("properties", None), **label_metadata
    )
    image_group = open_existing_group(group)
    fmt = check_format(image_group, fmt)
    if f"labels/{name}" in image_group and mode != "w":
        raise FileExistsError(f"the image already has a label image {name!r}; pass mode='w' to replace it")

    def after() -> None:
        labels_group = image_group.require_group("labels")
        write_label_metadata(labels_group, name, fmt=fmt, **block)
        _list_label(labels_group, name, fmt)

    # a path, not a group: the label group is created only once everything has been checked
    return _write_multiscale(
        pyramid,
        image_group.store_path / "labels" / name,
        fmt,
        axes,
        coordinate_transformations,
        storage_options,
        name,
        compute,
        mode,
        metadata,
        after,
        progress=progress,
    )


def open_existing_group(group: GroupLike) -> zarr.Group:
    """Open an existing group read-write, or say clearly that there is none."""
    if isinstance(group, zarr.Group):
        return group
    group = resolve_store(group)
    try:
        return zarr.open_group(store=group, mode="r+")
    except (FileNotFoundError, zarr.errors.GroupNotFoundError):
        raise FileNotFoundError(
            f"there is no OME-Zarr image at {_describe_store(group)}; write the image before its labels"
        ) from None


def write_labels(
    labels: Any,
    group: GroupLike,
    name: str,
    scaler: Any = None,
    scale_factors: ScaleFactors | str = DEFAULT_SCALE_FACTORS,
    method: Methods | str = Methods.NEAREST,
    fmt: Format | str | None = None,
    axes: AxesLike | None = None,
    coordinate_transformations: list[list[dict[str, Any]]] | None = None,
    storage_options: StorageOptions = None,
    label_metadata: dict[str, Any] | None = None,
    compute: bool | None = True,
    *,
    mode: str = "w-",
    progress: bool = False,
    axis_types: Mapping[str, str | None] | None = None,
    cast: bool = False,
    **metadata: Any,
) -> list[Any]:
    """Write a label image and its pyramid to ``labels/<name>`` of an image group.

    Parameters
    ----------
    labels
        Integer numpy, dask or DataArray (booleans become uint8; whole-number floats with ``cast=True``).
    group
        The image group or a path to it.
    name
        The label image's name.
    scaler
        Deprecated and ignored, as in the seed.
    scale_factors
        As for :func:`write_image`. Use the image's, so that the levels match.
    method
        ``"nearest"`` (default, keeps pixel ``f j``) or ``"mode"`` (most frequent value of each block, on
        the block grid of ``local_mean``/``resize``); methods that invent values are refused.
    fmt, axes, coordinate_transformations, storage_options, compute, mode, progress
        As for :func:`write_image`.
    label_metadata
        ``colors``, ``properties`` and other ``image-label`` keys.
    axis_types, cast
        Axis types for unusual dim names; ``cast`` converts whole-number floats to integers.
    **metadata
        Other multiscale keys.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> g = zarr.open_group(zarr.storage.MemoryStore())
    >>> write_labels(np.ones((8, 8), "uint8"), g, "cells", scale_factors=(2,))
    []
    >>> g["labels/cells/1"].shape
    (4, 4)
    """
    if scaler is not None:
        warnings.warn(
            "the 'scaler' argument is deprecated and ignored; use scale_factors and method",
            DeprecationWarning,
            stacklevel=2,
        )
    spec = check_label_method(method)
    labels = check_label_dtype(labels, cast=cast, name=name)
    description, levels = _pyramid(
        labels, scale_factors, spec.name, axes, axis_types, storage_options, fmt, group
    )
    if coordinate_transformations is None:
        coordinate_transformations = [transforms_to_json(level.geometry) for level in levels]
    metadata.setdefault("type", spec.name.value)
    metadata.setdefault("metadata", _method_metadata(spec.name))
    return write_multiscale_labels(
        [level.data for level in levels],
        group,
        name,
        fmt=fmt,
        axes=list(description.axes),
        coordinate_transformations=coordinate_transformations,
        storage_options=storage_options,
        label_metadata=label_metadata,
        compute=compute,
        mode=mode,
        progress=progress,
        **metadata,
    )


# --- plates --------------------------------------------------------------------------------------------


def write_plate_metadata(
    group: GroupLike,
    rows: list[str],
    columns: list[str],
    wells: list[str | dict[str, Any]],
    fmt: Format | str | None = None,
    acquisitions: list[dict[str, Any]] | None = None,
    field_count: int | None = None,
    name: str | None = None,
) -> None:
    """Write the plate metadata in the group.

    Parameters
    ----------
    group
        The plate's zarr group or a path to it.
    rows, columns
        The row and column names: unique, letters and digits only.
    wells
        ``"<row>/<column>"`` paths, or dicts with ``path``, ``rowIndex`` and ``columnIndex`` (which must agree
        with the path).
    fmt
        Format object or version string; by default the group's.
    acquisitions
        Dicts with a unique non-negative integer ``id`` (and optionally ``name``, ``maximumfieldcount``...).
    field_count
        The largest number of fields in a well.
    name
        The plate's name.

    Examples
    --------
    >>> import zarr
    >>> g = zarr.open_group(zarr.storage.MemoryStore())
    >>> write_plate_metadata(g, ["A"], ["1", "2"], ["A/2"], name="screen")
    >>> g.attrs["ome"]["plate"]["wells"]
    [{'path': 'A/2', 'rowIndex': 0, 'columnIndex': 1}]
    """

    def block(version: str) -> dict[str, Any]:
        return plate_metadata(
            rows,
            columns,
            wells,
            version=version,
            acquisitions=acquisitions,
            field_count=field_count,
            name=name,
        )

    block(_probable_format(group, fmt).version)  # checked before the group is opened or created
    group, fmt = check_group_fmt(group, fmt)
    group.attrs.update(fmt.wrap({"plate": block(fmt.version)}))


def write_well_metadata(
    group: GroupLike,
    images: list[str | dict[str, Any]],
    fmt: Format | str | None = None,
) -> None:
    """Write the well metadata in the group.

    Parameters
    ----------
    group
        The well's zarr group or a path to it.
    images
        The fields of view: paths (letters and digits), or dicts with ``path`` and ``acquisition``.
    fmt
        Format object or version string; by default the group's.

    Examples
    --------
    >>> import zarr
    >>> g = zarr.open_group(zarr.storage.MemoryStore(), zarr_format=2)
    >>> write_well_metadata(g, ["0", "1"])
    >>> g.attrs["well"]
    {'images': [{'path': '0'}, {'path': '1'}], 'version': '0.4'}
    """
    well_metadata(images, version=None)  # checked before the group is opened or created
    group, fmt = check_group_fmt(group, fmt)
    block = well_metadata(images, version=fmt.version if fmt.versioned_blocks else None)
    group.attrs.update(fmt.wrap({"well": block}))


def _probable_format(group: GroupLike, fmt: Format | str | None) -> Format:
    """The format a write will use, found without creating anything."""
    return check_format(group, fmt) if isinstance(group, zarr.Group) else as_format(fmt)
