"""Read an OME-Zarr multiscale image (OME-NGFF 0.1 to 0.5) into a small typed model.

The model holds what the backend needs to build xarray objects: the axes, each level's array path and
geometry (dataset transforms followed by the multiscale-level ones), the channel settings and the raw OME
metadata. A malformed store is refused here with a message that says what is wrong, and a dataset path
can never lead outside the group it belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import zarr

from .axes import Axis
from .format import ome_attributes, version_of
from .transforms import LinearAxis, parse_transforms

__all__ = [
    "MultiscaleImage",
    "Plate",
    "WellRef",
    "is_ome_zarr_attrs",
    "open_multiscale",
    "open_plate",
    "safe_relative_path",
    "well_fields",
]

_LEGACY_AXES = ("t", "c", "z", "y", "x")


@dataclass(frozen=True)
class LevelRef:
    """One resolution level: where its array is and where its pixels lie."""

    path: str
    array: zarr.Array
    geometry: tuple[LinearAxis, ...]


@dataclass(frozen=True)
class MultiscaleImage:
    """An OME-Zarr multiscale image as read from a store."""

    version: str
    name: str | None
    axes: tuple[Axis, ...]
    levels: tuple[LevelRef, ...]
    ome: Mapping[str, Any]

    @property
    def omero(self) -> Mapping[str, Any] | None:
        omero = self.ome.get("omero")
        return omero if isinstance(omero, Mapping) else None

    def channel_labels(self) -> list[str] | None:
        """Channel names from ``omero`` when they match the channel axis, else ``None``."""
        index = next((i for i, a in enumerate(self.axes) if a.type == "channel"), None)
        channels = (self.omero or {}).get("channels")
        if index is None or not isinstance(channels, list):
            return None
        if len(channels) != self.levels[0].array.shape[index]:
            return None
        labels = [c.get("label") if isinstance(c, Mapping) else None for c in channels]
        return [str(label) for label in labels] if all(isinstance(x, str) for x in labels) else None


def is_ome_zarr_attrs(attrs: Mapping[str, Any]) -> bool:
    """Whether group attributes hold OME metadata this package reads."""
    ome = ome_attributes(dict(attrs))
    return any(key in ome for key in ("multiscales", "plate", "well", "bioformats2raw.layout"))


def safe_relative_path(path: Any, where: str) -> str:
    """A dataset path that stays inside its group, or a ``ValueError``.

    Examples
    --------
    >>> safe_relative_path("0", "dataset")
    '0'
    >>> safe_relative_path("../other", "dataset")
    Traceback (most recent call last):
    ...
    ValueError: dataset path '../other' leaves its group; paths must be relative and stay inside the store
    """
    if not isinstance(path, str) or not path:
        raise ValueError(f"{where} path must be a non-empty string; got {path!r}")
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts) or ":" in path:
        raise ValueError(
            f"{where} path {path!r} leaves its group; paths must be relative and stay inside the store"
        )
    return path


def _axes(multiscale: Mapping[str, Any], ndim: int) -> tuple[Axis, ...]:
    raw = multiscale.get("axes")
    if raw is None:  # 0.1 and 0.2: always (t, c, z, y, x), trailing
        return tuple(Axis.from_json(name) for name in _LEGACY_AXES[-ndim:])
    if not isinstance(raw, list):
        raise ValueError(f"multiscale 'axes' must be a list; got {raw!r}")
    axes = tuple(Axis.from_json(a) for a in raw)
    if len(axes) != ndim:
        raise ValueError(f"the multiscale has {len(axes)} axes but its arrays have {ndim} dimensions")
    return axes


def open_multiscale(group: zarr.Group, index: int = 0) -> MultiscaleImage:
    """Read multiscale ``index`` of ``group`` into a :class:`MultiscaleImage`.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> from xarray_omezarr.writer import write_image
    >>> g = zarr.open_group(zarr.storage.MemoryStore())
    >>> _ = write_image(np.zeros((8, 8), "uint8"), g, scale_factors=(2,), method="local_mean")
    >>> image = open_multiscale(g)
    >>> [lv.path for lv in image.levels], image.levels[1].geometry[0]
    (['0', '1'], LinearAxis(scale=2.0, translation=0.5))
    """
    ome = ome_attributes(dict(group.attrs))
    multiscales = ome.get("multiscales")
    if not isinstance(multiscales, list) or not multiscales:
        raise ValueError("the group holds no OME-Zarr multiscale image ('multiscales' is missing or empty)")
    if not 0 <= index < len(multiscales):
        raise IndexError(f"multiscale {index} requested, but the group has {len(multiscales)}")
    multiscale = multiscales[index]
    datasets = multiscale.get("datasets") if isinstance(multiscale, Mapping) else None
    if not isinstance(datasets, list) or not datasets:
        raise ValueError("the multiscale lists no datasets")
    arrays = []
    for dataset in datasets:
        path = safe_relative_path(dataset.get("path") if isinstance(dataset, Mapping) else None, "dataset")
        try:
            node = group[path]
        except KeyError:
            raise ValueError(
                f"dataset {path!r} is listed in the metadata but there is no array there"
            ) from None
        if not isinstance(node, zarr.Array):
            raise ValueError(f"dataset {path!r} is a group, not an array")
        arrays.append((path, dataset, node))
    ndim = arrays[0][2].ndim
    axes = _axes(multiscale, ndim)
    outer = parse_transforms(multiscale.get("coordinateTransformations"), ndim, "the multiscale")
    levels = []
    base_shape = arrays[0][2].shape
    for path, dataset, array in arrays:
        if array.ndim != ndim:
            raise ValueError(f"dataset {path!r} has {array.ndim} dimensions, level 0 has {ndim}")
        transforms = dataset.get("coordinateTransformations")
        if transforms is None:  # before 0.4: only the shape ratio says where the pixels are
            inner = [LinearAxis(n0 / n) for n0, n in zip(base_shape, array.shape, strict=True)]
        else:
            inner = parse_transforms(transforms, ndim, f"dataset {path!r}")
        geometry = tuple(i.then(o) for i, o in zip(inner, outer, strict=True))
        levels.append(LevelRef(path, array, geometry))
    name = multiscale.get("name")
    return MultiscaleImage(
        version=version_of(ome) or "0.1",
        name=name if isinstance(name, str) else None,
        axes=axes,
        levels=tuple(levels),
        ome=ome,
    )


@dataclass(frozen=True)
class WellRef:
    """One well of a plate: its path and its row and column names."""

    path: str
    row: str
    column: str


@dataclass(frozen=True)
class Plate:
    """An HCS plate as read from a store."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    wells: tuple[WellRef, ...]
    ome: Mapping[str, Any]


