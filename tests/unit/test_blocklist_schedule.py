"""DownloadSchedule: when the blocklist may be downloaded again, within the daily limit."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.guard.blocklist_schedule import (
    DAY,
    RESET_MARGIN,
    RETRY_FIRST,
    DownloadSchedule,
    utc_day,
)

T0 = 1_748_779_200.0  # 2025-06-01T12:00:00Z
MIDNIGHT = 1_748_822_400.0  # 2025-06-02T00:00:00Z
EVERY, LIMIT = DAY, 5


def test_a_fresh_schedule_is_due_at_once_and_a_success_waits_every() -> None:
    s = DownloadSchedule()
    assert s.due(T0, EVERY, LIMIT) == T0
    s = s.started(T0).succeeded(T0)
    assert s.attempts_on(T0) == 1
    assert s.due(T0 + 10, EVERY, LIMIT) == T0 + EVERY
    assert s.due(T0 + 10, 6 * 3600, LIMIT) == T0 + 6 * 3600  # a changed `every` applies


def test_failures_back_off_and_never_exceed_the_daily_limit() -> None:
    s, now, times = DownloadSchedule(), T0, []
    for _ in range(8):
        now = max(now, s.due(now, EVERY, LIMIT))
        times.append(now)
        s = s.started(now).failed(now, EVERY, "server_error")
    per_day: dict[int, int] = {}
    for t in times:
        per_day[utc_day(t)] = per_day.get(utc_day(t), 0) + 1
    assert max(per_day.values()) <= LIMIT
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[:3] == [RETRY_FIRST, 2 * RETRY_FIRST, 4 * RETRY_FIRST]
    assert MIDNIGHT + RESET_MARGIN in times  # the 6th attempt waited for the reset
    assert s.last_error == "server_error"


def test_a_success_after_failures_resets_the_backoff() -> None:
    s = DownloadSchedule().started(T0).failed(T0, EVERY, "x").started(T0 + 900).succeeded(T0 + 900)
    assert s.failures == 0
    assert s.retry_at is None
    assert s.last_error == ""
    assert s.due(T0 + 901, EVERY, LIMIT) == T0 + 900 + EVERY


def test_a_daily_limit_429_waits_for_the_server_reset() -> None:
    s = DownloadSchedule().started(T0)
    s = s.failed(T0, EVERY, "daily_limit", resume_at=MIDNIGHT, quota_gone=True, limit=LIMIT)
    assert s.attempts_on(T0) == LIMIT
    assert s.refusal(T0 + 1, LIMIT) == "daily_limit"
    assert s.due(T0, EVERY, LIMIT) == MIDNIGHT + RESET_MARGIN
    assert s.refusal(MIDNIGHT + RESET_MARGIN, LIMIT) is None


def test_a_throttling_429_waits_until_the_time_given() -> None:
    s = DownloadSchedule().started(T0).failed(T0, EVERY, "rate_limited", resume_at=T0 + 7200)
    assert s.due(T0, EVERY, LIMIT) == T0 + 7200
    assert s.refusal(T0 + 60, LIMIT) == "server_wait"
    assert s.refusal(T0 + 7200, LIMIT) is None


def test_attempts_count_per_utc_day() -> None:
    s = DownloadSchedule()
    for i in range(LIMIT):
        s = s.started(MIDNIGHT - 100 + i)
    assert s.refusal(MIDNIGHT - 1, LIMIT) == "daily_limit"
    assert s.attempts_on(MIDNIGHT + 1) == 0
    assert s.refusal(MIDNIGHT + 1, LIMIT) is None
    assert s.started(MIDNIGHT + 1).attempts_on(MIDNIGHT + 2) == 1


def test_json_round_trip_and_refusals() -> None:
    s = DownloadSchedule().started(T0).failed(T0, EVERY, "é\n", resume_at=T0 + 5)
    assert DownloadSchedule.from_json(s.to_json()) == s
    for bad in (
        None,
        [],
        {},
        {**s.to_json(), "attempts": -1},
        {**s.to_json(), "day": True},
        {**s.to_json(), "retry_at": "soon"},
        {**s.to_json(), "last_success": float("nan")},
    ):
        with pytest.raises(ValueError, match=r"."):
            DownloadSchedule.from_json(bad)


@given(
    st.lists(
        st.tuples(
            st.floats(0, 3 * DAY),  # how long after the due time it runs
            st.sampled_from(["ok", "fail", "daily", "throttle"]),
        ),
        max_size=40,
    ),
    st.integers(1, 10),
    st.sampled_from([DAY / 10, DAY / 2, DAY, 7 * DAY]),
)
def test_never_more_attempts_per_utc_day_than_the_limit(
    steps: list[tuple[float, str]], limit: int, every: float
) -> None:
    every = max(every, DAY / limit)
    s, now, per_day = DownloadSchedule(), T0, {}
    for late, what in steps:
        now = max(now, s.due(now, every, limit)) + late
        assert s.refusal(now, limit) is None
        s = s.started(now)
        per_day[utc_day(now)] = per_day.get(utc_day(now), 0) + 1
        assert per_day[utc_day(now)] <= limit
        if what == "ok":
            s = s.succeeded(now)
        elif what == "daily":
            s = s.failed(
                now, every, what, resume_at=s.next_reset(now), quota_gone=True, limit=limit
            )
        elif what == "throttle":
            s = s.failed(now, every, what, resume_at=now + 3600)
        else:
            s = s.failed(now, every, what)
        assert s.due(now, every, limit) > now
