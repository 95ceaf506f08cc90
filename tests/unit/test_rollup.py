"""Rollups: min <= avg <= max, extremes are real samples with their times, merging equals
rolling up at once, empty slots ignored (hypothesis)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.metrics.rollup import Bucket, bucket_of, merge, merge_all, roll_up

NAN = math.nan
values = st.lists(
    st.one_of(st.just(NAN), st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)),
    max_size=300,
)
START = 1_735_689_600  # 2025-01-01 00:00 UTC


@given(values)
def test_min_le_avg_le_max_and_extremes_are_real_samples(vals: list[float]) -> None:
    for bucket in roll_up(vals, START, 300, 3600):
        if bucket is None:
            continue
        assert bucket.low <= bucket.avg <= bucket.high
        for value, at in ((bucket.low, bucket.low_at), (bucket.high, bucket.high_at)):
            assert (at - START) % 300 == 0
            assert vals[(at - START) // 300] == value
            assert bucket.start <= at < bucket.start + 3600


@given(values)
def test_empty_slots_are_ignored(vals: list[float]) -> None:
    buckets = roll_up(vals, START, 300, 3600)
    known = [v for v in vals if not math.isnan(v)]
    assert sum(b.count for b in buckets if b is not None) == len(known)
    for i, bucket in enumerate(buckets):
        if bucket is None:
            assert all(math.isnan(v) for v in vals[i * 12 : (i + 1) * 12])


@given(values)
def test_merging_hours_equals_rolling_up_the_day_at_once(vals: list[float]) -> None:
    day = roll_up(vals, START, 300, 86400)
    merged = merge_all(START, roll_up(vals, START, 300, 3600))
    whole = day[0] if day else None
    if whole is None or merged is None:
        assert whole is merged
        return
    assert (whole.count, whole.low, whole.low_at, whole.high, whole.high_at) == (
        merged.count,
        merged.low,
        merged.low_at,
        merged.high,
        merged.high_at,
    )
    assert whole.total == pytest.approx(merged.total, rel=1e-9, abs=1e-3)


@given(values, values)
def test_merge_is_order_free(a: list[float], b: list[float]) -> None:
    x = bucket_of(START, range(START, START + 300 * len(a), 300), a)
    y = bucket_of(START, range(START + 300 * len(a), START + 300 * (len(a) + len(b)), 300), b)
    if x is None or y is None:
        return
    xy, yx = merge(x, y), merge(y, x)
    assert (xy.low, xy.low_at, xy.high, xy.high_at, xy.count) == (
        yx.low,
        yx.low_at,
        yx.high,
        yx.high_at,
        yx.count,
    )


def test_ties_keep_the_earliest_time() -> None:
    bucket = bucket_of(0, [0, 300, 600], [5.0, 5.0, 5.0])
    assert bucket == Bucket(0, 3, 15.0, 5.0, 0, 5.0, 0)
    assert bucket.avg == 5.0


def test_a_partial_first_bucket_starts_on_its_boundary() -> None:
    buckets = roll_up([1.0, 2.0], START + 1800, 300, 3600)
    assert len(buckets) == 1
    assert buckets[0] is not None
    assert buckets[0].start == START
    assert buckets[0].high_at == START + 2100


def test_width_must_be_a_multiple_of_the_step() -> None:
    with pytest.raises(ValueError, match="multiple"):
        roll_up([1.0], 0, 300, 1000)
