"""Writes into an image that exists: appends (``mode="a"``), regions (``region=``) and pyramid updates.

The existing image is read into the model (:mod:`.read`); the new data are planned on its pyramid,
with its own factors, method, chunks, shards and codecs (:mod:`.write.append`,
:mod:`.write.regions`); the engine writes them and rewrites the OME metadata last. Each gives the
store one call writing the final image gives. ``resume=True`` finishes an append that was killed
(see :mod:`.write.resume` for image writes).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import xarray as xr
import zarr

from .describe import Described, describe_image
from .errors import CannotResumeError, InvalidImageError, NoImageError
from .model import Multiscale
from .read import group_ome, read_multiscale
from .scale import get_method
from .stores import StoreLike, WriteMode
from .write import engine, updates
from .write.append import check_compatible, existing_options, plan_append, pyramid_factors_of, without_windows
from .write.groups import check_format, describe_store, open_existing_group
from .write.plan import ImagePlan, plan_image
from .write.plates import PLATE_DIMS
from .write.progress import log_resume
from .write.regions import independent_regions, level_regions, region_from_slices, region_grid, region_of_part

__all__ = [
    "append_to_zarr",
    "check_resume",
    "image_to_extend",
    "open_image_to_extend",
    "region_to_zarr",
    "tile_grid",
    "update_pyramid",
    "write_region",
]


def open_image_to_extend(store: StoreLike) -> zarr.Group | None:
    """The image group at ``store`` opened for writing, ``None`` where nothing is there yet.

    A group that holds no OME-Zarr image (or a plate) is refused: there is nothing to extend.
    """
    try:
        group = open_existing_group(store)
    except NoImageError:
        return None
    if "multiscales" not in group_ome(group):
        raise InvalidImageError(
            f"{describe_store(store)} holds no OME-Zarr image to extend with mode='a'; pass mode='w' to "
            "replace it (plates are written whole)"
        )
    return group


def check_resume(mode: WriteMode, region: Any, labels: Any, image: xr.DataArray) -> None:
    """The writes ``resume=True`` can finish: images (``mode="w-"`` or ``"w"``) and appends (``"a"``)."""
    if mode not in ("w-", "w", "a") or region is not None:
        raise InvalidImageError(
            f"resume=True finishes an interrupted image write or append (mode 'w-', 'w' or 'a'); got mode={mode!r}"
            + (" with a region: write the region again instead" if region is not None else "")
        )
    if (labels and mode != "a") or all(d in image.dims for d in PLATE_DIMS):
        raise InvalidImageError(
            "resume=True does not resume label images (other than in appends) or plates yet; write them "
            "again with mode='w'"
        )


def image_to_extend(store: StoreLike, resume: bool) -> zarr.Group | None:
    """The image to append to; with ``resume``, a store whose first write was interrupted gives ``None``."""
    try:
        return open_image_to_extend(store)
    except InvalidImageError:
        if not resume:
            raise
        return None  # resume_image checks it holds what the first write creates


def _stored_options(group: zarr.Group, paths: list[str]) -> list[dict[str, Any]]:
    """Each level's codecs and fill value as stored, for the new part to be encoded alike."""
    options = []
    for path in paths:
        array = group[path]
        assert isinstance(array, zarr.Array)
        options.append({"compressors": array.compressors or None, "fill_value": array.fill_value})
    return options


