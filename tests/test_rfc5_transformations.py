"""The RFC-5 transformation algebra: inverses undo, JSON round-trips, permutations, and bad input."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xarray_omezarr.errors import TransformationError
from xarray_omezarr.geometry.rfc5 import (
    Affine,
    Bijection,
    ByDimension,
    CoordinateAxis,
    CoordinateSystem,
    DimensionTransformation,
    Displacements,
    Identity,
    MapAxis,
    Rotation,
    Scale,
    Sequence,
    SystemRef,
    Transformation,
    TransformationGraph,
    Translation,
    axis_aligned,
    parse_transformation,
    transformation_json,
)

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
factor = st.floats(1e-3, 1e3).flatmap(lambda v: st.sampled_from([v, -v]))


def points(ndim: int) -> st.SearchStrategy[np.ndarray]:
    return st.lists(st.lists(finite, min_size=ndim, max_size=ndim), min_size=1, max_size=8).map(np.array)


def scales(ndim: int) -> st.SearchStrategy[Transformation]:
    return st.lists(factor, min_size=ndim, max_size=ndim).map(lambda v: Scale(tuple(v)))


def translations(ndim: int) -> st.SearchStrategy[Transformation]:
    return st.lists(finite, min_size=ndim, max_size=ndim).map(lambda v: Translation(tuple(v)))


@st.composite
def affines(draw: st.DrawFn, ndim: int) -> Transformation:
    """Well-conditioned invertible affines: a rotation, a scaling and a shear, plus an offset."""
    angles = draw(st.lists(st.floats(-np.pi, np.pi), min_size=ndim, max_size=ndim))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    q, _ = np.linalg.qr(rng.normal(size=(ndim, ndim)) + np.diag(angles))
    linear = q @ np.diag(draw(st.lists(st.floats(0.1, 10), min_size=ndim, max_size=ndim)))
    linear = linear @ (np.eye(ndim) + np.triu(rng.uniform(-1, 1, (ndim, ndim)), 1))
    offset = draw(st.lists(finite, min_size=ndim, max_size=ndim))
    return Affine(tuple(tuple(float(v) for v in row) for row in np.column_stack([linear, offset])))


def permutations(ndim: int) -> st.SearchStrategy[Transformation]:
    return st.permutations(range(ndim)).map(lambda p: MapAxis(tuple(p)))


def invertibles(ndim: int) -> st.SearchStrategy[Transformation]:
    leaf = st.one_of(scales(ndim), translations(ndim), affines(ndim), permutations(ndim), st.just(Identity()))
    return st.one_of(leaf, st.lists(leaf, min_size=1, max_size=4).map(lambda ts: Sequence(tuple(ts))))


@settings(max_examples=200, deadline=None)
@given(data=st.data(), ndim=st.integers(1, 5))
def test_the_inverse_undoes_the_transformation(data: st.DataObject, ndim: int) -> None:
    t = data.draw(invertibles(ndim))
    p = data.draw(points(ndim))
    assert t.invertible
    mapped = t.apply(p)
    np.testing.assert_allclose(t.inverse().apply(mapped), p, rtol=1e-7, atol=1e-6)
    np.testing.assert_allclose(t.inverse().inverse().apply(p), mapped, rtol=1e-7, atol=1e-6)


@given(p=points(3), scale=scales(3), translation=translations(3))
def test_scale_and_translation_are_exact(p: np.ndarray, scale: Scale, translation: Translation) -> None:
    assert scale.scale is not None and translation.translation is not None
    expected = p * np.array(scale.scale) + np.array(translation.translation)
    assert np.array_equal(Sequence((scale, translation)).apply(p), expected)
    assert np.array_equal(
        scale.inverse().apply(expected - np.array(translation.translation)),
        (expected - np.array(translation.translation)) / np.array(scale.scale),
    )


@given(data=st.data(), ndim=st.integers(2, 5))
def test_map_axis_permutes_and_its_inverse_permutes_back(data: st.DataObject, ndim: int) -> None:
    order = data.draw(st.permutations(range(ndim)))
    p = data.draw(points(ndim))
    t = MapAxis(tuple(order))
    mapped = t.apply(p)
    for j, i in enumerate(order):
        assert np.array_equal(mapped[:, j], p[:, i])
    assert np.array_equal(t.inverse().apply(mapped), p)


def aligned_steps(ndim: int) -> st.SearchStrategy[Transformation]:
    diagonal = st.lists(st.tuples(factor, finite), min_size=ndim, max_size=ndim).map(
        lambda v: Affine(
            tuple(tuple([*(s if j == k else 0.0 for j in range(ndim)), t]) for k, (s, t) in enumerate(v))
        )
    )
    leaf = st.one_of(scales(ndim), translations(ndim), diagonal, st.just(Identity()))
    return st.lists(leaf, min_size=1, max_size=4).map(lambda ts: Sequence(tuple(ts)))


@given(data=st.data(), ndim=st.integers(1, 4))
def test_axis_aligned_transformations_are_one_linear_axis_each(data: st.DataObject, ndim: int) -> None:
    t = data.draw(aligned_steps(ndim))
    axes = axis_aligned(t, ndim)
    assert axes is not None
    index = np.arange(6.0)[:, None] * np.ones(ndim)
    expected = t.apply(index)
    for k, axis in enumerate(axes):
        np.testing.assert_allclose(axis.values(6), expected[:, k], rtol=1e-9, atol=1e-9)


def test_scale_then_translation_is_exactly_the_linear_axis() -> None:
    t = Sequence((Scale((0.1625,)), Translation((-3.25,))))
    (axis,) = axis_aligned(t, 1) or ()
    assert np.array_equal(axis.values(100), t.apply(np.arange(100.0)[:, None])[:, 0])


@pytest.mark.parametrize(
    "t",
    [
        Rotation(((0.0, -1.0), (1.0, 0.0))),
        MapAxis((1, 0)),
        Affine(((1.0, 0.5, 0.0), (0.0, 1.0, 0.0))),
        Displacements(path="f"),
    ],
)
def test_other_transformations_are_not_axis_aligned(t: Transformation) -> None:
    assert axis_aligned(t, 2) is None


refs = st.one_of(
    st.none(),
    st.builds(SystemRef, st.sampled_from(["physical", "world"]), st.sampled_from(["", "tile_0"])),
    st.builds(SystemRef, st.none(), st.sampled_from(["0", "img/s0"])),
)


def with_ends(t: Transformation, draw: st.DrawFn) -> Transformation:
    from dataclasses import replace

    return replace(t, name=draw(st.none() | st.just("t")), input=draw(refs), output=draw(refs))


@st.composite
def any_transformation(draw: st.DrawFn, depth: int = 2) -> Transformation:
    ndim = draw(st.integers(1, 4))
    leaves = [
        scales(ndim),
        translations(ndim),
        affines(ndim),
        permutations(ndim),
        st.just(Identity()),
        st.builds(Rotation, st.just(((0.0, -1.0), (1.0, 0.0)))),
        st.builds(Affine, path=st.just("matrix")),
        st.builds(Displacements, path=st.just("field"), interpolation=st.sampled_from(["linear", "nearest"])),
    ]
    t = draw(st.one_of(leaves))
    if depth > 0:
        kind = draw(st.sampled_from(["leaf", "sequence", "bijection", "byDimension"]))
        if kind == "sequence":
            t = Sequence(tuple(draw(st.lists(any_transformation(depth - 1), min_size=1, max_size=3))))
        elif kind == "bijection":
            t = Bijection(draw(any_transformation(depth - 1)), draw(any_transformation(depth - 1)))
        elif kind == "byDimension":
            parts = (
                DimensionTransformation(draw(any_transformation(0)), (1,), (0,)),
                DimensionTransformation(Identity(), (0,), (1,)),
            )
            t = ByDimension(parts)
    return with_ends(t, draw)


@settings(max_examples=200, deadline=None)
@given(t=any_transformation())
def test_json_round_trip(t: Transformation) -> None:
    document = json.loads(json.dumps(transformation_json(t)))
    parsed = parse_transformation(document)
    assert parsed == t
    assert transformation_json(parsed) == document


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        # the spec's own spellings: names as strings or objects, snake_case or camelCase axes, inline parts
        (
            {"type": "identity", "input": "a", "output": {"name": "b"}},
            Identity(input=SystemRef("a"), output=SystemRef("b")),
        ),
        (
            {
                "type": "byDimension",
                "transformations": [{"type": "scale", "scale": [2], "input_axes": [0], "output_axes": [0]}],
            },
            ByDimension((DimensionTransformation(Scale((2.0,)), (0,), (0,)),)),
        ),
        (
            {
                "type": "byDimension",
                "transformations": [
                    {"transformation": {"type": "scale", "scale": [2]}, "inputAxes": [0], "outputAxes": [0]}
                ],
            },
            ByDimension((DimensionTransformation(Scale((2.0,)), (0,), (0,)),)),
        ),
        (
            {"type": "affine", "affine": [[2, 0, 1], [0, 2, 0], [0, 0, 1]]},
            Affine(((2.0, 0.0, 1.0), (0.0, 2.0, 0.0))),
        ),
        ({"type": "scale", "path": "s"}, Scale(path="s")),
    ],
)
def test_the_forms_peers_write_are_read(document: dict, expected: Transformation) -> None:
    assert parse_transformation(document) == expected


def test_the_examples_of_the_spec_apply() -> None:
    # 0.6rc0 examples/transformations: affine2d3d, byDimension2, rotation
    affine = parse_transformation({"type": "affine", "affine": [[1, 0, 0], [2, 3, 4], [5, 6, 7]]})
    assert affine.apply([[1.0, 1.0]]).tolist() == [[1.0, 9.0, 18.0]]
    by_dimension = parse_transformation(
        {
            "type": "byDimension",
            "transformations": [
                {
                    "transformation": {"type": "translation", "translation": [0.5, 1.5]},
                    "inputAxes": [3, 2],
                    "outputAxes": [1, 2],
                },
                {"transformation": {"type": "scale", "scale": [2]}, "inputAxes": [1], "outputAxes": [0]},
            ],
        }
    )
    assert by_dimension.apply([[10.0, 20.0, 30.0, 40.0]]).tolist() == [[40.0, 40.5, 31.5]]
    assert not by_dimension.invertible  # input axis 0 is dropped
    rotation = parse_transformation({"type": "rotation", "rotation": [[0, -1], [1, 0]]})
    assert rotation.apply([[1.0, 2.0]]).tolist() == [[-2.0, 1.0]]


# bad input


def two_d(name: str) -> CoordinateSystem:
    return CoordinateSystem(name, (CoordinateAxis("y", "space"), CoordinateAxis("x", "space")))


def graph_of(
    *transformations: Transformation, systems: tuple[str, ...] = ("a", "b", "c")
) -> TransformationGraph:
    graph = TransformationGraph()
    for name in systems:
        graph.add_system(SystemRef(name), two_d(name))
    for t in transformations:
        graph.add_transformation(t)
    return graph


def edge(t: Transformation, source: str, target: str) -> Transformation:
    from dataclasses import replace

    return replace(t, input=SystemRef(source), output=SystemRef(target))


def test_an_unknown_system_lists_the_known_ones() -> None:
    graph = graph_of(edge(Identity(), "a", "b"))
    with pytest.raises(
        TransformationError, match=r"unknown target system 'potato'; the store defines: 'a', 'b', 'c'"
    ):
        graph.transform_points([[1.0, 2.0]], "a", "potato")


def test_no_chain_between_systems_is_an_error() -> None:
    graph = graph_of(edge(Identity(), "a", "b"))
    with pytest.raises(
        TransformationError,
        match=r"no chain of transformations leads from 'a' to 'c'; from 'a' one reaches: 'b'",
    ):
        graph.transform_points([[1.0, 2.0]], "a", "c")


def test_a_non_invertible_step_is_not_walked_backwards() -> None:
    graph = graph_of(edge(Displacements(path="field"), "a", "b"))
    with pytest.raises(TransformationError, match="no chain of transformations leads from 'b' to 'a'"):
        graph.transform_points([[1.0, 2.0]], "b", "a")
    with pytest.raises(TransformationError, match="parses it but does not apply it"):
        graph.transform_points([[1.0, 2.0]], "a", "b")


def test_dimensionality_mismatches_are_errors() -> None:
    with pytest.raises(
        TransformationError, match=r"is for 3-dimensional points, but its input has 2 dimensions"
    ):
        graph_of(edge(Scale((1.0, 2.0, 3.0)), "a", "b"))
    affine = Affine(((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (1.0, 1.0, 0.0)))  # 2-D to 3-D
    with pytest.raises(
        TransformationError, match=r"gives 3-dimensional points, but its output system 'b' has 2 axes"
    ):
        graph_of(edge(affine, "a", "b"))
    graph = graph_of(edge(Identity(), "a", "b"))
    with pytest.raises(
        TransformationError, match=r"points have 3 coordinates each, but the source system 'a' has 2 axes"
    ):
        graph.transform_points([[1.0, 2.0, 3.0]], "a", "b")
    with pytest.raises(TransformationError, match=r"points must be an \(N, ndim\) array"):
        Scale((1.0, 2.0)).apply(np.zeros((2, 2, 2)))


def test_a_singular_affine_has_no_inverse() -> None:
    singular = Affine(((1.0, 2.0, 0.0), (2.0, 4.0, 1.0)))
    assert not singular.invertible
    with pytest.raises(TransformationError, match="is singular"):
        singular.inverse()
    with pytest.raises(TransformationError, match="maps 2 dimensions to 1, so it has no inverse"):
        Affine(((1.0, 2.0, 0.0),)).inverse()
    graph = graph_of(edge(singular, "a", "b"))
    with pytest.raises(TransformationError, match="no chain of transformations leads from 'b' to 'a'"):
        graph.transform_points([[1.0, 2.0]], "b", "a")


@pytest.mark.parametrize(
    "chain",
    [
        [("a", "b"), ("b", "a")],
        [("a", "b"), ("b", "c"), ("c", "a")],
        [("a", "a")],
    ],
)
def test_a_cycle_is_refused(chain: list[tuple[str, str]]) -> None:
    graph = graph_of(*(edge(Translation((1.0, 1.0)), s, t) for s, t in chain))
    with pytest.raises(TransformationError, match=r"form a cycle: 'a' -> .*'a'.*bijection"):
        graph.check_acyclic()


def test_chains_that_meet_are_no_cycle() -> None:
    graph = graph_of(edge(Translation((0.0, 1.0)), "a", "c"), edge(Translation((2.0, 0.0)), "b", "c"))
    graph.check_acyclic()
    assert graph.transform_points([[0.0, 0.0]], "a", "b").tolist() == [[-2.0, 1.0]]


@pytest.mark.parametrize(
    "document",
    [
        # 0.6rc0 examples/transformations/byDimensionInvalid1 and 2: output axes out of range, or twice
        {
            "type": "byDimension",
            "transformations": [
                {
                    "transformation": {"type": "translation", "translation": [-1.0]},
                    "inputAxes": [1],
                    "outputAxes": [2],
                },
                {"transformation": {"type": "scale", "scale": [2.0]}, "inputAxes": [0], "outputAxes": [2]},
            ],
        },
        {
            "type": "byDimension",
            "transformations": [
                {
                    "transformation": {"type": "translation", "translation": [-1.0]},
                    "inputAxes": [1],
                    "outputAxes": [1],
                },
                {"transformation": {"type": "scale", "scale": [2.0]}, "inputAxes": [1], "outputAxes": [1]},
            ],
        },
        {"type": "warp"},
        {"type": "scale"},
        {"type": "affine", "affine": [[1, 2], [3]]},
        {"type": "rotation", "rotation": [[1, 0, 0], [0, 1, 0]]},
        {"type": "mapAxis", "mapAxis": [0, 0]},
        {"type": "translation", "translation": [1, "a"]},
        {
            "type": "sequence",
            "transformations": [{"type": "scale", "scale": [2.0], "inputAxes": ["j"], "outputAxes": ["y"]}],
        },
        {"type": "identity", "input": 3},
    ],
)
def test_malformed_transformations_are_refused(document: dict) -> None:
    with pytest.raises(TransformationError):
        parse_transformation(document)


def test_parameters_stored_by_path_need_the_store() -> None:
    with pytest.raises(TransformationError, match=r"stored in the array 'matrix', which was not read"):
        Affine(path="matrix").apply([[1.0, 2.0]])


def test_inverse_of_is_the_inverse_and_round_trips() -> None:
    affine = {"type": "affine", "affine": [[2, 0, 1], [0, 4, -1]]}
    t = parse_transformation({"type": "inverseOf", "transformation": affine})
    assert t.apply([[3.0, 7.0]]).tolist() == [[1.0, 2.0]]
    assert t.inverse().apply([[1.0, 2.0]]).tolist() == [[3.0, 7.0]]
    assert transformation_json(t) == {
        "type": "inverseOf",
        "transformation": transformation_json(parse_transformation(affine)),
    }


def test_project_axis_drops_and_creates_axes() -> None:
    # 0.6rc0 examples/transformations/projectAxis2: (c, i, j) -> (z, y, x) with z = 0
    t = parse_transformation({"type": "projectAxis", "createdOutputs": [0], "droppedInputs": [0]})
    assert t.apply([[5.0, 1.0, 2.0]]).tolist() == [[0.0, 1.0, 2.0]]
    assert not t.invertible


def test_by_dimension_axes_may_be_named() -> None:
    t = parse_transformation(
        {
            "type": "byDimension",
            "input": "ij",
            "output": "xy",
            "transformations": [
                {
                    "transformation": {"type": "scale", "scale": [2.0]},
                    "inputAxes": ["j"],
                    "outputAxes": ["x"],
                },
                {
                    "transformation": {"type": "translation", "translation": [1.0]},
                    "inputAxes": ["i"],
                    "outputAxes": ["y"],
                },
            ],
        }
    )
    with pytest.raises(TransformationError, match="are names; they need the coordinate systems' axes"):
        t.apply([[1.0, 2.0]])
    graph = TransformationGraph()
    graph.add_system(SystemRef("ij"), CoordinateSystem("ij", (CoordinateAxis("i"), CoordinateAxis("j"))))
    graph.add_system(SystemRef("xy"), CoordinateSystem("xy", (CoordinateAxis("x"), CoordinateAxis("y"))))
    graph.add_transformation(t)
    assert graph.transform_points([[1.0, 2.0]], "ij", "xy").tolist() == [[4.0, 2.0]]
    assert graph.transform_points([[4.0, 2.0]], "xy", "ij").tolist() == [[1.0, 2.0]]


@settings(max_examples=50, deadline=None)
@given(data=st.data(), ndim=st.integers(1, 4), count=st.integers(1, 5))
def test_a_chain_of_systems_maps_there_and_back(data: st.DataObject, ndim: int, count: int) -> None:
    graph = TransformationGraph()
    names = [f"s{i}" for i in range(count + 1)]
    for name in names:
        graph.add_system(
            SystemRef(name), CoordinateSystem(name, tuple(CoordinateAxis(f"a{k}") for k in range(ndim)))
        )
    steps = []
    for source, target in itertools.pairwise(names):
        step = data.draw(invertibles(ndim))
        steps.append(step)
        if data.draw(st.booleans()):
            graph.add_transformation(edge(step, source, target))
        else:  # written the other way: the graph walks its inverse
            graph.add_transformation(edge(step.inverse(), target, source))
    graph.check_acyclic()
    p = data.draw(points(ndim))
    there = graph.transform_points(p, names[0], names[-1])
    size = max(1.0, float(np.abs(there).max()), float(np.abs(p).max()))  # cancellation is relative to it
    np.testing.assert_allclose(there, Sequence(tuple(steps)).apply(p), rtol=1e-7, atol=1e-9 * size)
    back = graph.transform_points(there, names[-1], names[0])
    np.testing.assert_allclose(back, p, rtol=1e-6, atol=1e-9 * size)
