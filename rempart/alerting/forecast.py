"""The disk-full forecast (PURE): a least-squares line through a filesystem's recent usage
(percent, the ``df`` graph) and the days until it reaches 100 %.

Also usable for a yearly report: give it any :class:`~rempart.metrics.series.SeriesData`
(its ``avg`` is used; NaN slots are skipped).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rempart.metrics.series import SeriesData

__all__ = ["DAY", "MIN_POINTS", "Forecast", "days_until_full", "fit_line"]

DAY = 86400.0
MIN_POINTS = 6  # fewer samples than this (half an hour at 5 minutes): no forecast


@dataclass(frozen=True, slots=True)
class Forecast:
    """``slope`` in percent per day; ``level`` the fitted usage at the forecast's time;
    ``days_left`` until ``full`` (None when usage is flat or shrinking)."""

    slope: float
    level: float
    days_left: float | None
    points: int


def fit_line(times: Sequence[float], values: Sequence[float]) -> tuple[float, float] | None:
    """``(slope, intercept)`` of the least-squares line ``value = slope × time + intercept``;
    None when fewer than two distinct times."""
    n = len(times)
    if n < 2:
        return None
    mean_t = math.fsum(times) / n
    mean_v = math.fsum(values) / n
    sxx = math.fsum((t - mean_t) ** 2 for t in times)
    if sxx <= 0:
        return None
    sxy = math.fsum((t - mean_t) * (v - mean_v) for t, v in zip(times, values, strict=True))
    slope = sxy / sxx
    return slope, mean_v - slope * mean_t


def _points(data: SeriesData) -> tuple[list[float], list[float]]:
    times: list[float] = []
    values: list[float] = []
    for i, value in enumerate(data.avg):
        if not math.isnan(value):
            times.append(float(data.start + i * data.step))
            values.append(value)
    return times, values


def days_until_full(
    data: SeriesData, at: float, *, full: float = 100.0, min_points: int = MIN_POINTS
) -> Forecast | None:
    """The forecast at time ``at`` from ``data``; None with too few samples."""
    times, values = _points(data)
    if len(times) < min_points:
        return None
    line = fit_line(times, values)
    if line is None:
        return None
    slope, intercept = line
    level = slope * at + intercept
    per_day = slope * DAY
    if per_day <= 1e-9:
        return Forecast(per_day, level, None, len(times))
    return Forecast(per_day, level, max(0.0, (full - level) / per_day), len(times))
