"""The engine: the one place that creates OME-Zarr arrays and writes OME metadata.

It carries out plans (:mod:`.plan`) for images, labels and plates alike (a plate's batches of
fields are in :mod:`.plate_writes`), in an order that never
leaves a store claiming to be more complete than it is:

1. let zarr refuse the arrays' settings in memory, before the target is touched;
2. create every array;
3. write the data, level by level (lazily with ``compute=False``);
4. write the OME metadata last, then whatever the caller's ``after`` adds (a label's listing, a
   well's and a plate's documents), then zarr's consolidated metadata of a group above, if any,
   is refreshed (:func:`~xarray_omezarr.consolidated.keep_consolidated`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import zarr

from ..consolidated import keep_consolidated
from ..errors import InvalidImageError, TargetExistsError
from ..model import Multiscale
from ..ngff import Format, multiscale_json, ome_attributes
from ..ngff.omero import needs_windows, with_windows
from ..stores import WriteMode
from . import execution
from . import progress as _progress
from .blocks import write_target
from .groups import GroupLike, check_format, check_group_fmt, open_existing_group
from .labels import LabelPlan
from .plan import ImagePlan
from .windows import READ_BACK_BYTES, channel_ranges, lazy_channel_ranges

__all__ = [
    "create_images",
    "image_written",
    "label_written",
    "list_label",
    "metadata_last",
    "planned_document",
    "planned_metadata",
    "preflight",
    "refuse_memory_store_on_a_cluster",
    "resume_levels",
    "store_then",
    "write_document",
    "write_image",
    "write_image_label",
    "write_label",
    "write_labels",
    "write_multiscale_metadata",
]


_PLANNED: dict[tuple[Any, ...], list[Any]] = {}
"""The array metadata zarr made of each distinct plan in this process (bounded below)."""


def planned_metadata(plan: ImagePlan) -> list[Any]:
    """The metadata of the plan's arrays, as zarr makes them: what is created, and what a store's arrays
    must equal for a resume.

    zarr makes them in memory, so that it refuses bad settings before the real store is touched. Plans
    that create the same arrays (a plate's fields, say) are made once.
    """
    arrays = [(level.shape, options) for level, options in zip(plan.image.levels, plan.arrays, strict=True)]
    paths = tuple(level.path for level in plan.image.levels)
    key = (plan.fmt, str(plan.image.dtype), plan.image.dims, paths, repr(arrays))
    if key not in _PLANNED:
        memory = zarr.open_group(zarr.storage.MemoryStore(), mode="w", zarr_format=plan.fmt.zarr_format)
        kwargs = plan.fmt.array_kwargs(plan.image.dims)
        made = [
            memory.create_array(
                name=level.path, shape=level.shape, dtype=plan.image.dtype, **options, **kwargs
            )
            for level, options in zip(plan.image.levels, plan.arrays, strict=True)
        ]
        if len(_PLANNED) > 4096:  # a long session of varied writes must not grow it forever
            _PLANNED.clear()
        _PLANNED[key] = [array.metadata for array in made]
    return _PLANNED[key]


def planned_document(plan: ImagePlan) -> dict[str, Any]:
    """The OME metadata the plan writes, before its channel windows are measured (unwrapped)."""
    return multiscale_json(plan.image, plan.fmt, plan.datasets)


def preflight(plan: ImagePlan) -> None:
    """Let zarr refuse bad storage options or dtypes in memory, before the real store is touched."""
    try:
        planned_metadata(plan)
    except (TypeError, ValueError) as error:
        raise InvalidImageError(f"zarr cannot create the arrays with these settings: {error}") from error


def create_images(
    root: zarr.Group, plans: Mapping[str, ImagePlan], *, overwrite: bool
) -> tuple[dict[str, zarr.Group], dict[str, list[zarr.Array]]]:
    """Create the arrays of many images under ``root``, with their groups and any groups above them,
    in one concurrent call, with no OME metadata yet.

    The path ``""`` is ``root`` itself, whose group is kept as it is (its arrays are created). Returns
    each new group, and each image's arrays (to write through :func:`~.blocks.write_target`). ``overwrite``
    replaces what is at those paths; else zarr refuses to.
    """
    from zarr.core.group import GroupMetadata

    nodes: dict[str, Any] = {}
    for path, plan in plans.items():
        if path:
            nodes[path] = GroupMetadata(zarr_format=plan.fmt.zarr_format)
        for level, metadata in zip(plan.image.levels, planned_metadata(plan), strict=True):
            nodes[_below(path, level.path)] = metadata
    created = dict(root.create_hierarchy(nodes, overwrite=overwrite))
    arrays = {
        path: [created[_below(path, level.path)] for level in plan.image.levels]
        for path, plan in plans.items()
    }
    groups = {p: g for p, g in created.items() if isinstance(g, zarr.Group)}
    return groups, arrays  # type: ignore[return-value]  # the levels' paths hold arrays


def _below(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def _measured_then_written(
    group: zarr.Group,
    image: Multiscale,
    fmt: Format,
    datasets: Any = None,
    smallest: zarr.Array | None = None,
    ranges: Any = None,
) -> None:
    """The image's OME metadata, its missing channel windows measured on the smallest level as stored
    (``smallest``, the array if the caller has it, else opened), unless the write measured its
    ``ranges`` already (see :func:`ranges_while_written`)."""
    if needs_windows(image.omero):
        assert image.omero is not None
        if ranges is None:
            # from the smallest level, read back: a thumbnail's worth of reading for a pyramid
            if smallest is None:
                smallest = group[image.levels[-1].path]  # type: ignore[assignment]
            assert isinstance(smallest, zarr.Array)
            ranges = channel_ranges(smallest, image.axes)
        image = replace(image, omero=with_windows(image.omero, ranges, image.dtype))
    write_multiscale_metadata(group, image, fmt, datasets)


def ranges_while_written(plan: ImagePlan, *, larger_than: int = 0) -> Any:
    """The channel ranges of the plan's smallest level, measured on the blocks the write computes
    anyway: a delayed value to compute with the write, or ``None`` when the image needs no windows,
    its data are not dask, or its smallest level is at most ``larger_than`` bytes (read back once
    written instead, see :func:`_measured_then_written`).

    A single image measures only a large smallest level this way (:data:`~.windows.READ_BACK_BYTES`:
    a pyramid's thumbnail costs nothing to read back); a plate measures every field's, which saves a
    read per field.
    """
    smallest = plan.data[-1]
    if not needs_windows(plan.image.omero) or not hasattr(smallest, "dask") or smallest.nbytes <= larger_than:
        return None
    return lazy_channel_ranges(smallest, plan.image.axes, plan.image.dtype)


def write_multiscale_metadata(
    group: zarr.Group, image: Multiscale, fmt: Format, datasets: Sequence[Mapping[str, Any]] | None = None
) -> None:
    """Write the image's OME metadata into ``group`` (the last step of every image write)."""
    group.attrs.update(fmt.wrap(multiscale_json(image, fmt, datasets)))


def refuse_memory_store_on_a_cluster(group: GroupLike) -> None:
    """A MemoryStore lives in this process: workers in other processes would write into copies of it."""
    store = group.store if isinstance(group, zarr.Group) else getattr(group, "store", group)
    if not isinstance(store, zarr.storage.MemoryStore):
        return
    client = execution.distributed_client()
    if client is not None and not execution.workers_share_this_process(client):
        raise InvalidImageError(
            "the target is a zarr MemoryStore, which lives in this process, while the dask.distributed "
            "workers run in other processes: their writes would be lost. Write to a path, URL or object "
            "store, or outside the cluster (nothing was written)"
        )


def _refuse_existing(group: zarr.Group, paths: Sequence[str], mode: WriteMode) -> None:
    if mode == "w":
        return
    taken = [p for p in paths if p in group]
    if taken:
        raise TargetExistsError(
            f"the group already holds {taken}; pass mode='w' to replace them (nothing was written)"
        )


def store_then(
    sources: Sequence[Any],
    targets: Sequence[Any],
    finish: Callable[..., None],
    compute: bool | None,
    progress: bool,
    regions: Sequence[tuple[slice, ...]] | None = None,
    measured: Any = None,
) -> list[Any]:
    """Write every level into its target (its region), then call ``finish`` (the metadata) with what
    was stored and ``measured`` (a delayed value computed with the data, or ``None``); lazily when
    ``compute`` is false."""
    import dask
    import dask.array as da

    stored = (
        da.store(  # type: ignore[call-overload]
            list(sources), list(targets), regions=regions, lock=False, compute=False, return_stored=False
        )
        if sources
        else None  # a resume that finds every block stored: the metadata only
    )
    done = dask.delayed(finish, pure=False)(stored, measured)
    if compute:
        execution.compute(done, progress=progress)
        return []
    return [done]


def write_image(
    plan: ImagePlan,
    target: GroupLike,
    *,
    mode: WriteMode = "w-",
    compute: bool | None = True,
    progress: bool = False,
    after: Callable[[zarr.Group], None] | None = None,
    preflighted: bool = False,
    resumable: bool = True,
    consolidated: bool = True,
) -> list[Any]:
    """Carry out ``plan`` into ``target`` (a group, or a path or store where one is created).

    ``after`` runs with the image's group once its data and metadata are written. ``preflighted``
    says the caller already ran :func:`preflight` on the plan. ``resumable`` records the write's
    progress in the group for ``resume=True`` (label images and plate fields, which cannot be resumed,
    save those three metadata writes). ``consolidated`` refreshes consolidated metadata above the
    image (a plate's fields leave it to the plate, which consolidates once at its end). Returns
    ``[]``, or with ``compute=False`` the delayed write.
    """
    if not preflighted:
        preflight(plan)
    if compute:
        refuse_memory_store_on_a_cluster(target)
    # everything is checked: now, and only now, touch the store
    if isinstance(target, zarr.Group):
        group, fmt = target, check_format(target, plan.fmt)
    else:
        group, fmt = check_group_fmt(target, plan.fmt, mode=mode)
    _refuse_existing(group, plan.paths, mode)
    # from here on, resume=True can finish what a killed write leaves (see .progress)
    if resumable:
        _progress.mark_in_progress(group, planned_document(plan), "creating")
    arrays = create_images(group, {"": plan}, overwrite=mode == "w")[1][""]
    if resumable:
        _progress.mark_in_progress(group, planned_document(plan), "writing")
    finish = _finisher(group, plan, fmt, after, resumable, consolidated, smallest=arrays[-1])
    targets = [write_target(a) for a in arrays]
    return store_then(
        plan.data,
        targets,
        finish,
        compute,
        progress,
        measured=ranges_while_written(plan, larger_than=READ_BACK_BYTES),
    )


def image_written(
    group: zarr.Group,
    plan: ImagePlan,
    fmt: Format,
    smallest: zarr.Array | None = None,
    ranges: Any = None,
) -> None:
    """The last step of writing an image whose data are stored: its OME metadata (nothing else).

    ``smallest`` is its smallest level's array, if the caller has it (else it is opened), ``ranges``
    its channel ranges if the write measured them (:func:`ranges_while_written`).
    """
    metadata_last(
        group,
        plan.image,
        fmt,
        plan.datasets,
        resumable=False,
        consolidated=False,
        smallest=smallest,
        ranges=ranges,
    )


def metadata_last(
    group: zarr.Group,
    image: Multiscale,
    fmt: Format,
    datasets: Any = None,
    after: Callable[[zarr.Group], None] | None = None,
    *,
    resumable: bool = False,
    consolidated: bool = True,
    smallest: zarr.Array | None = None,
    ranges: Any = None,
) -> None:
    """The last step of every image write, once its data are stored: the OME metadata, then ``after``
    (a label's listing...), then the resume record is cleared and, with ``consolidated``, zarr's
    consolidated metadata of a group above is refreshed (:func:`~xarray_omezarr.stores.keep_consolidated`)."""
    _measured_then_written(group, image, fmt, datasets, smallest, ranges)
    if after is not None:
        after(group)
    if resumable:
        _progress.clear_progress(group)
    if consolidated:
        keep_consolidated(group)


def _finisher(
    group: zarr.Group,
    plan: ImagePlan,
    fmt: Format,
    after: Callable[[zarr.Group], None] | None,
    resumable: bool = True,
    consolidated: bool = True,
    smallest: zarr.Array | None = None,
) -> Callable[..., None]:
    def finish(_: Any = None, ranges: Any = None) -> None:
        metadata_last(
            group,
            plan.image,
            fmt,
            plan.datasets,
            after,
            resumable=resumable,
            consolidated=consolidated,
            smallest=smallest,
            ranges=ranges,
        )

    return finish


def resume_levels(
    plan: ImagePlan,
    group: zarr.Group,
    *,
    compute: bool | None = True,
    progress: bool = False,
    after: Callable[[zarr.Group], None] | None = None,
) -> tuple[list[Any], int, int]:
    """Write the blocks of the plan that ``group`` does not hold whole yet, then the OME metadata.

    The group's arrays are the plan's (the caller checked them). A block of whole stored objects is
    written again when one of its objects is missing (see :mod:`.progress` for why an object that
    exists is complete). Returns what :func:`write_image` returns, and the numbers of objects
    rewritten and planned.
    """
    arrays = [group[level.path] for level in plan.image.levels]
    whole = [tuple(slice(0, n) for n in level.shape) for level in plan.image.levels]
    assert all(isinstance(a, zarr.Array) for a in arrays)
    sources, targets, regions, rewritten, total = _progress.missing_writes(
        arrays,  # type: ignore[arg-type]
        plan.paths,
        plan.data,
        whole,
        group,
    )
    finish = _finisher(group, plan, check_format(group, plan.fmt), after)
    return store_then(sources, targets, finish, compute, progress, regions), rewritten, total


def write_document(group: zarr.Group, key: str, block: Mapping[str, Any] | list[str], fmt: Format) -> None:
    """Set one OME document (``plate``, ``well``, ``labels``...) of ``group``, keeping its others."""
    group.attrs.update(fmt.wrap({key: block}))


def write_image_label(labels_group: zarr.Group, name: str, block: Mapping[str, Any], fmt: Format) -> None:
    """Set the ``image-label`` block of label image ``name``, keeping its multiscale metadata."""
    target = labels_group[name]
    if not isinstance(target, zarr.Group):
        raise InvalidImageError(f"labels/{name} is not a group; write the label image before its metadata")
    ome = ome_attributes(dict(target.attrs))
    versioned = {"version": fmt.version} if fmt.versioned_blocks else {}
    block = versioned | {k: v for k, v in block.items() if k != "version"}
    target.attrs.update(fmt.wrap({k: v for k, v in ome.items() if k != "version"} | {"image-label": block}))


def list_label(labels_group: zarr.Group, name: str, fmt: Format) -> None:
    """Add ``name`` to the ``labels`` list, keeping the names already there."""
    names = list(ome_attributes(dict(labels_group.attrs)).get("labels") or [])
    if name not in names:
        names.append(name)
    write_document(labels_group, "labels", names, fmt)


def label_written(image_group: zarr.Group, name: str, image_label: Mapping[str, Any], fmt: Format) -> None:
    """The last steps of writing label image ``name`` of ``image_group``, once its data and multiscale
    metadata are written: its ``image-label`` block, then its name in the ``labels`` list."""
    labels_group = image_group.require_group("labels")
    write_image_label(labels_group, name, image_label, fmt)
    list_label(labels_group, name, fmt)


def write_label(
    plan: ImagePlan,
    image_group: zarr.Group,
    name: str,
    image_label: Mapping[str, Any],
    *,
    mode: WriteMode = "w-",
    compute: bool | None = True,
    progress: bool = False,
    consolidated: bool = True,
) -> list[Any]:
    """Write a label image's pyramid into ``labels/<name>`` of ``image_group``, then its metadata.

    The label's multiscale and ``image-label`` metadata come after its data, and its name joins the
    ``labels`` list last, so an interrupted write never lists a half-written label.
    """
    if f"labels/{name}" in image_group and mode != "w":
        raise TargetExistsError(f"the image already has a label image {name!r}; pass mode='w' to replace it")
    fmt = check_format(image_group, plan.fmt)

    def after(_: zarr.Group) -> None:
        label_written(image_group, name, image_label, fmt)

    # a path, not a group: the label group is created only once everything has been checked
    return write_image(
        plan,
        image_group.store_path / "labels" / name,
        mode=mode,
        compute=compute,
        progress=progress,
        after=after,
        resumable=False,
        consolidated=consolidated,
    )


def write_labels(
    store: GroupLike, labels: Sequence[LabelPlan], *, mode: WriteMode, compute: bool, progress: bool
) -> list[Any]:
    """Write planned label images into the image just written at ``store``."""
    if not labels:
        return []
    group = open_existing_group(store)
    written: list[Any] = []
    for label in labels:
        written += write_label(
            label.plan, group, label.name, label.image_label, mode=mode, compute=compute, progress=progress
        )
    return written
