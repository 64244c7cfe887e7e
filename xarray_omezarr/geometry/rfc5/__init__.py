"""RFC-5 (OME-NGFF 0.6) coordinate systems and transformations: pure numpy, no store.

:mod:`.transformations` and :mod:`.composite` hold the transformations (apply, inverse, dimension
checks), :mod:`.parse` turns their JSON into them and back, :mod:`.graph` links coordinate systems
by transformations and finds the chain between two of them, :mod:`.aligned` tells axis-aligned
transformations (exact 1-D coordinates) from the others.
"""

from __future__ import annotations

from .aligned import axis_aligned
from .composite import (
    Bijection,
    ByDimension,
    Coordinates,
    DimensionTransformation,
    Displacements,
    Sequence,
    with_parameters,
)
from .graph import CoordinateAxis, CoordinateSystem, SystemLike, TransformationGraph
from .parse import (
    coordinate_system_json,
    parse_coordinate_system,
    parse_system_ref,
    parse_transformation,
    parse_transformations,
    system_ref_json,
    transformation_json,
)
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
    as_points,
)

__all__ = [
    "Affine",
    "Bijection",
    "ByDimension",
    "CoordinateAxis",
    "CoordinateSystem",
    "Coordinates",
    "DimensionTransformation",
    "Displacements",
    "Identity",
    "InverseOf",
    "MapAxis",
    "ProjectAxis",
    "Rotation",
    "Scale",
    "Sequence",
    "SystemLike",
    "SystemRef",
    "Transformation",
    "TransformationGraph",
    "Translation",
    "as_points",
    "axis_aligned",
    "coordinate_system_json",
    "parse_coordinate_system",
    "parse_system_ref",
    "parse_transformation",
    "parse_transformations",
    "system_ref_json",
    "transformation_json",
    "with_parameters",
]
