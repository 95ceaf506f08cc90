"""Failure windows saved across a restart: 4 failures before it and 1 after make a ban.

One row per (jail, target): the failure times and the evidence lines, as JSON arrays.
The agent saves a jail's windows (:meth:`~rempart.guard.engine.JailGuard.snapshot`) when
it stops, and loads them (:meth:`~rempart.guard.engine.JailGuard.load`) when it starts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from rempart.addresses import parse_network
from rempart.model import WindowSnapshot
from rempart.store.db import Database

__all__ = ["WindowStore"]

_INSERT = "INSERT INTO windows (jail, target, times, lines) VALUES (?, ?, ?, ?)"


class WindowStore:
    """The windows kept in ``db``. Every method raises StateError when the database fails."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def save(self, jail: str, snapshot: Sequence[WindowSnapshot]) -> None:
        """Replace what was saved for ``jail`` by ``snapshot`` (one transaction)."""
        rows = (
            (jail, str(s.target), json.dumps(list(s.times)), json.dumps(list(s.lines)))
            for s in snapshot
        )
        with self._db.transaction() as sql:
            sql.execute("DELETE FROM windows WHERE jail = ?", (jail,))
            sql.executemany(_INSERT, rows)

    def load(self, jail: str) -> list[WindowSnapshot]:
        """What was saved for ``jail`` (nothing: an empty list)."""
        rows = self._db.tuples(
            "SELECT target, times, lines FROM windows WHERE jail = ? ORDER BY target", (jail,)
        )
        return [
            WindowSnapshot(
                parse_network(target),
                tuple(float(t) for t in json.loads(times)),
                tuple(json.loads(lines)),
            )
            for target, times, lines in rows
        ]

    def jails(self) -> list[str]:
        """The jails with saved windows (a jail removed from the configuration keeps
        its rows until :meth:`forget` drops them)."""
        return [row[0] for row in self._db.tuples("SELECT DISTINCT jail FROM windows ORDER BY 1")]

    def forget(self, jail: str) -> None:
        """Drop what was saved for ``jail``."""
        with self._db.transaction() as sql:
            sql.execute("DELETE FROM windows WHERE jail = ?", (jail,))
