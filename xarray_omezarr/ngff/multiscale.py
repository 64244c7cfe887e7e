"""The ``multiscales`` document of OME-NGFF 0.1 to 0.5, to and from :class:`~xarray_omezarr.model.Multiscale`.

Pure: :func:`multiscale_json` builds the group's OME metadata from the model; :func:`dataset_paths`
and :func:`multiscale_from_json` read it back (the reader fetches the arrays the paths name in
between, for their shapes and storage). Reading applies the multiscale's own transforms after each
dataset's, the same composition the backend's coordinates use, so every reader of a store sees one
geometry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..errors import InvalidImageError, MalformedStoreError
from ..geometry.axes import Axis, validate_axes
from ..geometry.transforms import LinearAxis, parse_transforms, transforms_to_json
from ..model import Level, Multiscale
from .base import Format, version_of
from .omero import check_omero

__all__ = [
    "check_datasets",
    "dataset_paths",
    "level0_geometry",
    "multiscale_from_json",
    "multiscale_json",
    "safe_relative_path",
]

_LEGACY_AXES = ("t", "c", "z", "y", "x")


def safe_relative_path(path: Any, where: str) -> str:
    """A path named by the metadata that stays inside its group, or a :class:`MalformedStoreError`.

    Examples
    --------
    >>> safe_relative_path("0", "dataset")
    '0'
    >>> safe_relative_path("../other", "dataset")
    Traceback (most recent call last):
    ...
    xarray_omezarr.errors.MalformedStoreError: dataset path '../other' leaves its group; paths must be relative and stay inside the store
    """
    if not isinstance(path, str) or not path:
        raise MalformedStoreError(f"{where} path must be a non-empty string; got {path!r}")
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts) or ":" in path:
        raise MalformedStoreError(
            f"{where} path {path!r} leaves its group; paths must be relative and stay inside the store"
        )
    return path


def check_datasets(datasets: Sequence[Mapping[str, Any]], ndim: int) -> None:
    """Each dataset has a path and one scale first, at most one translation after it, one value per axis."""
    for dataset in datasets:
        path = dataset.get("path")
        if not isinstance(path, str) or not path:
            raise InvalidImageError(f"every dataset needs a 'path' string; got {dataset!r}")
        transforms = dataset.get("coordinateTransformations")
        kinds = [t.get("type") if isinstance(t, Mapping) else None for t in transforms or ()]
        if (
            not kinds
            or kinds[0] != "scale"
            or kinds.count("scale") != 1
            or set(kinds) - {"scale", "translation"}
        ):
            raise InvalidImageError(
                f"dataset {path!r} needs coordinateTransformations with one 'scale' first and at most one "
                f"'translation' after it; got {kinds}"
            )
        parse_transforms(transforms, ndim, f"dataset {path!r}")


def multiscale_json(
    image: Multiscale, fmt: Format, datasets: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The OME metadata of an image group (unwrapped: ``fmt.wrap`` makes the group attributes).

    ``datasets`` replaces the datasets built from the levels' geometry, for callers that give their
    own ``coordinateTransformations`` (the seed API); they are checked first.

    Examples
    --------
    >>> from xarray_omezarr.geometry.axes import axes_from_dims
    >>> from xarray_omezarr.ngff import FormatV05
    >>> image = Multiscale(tuple(axes_from_dims("yx")), (Level("0", (4, 4), (LinearAxis(), LinearAxis(0.5))),))
    >>> multiscale_json(image, FormatV05())["multiscales"][0]["datasets"]
    [{'path': '0', 'coordinateTransformations': [{'type': 'scale', 'scale': [1.0, 0.5]}]}]
    """
    validate_axes(image.axes)
    if datasets is None:
        datasets = [
            {"path": level.path, "coordinateTransformations": transforms_to_json(level.geometry)}
            for level in image.levels
        ]
    if not datasets:
        raise InvalidImageError("a multiscale image needs at least one dataset")
    check_datasets(datasets, len(image.axes))
    multiscale: dict[str, Any] = {}
    if fmt.versioned_blocks:
        multiscale["version"] = fmt.version
    if image.name is not None:
        multiscale["name"] = image.name
    multiscale["axes"] = [a.to_json() for a in image.axes]
    multiscale["datasets"] = [dict(d) for d in datasets]
    multiscale.update(image.extra)
    if image.method is not None:
        multiscale.setdefault("type", image.method)
    if image.method_metadata is not None:
        multiscale.setdefault("metadata", dict(image.method_metadata))
    ome: dict[str, Any] = {"multiscales": [multiscale]}
    if image.omero:
        ome["omero"] = check_omero(image.omero)
    return ome


def _multiscale_entry(ome: Mapping[str, Any], index: int) -> Mapping[str, Any]:
    multiscales = ome.get("multiscales")
    if not isinstance(multiscales, list) or not multiscales:
        raise MalformedStoreError(
            "the group holds no OME-Zarr multiscale image ('multiscales' is missing or empty)"
        )
    if not 0 <= index < len(multiscales):
        raise IndexError(f"multiscale {index} requested, but the group has {len(multiscales)}")
    entry = multiscales[index]
    if not isinstance(entry, Mapping):
        raise MalformedStoreError(f"multiscale {index} must be an object; got {entry!r}")
    return entry


