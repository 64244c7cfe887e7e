"""Map user-written axis units onto the unit names the OME-NGFF spec allows.

The OME-NGFF specification (versions 0.4 and 0.5) says the ``unit`` of a
``"space"`` or ``"time"`` axis SHOULD be one of a fixed list of UDUNITS-2
names, spelled out in full: ``"micrometer"``, ``"millisecond"``, ``"angstrom"``
and so on.  Readers such as napari, Fiji or neuroglancer match on those exact
strings.  Users, on the other hand, write ``"um"``, ``"µm"``, ``"micron"``,
``"ms"`` or hand us a :mod:`pint` unit.  This module bridges the two: it turns
whatever the user wrote into the spec's name, or raises a :class:`ValueError`
that says which axis is wrong, why, and how to fix it.

The module does no I/O.  Names that are already in the spec list are handled
without :mod:`pint`; pint (which takes a few hundred milliseconds to import and
to build a registry) is only imported the first time an alias has to be parsed,
so importing this module stays cheap.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidImageError, InvalidImageTypeError

if TYPE_CHECKING:
    import pint
    from pint.facets.plain import PlainQuantity, PlainUnit

__all__ = ["SPACE_UNITS", "TIME_UNITS", "normalize_unit", "unit_kind"]

SPACE_UNITS: frozenset[str] = frozenset(
    {
        "angstrom",
        "attometer",
        "centimeter",
        "decimeter",
        "exameter",
        "femtometer",
        "foot",
        "gigameter",
        "hectometer",
        "inch",
        "kilometer",
        "megameter",
        "meter",
        "micrometer",
        "mile",
        "millimeter",
        "nanometer",
        "parsec",
        "petameter",
        "picometer",
        "terameter",
        "yard",
        "yoctometer",
        "yottameter",
        "zeptometer",
        "zettameter",
    }
)
"""Units the OME-NGFF spec allows for ``"space"`` axes (UDUNITS-2 names)."""

TIME_UNITS: frozenset[str] = frozenset(
    {
        "attosecond",
        "centisecond",
        "day",
        "decisecond",
        "exasecond",
        "femtosecond",
        "gigasecond",
        "hectosecond",
        "hour",
        "kilosecond",
        "megasecond",
        "microsecond",
        "millisecond",
        "minute",
        "nanosecond",
        "petasecond",
        "picosecond",
        "second",
        "terasecond",
        "yoctosecond",
        "yottasecond",
        "zeptosecond",
        "zettasecond",
    }
)
"""Units the OME-NGFF spec allows for ``"time"`` axes (UDUNITS-2 names)."""

# Per spec axis type: the allowed names, the pint dimension, a human word for
# the dimension, the pint base unit used to compare scale factors, and an
# example unit for error messages.
_KINDS: dict[str, tuple[frozenset[str], str, str, str, str]] = {
    "space": (SPACE_UNITS, "[length]", "length", "meter", "micrometer"),
    "time": (TIME_UNITS, "[time]", "time", "second", "second"),
}

# Two units are "the same" when converting one into the other gives exactly 1,
# up to floating point rounding.
_REL_TOL = 1e-12


@dataclass(frozen=True)
class _Resolved:
    """What pint tells us about one unit."""

    name: str  # pint's own spelling, e.g. "micron" or "light_year"
    kind: str | None  # "space", "time" or None for other dimensions
    dimensionality: str  # e.g. "[length] / [time]", for messages
    factor: float | None  # size in meter (space) or second (time)
    spec_name: str | None  # matching spec name, if any


def unit_kind(unit: str) -> str | None:
    """Return the spec axis type a spec unit name belongs to.

    Parameters
    ----------
    unit : str
        A unit name as written in OME-NGFF metadata.

    Returns
    -------
    str or None
        ``"space"`` if `unit` is one of :data:`SPACE_UNITS`, ``"time"`` if it
        is one of :data:`TIME_UNITS`, otherwise ``None``.  Only exact spec
        names are recognised; pass aliases such as ``"um"`` through
        :func:`normalize_unit` first.

    Examples
    --------
    >>> unit_kind("micrometer")
    'space'
    >>> unit_kind("millisecond")
    'time'
    >>> unit_kind("um") is None
    True
    """
    if unit in SPACE_UNITS:
        return "space"
    if unit in TIME_UNITS:
        return "time"
    return None


def normalize_unit(
    unit: str | PlainUnit | PlainQuantity[Any] | None,
    axis_type: str | None,
    *,
    axis_name: str = "?",
) -> str | None:
    """Return the OME-NGFF spec name for a unit given to an axis.

    Parameters
    ----------
    unit : str, pint.Unit, pint.Quantity or None
        The unit as the user wrote it: a spec name (``"micrometer"``), an
        alias or abbreviation pint understands (``"um"``, ``"µm"``, ``"μm"``,
        ``"micron"``, ``"Å"``, ``"ms"``, ``"min"``, ``"h"``, plurals such as
        ``"seconds"``), a :class:`pint.Unit`, or any object with a ``units``
        attribute such as a :class:`pint.Quantity` (only its unit is used, the
        magnitude is ignored).  ``None`` and ``""`` mean "no unit".
    axis_type : str or None
        The axis ``type`` from the spec: ``"space"``, ``"time"``,
        ``"channel"``, a custom type, or ``None``.
    axis_name : str, optional
        The axis name, used only in error messages.

    Returns
    -------
    str or None
        For ``"space"`` and ``"time"`` axes the spec's UDUNITS-2 name (for
        example ``"micrometer"``).  For custom or missing axis types the unit
        as given (pint units are turned into ``str(unit)``).  ``None`` when
        there is no unit.

    Raises
    ------
    ValueError
        If the unit cannot be parsed, has the wrong kind for the axis (a time
        unit on a space axis, ...), is a length or duration the spec does not
        list (``"lightyear"``, ``"week"``), or is given to a ``"channel"``
        axis, which has no unit.
    TypeError
        If `unit` is neither a string, ``None``, a pint unit nor an object
        with a ``units`` attribute.

    Notes
    -----
    Spec names are returned without importing pint.  Anything else is parsed
    with a single cached :class:`pint.UnitRegistry` and mapped to the spec
    name whose conversion factor to it is exactly 1, so ``"micron"`` (which
    pint keeps as its own unit) still becomes ``"micrometer"``.  Full spec
    names are also recognised case-insensitively (``"Micrometer"``), while
    abbreviations are case-sensitive (``"Mm"`` is a megameter, ``"mm"`` a
    millimeter).

    Examples
    --------
    >>> normalize_unit("um", "space")
    'micrometer'
    >>> normalize_unit("micrometer", "space")
    'micrometer'
    >>> normalize_unit("ms", "time")
    'millisecond'
    >>> normalize_unit(None, "space") is None
    True
    >>> normalize_unit("arbitrary units", "custom")
    'arbitrary units'
    >>> normalize_unit("s", "space", axis_name="x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xarray_omezarr.errors.InvalidImageError: axis 'x' has unit 's' (second), which is a time unit; a space axis needs a length unit ...
    """
    if unit is None:
        return None
    if isinstance(unit, str):
        if not unit.strip():
            return None
        if axis_type == "channel":
            raise _channel_error(unit, axis_name)
        if axis_type not in _KINDS:
            return unit
        return _normalize_str(unit, axis_type, axis_name)

    pint_unit = _as_pint_unit(unit)
    if axis_type == "channel":
        raise _channel_error(str(pint_unit), axis_name)
    if axis_type not in _KINDS:
        return str(pint_unit)
    return _check(_resolve_pint_unit(pint_unit), str(pint_unit), axis_type, axis_name)


def _normalize_str(unit: str, axis_type: str, axis_name: str) -> str:
    """Normalize a non-empty string for a ``"space"`` or ``"time"`` axis."""
    if unit in _KINDS[axis_type][0]:  # fast path: already a spec name, no pint needed
        return unit
    text = unit.strip()
    lowered = text.lower()
    kind = unit_kind(lowered)
    if kind is not None:
        # A spec name with other casing or surrounding whitespace; still no pint needed.
        resolved = _Resolved(lowered, kind, f"[{_KINDS[kind][2]}]", None, lowered)
    else:
        resolved = _resolve_str(text)
    return _check(resolved, unit, axis_type, axis_name)


def _check(resolved: _Resolved, given: str, axis_type: str, axis_name: str) -> str:
    """Return the spec name of `resolved` or raise a helpful error."""
    allowed, _, word, base, example = _KINDS[axis_type]
    label = repr(given) if resolved.name == given else f"{given!r} ({resolved.name})"
    where = f"axis {axis_name!r} has unit {label}"
    if resolved.kind != axis_type:
        if resolved.kind is not None:
            what = f"which is a {_KINDS[resolved.kind][2]} unit"
        elif resolved.dimensionality == "dimensionless":
            what = "which is dimensionless"
        else:
            what = f"which has dimensionality {resolved.dimensionality}"
        raise InvalidImageError(
            f"{where}, {what}; a {axis_type} axis needs a {word} unit such as {example!r}"
        )
    if resolved.spec_name is None or resolved.spec_name not in allowed:
        hint = f" (1 {resolved.name} = {resolved.factor:.6g} {base})" if resolved.factor is not None else ""
        raise InvalidImageError(
            f"{where}, which is a {word} unit but not one the OME-NGFF spec allows for "
            f"{axis_type} axes; convert the coordinate values to a supported unit, "
            f"e.g. {base!r}{hint}. Allowed units: {', '.join(sorted(allowed))}"
        )
    return resolved.spec_name


def _channel_error(unit: str, axis_name: str) -> InvalidImageError:
    return InvalidImageError(
        f"axis {axis_name!r} is a channel axis and got unit {unit!r}, but channel axes have no "
        "unit in OME-NGFF; drop the unit (set it to None)"
    )


@functools.lru_cache(maxsize=1)
def _registry() -> pint.UnitRegistry[Any]:
    """Return the module's one pint registry, importing pint on first use."""
    import pint

    return pint.UnitRegistry()


@functools.lru_cache(maxsize=1)
def _spec_factors() -> dict[str, tuple[str, float]]:
    """Map every spec name to ``(kind, size in meter or second)``."""
    ureg = _registry()
    factors: dict[str, tuple[str, float]] = {}
    for kind, (names, _, _, base, _) in _KINDS.items():
        for name in names:
            factors[name] = (kind, float(ureg.Quantity(1, name).to(base).magnitude))
    return factors


@functools.lru_cache(maxsize=256)
def _resolve_str(text: str) -> _Resolved:
    """Parse `text` with pint and describe the result."""
    ureg = _registry()
    try:
        parsed = ureg.parse_units(text)
    except Exception as exc:  # pint's parser raises many types: UndefinedUnitError, TokenError, ...
        raise InvalidImageError(
            f"unknown unit {text!r}: {exc}. Use a unit name such as 'micrometer' or 'second', "
            "or an abbreviation such as 'um' or 's'"
        ) from exc
    return _resolve_pint_unit(parsed)


def _as_pint_unit(unit: object) -> PlainUnit:
    """Return `unit` as a pint unit, unwrapping objects with a ``units`` attribute."""
    from pint.facets.plain import PlainUnit  # base class of every registry's Unit

    candidate = getattr(unit, "units", unit)
    if isinstance(candidate, PlainUnit):
        return candidate
    raise InvalidImageTypeError(
        f"unit must be a string, a pint.Unit, an object with a pint 'units' attribute or None, "
        f"not {type(unit).__name__}"
    )


def _resolve_pint_unit(unit: PlainUnit) -> _Resolved:
    """Describe a pint unit (from any registry) and find its spec name."""
    name = str(unit)
    dimensionality = unit.dimensionality
    dims = dict(dimensionality)
    kind: str | None = None
    for candidate, (_, dim, _, _, _) in _KINDS.items():
        if dims == {dim: 1}:
            kind = candidate
    if kind is None:
        return _Resolved(name, None, str(dimensionality), None, None)

    # Convert in the unit's own registry, so units from a user's registry work too.
    factor = float((1 * unit).to(_KINDS[kind][3]).magnitude)

    for spec_name, (spec_kind, spec_factor) in _spec_factors().items():
        if spec_kind == kind and math.isclose(factor, spec_factor, rel_tol=_REL_TOL):
            return _Resolved(name, kind, str(dimensionality), factor, spec_name)
    return _Resolved(name, kind, str(dimensionality), factor, None)
