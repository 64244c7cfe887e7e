"""The package's settings, and the codec pipeline zarr uses for the arrays we read and write.

One setting so far, ``codec_pipeline``:

- ``"auto"`` (the default): the Rust pipeline of the ``zarrs`` package when it is installed, zarr's own
  otherwise;
- ``"zarrs"``: the Rust pipeline (an ImportError when ``zarrs`` is missing);
- ``"zarr"``: zarr's own pipeline, always.

The environment variable ``XARRAY_OMEZARR_CODEC_PIPELINE`` sets the default (for the command line).
A ``codec_pipeline.path`` that the user set in zarr's own config always wins: we only ever replace
zarr's default.

Why stores stay the same: both pipelines encode a chunk to the same bytes, but they lay out the inner
chunks of a shard in different orders (zarr in Morton order, zarrs in C order). So a sharded array is
*written* through zarr's pipeline and only read through zarrs', and a store written with ``zarrs``
is byte-identical to one written without.

Why the cores are not oversubscribed: the Rust pipeline encodes on one process-wide pool of as many
threads as there are cores, and the dask thread that called it waits meanwhile, so encoding never
runs on more threads than there are cores, however many dask threads ask at once.
"""

from __future__ import annotations

import os
import pathlib
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, Literal, TypeAlias

import zarr

__all__ = ["CodecPipeline", "codec_pipeline_for", "get_options", "pipelined", "set_options", "uses_zarrs"]

CodecPipeline: TypeAlias = Literal["auto", "zarrs", "zarr"]

_ZARRS = "zarrs.ZarrsCodecPipeline"
_ZARR_DEFAULT = "zarr.core.codec_pipeline.BatchedCodecPipeline"
_CHOICES = ("auto", "zarrs", "zarr")


def _from_environment() -> CodecPipeline:
    value = os.environ.get("XARRAY_OMEZARR_CODEC_PIPELINE", "auto")
    if value not in _CHOICES:
        raise ValueError(f"XARRAY_OMEZARR_CODEC_PIPELINE must be one of {_CHOICES}, not {value!r}")
    return value  # type: ignore[return-value]


_OPTIONS: dict[str, Any] = {"codec_pipeline": _from_environment()}


@cache
def zarrs_installed() -> bool:
    """Whether the ``zarrs`` package (the Rust codec pipeline) can be imported."""
    try:
        import zarrs  # noqa: F401
    except ImportError:
        return False
    return True


class set_options:  # named like xarray.set_options, and used the same way
    """Change the package's settings, for good or (as a context manager) for a block.

    Parameters
    ----------
    codec_pipeline : {"auto", "zarrs", "zarr"}
        Which codec pipeline reads and writes our arrays (see the module's documentation).

    Examples
    --------
    >>> import xarray_omezarr
    >>> with xarray_omezarr.set_options(codec_pipeline="zarr"):
    ...     xarray_omezarr.get_options()["codec_pipeline"]
    'zarr'
    """

    def __init__(self, *, codec_pipeline: CodecPipeline | None = None) -> None:
        changes: dict[str, Any] = {}
        if codec_pipeline is not None:
            if codec_pipeline not in _CHOICES:
                raise ValueError(f"codec_pipeline must be one of {_CHOICES}, not {codec_pipeline!r}")
            if codec_pipeline == "zarrs" and not zarrs_installed():
                raise ImportError("codec_pipeline='zarrs' needs the zarrs package: pip install zarrs")
            changes["codec_pipeline"] = codec_pipeline
        self._previous = {key: _OPTIONS[key] for key in changes}
        _OPTIONS.update(changes)

    def __enter__(self) -> set_options:
        return self

    def __exit__(self, *_: object) -> None:
        _OPTIONS.update(self._previous)


def get_options() -> dict[str, Any]:
    """The package's settings now (a copy)."""
    return dict(_OPTIONS)


def codec_pipeline_for(*, sharded: bool, writing: bool) -> str | None:
    """The codec pipeline an array should get, as zarr's ``codec_pipeline.path``; ``None`` for zarr's choice.

    ``None`` when the setting is ``"zarr"``, when ``zarrs`` is missing under ``"auto"``, when the user
    chose a pipeline in zarr's config, and when a sharded array is written (see the module's notes).
    """
    choice = _OPTIONS["codec_pipeline"]
    if choice == "zarr" or (choice == "auto" and not zarrs_installed()) or (sharded and writing):
        return None
    if zarr.config.get("codec_pipeline.path") != _ZARR_DEFAULT:
        return None  # the user's own choice in zarr's config
    return _ZARRS


