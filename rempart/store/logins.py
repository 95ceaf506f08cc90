"""Successful logins seen in the logs: the last time each address logged in.

The agent never bans an address that logged in successfully recently (``trust_logins``);
this table keeps that knowledge across a restart (see :mod:`rempart.guard.trust`).
"""

from __future__ import annotations

from collections.abc import Iterable

from rempart.addresses import Address
from rempart.store.db import Database
from rempart.store.ranges import address_at

__all__ = ["LoginStore"]

_RECORD = """INSERT INTO logins (address, at) VALUES (?, ?)
    ON CONFLICT (address) DO UPDATE SET at = max(at, excluded.at)"""


class LoginStore:
    """The logins kept in ``db``. Every method raises StateError when the database fails."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, address: Address, at: float) -> None:
        """``address`` logged in at ``at`` (an older time than the one kept changes nothing)."""
        self.record_many(((address, at),))

    def record_many(self, logins: Iterable[tuple[Address, float]]) -> None:
        """Several logins in one transaction."""
        with self._db.transaction() as sql:
            sql.executemany(_RECORD, ((str(address), at) for address, at in logins))

    def since(self, horizon: float) -> list[tuple[Address, float]]:
        """Addresses whose last login is at or after ``horizon``, oldest first."""
        rows = self._db.tuples(
            "SELECT address, at FROM logins WHERE at >= ? ORDER BY at, address", (horizon,)
        )
        return [(address_at(6 if ":" in text else 4, text), at) for text, at in rows]

    def forget_before(self, horizon: float) -> int:
        """Drop logins older than ``horizon``; how many."""
        with self._db.transaction() as sql:
            return int(sql.execute("DELETE FROM logins WHERE at < ?", (horizon,)).rowcount)
