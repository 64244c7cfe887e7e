"""Tests for :mod:`xarray_omezarr.geometry.units`."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pint
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xarray_omezarr.geometry.units import SPACE_UNITS, TIME_UNITS, normalize_unit, unit_kind

MICRO_SIGN = "\u00b5"  # what a keyboard's AltGr+m types
GREEK_MU = "\u03bc"  # what the Greek keyboard (and NFKC) produce
A_RING = "\u00c5"  # Latin capital A with ring above
ANGSTROM_SIGN = "\u212b"  # the dedicated Angstrom sign

# SI prefix symbol -> prefix name, for every prefixed unit the spec lists.
SI_PREFIXES = {
    "a": "atto",
    "f": "femto",
    "p": "pico",
    "n": "nano",
    "u": "micro",
    MICRO_SIGN: "micro",
    GREEK_MU: "micro",
    "m": "milli",
    "c": "centi",
    "d": "deci",
    "": "",
    "h": "hecto",
    "k": "kilo",
    "M": "mega",
    "G": "giga",
    "T": "tera",
    "P": "peta",
    "E": "exa",
    "Z": "zetta",
    "Y": "yotta",
    "z": "zepto",
    "y": "yocto",
}


@pytest.fixture(scope="module")
def ureg() -> pint.UnitRegistry:
    return pint.UnitRegistry()


def test_spec_lists_have_the_spec_sizes() -> None:
    assert len(SPACE_UNITS) == 26
    assert len(TIME_UNITS) == 23
    assert not SPACE_UNITS & TIME_UNITS
    assert {"micrometer", "angstrom", "parsec", "inch"} <= SPACE_UNITS
    assert {"millisecond", "minute", "hour", "day"} <= TIME_UNITS


@pytest.mark.parametrize("name", sorted(SPACE_UNITS))
def test_space_spec_unit_normalizes_to_itself(name: str) -> None:
    assert normalize_unit(name, "space") == name


@pytest.mark.parametrize("name", sorted(TIME_UNITS))
def test_time_spec_unit_normalizes_to_itself(name: str) -> None:
    assert normalize_unit(name, "time") == name


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("um", "micrometer"),
        (f"{MICRO_SIGN}m", "micrometer"),
        (f"{GREEK_MU}m", "micrometer"),
        ("micron", "micrometer"),
        ("microns", "micrometer"),
        ("micrometre", "micrometer"),
        ("micrometers", "micrometer"),
        ("Micrometer", "micrometer"),
        (" um ", "micrometer"),
        ("nm", "nanometer"),
        ("mm", "millimeter"),
        ("Mm", "megameter"),
        ("m", "meter"),
        ("metre", "meter"),
        (A_RING, "angstrom"),
        (ANGSTROM_SIGN, "angstrom"),
        ("Angstrom", "angstrom"),
        ("angstroms", "angstrom"),
        ("in", "inch"),
        ("inches", "inch"),
        ("ft", "foot"),
        ("feet", "foot"),
        ("pc", "parsec"),
    ],
)
def test_space_aliases(alias: str, expected: str) -> None:
    assert normalize_unit(alias, "space") == expected


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("s", "second"),
        ("sec", "second"),
        ("seconds", "second"),
        ("ms", "millisecond"),
        ("milliseconds", "millisecond"),
        ("us", "microsecond"),
        (f"{MICRO_SIGN}s", "microsecond"),
        (f"{GREEK_MU}s", "microsecond"),
        ("ns", "nanosecond"),
        ("ps", "picosecond"),
        ("Ps", "petasecond"),
        ("min", "minute"),
        ("minutes", "minute"),
        ("h", "hour"),
        ("hr", "hour"),
        ("hours", "hour"),
        ("d", "day"),
        ("days", "day"),
        ("Second", "second"),
    ],
)
def test_time_aliases(alias: str, expected: str) -> None:
    assert normalize_unit(alias, "time") == expected


@given(prefix=st.sampled_from(sorted(SI_PREFIXES)), long_form=st.booleans(), plural=st.booleans())
@settings(max_examples=150, deadline=None)
def test_prefixed_si_units_map_by_scale(prefix: str, long_form: bool, plural: bool) -> None:
    name = SI_PREFIXES[prefix]
    for axis_type, symbol, base in (("space", "m", "meter"), ("time", "s", "second")):
        written = f"{name}{base}{'s' if plural else ''}" if long_form else f"{prefix}{symbol}"
        assert normalize_unit(written, axis_type) == f"{name}{base}"


def test_pint_units_are_accepted(ureg: pint.UnitRegistry) -> None:
    assert normalize_unit(ureg.Unit("um"), "space") == "micrometer"
    assert normalize_unit(ureg.Unit("micron"), "space") == "micrometer"
    assert normalize_unit(ureg.Unit("angstrom"), "space") == "angstrom"
    assert normalize_unit(ureg.Unit("ms"), "time") == "millisecond"
    assert normalize_unit(ureg.Unit("hour"), "time") == "hour"


def test_pint_quantity_uses_its_units(ureg: pint.UnitRegistry) -> None:
    assert normalize_unit(ureg.Quantity(0.5, "um"), "space") == "micrometer"
    assert normalize_unit(ureg.Quantity(2.0, "min"), "time") == "minute"


def test_pint_unit_from_the_application_registry() -> None:
    assert normalize_unit(pint.Unit("nm"), "space") == "nanometer"
    assert normalize_unit(pint.Quantity(1, "s").units, "time") == "second"


def test_pint_unit_of_wrong_kind_raises(ureg: pint.UnitRegistry) -> None:
    with pytest.raises(ValueError, match=r"axis 'z' .*time unit.*length unit"):
        normalize_unit(ureg.Unit("ms"), "space", axis_name="z")


def test_space_axis_with_time_unit_names_the_axis() -> None:
    with pytest.raises(ValueError, match="time unit") as info:
        normalize_unit("s", "space", axis_name="x")
    message = str(info.value)
    assert "'x'" in message
    assert "'s'" in message
    assert "length unit" in message
    assert "'micrometer'" in message


def test_time_axis_with_length_unit_names_the_axis() -> None:
    with pytest.raises(ValueError, match="length unit") as info:
        normalize_unit("um", "time", axis_name="t")
    message = str(info.value)
    assert "'t'" in message
    assert "'um'" in message
    assert "time unit such as 'second'" in message


@pytest.mark.parametrize(
    ("unit", "axis_type"),
    [("second", "space"), ("micrometer", "time"), ("Hour", "space"), ("Meter", "time")],
)
def test_spec_name_of_the_other_kind_raises(unit: str, axis_type: str) -> None:
    with pytest.raises(ValueError, match=rf"axis 'a' has unit '{unit}'.*needs a"):
        normalize_unit(unit, axis_type, axis_name="a")


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("um/s", r"dimensionality \[length\] / \[time\]"),
        ("m**2", r"\[length\] \*\* 2"),
        ("%", "dimensionless"),
    ],
)
def test_other_dimensions_raise(unit: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        normalize_unit(unit, "space", axis_name="y")


@pytest.mark.parametrize(
    ("unit", "axis_type"),
    [("lightyear", "space"), ("au", "space"), ("dam", "space"), ("week", "time"), ("year", "time")],
)
def test_unit_of_right_kind_but_not_in_spec_raises(unit: str, axis_type: str) -> None:
    with pytest.raises(ValueError, match="not one the OME-NGFF spec allows") as info:
        normalize_unit(unit, axis_type, axis_name="q")
    message = str(info.value)
    assert "'q'" in message
    assert "convert the coordinate" in message
    allowed = SPACE_UNITS if axis_type == "space" else TIME_UNITS
    assert all(name in message for name in allowed)


def test_not_in_spec_message_gives_the_conversion_factor() -> None:
    with pytest.raises(ValueError, match=r"1 week = 604800 second"):
        normalize_unit("week", "time")


@pytest.mark.parametrize("unit", ["furlongz", "um)", "2 um", "1e-6 m", "micro meter", "UM"])
def test_unknown_unit_raises(unit: str) -> None:
    with pytest.raises(ValueError, match="unknown unit"):
        normalize_unit(unit, "space", axis_name="x")


@given(st.text(max_size=12))
@settings(max_examples=300, deadline=None)
def test_arbitrary_text_gives_spec_name_none_or_value_error(text: str) -> None:
    for axis_type, allowed in (("space", SPACE_UNITS), ("time", TIME_UNITS)):
        try:
            result = normalize_unit(text, axis_type)
        except ValueError:
            continue
        assert result is None or result in allowed


@pytest.mark.parametrize("unit", ["um", "micrometer", "", None])
def test_channel_axis(unit: str | None) -> None:
    if not unit:
        assert normalize_unit(unit, "channel") is None
        return
    with pytest.raises(ValueError, match=r"axis 'c' is a channel axis.*no unit"):
        normalize_unit(unit, "channel", axis_name="c")


def test_channel_axis_rejects_pint_unit(ureg: pint.UnitRegistry) -> None:
    with pytest.raises(ValueError, match="channel"):
        normalize_unit(ureg.Unit("nm"), "channel")


@pytest.mark.parametrize("axis_type", ["space", "time", "channel", "angle", None])
@pytest.mark.parametrize("unit", [None, "", "   "])
def test_missing_unit_is_none(unit: str | None, axis_type: str | None) -> None:
    assert normalize_unit(unit, axis_type) is None


@pytest.mark.parametrize("axis_type", [None, "angle", "Space", "frequency"])
@pytest.mark.parametrize("unit", ["um", "arbitrary units", "degree", "furlongz)", "s"])
def test_custom_axis_types_keep_the_string(unit: str, axis_type: str | None) -> None:
    assert normalize_unit(unit, axis_type) == unit


@given(unit=st.text(min_size=1).filter(str.strip), axis_type=st.sampled_from([None, "custom", "angle"]))
def test_custom_axis_types_keep_any_string(unit: str, axis_type: str | None) -> None:
    assert normalize_unit(unit, axis_type) == unit


def test_custom_axis_type_with_pint_unit_uses_str(ureg: pint.UnitRegistry) -> None:
    assert normalize_unit(ureg.Unit("um"), "angle") == "micrometer"
    assert normalize_unit(ureg.Unit("degree"), None) == "degree"
    assert normalize_unit(ureg.Quantity(3, "micron"), None) == "micron"


@pytest.mark.parametrize("unit", [5, 1.0, object(), ["um"]])
def test_non_unit_objects_raise_type_error(unit: object) -> None:
    with pytest.raises(TypeError, match="unit must be"):
        normalize_unit(unit, "space")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(SPACE_UNITS))
def test_unit_kind_space(name: str) -> None:
    assert unit_kind(name) == "space"


@pytest.mark.parametrize("name", sorted(TIME_UNITS))
def test_unit_kind_time(name: str) -> None:
    assert unit_kind(name) == "time"


@pytest.mark.parametrize("name", ["um", "s", "Micrometer", "week", "", "channel"])
def test_unit_kind_other(name: str) -> None:
    assert unit_kind(name) is None


def test_import_and_fast_path_do_not_import_pint() -> None:
    # A fresh interpreter imports the package (as xarray does when it scans backends) and the
    # module: neither may import pint.
    module_path = "xarray_omezarr.geometry.units"
    script = textwrap.dedent(
        """
        import importlib
        import sys

        module = importlib.import_module(sys.argv[1])
        assert "pint" not in sys.modules, "importing the module imported pint"

        assert module.normalize_unit("micrometer", "space") == "micrometer"
        assert module.normalize_unit("millisecond", "time") == "millisecond"
        assert module.normalize_unit("Micrometer", "space") == "micrometer"
        assert module.normalize_unit("um", "custom") == "um"
        assert module.unit_kind("hour") == "time"
        assert "pint" not in sys.modules, "the fast path imported pint"

        assert module.normalize_unit("um", "space") == "micrometer"
        assert "pint" in sys.modules, "an alias was resolved without pint"
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(module_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
