"""Running a write on the caller's dask scheduler, with a progress bar when asked.

The scheduler is whatever dask would use now: its threads, ``dask.config.set(scheduler=...)``, or a
``dask.distributed`` client.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["compute", "distributed_client", "workers_share_this_process"]


def distributed_client() -> Any | None:
    """The ``dask.distributed`` client that dask would compute on now, or ``None``.

    ``None`` also when distributed is not installed, or when ``dask.config.set(scheduler=...)`` chose
    another scheduler over an existing client.
    """
    if "distributed" not in sys.modules:  # a client exists only once distributed was imported
        return None
    from dask.base import get_scheduler
    from distributed import Client

    client = getattr(get_scheduler(), "__self__", None)  # the default client's bound ``get``
    return client if isinstance(client, Client) else None


def workers_share_this_process(client: Any) -> bool:
    """Whether every worker of ``client`` runs in this process (a cluster of threads)."""
    import os

    return all(pid == os.getpid() for pid in client.run(os.getpid).values())


def compute(work: Any, *, progress: bool = False) -> Any:
    """Compute ``work``, a dask collection or a tuple or list of them, showing a progress bar when
    ``progress`` is true.

    The bar is dask's :class:`~dask.diagnostics.ProgressBar` on local schedulers and
    :func:`distributed.progress` on a distributed client.

    Examples
    --------
    >>> import dask
    >>> compute(dask.delayed(sum)([1, 2, 3]))
    6
    >>> compute((dask.delayed(sum)([1]), dask.delayed(sum)([2])))
    (1, 2)
    """
    client = distributed_client()
    if client is not None:
        futures = client.compute(work)
        if progress:
            from distributed import progress as show_progress

            show_progress(
                futures, notebook=False
            )  # a text bar in a kernel too: its widget needs ipywidgets and is never shown
        return client.gather(futures)
    import dask

    if not progress:
        return dask.compute(work)[0]
    from dask.diagnostics import ProgressBar

    with ProgressBar():
        return dask.compute(work)[0]
