"""A store's RFC-5 coordinate systems and transformations, and points mapped between them.

The store side of :mod:`xarray_omezarr.geometry.rfc5`: this module opens groups and arrays, hands
the JSON it finds to the pure parsers, reads parameters stored in arrays (an affine matrix by
``path``), and builds the graph of every coordinate system the store defines:

- an image's ``multiscales[*].coordinateSystems``, each dataset's array as a system of its own
  (named by the array's path, in array-index space: index ``i`` is the centre of pixel ``i``), each
  dataset's transformations from its array, and the multiscale's own ``coordinateTransformations``;
- a scene's ``coordinateSystems`` and ``coordinateTransformations``, following references into the
  groups they name (``{"path": "tile_0", "name": "physical"}``), whose images are read the same way;
- ``coordinateSystems`` and ``coordinateTransformations`` at the top of a group's OME metadata.

Paths are relative to the group whose metadata names them and never lead outside the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import zarr

from .errors import MalformedStoreError, TransformationError, UnsupportedTransformError
from .geometry.axes import Axis
from .geometry.rfc5 import (
    CoordinateAxis,
    CoordinateSystem,
    Sequence,
    SystemLike,
    SystemRef,
    Transformation,
    TransformationGraph,
    axis_aligned,
    parse_coordinate_system,
    parse_transformation,
    with_parameters,
)
from .model import Multiscale
from .ngff import ome_attributes
from .ngff.multiscale import safe_relative_path
from .stores import StoreLike, open_readonly_group

__all__ = ["in_scene_system", "read_transformation_graph", "transform_points"]


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def _file(path: str) -> str:
    return _join(path, "zarr.json") if path else "zarr.json"


class _GraphReader:
    """Reads the groups of one store into one graph, each group once."""

    def __init__(self, root: zarr.Group) -> None:
        self.root = root
        self.graph = TransformationGraph()
        self.read_groups: set[str] = set()

    def node(self, path: str, what: str) -> zarr.Group | zarr.Array:
        if path:
            safe_relative_path(path, what)  # a clear error for a path out of the store
        try:
            return self.root[path] if path else self.root
        except KeyError:
            raise MalformedStoreError(
                f"the metadata names the {what} {path!r}, but the store has nothing there"
            ) from None

    def load_array(self, prefix: str, path: str) -> np.ndarray:
        """The values of a parameter array: ``path`` relative to the group at ``prefix`` (``/...``: the root)."""
        full = safe_relative_path(path.lstrip("/"), "parameter array")
        full = full if path.startswith("/") else _join(prefix, full)
        node = self.node(full, "parameter array")
        if not isinstance(node, zarr.Array):
            raise MalformedStoreError(f"the transformation parameters at {full!r} are a group, not an array")
        return np.asarray(node[...], dtype=np.float64)

    def system(self, ref: SystemRef, system: CoordinateSystem) -> None:
        if self.graph.systems.get(ref) == system:
            return  # the same system listed by two multiscales of one image
        self.graph.add_system(ref, system)

    def transformation(
        self, obj: Any, prefix: str, defaults: Mapping[str, SystemRef | None]
    ) -> Transformation:
        """Parse, rebase the ends onto ``prefix`` (defaults where missing), read parameters stored by path."""
        try:
            t = parse_transformation(obj)
        except TransformationError as error:
            raise TransformationError(f"{_file(prefix)}: {error}") from None
        ends: dict[str, Any] = {}
        for end in ("input", "output"):
            ref = getattr(t, end)
            ends[end] = ref.rebased(prefix) if ref is not None else defaults.get(end)
        t = with_parameters(t, lambda path: self.load_array(prefix, path))
        return replace(t, **ends)

    def add_group(self, prefix: str) -> None:
        if prefix in self.read_groups:
            return
        self.read_groups.add(prefix)
        group = self.node(prefix, "group")
        if not isinstance(group, zarr.Group):
            raise MalformedStoreError(
                f"{prefix!r} is named as a group of coordinate systems, but it is an array"
            )
        ome = ome_attributes(dict(group.attrs))
        multiscales = ome.get("multiscales")
        if isinstance(multiscales, list):
            for multiscale in multiscales:
                if isinstance(multiscale, Mapping):
                    self.add_multiscale(prefix, multiscale, ome.get("version"))
        if "coordinateSystems" in ome or "coordinateTransformations" in ome:
            self.add_scene(prefix, ome)  # systems and transformations at the top, as the spec's examples
        if isinstance(ome.get("scene"), Mapping):
            self.add_scene(prefix, ome["scene"])

    def add_systems(self, prefix: str, systems: Any) -> None:
        if systems is None:
            return
        if not isinstance(systems, list):
            raise TransformationError(f"{_file(prefix)}: coordinateSystems must be a list")
        for obj in systems:
            try:
                system = parse_coordinate_system(obj)
            except TransformationError as error:
                raise TransformationError(f"{_file(prefix)}: {error}") from None
            self.system(SystemRef(system.name, prefix), system)

    def add_multiscale(self, prefix: str, multiscale: Mapping[str, Any], version: Any) -> None:
        systems = multiscale.get("coordinateSystems")
        if not systems:
            raise TransformationError(
                f"{_file(prefix)}: the multiscale image has no coordinateSystems (OME-NGFF version "
                f"{version!r}); transform_points maps points between the coordinate systems of OME-NGFF "
                "0.6 (RFC-5) images and scenes"
            )
        self.add_systems(prefix, systems)
        first = parse_coordinate_system(systems[0]).name if isinstance(systems, list) and systems else None
        edges = []
        for dataset in multiscale.get("datasets") or []:
            path = safe_relative_path(
                dataset.get("path") if isinstance(dataset, Mapping) else None, "dataset"
            )
            array = self.node(_join(prefix, path), "dataset")
            if not isinstance(array, zarr.Array):
                raise MalformedStoreError(f"dataset {_join(prefix, path)!r} is a group, not an array")
            names = getattr(array.metadata, "dimension_names", None) or [
                f"dim_{i}" for i in range(array.ndim)
            ]
            axes = tuple(CoordinateAxis(str(n), discrete=True) for n in names)
            array_ref = SystemRef(None, _join(prefix, path))
            self.system(array_ref, CoordinateSystem(_join(prefix, path), axes))
            defaults = {"input": array_ref, "output": SystemRef(first, prefix) if first else None}
            steps = [
                self.transformation(t, prefix, defaults)
                for t in dataset.get("coordinateTransformations") or []
            ]
            if len(steps) > 1 and all(s.input == array_ref and s.output == steps[0].output for s in steps):
                steps = [Sequence(tuple(steps), input=array_ref, output=steps[0].output)]  # 0.5-style list
            edges += steps
        edges += [
            self.transformation(t, prefix, {}) for t in multiscale.get("coordinateTransformations") or []
        ]
        for t in edges:
            self.graph.add_transformation(t)

    def add_scene(self, prefix: str, scene: Mapping[str, Any]) -> None:
        self.add_systems(prefix, scene.get("coordinateSystems"))
        listed = scene.get("coordinateTransformations") or []
        if not isinstance(listed, list):
            raise TransformationError(f"{_file(prefix)}: coordinateTransformations must be a list")
        edges = [self.transformation(t, prefix, {}) for t in listed]
        for t in edges:
            for ref in (t.input, t.output):
                if ref is not None and ref.path != prefix and ref not in self.graph.systems:
                    group_path = ref.path if ref.name is not None else ref.path.rpartition("/")[0]
                    self.add_group(group_path)
        for t in edges:
            self.graph.add_transformation(t)


def read_transformation_graph(store: StoreLike | zarr.Group) -> TransformationGraph:
    """The graph of every coordinate system and transformation a store defines (see the module's notes).

    A cycle among the transformations as written (see :mod:`xarray_omezarr.geometry.rfc5.graph`) is refused.
    """
    reader = _GraphReader(open_readonly_group(store))
    reader.add_group("")
    reader.graph.check_acyclic()
    return reader.graph


def transform_points(
    store: StoreLike | zarr.Group, points: Any, *, source: SystemLike, target: SystemLike
) -> np.ndarray:
    """Map points from one coordinate system of an OME-Zarr store (0.6, RFC-5) to another.

    Parameters
    ----------
    store
        The image or scene: a path, URL, zarr store or group.
    points
        An ``(N, ndim)`` array, one row per point, in the order of ``source``'s axes (or one point of
        shape ``(ndim,)``).
    source, target
        Coordinate systems: a name (``"physical"``), a dataset's array path (``"s0"``: array-index
        space), ``{"name": "physical", "path": "tile_0"}`` for a system of a group inside a scene, or
        a :class:`~xarray_omezarr.geometry.rfc5.SystemRef`. A name that only one group defines may
        be given alone.

    Returns
    -------
    numpy.ndarray
        The points in ``target``: ``(N, ndim_target)`` (``(ndim_target,)`` for a single point).

    Raises
    ------
    TransformationError
        An unknown system (the message lists the known ones), no chain of transformations from
        ``source`` to ``target``, points of the wrong dimensionality, a chain that needs an inverse
        that does not exist, a displacement or coordinate field on the way, or a cycle.

    Examples
    --------
    >>> import zarr
    >>> group = zarr.open_group(zarr.storage.MemoryStore(), mode="w")
    >>> yx = [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}]
    >>> group.attrs["ome"] = {"version": "0.6", "scene": {
    ...     "coordinateSystems": [{"name": "a", "axes": yx}, {"name": "b", "axes": yx}],
    ...     "coordinateTransformations": [{"type": "affine", "affine": [[0, -1, 5], [1, 0, 0]],
    ...                                    "input": {"name": "a"}, "output": {"name": "b"}}]}}
    >>> transform_points(group, [[1.0, 2.0]], source="a", target="b")
    array([[3., 1.]])
    >>> transform_points(group, [3.0, 1.0], source="b", target="a")
    array([1., 2.])
    """
    graph = read_transformation_graph(store)
    array = np.asarray(points, dtype=np.float64)
    single = array.ndim == 1
    out = graph.transform_points(array[None, :] if single else array, source, target)
    return out[0] if single else out


def in_scene_system(
    graph: TransformationGraph, image: Multiscale, path: str, system: str, axes: tuple[Axis, ...]
) -> Multiscale:
    """``image`` (read at ``path`` of a scene, in its own system) placed in the scene's ``system``.

    Each level's placement is followed by the scene's chain from the image's system to ``system``
    (whose ``axes`` the image takes): exact geometry where the whole is axis-aligned, else the chain
    as the levels' shared :attr:`~xarray_omezarr.model.Level.transformation`, for lazy coordinates.
    """
    source = SystemRef(image.coordinate_system, path)
    try:
        steps = graph.path(source, SystemRef(system))
    except TransformationError as error:
        raise TransformationError(
            f"the scene image {path!r} cannot be shown in {system!r}: {error}"
        ) from None
    if not steps:
        return replace(image, axes=axes, coordinate_system=system)
    ndim = len(image.axes)
    detached = tuple(replace(step, name=None, input=None, output=None) for step in steps)
    chain: Transformation = detached[0] if len(detached) == 1 else Sequence(detached)
    if chain.output_ndim(ndim) != ndim or len(axes) != ndim:
        raise UnsupportedTransformError(
            f"the scene places the {ndim}-dimensional image {path!r} in the {len(axes)}-dimensional system "
            f"{system!r}; only placements that keep the number of dimensions are read as coordinates"
        )
    aligned = axis_aligned(chain, ndim)
    levels = []
    for level in image.levels:
        if aligned is not None and level.transformation is None:
            geometry = tuple(g.then(a) for g, a in zip(level.geometry, aligned, strict=True))
            levels.append(replace(level, geometry=geometry))
        else:
            own = () if level.transformation is None else (level.transformation,)
            rest = Sequence((*own, chain)) if own else chain
            levels.append(replace(level, transformation=rest))
    return replace(image, axes=axes, levels=tuple(levels), coordinate_system=system)