def append_to_zarr(
    image: xr.DataArray,
    group: zarr.Group,
    *,
    append_dim: str,
    mode: WriteMode = "a",
    axis_types: Any = None,
    labels: Any = None,
    compute: bool = True,
    progress: bool = False,
    resume: bool = False,
) -> list[Any]:
    """Append ``image`` to the image in ``group`` along ``append_dim``; see :func:`xarray_omezarr.to_zarr`.

    With ``resume``, an append that was interrupted is finished (only the blocks of the new part not
    stored whole yet are written), and an append already complete (the image ends with ``image``) is
    left as it is.

    Examples
    --------
    >>> import numpy as np, zarr, xarray_omezarr
    >>> store = zarr.storage.MemoryStore()
    >>> first = xr.DataArray(np.zeros((2, 8, 8), "u1"), dims=("t", "y", "x"), coords={"t": [0.0, 1.0]})
    >>> _ = first.omezarr.to_zarr(store, scale_factors=(2,))
    >>> more = first.assign_coords(t=[2.0, 3.0])
    >>> more.omezarr.to_zarr(store, mode="a", append_dim="t")
    []
    >>> zarr.open_group(store)["1"].shape
    (4, 4, 4)
    """
    if mode != "a":
        raise InvalidImageError(f"append_dim needs mode='a'; got mode={mode!r}")
    labelled = _label_groups(group, labels or {})
    # every part is planned before anything is written
    parts: list[tuple[zarr.Group, xr.DataArray, str | None]] = [(group, image, None)]
    parts += [(node, labels[name], name) for name, node in labelled]  # type: ignore[index]
    plans = [
        _planned_append(node, data, append_dim, axis_types if name is None else None, resume)
        for node, data, name in parts
    ]
    written: list[Any] = []
    for (node, _, name), plan in zip(parts, plans, strict=True):
        if plan is None:  # resume=True, and this part is appended already
            log_resume(0, 0)
            continue
        after = None if name is None else _label_block_keeper(group, node, name)
        if isinstance(plan, Multiscale):  # resume=True, and the append was killed while resizing
            updates.finish_resizes(node, plan, check_format(node), after)
            log_resume(0, 0)
            continue
        written += updates.append_image(
            plan, node, compute=compute, progress=progress, resume=resume, after=after
        )
    return written


def _label_groups(group: zarr.Group, labels: Mapping[str, Any]) -> list[tuple[str, zarr.Group]]:
    """The label images to append to, each an existing ``labels/<name>`` of the image."""
    out = []
    for name in labels:
        node = group.get(f"labels/{name}")
        if not isinstance(node, zarr.Group):
            raise InvalidImageError(
                f"the image has no label image {name!r} to append to; write it first with to_zarr_label"
            )
        out.append((name, node))
    return out


def _planned_append(
    node: zarr.Group, data: xr.DataArray, append_dim: str, axis_types: Any, resume: bool
) -> Any:
    """The append plan of ``data`` onto the image in ``node``; ``None`` if ``resume`` finds it appended."""
    existing = read_multiscale(node)
    described = describe_image(data, axis_types=axis_types)
    paths = [level.path for level in existing.levels]
    if resume and append_dim in existing.dims:
        resized = _resizing_interrupted(existing, described, node, append_dim)
        if resized is not None:
            return resized
    try:
        return plan_append(described, existing, _stored_options(node, paths), append_dim, check_format(node))
    except InvalidImageError:
        if resume and _already_appended(described, existing, node, append_dim):
            return None
        raise


def _resizing_interrupted(
    existing: Multiscale, part: Described, node: zarr.Group, append_dim: str
) -> Multiscale | None:
    """The image as the append makes it, if that append was killed while resizing its arrays.

    The resizes (level 0 first) come after all the data are stored, so levels of different extents
    along the append axis (which is never downsampled) mean the data are there: only the resizes
    left and the metadata remain to be done.
    """
    from dataclasses import replace

    axis = existing.dims.index(append_dim)
    extents = {level.shape[axis] for level in existing.levels}
    if len(extents) == 1:
        return None
    if existing.axes[axis].type == "channel" or not _already_appended(part, existing, node, append_dim):
        raise CannotResumeError(
            f"the image's levels have different sizes along {append_dim!r} ({sorted(extents)}), but level 0 "
            "does not end with this part: it is not the append that was interrupted (nothing was written)"
        )
    top = max(extents)
    levels = tuple(
        replace(level, shape=tuple(top if i == axis else n for i, n in enumerate(level.shape)))
        for level in existing.levels
    )
    return replace(existing, levels=levels, omero=without_windows(existing.omero))


def _label_block_keeper(image: zarr.Group, node: zarr.Group, name: str) -> Any:
    """What puts a label's ``image-label`` block back once its multiscale metadata is written again."""
    block = dict(group_ome(node).get("image-label") or {})
    fmt = check_format(image)

    def after(_: zarr.Group) -> None:
        labels_group = zarr.open_group(image.store_path / "labels", mode="r+", use_consolidated=False)
        engine.write_image_label(labels_group, name, block, fmt)

    return after


