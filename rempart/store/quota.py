"""The daily budget of each AbuseIPDB endpoint, kept across restarts.

One row per endpoint: the UTC day it counts, the calls made that day, what the server
said was left, and a pause (until when, why). A restart reads them back, so the calls
made before it still count and a "Daily rate limit" pause still holds (see
:mod:`rempart.guard.quota`). Every statement is parameterised.
"""

from __future__ import annotations

from rempart.guard.quota import Budget
from rempart.store.db import Database

__all__ = ["QuotaStore"]

_SAVE = """INSERT INTO quota (endpoint, day, used, remaining, paused_until, reason)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (endpoint) DO UPDATE SET day = excluded.day, used = excluded.used,
        remaining = excluded.remaining, paused_until = excluded.paused_until,
        reason = excluded.reason"""


class QuotaStore:
    """The budgets kept in ``db``. Raises StateError when the database fails."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self, endpoint: str, limit: int, now: float) -> Budget:
        """``endpoint``'s budget as of ``now`` with the configured ``limit`` (a fresh
        one when none was saved)."""
        rows = self._db.tuples(
            "SELECT day, used, remaining, paused_until, reason FROM quota WHERE endpoint = ?",
            (endpoint,),
        )
        if not rows:
            return Budget.fresh(endpoint, limit, now)
        day, used, remaining, paused_until, reason = rows[0]
        return Budget(endpoint, limit, day, used, remaining, paused_until, reason).today(now)

    def save(self, budget: Budget) -> None:
        b = budget
        with self._db.transaction() as sql:
            sql.execute(_SAVE, (b.endpoint, b.day, b.used, b.remaining, b.paused_until, b.reason))
