"""Stored values of DERIVE, COUNTER and ABSOLUTE readings as rrdtool stores them
(rempart.metrics.rates): rates, wraps at 32 and 64 bits, resets, min/max."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from rempart.metrics.model import Field
from rempart.metrics.rates import WRAP32, WRAP64, Reading, counter_delta, stored_value

GAUGE = Field("g", "g")
DERIVE = Field("d", "d", type="DERIVE", min=0)
COUNTER = Field("c", "c", type="COUNTER")
ABSOLUTE = Field("a", "a", type="ABSOLUTE")


def test_gauge_as_read_within_min_max() -> None:
    assert stored_value(GAUGE, 4.5, 300, None) == 4.5
    assert stored_value(GAUGE, None, 300, None) is None
    assert stored_value(GAUGE, math.nan, 300, None) is None
    bounded = Field("g", "g", min=0, max=100)
    assert stored_value(bounded, 101, 300, None) is None
    assert stored_value(bounded, -1, 300, None) is None
    assert stored_value(bounded, 100, 300, None) == 100


def test_derive_rate_first_reading_and_reset() -> None:
    assert stored_value(DERIVE, 1000, 300, None) is None  # nothing to compare with
    assert stored_value(DERIVE, 4000, 600, Reading(1000, 300)) == 10.0
    assert stored_value(DERIVE, 10, 600, Reading(1000, 300)) is None  # reset (reboot)
    assert stored_value(DERIVE, 10, 300, Reading(5, 300)) is None  # no time elapsed
    assert stored_value(DERIVE, None, 600, Reading(5, 300)) is None  # U
    assert stored_value(DERIVE, 4000, 90000, Reading(1000, 300), max_gap=3600) is None


def test_counter_wrap_32_bits() -> None:
    before = WRAP32 - 1000
    assert stored_value(COUNTER, 2000, 600, Reading(before, 300)) == 3000 / 300


def test_counter_wrap_64_bits() -> None:
    before = WRAP64 - 3000 * 1024  # past 2^32: a 64-bit counter
    value = stored_value(COUNTER, 0, 600, Reading(before, 300))
    assert value is not None
    assert math.isclose(value, 3000 * 1024 / 300, rel_tol=1e-3)


def test_counter_reset_is_not_a_wrap() -> None:
    # a 64-bit byte counter at 10^12 comes back at 5: a reboot, not 1.8e19 bytes in 5 minutes
    assert stored_value(COUNTER, 5, 600, Reading(1e12, 300)) is None
    # a 32-bit counter at 10^9 falls to 1000: more than half its range, a reset
    assert stored_value(COUNTER, 1000, 600, Reading(1e9, 300)) is None
    assert counter_delta(WRAP32 - 10, 5) == 15  # a small 32-bit wrap still counts
    assert counter_delta(-1, 50) is None


def test_counter_above_max_is_dropped() -> None:
    link = Field("c", "c", type="COUNTER", max=125_000_000)  # 1 Gb/s in bytes
    assert stored_value(link, 300 * 125_000_001, 600, Reading(0, 300)) is None
    assert stored_value(link, 300 * 1000, 600, Reading(0, 300)) == 1000


def test_absolute_divides_by_the_interval() -> None:
    assert stored_value(ABSOLUTE, 600, 600, Reading(1, 300)) == 2.0
    assert stored_value(ABSOLUTE, 600, 600, None) is None


@given(
    st.floats(min_value=0, max_value=2**63, allow_nan=False),
    st.floats(min_value=0, max_value=2**63, allow_nan=False),
    st.integers(min_value=1, max_value=10_000),
)
def test_rates_are_never_negative(previous: float, value: float, dt: int) -> None:
    for f in (DERIVE, COUNTER, ABSOLUTE, Field("d", "d", type="DERIVE")):
        stored = stored_value(f, value, 300 + dt, Reading(previous, 300))
        assert stored is None or (stored >= 0 and math.isfinite(stored))
