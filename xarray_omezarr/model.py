"""The one model of an OME-Zarr store that reading and writing share.

The reader (:mod:`.read`) returns these classes, the planner (:mod:`.write.plan`) produces them, the
per-version modules of :mod:`.ngff` translate them to and from JSON, and the backend turns them into
xarray objects. They hold no data and no store: a level says where its array is and where its pixels
lie, not what they hold, so a planned write and the store it produced compare equal.

Examples
--------
>>> from xarray_omezarr.geometry.axes import axes_from_dims
>>> image = Multiscale(
...     axes=tuple(axes_from_dims("yx")),
...     levels=(Level("0", (4, 4), (LinearAxis(), LinearAxis())),),
...     dtype="uint8",
... )
>>> image.dims, image.levels[0].geometry[1].values(4)
(('y', 'x'), array([0., 1., 2., 3.]))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .geometry.axes import Axis
from .geometry.rfc5 import Transformation
from .geometry.transforms import LinearAxis

__all__ = [
    "Axis",
    "LabelImage",
    "Level",
    "LinearAxis",
    "Multiscale",
    "Plate",
    "Well",
    "WellField",
]


@dataclass(frozen=True)
class Level:
    """One resolution level: its array's path, shape and storage, and where its pixels lie.

    ``geometry`` is the level's full transform per axis (the dataset's transforms followed by the
    multiscale's own), so index ``i`` along axis ``k`` lies at ``geometry[k].values(n)[i]``.
    ``chunks`` and ``shards`` are the stored object shapes, ``None`` where unknown or unsharded.

    ``transformation`` is set for a level of an OME-NGFF 0.6 image whose transformations are not
    axis-aligned (an affine, a rotation...): the RFC-5 transformation from this level's array indices to
    the image's coordinate system, applied after ``geometry``. Such a level read from a store has an
    identity ``geometry``; a planned level ``k`` has level 0's transformation and its pyramid geometry
    in level 0's index space (the writer composes the two). ``None`` for axis-aligned levels.
    """

    path: str
    shape: tuple[int, ...]
    geometry: tuple[LinearAxis, ...]
    chunks: tuple[int, ...] | None = None
    shards: tuple[int, ...] | None = None
    transformation: Transformation | None = None


@dataclass(frozen=True)
class Multiscale:
    """A multiscale image: axes, levels (largest first), and what the metadata says about it.

    ``method`` and ``method_metadata`` are the multiscale's ``type`` and ``metadata`` keys; ``omero``
    the (transitional) channel block; ``extra`` any other multiscale keys, kept as they are.
    ``coordinate_system`` is the name of the OME-NGFF 0.6 coordinate system that ``axes`` and the
    levels' placement belong to (``None`` before 0.6, which has no named systems).
    """

    axes: tuple[Axis, ...]
    levels: tuple[Level, ...]
    dtype: Any = None
    name: str | None = None
    method: str | None = None
    method_metadata: Mapping[str, Any] | None = None
    omero: Mapping[str, Any] | None = None
    version: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    coordinate_system: str | None = None

    @property
    def dims(self) -> tuple[str, ...]:
        """The axis names, in stored order."""
        return tuple(a.name for a in self.axes)

    @property
    def channel_axis(self) -> int | None:
        """The index of the channel axis, or ``None``."""
        return next((i for i, a in enumerate(self.axes) if a.type == "channel"), None)

    def channel_labels(self) -> list[str] | None:
        """Channel names from ``omero`` when there is one per channel, else ``None``."""
        index = self.channel_axis
        channels = (self.omero or {}).get("channels")
        if index is None or not isinstance(channels, list) or not self.levels:
            return None
        if len(channels) != self.levels[0].shape[index]:
            return None
        labels = [c.get("label") if isinstance(c, Mapping) else None for c in channels]
        return [str(label) for label in labels] if all(isinstance(x, str) for x in labels) else None


@dataclass(frozen=True)
class LabelImage:
    """A label image (``labels/<name>``): a multiscale of integers and its ``image-label`` block."""

    name: str
    multiscale: Multiscale
    image_label: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WellField:
    """One field of view of a well: its path in the well and its acquisition id, if any."""

    path: str
    acquisition: int | None = None


@dataclass(frozen=True)
class Well:
    """One well of a plate: its path (``"<row>/<column>"``), row and column names, and fields."""

    path: str
    row: str
    column: str
    fields: tuple[WellField, ...] = ()


@dataclass(frozen=True)
class Plate:
    """An HCS plate: row and column names, wells, and the rest of its ``plate`` block."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    wells: tuple[Well, ...]
    name: str | None = None
    acquisitions: tuple[Mapping[str, Any], ...] | None = None
    field_count: int | None = None
    version: str | None = None