def dataset_paths(ome: Mapping[str, Any], index: int = 0) -> list[str]:
    """The array paths multiscale ``index`` lists, checked to stay inside the group.

    Examples
    --------
    >>> dataset_paths({"multiscales": [{"datasets": [{"path": "0"}, {"path": "1"}]}]})
    ['0', '1']
    """
    datasets = _multiscale_entry(ome, index).get("datasets")
    if not isinstance(datasets, list) or not datasets:
        raise MalformedStoreError("the multiscale lists no datasets")
    return [
        safe_relative_path(d.get("path") if isinstance(d, Mapping) else None, "dataset") for d in datasets
    ]


def _axes(multiscale: Mapping[str, Any], ndim: int) -> tuple[Axis, ...]:
    raw = multiscale.get("axes")
    if raw is None:  # 0.1 and 0.2: always (t, c, z, y, x), trailing
        return tuple(Axis.from_json(name) for name in _LEGACY_AXES[-ndim:])
    if not isinstance(raw, list):
        raise MalformedStoreError(f"multiscale 'axes' must be a list; got {raw!r}")
    try:
        # an orientation is RFC-4's, which 0.6 stores: before 0.6 it is no part of the image
        axes = tuple(replace(Axis.from_json(a), orientation=None) for a in raw)
    except ValueError as error:
        raise MalformedStoreError(str(error)) from None
    if len(axes) != ndim:
        raise MalformedStoreError(
            f"the multiscale has {len(axes)} axes but its arrays have {ndim} dimensions"
        )
    return axes


def _parsed(transforms: Any, ndim: int, where: str) -> list[LinearAxis]:
    try:
        return parse_transforms(transforms, ndim, where)
    except ValueError as error:
        raise MalformedStoreError(str(error)) from None


def multiscale_from_json(
    ome: Mapping[str, Any],
    arrays: Sequence[tuple[tuple[int, ...], Any, tuple[int, ...] | None, tuple[int, ...] | None]],
    index: int = 0,
) -> Multiscale:
    """Multiscale ``index`` of the OME metadata ``ome``, with its arrays' ``(shape, dtype, chunks, shards)``.

    ``arrays`` are those :func:`dataset_paths` names, in order. Before 0.4 a level without transforms
    lies where its shape ratio to level 0 puts it.

    Examples
    --------
    >>> ome = {"multiscales": [{"axes": ["y", "x"], "datasets": [{"path": "0"}]}]}
    >>> multiscale_from_json(ome, [((4, 4), "uint8", None, None)]).levels[0].geometry[0]
    LinearAxis(scale=1.0, translation=0.0)
    """
    multiscale = _multiscale_entry(ome, index)
    paths = dataset_paths(ome, index)
    datasets = multiscale["datasets"]
    ndim = len(arrays[0][0])
    axes = _axes(multiscale, ndim)
    outer = _parsed(multiscale.get("coordinateTransformations"), ndim, "the multiscale")
    base_shape = arrays[0][0]
    levels = []
    for path, dataset, (shape, _dtype, chunks, shards) in zip(paths, datasets, arrays, strict=True):
        if len(shape) != ndim:
            raise MalformedStoreError(f"dataset {path!r} has {len(shape)} dimensions, level 0 has {ndim}")
        transforms = dataset.get("coordinateTransformations")
        if transforms is None:  # before 0.4: only the shape ratio says where the pixels are
            inner = [LinearAxis(n0 / n) for n0, n in zip(base_shape, shape, strict=True)]
        else:
            inner = _parsed(transforms, ndim, f"dataset {path!r}")
        geometry = tuple(i.then(o) for i, o in zip(inner, outer, strict=True))
        levels.append(Level(path, tuple(shape), geometry, chunks, shards))
    name = multiscale.get("name")
    omero = ome.get("omero")
    known = {"version", "name", "axes", "datasets", "coordinateTransformations", "type", "metadata"}
    method_metadata = multiscale.get("metadata")
    return Multiscale(
        axes=axes,
        levels=tuple(levels),
        dtype=arrays[0][1],
        name=name if isinstance(name, str) else None,
        method=multiscale.get("type") if isinstance(multiscale.get("type"), str) else None,
        method_metadata=method_metadata if isinstance(method_metadata, Mapping) else None,
        omero=omero if isinstance(omero, Mapping) else None,
        version=version_of(dict(ome)) or "0.1",
        extra={k: v for k, v in multiscale.items() if k not in known},
    )


def level0_geometry(ome: Mapping[str, Any], names: Sequence[str]) -> dict[str, LinearAxis]:
    """Level 0's geometry by axis name, from OME metadata read earlier (e.g. ``DataArray.attrs["ome"]``).

    The shapes are not known here, so the metadata is read as far as it goes without them: ``{}`` when
    it holds no usable multiscale. Used for axes of one pixel, whose step a coordinate cannot show.

    Examples
    --------
    >>> ome = {"multiscales": [{"axes": [{"name": "z"}, {"name": "y"}], "datasets": [
    ...     {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [2.5, 1.0]}]}]}]}
    >>> level0_geometry(ome, ["z"])["z"].scale
    2.5
    """
    try:
        multiscale = dict(_multiscale_entry(ome, 0))
        multiscale["datasets"] = multiscale["datasets"][:1]
        ndim = len(multiscale["axes"])
        image = multiscale_from_json({"multiscales": [multiscale]}, [((1,) * ndim, None, None, None)])
    except (KeyError, TypeError, ValueError, IndexError):
        return {}
    geometry = dict(zip(image.dims, image.levels[0].geometry, strict=True))
    return {name: geometry[name] for name in names if name in geometry}
