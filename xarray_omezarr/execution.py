"""Running a write: on the caller's dask scheduler, with a progress bar when asked.

Writes are dask graphs whose tasks mostly encode a chunk and then wait for the file or object store to
take it. Under dask's default thread pool (one thread per core), a core sits idle whenever its
thread waits on I/O; a few more threads than cores keep both encoding and writing busy. Any scheduler
the caller chose (``dask.config.set(scheduler=...)``, ``num_workers=...``, or a ``dask.distributed``
client) is used as it is.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["compute", "distributed_client"]

_THREADS_PER_CORE = 2


def distributed_client() -> Any | None:
    """The active ``dask.distributed`` client, or ``None`` (also when distributed is not installed)."""
    if "distributed" not in sys.modules:  # a client exists only once distributed was imported
        return None
    from distributed import get_client

    try:
        return get_client()
    except ValueError:  # no client
        return None


def _scheduler_options() -> dict[str, Any]:
    import dask
    import dask.threaded
    from dask.base import get_scheduler

    if get_scheduler() is dask.threaded.get and dask.config.get("num_workers", None) is None:
        return {"num_workers": _THREADS_PER_CORE * (os.cpu_count() or 1)}
    return {}


def compute(work: Any, *, progress: bool = False) -> Any:
    """Compute the dask collection ``work``, showing a progress bar when ``progress`` is true.

    The bar is dask's :class:`~dask.diagnostics.ProgressBar` on local schedulers and
    :func:`distributed.progress` on a distributed client.

    Examples
    --------
    >>> import dask
    >>> compute(dask.delayed(sum)([1, 2, 3]))
    6
    """
    client = distributed_client()
    if client is not None:
        future = client.compute(work)
        if progress:
            from distributed import progress as show_progress

            show_progress(future)
        return future.result()
    if not progress:
        return work.compute(**_scheduler_options())
    from dask.diagnostics import ProgressBar

    with ProgressBar():
        return work.compute(**_scheduler_options())
