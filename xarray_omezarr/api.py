"""The public functions for xarray objects: write a DataArray, a plate or a label, or compute a pyramid.

Each accessor method forwards here, and each function here is public, so scripts can call
``xarray_omezarr.to_zarr(da, ...)`` without the accessor. A function resolves the target, describes
its input, plans the whole write (image, labels or plate: every check happens before the store is
touched) and hands the plan to the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr

from .describe import DEFAULT_NAME, describe_image
from .errors import InvalidImageError
from .incremental import append_to_zarr, check_resume, image_to_extend, refuse_mode, region_to_zarr
from .ngff import Format, as_format, writable_tag
from .read import read_multiscale
from .scale import Methods, get_method
from .scale.levels import DEFAULT_SCALE_FACTORS, ScaleFactors, build_pyramid, level_geometry
from .stores import StoreLike, WriteMode, is_ozx, resolve_target
from .write import engine, plate_writes
from .write.groups import check_format, open_existing_group, probable_format
from .write.labels import plan_label, plan_labels
from .write.options import StorageOptions
from .write.plan import plan_image, planned_factors
from .write.plates import PLATE_DIMS, FieldLike, plan_plate
from .write.resume import resume_image
from .write.scenes import is_scene, write_scene
from .write.trees import plan_tree, tree_version
from .write.zipped import write_zipped

__all__ = [
    "dataset_labels",
    "image_variable",
    "pyramid",
    "to_zarr",
    "to_zarr_label",
    "tree_to_zarr",
    "write_plate",
]


def _is_label(variable: xr.DataArray) -> bool:
    return isinstance(variable.attrs.get("image-label"), dict)


def dataset_labels(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """The label images of a Dataset read by the ``omezarr`` engine, by their stored names."""
    out = {}
    for variable in ds.data_vars.values():
        if _is_label(variable):
            multiscales = variable.attrs.get("ome", {}).get("multiscales") or [{}]
            out[str(multiscales[0].get("name") or variable.name)] = variable
    return out


def image_variable(obj: xr.DataArray | xr.Dataset, name: str | None = None) -> xr.DataArray:
    """The image of a DataArray, or of a Dataset: the variable ``name``, or its only non-label variable."""
    if isinstance(obj, xr.DataArray):
        return obj
    names = [str(n) for n, v in obj.data_vars.items() if not _is_label(v)]
    if name is None:
        if len(names) != 1:
            raise InvalidImageError(
                f"the Dataset has data variables {names}; say which is the image with name=..."
            )
        name = names[0]
    if name not in obj.data_vars:
        raise KeyError(f"{name!r} is not a data variable of the Dataset; it has {names}")
    return obj[name]


def to_zarr(
    obj: xr.DataArray | xr.Dataset,
    store: StoreLike,
    *,
    scale_factors: ScaleFactors | str = DEFAULT_SCALE_FACTORS,
    method: Methods | str = Methods.RESIZE,
    version: Format | str = "0.5",
    mode: WriteMode | None = None,
    append_dim: str | None = None,
    region: str | Mapping[str, slice] | None = None,
    storage_options: StorageOptions = None,
    name: str | None = None,
    compute: bool = True,
    axis_types: Mapping[str, str | None] | None = None,
    labels: Mapping[str, xr.DataArray] | None = None,
    label_metadata: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool = False,
    filesystem_options: Mapping[str, Any] | None = None,
    resume: bool = False,
    independent: bool = False,
) -> list[Any]:
    """Write a DataArray as an OME-Zarr image with a multiscale pyramid, and its label images.

    Axes, units, scale and translation come from the dims and regular coordinates; channel coordinate
    values become channel labels. The parameters mean what they mean for
    :func:`xarray_omezarr.writer.write_image`.

    Parameters
    ----------
    obj
        The image. A DataArray with dims ``row``, ``column`` and ``field`` (plus the image dims) is written as
        an HCS plate (see :func:`write_plate`). For a Dataset: the variable called
        ``name``, or its only variable that is not a label image (variables with ``attrs["image-label"]``,
        as the ``omezarr`` engine reads them, are written as label images unless ``labels`` is given).
    store
        A path, a URL (``s3://bucket/image.ome.zarr``, any fsspec protocol), a zarr store or group, or an
        obstore store. A path or URL ending in ``.ozx`` is written as one zipped OME-Zarr file (RFC-9,
        0.5 only), assembled once the image is complete (see
        :func:`xarray_omezarr.write.zipped.write_zipped`).
    scale_factors
        Cumulative factors per level (ints for y/x, dicts per axis name), ``()`` for no pyramid, ``"auto"``
        for levels until the smallest fits in one chunk.
    method
        Downsampling method (see :class:`~xarray_omezarr.scale.Methods`).
    version
        ``"0.5"`` (Zarr v3, default), ``"0.4"`` (Zarr v2) or ``"0.6"`` (Zarr v3, coordinate systems).
    mode
        ``"w-"`` (the default) refuses an existing target, ``"w"`` replaces it, ``"a"`` (the default with
        ``append_dim``) appends to the image there, or writes it where there is none yet.
    append_dim
        The time, channel or custom axis along which ``obj`` continues the image at ``store``: every
        level grows, and the result is the store one call writing the final image gives. The
        appended coordinate must continue the image's grid; the other coordinates, the dtype, units
        and (for a time append) channel names must match. A write that dies midway leaves the image
        as it was.
    region
        ``"auto"`` (from ``obj``'s coordinates, which must lie on the image's pixels) or a mapping of
        dims to level-0 slices: ``obj`` replaces that part of level 0 of the image at ``store``, and
        every coarser level is recomputed where it reaches (see :func:`xarray_omezarr.update_pyramid`).
        Implies ``mode="r+"``.
    storage_options
        ``zarr.create_array`` options (``chunks``, ``shards``, ``compressors``...), one dict or one per level.
        For a URL, keys that ``zarr.create_array`` does not take (``key``, ``endpoint_url``...) go to the
        filesystem, as in xarray's ``to_zarr``.
    name
        The image's name in the metadata; the DataArray's name by default, else ``"image"``.
    compute
        ``False`` returns a list holding the delayed write (data first, then metadata).
    axis_types
        Types for dims whose names do not say, e.g. ``{"row": "space", "col": "space"}``.
    labels
        Label images by name, each an integer DataArray on the image's grid (same space coordinates,
        no channel axis). Their pyramids follow the image's levels (see :mod:`xarray_omezarr.write.labels`).
        With ``append_dim`` or ``region``: each existing label image's part along the same axis, or of
        the same region, written with the image's part.
    label_metadata
        ``colors`` and ``properties`` per label name; by default each label's ``attrs["image-label"]``.
    progress
        Show a progress bar while the data are written.
    filesystem_options
        Options for the fsspec filesystem of a URL ``store`` (credentials, ``endpoint_url``...).
    resume
        Finish this very call after it was interrupted (killed, a lost connection): the store must hold
        what the call creates (same arrays, chunks, shards, codecs, fill value, levels and method; else
        :class:`~xarray_omezarr.errors.CannotResumeError`, nothing written); only the blocks not stored
        whole yet are written, then the metadata. An image already complete is left as it is; where
        nothing was written yet the image is written. Works for appends (with ``append_dim``, and their
        labels) too; not for regions, plates or the labels of a first write. See :mod:`xarray_omezarr.write.resume`.
    independent
        With ``region``: refuse (before anything is written) a region that shares a stored object of some
        level with the rest of the image, its method's halo included, so that writers of disjoint
        regions may run at the same time (processes, dask workers). Aligned tiles of
        :func:`xarray_omezarr.tile_grid` pass, for methods without halo; see ``docs/appending.md``.

    Examples
    --------
    >>> import numpy as np, xarray as xr, zarr
    >>> da = xr.DataArray(np.zeros((32, 32), "uint8"), dims=("y", "x"))
    >>> to_zarr(da, zarr.storage.MemoryStore(), scale_factors=(2,))
    []
    """
    if is_ozx(store):
        arguments = dict(locals())  # the parameters: nothing else is defined yet
        return write_zipped(to_zarr, arguments)
    image = image_variable(obj, name if isinstance(obj, xr.Dataset) else None)
    store, storage_options = resolve_target(store, storage_options, filesystem_options)
    mode = mode or ("a" if append_dim is not None else "r+" if region is not None else "w-")
    if resume:
        check_resume(mode, region, labels, image)
    if region is not None or independent:
        written = region_to_zarr(image, store, region, mode, append_dim, compute, independent)
        return written(axis_types=axis_types, progress=progress, labels=labels)
    if mode in ("a", "r+"):
        group = image_to_extend(store, resume)
        if group is not None:
            if append_dim is None:
                refuse_mode(mode, store)
            assert append_dim is not None
            return append_to_zarr(
                image,
                group,
                append_dim=append_dim,
                mode=mode,
                axis_types=axis_types,
                labels=labels,
                compute=compute,
                progress=progress,
                resume=resume,
            )
        if mode == "r+":
            raise InvalidImageError(f"mode='r+' needs an existing image; there is none at {store!r}")
        mode = "w-"  # nothing there yet: this first write creates the image
    elif append_dim is not None:
        raise InvalidImageError(f"append_dim needs mode='a'; got mode={mode!r}")
    if all(d in image.dims for d in PLATE_DIMS):
        if not compute:
            raise InvalidImageError(
                "plates are written field by field as they are computed; compute=False is not supported"
            )
        write_plate(
            store,
            image,
            name=name,
            scale_factors=scale_factors,
            method=method,
            version=str(as_format(version).version),
            mode=mode,
            storage_options=storage_options,
            axis_types=axis_types,
            progress=progress,
        )
        return []
    if labels is None and isinstance(obj, xr.Dataset):
        labels = dataset_labels(obj)  # the labels it was read with
    described = describe_image(image, axis_types=axis_types)
    fmt = probable_format(store, version)
    plan = plan_image(
        described.changed(name=name or described.image.name or DEFAULT_NAME),
        fmt,
        scale_factors=scale_factors,
        method=method,
        storage_options=storage_options,
    )
    # every label is planned on the image's levels before anything is written
    label_plans = plan_labels(
        labels or {}, plan.image, fmt, label_metadata=label_metadata, storage_options=storage_options
    )
    if resume:
        if label_plans:
            raise InvalidImageError(
                "resume=True does not resume the label images of a first write yet; resume the image "
                "without labels, then write them with to_zarr_label(..., mode='w')"
            )
        return resume_image(plan, store, compute=compute, progress_bar=progress)
    written = engine.write_image(plan, store, mode=mode, compute=compute, progress=progress)
    return written + engine.write_labels(store, label_plans, mode=mode, compute=compute, progress=progress)


def tree_to_zarr(
    tree: xr.DataTree,
    store: StoreLike,
    *,
    version: Format | str | None = None,
    mode: WriteMode = "w-",
    compute: bool = True,
    progress: bool = False,
    filesystem_options: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Write a DataTree read by the ``omezarr`` engine back as an OME-Zarr image, with its labels.

    Every level is written as the tree holds it (nothing is recomputed), with the geometry of its
    coordinates, the metadata the tree was read with (method, channel block, label colours), and the
    chunks, shards and codecs it was stored with: writing what was read gives the same store back.

    Parameters
    ----------
    tree
        A tree from ``xr.open_datatree(path, engine="omezarr")`` of an image (levels ``/0``, ``/1``...
        and ``/labels/<name>/<level>``), possibly edited; or of a 0.6 scene (its images, then its
        ``scene`` document, see :mod:`xarray_omezarr.write.scenes`).
    store
        Where to write, as for :func:`to_zarr`.
    version
        ``"0.4"``, ``"0.5"`` or ``"0.6"``; by default the version the tree was read from (0.5 for older ones).
    mode, compute, progress, filesystem_options
        As for :func:`to_zarr`.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> source, copy = zarr.storage.MemoryStore(), zarr.storage.MemoryStore()
    >>> _ = xr.DataArray(np.ones((8, 8), "u1"), dims=("y", "x")).omezarr.to_zarr(source, scale_factors=(2,))
    >>> tree_to_zarr(xr.open_datatree(source, engine="omezarr"), copy)
    []
    >>> zarr.open_group(copy).attrs.asdict() == zarr.open_group(source).attrs.asdict()
    True
    """
    if is_ozx(store):
        arguments = dict(locals())  # the parameters: nothing else is defined yet
        version = version or tree_version(tree)
        arguments["version"] = version if version in ("0.4", "0.5") else "0.5"
        return write_zipped(tree_to_zarr, arguments)
    store, _ = resolve_target(store, None, filesystem_options)
    read_version = tree_version(tree)
    if version is None:
        version = writable_tag(read_version) or "0.5"
    fmt = probable_format(store, version)
    if is_scene(tree):
        return write_scene(tree, store, fmt, mode=mode, compute=compute, progress=progress)
    image, labels = plan_tree(tree, fmt)
    written = engine.write_image(image, store, mode=mode, compute=compute, progress=progress)
    return written + engine.write_labels(store, labels, mode=mode, compute=compute, progress=progress)


