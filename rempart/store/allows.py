"""Addresses and networks allowed by hand (``rempart allow ADDR [--for 1d]``).

An allowance is never dropped by the firewall and never banned, for good or until a
time. Allowing a target again replaces its allowance (a new end, a new author).
"""

from __future__ import annotations

from rempart.addresses import Network
from rempart.store.db import Database
from rempart.store.ranges import network_at, stored_range

__all__ = ["AllowStore"]

_ADD = """INSERT INTO allows (target, version, prefix, first, last, since, until, by)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (target) DO UPDATE SET
        since = excluded.since, until = excluded.until, by = excluded.by"""
_ACTIVE = """SELECT version, first, prefix, until FROM allows
    WHERE until IS NULL OR until > ? ORDER BY version, first, last"""


class AllowStore:
    """The allowances kept in ``db``. Every method raises StateError when the database
    fails."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, target: Network, until: float | None, *, at: float, by: str) -> None:
        """Allow ``target`` from ``at`` until ``until`` (None: for good)."""
        if until is not None and until < at:
            raise ValueError(f"allowance of {target} ends ({until}) before it starts ({at})")
        with self._db.transaction() as sql:
            sql.execute(_ADD, (str(target), *stored_range(target), at, until, by))

    def remove(self, target: Network) -> bool:
        """Drop the allowance of exactly ``target``; whether there was one."""
        with self._db.transaction() as sql:
            return bool(sql.execute("DELETE FROM allows WHERE target = ?", (str(target),)).rowcount)

    def active(self, now: float) -> list[tuple[Network, float | None]]:
        """The allowances in force at ``now`` and their ends (None: for good), IPv4
        first, in address order."""
        return [
            (network_at(version, first, prefix), until)
            for version, first, prefix, until in self._db.tuples(_ACTIVE, (now,))
        ]

    def forget_before(self, horizon: float) -> int:
        """Drop allowances that ended before ``horizon``; how many."""
        with self._db.transaction() as sql:
            return int(sql.execute("DELETE FROM allows WHERE until < ?", (horizon,)).rowcount)
