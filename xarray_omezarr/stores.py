"""Where an image is written: local paths, zarr stores, fsspec URLs, obstore stores and ``.ozx`` files.

Everything the writers accept is turned into something ``zarr.open_group`` takes, once, at the public
entry points, so that the writer itself deals with zarr stores only. A zipped OME-Zarr (``.ozx``,
RFC-9) is written into a directory first (:func:`staged_ozx`) and zipped only once its data and
metadata are final; it is read through zarr's ``ZipStore``, or fsspec's ``zip::`` over a URL.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any, Literal, TypeAlias

import zarr
import zarr.abc.store

from .errors import InvalidImageError, NoImageError, TargetExistsError

ObjectStoreLike: TypeAlias = Any
"""An ``obstore`` store (``obstore.store.S3Store``...); obstore is optional, so it has no type here."""

StoreLike = (
    str | os.PathLike[str] | zarr.Group | zarr.abc.store.Store | zarr.storage.StorePath | ObjectStoreLike
)
"""Where an image is: a local path, a URL (``s3://...``), a zarr group, store or store path, or an obstore store."""

WriteMode = Literal["w-", "w", "a", "r+"]
"""xarray's and zarr's modes: ``"w-"`` refuses an existing target, ``"w"`` replaces it."""

__all__ = [
    "OZX_SUFFIX",
    "StoreLike",
    "WriteMode",
    "is_obstore",
    "is_ozx",
    "is_url",
    "open_readonly_group",
    "ozx_entry_order",
    "resolve_store",
    "resolve_target",
    "split_storage_options",
    "staged_ozx",
    "write_ozx",
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
    if is_ozx(store):
        raise InvalidImageError(
            f"{os.fspath(store)!r} is a zipped OME-Zarr (.ozx), which cannot be changed in place: write the "
            "whole image with to_zarr(..., mode='w'), or write a directory store and zip it"
        )
    if isinstance(store, zarr.storage.ZipStore) and is_ozx(store.path):
        raise InvalidImageError(
            f"write a zipped OME-Zarr by its path ({os.fspath(store.path)!r}), not through a ZipStore: zarr "
            "writes entries in any order, while RFC-9 puts the metadata first (nothing was written)"
        )
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
    if is_ozx(filename_or_obj):
        filename_or_obj = _ozx_readonly_store(filename_or_obj, storage_options)
        storage_options = None
    if is_obstore(filename_or_obj):
        filename_or_obj = zarr.storage.ObjectStore(filename_or_obj, read_only=True)
    try:
        return zarr.open_group(store=filename_or_obj, mode="r", storage_options=storage_options)
    except (FileNotFoundError, zarr.errors.GroupNotFoundError):
        raise NoImageError(f"no zarr group at {filename_or_obj!r}") from None


# --------------------------------------------------------------------------------------------
# Zipped OME-Zarr (.ozx, RFC-9)
# --------------------------------------------------------------------------------------------

OZX_SUFFIX = ".ozx"
"""The file extension RFC-9 gives zipped OME-Zarr."""

_OBJECT_STORE_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss"})
_OZX_READ_BLOCK = 256 * 1024
"""Read-ahead of an ``.ozx`` file on object storage: a range request reads what was asked plus this."""

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""Every entry's timestamp (the earliest a zip holds), so the same image gives the same bytes."""


def is_ozx(store: Any) -> bool:
    """Whether ``store`` is a path or URL of a zipped OME-Zarr (its name ends with ``.ozx``).

    Examples
    --------
    >>> is_ozx("cells.ozx"), is_ozx("s3://bucket/cells.OZX"), is_ozx("cells.ome.zarr")
    (True, True, False)
    """
    if not isinstance(store, str | os.PathLike):
        return False
    return os.fspath(store).rstrip("/").lower().endswith(OZX_SUFFIX)


def _ozx_readonly_store(target: str, storage_options: Mapping[str, Any] | None) -> zarr.abc.store.Store:
    """A read-only store over an ``.ozx`` file: zarr's ``ZipStore`` for a local file; for a URL,
    fsspec's ``zip`` filesystem over the URL's, which reads the central directory and each entry by
    range requests instead of downloading the file."""
    if not is_url(target):
        if not os.path.isfile(target):
            raise NoImageError(f"there is no zipped OME-Zarr file at {target!r}")
        if not zipfile.is_zipfile(target):
            raise NoImageError(f"{target!r} is not a zip file, so not a zipped OME-Zarr (.ozx)")
        return zarr.storage.ZipStore(target, mode="r", read_only=True)
    protocol = target.split("://", 1)[0]
    remote = dict(storage_options or {})
    if protocol in _OBJECT_STORE_PROTOCOLS:
        # small read-ahead blocks: each entry costs about one range request of its own size, where the
        # filesystems' default blocks (50 MiB for s3fs) would fetch most of a small file at the first read
        remote.setdefault("default_block_size", _OZX_READ_BLOCK)
    options = {protocol: remote} if remote else {}
    try:
        return zarr.storage.FsspecStore.from_url(f"zip::{target}", storage_options=options, read_only=True)
    except FileNotFoundError:
        raise NoImageError(f"there is no zipped OME-Zarr file at {target!r}") from None


def ozx_entry_order(names: list[str]) -> list[str]:
    """Zip entry names in RFC-9's order: the root ``zarr.json`` first, the other ``zarr.json`` files next
    (breadth-first: shallower first, then by path), then everything else by path.

    Examples
    --------
    >>> ozx_entry_order(["0/c/0/0", "labels/zarr.json", "0/zarr.json", "zarr.json"])
    ['zarr.json', '0/zarr.json', 'labels/zarr.json', '0/c/0/0']
    """
    metadata = sorted(
        (n for n in names if n == "zarr.json" or n.endswith("/zarr.json")),
        key=lambda n: (n != "zarr.json", n.count("/"), n),
    )
    return metadata + sorted(n for n in names if n not in set(metadata))


def write_ozx(directory: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Zip the Zarr v3 hierarchy in ``directory`` into the file ``target`` as RFC-9 recommends.

    Entries are stored without zip compression (chunks carry their own codecs), each with a ZIP64 local
    header, in :func:`ozx_entry_order`; the archive comment is
    ``{"ome": {"version": ..., "zipFile": {"centralDirectory": {"jsonFirst": true}}}}`` with the root
    group's OME-NGFF version. The zip is written under a temporary name beside ``target`` and renamed
    onto it once complete, so ``target`` is never a partial zip.
    """
    root = os.fspath(directory)
    with open(os.path.join(root, "zarr.json"), encoding="utf-8") as f:
        root_metadata = json.load(f)
    version = (root_metadata.get("attributes", {}).get("ome") or {}).get("version")
    if root_metadata.get("zarr_format") != 3 or not isinstance(version, str):
        raise InvalidImageError(
            "a zipped OME-Zarr (RFC-9) holds Zarr v3 (OME-NGFF 0.5 or later) with the root zarr.json at "
            "its root; the hierarchy to zip has none"
        )
    names = [
        os.path.relpath(os.path.join(here, name), root).replace(os.sep, "/")
        for here, _, files in os.walk(root)
        for name in files
    ]
    comment = {"ome": {"version": version, "zipFile": {"centralDirectory": {"jsonFirst": True}}}}
    target = os.fspath(target)
    handle, partial = tempfile.mkstemp(
        dir=os.path.dirname(os.path.abspath(target)), prefix=f".{os.path.basename(target)}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as file, zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
            for name in ozx_entry_order(names):
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_STORED
                info.external_attr = 0o644 << 16
                with (
                    open(os.path.join(root, name), "rb") as source,
                    archive.open(info, "w", force_zip64=True) as entry,
                ):
                    shutil.copyfileobj(source, entry, 1 << 20)
            archive.comment = json.dumps(comment, separators=(",", ":")).encode("utf-8")
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
        raise


def _ozx_filesystem(target: str, filesystem_options: Mapping[str, Any] | None) -> tuple[Any, str]:
    try:
        from fsspec.core import url_to_fs
    except ImportError as error:
        raise ImportError(
            f"writing to {target!r} needs fsspec and the filesystem for its protocol (for s3://, "
            "pip install 'xarray-omezarr[remote]')"
        ) from error
    return url_to_fs(target, **dict(filesystem_options or {}))


@contextlib.contextmanager
def staged_ozx(
    target: Any, mode: WriteMode | None, filesystem_options: Mapping[str, Any] | None = None
) -> Iterator[str]:
    """A directory to write an image into that becomes the ``.ozx`` file ``target`` once the block exits.

    Everything about ``target`` is checked first: it must be a local path or an fsspec URL, and an
    existing file is replaced only with ``mode="w"``. The directory is beside a local target (the system's
    temporary directory for a URL); when the block exits normally it is zipped (:func:`write_ozx`) onto
    the target, or built locally and uploaded as one file for a URL, and then removed. When the block
    raises, the directory is removed and the target left as it was.
    """
    if not isinstance(target, str | os.PathLike) or not is_ozx(target):
        raise InvalidImageError(
            f"a zipped OME-Zarr (.ozx) is written to a local path or a URL ending in .ozx, not {target!r}; "
            "zarr stores (a ZipStore too) cannot hold its entry order, so pass the file's path"
        )
    if mode not in (None, "w-", "w"):
        raise InvalidImageError(
            f"a zipped OME-Zarr is written whole: mode must be 'w-' or 'w', not {mode!r} (appending or "
            "writing a region needs a directory store)"
        )
    target = os.fspath(target)
    if is_url(target):
        fs, path = _ozx_filesystem(target, filesystem_options)
        exists = fs.exists(path)
        parent = None
    else:
        if filesystem_options:
            raise InvalidImageError(f"filesystem options apply to URLs, not to the local path {target!r}")
        exists = os.path.lexists(target)
        parent = os.path.dirname(os.path.abspath(target))
        if not os.path.isdir(parent):
            raise NoImageError(f"the folder {parent!r} for {target!r} does not exist")
        if os.path.isdir(target):
            raise InvalidImageError(f"{target!r} is a directory, not a zipped OME-Zarr file; remove it first")
    if exists and mode != "w":
        raise TargetExistsError(
            f"{target!r} already exists; pass mode='w' to replace it (nothing was written)"
        )
    staging = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(target)}.")
    try:
        image = os.path.join(staging, "image")
        yield image
        if parent is not None:
            write_ozx(image, target)
        else:
            built = os.path.join(staging, os.path.basename(target))
            write_ozx(image, built)
            fs.put_file(built, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
