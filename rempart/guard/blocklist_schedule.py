"""When to download the AbuseIPDB blocklist next, within the plan's daily limit (pure).

A :class:`DownloadSchedule` is what the blocklist service remembers across restarts:
the UTC day its attempts count for and how many it made (failed ones too: AbuseIPDB
counts every call), when it last tried and last succeeded, and when the server or a
failure asks it to wait. :meth:`DownloadSchedule.due` says when the next download may
start:

- after a success, ``every`` seconds later;
- after a failure, 15 min, 30 min, 1 h… (doubling, at most ``every``) later;
- after a 429, not before the time the server gave (its ``X-RateLimit-Reset``);
- never more than ``limit`` attempts in one UTC day: once they are used, the next
  starts a minute after 00:00 UTC, when AbuseIPDB resets its counters.

Pure: times are arguments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["DAY", "RESET_MARGIN", "RETRY_FIRST", "DownloadSchedule", "json_time", "utc_day"]

DAY = 86400.0
#: after 00:00 UTC, the wait before using a new day's quota (clocks differ a little)
RESET_MARGIN = 60.0
#: the first retry after a failure; each next one waits twice as long (up to ``every``)
RETRY_FIRST = 900.0


def utc_day(now: float) -> int:
    """The UTC day of ``now`` (days since the epoch): AbuseIPDB's quotas reset at 00:00 UTC."""
    return math.floor(now / DAY)


@dataclass(frozen=True, slots=True)
class DownloadSchedule:
    """Downloads made and to come. ``failures``: failures since the last success;
    ``wait_until``: a time the server asked for (a 429), or None."""

    day: int = 0
    attempts: int = 0
    last_attempt: float | None = None
    last_success: float | None = None
    failures: int = 0
    retry_at: float | None = None
    wait_until: float | None = None
    last_error: str = ""

    def attempts_on(self, now: float) -> int:
        """Attempts counted in the UTC day of ``now``."""
        return self.attempts if self.day == utc_day(now) else 0

    def budget_left(self, now: float, limit: int) -> int:
        return max(0, limit - self.attempts_on(now))

    def next_reset(self, now: float) -> float:
        """A minute after the next 00:00 UTC."""
        return (utc_day(now) + 1) * DAY + RESET_MARGIN

    def due(self, now: float, every: float, limit: int) -> float:
        """The earliest time the next download may start (``now`` or earlier: at once)."""
        if self.retry_at is not None:
            base = self.retry_at
        elif self.last_success is not None:
            base = self.last_success + every
        else:
            base = now
        if self.wait_until is not None:
            base = max(base, self.wait_until)
        if self.budget_left(max(base, now), limit) == 0:
            base = max(base, self.next_reset(max(base, now)))
        return base

    def refusal(self, now: float, limit: int) -> str | None:
        """Why a download cannot start at ``now`` whatever the schedule, or None."""
        if self.budget_left(now, limit) == 0:
            return "daily_limit"
        if self.wait_until is not None and now < self.wait_until:
            return "server_wait"
        return None

    def started(self, now: float) -> DownloadSchedule:
        """One more attempt counted (before the call: a crash during it still counts)."""
        return replace(self, day=utc_day(now), attempts=self.attempts_on(now) + 1, last_attempt=now)

    def succeeded(self, now: float) -> DownloadSchedule:
        return replace(
            self, last_success=now, failures=0, retry_at=None, wait_until=None, last_error=""
        )

    def failed(
        self,
        now: float,
        every: float,
        detail: str,
        *,
        resume_at: float | None = None,
        quota_gone: bool = False,
        limit: int = 0,
    ) -> DownloadSchedule:
        """A failed attempt: retry with a doubling delay (at most ``every``), not before
        ``resume_at`` (the server's time); ``quota_gone`` (a "Daily rate limit" 429) uses
        up the day's ``limit`` and waits a minute more than the server's reset time."""
        failures = self.failures + 1
        delay = min(every, RETRY_FIRST * 2 ** min(failures - 1, 20))
        attempts = max(self.attempts_on(now), limit) if quota_gone else self.attempts_on(now)
        if resume_at is not None and quota_gone:
            resume_at += RESET_MARGIN
        return replace(
            self,
            day=utc_day(now),
            attempts=attempts,
            failures=failures,
            retry_at=now + delay,
            wait_until=resume_at,
            last_error=detail,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "attempts": self.attempts,
            "last_attempt": self.last_attempt,
            "last_success": self.last_success,
            "failures": self.failures,
            "retry_at": self.retry_at,
            "wait_until": self.wait_until,
            "last_error": self.last_error,
        }

    @classmethod
    def from_json(cls, data: Any) -> DownloadSchedule:
        """The schedule of :meth:`to_json`'s output. Raises ValueError on anything else."""
        if not isinstance(data, dict):
            raise ValueError("not an object")
        try:
            return cls(
                day=_int(data["day"]),
                attempts=_int(data["attempts"]),
                last_attempt=json_time(data["last_attempt"]),
                last_success=json_time(data["last_success"]),
                failures=_int(data["failures"]),
                retry_at=json_time(data["retry_at"]),
                wait_until=json_time(data["wait_until"]),
                last_error=str(data["last_error"])[:500],
            )
        except KeyError as exc:
            raise ValueError(f"missing {exc}") from exc


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value


def json_time(value: Any) -> float | None:
    """An epoch time read from JSON (None stays None); ValueError for anything else."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{value!r} is not a time")
    return float(value)
