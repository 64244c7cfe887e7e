"""Writing a planned plate with the engine: fields in batches of whole wells, each well's document
after its fields, the plate's document and zarr's consolidated metadata last.

A batch costs a few calls whatever its number of fields, so that a plate of thousands of small fields
is not dominated by per-field work: one concurrent creation of every group and array
(:func:`~.engine.create_images`), one dask computation of every level of every field (and label),
then the fields' and wells' metadata, written concurrently, each well's after its fields'.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import zarr

from ..consolidated import consolidate
from ..stores import WriteMode
from . import engine, execution
from .blocks import write_target
from .groups import GroupLike, check_group_fmt
from .plan import ImagePlan
from .plates import PlatePlan

__all__ = ["METADATA_WRITERS", "PLATE_BATCH_BYTES", "write_plate"]


PLATE_BATCH_BYTES = 256 * 2**20
"""How much level-0 data of a plate's fields one computation writes at most (whole wells, at least one)."""

METADATA_WRITERS = 8
"""How many wells' metadata are written at once: small writes that wait on the store, not the cores."""


def write_plate(plan: PlatePlan, store: GroupLike, *, mode: WriteMode = "w-", progress: bool = False) -> None:
    """Write a planned plate: its fields in batches of whole wells, each well's metadata after its
    fields', and the plate's metadata last.

    A batch's fields (and their labels) are written by one dask computation, so that small fields
    share the scheduler's start-up cost and the cores, while memory stays bounded by
    :data:`PLATE_BATCH_BYTES` of input (or one well, if larger). A write killed part way leaves the
    wells written so far complete, and no plate document.
    """
    for fields in plan.fields.values():
        for field in fields:
            engine.preflight(field.image)
            for label in field.labels:
                engine.preflight(label.plan)
    engine.refuse_memory_store_on_a_cluster(store)
    # everything is checked: write batch by batch, each batch's wells, then the plate
    root, fmt = check_group_fmt(store, plan.fmt, mode=mode)
    fresh = mode in ("w", "w-")  # the root was emptied or found empty: nothing to replace
    for wells in _batches(plan):
        images = {
            path: image
            for well in wells
            for i, field in enumerate(plan.fields[well])
            for path, image in _field_images(f"{well}/{i}", field)
        }
        groups, arrays = engine.create_images(root, images, overwrite=not fresh)
        sources = [level for image in images.values() for level in image.data]
        targets = [write_target(array) for path in images for array in arrays[path]]
        # the channel windows, measured on the smallest levels as they are computed, not read back
        measured = {
            path: ranges
            for path, image in images.items()
            if (ranges := engine.ranges_while_written(image)) is not None
        }
        _, *values = execution.compute((_stored(sources, targets), *measured.values()), progress=progress)
        ranges = dict(zip(measured, values, strict=True))

        def well_written(well: str, groups: Any = groups, arrays: Any = arrays, ranges: Any = ranges) -> None:
            for i, field in enumerate(plan.fields[well]):
                path = f"{well}/{i}"
                group = groups[path]
                engine.image_written(group, field.image, fmt, arrays[path][-1], ranges.get(path))
                for label in field.labels:
                    path = f"{well}/{i}/labels/{label.name}"
                    engine.image_written(groups[path], label.plan, fmt, arrays[path][-1], ranges.get(path))
                    engine.label_written(group, label.name, label.image_label, fmt)
            well_group = groups[well] if well in groups else root[well]
            assert isinstance(well_group, zarr.Group)
            engine.write_document(well_group, "well", plan.wells[well], fmt)

        with ThreadPoolExecutor(min(METADATA_WRITERS, len(wells))) as pool:
            for done in [pool.submit(well_written, well) for well in wells]:
                done.result()  # the first failure, raised here
    engine.write_document(root, "plate", plan.plate, fmt)
    if plan.consolidated:
        consolidate(root.store_path)  # last: a killed write leaves none, and readers walk the store


def _batches(plan: PlatePlan) -> Iterator[list[str]]:
    """The wells in batches of at most :data:`PLATE_BATCH_BYTES` of level-0 data (at least one well)."""
    batch: list[str] = []
    size = 0
    for well, fields in plan.fields.items():
        batch.append(well)
        size += sum(_bytes(field.image) for field in fields)
        if size >= PLATE_BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _bytes(plan: ImagePlan) -> int:
    return int(np.prod(plan.image.levels[0].shape)) * np.dtype(plan.image.dtype).itemsize


def _field_images(path: str, field: Any) -> Iterator[tuple[str, ImagePlan]]:
    """A field's image and its label images, at their paths."""
    yield path, field.image
    for label in field.labels:
        yield f"{path}/labels/{label.name}", label.plan


def _stored(sources: list[Any], targets: list[Any]) -> Any:
    import dask.array as da

    return da.store(sources, targets, lock=False, compute=False, return_stored=False)  # type: ignore[call-overload]
