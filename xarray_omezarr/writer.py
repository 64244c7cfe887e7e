"""ome-zarr-py's ``ome_zarr.writer`` functions: same names, parameters and defaults, on our engine.

Code written for that API switches by changing an import. DataArrays are accepted too: their dims,
coordinates, units and channel names are written as :func:`xarray_omezarr.to_zarr` writes them. Each
function describes its input, plans the write (:mod:`.write.plan`, where every check happens) and
hands the plan to the engine (:mod:`.write.engine`): data first, OME metadata last.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .describe import describe_image
from .errors import InvalidImageError
from .geometry.axes import AxesLike, parse_axes
from .model import Multiscale
from .ngff import Format, FormatV04, FormatV05, FormatV06
from .ngff.labels import image_label_metadata
from .ngff.plate import plate_metadata, well_metadata
from .scale import Methods, check_label_method
from .scale.levels import DEFAULT_SCALE_FACTORS, ScaleFactors
from .stores import WriteMode
from .write import engine
from .write.groups import GroupLike, check_format, check_group_fmt, open_label_target, probable_format
from .write.labels import check_label_dtype
from .write.options import StorageOptions, warn_scaler
from .write.plan import described_levels, plan_image, plan_levels
from .write.resume import resume_image

__all__ = [
    "FormatV04",
    "FormatV05",
    "FormatV06",
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


def write_multiscales_metadata(
    group: GroupLike,
    datasets: list[dict[str, Any]],
    fmt: Format | str | None = None,
    axes: AxesLike | None = None,
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
        Format object (``FormatV04``, ``FormatV05``, ``FormatV06``) or version string; 0.5 by default.
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
    if axes is None:
        raise InvalidImageError("axes are required for OME-NGFF 0.4 and later")
    parsed = parse_axes(axes, len(list(axes)))
    omero = metadata.pop("omero", None)
    image = Multiscale(tuple(parsed), (), name=name, omero=omero, extra=metadata)
    engine.write_multiscale_metadata(group, image, fmt, datasets)


def write_multiscale(
    pyramid: Sequence[Any],
    group: GroupLike,
    fmt: Format | str | None = None,
    axes: AxesLike | None = None,
    coordinate_transformations: list[list[dict[str, Any]]] | None = None,
    storage_options: StorageOptions = None,
    name: str | None = None,
    compute: bool | None = True,
    *,
    mode: WriteMode = "w-",
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
        Format object or version string (``"0.4"``, ``"0.5"``, ``"0.6"``); 0.5 by default.
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
        ``True`` writes now and returns ``[]``; ``False`` returns ``[delayed]``, which writes data, then metadata.
    mode, progress
        ``"w-"`` (default) refuses to overwrite existing data, ``"w"`` replaces it; ``progress`` shows a
        progress bar while the data are written (dask's, or distributed's on a cluster).
    **metadata
        ``omero`` for the channel block (windows are filled in from the data when missing), anything else
        (``type``, ``metadata``) goes into the multiscale.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> g = zarr.open_group(zarr.storage.MemoryStore())
    >>> write_multiscale([np.zeros((8, 8), "uint8"), np.zeros((4, 4), "uint8")], g, axes="yx")
    []
    >>> g["1"].shape
    (4, 4)
    """
    arrays, parsed, geometry, level_name = described_levels(pyramid, axes)
    omero = metadata.pop("omero", None)
    plan = plan_levels(
        arrays,
        parsed,
        probable_format(group, fmt),
        storage_options=storage_options,
        geometry=geometry,
        coordinate_transformations=coordinate_transformations,
        name=name if name is not None else level_name,
        omero=omero,
        extra=metadata,
    )
    return engine.write_image(plan, group, mode=mode, compute=compute, progress=progress)


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
    mode: WriteMode = "w-",
    progress: bool = False,
    axis_types: Mapping[str, str | None] | None = None,
    resume: bool = False,
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
    mode, progress
        ``"w-"`` (default) refuses existing data, ``"w"`` replaces it; ``progress`` shows a progress bar.
    axis_types
        Axis types for dims whose names do not imply one, e.g. ``{"row": "space"}``.
    resume
        Finish this call after it was interrupted (see :func:`xarray_omezarr.to_zarr`).
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
    warn_scaler(scaler)
    described = describe_image(image, axes=axes, axis_types=axis_types)
    name = metadata.pop("name", None) or described.image.name
    omero = metadata.pop("omero", None)
    plan = plan_image(
        described.changed(name=name),
        probable_format(group, fmt),
        scale_factors=scale_factors,
        method=method,
        storage_options=storage_options,
        coordinate_transformations=coordinate_transformations,
        omero=omero,
        extra=metadata,
    )
    if resume:
        return resume_image(plan, group, compute=compute, progress_bar=progress)
    return engine.write_image(plan, group, mode=mode, compute=compute, progress=progress)


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
    engine.write_image_label(labels_group, name, image_label_metadata(colors, properties, **metadata), fmt)


def write_multiscale_labels(
    pyramid: Sequence[Any],
    group: GroupLike,
    name: str,
    fmt: Format | str | None = None,
    axes: AxesLike | None = None,
    coordinate_transformations: list[list[dict[str, Any]]] | None = None,
    storage_options: StorageOptions = None,
    label_metadata: dict[str, Any] | None = None,
    compute: bool | None = True,
    *,
    mode: WriteMode = "w-",
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
    mode, progress
        ``"w-"`` (default) refuses a label of the same name, ``"w"`` replaces it; ``progress`` shows a bar.
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
    for index, level in enumerate(pyramid):
        check_label_dtype(level, name=f"{name}, level {index}")
    image_group, fmt, block = open_label_target(group, name, fmt, label_metadata)
    arrays, parsed, geometry, _ = described_levels(pyramid, axes)
    plan = plan_levels(
        arrays,
        parsed,
        fmt,
        storage_options=storage_options,
        geometry=geometry,
        coordinate_transformations=coordinate_transformations,
        name=name,
        extra=metadata,
    )
    return engine.write_label(plan, image_group, name, block, mode=mode, compute=compute, progress=progress)


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
    mode: WriteMode = "w-",
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
    warn_scaler(scaler)
    spec = check_label_method(method)
    labels = check_label_dtype(labels, cast=cast, name=name)
    image_group, fmt, block = open_label_target(group, name, fmt, label_metadata)
    described = describe_image(labels, axes=axes, axis_types=axis_types)
    plan = plan_image(
        described.changed(name=name, omero=None),
        fmt,
        scale_factors=scale_factors,
        method=spec.name,
        storage_options=storage_options,
        coordinate_transformations=coordinate_transformations,
        extra=metadata,
    )
    return engine.write_label(plan, image_group, name, block, mode=mode, compute=compute, progress=progress)


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

    block(probable_format(group, fmt).version)  # checked before the group is opened or created
    group, fmt = check_group_fmt(group, fmt)
    engine.write_document(group, "plate", block(fmt.version), fmt)


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
    engine.write_document(group, "well", block, fmt)
