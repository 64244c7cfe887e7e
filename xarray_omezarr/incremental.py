"""Writes into an image that exists: appending along a time, channel or custom axis (``mode="a"``).

The existing image is read into the model (:mod:`.read`), the new part is planned on its pyramid
(:mod:`.write.append`), and the engine writes the part beyond the stored extent before it makes the
new extent visible and rewrites the OME metadata. The result is the store one call writing the final
image gives. Region writes (``mode="r+"``) and resuming are not here yet.
"""

from __future__ import annotations

from typing import Any

import xarray as xr
import zarr

from .describe import describe_image
from .errors import InvalidImageError, NoImageError
from .read import group_ome, read_multiscale
from .stores import StoreLike, WriteMode
from .write import engine
from .write.append import plan_append
from .write.groups import check_format, describe_store

__all__ = ["append_to_zarr", "open_image_to_extend"]


def open_image_to_extend(store: StoreLike) -> zarr.Group | None:
    """The image group at ``store`` opened for writing, ``None`` where nothing is there yet.

    A group that holds no OME-Zarr image (or a plate) is refused: there is nothing to extend.
    """
    if isinstance(store, zarr.Group):
        group = store
    else:
        try:
            group = zarr.open_group(store=store, mode="r+")
        except (FileNotFoundError, zarr.errors.GroupNotFoundError):
            return None
    if "multiscales" not in group_ome(group):
        raise InvalidImageError(
            f"{describe_store(store)} holds no OME-Zarr image to extend with mode='a'; pass mode='w' to "
            "replace it (plates are written whole)"
        )
    return group


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
) -> list[Any]:
    """Append ``image`` to the image in ``group`` along ``append_dim``; see :func:`xarray_omezarr.to_zarr`.

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
    if labels:
        raise InvalidImageError(
            "appending label images is not supported yet; append the image, then write its labels with "
            "to_zarr_label(..., mode='w')"
        )
    existing = read_multiscale(group)
    paths = [level.path for level in existing.levels]
    plan = plan_append(
        describe_image(image, axis_types=axis_types),
        existing,
        _stored_options(group, paths),
        append_dim,
        check_format(group),
    )
    return engine.append_image(plan, group, compute=compute, progress=progress)


def refuse_mode(mode: WriteMode, store: StoreLike) -> None:
    """The modes that would extend an image but got no way to say how."""
    if mode == "r+":
        raise InvalidImageError(
            "mode='r+' writes a region into an existing image, which is not supported yet; use mode='a' with "
            "append_dim=... to append, or mode='w' to replace the image"
        )
    if mode == "a":
        raise InvalidImageError(
            f"{describe_store(store)} already holds an image; mode='a' appends to it along append_dim=... "
            "(a time, channel or custom axis), or pass mode='w' to replace it"
        )
    raise NoImageError(f"no image at {describe_store(store)}")  # pragma: no cover - callers check first