def _already_appended(part: Described, existing: Multiscale, group: zarr.Group, append_dim: str) -> bool:
    """Whether the image already ends with ``part`` along ``append_dim`` (an append that completed)."""
    import math

    import numpy as np

    axis = existing.dims.index(append_dim)
    if part.dims != existing.dims or np.dtype(part.image.dtype) != np.dtype(existing.dtype):
        return False
    size, count = existing.levels[0].shape[axis], part.image.levels[0].shape[axis]
    if count > size:
        return False
    held, given = existing.levels[0].geometry[axis], part.geometry[axis]
    if existing.axes[axis].type == "channel":
        labels, mine = existing.channel_labels(), part.image.channel_labels()
        if labels is None or mine is None or list(labels[size - count :]) != list(mine):
            return False
    elif not math.isclose(given.translation, held.translation + held.scale * (size - count), abs_tol=1e-9):
        return False
    level0 = group[existing.levels[0].path]
    assert isinstance(level0, zarr.Array)
    tail = tuple(slice(size - count, size) if i == axis else slice(None) for i in range(len(existing.dims)))
    return bool(np.array_equal(np.asarray(level0[tail]), np.asarray(part.data)))


def refuse_mode(mode: WriteMode, store: StoreLike) -> None:
    """The modes that would extend an image but got no way to say how."""
    if mode == "r+":
        raise InvalidImageError(
            "mode='r+' writes a region into an existing image: say which with region='auto' (from the part's "
            "coordinates) or region={'y': slice(...), ...}; or use mode='a' with append_dim=... to append"
        )
    if mode == "a":
        raise InvalidImageError(
            f"{describe_store(store)} already holds an image; mode='a' appends to it along append_dim=... "
            "(a time, channel or custom axis), or pass mode='w' to replace it"
        )
    raise NoImageError(f"no image at {describe_store(store)}")  # pragma: no cover - callers check first


def _pyramid_plan(
    group: zarr.Group, existing: Multiscale, level0: Any
) -> tuple[ImagePlan, list[tuple[int, ...]]]:
    """The plan that computes every level of ``existing`` from ``level0`` as the image's own pyramid."""
    from dataclasses import replace

    if existing.method is None:
        raise InvalidImageError(
            "the image records no downsampling method ('type'); its levels cannot be recomputed"
        )
    method = get_method(existing.method)
    factors = pyramid_factors_of(existing)
    described = Described(
        replace(existing, levels=existing.levels[:1], omero=without_windows(existing.omero)), level0
    )
    plan = plan_image(
        described,
        check_format(group),
        scale_factors=factors,
        method=method.name,
        storage_options=existing_options(
            existing, _stored_options(group, [lv.path for lv in existing.levels])
        ),
        extra=existing.extra,
    )
    cumulative = [tuple(1 for _ in existing.axes)] + [
        tuple(f.get(d, 1) for d in existing.dims) for f in factors
    ]
    return plan, cumulative


def update_pyramid(
    store: StoreLike,
    region: Mapping[str, slice] | None = None,
    *,
    compute: bool = True,
    progress: bool = False,
) -> list[Any]:
    """Recompute every coarser level of the image at ``store`` from its level 0, whole or for a region.

    Use it after editing level 0 directly. ``region`` gives the edited part in level-0 index space by
    dim name (``{"z": slice(4, 8), "y": slice(0, 256)}``; dims left out are whole); every coarser level
    is rewritten where that region reaches (the smoothing methods' halos included), in whole stored
    objects, recomputed with the image's own method and factors. The OME metadata is written last,
    its channel windows measured again. A call that dies midway is completed by calling it again.

    Examples
    --------
    >>> import numpy as np, xarray as xr, zarr, xarray_omezarr
    >>> store = zarr.storage.MemoryStore()
    >>> _ = xr.DataArray(np.zeros((8, 8), "u1"), dims=("y", "x")).omezarr.to_zarr(store, scale_factors=(2,), method="local_mean")
    >>> zarr.open_array(store, path="0")[0:2, 0:2] = 8
    >>> update_pyramid(store, region={"y": slice(0, 2), "x": slice(0, 2)})
    []
    >>> int(zarr.open_array(store, path="1")[0, 0])
    8
    """
    group = open_image_to_extend(store)
    if group is None:
        raise NoImageError(f"there is no OME-Zarr image at {describe_store(store)} to update")
    return _update(group, region, compute=compute, progress=progress)


