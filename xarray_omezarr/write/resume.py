"""``resume=True``: finish a write that was killed, writing only what is missing.

The call is made again as it was made the first time. Before anything is written, the store must
hold what that call creates: every planned array with the very metadata the plan gives it (shape,
dtype, chunks, shards, codecs, fill value, dimension names: compared with the plan's arrays created
in memory), no other level, and the OME metadata the plan writes, either in the write's progress
record (a write under way, see :mod:`.progress`) or as the group's own metadata (a write that
finished). Anything else is refused with :class:`~xarray_omezarr.errors.CannotResumeError`, and the
store is left byte for byte as it was.

Then:

- nothing there yet (no group, or an empty one): the image is written, as by the first call;
- a progress record in phase ``"creating"`` (killed while the arrays were created, or replaced with
  ``mode="w"``, before any data): the arrays are created again and everything is written;
- a record in phase ``"writing"``: the stored objects that are missing are written, then the OME
  metadata, then the record goes (also when the kill came between those two: the scan then finds
  nothing missing, and the metadata are written again);
- the image's metadata and no record (the write finished): nothing is rewritten;
- arrays or groups but neither a record nor the image's metadata: refused.
"""

from __future__ import annotations

import json
from typing import Any

import zarr

from ..errors import CannotResumeError
from ..ngff import ome_attributes
from ..stores import WriteMode
from . import engine, progress
from .groups import GroupLike, check_format, describe_store
from .plan import ImagePlan

__all__ = ["check_resumable", "resume_image"]


def _without_windows(document: dict[str, Any]) -> dict[str, Any]:
    """OME metadata without the channel windows, which are measured on the data at the end."""
    out = {k: v for k, v in document.items() if k != "version"}
    omero = out.get("omero")
    if isinstance(omero, dict) and isinstance(omero.get("channels"), list):
        channels = [{k: v for k, v in c.items() if k != "window"} for c in omero["channels"]]
        out["omero"] = omero | {"channels": channels}
    return json.loads(json.dumps(out, sort_keys=True, default=repr))  # type: ignore[no-any-return]


def _differences(stored: Any, planned: Any, where: str = "") -> list[str]:
    """Where two JSON documents differ, as ``key: the store has ..., this call ...`` (leaves only)."""
    if isinstance(stored, dict) and isinstance(planned, dict):
        out = []
        for key in sorted(set(stored) | set(planned), key=str):
            out += _differences(stored.get(key), planned.get(key), f"{where}.{key}" if where else str(key))
        return out
    if isinstance(stored, list | tuple) and isinstance(planned, list | tuple) and len(stored) == len(planned):
        out = []
        for index, (mine, theirs) in enumerate(zip(stored, planned, strict=True)):
            out += _differences(mine, theirs, f"{where}[{index}]")
        return out
    text, wanted = (json.dumps(v, sort_keys=True, default=repr) for v in (stored, planned))
    return [] if text == wanted else [f"{where or 'the document'}: the store has {text}, this call {wanted}"]


def _refuse(store: Any, why: str) -> CannotResumeError:
    return CannotResumeError(
        f"cannot resume the write at {describe_store(store)}: {why}. resume=True finishes the call that "
        "was interrupted, with the same arguments; pass mode='w' to write it anew (nothing was written)"
    )


def _check_arrays(plan: ImagePlan, group: zarr.Group, store: Any) -> list[str]:
    """The planned paths the group holds, each checked to be the plan's array."""
    levels = [k for k, v in group.arrays() if k.isdigit()]
    extra = sorted(set(levels) - set(plan.paths), key=int)
    if extra:
        raise _refuse(
            store, f"it holds levels {extra}, which this call does not write (other scale_factors?)"
        )
    present = []
    for path, planned in zip(plan.paths, engine.planned_metadata(plan), strict=True):
        if path not in group:
            continue
        array = group[path]
        if not isinstance(array, zarr.Array):
            raise _refuse(store, f"{path!r} is a group, not a level of the image")
        mine = {k: v for k, v in planned.to_dict().items() if k != "attributes"}
        theirs = {k: v for k, v in array.metadata.to_dict().items() if k != "attributes"}
        different = _differences(theirs, mine)
        if different:
            raise _refuse(store, f"level {path} differs: " + "; ".join(different))
        present.append(path)
    return present


def check_resumable(plan: ImagePlan, group: zarr.Group, store: Any = None) -> str:
    """What the group holds of the plan's write: ``"nothing"``, ``"creating"``, ``"writing"`` or
    ``"complete"``.

    Raises :class:`~xarray_omezarr.errors.CannotResumeError` where it holds anything the call would
    not write. Reads only.
    """
    store = group if store is None else store
    check_format(group, plan.fmt)
    planned = _without_windows(engine.planned_document(plan))
    record = progress.read_progress(group)
    ome = {k: v for k, v in ome_attributes(dict(group.attrs)).items() if k != progress.PROGRESS_KEY}
    if record is not None:
        different = _differences(_without_windows(dict(record.get("metadata") or {})), planned)
        if different:
            raise _refuse(store, "the interrupted write was of another image: " + "; ".join(different))
        if record.get("phase") != "writing":
            return "creating"  # the arrays may be half created or half deleted: all are created again
        present = _check_arrays(plan, group, store)
        if len(present) != len(plan.paths):
            raise _refuse(store, "levels the interrupted write created are missing")
        return "writing"
    present = _check_arrays(plan, group, store)
    if "multiscales" in ome:
        different = _differences(_without_windows(ome), planned)
        if different or len(present) != len(plan.paths):
            raise _refuse(store, "it holds another image: " + "; ".join(different or ["levels are missing"]))
        return "complete"
    if present or any(True for _ in group.members()):
        raise _refuse(store, "it holds arrays or groups but no record of an interrupted write of this image")
    return "nothing"


def resume_image(
    plan: ImagePlan,
    target: GroupLike,
    *,
    compute: bool | None = True,
    progress_bar: bool = False,
) -> list[Any]:
    """Finish the write of ``plan`` into ``target`` that was interrupted; see the module's notes."""
    engine.preflight(plan)
    if isinstance(target, zarr.Group):
        group: zarr.Group | None = target
    else:
        try:
            group = zarr.open_group(store=target, mode="r+", use_consolidated=False)
        except (FileNotFoundError, zarr.errors.GroupNotFoundError):
            group = None
    if group is None:
        return engine.write_image(
            plan, target, mode="w-", compute=compute, progress=progress_bar, preflighted=True
        )
    state = check_resumable(plan, group, target)
    if state == "complete":
        progress.log_resume(0, 0)
        return []
    if state in ("nothing", "creating"):
        count = sum(len(progress.block_objects(level)) for level in plan.image.levels)
        progress.log_resume(count, count)
        mode: WriteMode = "w" if state == "creating" else "w-"
        return engine.write_image(
            plan, group, mode=mode, compute=compute, progress=progress_bar, preflighted=True
        )
    written, rewritten, total = engine.resume_levels(plan, group, compute=compute, progress=progress_bar)
    progress.log_resume(rewritten, total)
    return written
