"""The daily call budget of one AbuseIPDB endpoint.

AbuseIPDB counts calls per endpoint and per UTC day and resets the counts at 00:00
UTC. A :class:`Budget` is the local view of one endpoint's count for one day:

- ``used``: the calls rempart made that day (every call counts, the refused ones too:
  AbuseIPDB counts a duplicate report it rejects);
- ``remaining``: what the server said was left (``X-RateLimit-Remaining`` of its last
  answer), minus the calls made since; it can only lower what is allowed, never raise
  it above ``limit - used`` (the key may be shared with other machines: the server's
  count is then the smaller one);
- ``paused_until``/``reason``: no call before that time (a "Daily rate limit" answer
  pauses the endpoint until the reset).

So no more than ``limit`` calls are ever allowed in one UTC day. Pure: every method
takes the time and returns a new value.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["DAY", "RESET_MARGIN", "Budget", "next_reset", "reset_time", "utc_day"]

DAY = 86400.0
RESET_MARGIN = 60.0  # resume a minute after 00:00 UTC (the server's clock may lag ours)


def utc_day(now: float) -> int:
    """The UTC day number of ``now`` (days since 1970-01-01)."""
    return int(now // DAY)


def next_reset(now: float) -> float:
    """The next 00:00 UTC after ``now``."""
    return (utc_day(now) + 1) * DAY


def reset_time(now: float, reset_at: float | None) -> float:
    """When to resume after a "Daily rate limit" answer received at ``now``: the
    server's reset time (plus the margin) when it is plausible, else the next 00:00 UTC
    (plus the margin)."""
    if reset_at is not None and now < reset_at <= next_reset(now) + 2 * 3600:
        return reset_at + RESET_MARGIN
    return next_reset(now) + RESET_MARGIN


@dataclass(frozen=True, slots=True)
class Budget:
    """Calls of ``endpoint`` on UTC day ``day``; see the module documentation."""

    endpoint: str
    limit: int
    day: int
    used: int = 0
    remaining: int | None = None
    paused_until: float | None = None
    reason: str = ""

    @classmethod
    def fresh(cls, endpoint: str, limit: int, now: float) -> Budget:
        return cls(endpoint, limit, utc_day(now))

    def today(self, now: float) -> Budget:
        """This budget as of ``now``: a new day starts with nothing used; a pause that
        ended is lifted."""
        budget = self
        if utc_day(now) != self.day:
            budget = replace(self, day=utc_day(now), used=0, remaining=None)
        if budget.paused_until is not None and budget.paused_until <= now:
            budget = replace(budget, paused_until=None, reason="")
        return budget

    @property
    def left(self) -> int:
        """Calls still allowed today (ignoring a pause)."""
        mine = max(0, self.limit - self.used)
        return mine if self.remaining is None else max(0, min(mine, self.remaining))

    def paused(self, now: float) -> bool:
        return self.paused_until is not None and now < self.paused_until

    def allows(self, now: float) -> bool:
        """Whether one more call may be made at ``now``."""
        budget = self.today(now)
        return not budget.paused(now) and budget.left > 0

    def spend(self, now: float) -> Budget:
        """One call made at ``now`` (whatever its answer)."""
        budget = self.today(now)
        remaining = None if budget.remaining is None else max(0, budget.remaining - 1)
        return replace(budget, used=budget.used + 1, remaining=remaining)

    def observe(self, now: float, remaining: int | None) -> Budget:
        """The server's ``X-RateLimit-Remaining`` of an answer received at ``now``."""
        budget = self.today(now)
        if remaining is None or remaining < 0:
            return budget
        return replace(budget, remaining=remaining)

    def pause(self, until: float, reason: str) -> Budget:
        """No call before ``until`` (a later pause already in force wins)."""
        if self.paused_until is not None and self.paused_until >= until:
            return self
        return replace(self, paused_until=until, reason=reason)

    def exhausted(self, now: float, reset_at: float | None = None) -> Budget:
        """The server said the day's calls are gone: nothing left today, and a pause
        until the reset (the server's ``X-RateLimit-Reset`` when it is plausible: after
        ``now`` and at most a day and a bit away; else the next 00:00 UTC)."""
        budget = replace(self.today(now), remaining=0)
        return budget.pause(reset_time(now, reset_at), "daily-limit")

    def next_call(self, now: float) -> float:
        """When a call may be made next: ``now``, the pause's end, or the next reset
        (the day's calls are spent)."""
        budget = self.today(now)
        if budget.paused(now):
            assert budget.paused_until is not None
            return budget.paused_until
        if budget.left > 0:
            return now
        return next_reset(now)
