"""The functions behind the ``.omezarr`` accessor: write a DataArray, or compute its pyramid.

Each accessor method forwards here, and each function here is public, so scripts can call
``xarray_omezarr.to_zarr(da, ...)`` without the accessor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import xarray as xr
import zarr

from .chunking import default_chunks
from .format import Format, as_format
from .image import DEFAULT_NAME, describe_image, omero_metadata
from .labels import ImageGrid, check_labels, write_label_on
from .labels import to_zarr_label as _to_zarr_label
from .plate import PLATE_DIMS, write_plate
from .pyramid import DEFAULT_SCALE_FACTORS, ScaleFactors, build_pyramid, level_geometry, pyramid_factors
from .scale import Methods, get_method
from .stores import resolve_target
from .writer import StorageOptions, write_image

__all__ = ["dataset_labels", "image_variable", "pyramid", "to_zarr", "to_zarr_label"]


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
            raise ValueError(f"the Dataset has data variables {names}; say which is the image with name=...")
        name = names[0]
    if name not in obj.data_vars:
        raise KeyError(f"{name!r} is not a data variable of the Dataset; it has {names}")
    return obj[name]


def to_zarr(
    obj: xr.DataArray | xr.Dataset,
    store: Any,
    *,
    scale_factors: ScaleFactors | str = DEFAULT_SCALE_FACTORS,
    method: Methods | str = Methods.RESIZE,
    version: Format | str = "0.5",
    mode: str = "w-",
    storage_options: StorageOptions = None,
    name: str | None = None,
    compute: bool = True,
    axis_types: Mapping[str, str | None] | None = None,
    labels: Mapping[str, xr.DataArray] | None = None,
    label_metadata: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool = False,
    filesystem_options: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Write a DataArray as an OME-Zarr image with a multiscale pyramid, and its label images.

    Axes, units, scale and translation come from the dims and regular coordinates; channel coordinate
    values become channel labels. The parameters mean what they mean for
    :func:`xarray_omezarr.writer.write_image`.

    Parameters
    ----------
    obj
        The image. A DataArray with dims ``row``, ``column`` and ``field`` (plus the image dims) is written as
        an HCS plate (see :func:`xarray_omezarr.plate.write_plate`). For a Dataset: the variable called
        ``name``, or its only variable that is not a label image (variables with ``attrs["image-label"]``,
        as the ``omezarr`` engine reads them, are written as label images unless ``labels`` is given).
    store
        A path, a URL (``s3://bucket/image.ome.zarr``, any fsspec protocol), a zarr store or group, or an
        obstore store.
    scale_factors
        Cumulative factors per level (ints for y/x, dicts per axis name), ``()`` for no pyramid, ``"auto"``
        for levels until the smallest fits in one chunk.
    method
        Downsampling method (see :class:`~xarray_omezarr.scale.Methods`).
    version
        ``"0.5"`` (Zarr v3, default) or ``"0.4"`` (Zarr v2).
    mode
        ``"w-"`` refuses an existing target, ``"w"`` replaces it.
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
        no channel axis). Their pyramids follow the image's levels (see :mod:`xarray_omezarr.labels`).
    label_metadata
        ``colors`` and ``properties`` per label name; by default each label's ``attrs["image-label"]``.
    progress
        Show a progress bar while the data are written.
    filesystem_options
        Options for the fsspec filesystem of a URL ``store`` (credentials, ``endpoint_url``...).

    Examples
    --------
    >>> import numpy as np, xarray as xr, zarr
    >>> da = xr.DataArray(np.zeros((32, 32), "uint8"), dims=("y", "x"))
    >>> to_zarr(da, zarr.storage.MemoryStore(), scale_factors=(2,))
    []
    """
    image = image_variable(obj, name if isinstance(obj, xr.Dataset) else None)
    store, storage_options = resolve_target(store, storage_options, filesystem_options)
    if all(d in image.dims for d in PLATE_DIMS):
        if not compute:
            raise ValueError(
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
    description = describe_image(image, axis_types=axis_types)
    grid = None
    if labels:
        # settle the levels first, so that every label can be checked against them before anything is written
        spec = get_method(method)
        factors = pyramid_factors(
            scale_factors,
            description.axes,
            description.data.shape,
            spec.name,
            description.geometry,
            _level0_chunks(description, storage_options),
        )
        grid = ImageGrid(
            description.axes,
            tuple(description.data.shape),
            tuple(level_geometry(description.geometry, f, spec.name) for f in factors),
        )
        check_labels(labels, grid, label_metadata)
        space = [i for i, a in enumerate(description.axes) if a.type == "space"]
        scale_factors = [{description.dims[i]: f[i] for i in space} for f in factors[1:]]
    if set(label_metadata or {}) - set(labels or {}):
        raise ValueError(
            f"label_metadata names {sorted(set(label_metadata or {}) - set(labels or {}))}, which are not in labels"
        )
    written = write_image(
        image,
        store,
        scale_factors=scale_factors,
        method=method,
        fmt=version,
        storage_options=storage_options,
        compute=compute,
        mode=mode,
        progress=progress,
        axis_types=axis_types,
        name=name or description.name or DEFAULT_NAME,
        omero=omero_metadata(description),
    )
    if not labels or grid is None:
        return written
    group = zarr.open_group(store, mode="r+") if not isinstance(store, zarr.Group) else store
    for label_name, label in labels.items():
        extra = dict((label_metadata or {}).get(label_name, {}))
        written += write_label_on(
            label,
            group,
            grid,
            label_name,
            mode=mode,
            storage_options=storage_options,
            compute=compute,
            progress=progress,
            **extra,
        )
    return written


def _level0_chunks(description: Any, storage_options: Any) -> tuple[int, ...]:
    """Level 0's chunks as the writer will choose them (for ``scale_factors="auto"``)."""
    first = storage_options if not isinstance(storage_options, list | tuple) else storage_options[0]
    chunks = (first or {}).get("chunks")
    data = description.data
    if chunks is None:
        return default_chunks(data.shape, data.dtype, description.axes)
    return (chunks,) * data.ndim if isinstance(chunks, int) else tuple(chunks)


def to_zarr_label(label: xr.DataArray, store: Any, name: str, **kwargs: Any) -> list[Any]:
    """Add ``label`` to the existing image at ``store``; see :func:`xarray_omezarr.labels.to_zarr_label`."""
    return _to_zarr_label(label, store, name, **kwargs)


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
    description = describe_image(obj, axis_types=axis_types)
    data = description.data
    chunks = default_chunks(data.shape, data.dtype, description.axes)  # the writer's, for "auto"
    factors = pyramid_factors(
        scale_factors, description.axes, data.shape, spec.name, description.geometry, chunks
    )
    levels = build_pyramid(description.data, description.geometry, factors, spec.name)
    name = description.name or DEFAULT_NAME
    nodes: dict[str, xr.Dataset] = {}
    for index, level in enumerate(levels):
        coords: dict[str, Any] = {}
        for axis, size, geometry in zip(description.axes, level.data.shape, level.geometry, strict=True):
            if axis.type == "channel":
                if description.channel_labels is not None:
                    coords[axis.name] = list(description.channel_labels)
                continue
            coords[axis.name] = xr.Variable(
                axis.name, geometry.values(size), {"units": axis.unit} if axis.unit else {}
            )
        array = xr.DataArray(
            level.data, dims=description.dims, coords=coords, name=name, attrs=dict(obj.attrs)
        )
        nodes[str(index)] = array.to_dataset()
    return xr.DataTree.from_dict(nodes)