def _update(
    group: zarr.Group,
    region: Mapping[str, slice] | None,
    *,
    compute: bool = True,
    progress: bool = False,
    after: Any = None,
    independent: bool = False,
) -> list[Any]:
    """:func:`update_pyramid` of the image (or label image) ``group``.

    With ``independent``, exactly the objects the region reaches are rewritten (it was checked to be
    independent: :func:`~.write.regions.independent_regions`), none of its neighbours'.
    """
    existing = read_multiscale(group)
    import dask.array as dask_array

    level0 = group[existing.levels[0].path]
    assert isinstance(level0, zarr.Array)
    plan, cumulative = _pyramid_plan(group, existing, dask_array.from_zarr(level0))
    changed = region_from_slices(existing, region or {})
    reach = independent_regions if independent else level_regions
    regions: list[Any] = reach(existing, cumulative, get_method(existing.method), changed)
    regions[0] = None  # level 0 is the source: it is as the caller made it
    return updates.rewrite_levels(plan, group, regions, compute=compute, progress=progress, after=after)


def region_to_zarr(
    image: xr.DataArray,
    store: StoreLike,
    region: str | Mapping[str, slice] | None,
    mode: WriteMode,
    append_dim: str | None,
    compute: bool,
    independent: bool,
) -> Any:
    """:func:`xarray_omezarr.to_zarr` with ``region`` (or ``independent``), checked: the write, to call."""
    if region is None:
        raise InvalidImageError("independent=True is for region writes (region=...)")
    if mode != "r+" or append_dim is not None:
        raise InvalidImageError(f"region writes use mode='r+' and no append_dim; got mode={mode!r}")
    if not compute:
        raise InvalidImageError("region writes compute at once (compute=False is not supported)")
    group = image_to_extend(store, False)
    if group is None:
        raise InvalidImageError(f"mode='r+' needs an existing image; there is none at {store!r}")
    return partial(write_region, image, group, region, independent=independent)


def write_region(
    part: xr.DataArray,
    group: zarr.Group,
    region: str | Mapping[str, slice],
    *,
    axis_types: Any = None,
    progress: bool = False,
    labels: Mapping[str, xr.DataArray] | None = None,
    independent: bool = False,
) -> list[Any]:
    """Write ``part`` into level 0 of the image in ``group``, then every coarser level where it reaches.

    ``region="auto"`` places the part by its coordinates, which must lie on the image's pixels;
    a mapping of dim names to slices (level-0 index space) places it explicitly. ``labels`` holds
    each label image's part of the same region (by its stored name), written into it alike.

    Any region is exact written alone. With ``independent``, the region must also be independent of
    every other (whole stored objects at every level, halo included: see :func:`tile_grid`), or it
    is refused before anything is written; then writers of disjoint regions may run at the same time.
    """
    labelled = _label_groups(group, labels or {})
    parts: list[tuple[zarr.Group, xr.DataArray, Any, Any]] = [(group, part, axis_types, None)]
    parts += [(node, labels[name], None, _label_block_keeper(group, node, name)) for name, node in labelled]  # type: ignore[index]
    # every part is placed (and checked) before anything is written
    placed = [_placed(data, node, region, types, after is not None) for node, data, types, after in parts]
    if independent:
        for (node, *_), (_, where, _) in zip(parts, placed, strict=True):
            _check_independent(node, where)
    for (node, _, _, after), (data, where, dims) in zip(parts, placed, strict=True):
        _write_level0(node, data, where)
        changed = dict(zip(dims, where, strict=True))
        _update(node, changed, progress=progress, after=after, independent=independent)
    return []


