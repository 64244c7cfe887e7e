"""NGFF axes from xarray dimensions, and the spec's rules about them.

Names are kept as the user wrote them; the axis *type* comes from the name (``t``/``time``,
``c``/``channel``, ``z``/``y``/``x``) unless the caller says otherwise. The spec orders axes as
time, then channel or custom, then space; :func:`spec_order` gives that order so that callers can
transpose lazily instead of refusing a DataArray whose dims are in another order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidImageError
from .units import normalize_unit

__all__ = [
    "ORIENTATIONS",
    "AxesLike",
    "Axis",
    "axes_from_dims",
    "axis_type_from_name",
    "parse_axes",
    "spec_order",
    "validate_axes",
    "validate_orientations",
]

_TYPES_BY_NAME = {
    "t": "time",
    "time": "time",
    "c": "channel",
    "ch": "channel",
    "channel": "channel",
    "z": "space",
    "y": "space",
    "x": "space",
}
_CANONICAL_SPACE = ("z", "y", "x")
_DEFAULT_AXES = {2: "yx", 5: "tczyx"}
_RANK = {"time": 0, "channel": 1, "space": 2}  # custom axes rank with channels, as the spec allows


ORIENTATIONS = (
    "left-to-right",
    "right-to-left",
    "anterior-to-posterior",
    "posterior-to-anterior",
    "inferior-to-superior",
    "superior-to-inferior",
    "dorsal-to-ventral",
    "ventral-to-dorsal",
    "dorsal-to-palmar",
    "palmar-to-dorsal",
    "dorsal-to-plantar",
    "plantar-to-dorsal",
    "rostral-to-caudal",
    "caudal-to-rostral",
    "cranial-to-caudal",
    "caudal-to-cranial",
    "proximal-to-distal",
    "distal-to-proximal",
)
"""The anatomical orientations of RFC-4 (a space axis's direction, from its first pixel to its last)."""


@dataclass(frozen=True)
class Axis:
    """One NGFF axis: its name, its type (``None`` when untyped), its unit and, for a space axis, its
    RFC-4 anatomical orientation (one of :data:`ORIENTATIONS`, written by OME-NGFF 0.6 only).

    Examples
    --------
    >>> Axis("x", "space", "micrometer").to_json()
    {'name': 'x', 'type': 'space', 'unit': 'micrometer'}
    >>> Axis("x", "space", "micrometer", "left-to-right").to_json()["orientation"]
    {'type': 'anatomical', 'value': 'left-to-right'}
    """

    name: str
    type: str | None = None
    unit: str | None = None
    orientation: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The axis as the spec writes it, leaving out what is unknown."""
        out: dict[str, Any] = {"name": self.name}
        if self.type is not None:
            out["type"] = self.type
        if self.unit is not None:
            out["unit"] = self.unit
        if self.orientation is not None:
            out["orientation"] = {"type": "anatomical", "value": self.orientation}
        return out

    def coordinate_attrs(self) -> dict[str, str]:
        """The attributes of the axis's xarray coordinate: its ``units`` and ``orientation``, where known.

        Examples
        --------
        >>> Axis("x", "space", "micrometer", "left-to-right").coordinate_attrs()
        {'units': 'micrometer', 'orientation': 'left-to-right'}
        """
        attrs = {"units": self.unit} if self.unit else {}
        return attrs | ({"orientation": self.orientation} if self.orientation is not None else {})

    @classmethod
    def from_json(cls, value: str | Mapping[str, Any]) -> Axis:
        """Read an axis from 0.3 (a bare name) or 0.4+ (a dict); an orientation other than RFC-4's
        anatomical one is left out (no other kind is specified)."""
        if isinstance(value, str):
            return cls(value, axis_type_from_name(value))
        if not isinstance(value, Mapping) or not isinstance(value.get("name"), str):
            raise InvalidImageError(f"an axis must be a name or a dict with a 'name'; got {value!r}")
        orientation = value.get("orientation")
        anatomical = isinstance(orientation, Mapping) and orientation.get("type") == "anatomical"
        return cls(
            value["name"],
            value.get("type"),
            value.get("unit"),
            orientation.get("value") if anatomical else None,  # type: ignore[union-attr]
        )


def axis_type_from_name(name: str) -> str | None:
    """The axis type the name implies, or ``None`` for a custom axis.

    Examples
    --------
    >>> axis_type_from_name("time"), axis_type_from_name("y"), axis_type_from_name("angle")
    ('time', 'space', None)
    """
    return _TYPES_BY_NAME.get(name.lower())


def axes_from_dims(
    dims: Sequence[str],
    axis_types: Mapping[str, str | None] | None = None,
    units: Mapping[str, str | None] | None = None,
) -> list[Axis]:
    """Axes for the given dims, typed by name unless ``axis_types`` overrides.

    Examples
    --------
    >>> [a.type for a in axes_from_dims(["c", "y", "x"])]
    ['channel', 'space', 'space']
    >>> axes_from_dims(["row", "col"], {"row": "space", "col": "space"})[0]
    Axis(name='row', type='space', unit=None, orientation=None)
    """
    axis_types = dict(axis_types or {})
    units = dict(units or {})
    unknown = set(axis_types) - set(dims)
    if unknown:
        raise InvalidImageError(
            f"axis_types names {sorted(unknown)}, which are not dims of the image {tuple(dims)}"
        )
    return [
        Axis(str(d), axis_types[d] if d in axis_types else axis_type_from_name(str(d)), units.get(d))
        for d in dims
    ]


def spec_order(axes: Sequence[Axis]) -> list[int]:
    """The permutation that puts axes in the spec's order (time, channel/custom, space).

    Space axes named ``z``, ``y`` and ``x`` are put in that order, because viewers show the last two axes
    as rows and columns; otherwise the user's order is kept within each rank (a stable sort).

    Examples
    --------
    >>> spec_order(axes_from_dims(["y", "x", "c"]))
    [2, 0, 1]
    >>> spec_order(axes_from_dims(["x", "y"]))
    [1, 0]
    """
    space = [a.name.lower() for a in axes if a.type == "space"]
    canonical = set(space) <= set(_CANONICAL_SPACE)

    def key(i: int) -> tuple[int, int]:
        axis = axes[i]
        if axis.type == "space" and canonical:
            return _RANK["space"], _CANONICAL_SPACE.index(axis.name.lower())
        return _RANK.get(axis.type or "", 1), i

    return sorted(range(len(axes)), key=key)


def validate_axes(axes: Sequence[Axis]) -> None:
    """Raise ``ValueError`` unless the axes form a valid NGFF image.

    Checks: 2 to 5 axes, unique names, 2 or 3 space axes, at most one time axis, at most one axis
    that is a channel or custom axis, and the spec's order.

    Examples
    --------
    >>> validate_axes(axes_from_dims(["y", "x"]))
    >>> validate_axes(axes_from_dims(["x"]))
    Traceback (most recent call last):
    ...
    xarray_omezarr.errors.InvalidImageError: an OME-Zarr image has 2 to 5 axes; got 1 ('x',)
    """
    names = tuple(a.name for a in axes)
    if not 2 <= len(axes) <= 5:
        raise InvalidImageError(f"an OME-Zarr image has 2 to 5 axes; got {len(axes)} {names}")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidImageError(f"axis names must be unique; {duplicates} appear more than once in {names}")
    n_space = sum(a.type == "space" for a in axes)
    if not 2 <= n_space <= 3:
        raise InvalidImageError(
            f"an OME-Zarr image needs 2 or 3 space axes; {names} has {n_space}. Name them z/y/x, or pass "
            "axis_types={'dim': 'space'} for dims with other names"
        )
    for kind in ("time", "channel"):
        same = [a.name for a in axes if a.type == kind]
        if len(same) > 1:
            raise InvalidImageError(f"an OME-Zarr image has at most one {kind} axis; got {same}")
    # 0.4 and 0.5 allow one more axis beside time and space: a channel axis or a custom one
    others = [a.name for a in axes if a.type not in ("time", "space")]
    if len(others) > 1:
        raise InvalidImageError(
            f"an OME-Zarr image has at most one axis that is neither time nor space (a channel or custom "
            f"axis); {names} has {len(others)}: {others}. Pass axis_types={{'{others[-1]}': 'space'}} (or "
            "'time') for dims that are, or stack the others into one axis"
        )
    if spec_order(axes) != list(range(len(axes))):
        raise InvalidImageError(f"axes {names} are not in the spec's order (time, channel or custom, space)")
    validate_orientations(axes)


def _directions(orientation: str) -> set[str]:
    return set(orientation.split("-to-"))


def validate_orientations(axes: Sequence[Axis]) -> None:
    """Raise unless the axes' orientations follow RFC-4: values from :data:`ORIENTATIONS`, on space
    axes only, on all of them or none, and no two along one anatomical direction.

    Examples
    --------
    >>> validate_orientations([Axis("y", "space", None, "anterior-to-posterior"),
    ...                        Axis("x", "space", None, "left-to-right")])
    >>> validate_orientations([Axis("y", "space", None, "right-to-left"),
    ...                        Axis("x", "space", None, "left-to-right")])
    Traceback (most recent call last):
    ...
    xarray_omezarr.errors.InvalidImageError: axes 'y' and 'x' are both oriented along the same anatomical direction ('right-to-left', 'left-to-right'); each space axis needs its own
    """
    oriented = [a for a in axes if a.orientation is not None]
    if not oriented:
        return
    for axis in oriented:
        if axis.orientation not in ORIENTATIONS:
            raise InvalidImageError(
                f"axis {axis.name!r} has the orientation {axis.orientation!r}, which RFC-4 does not know; "
                f"choose from {list(ORIENTATIONS)}"
            )
        if axis.type != "space":
            raise InvalidImageError(
                f"axis {axis.name!r} is a {axis.type or 'custom'} axis; only space axes have an orientation"
            )
    space = [a.name for a in axes if a.type == "space"]
    missing = [n for n in space if n not in {a.name for a in oriented}]
    if missing:
        raise InvalidImageError(
            f"the space axes {missing} have no orientation while {[a.name for a in oriented]} have one; "
            "RFC-4 orients all space axes or none (set attrs['orientation'] on each space coordinate)"
        )
    for i, first in enumerate(oriented):
        for second in oriented[i + 1 :]:
            if _directions(first.orientation or "") & _directions(second.orientation or ""):
                raise InvalidImageError(
                    f"axes {first.name!r} and {second.name!r} are both oriented along the same anatomical "
                    f"direction ({first.orientation!r}, {second.orientation!r}); each space axis needs its own"
                )


AxesLike = str | Sequence[str] | Sequence[Mapping[str, str]] | Sequence[Axis]
"""The forms the seed API takes axes in."""


def parse_axes(axes: AxesLike | None, ndim: int) -> list[Axis]:
    """Axes from the seed's forms: ``"tczyx"``, a list of names, a list of dicts, or :class:`Axis` objects.

    Without ``axes``, a 2-D image is ``yx`` and a 5-D one ``tczyx``; units become the spec's names.

    Examples
    --------
    >>> [a.name for a in parse_axes("czyx", 4)]
    ['c', 'z', 'y', 'x']
    >>> parse_axes(None, 2)[0]
    Axis(name='y', type='space', unit=None, orientation=None)
    """
    if axes is None:
        if ndim not in _DEFAULT_AXES:
            raise ValueError(
                f"axes are needed for a {ndim}-D image, e.g. axes={'tczyx'[-ndim:]!r} or a DataArray with dims"
            )
        axes = _DEFAULT_AXES[ndim]
    entries: list[Any] = list(axes)
    if entries and all(isinstance(a, Axis) for a in entries) and len(entries) == ndim:
        return entries
    if len(entries) != ndim:
        raise ValueError(f"{len(entries)} axes {entries} for an image of {ndim} dimensions")
    parsed = [Axis.from_json(entry) for entry in entries]
    return [
        Axis(a.name, a.type, normalize_unit(a.unit, a.type, axis_name=a.name), a.orientation) for a in parsed
    ]
