"""The notification outbox (``outbox`` table of server.db): :class:`SqliteOutbox`.

Nothing is lost while SMTP or a webhook is down: a message stays until :meth:`sent`.
Order is kept per channel: :meth:`due` never returns a message while an older unsent one
of the same channel waits for its next try. Delivery is at least once: a crash between
sending and :meth:`sent` sends that message again at the next start. Sent messages stay as
history until :meth:`forget_sent`. Every statement is parameterised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rempart.alerting.storage import OutgoingMessage, QueuedMessage
from rempart.store.db import Database

__all__ = ["MAX_ERROR", "SqliteOutbox"]

MAX_ERROR = 500  # characters of the last error kept

_INSERT = """INSERT INTO outbox (channel, subject, body, payload, created, next_try)
    VALUES (?, ?, ?, ?, ?, ?) RETURNING id"""
_DUE = """SELECT id, channel, subject, body, payload, created, attempts, next_try, last_error
    FROM outbox AS o
    WHERE sent_at IS NULL AND next_try <= ? AND NOT EXISTS (
        SELECT 1 FROM outbox AS e
        WHERE e.channel = o.channel AND e.sent_at IS NULL AND e.id < o.id AND e.next_try > ?)
    ORDER BY id LIMIT ?"""
_SENT = "UPDATE outbox SET sent_at = ?, attempts = attempts + 1 WHERE id = ? AND sent_at IS NULL"
_FAILED = """UPDATE outbox SET attempts = attempts + 1, next_try = ?, last_error = ?
    WHERE id = ? AND sent_at IS NULL"""
_PENDING = "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
_WAITING = """SELECT id, channel, subject, body, payload, created, attempts, next_try, last_error
    FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?"""
_FORGET = "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?"


def _queued(row: tuple[Any, ...]) -> QueuedMessage:
    id_, channel, subject, body, payload, created, attempts, next_try, error = row
    return QueuedMessage(
        id=int(id_),
        message=OutgoingMessage(str(channel), str(subject), str(body), str(payload)),
        created=float(created),
        attempts=int(attempts),
        next_try=float(next_try),
        last_error=str(error),
    )


class SqliteOutbox:
    """:class:`~rempart.alerting.storage.Outbox` in server.db; used from the writer thread."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def enqueue(self, messages: Sequence[OutgoingMessage], at: float) -> list[int]:
        """Queue ``messages`` (due at once), in this order; their ids."""
        ids: list[int] = []
        with self._db.transaction() as tx:
            for m in messages:
                row = tx.execute(_INSERT, (m.channel, m.subject, m.body, m.payload, at, at))
                ids.append(int(row.fetchone()[0]))
        return ids

    def due(self, now: float, limit: int = 50) -> list[QueuedMessage]:
        """Messages whose next try has come and that no older message of their channel
        still waits for, oldest first."""
        return [_queued(r) for r in self._db.tuples(_DUE, (now, now, limit))]

    def sent(self, message_id: int, at: float) -> None:
        with self._db.transaction() as tx:
            tx.execute(_SENT, (at, message_id))

    def failed(self, message_id: int, at: float, next_try: float, error: str) -> None:
        """One more failed try; the message waits until ``next_try``."""
        with self._db.transaction() as tx:
            tx.execute(_FAILED, (max(next_try, at), error[:MAX_ERROR], message_id))

    def pending(self) -> int:
        return int(self._db.tuples(_PENDING)[0][0])

    def waiting(self, limit: int = 200) -> list[QueuedMessage]:
        """The unsent messages, oldest first (for a status display)."""
        return [_queued(r) for r in self._db.tuples(_WAITING, (limit,))]

    def forget_sent(self, before: float) -> int:
        """Delete the history of messages sent before ``before``; how many."""
        with self._db.transaction() as tx:
            return tx.execute(_FORGET, (before,)).rowcount
