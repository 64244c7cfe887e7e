"""Writing a zipped OME-Zarr (``.ozx``, RFC-9): the whole write into a directory, then one zip.

The public writers hand their own arguments here when the target ends in ``.ozx``; the write runs
unchanged into a staging directory (:func:`xarray_omezarr.stores.staged_ozx`), and only once its data
and metadata are final is the zip assembled and renamed (or uploaded) onto the target. A write that
fails or is killed leaves no ``.ozx`` behind, and an existing one untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import InvalidImageError
from ..ngff import as_format
from ..stores import split_storage_options, staged_ozx

__all__ = ["sharded", "write_zipped"]


def sharded(storage_options: Any) -> Any:
    """``storage_options`` with ``shards="auto"`` unless they say otherwise: RFC-9 recommends sharding,
    so that the zip's central directory lists a few shards rather than every chunk.

    Examples
    --------
    >>> sharded(None), sharded({"chunks": (64, 64)}), sharded({"shards": None})
    ({'shards': 'auto'}, {'chunks': (64, 64), 'shards': 'auto'}, {'shards': None})
    """
    if storage_options is None:
        return {"shards": "auto"}
    if isinstance(storage_options, Mapping) and "shards" not in storage_options:
        return {**storage_options, "shards": "auto"}
    return storage_options  # per-level options, or shards chosen by the caller


def write_zipped(write: Callable[..., list[Any]], arguments: Mapping[str, Any]) -> list[Any]:
    """Call ``write(**arguments)`` with a staging directory as its ``store``, then zip that directory into
    the ``.ozx`` file ``arguments["store"]``.

    RFC-9 zips a Zarr v3 hierarchy, so OME-NGFF 0.5; the zip is assembled once, from the final image,
    so appends, region writes and ``compute=False`` are refused before anything is written. For a URL
    target, filesystem keys in ``storage_options`` join ``filesystem_options``, as for directories.
    Arrays are sharded by default (:func:`sharded`).

    Examples
    --------
    >>> import numpy as np, os, tempfile, xarray as xr, xarray_omezarr
    >>> path = os.path.join(tempfile.mkdtemp(), "image.ozx")
    >>> da = xr.DataArray(np.zeros((16, 16), "uint8"), dims=("y", "x"))
    >>> xarray_omezarr.to_zarr(da, path, scale_factors=(2,))
    []
    >>> xr.open_dataset(path, engine="omezarr")["image"].shape
    (16, 16)
    """
    target = arguments["store"]
    version = arguments.get("version")
    if as_format(version or "0.5").zarr_format != 3:
        raise InvalidImageError(
            f"a zipped OME-Zarr (.ozx, RFC-9) holds Zarr v3, so OME-NGFF 0.5; got version={version!r}. "
            "Write 0.5, or write 0.4 to a directory store"
        )
    for key in ("append_dim", "region"):
        if arguments.get(key) is not None:
            raise InvalidImageError(f"{key}= needs a directory store: a .ozx file is written whole")
    if not arguments.get("compute", True):
        raise InvalidImageError(
            "compute=False is not supported for a .ozx target: the zip is assembled after the data"
        )
    inner = dict(arguments)
    filesystem_options = dict(arguments.get("filesystem_options") or {})
    if "storage_options" in arguments:
        options, url_options = split_storage_options(target, arguments["storage_options"])
        inner["storage_options"] = sharded(options)
        filesystem_options = {**url_options, **filesystem_options}
    with staged_ozx(target, arguments.get("mode"), filesystem_options) as staged:
        write(**{**inner, "store": staged, "mode": "w-", "filesystem_options": None})
    return []
