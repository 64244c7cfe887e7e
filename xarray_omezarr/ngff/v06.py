"""OME-NGFF 0.6 (RFC-5): Zarr v3 like 0.5, with explicit coordinate systems and transformations.

A 0.6 multiscale has no ``axes`` of its own: its axes (name, type, unit) live in named
``coordinateSystems``, and each dataset holds exactly one transformation from its array
(``input``: ``{"path": <dataset path>}``) to a coordinate system (``output``: ``{"name": ...}``).
This package writes one coordinate system (the one an image was read in, else named after the
image), and per level a ``scale`` or a ``sequence`` of one ``scale`` and one ``translation`` (the same
pixel-centre geometry as 0.4/0.5).

Reading accepts the tags ``0.6``, ``0.6rc<N>`` and ``0.6.dev<N>``, ``input``/``output`` as objects
(``{"name": ...}``/``{"path": ...}``) or as the plain strings of earlier drafts, and multiscale-level
transformations that lead from the datasets' system to the first (physical) one, or to the one a
caller names (forwards, or inverted where only the reverse is listed). Axis-aligned transformations
(identity, scale, translation, diagonal affines, identity mapAxis and sequences of them) become 1-D
coordinates; any other type is kept on the levels (:attr:`Level.transformation`, see
:mod:`.v06_levels`) for lazy coordinates. Such an image is written with its datasets mapping by
scale and translation to a system named ``intrinsic`` and one multiscale transformation from it to
the physical system.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import InvalidImageError, MalformedStoreError, UnsupportedTransformError
from ..geometry.axes import Axis, validate_axes
from ..geometry.rfc5 import transformation_json
from ..geometry.transforms import LinearAxis, parse_transforms
from ..model import Level, Multiscale
from .base import Format, version_of
from .multiscale import check_datasets, dataset_paths
from .omero import check_omero
from .v06_levels import ends, general_levels, multiscale_chain, reference

__all__ = [
    "DEFAULT_SYSTEM",
    "FormatV06",
    "is_v06",
    "level0_geometry",
    "multiscale_from_json",
    "multiscale_json",
    "scene_references",
    "system_axes",
]

DEFAULT_SYSTEM = "physical"
"""The name of the coordinate system of an image without a name."""

_TAG = re.compile(r"^0\.6(rc\d+|\.dev\d+|-dev\d*)?$")
_AXIS_ALIGNED = ("identity", "scale", "translation")
_KNOWN_KEYS = {
    "version",
    "name",
    "coordinateSystems",
    "datasets",
    "coordinateTransformations",
    "type",
    "metadata",
}


def is_v06(version: str | None) -> bool:
    """Whether a version tag is one of 0.6 (released), its release candidates or development tags.

    Examples
    --------
    >>> [is_v06(v) for v in ("0.6", "0.6rc0", "0.6.dev2", "0.5", "0.60")]
    [True, True, True, False, False]
    """
    return version is not None and _TAG.match(version) is not None


@dataclass(frozen=True)
class FormatV06(Format):
    """OME-NGFF 0.6: Zarr v3, metadata under ``attributes["ome"]``, coordinate systems (RFC-5).

    Examples
    --------
    >>> FormatV06().wrap({"multiscales": []})
    {'ome': {'version': '0.6', 'multiscales': []}}
    """

    version: str = "0.6"
    zarr_format: Literal[2, 3] = 3

    def wrap(self, ome: dict[str, Any]) -> dict[str, Any]:
        return {"ome": {"version": self.version, **ome}}

    def chunk_key_encoding(self) -> dict[str, str]:
        return {"name": "default", "separator": "/"}

    def coordinate_system(self, image_name: str | None, given: str | None = None) -> str | None:
        return system_name(image_name, given)


def system_name(image_name: str | None, given: str | None = None) -> str:
    """The name of an image's (physical) coordinate system: the one it was read in (``given``), else
    the image's own name."""
    return given or image_name or DEFAULT_SYSTEM


