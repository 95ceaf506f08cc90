"""The outbox of reports to AbuseIPDB, and the last report of each address.

A report is queued once per ban (``UNIQUE (jail, address, attack_at)``: queuing the same
ban again changes nothing), then moves ``queued -> sending -> sent | dropped``, or back
to ``queued`` to be tried again. ``sending`` is committed *before* the call is made, so
a report interrupted during its call (crash, kill, power cut after the commit) is found
``sending`` at the next start: :meth:`ReportStore.recover` puts it back in the queue,
marked ``unsure`` (the server may hold it). Sent and dropped reports stay as history
until :meth:`ReportStore.forget_before`.

``reported`` keeps, per address, when a report of it last reached AbuseIPDB (sent, or
refused as a duplicate): the cooldown reads it. Every statement is parameterised; the
values (addresses, comments) are never formatted into SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rempart.addresses import Address, parse_address
from rempart.store.db import Database

__all__ = ["STATES", "NewReport", "QueuedReport", "ReportStore"]

STATES = ("queued", "sending", "sent", "dropped")
WAITING = ("queued", "sending")


@dataclass(frozen=True, slots=True)
class NewReport:
    """A report to queue: the ban's jail, address and start (its identity), what to
    send (categories, comment) and when it may go first."""

    jail: str
    address: Address
    attack_at: float
    categories: tuple[int, ...]
    comment: str


@dataclass(frozen=True, slots=True)
class QueuedReport:
    """A report of the outbox that is still to be sent (queued, or sending)."""

    id: int
    jail: str
    address: Address
    attack_at: float
    categories: tuple[int, ...]
    comment: str
    queued_at: float
    attempts: int
    unsure: bool
    first_try: float | None
    next_try: float


_INSERT = """INSERT INTO reports (jail, address, attack_at, categories, comment, queued_at,
    next_try) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id"""
_DUE = """SELECT id, jail, address, attack_at, categories, comment, queued_at, attempts,
    unsure, first_try, next_try FROM reports
    WHERE state = 'queued' AND next_try <= ? ORDER BY next_try, id LIMIT ?"""
_GET = """SELECT state, id, jail, address, attack_at, categories, comment, queued_at,
    attempts, unsure, first_try, next_try FROM reports WHERE id = ?"""
_SENDING = """UPDATE reports SET state = 'sending', attempts = attempts + 1,
    first_try = coalesce(first_try, ?), via = ? WHERE id = ? AND state = 'queued'"""
_DONE = """UPDATE reports SET state = ?, done_at = ?, outcome = ?, detail = ?
    WHERE id = ? AND state IN ('queued', 'sending') RETURNING address"""
_REQUEUE = """UPDATE reports SET state = 'queued', next_try = ?, unsure = max(unsure, ?),
    outcome = ?, detail = ? WHERE id = ? AND state IN ('queued', 'sending')"""
_REPORTED = """INSERT INTO reported (address, at) VALUES (?, ?)
    ON CONFLICT (address) DO UPDATE SET at = max(at, excluded.at)"""


def _categories(text: str) -> tuple[int, ...]:
    return tuple(int(c) for c in text.split(","))


def _queued(row: Sequence[Any]) -> QueuedReport:
    address = parse_address(row[2])
    if address is None:  # the CHECKs and NewReport keep this from happening
        raise ValueError(f"report {row[0]}: stored address {row[2]!r} is not an address")
    return QueuedReport(
        id=row[0],
        jail=row[1],
        address=address,
        attack_at=row[3],
        categories=_categories(row[4]),
        comment=row[5],
        queued_at=row[6],
        attempts=row[7],
        unsure=bool(row[8]),
        first_try=row[9],
        next_try=row[10],
    )


class ReportStore:
    """The outbox kept in ``db``. Every method raises StateError when the database
    fails."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------- queue

    def add(self, reports: Iterable[NewReport], now: float) -> list[int]:
        """Queue ``reports`` (due at once), in one transaction; the ids of those that
        were not already queued."""
        ids: list[int] = []
        with self._db.transaction() as sql:
            for r in reports:
                categories = ",".join(str(int(c)) for c in r.categories)
                row = sql.execute(
                    _INSERT,
                    (r.jail, str(r.address), r.attack_at, categories, r.comment, now, now),
                ).fetchone()
                if row is not None:
                    ids.append(int(row[0]))
        return ids

    def waiting(self, address: Address) -> bool:
        """Whether a report of ``address`` is queued or being sent."""
        rows = self._db.tuples(
            "SELECT 1 FROM reports WHERE address = ? AND state IN ('queued', 'sending') LIMIT 1",
            (str(address),),
        )
        return bool(rows)

    def last_reported(self, address: Address) -> float | None:
        """When a report of ``address`` last reached AbuseIPDB."""
        rows = self._db.tuples("SELECT at FROM reported WHERE address = ?", (str(address),))
        return float(rows[0][0]) if rows else None

    def due(self, now: float, limit: int = 100) -> list[QueuedReport]:
        """Queued reports whose time has come, oldest due first."""
        return [_queued(row) for row in self._db.tuples(_DUE, (now, limit))]

    def get(self, report_id: int) -> tuple[str, QueuedReport] | None:
        """A report's state and content (any state)."""
        rows = self._db.tuples(_GET, (report_id,))
        return (rows[0][0], _queued(rows[0][1:])) if rows else None

    def next_due(self) -> float | None:
        """The earliest ``next_try`` of the queue (None: nothing queued)."""
        rows = self._db.tuples("SELECT min(next_try) FROM reports WHERE state = 'queued'")
        return None if rows[0][0] is None else float(rows[0][0])

    # ------------------------------------------------------------- life

    def sending(self, ids: Sequence[int], now: float, via: str = "report") -> None:
        """About to call the server for ``ids``: committed before the call."""
        with self._db.transaction() as sql:
            sql.executemany(_SENDING, ((now, via, i) for i in ids))

    def sent(self, report_id: int, now: float, outcome: str = "sent", detail: str = "") -> bool:
        """It reached AbuseIPDB (``outcome``: ``sent``, or ``confirmed`` when the
        duplicate refusal confirmed an earlier try). False: it was not waiting."""
        return self._finish(report_id, "sent", now, outcome, detail, reported=True)

    def dropped(
        self, report_id: int, now: float, outcome: str, detail: str = "", *, reported: bool = False
    ) -> bool:
        """Never to be sent (``reported``: AbuseIPDB holds a report of the address all
        the same). False: it was not waiting."""
        return self._finish(report_id, "dropped", now, outcome, detail, reported=reported)

    def requeue(
        self,
        report_id: int,
        next_try: float,
        *,
        unsure: bool = False,
        outcome: str | None = None,
        detail: str = "",
    ) -> None:
        """Back in the queue, due at ``next_try`` (``unsure`` stays set once set)."""
        with self._db.transaction() as sql:
            sql.execute(_REQUEUE, (next_try, int(unsure), outcome, detail or None, report_id))

    def recover(self, now: float) -> int:
        """At start: reports left ``sending`` by an interrupted call go back to the queue,
        due now and unsure. How many."""
        with self._db.transaction() as sql:
            cursor = sql.execute(
                "UPDATE reports SET state = 'queued', unsure = 1, next_try = min(next_try, ?), "
                "outcome = 'interrupted' WHERE state = 'sending'",
                (now,),
            )
            return int(cursor.rowcount)

    def _finish(
        self, report_id: int, state: str, now: float, outcome: str, detail: str, *, reported: bool
    ) -> bool:
        with self._db.transaction() as sql:
            row = sql.execute(_DONE, (state, now, outcome, detail or None, report_id)).fetchone()
            if row is not None and reported:
                sql.execute(_REPORTED, (row[0], now))
        return row is not None

    # ------------------------------------------------------------- reading

    def counts(self) -> dict[str, int]:
        """Reports per state (every state named, 0 included)."""
        out = dict.fromkeys(STATES, 0)
        for state, count in self._db.tuples("SELECT state, count(*) FROM reports GROUP BY state"):
            out[state] = int(count)
        return out

    def outcomes_since(self, since: float) -> dict[str, int]:
        """Finished reports per outcome since ``since`` (e.g. today's)."""
        rows = self._db.tuples(
            "SELECT outcome, count(*) FROM reports WHERE done_at >= ? GROUP BY outcome",
            (since,),
        )
        return {str(outcome): int(count) for outcome, count in rows}

    def waiting_list(self, limit: int = 100) -> list[QueuedReport]:
        """The reports still to send (queued or sending), the next due first."""
        rows = self._db.tuples(
            "SELECT id, jail, address, attack_at, categories, comment, queued_at, attempts, "
            "unsure, first_try, next_try FROM reports WHERE state IN ('queued', 'sending') "
            "ORDER BY next_try, id LIMIT ?",
            (limit,),
        )
        return [_queued(row) for row in rows]

    def history(self, address: Address, limit: int = 20) -> list[dict[str, Any]]:
        """The reports of ``address`` (any state), newest first, as plain dicts."""
        rows = self._db.query(
            "SELECT id, jail, attack_at, categories, state, attempts, done_at, outcome, detail "
            "FROM reports WHERE address = ? ORDER BY id DESC LIMIT ?",
            (str(address), limit),
        )
        return [dict(row) for row in rows]

    def forget_before(self, horizon: float) -> int:
        """Drop finished reports done before ``horizon``, and last-report times older
        than it; how many reports."""
        with self._db.transaction() as sql:
            sql.execute("DELETE FROM reported WHERE at < ?", (horizon,))
            return int(
                sql.execute(
                    "DELETE FROM reports WHERE done_at IS NOT NULL AND done_at < ?", (horizon,)
                ).rowcount
            )
