"""The chunk codec: lossless bit for bit (NaN kept), compact for regular data, damage
detected; hourly rollup blobs round-trip."""

from __future__ import annotations

import math
import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.metrics.chunks import (
    CODEC_AUTO,
    CODEC_SCALED,
    CODEC_SHUFFLE,
    CODEC_XOR,
    SLOTS,
    decode_day,
    decode_hours,
    encode_day,
    encode_hours,
)
from rempart.metrics.rollup import roll_up

DAY0 = 1_735_689_600


def _bits(values: object) -> list[bytes]:
    return [struct.pack("<d", v) for v in values]  # type: ignore[attr-defined]


@given(
    st.lists(st.floats(), min_size=SLOTS, max_size=SLOTS),
    st.sampled_from([CODEC_AUTO, CODEC_SHUFFLE, CODEC_XOR]),
)
def test_a_day_round_trips_bit_for_bit(values: list[float], codec: int) -> None:
    decoded = decode_day(encode_day(values, codec))
    assert len(decoded) == SLOTS
    assert _bits(decoded) == _bits(values)


# values n / d that the scaled codec must take, with NaN holes, -0.0 and huge n mixed in
scaled_value = st.one_of(
    st.builds(lambda n, k: n / 10**k, st.integers(-(10**12), 10**12), st.integers(0, 6)),
    st.builds(lambda n: n / 300, st.integers(-(2**62), 2**62)),
    st.just(math.nan),
    st.just(-0.0),
    st.floats(),
)


@given(
    st.lists(scaled_value, min_size=SLOTS, max_size=SLOTS),
    st.sampled_from([CODEC_AUTO, CODEC_SCALED]),
)
def test_scaled_values_round_trip_bit_for_bit(values: list[float], codec: int) -> None:
    try:
        blob = encode_day(values, codec)
    except ValueError:
        assert codec == CODEC_SCALED  # not exact: only an explicit CODEC_SCALED refuses
        return
    assert _bits(decode_day(blob)) == _bits(values)


@given(st.integers(0, 6), st.integers(-(10**9), 10**9), st.lists(st.integers(-999, 999)))
def test_exact_decimal_days_take_the_scaled_codec(k: int, start: int, steps: list[int]) -> None:
    nums = [start + sum(steps[: i % (len(steps) + 1)]) for i in range(SLOTS)]
    values = [n / 10**k for n in nums]
    blob = encode_day(values, CODEC_SCALED)
    assert blob[0] == CODEC_SCALED
    assert _bits(decode_day(blob)) == _bits(values)


def test_two_decimal_gauge_and_rates_get_the_scaled_codec_and_are_smaller() -> None:
    gauge = [round(50 + 20 * math.sin(i / 40) + (i * 7919 % 97) / 50, 2) for i in range(SLOTS)]
    rates = [(90_000 + i * 104_729 % 2_000) / 300 for i in range(SLOTS)]
    rates[17] = math.nan
    for day in (gauge, rates):
        blob = encode_day(day)
        assert blob[0] == CODEC_SCALED
        assert len(blob) < len(encode_day(day, CODEC_SHUFFLE)) / 2
        assert _bits(decode_day(blob)) == _bits(day)
    assert encode_day([math.pi + i for i in range(SLOTS)])[0] == CODEC_SHUFFLE
    with pytest.raises(ValueError, match="exactly"):
        encode_day([math.pi] * SLOTS, CODEC_SCALED)


def test_regular_data_is_small() -> None:
    constant = [42.0] * SLOTS
    gauge = [20 + math.sin(i / 40) for i in range(SLOTS)]
    assert len(encode_day(constant)) < 40
    assert len(encode_day([i / 10 for i in range(SLOTS)])) < 100
    assert len(encode_day([math.nan] * SLOTS)) < 40
    assert len(encode_day(gauge, CODEC_XOR)) < SLOTS * 8
    assert len(encode_day(gauge, CODEC_SHUFFLE)) < SLOTS * 8


def test_damage_is_an_error_not_garbage() -> None:
    blob = encode_day([1.0] * SLOTS)
    scaled = encode_day([i / 100 for i in range(SLOTS)], CODEC_SCALED)
    body = zlib.decompress(scaled[1:])
    damaged = (
        b"",
        b"\x02garbage",
        blob[:-3],
        b"\x09" + blob[1:],
        scaled[:-3],
        b"\x03" + zlib.compress(body[:-1]),  # a delta short
        b"\x03" + zlib.compress(body[:10]),  # no bitmap
        b"\x03" + zlib.compress(b"\x07" + body[1:]),  # divisor 7
        b"\x03" + zlib.compress(body[:4] + b"\x03" + body[5:]),  # width 3
        b"\x03" + zlib.compress(body[:13] + b"\x00" + body[14:]),  # bitmap hole: too many deltas
        b"\x01" + zlib.compress(body),  # scaled body under the shuffle codec byte
    )
    for bad in damaged:
        with pytest.raises(ValueError, match=r"chunk|codec|rollup|format"):
            decode_day(bad)
    with pytest.raises(ValueError, match="288"):
        encode_day([1.0])


sparse_day = st.dictionaries(st.integers(0, SLOTS - 1), st.floats(-1e9, 1e9), max_size=40)


@given(sparse_day)
def test_hourly_rollups_round_trip(known: dict[int, float]) -> None:
    values = [known.get(i, math.nan) for i in range(SLOTS)]
    hours = roll_up(values, DAY0, 300, 3600)
    block = decode_hours(encode_hours(hours), DAY0)
    for h, expected in enumerate(hours):
        got = block.bucket(h)
        if expected is None or got is None:
            assert got is expected
            continue
        assert (got.start, got.count, got.low, got.low_at, got.high, got.high_at) == (
            expected.start,
            expected.count,
            expected.low,
            expected.low_at,
            expected.high,
            expected.high_at,
        )
        assert got.avg == pytest.approx(expected.avg, rel=1e-12, abs=1e-6)


def test_damaged_hourly_blob() -> None:
    with pytest.raises(ValueError, match=r"chunk|codec|rollup|format"):
        decode_hours(b"\x01nope", DAY0)
    with pytest.raises(ValueError, match=r"chunk|codec|rollup|format"):
        decode_hours(b"", DAY0)
