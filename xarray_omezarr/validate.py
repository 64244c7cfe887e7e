"""Check an OME-Zarr store: the spec's JSON schemas, and what no schema can check.

:func:`validate_store` walks the store (an image with its labels, a plate with its wells and fields,
or a well) and returns one :class:`Problem` per defect: a document the schemas refuse; metadata the
reader refuses (paths leaving the store, missing arrays, vectors of the wrong length); arrays of the
wrong Zarr format for the version; ``dimension_names`` that are not the axes; a level whose shape
does not follow from its scale; a label image off its image's grid. An empty list means valid.

Examples
--------
>>> import numpy as np, xarray as xr, zarr, xarray_omezarr
>>> store = zarr.storage.MemoryStore()
>>> _ = xr.DataArray(np.zeros((8, 8), "u1"), dims=("y", "x")).omezarr.to_zarr(store, scale_factors=(2,))
>>> validate_store(zarr.open_group(store, mode="r"))
[]
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import zarr

from .errors import MalformedStoreError
from .model import Multiscale
from .ngff import version_of
from .read import child_group, group_ome, label_names, read_multiscale, read_plate, read_well

__all__ = ["SCHEMA_VERSIONS", "Problem", "validate_store"]

SCHEMA_VERSIONS = ("0.4", "0.5", "0.6")
"""The versions whose JSON schemas ship with the package."""
_SCHEMA_OF_TAG = {"0.6rc0": "0.6"}  # the released 0.6 schemas accept the release candidate's tag too
_SCHEMA_HOST = "https://ngff.openmicroscopy.org"
_RTOL = 1e-9


@dataclass(frozen=True)
class Problem:
    """One defect: where in the store (a group path, ``/`` for the root) and what is wrong."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@functools.cache
def _schema(version: str, name: str) -> Any:
    """A Draft 2020-12 validator for the spec's schema ``name``, its references resolved offline."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    folder = resources.files("xarray_omezarr.ngff") / "schemas" / version
    documents = {f.name: json.loads(f.read_text()) for f in folder.iterdir() if f.name.endswith(".schema")}
    registry: Registry[Any] = Registry()
    for file, contents in documents.items():
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        # some 0.4 files carry a ".../latest/..." $id: register the versioned address too
        for uri in {contents.get("$id"), f"{_SCHEMA_HOST}/{version}/schemas/{file}"} - {None}:
            registry = registry.with_resource(uri, resource)
    return Draft202012Validator(documents[f"{name}.schema"], registry=registry)


def _schema_problems(group: zarr.Group, where: str, name: str) -> Iterator[Problem]:
    attrs = dict(group.attrs)
    tag = version_of(group_ome(group))
    version = _SCHEMA_OF_TAG.get(tag or "", tag)
    if version not in SCHEMA_VERSIONS:
        return
    for error in sorted(_schema(version, name).iter_errors(attrs), key=lambda e: list(map(str, e.path))):
        key = "/".join(map(str, error.absolute_path)) or "attributes"
        message = error.message if len(error.message) < 300 else error.message[:297] + "..."
        yield Problem(where, f"the {version} {name} schema refuses {key}: {message}")


def _format_problems(group: zarr.Group, image: Multiscale, where: str) -> Iterator[Problem]:
    """The Zarr format the version asks for, and ``dimension_names`` that name the axes (Zarr v3)."""
    wanted = 3 if image.version is not None and image.version >= "0.5" else 2
    for level in image.levels:
        array = group[level.path]
        assert isinstance(array, zarr.Array)
        if image.version in SCHEMA_VERSIONS and array.metadata.zarr_format != wanted:
            yield Problem(
                _below(where, level.path),
                f"OME-NGFF {image.version} needs Zarr v{wanted} arrays; this one is Zarr v{array.metadata.zarr_format}",
            )
        names = getattr(array.metadata, "dimension_names", None)
        if wanted == 3 and names is not None and tuple(names) != image.dims:
            yield Problem(
                _below(where, level.path),
                f"dimension_names {list(names)} are not the axes {list(image.dims)}",
            )
        if wanted == 3 and names is None and image.version in SCHEMA_VERSIONS:
            yield Problem(
                _below(where, level.path),
                f"has no dimension_names; OME-NGFF {image.version} asks for the axes",
            )


def _level_problems(image: Multiscale, where: str) -> Iterator[Problem]:
    """Each level's shape follows from its scale: ``n0 / factor`` pixels, rounded down or up."""
    base = image.levels[0]
    for level in image.levels[1:]:
        for axis, n0, n, first, this in zip(
            image.axes, base.shape, level.shape, base.geometry, level.geometry, strict=True
        ):
            ratio = this.scale / first.scale if first.scale else math.nan
            if axis.type != "space":
                if n != n0:
                    yield Problem(
                        _below(where, level.path),
                        f"has {n} pixels along {axis.type or 'custom'} axis {axis.name!r}, level 0 has {n0}",
                    )
                continue
            if not np.isfinite(ratio) or ratio <= 0:
                yield Problem(
                    _below(where, level.path), f"scale along {axis.name!r} is {this.scale}, not positive"
                )
                continue
            expected = n0 / ratio
            if not math.floor(expected + 1e-6) <= n <= math.ceil(expected - 1e-6):
                yield Problem(
                    _below(where, level.path),
                    f"has {n} pixels along {axis.name!r}, but its scale ({ratio:g} times level 0's) makes "
                    f"{n0} / {ratio:g} = {expected:g}",
                )


