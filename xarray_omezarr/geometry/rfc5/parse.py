"""RFC-5 transformations and coordinate systems from their JSON, and back (the released 0.6 form).

Reading accepts what peers write: ``input``/``output`` as objects (``{"name": ..., "path": ...}``)
or as bare system names, ``inputAxes``/``input_axes``, ``byDimension`` parts wrapped in
``{"transformation": ...}`` or inline, parameters inline or by ``path`` to an array (read later by the
store layer: see :func:`~.composite.with_parameters`). Writing gives the released 0.6 form: objects
for ``input``/``output``, ``inputAxes``/``outputAxes``, wrapped ``byDimension`` parts.

Examples
--------
>>> t = parse_transformation({"type": "scale", "scale": [2, 3], "input": "in", "output": {"name": "out"}})
>>> t
Scale(name=None, input=SystemRef(name='in', path=''), output=SystemRef(name='out', path=''), scale=(2.0, 3.0), path=None)
>>> transformation_json(t)
{'type': 'scale', 'scale': [2.0, 3.0], 'input': {'name': 'in'}, 'output': {'name': 'out'}}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ...errors import TransformationError
from .composite import Bijection, ByDimension, Coordinates, DimensionTransformation, Displacements, Sequence
from .graph import CoordinateAxis, CoordinateSystem
from .transformations import (
    Affine,
    Identity,
    InverseOf,
    MapAxis,
    ProjectAxis,
    Rotation,
    Scale,
    SystemRef,
    Transformation,
    Translation,
)

__all__ = [
    "coordinate_system_json",
    "parse_coordinate_system",
    "parse_system_ref",
    "parse_transformation",
    "parse_transformations",
    "system_ref_json",
    "transformation_json",
]

KNOWN_TYPES = (
    "identity",
    "mapAxis",
    "projectAxis",
    "translation",
    "scale",
    "affine",
    "rotation",
    "sequence",
    "inverseOf",
    "bijection",
    "byDimension",
    "displacements",
    "coordinates",
)


def _fail(what: str, obj: Any) -> TransformationError:
    text = repr(obj)
    return TransformationError(f"{what}; got {text if len(text) < 200 else text[:200] + '...'}")


def parse_system_ref(obj: Any) -> SystemRef | None:
    """A transformation's ``input`` or ``output``: a system name, or ``{"name": ..., "path": ...}``.

    Examples
    --------
    >>> parse_system_ref("physical"), parse_system_ref({"path": "s0"})
    (SystemRef(name='physical', path=''), SystemRef(name=None, path='s0'))
    """
    if obj is None:
        return None
    if isinstance(obj, str):
        return SystemRef(obj)
    if isinstance(obj, Mapping):
        name, path = obj.get("name"), obj.get("path", "")
        if (name is None or isinstance(name, str)) and isinstance(path, str) and (name or path):
            return SystemRef(name or None, path.strip("/"))
    raise _fail("a transformation's input or output must be a system name or {'name': ..., 'path': ...}", obj)


def system_ref_json(ref: SystemRef) -> dict[str, str]:
    """The released 0.6 form of a system reference: an object with ``name`` and/or ``path``."""
    out: dict[str, str] = {}
    if ref.name is not None:
        out["name"] = ref.name
    if ref.path:
        out["path"] = ref.path
    return out


def _numbers(values: Any, what: str) -> tuple[float, ...]:
    if not isinstance(values, list | tuple) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values
    ):
        raise _fail(f"{what} must be a list of finite numbers", values)
    return tuple(float(v) for v in values)


def _matrix(values: Any, what: str) -> tuple[tuple[float, ...], ...]:
    if not isinstance(values, list | tuple) or not values:
        raise _fail(f"{what} must be a list of rows of numbers", values)
    return tuple(_numbers(row, f"each row of {what}") for row in values)


def _indices(values: Any, what: str) -> tuple[int, ...]:
    numbers = _numbers(values, what)
    if not all(v.is_integer() and v >= 0 for v in numbers):
        raise _fail(f"{what} must be non-negative integers", values)
    return tuple(int(v) for v in numbers)


def _axes(values: Any, what: str) -> tuple[int | str, ...]:
    if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
        return tuple(values)
    return _indices(values, what)


def _parameters(obj: Mapping[str, Any], key: str, kind: str) -> dict[str, Any]:
    """Inline parameters under ``key``, or a ``path`` to the array that holds them."""
    if key in obj:
        values = _matrix(obj[key], f"the {kind} matrix") if kind in ("affine", "rotation") else None
        if values is None:
            values = _numbers(obj[key], f"the {kind} vector")  # type: ignore[assignment]
        return {key: values, "path": obj.get("path") if isinstance(obj.get("path"), str) else None}
    if isinstance(obj.get("path"), str):
        return {key: None, "path": obj["path"]}
    raise _fail(f"a {kind} transformation needs {key!r} (inline) or 'path' (an array)", dict(obj))


def _part(item: Any) -> DimensionTransformation:
    if not isinstance(item, Mapping):
        raise _fail("each part of a byDimension transformation must be an object", item)
    inputs = item.get("inputAxes", item.get("input_axes"))
    outputs = item.get("outputAxes", item.get("output_axes"))
    if inputs is None or outputs is None:
        raise _fail("each part of a byDimension transformation needs inputAxes and outputAxes", dict(item))
    if "transformation" in item:
        inner = parse_transformation(item["transformation"])
    else:  # the inline form: the part is the transformation, with its axes beside its parameters
        keys = ("inputAxes", "input_axes", "outputAxes", "output_axes")
        inner = parse_transformation({k: v for k, v in item.items() if k not in keys})
    return DimensionTransformation(inner, _axes(inputs, "inputAxes"), _axes(outputs, "outputAxes"))


def _sequence_items(obj: Mapping[str, Any], key: str = "transformations") -> tuple[Transformation, ...]:
    items = obj.get(key)
    if not isinstance(items, list):
        raise _fail(f"a {obj.get('type')} transformation needs a list {key!r}", dict(obj))
    if obj.get("type") == "sequence":
        for item in items:
            if isinstance(item, Mapping) and any(k in item for k in ("inputAxes", "input_axes")):
                raise _fail(
                    "a sequence's transformations act on all axes; transformations of some axes "
                    "(inputAxes/outputAxes) belong in a byDimension transformation",
                    dict(item),
                )
    return tuple(parse_transformation(item) for item in items)


def parse_transformation(obj: Any) -> Transformation:
    """One transformation from its JSON object (any of the forms peers write).

    Examples
    --------
    >>> parse_transformation({"type": "mapAxis", "mapAxis": [1, 0]}).apply([[1.0, 2.0]])
    array([[2., 1.]])
    """
    if not isinstance(obj, Mapping) or not isinstance(obj.get("type"), str):
        raise _fail("a coordinate transformation must be an object with a 'type'", obj)
    kind = obj["type"]
    name = obj.get("name")
    ends: dict[str, Any] = {
        "name": name if isinstance(name, str) else None,
        "input": parse_system_ref(obj.get("input")),
        "output": parse_system_ref(obj.get("output")),
    }
    if kind == "identity":
        return Identity(**ends)
    if kind == "mapAxis":
        return MapAxis(_indices(obj.get("mapAxis"), "mapAxis"), **ends)
    if kind == "projectAxis":
        dropped = _indices(obj.get("droppedInputs", []), "droppedInputs")
        created = _indices(obj.get("createdOutputs", []), "createdOutputs")
        return ProjectAxis(dropped, created, **ends)
    if kind == "translation":
        return Translation(**_parameters(obj, "translation", kind), **ends)
    if kind == "scale":
        return Scale(**_parameters(obj, "scale", kind), **ends)
    if kind == "affine":
        return Affine(**_parameters(obj, "affine", kind), **ends)
    if kind == "rotation":
        return Rotation(**_parameters(obj, "rotation", kind), **ends)
    if kind == "sequence":
        return Sequence(_sequence_items(obj), **ends)
    if kind == "inverseOf":
        return InverseOf(parse_transformation(obj.get("transformation")), **ends)
    if kind == "bijection":
        return Bijection(
            parse_transformation(obj.get("forward")), parse_transformation(obj.get("inverse")), **ends
        )
    if kind == "byDimension":
        parts = obj.get("transformations")
        if not isinstance(parts, list):
            raise _fail("a byDimension transformation needs a list 'transformations'", dict(obj))
        return ByDimension(tuple(_part(p) for p in parts), **ends)
    if kind in ("displacements", "coordinates"):
        if not isinstance(obj.get("path"), str):
            raise _fail(f"a {kind} transformation needs the 'path' of its field array", dict(obj))
        interpolation = obj.get("interpolation", "linear")
        field_class = Displacements if kind == "displacements" else Coordinates
        return field_class(path=obj["path"], interpolation=str(interpolation), **ends)
    raise TransformationError(
        f"unknown coordinate transformation type {kind!r}; known types: {', '.join(KNOWN_TYPES)}"
    )


def parse_transformations(obj: Any) -> list[Transformation]:
    """A ``coordinateTransformations`` list."""
    if not isinstance(obj, list):
        raise _fail("coordinateTransformations must be a list of transformations", obj)
    return [parse_transformation(t) for t in obj]


def _parameter_json(t: Transformation, key: str) -> dict[str, Any]:
    values = getattr(t, key)
    if getattr(t, "path", None):
        return {"path": t.path}  # type: ignore[attr-defined]
    if values and isinstance(values[0], tuple):
        return {key: [list(row) for row in values]}
    return {key: list(values)}


def transformation_json(t: Transformation) -> dict[str, Any]:
    """The released 0.6 JSON of a transformation (parameters stored by path stay a ``path``).

    Examples
    --------
    >>> transformation_json(Scale((2.0,)).inverse())
    {'type': 'scale', 'scale': [0.5]}
    """
    out: dict[str, Any] = {"type": t.type_name}
    if isinstance(t, MapAxis):
        out["mapAxis"] = list(t.map_axis)
    elif isinstance(t, ProjectAxis):
        if t.dropped_inputs:
            out["droppedInputs"] = list(t.dropped_inputs)
        if t.created_outputs:
            out["createdOutputs"] = list(t.created_outputs)
    elif isinstance(t, Translation | Scale | Affine | Rotation):
        out.update(_parameter_json(t, t.type_name))
    elif isinstance(t, Sequence):
        out["transformations"] = [transformation_json(s) for s in t.transformations]
    elif isinstance(t, InverseOf):
        inner = t.transformation
        if isinstance(inner, Scale) and inner.scale is not None and not inner.path:
            # 0.6 has no inverseOf: a scale's inverse is written as the scale by the reciprocals
            out = {"type": "scale", "scale": [1.0 / s for s in inner.scale]}
        else:
            out["transformation"] = transformation_json(inner)
    elif isinstance(t, Bijection):
        out["forward"] = transformation_json(t.forward)
        out["inverse"] = transformation_json(t.inverse_transformation)
    elif isinstance(t, ByDimension):
        out["transformations"] = [
            {
                "transformation": transformation_json(p.transformation),
                "inputAxes": list(p.input_axes),
                "outputAxes": list(p.output_axes),
            }
            for p in t.transformations
        ]
    elif isinstance(t, Displacements):  # and Coordinates
        out["path"] = t.path
        out["interpolation"] = t.interpolation
    if t.name is not None:
        out["name"] = t.name
    if t.input is not None:
        out["input"] = system_ref_json(t.input)
    if t.output is not None:
        out["output"] = system_ref_json(t.output)
    return out


def parse_coordinate_system(obj: Any) -> CoordinateSystem:
    """One entry of ``coordinateSystems``: a ``name`` and its ``axes``.

    Examples
    --------
    >>> parse_coordinate_system({"name": "yx", "axes": [{"name": "y", "type": "space"}, {"name": "x"}]}).axis_names
    ('y', 'x')
    """
    if not isinstance(obj, Mapping) or not isinstance(obj.get("name"), str) or not obj["name"]:
        raise _fail("a coordinate system must be an object with a non-empty 'name'", obj)
    axes = obj.get("axes")
    if not isinstance(axes, list) or not all(
        isinstance(a, Mapping) and isinstance(a.get("name"), str) for a in axes
    ):
        raise _fail(f"coordinate system {obj['name']!r} needs a list of 'axes', each with a 'name'", axes)
    parsed = tuple(
        CoordinateAxis(
            a["name"],
            a.get("type") if isinstance(a.get("type"), str) else None,
            a.get("unit") if isinstance(a.get("unit"), str) else None,
            a.get("discrete") if isinstance(a.get("discrete"), bool) else None,
        )
        for a in axes
    )
    return CoordinateSystem(obj["name"], parsed)


def coordinate_system_json(system: CoordinateSystem) -> dict[str, Any]:
    """The JSON of a coordinate system (its axes' type, unit and discreteness where known)."""
    axes = []
    for a in system.axes:
        entry: dict[str, Any] = {"name": a.name}
        if a.type is not None:
            entry["type"] = a.type
        if a.unit is not None:
            entry["unit"] = a.unit
        if a.discrete is not None:
            entry["discrete"] = a.discrete
        axes.append(entry)
    return {"name": system.name, "axes": axes}