@contextmanager
def _zarr_pipeline(path: str) -> Iterator[None]:
    with zarr.config.set({"codec_pipeline.path": path}):
        yield


def _same_bytes(array: zarr.Array) -> bool:
    """Whether zarrs' pipeline stores a chunk of ``array`` as zarr's own pipeline does.

    Both follow the codecs' specifications, but a codec's level or defaults may be read differently
    (zstd's level 0, say), so an array is written through zarrs only if a probe chunk with its
    metadata comes out byte for byte the same. Checked once per distinct metadata.
    """
    import json

    probe = array.metadata.update_shape(array.chunks)  # one chunk: the array's codecs, dtype, fill
    return _probe(json.dumps(probe.to_dict(), sort_keys=True, default=str), probe, array._async_array.config)


_PROBED: dict[str, bool] = {}


def _probe(key: str, metadata: Any, config: Any) -> bool:
    if key in _PROBED:
        return _PROBED[key]
    import tempfile

    import numpy as np
    from zarr.core.array import AsyncArray
    from zarr.storage import LocalStore, StorePath

    values = (
        np.random.default_rng(0).integers(0, 4096, metadata.shape).astype(metadata.dtype.to_native_dtype())
    )
    stored = []
    with tempfile.TemporaryDirectory() as folder:
        for name in (_ZARR_DEFAULT, _ZARRS):
            root = os.path.join(folder, name.split(".")[0])
            location = StorePath(LocalStore(root))
            with _zarr_pipeline(name), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # zarrs' warning of codecs it leaves to zarr
                zarr.Array(AsyncArray(metadata, location, config=config))[...] = values
            stored.append(
                {
                    os.path.relpath(os.path.join(d, f), root): pathlib.Path(d, f).read_bytes()
                    for d, _, files in os.walk(root)
                    for f in files
                }
            )
    _PROBED[key] = stored[0] == stored[1]
    return _PROBED[key]


def pipelined(array: zarr.Array, *, writing: bool, write_empty_chunks: bool | None = None) -> zarr.Array:
    """``array`` (same store, same metadata) reading and writing through the chosen codec pipeline.

    ``write_empty_chunks`` changes that setting of the array's config too (``None`` keeps it), in the
    same new array object.

    Examples
    --------
    >>> a = zarr.create_array(zarr.storage.MemoryStore(), shape=(4,), chunks=(2,), dtype="u1")
    >>> pipelined(a, writing=True).shape
    (4,)
    >>> pipelined(a, writing=True, write_empty_chunks=True).config.write_empty_chunks
    True
    """
    import dataclasses

    config = array._async_array.config
    if write_empty_chunks is not None:
        config = dataclasses.replace(config, write_empty_chunks=write_empty_chunks)
    as_asked = array if config is array._async_array.config else zarr.Array(_same_array(array, config))
    path = codec_pipeline_for(sharded=array.shards is not None, writing=writing)
    if path is None or (writing and not _same_bytes(array)):
        return as_asked
    # zarr picks an array's pipeline when the array object is made; zarrs warns of (and leaves to
    # zarr's pipeline) codecs it lacks, and then the array is better kept as it is, silently
    with _zarr_pipeline(path), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = zarr.Array(_same_array(array, config))
    unsupported = any("unsupported by ZarrsCodecPipeline" in str(w.message) for w in caught)
    return as_asked if unsupported else again


def uses_zarrs(array: zarr.Array) -> bool:
    """Whether ``array`` reads and writes through zarrs' pipeline (see :func:`pipelined`).

    Examples
    --------
    >>> a = zarr.create_array(zarr.storage.MemoryStore(), shape=(4,), chunks=(2,), dtype="u1")
    >>> with set_options(codec_pipeline="zarr"):
    ...     uses_zarrs(pipelined(a, writing=True))
    False
    """
    return type(array._async_array.codec_pipeline).__name__ == _ZARRS.rsplit(".", 1)[1]


def _same_array(array: zarr.Array, config: Any) -> Any:
    """A new asynchronous array of ``array``'s metadata and store, with ``config`` and zarr's pipeline now."""
    from zarr.core.array import AsyncArray

    return AsyncArray(array._async_array.metadata, array.store_path, config=config)