def to_zarr_label(
    label: xr.DataArray,
    store: StoreLike,
    name: str,
    *,
    method: Methods | str | None = None,
    colors: list[dict[str, Any]] | None = None,
    properties: list[dict[str, Any]] | None = None,
    mode: WriteMode = "w-",
    storage_options: StorageOptions = None,
    compute: bool = True,
    cast: bool = False,
    progress: bool = False,
    filesystem_options: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Add a label image to an existing OME-Zarr image, on its grid at every level.

    The image's data are not touched; other label images stay listed.

    Parameters
    ----------
    label
        Integer DataArray with the image's space coordinates (booleans become uint8; whole-number floats
        with ``cast=True``).
    store
        The image: a path, store or zarr group.
    name
        The label image's name (its group is ``labels/<name>``).
    method
        ``"mode"`` or ``"nearest"``; by default the one on the image's grid.
    colors, properties
        The ``image-label`` colours and properties; by default those in ``label.attrs["image-label"]``
        (as read by the ``omezarr`` engine).
    mode
        ``"w-"`` refuses an existing label of the same name, ``"w"`` replaces it.
    storage_options, compute
        As for :func:`xarray_omezarr.to_zarr`.
    cast
        Convert whole-number float labels to integers.
    progress, filesystem_options
        As for :func:`xarray_omezarr.to_zarr`.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> store = zarr.storage.MemoryStore()
    >>> image = xr.DataArray(np.zeros((8, 8), "uint16"), dims=("y", "x"))
    >>> _ = image.omezarr.to_zarr(store, scale_factors=(2,), method="local_mean")
    >>> to_zarr_label(xr.DataArray(np.ones((8, 8), "uint8"), dims=("y", "x")), store, "cells")
    []
    """
    store, storage_options = resolve_target(store, storage_options, filesystem_options)
    group = open_existing_group(store)
    planned = plan_label(
        label,
        read_multiscale(group),
        name,
        check_format(group),
        storage_options=storage_options,
        method=method,
        colors=colors,
        properties=properties,
        cast=cast,
    )
    return engine.write_label(
        planned.plan, group, name, planned.image_label, mode=mode, compute=compute, progress=progress
    )


def write_plate(
    store: StoreLike,
    wells: Mapping[str, Sequence[FieldLike]] | xr.DataArray,
    *,
    rows: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    acquisitions: Sequence[Mapping[str, Any]] | None = None,
    field_count: int | None = None,
    name: str | None = None,
    scale_factors: ScaleFactors | str = DEFAULT_SCALE_FACTORS,
    method: Methods | str = Methods.RESIZE,
    version: str = "0.5",
    mode: WriteMode = "w-",
    storage_options: StorageOptions = None,
    axis_types: Mapping[str, str | None] | None = None,
    progress: bool = False,
    consolidated: bool = True,
) -> None:
    """Write an HCS plate: every field a full pyramid image, plus well and plate metadata.

    Parameters
    ----------
    store
        Where the plate goes: a path or zarr store.
    wells
        ``{"A/1": [field0, field1, ...], ...}``; a field is a DataArray, or a dict with ``image`` (a
        DataArray), ``acquisition`` (an id of ``acquisitions``) and ``labels`` (``{name: DataArray}``).
        Fields may differ in shape. Or a dense DataArray with dims ``row``, ``column``, ``field`` and the
        image dims (see :func:`xarray_omezarr.write.plates.plate_fields`).
    rows, columns
        The plate's row and column names; by default those of the wells, in natural order.
    acquisitions
        Dicts with unique non-negative integer ``id`` (and ``name``, ``maximumfieldcount``..., which the
        spec's strict schema asks for). By default, the ids the fields name, each with the largest number
        of its fields in one well as ``maximumfieldcount``.
    field_count
        The largest number of fields per well; counted from ``wells`` by default.
    name
        The plate's name; the DataArray's name, else ``"plate"``.
    scale_factors, method, version, mode, storage_options, axis_types, progress
        As for :func:`xarray_omezarr.to_zarr`, for every field.
    consolidated
        Write zarr's consolidated metadata at the plate's root, last, so that opening the plate reads one
        document, not every group and array; see :mod:`xarray_omezarr.consolidated` for who keeps it current.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> field = xr.DataArray(np.zeros((16, 16), "uint8"), dims=("y", "x"))
    >>> write_plate(zarr.storage.MemoryStore(), {"A/1": [field], "B/3": [field, field]}, scale_factors=(2,))
    """
    fmt = as_format(version)
    plan = plan_plate(
        wells,
        fmt,
        rows=rows,
        columns=columns,
        acquisitions=acquisitions,
        field_count=field_count,
        name=name,
        scale_factors=scale_factors,
        method=method,
        storage_options=storage_options,
        axis_types=axis_types,
        consolidated=consolidated,
    )
    plate_writes.write_plate(plan, store, mode=mode, progress=progress)


def pyramid(
    obj: xr.DataArray,
    *,
    scale_factors: ScaleFactors | str = DEFAULT_SCALE_FACTORS,
    method: Methods | str = Methods.RESIZE,
    axis_types: Mapping[str, str | None] | None = None,
) -> xr.DataTree:
    """The pyramid :func:`to_zarr` would write: one node per level (``"0"``, ``"1"``...).

    Each level's coordinates are where its pixels really are under ``method``; the transforms written for
    a level are exactly its coordinates' scale and translation. Levels are lazy for dask input.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> da = xr.DataArray(np.arange(16.0).reshape(4, 4), dims=("y", "x"), name="img")
    >>> tree = pyramid(da, scale_factors=(2,), method="local_mean")
    >>> tree["1"]["img"].x.values
    array([0.5, 2.5])
    """
    spec = get_method(method)
    described = describe_image(obj, axis_types=axis_types)
    factors = planned_factors(described, scale_factors, spec.name, None, as_format(None))
    levels = build_pyramid(described.data, factors, spec.name)
    name = described.image.name or DEFAULT_NAME
    labels = described.image.channel_labels()
    nodes: dict[str, xr.Dataset] = {}
    for index, (data, level_factors) in enumerate(zip(levels, factors, strict=True)):
        geometry = level_geometry(described.geometry, level_factors, spec.name)
        coords: dict[str, Any] = {}
        for axis, size, axis_geometry in zip(described.axes, data.shape, geometry, strict=True):
            if axis.type == "channel":
                if obj.coords.get(axis.name) is not None and labels is not None:
                    coords[axis.name] = list(labels)
                continue
            coords[axis.name] = xr.Variable(
                axis.name, axis_geometry.values(size), {"units": axis.unit} if axis.unit else {}
            )
        array = xr.DataArray(data, dims=described.dims, coords=coords, name=name, attrs=dict(obj.attrs))
        nodes[str(index)] = array.to_dataset()
    return xr.DataTree.from_dict(nodes)
