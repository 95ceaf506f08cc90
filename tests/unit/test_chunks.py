"""The chunk codec: lossless bit for bit (NaN kept), compact for regular data, damage
detected; hourly rollup blobs round-trip."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.metrics.chunks import (
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


@given(st.lists(st.floats(), min_size=SLOTS, max_size=SLOTS), st.sampled_from([1, 2]))
def test_a_day_round_trips_bit_for_bit(values: list[float], codec: int) -> None:
    decoded = decode_day(encode_day(values, codec))
    assert len(decoded) == SLOTS
    assert [struct.pack("<d", v) for v in decoded] == [struct.pack("<d", v) for v in values]


def test_regular_data_is_small() -> None:
    constant = [42.0] * SLOTS
    gauge = [20 + math.sin(i / 40) for i in range(SLOTS)]
    assert len(encode_day(constant)) < 40
    assert len(encode_day([math.nan] * SLOTS)) < 40
    assert len(encode_day(gauge, CODEC_XOR)) < SLOTS * 8
    assert len(encode_day(gauge, CODEC_SHUFFLE)) < SLOTS * 8


def test_damage_is_an_error_not_garbage() -> None:
    blob = encode_day([1.0] * SLOTS)
    for bad in (b"", b"\x02garbage", blob[:-3], b"\x09" + blob[1:]):
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