def _on_grid_problems(label: Multiscale, image: Multiscale, where: str) -> Iterator[Problem]:
    """A label's levels lie on its image's levels: same size and pixel positions on every shared axis."""
    image_axes = {a.name: i for i, a in enumerate(image.axes)}
    missing = [a.name for a in label.axes if a.name not in image_axes]
    if missing:
        yield Problem(where, f"has axes {missing} that its image does not have")
        return
    for number, (mine, theirs) in enumerate(zip(label.levels, image.levels, strict=False)):
        for axis, n, geometry in zip(label.axes, mine.shape, mine.geometry, strict=True):
            index = image_axes[axis.name]
            other = theirs.geometry[index]
            same = (
                n == theirs.shape[index]
                and math.isclose(geometry.scale, other.scale, rel_tol=_RTOL)
                and math.isclose(
                    geometry.translation, other.translation, rel_tol=_RTOL, abs_tol=_RTOL * abs(other.scale)
                )
            )
            if not same and axis.type == "space":
                yield Problem(
                    _below(where, mine.path),
                    f"does not lie on its image's level {number} along {axis.name!r}: {n} pixels from "
                    f"{geometry.translation:g} by {geometry.scale:g}, the image has {theirs.shape[index]} from "
                    f"{other.translation:g} by {other.scale:g}",
                )


def _below(where: str, path: str) -> str:
    """The path of ``path`` below the group at ``where`` (``/`` is the root)."""
    return path if where == "/" else f"{where}/{path}"


def _read(where: str, read: Any, *args: Any) -> tuple[Any, list[Problem]]:
    try:
        return read(*args), []
    except (MalformedStoreError, KeyError, IndexError, ValueError) as error:
        return None, [Problem(where, str(error))]


def _image_problems(group: zarr.Group, where: str, is_label: bool = False) -> list[Problem]:
    problems = list(_schema_problems(group, where, "image"))
    if is_label:
        problems += _schema_problems(group, where, "label")
    image, refused = _read(where, read_multiscale, group)
    problems += refused
    if image is not None:
        problems += _format_problems(group, image, where)
        problems += _level_problems(image, where)
    if is_label:
        return problems
    names, refused = _read(where, label_names, group)
    problems += refused
    for name in names or []:
        label_where = _below(where, f"labels/{name}")
        try:
            node = child_group(child_group(group, "labels", "labels group"), name, "label image")
        except MalformedStoreError as error:
            problems.append(Problem(label_where, str(error)))
            continue
        problems += _image_problems(node, label_where, is_label=True)
        label, _ = _read(label_where, read_multiscale, node)
        if label is not None and image is not None:
            problems += _on_grid_problems(label, image, label_where)
    return problems


def validate_store(group: zarr.Group, where: str = "/") -> list[Problem]:
    """Every problem of the OME-Zarr hierarchy at ``group``: an image, a plate or a well.

    Schemas are checked for the versions in :data:`SCHEMA_VERSIONS`; other versions (0.1 to 0.3)
    get the checks that need no schema.
    """
    ome = group_ome(group)
    if isinstance(ome.get("plate"), Mapping):
        problems = list(_schema_problems(group, where, "plate"))
        plate, refused = _read(where, read_plate, group)
        for well in plate.wells if plate is not None else ():
            try:
                node = child_group(group, well.path, "well")
            except MalformedStoreError as error:
                refused.append(Problem(_below(where, well.path), str(error)))
                continue
            problems += validate_store(node, _below(where, well.path))
        return problems + refused
    if isinstance(ome.get("well"), Mapping):
        problems = list(_schema_problems(group, where, "well"))
        well, refused = _read(where, read_well, group)
        for field in well.fields if well is not None else ():
            try:
                node = child_group(group, field.path, "field")
            except MalformedStoreError as error:
                refused.append(Problem(_below(where, field.path), str(error)))
                continue
            problems += _image_problems(node, _below(where, field.path))
        return problems + refused
    if "multiscales" in ome:
        return _image_problems(group, where)
    return [Problem(where, "holds no OME-Zarr image, plate or well ('multiscales', 'plate' or 'well')")]