def scene_references(scene: Mapping[str, Any]) -> list[tuple[Any, Any]]:
    """The ``(path, name)`` of every system in a subgroup that a 0.6 ``scene``'s transformations name
    (``{"path": "tile_0", "name": "physical"}`` as an input or output), in the order they appear,
    as written (the reader checks the paths).

    Examples
    --------
    >>> scene_references({"coordinateTransformations": [{"type": "identity",
    ...     "input": {"path": "tile_0", "name": "physical"}, "output": {"name": "world"}}]})
    [('tile_0', 'physical')]
    """
    found = []
    for transformation in scene.get("coordinateTransformations") or []:
        for end in ("input", "output"):
            ref = transformation.get(end) if isinstance(transformation, Mapping) else None
            if isinstance(ref, Mapping) and ref.get("path"):
                found.append((ref["path"], ref.get("name")))
    return found


def _transform_json(
    path: str, system: str, scale: list[Any], translation: list[Any] | None
) -> dict[str, Any]:
    """A dataset's one transformation: a scale, or a sequence of a scale and a translation."""
    ends = {"input": {"path": path}, "output": {"name": system}}
    if translation is None:
        return {"type": "scale", "scale": scale, **ends}
    steps = [{"type": "scale", "scale": scale}, {"type": "translation", "translation": translation}]
    return {"type": "sequence", "transformations": steps, **ends}


INTRINSIC_SYSTEM = "intrinsic"
"""The name of the system the datasets of a non-axis-aligned image map to (level 0's pixel centres)."""


def _intrinsic(system: str) -> str:
    return INTRINSIC_SYSTEM if system != INTRINSIC_SYSTEM else f"{INTRINSIC_SYSTEM}_array"


def _outer_json(image: Multiscale, system: str) -> list[dict[str, Any]]:
    """The multiscale-level transformation of a non-axis-aligned image: from its datasets' (intrinsic)
    system to its physical one; ``[]`` for an axis-aligned image."""
    found = {level.transformation for level in image.levels if level.transformation is not None}
    if not found:
        return []
    if len(found) > 1 or image.levels[0].transformation is None:
        raise InvalidImageError(
            "the levels of an image must share one non-axis-aligned transformation (after their own "
            "scale and translation) to be written; these have several"
        )
    (transformation,) = found
    ends = {"input": {"name": _intrinsic(system)}, "output": {"name": system}}
    return [{**transformation_json(transformation), **ends}]


def _given_dataset(dataset: Mapping[str, Any], system: str) -> dict[str, Any]:
    """A caller's 0.4-style dataset (one scale, maybe one translation) in 0.6 form, values as given."""
    transforms = list(dataset["coordinateTransformations"])
    scale = next(t["scale"] for t in transforms if t["type"] == "scale")
    translation = next((t["translation"] for t in transforms if t["type"] == "translation"), None)
    path = str(dataset["path"])
    return {"path": path, "coordinateTransformations": [_transform_json(path, system, scale, translation)]}


