"""Coordinate systems linked by transformations: the chain from one system to another.

Each transformation is a directed edge from its input system to its output system; an invertible one
(a scale, a non-singular affine, a bijection...) is also an edge back. The chain between two systems
is the one with the fewest transformations (and, among those, the fewest inverted ones).

A *cycle* is a chain of the transformations as written (never their inverses) that leads from a
system back to itself: ``a -> b -> a`` (two transformations that each claim to be the mapping
between ``a`` and ``b``, which RFC-5 writes as one ``bijection``) or ``a -> b -> c -> a``. With a
cycle, two systems are linked by two different chains that may disagree, so a scene with one is
refused. Two chains that merely meet (tiles ``a -> world`` and ``b -> world``) are no cycle.

Examples
--------
>>> from .transformations import Scale, Translation
>>> graph = TransformationGraph()
>>> for name in ("array", "physical", "world"):
...     graph.add_system(SystemRef(name), CoordinateSystem(name, (CoordinateAxis("y"), CoordinateAxis("x"))))
>>> graph.add_transformation(Scale((2.0, 2.0), input=SystemRef("array"), output=SystemRef("physical")))
>>> graph.add_transformation(Translation((10.0, 0.0), input=SystemRef("physical"), output=SystemRef("world")))
>>> graph.transform_points([[1.0, 1.0]], "array", "world")
array([[12.,  2.]])
>>> graph.transform_points([[12.0, 2.0]], "world", "array")
array([[1., 1.]])
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import TransformationError
from .composite import Bijection, ByDimension, Sequence
from .transformations import Identity, SystemRef, Transformation, as_points

__all__ = ["CoordinateAxis", "CoordinateSystem", "SystemLike", "TransformationGraph"]

SystemLike = str | SystemRef | Mapping[str, str]
"""A coordinate system as callers name it: its name (or an array's path), a :class:`SystemRef`, or
``{"name": ..., "path": ...}`` as in the JSON."""


@dataclass(frozen=True)
class CoordinateAxis:
    """An axis of a coordinate system."""

    name: str
    type: str | None = None
    unit: str | None = None
    discrete: bool | None = None


@dataclass(frozen=True)
class CoordinateSystem:
    """A named coordinate system and its axes, in order."""

    name: str
    axes: tuple[CoordinateAxis, ...]

    @property
    def axis_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.axes)

    @property
    def ndim(self) -> int:
        return len(self.axes)


@dataclass(frozen=True)
class _Edge:
    target: SystemRef
    transformation: Transformation
    inverted: bool

    def step(self) -> Transformation:
        return self.transformation.inverse() if self.inverted else self.transformation


class TransformationGraph:
    """Coordinate systems (nodes) and the transformations between them (directed edges)."""

    def __init__(self) -> None:
        self.systems: dict[SystemRef, CoordinateSystem] = {}
        self.transformations: list[Transformation] = []
        self._edges: dict[SystemRef, list[_Edge]] = {}

    def add_system(self, ref: SystemRef, system: CoordinateSystem) -> None:
        """Add a coordinate system; a name used twice in one place is an error."""
        if ref in self.systems:
            raise TransformationError(f"coordinate system {ref} is defined twice; names must be unique")
        self.systems[ref] = system
        self._edges.setdefault(ref, [])

    def _known(self) -> str:
        return ", ".join(str(r) for r in self.systems) or "none"

    def add_transformation(self, t: Transformation) -> None:
        """Add a transformation between two systems already added, after checking its dimensions."""
        if t.input is None or t.output is None:
            raise TransformationError(
                f"the {t.describe()} needs both an input and an output coordinate system"
            )
        for end, ref in (("input", t.input), ("output", t.output)):
            if ref not in self.systems:
                raise TransformationError(
                    f"the {t.describe()} has the {end} system {ref}, which is not defined; "
                    f"defined systems: {self._known()}"
                )
        start, goal = t.input, t.output
        source, target = self.systems[start], self.systems[goal]
        t = _with_axis_names(t, source.axis_names, target.axis_names)
        try:
            ndim = t.output_ndim(source.ndim)
        except TransformationError as error:
            raise TransformationError(
                f"{error} (input system {t.input} has axes {list(source.axis_names)})"
            ) from None
        if ndim != target.ndim:
            raise TransformationError(
                f"the {t.describe()} gives {ndim}-dimensional points, but its output system {t.output} "
                f"has {target.ndim} axes {list(target.axis_names)}"
            )
        self.transformations.append(t)
        self._edges[start].append(_Edge(goal, t, inverted=False))
        if t.invertible:
            self._edges[goal].append(_Edge(start, t, inverted=True))

    def resolve(self, system: SystemLike, role: str = "coordinate") -> SystemRef:
        """The system a caller means: a root system's name, an array's path, or a name unique in the store."""
        if isinstance(system, SystemRef):
            candidates = [system]
        elif isinstance(system, Mapping):
            name, path = system.get("name"), system.get("path", "")
            candidates = [SystemRef(name or None, str(path).strip("/"))]
        elif isinstance(system, str):
            named = [r for r in self.systems if r.name == system]
            candidates = [SystemRef(system), SystemRef(None, system.strip("/"))]
            candidates += named if len(named) == 1 else []
        else:
            raise TransformationError(
                f"a {role} system is a name, a SystemRef or {{'name', 'path'}}; got {system!r}"
            )
        for ref in candidates:
            if ref in self.systems:
                return ref
        raise TransformationError(f"unknown {role} system {system!r}; the store defines: {self._known()}")

    def path(self, source: SystemLike, target: SystemLike) -> list[Transformation]:
        """The transformations, in order, that lead from ``source`` to ``target`` (none if they are the same)."""
        start, goal = self.resolve(source, "source"), self.resolve(target, "target")
        best: dict[SystemRef, tuple[int, int]] = {start: (0, 0)}
        previous: dict[SystemRef, tuple[SystemRef, _Edge]] = {}
        order = {ref: i for i, ref in enumerate(self.systems)}
        queue: list[tuple[int, int, int, SystemRef]] = [(0, 0, order[start], start)]
        while queue:
            hops, inverted, _, ref = heapq.heappop(queue)
            if (hops, inverted) > best[ref]:
                continue
            if ref == goal:
                break
            for edge in self._edges[ref]:
                cost = (hops + 1, inverted + edge.inverted)
                if edge.target not in best or cost < best[edge.target]:
                    best[edge.target] = cost
                    previous[edge.target] = (ref, edge)
                    heapq.heappush(queue, (*cost, order[edge.target], edge.target))
        if goal not in best:
            reachable = ", ".join(str(r) for r in best if r != start) or "none"
            raise TransformationError(
                f"no chain of transformations leads from {start} to {goal}; from {start} one reaches: {reachable}"
            )
        steps = []
        ref = goal
        while ref != start:
            ref, edge = previous[ref]
            steps.append(edge.step())
        return steps[::-1]

    def transformation(self, source: SystemLike, target: SystemLike) -> Transformation:
        """One transformation from ``source`` to ``target``: the chain as a sequence (identity if empty)."""
        start, goal = self.resolve(source, "source"), self.resolve(target, "target")
        steps = self.path(start, goal)
        if len(steps) == 1:
            return steps[0]
        if not steps:
            return Identity(input=start, output=goal)
        return Sequence(tuple(steps), input=start, output=goal)

    def transform_points(self, points: Any, source: SystemLike, target: SystemLike) -> np.ndarray:
        """Map ``(N, ndim)`` points of ``source`` to ``target``."""
        start = self.resolve(source, "source")
        system = self.systems[start]
        array = np.asarray(points, dtype=np.float64)
        if array.ndim == 2 and array.shape[1] != system.ndim:
            raise TransformationError(
                f"points have {array.shape[1]} coordinates each, but the source system {start} has "
                f"{system.ndim} axes {list(system.axis_names)}"
            )
        array = as_points(array, system.ndim)
        out = array
        for step in self.path(start, target):
            out = step._apply(out)
        return out if out is not array else out.copy()

    def find_cycle(self) -> list[SystemRef] | None:
        """A cycle among the transformations as written, as the systems it passes (first = last), or None."""
        written: dict[SystemRef, list[SystemRef]] = {ref: [] for ref in self.systems}
        for t in self.transformations:
            assert t.input is not None and t.output is not None
            written[t.input].append(t.output)
        state: dict[SystemRef, int] = {}  # 1: on the current chain, 2: done
        for root in written:
            if root in state:
                continue
            chain = [root]
            state[root] = 1
            stack = [iter(written[root])]
            while stack:
                step = next(stack[-1], None)
                if step is None:
                    state[chain.pop()] = 2
                    stack.pop()
                elif state.get(step) == 1:
                    return [*chain[chain.index(step) :], step]
                elif step not in state:
                    state[step] = 1
                    chain.append(step)
                    stack.append(iter(written[step]))
        return None

    def check_acyclic(self) -> None:
        """Refuse transformations that form a cycle (see the module's documentation)."""
        cycle = self.find_cycle()
        if cycle is not None:
            raise TransformationError(
                "the coordinate transformations form a cycle: "
                + " -> ".join(str(r) for r in cycle)
                + "; two systems must be linked by one chain of transformations (write a transformation "
                "and its inverse as one 'bijection', and leave out redundant ones)"
            )


def _with_axis_names(t: Transformation, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> Transformation:
    if isinstance(t, ByDimension):
        return t.with_axis_names(inputs, outputs)
    if isinstance(t, Bijection):
        return Bijection(
            _with_axis_names(t.forward, inputs, outputs),
            _with_axis_names(t.inverse_transformation, outputs, inputs),
            name=t.name,
            input=t.input,
            output=t.output,
        )
    return t
