"""Writing a planned plate with the engine: fields in batches of whole wells, each well's document
after its fields, the plate's document and zarr's consolidated metadata last."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import zarr

from ..consolidated import consolidate
from ..ngff import Format
from ..stores import WriteMode
from . import execution
from .engine import preflight, refuse_memory_store_on_a_cluster, write_document, write_image, write_label
from .groups import GroupLike, check_group_fmt
from .plates import PlatePlan

__all__ = ["PLATE_BATCH_BYTES", "write_plate"]


PLATE_BATCH_BYTES = 256 * 2**20
"""How much level-0 data of a plate's fields one computation writes at most (whole wells, at least one)."""


def write_plate(plan: PlatePlan, store: GroupLike, *, mode: WriteMode = "w-", progress: bool = False) -> None:
    """Write a planned plate: its fields in batches of whole wells, each well's metadata after its
    fields, and the plate's metadata last.

    A batch's fields (and their labels) are written by one dask computation, so that small fields
    share the scheduler's start-up cost and the cores, while memory stays bounded by
    :data:`PLATE_BATCH_BYTES` of input (or one well, if larger).
    """
    for fields in plan.fields.values():
        for field in fields:
            preflight(field.image)
            for label in field.labels:
                preflight(label.plan)
    refuse_memory_store_on_a_cluster(store)
    # everything is checked: write batch by batch, each batch's wells, then the plate
    root, fmt = check_group_fmt(store, plan.fmt, mode=mode)
    batch: list[Any] = []
    size = 0
    for path, fields in plan.fields.items():
        writes: list[Any] = []
        for i, field in enumerate(fields):
            target = root.store_path / path / str(i)
            writes += write_image(
                field.image,
                target,
                mode="w",
                compute=False,
                preflighted=True,
                resumable=False,
                consolidated=False,
            )
            if field.labels:
                group = zarr.open_group(target, mode="r+", use_consolidated=False)
                for label in field.labels:
                    writes += write_label(
                        label.plan,
                        group,
                        label.name,
                        label.image_label,
                        mode="w",
                        compute=False,
                        consolidated=False,
                    )
            size += (
                int(np.prod(field.image.image.levels[0].shape)) * np.dtype(field.image.image.dtype).itemsize
            )
        batch.append(_then_well_document(writes, root, path, plan.wells[path], fmt))
        if size >= PLATE_BATCH_BYTES:
            execution.compute(_all(batch), progress=progress)
            batch, size = [], 0
    if batch:
        execution.compute(_all(batch), progress=progress)
    write_document(root, "plate", plan.plate, fmt)
    if plan.consolidated:
        consolidate(root.store_path)  # last: a killed write leaves none, and readers walk the store


def _then_well_document(
    writes: list[Any], root: zarr.Group, path: str, block: Mapping[str, Any], fmt: Format
) -> Any:
    """The delayed writes of a well's fields, then its ``well`` document (never before they are done)."""
    import dask

    def well_document(*_: Any) -> None:
        root.require_group(path.split("/")[0])  # the row group
        write_document(root.require_group(path), "well", block, fmt)

    return dask.delayed(well_document, pure=False)(*writes)


def _all(delayed: list[Any]) -> Any:
    import dask

    return dask.delayed(lambda *_: None, pure=False)(*delayed)
