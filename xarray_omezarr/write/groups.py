"""Opening and creating the groups a write goes into, and the format each one holds.

These touch the store (they open groups and look for existing content), so they belong to the
engine's layer; the seed facade re-exports :func:`check_format` and :func:`check_group_fmt`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, TypeAlias

import zarr

from ..consolidated import for_writing
from ..errors import InvalidImageError, NoImageError, TargetExistsError
from ..ngff import Format, as_format, format_from_version, format_of_existing, ome_attributes, version_of
from ..ngff.labels import check_label_name, image_label_metadata
from ..stores import StoreLike, WriteMode, resolve_store

__all__ = [
    "GroupLike",
    "check_format",
    "check_group_fmt",
    "describe_store",
    "open_existing_group",
    "open_label_target",
    "probable_format",
    "store_has_content",
]

GroupLike: TypeAlias = StoreLike
"""A zarr group, or anything a group can be opened from: a path, URL or store."""


def check_format(group: zarr.Group, fmt: Format | str | None = None) -> Format:
    """Check that ``fmt`` can be written into ``group``, or infer the format from the group.

    A Zarr v2 group holds OME-NGFF 0.4, a Zarr v3 group 0.5 or 0.6. Without ``fmt``, the version of OME metadata
    already in the group wins, then the group's Zarr format.

    Examples
    --------
    >>> import zarr
    >>> check_format(zarr.open_group(zarr.storage.MemoryStore(), zarr_format=2)).version
    '0.4'
    """
    zarr_format = group.metadata.zarr_format
    if fmt is None:
        existing = format_of_existing(version_of(ome_attributes(dict(group.attrs))))
        fmt = existing or format_from_version("0.5" if zarr_format == 3 else "0.4")
    fmt = as_format(fmt)
    if fmt.zarr_format != zarr_format:
        raise InvalidImageError(
            f"{fmt} needs a Zarr v{fmt.zarr_format} group, but the group is Zarr v{zarr_format}; open it with "
            f"zarr_format={fmt.zarr_format} or choose fmt={'0.5' if zarr_format == 3 else '0.4'!r}"
        )
    return fmt


def store_has_content(store: Any) -> bool:
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
    group: GroupLike, fmt: Format | str | None = None, mode: WriteMode = "a"
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
        return for_writing(group), check_format(group, fmt)
    if mode not in ("a", "w", "w-", "r+"):
        raise InvalidImageError(
            f"mode must be 'w-' (refuse existing data), 'w' (replace it) or 'a'; got {mode!r}"
        )
    group = resolve_store(group)
    requested = fmt
    fmt = as_format(fmt)
    if mode == "w-" and store_has_content(group):
        raise TargetExistsError(
            f"{describe_store(group)} already holds data; pass mode='w' to replace it (nothing was written)"
        )
    if mode in ("a", "r+"):
        try:
            opened = zarr.open_group(store=group, mode="r+", use_consolidated=False)
        except (FileNotFoundError, zarr.errors.GroupNotFoundError):
            opened = zarr.open_group(
                store=group, mode="a", zarr_format=fmt.zarr_format, use_consolidated=False
            )
        return opened, check_format(opened, requested)
    opened = zarr.open_group(store=group, mode="w", zarr_format=fmt.zarr_format)
    return opened, fmt


def describe_store(store: Any) -> str:
    if isinstance(store, str | os.PathLike):
        return repr(os.fspath(store))
    if isinstance(store, zarr.storage.FsspecStore):  # as the URL the user gave
        protocol = store.fs.protocol if isinstance(store.fs.protocol, str) else store.fs.protocol[0]
        return repr(f"{protocol}://{store.path}")
    return f"the store {store!r}"


def open_existing_group(group: GroupLike) -> zarr.Group:
    """Open an existing group read-write, or say clearly that there is none."""
    if isinstance(group, zarr.Group):
        return for_writing(group)
    group = resolve_store(group)
    try:
        return zarr.open_group(store=group, mode="r+", use_consolidated=False)
    except (FileNotFoundError, zarr.errors.GroupNotFoundError):
        raise NoImageError(
            f"there is no OME-Zarr image at {describe_store(group)}; write the image before its labels"
        ) from None


def probable_format(group: GroupLike, fmt: Format | str | None) -> Format:
    """The format a write will use, found without creating anything."""
    return check_format(group, fmt) if isinstance(group, zarr.Group) else as_format(fmt)


def open_label_target(
    group: GroupLike, name: str, fmt: Format | str | None, label_metadata: Mapping[str, Any] | None
) -> tuple[zarr.Group, Format, dict[str, Any]]:
    """The existing image group a label goes into, its format and the checked ``image-label`` block."""
    check_label_name(name)
    extra = dict(label_metadata or {})
    block = image_label_metadata(extra.pop("colors", None), extra.pop("properties", None), **extra)
    image_group = open_existing_group(group)
    return image_group, check_format(image_group, fmt), block
