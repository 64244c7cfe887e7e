"""Zarr's consolidated metadata: every node's metadata below a group in one document.

A plate of a thousand fields is thousands of groups and arrays; reading their metadata one by one
costs a round trip each (a request or two on object storage). Plates are written with zarr's
consolidated metadata at their root; readers read a hierarchy's metadata at once, from that document
or by one concurrent walk; and every write of ours below a consolidated group refreshes it, so that
readers trusting it never see an image as it was. A tool that changes a plate without consolidating
it again leaves the document stale for zarr's readers; ``zarr.consolidate_metadata(path)`` mends it.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import zarr

__all__ = [
    "consolidate",
    "consolidated_member",
    "consolidated_root",
    "for_writing",
    "keep_consolidated",
    "read_hierarchy",
    "with_hierarchy",
]


def read_hierarchy(group: zarr.Group) -> zarr.Group:
    """``group`` with the metadata of every node below it in memory, read in one concurrent walk.

    Opening a plate asks for thousands of groups and arrays by name; each lookup is a round trip
    through zarr's event loop and, on object storage, a request or two. Read at once (as zarr reads a
    store's consolidated metadata), they are looked up in memory: nothing is written to the store,
    so the metadata cannot go stale. A group that already holds consolidated metadata is returned
    as it is.

    Examples
    --------
    >>> root = zarr.open_group(zarr.storage.MemoryStore())
    >>> _ = root.create_array("well/0/0", shape=(4,), dtype="uint8")
    >>> sorted(read_hierarchy(root).metadata.consolidated_metadata.metadata)
    ['well']
    >>> read_hierarchy(root)["well/0/0"].shape
    (4,)
    """
    from zarr.core.sync import sync

    if group.metadata.consolidated_metadata is not None:
        return group
    node = group._async_group

    async def walk() -> dict[str, Any]:
        return {path: member.metadata async for path, member in node.members(max_depth=None)}

    with warnings.catch_warnings():
        # files that are no zarr node (an OME/METADATA.ome.xml beside the series) are left out quietly
        warnings.simplefilter("ignore", zarr.errors.ZarrUserWarning)
        flat = sync(walk())
    return with_hierarchy(group, flat)


def with_hierarchy(group: zarr.Group, flat: dict[str, Any]) -> zarr.Group:
    """``group`` holding ``flat`` (``{path below it: node metadata}``) as its consolidated metadata, in
    memory only. A node whose parent is not in ``flat`` is left out, as zarr's own walk leaves it out
    (lookups of it then go to the store).

    Examples
    --------
    >>> root = zarr.open_group(zarr.storage.MemoryStore())
    >>> a = root.create_array("a/0", shape=(2,), dtype="uint8")
    >>> held = with_hierarchy(root, {"a": root["a"].metadata, "a/0": a.metadata, "b/0": a.metadata})
    >>> sorted(held.metadata.consolidated_metadata.metadata)
    ['a']
    """
    from zarr.core.group import ConsolidatedMetadata

    # zarr nests the children of a group found next to each other in path order, so sort by path parts
    kept = {
        path: flat[path]
        for path in sorted(flat, key=lambda p: p.split("/"))
        if all("/".join(path.split("/")[:i]) in flat for i in range(1, path.count("/") + 1))
    }
    ConsolidatedMetadata._flat_to_nested(kept)  # in place: each group holds its own children
    node = group._async_group
    metadata = dataclasses.replace(node.metadata, consolidated_metadata=ConsolidatedMetadata(metadata=kept))
    return zarr.Group(dataclasses.replace(node, metadata=metadata))


def consolidate(where: zarr.storage.StorePath) -> None:
    """Write zarr's consolidated metadata of the group at ``where``: every node below it in one document
    (``.zmetadata`` in Zarr v2, ``consolidated_metadata`` in the group's ``zarr.json`` in Zarr v3)."""
    with warnings.catch_warnings():
        # zarr notes that Zarr v3 has no consolidated metadata in its spec yet; readers that do not
        # know it ignore the key (it says must_understand: false)
        warnings.simplefilter("ignore", zarr.errors.ZarrUserWarning)
        zarr.consolidate_metadata(where.store, path=where.path)


def _group_at(where: zarr.storage.StorePath) -> zarr.Group | None:
    try:
        return zarr.open_group(where, mode="r")
    except (FileNotFoundError, NotADirectoryError, KeyError, zarr.errors.GroupNotFoundError):
        return None


def _enclosing_store(store: Any) -> Any:
    """The store one directory up of a local or fsspec store (``None`` for others, or at the top)."""
    if isinstance(store, zarr.storage.LocalStore):
        parent = store.root.parent
        return None if parent == store.root else zarr.storage.LocalStore(parent)
    if isinstance(store, zarr.storage.FsspecStore):
        path = store.path.rstrip("/")
        return zarr.storage.FsspecStore(store.fs, path=path.rsplit("/", 1)[0]) if "/" in path else None
    return None


def consolidated_root(group: zarr.Group) -> zarr.storage.StorePath | None:
    """The topmost group at or above ``group`` that holds consolidated metadata, if any.

    Above means within ``group``'s store and, for a local or fsspec store opened at a group inside a
    larger hierarchy (a plate's field by its own path), in the enclosing directories that are zarr
    groups. A write that changes metadata below such a group must consolidate it again, or readers
    that trust the consolidated document see the image as it was.

    Examples
    --------
    >>> store = zarr.storage.MemoryStore()
    >>> field = zarr.open_group(store).require_group("A/1/0")
    >>> consolidated_root(field) is None
    True
    >>> consolidate(zarr.storage.StorePath(store))
    >>> consolidated_root(field).path
    ''
    """
    found = None
    outside = _enclosing_store(group.store)
    while outside is not None:
        above = _group_at(zarr.storage.StorePath(outside))
        if above is None:
            break
        if above.metadata.consolidated_metadata is not None:
            found = zarr.storage.StorePath(outside)
        outside = _enclosing_store(outside)
    if found is not None:
        return found
    parts = group.path.split("/") if group.path else []
    for depth in range(len(parts) + 1):
        where = zarr.storage.StorePath(group.store, "/".join(parts[:depth]))
        node = _group_at(where)
        if node is not None and node.metadata.consolidated_metadata is not None:
            return where
    return None


def for_writing(group: zarr.Group) -> zarr.Group:
    """``group`` as its store holds it now, without consolidated metadata, which a write outdates
    while it runs (a label just written would not be found in it)."""
    if group.metadata.consolidated_metadata is None:
        return group
    return zarr.open_group(group.store_path, mode="r+", use_consolidated=False)


def keep_consolidated(group: zarr.Group) -> None:
    """After a write into ``group``: consolidate again the group above it that holds consolidated
    metadata (see :func:`consolidated_root`), so that it lists what is now stored."""
    root = consolidated_root(group)
    if root is not None:
        consolidate(root)


def consolidated_member(group: zarr.Group, path: str) -> zarr.Group | zarr.Array | None:
    """The node at ``path`` below ``group`` from its consolidated metadata, without a round trip
    through zarr's event loop (``group[path]`` makes one even when nothing is read: a thousandth of
    a second each, seconds for a plate); ``None`` where ``group`` holds no consolidated metadata.
    A :class:`KeyError` if the metadata lists no such node.

    Examples
    --------
    >>> root = zarr.open_group(zarr.storage.MemoryStore())
    >>> _ = root.create_array("A/1/0", shape=(3,), dtype="uint8")
    >>> consolidated_member(root, "A/1/0") is None  # not consolidated
    True
    >>> consolidated_member(read_hierarchy(root), "A/1/0").shape
    (3,)
    """
    from zarr.core.array import AsyncArray
    from zarr.core.group import AsyncGroup, GroupMetadata

    metadata: Any = group.metadata
    if metadata.consolidated_metadata is None:
        return None
    for name in path.strip("/").split("/"):
        children = metadata.consolidated_metadata if isinstance(metadata, GroupMetadata) else None
        if children is None or name not in children.metadata:
            raise KeyError(path)
        metadata = children.metadata[name]
    where = group.store_path / path.strip("/")
    if isinstance(metadata, GroupMetadata):
        return zarr.Group(AsyncGroup(metadata=metadata, store_path=where))
    return zarr.Array(AsyncArray(metadata=metadata, store_path=where))
