"""The disk-full forecast on synthetic ``df`` histories."""

from __future__ import annotations

import math
import random
from array import array

import pytest

from rempart.alerting.forecast import DAY, days_until_full, fit_line
from rempart.metrics.series import SeriesData, SeriesKey

KEY = SeriesKey("web1", "df", "_dev_sda1")
T0 = 1_767_225_600


def history(values: list[float], start: int = T0) -> SeriesData:
    return SeriesData(KEY, start, 300, array("d", values))


@pytest.mark.parametrize("per_day", [0.5, 2.0, 10.0])
def test_filling_disk_days_left_within_one_percent(per_day: float) -> None:
    rng = random.Random(6)
    values = [60.0 + per_day * i * 300 / DAY + rng.uniform(-0.2, 0.2) for i in range(288)]
    at = T0 + 288 * 300
    forecast = days_until_full(history(values), at)
    assert forecast is not None
    assert forecast.days_left is not None
    expected = (100.0 - (60.0 + per_day * 288 * 300 / DAY)) / per_day
    assert forecast.days_left == pytest.approx(expected, rel=0.01)
    assert forecast.slope == pytest.approx(per_day, rel=0.01)


@pytest.mark.parametrize("per_day", [0.0, -3.0])
def test_flat_or_shrinking_gives_no_date(per_day: float) -> None:
    values = [70.0 + per_day * i * 300 / DAY for i in range(288)]
    forecast = days_until_full(history(values), T0 + 288 * 300)
    assert forecast is not None
    assert forecast.days_left is None


def test_gaps_are_skipped_and_too_few_points_give_nothing() -> None:
    values = [math.nan] * 100 + [50.0 + i * 0.01 for i in range(20)] + [math.nan] * 10
    forecast = days_until_full(history(values), T0 + 130 * 300)
    assert forecast is not None
    assert forecast.points == 20
    assert forecast.days_left is not None
    assert days_until_full(history([math.nan] * 50 + [1.0, 2.0]), T0) is None
    assert days_until_full(history([]), T0) is None


def test_already_full_is_zero_days() -> None:
    values = [99.0 + i * 0.01 for i in range(288)]
    forecast = days_until_full(history(values), T0 + 288 * 300)
    assert forecast is not None
    assert forecast.days_left == 0.0


def test_fit_line_exact() -> None:
    assert fit_line([0, 1, 2], [1, 3, 5]) == pytest.approx((2.0, 1.0))
    assert fit_line([5, 5], [1, 2]) is None
    assert fit_line([1], [1]) is None