def open_plate(group: zarr.Group) -> Plate:
    """Read the plate metadata of ``group``, refusing wells outside the plate or the store."""
    ome = ome_attributes(dict(group.attrs))
    plate = ome.get("plate")
    if not isinstance(plate, Mapping):
        raise ValueError("the group holds no OME-Zarr plate ('plate' is missing)")
    try:
        rows = tuple(str(r["name"]) for r in plate["rows"])
        columns = tuple(str(c["name"]) for c in plate["columns"])
        entries = list(plate["wells"])
    except (KeyError, TypeError):
        raise ValueError("the plate metadata needs 'rows', 'columns' and 'wells' lists") from None
    wells = []
    for entry in entries:
        path = safe_relative_path(entry.get("path") if isinstance(entry, Mapping) else None, "well")
        parts = path.split("/")
        if len(parts) != 2 or parts[0] not in rows or parts[1] not in columns:
            raise ValueError(f"well {path!r} is not '<row>/<column>' with a row and a column of the plate")
        wells.append(WellRef(path, parts[0], parts[1]))
    return Plate(rows, columns, tuple(wells), ome)


def well_fields(group: zarr.Group) -> list[str]:
    """The field paths of a well group (checked to stay inside the store)."""
    well = ome_attributes(dict(group.attrs)).get("well")
    images = well.get("images") if isinstance(well, Mapping) else None
    if not isinstance(images, list):
        raise ValueError("the group holds no OME-Zarr well ('well' with 'images' is missing)")
    return [safe_relative_path(i.get("path") if isinstance(i, Mapping) else None, "field") for i in images]