def _cumulative_factors(existing: Multiscale) -> list[tuple[int, ...]]:
    return [tuple(1 for _ in existing.axes)] + [
        tuple(f.get(d, 1) for d in existing.dims) for f in pyramid_factors_of(existing)
    ]


def _check_independent(group: zarr.Group, where: Any) -> None:
    """Refuse (before anything is written) a region that shares a stored object of some level."""
    existing = read_multiscale(group)
    if existing.method is None and len(existing.levels) > 1:
        raise InvalidImageError(
            "the image records no downsampling method ('type'): its regions cannot be checked"
        )
    method = get_method(existing.method) if existing.method is not None else get_method("nearest")
    independent_regions(existing, _cumulative_factors(existing), method, tuple(where))


def tile_grid(store: StoreLike) -> dict[str, int]:
    """The smallest level-0 tile, per dim, whose aligned tiles can be written at the same time.

    Tiles ``[k g, (k + 1) g)`` along each dim (``g`` its value; the last may end at the image's
    edge) cover whole stored objects (chunks, or shards) at every level: written with
    ``to_zarr(region=..., independent=True)`` by separate processes or dask workers, at the same
    time, they give the store one call writing the whole image gives. This holds for methods
    without halo (``local_mean``, ``nearest``, ``mode``, ``zoom``); a smoothing method's levels
    read beyond each tile, and ``independent=True`` refuses them (write level 0 from the workers,
    then call :func:`update_pyramid` once). Any multiple of the grid works too.

    Examples
    --------
    >>> import numpy as np, xarray as xr, zarr, xarray_omezarr
    >>> store = zarr.storage.MemoryStore()
    >>> image = xr.DataArray(np.zeros((64, 48), "u1"), dims=("y", "x"))
    >>> _ = image.omezarr.to_zarr(store, scale_factors=(2, 4), method="local_mean", storage_options={"chunks": (8, 8)})
    >>> xarray_omezarr.tile_grid(store)
    {'y': 32, 'x': 32}
    """
    group = open_image_to_extend(store)
    if group is None:
        raise NoImageError(f"there is no OME-Zarr image at {describe_store(store)}")
    existing = read_multiscale(group)
    return region_grid(existing, _cumulative_factors(existing))


def _placed(
    part: xr.DataArray, group: zarr.Group, region: str | Mapping[str, slice], axis_types: Any, label: bool
) -> Any:
    """The part's data in the spec's order, its region of level 0, and the image's dims.

    A label's region leaves out the image's dims it does not have (the channel axis); the image's
    own region was checked first, so no unknown name is left out unseen.
    """
    import dask.array as dask_array

    existing = read_multiscale(group)
    described = describe_image(part, axis_types=axis_types)
    if isinstance(region, Mapping):
        if label:
            region = {k: v for k, v in region.items() if k in existing.dims}
        # placed by index: a dim without a coordinate (so without units) takes the image's axis
        axes = tuple(
            theirs if dim not in part.coords else mine
            for dim, mine, theirs in zip(described.dims, described.axes, existing.axes, strict=False)
        )
        described = described.changed(axes=axes) if len(axes) == len(described.axes) else described
    check_compatible(described, existing)
    if region == "auto":
        where = region_of_part(described, existing)
    elif isinstance(region, Mapping):
        where = region_from_slices(existing, region)
        sizes = tuple(s.stop - s.start for s in where)
        if sizes != described.image.levels[0].shape:
            raise InvalidImageError(
                f"the part's shape {described.image.levels[0].shape} is not the region's {sizes} "
                f"(along {existing.dims})"
            )
    else:
        raise InvalidImageError(f"region must be 'auto' or a mapping of dims to slices; got {region!r}")
    data = described.data if hasattr(described.data, "dask") else dask_array.from_array(described.data)
    return data, where, existing.dims


def _write_level0(group: zarr.Group, data: Any, where: Any) -> None:
    import dask.array as dask_array

    level0 = group[read_multiscale(group).levels[0].path]
    assert isinstance(level0, zarr.Array)
    dask_array.store(data, level0, regions=where, lock=False)  # type: ignore[arg-type]
