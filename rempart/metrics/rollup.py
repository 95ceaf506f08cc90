"""Rollups: the count, average, minimum and maximum of a bucket, and *when* the extremes were.

Munin's RRD keeps daily averages, minima and maxima after 45 days and forgets the hour of a
peak; a :class:`Bucket` remembers the epoch second of the sample that held its minimum and
its maximum, so a year view still says "the disk was 98 % full on 14 March at 03:05".

Pure: values come in as a regular grid (``start``, ``step``, values with NaN for "no
data"). Empty slots are ignored; a bucket with no sample is None. Ties keep the earliest
time, so merging buckets gives exactly what rolling up at once gives (the average up to
floating-point rounding).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Bucket", "bucket_of", "merge", "merge_all", "roll_up"]


@dataclass(frozen=True, slots=True)
class Bucket:
    """The samples of one period: how many, their sum, and the extremes with their times."""

    start: int  # the period's start (epoch seconds)
    count: int
    total: float
    low: float
    low_at: int
    high: float
    high_at: int

    @property
    def avg(self) -> float:
        """The mean, kept inside [low, high] despite rounding."""
        return min(max(self.total / self.count, self.low), self.high)


def bucket_of(start: int, times: Sequence[int], values: Sequence[float]) -> Bucket | None:
    """The bucket starting at ``start`` of these samples (NaN ignored), or None if empty."""
    count, total = 0, 0.0
    low = high = math.nan
    low_at = high_at = 0
    for at, value in zip(times, values, strict=True):
        if math.isnan(value):  # no data
            continue
        if count == 0 or value < low:
            low, low_at = value, at
        if count == 0 or value > high:
            high, high_at = value, at
        count += 1
        total += value
    if count == 0:
        return None
    return Bucket(start, count, total, low, low_at, high, high_at)


def roll_up(values: Sequence[float], start: int, step: int, width: int) -> list[Bucket | None]:
    """Buckets of ``width`` seconds over the grid ``values`` (slot ``i`` at
    ``start + i*step``). Bucket ``j`` starts at ``start - start % width + j*width``; the
    first and last may be partial. ``width`` must be a multiple of ``step``."""
    if width % step or step <= 0:
        raise ValueError(f"width {width} is not a multiple of step {step}")
    if not values:
        return []
    first = start - start % width
    end = start + len(values) * step
    out: list[Bucket | None] = []
    for bstart in range(first, end, width):
        lo = max(0, (bstart - start) // step)
        hi = min(len(values), (bstart + width - start) // step)
        times = range(start + lo * step, start + hi * step, step)
        out.append(bucket_of(bstart, times, values[lo:hi]))
    return out


def merge(a: Bucket, b: Bucket) -> Bucket:
    """One bucket holding the samples of ``a`` and ``b`` (its start is the earlier one)."""
    low, low_at = (
        (b.low, b.low_at) if _before(b.low, b.low_at, a.low, a.low_at) else (a.low, a.low_at)
    )
    high, high_at = (
        (b.high, b.high_at)
        if _before(-b.high, b.high_at, -a.high, a.high_at)
        else (a.high, a.high_at)
    )
    return Bucket(
        min(a.start, b.start), a.count + b.count, a.total + b.total, low, low_at, high, high_at
    )


def merge_all(start: int, buckets: Iterable[Bucket | None]) -> Bucket | None:
    """The merge of ``buckets`` (None ignored) as one bucket starting at ``start``."""
    result: Bucket | None = None
    for bucket in buckets:
        if bucket is not None:
            result = bucket if result is None else merge(result, bucket)
    if result is None:
        return None
    return Bucket(
        start, result.count, result.total, result.low, result.low_at, result.high, result.high_at
    )


def _before(value: float, at: int, other: float, other_at: int) -> bool:
    """True when (value, at) wins over (other, other_at) as a minimum: smaller, or equal and
    earlier."""
    return value < other or (value == other and at < other_at)
