"""Where an image is written: local paths, zarr stores, fsspec URLs and obstore stores.

Everything the writers accept is turned into something ``zarr.open_group`` takes, once, at the public
entry points, so that the writer itself deals with zarr stores only.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from functools import cache
from typing import Any, Literal, TypeAlias

import zarr
import zarr.abc.store

from .errors import InvalidImageError, NoImageError

ObjectStoreLike: TypeAlias = Any
"""An ``obstore`` store (``obstore.store.S3Store``...); obstore is optional, so it has no type here."""

StoreLike = (
    str | os.PathLike[str] | zarr.Group | zarr.abc.store.Store | zarr.storage.StorePath | ObjectStoreLike
)
"""Where an image is: a local path, a URL (``s3://...``), a zarr group, store or store path, or an obstore store."""

WriteMode = Literal["w-", "w", "a", "r+"]
"""xarray's and zarr's modes: ``"w-"`` refuses an existing target, ``"w"`` replaces it."""

__all__ = [
    "StoreLike",
    "WriteMode",
    "is_obstore",
    "is_url",
    "open_readonly_group",
    "resolve_store",
    "resolve_target",
    "split_storage_options",
]


def is_url(store: Any) -> bool:
    """Whether ``store`` is a URL such as ``s3://bucket/image.ome.zarr`` (``file://`` included).

    Examples
    --------
    >>> is_url("s3://bucket/image.ome.zarr"), is_url("image.ome.zarr")
    (True, False)
    """
    return isinstance(store, str) and "://" in store


def is_obstore(store: Any) -> bool:
    """Whether ``store`` is an ``obstore`` store (``obstore.store.S3Store``...), which zarr wraps."""
    return type(store).__module__.split(".")[0] == "obstore"


def resolve_store(store: Any, filesystem_options: Mapping[str, Any] | None = None) -> Any:
    """A path, zarr store or group as it is; a URL as a writable fsspec store; an obstore store wrapped.

    Parameters
    ----------
    store
        A local path, a URL (any protocol fsspec knows, e.g. ``s3://``, ``gs://``, ``memory://``), a zarr
        store or group, or an ``obstore`` store (``obstore.store.S3Store``...).
    filesystem_options
        Options for the fsspec filesystem of a URL (``key``, ``secret``, ``endpoint_url``,
        ``client_kwargs``, ``anon``...).

    Examples
    --------
    >>> type(resolve_store("memory://example.ome.zarr")).__name__
    'FsspecStore'
    >>> resolve_store("image.ome.zarr")
    'image.ome.zarr'
    """
    if is_url(store):
        try:
            return zarr.storage.FsspecStore.from_url(
                store, storage_options=dict(filesystem_options or {}), read_only=False
            )
        except ImportError as error:
            raise ImportError(
                f"writing to {store!r} needs fsspec and the filesystem for its protocol (for s3://, "
                "pip install 'xarray-omezarr[remote]')"
            ) from error
    if filesystem_options:
        raise InvalidImageError(
            "filesystem options apply to URLs such as 's3://bucket/image.ome.zarr'; for "
            f"{type(store).__name__} targets, configure the store itself"
        )
    if is_obstore(store):
        return zarr.storage.ObjectStore(store)
    if isinstance(store, os.PathLike):
        return os.fspath(store)
    return store


@cache
def _array_option_names() -> frozenset[str]:
    return frozenset(inspect.signature(zarr.create_array).parameters)


def split_storage_options(store: Any, storage_options: Any) -> tuple[Any, dict[str, Any]]:
    """Split one ``storage_options`` dict into array options and, for URLs, filesystem options.

    ``storage_options`` means the arrays' options (``chunks``, ``shards``, ``compressors``...), as in the
    seed writer API. Users of fsspec (and of xarray's ``to_zarr``) also pass the filesystem's options under
    that name; for a URL target, keys that ``zarr.create_array`` does not take are those.

    Examples
    --------
    >>> split_storage_options("s3://b/i.ome.zarr", {"chunks": (64, 64), "anon": True})
    ({'chunks': (64, 64)}, {'anon': True})
    >>> split_storage_options("image.ome.zarr", {"chunks": (64, 64)})
    ({'chunks': (64, 64)}, {})
    """
    if not is_url(store) or not isinstance(storage_options, Mapping):
        return storage_options, {}
    known = _array_option_names()
    arrays = {k: v for k, v in storage_options.items() if k in known}
    filesystem = {k: v for k, v in storage_options.items() if k not in known}
    return arrays, filesystem


def resolve_target(
    store: Any, storage_options: Any, filesystem_options: Mapping[str, Any] | None
) -> tuple[Any, Any]:
    """The store to write to and the arrays' options, from what a user passed to a writer.

    Filesystem keys inside ``storage_options`` (see :func:`split_storage_options`) join
    ``filesystem_options`` for the URL's filesystem.

    Examples
    --------
    >>> store, options = resolve_target("memory://t.ome.zarr", {"chunks": (8, 8), "auto_mkdir": True}, None)
    >>> type(store).__name__, options
    ('FsspecStore', {'chunks': (8, 8)})
    """
    storage_options, url_options = split_storage_options(store, storage_options)
    return resolve_store(store, {**url_options, **(filesystem_options or {})}), storage_options


def open_readonly_group(filename_or_obj: Any, storage_options: dict[str, Any] | None = None) -> zarr.Group:
    """Open the zarr group at a path, URL, zarr store, obstore store or group, read-only."""
    if isinstance(filename_or_obj, zarr.Group):
        return filename_or_obj
    if isinstance(filename_or_obj, os.PathLike):
        filename_or_obj = os.fspath(filename_or_obj)
    if is_obstore(filename_or_obj):
        filename_or_obj = zarr.storage.ObjectStore(filename_or_obj, read_only=True)
    try:
        return zarr.open_group(store=filename_or_obj, mode="r", storage_options=storage_options)
    except (FileNotFoundError, zarr.errors.GroupNotFoundError):
        raise NoImageError(f"no zarr group at {filename_or_obj!r}") from None
