"""munin-limits ranges: parsing and checking as Munin::Master::LimitsOld (2.0.73) does."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.metrics.model import Field
from rempart.munin.ranges import Range, check, parse_range, perl_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10:20", Range(10, 20)),
        (":90", Range(None, 90)),
        ("5:", Range(5, None)),
        (":", Range(None, None)),
        ("92", Range(None, 92)),
        (" 92 ", Range(None, 92)),
        ("-5:+5", Range(-5, 5)),
        ("0.5:1.5", Range(0.5, 1.5)),
        ("1.2.3", Range(None, 1.2)),  # Perl reads the leading number
        ("+:-", Range(0, 0)),  # characters of the class that make no number are 0
        ("1e5", Range(0, 0)),  # anything else is [0,0]
        ("abc", Range(0, 0)),
        ("", Range(0, 0)),
        ("10:20:30", Range(0, 0)),
    ],
)
def test_parse_range(text: str, expected: Range) -> None:
    assert parse_range(text) == expected


def test_contains() -> None:
    assert Range(10, 20).contains(10)
    assert Range(10, 20).contains(20)
    assert not Range(10, 20).contains(20.01)
    assert not Range(10, 20).contains(9.99)
    assert Range().contains(-1e300)
    assert not Range(0, 0).contains(1)
    assert Range(0, 0).contains(0)
    assert not Range().contains(math.nan)
    assert str(Range(None, 90)) == ":90"
    assert str(Range(0.5, 2)) == "0.5:2"


FIELD = Field("hits", "hits", warning="10:20", critical=":90")


@pytest.mark.parametrize(
    ("value", "state"),
    [
        (15, "ok"),
        (42, "warning"),  # recorded: "hits is 42.00 (outside range [10:20])"
        (5, "warning"),
        (91, "critical"),
        (90.004, "warning"),  # rounded to 90.00 first: not above 90, but outside 10:20
        (None, "unknown"),
        (math.nan, "unknown"),
    ],
)
def test_check(value: float | None, state: str) -> None:
    assert check(FIELD, value) == state


def test_check_without_limits_is_ok_and_junk_limits_alarm_on_non_zero() -> None:
    assert check(Field("x", "x"), 1e9) == "ok"
    junk = Field("x", "x", critical="lots")
    assert check(junk, 0) == "ok"
    assert check(junk, 0.001) == "ok"  # 0.00 after rounding
    assert check(junk, 1) == "critical"
    assert check(Field("df", "/", warning="92", critical="98"), 95) == "warning"


def test_perl_number() -> None:
    assert perl_number("12abc") == 12
    assert perl_number("-.5") == -0.5
    assert perl_number("+") == 0
    assert perl_number("") == 0


@given(st.text(max_size=30))
def test_any_text_is_a_range(text: str) -> None:
    rng = parse_range(text)
    assert rng.low is None or math.isfinite(rng.low)
    assert rng.high is None or math.isfinite(rng.high)


@given(
    st.one_of(st.none(), st.integers(-1000, 1000)),
    st.one_of(st.none(), st.integers(-1000, 1000)),
    st.floats(-2000, 2000),
)
def test_written_ranges_read_back_and_check_agrees(
    low: int | None, high: int | None, value: float
) -> None:
    rng = Range(low, high)
    assert parse_range(str(rng)) == rng
    field = Field("f", "f", critical=str(rng))
    rounded = float(f"{value:.2f}")
    assert (check(field, value) == "ok") == rng.contains(rounded)