def multiscale_json(
    image: Multiscale, fmt: Format, datasets: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The OME metadata of a 0.6 image group (unwrapped: ``fmt.wrap`` makes the group attributes).

    ``datasets`` are a caller's own 0.4-style datasets (the seed API); their values are kept.

    Examples
    --------
    >>> from xarray_omezarr.geometry.axes import axes_from_dims
    >>> image = Multiscale(tuple(axes_from_dims("yx")), (Level("0", (4, 4), (LinearAxis(), LinearAxis(0.5, 2.0))),))
    >>> multiscale_json(image, FormatV06())["multiscales"][0]["datasets"][0]["coordinateTransformations"][0]["type"]
    'sequence'
    """
    validate_axes(image.axes)
    system = system_name(image.name, image.coordinate_system)
    if datasets is None:
        outer = _outer_json(image, system)
        output = _intrinsic(system) if outer else system
        built = [
            _transform_json(
                level.path,
                output,
                [float(a.scale) for a in level.geometry],
                [float(a.translation) for a in level.geometry]
                if any(a.translation != 0 for a in level.geometry)
                else None,
            )
            for level in image.levels
        ]
        documents = [
            {"path": level.path, "coordinateTransformations": [t]}
            for level, t in zip(image.levels, built, strict=True)
        ]
    else:
        check_datasets(datasets, len(image.axes))
        documents = [_given_dataset(d, system) for d in datasets]
    if not documents:
        raise InvalidImageError("a multiscale image needs at least one dataset")
    multiscale: dict[str, Any] = {}
    if image.name is not None:
        multiscale["name"] = image.name
    multiscale["coordinateSystems"] = [{"name": system, "axes": [a.to_json() for a in image.axes]}]
    if datasets is None and outer:
        # array space: no units, no anatomy
        intrinsic = [
            {k: v for k, v in a.to_json().items() if k not in ("unit", "orientation")} for a in image.axes
        ]
        multiscale["coordinateSystems"].append({"name": _intrinsic(system), "axes": intrinsic})
    multiscale["datasets"] = documents
    if datasets is None and outer:
        multiscale["coordinateTransformations"] = outer
    multiscale.update({k: v for k, v in image.extra.items() if k not in _KNOWN_KEYS})
    if image.method is not None:
        multiscale.setdefault("type", image.method)
    if image.method_metadata is not None:
        multiscale.setdefault("metadata", dict(image.method_metadata))
    ome: dict[str, Any] = {"multiscales": [multiscale]}
    if image.omero:
        ome["omero"] = check_omero(image.omero)
    return ome


# --- reading -------------------------------------------------------------------------------------------


def _flattened(transform: Any, where: str) -> list[Mapping[str, Any]]:
    """A transformation as a flat list of axis-aligned steps, or a clear error for any other type."""
    kind = transform.get("type") if isinstance(transform, Mapping) else None
    if kind == "sequence":
        steps = transform.get("transformations")
        if not isinstance(steps, list) or not steps:
            raise MalformedStoreError(f"{where} is a sequence without 'transformations'")
        return [step for inner in steps for step in _flattened(inner, where)]
    if kind in _AXIS_ALIGNED:
        return [transform]
    if isinstance(kind, str):
        raise UnsupportedTransformError(
            f"{where} has a {kind!r} transformation; this version of xarray-omezarr reads only identity, "
            "scale, translation and sequences of them as coordinates (affine, rotation and other "
            "OME-NGFF 0.6 transformations are not supported yet)"
        )
    raise MalformedStoreError(f"{where} has a transformation without a 'type': {transform!r}")


def _linear(transform: Any, ndim: int, where: str) -> list[LinearAxis]:
    try:
        return parse_transforms(_flattened(transform, where), ndim, where)
    except UnsupportedTransformError:
        raise
    except ValueError as error:
        raise MalformedStoreError(str(error)) from None


def system_axes(block: Mapping[str, Any]) -> dict[str, tuple[Axis, ...]]:
    """The axes of each coordinate system a 0.6 multiscale or scene lists, by the system's name.

    Examples
    --------
    >>> system_axes({"coordinateSystems": [{"name": "world", "axes": [{"name": "x", "unit": "micrometer"}]}]})
    {'world': (Axis(name='x', type=None, unit='micrometer', orientation=None),)}
    """
    raw = block.get("coordinateSystems")
    if not isinstance(raw, list) or not raw:
        raise MalformedStoreError(
            "an OME-NGFF 0.6 multiscale or scene needs a non-empty 'coordinateSystems' list"
        )
    systems: dict[str, tuple[Axis, ...]] = {}
    for entry in raw:
        name = entry.get("name") if isinstance(entry, Mapping) else None
        axes = entry.get("axes") if isinstance(entry, Mapping) else None
        if not isinstance(name, str) or not name or not isinstance(axes, list):
            raise MalformedStoreError(f"every coordinate system needs a 'name' and 'axes'; got {entry!r}")
        if name in systems:
            raise MalformedStoreError(f"coordinate system {name!r} is listed more than once")
        try:
            systems[name] = tuple(Axis.from_json(a) for a in axes)
        except ValueError as error:
            raise MalformedStoreError(f"coordinate system {name!r}: {error}") from None
    return systems


def _dataset_transform(dataset: Mapping[str, Any], path: str) -> tuple[Any, str]:
    """A dataset's one transformation and the name of the system it leads to."""
    transforms = dataset.get("coordinateTransformations")
    if not isinstance(transforms, list) or len(transforms) != 1:
        raise MalformedStoreError(
            f"dataset {path!r} needs exactly one coordinate transformation in OME-NGFF 0.6; got {transforms!r}"
        )
    transform = transforms[0]
    if not isinstance(transform, Mapping):
        raise MalformedStoreError(f"dataset {path!r} has a transformation that is not an object")
    if "input" in transform and reference(transform["input"], f"dataset {path!r} input") != path:
        raise MalformedStoreError(
            f"dataset {path!r} has a transformation whose input is {transform['input']!r}, not its own path"
        )
    if "output" not in transform:
        raise MalformedStoreError(f"dataset {path!r} has a transformation without an 'output' system")
    return transform, reference(transform["output"], f"dataset {path!r} output")


def _inverse(axis: LinearAxis) -> LinearAxis:
    return LinearAxis(1.0 / axis.scale, -axis.translation / axis.scale)


def _outer(
    multiscale: Mapping[str, Any], start: str, target: str, ndim: int, strict: bool = False
) -> tuple[list[LinearAxis], str]:
    """The multiscale-level transformations from ``start`` to ``target`` composed, and the system reached.

    Each step is taken forwards, or backwards (inverted) where only the reverse transformation is
    listed. Without any path to ``target`` the image stays in ``start``, the datasets' own system.
    """
    geometry = [LinearAxis() for _ in range(ndim)]
    chain, reached = multiscale_chain(multiscale, start, target, strict)
    for step, forward in chain:
        inner = _linear(
            step, ndim, f"the multiscale's transformation from {ends(step)[0 if forward else 1]!r}"
        )
        if not forward:
            inner = [_inverse(i) for i in inner]
        geometry = [g.then(i) for g, i in zip(geometry, inner, strict=True)]
    return geometry, reached


def _target(systems: Mapping[str, Any], coordinate_system: str | None) -> str:
    if coordinate_system is None:
        return next(iter(systems))
    if coordinate_system not in systems:
        raise InvalidImageError(
            f"coordinate system {coordinate_system!r} is not one of the image's coordinate systems: "
            f"{list(systems)}"
        )
    return coordinate_system


def multiscale_from_json(
    ome: Mapping[str, Any],
    arrays: Sequence[tuple[tuple[int, ...], Any, tuple[int, ...] | None, tuple[int, ...] | None]],
    index: int = 0,
    coordinate_system: str | None = None,
) -> Multiscale:
    """Multiscale ``index`` of 0.6 OME metadata, with its arrays' ``(shape, dtype, chunks, shards)``.

    The image's axes are those of ``coordinate_system`` (by default the first, the physical one); each
    level's geometry is its dataset's transformation followed by the multiscale's transformations to
    that system. Levels whose transformations are not axis-aligned (an affine, a rotation...) keep the
    composed RFC-5 transformation in :attr:`Level.transformation` instead.

    Examples
    --------
    >>> ome = {"version": "0.6", "multiscales": [{"coordinateSystems": [{"name": "a", "axes": [
    ...     {"name": "y", "type": "space"}, {"name": "x", "type": "space"}]}], "datasets": [{"path": "0",
    ...     "coordinateTransformations": [{"type": "scale", "scale": [2, 3], "input": "0", "output": "a"}]}]}]}
    >>> multiscale_from_json(ome, [((4, 4), "uint8", None, None)]).levels[0].geometry[1]
    LinearAxis(scale=3.0, translation=0.0)
    """
    paths = dataset_paths(ome, index)
    multiscale = ome["multiscales"][index]
    systems = system_axes(multiscale)
    target = _target(systems, coordinate_system)
    strict = coordinate_system is not None
    ndim = len(arrays[0][0])
    transforms, found, source = [], [], None
    for path, dataset, (shape, _dtype, chunks, shards) in zip(
        paths, multiscale["datasets"], arrays, strict=True
    ):
        if len(shape) != ndim:
            raise MalformedStoreError(f"dataset {path!r} has {len(shape)} dimensions, level 0 has {ndim}")
        transform, output = _dataset_transform(dataset, path)
        if output not in systems:
            raise MalformedStoreError(
                f"dataset {path!r} maps to coordinate system {output!r}, which 'coordinateSystems' does not list"
            )
        if source is not None and output != source:
            raise MalformedStoreError(
                f"the datasets map to different coordinate systems ({source!r}, {output!r}); they must share one"
            )
        source = output
        transforms.append(transform)
        found.append((path, tuple(shape), chunks, shards))
    assert source is not None
    try:
        inner = [_linear(t, ndim, f"dataset {p!r}") for t, (p, *_rest) in zip(transforms, found, strict=True)]
        outer, reached = _outer(multiscale, source, target, ndim, strict)
        levels = [
            Level(path, shape, tuple(i.then(o) for i, o in zip(geometry, outer, strict=True)), chunks, shards)
            for geometry, (path, shape, chunks, shards) in zip(inner, found, strict=True)
        ]
    except UnsupportedTransformError:
        levels, reached = general_levels(multiscale, transforms, found, source, target, strict)
    axes = systems[reached]
    if len(axes) != ndim:
        raise MalformedStoreError(
            f"coordinate system {reached!r} has {len(axes)} axes but the arrays have {ndim} dimensions"
        )
    name = multiscale.get("name")
    omero = ome.get("omero")
    method_metadata = multiscale.get("metadata")
    return Multiscale(
        axes=axes,
        levels=tuple(levels),
        dtype=arrays[0][1],
        name=name if isinstance(name, str) else None,
        method=multiscale.get("type") if isinstance(multiscale.get("type"), str) else None,
        method_metadata=method_metadata if isinstance(method_metadata, Mapping) else None,
        omero=omero if isinstance(omero, Mapping) else None,
        version=version_of(dict(ome)),
        extra={k: v for k, v in multiscale.items() if k not in _KNOWN_KEYS},
        coordinate_system=reached,
    )


def level0_geometry(ome: Mapping[str, Any], names: Sequence[str]) -> dict[str, LinearAxis]:
    """Level 0's geometry by axis name from 0.6 metadata read earlier; ``{}`` when it holds none usable.

    Examples
    --------
    >>> ome = {"version": "0.6", "multiscales": [{"coordinateSystems": [{"name": "a", "axes": [
    ...     {"name": "z"}, {"name": "y"}]}], "datasets": [{"path": "0", "coordinateTransformations": [
    ...     {"type": "scale", "scale": [2.5, 1.0], "input": {"path": "0"}, "output": {"name": "a"}}]}]}]}
    >>> level0_geometry(ome, ["z"])["z"].scale
    2.5
    """
    try:
        multiscale = dict(ome["multiscales"][0])
        multiscale["datasets"] = multiscale["datasets"][:1]
        ndim = len(next(iter(system_axes(multiscale).values())))
        image = multiscale_from_json({**ome, "multiscales": [multiscale]}, [((1,) * ndim, None, None, None)])
    except (KeyError, TypeError, ValueError, IndexError, NotImplementedError):
        return {}
    geometry = dict(zip(image.dims, image.levels[0].geometry, strict=True))
    return {name: geometry[name] for name in names if name in geometry}
