"""The alerts of the supervision server in SQLite (``alerts`` table, migration 0003).

Implements :class:`~rempart.alerting.storage.AlertStore`. Pending and firing alerts are the
state machine's memory (:meth:`SqliteAlertStore.open_alerts`); resolved alerts stay as
history. A partial unique index keeps at most one open alert per key. Every statement is
parameterised: node-controlled text (titles, details) is never formatted into SQL.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rempart.alerting.storage import AlertStore
from rempart.alerting.values import Alert, AlertKey
from rempart.errors import UsageError
from rempart.store.db import Database

__all__ = ["SqliteAlertStore"]

_INSERT = """INSERT INTO alerts (kind, host, graph, field, grp, severity, status, since, fired_at,
    resolved_at, clear_since, value, title, detail, ack_by, ack_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"""
_UPDATE = """UPDATE alerts SET kind = ?, host = ?, graph = ?, field = ?, grp = ?, severity = ?,
    status = ?, since = ?, fired_at = ?, resolved_at = ?, clear_since = ?, value = ?, title = ?,
    detail = ? WHERE id = ?"""
_OPEN = """SELECT id, kind, host, graph, field, grp, severity, status, since, fired_at, resolved_at,
    clear_since, value, title, detail, ack_by, ack_at
    FROM alerts WHERE status != 'resolved' ORDER BY id"""
_ACTIVE = """SELECT id, kind, host, graph, field, grp, severity, status, since, fired_at,
    resolved_at, clear_since, value, title, detail, ack_by, ack_at
    FROM alerts WHERE status != 'resolved'
    ORDER BY coalesce(fired_at, since) DESC, id DESC LIMIT ?"""
_ALL = """SELECT id, kind, host, graph, field, grp, severity, status, since, fired_at, resolved_at,
    clear_since, value, title, detail, ack_by, ack_at
    FROM alerts ORDER BY status = 'resolved', coalesce(resolved_at, fired_at, since) DESC,
    id DESC LIMIT ?"""
_ACK = """UPDATE alerts SET ack_by = ?, ack_at = ? WHERE id = ?
    RETURNING id, kind, host, graph, field, grp, severity, status, since, fired_at, resolved_at,
    clear_since, value, title, detail, ack_by, ack_at"""
_DROP = "DELETE FROM alerts WHERE id = ? AND status = 'pending'"
_FORGET = "DELETE FROM alerts WHERE status = 'resolved' AND resolved_at < ?"


def _real(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def _row(alert: Alert) -> tuple[Any, ...]:
    k = alert.key
    return (
        k.kind,
        k.host,
        k.graph,
        k.field,
        alert.group,
        alert.severity,
        alert.status,
        alert.since,
        alert.fired_at,
        alert.resolved_at,
        alert.clear_since,
        _real(alert.value),
        alert.title,
        alert.detail,
    )


def _alert(row: sqlite3.Row | tuple[Any, ...]) -> Alert:
    (id_, kind, host, graph, field, grp, severity, status, since, fired_at, resolved_at,
     clear_since, value, title, detail, ack_by, ack_at) = tuple(row)  # fmt: skip
    return Alert(
        id_,
        AlertKey(kind, host, graph, field),
        grp,
        severity,
        status,
        since,
        fired_at,
        resolved_at,
        clear_since,
        value,
        title,
        detail,
        ack_by,
        ack_at,
    )


class SqliteAlertStore(AlertStore):
    """Alerts in the server database (use from its one writer thread; reads from anywhere
    with their own connection, e.g. :func:`rempart.store.server_db.open_server_db_readonly`)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def open_alerts(self) -> list[Alert]:
        return [_alert(r) for r in self._db.tuples(_OPEN)]

    def save_alerts(self, alerts: Sequence[Alert], dropped: Sequence[int] = ()) -> list[Alert]:
        out: list[Alert] = []
        with self._db.transaction() as c:
            for alert_id in dropped:
                c.execute(_DROP, (alert_id,))
            for alert in alerts:
                if alert.id:
                    c.execute(_UPDATE, (*_row(alert), alert.id))
                    out.append(alert)
                else:
                    new_id = c.execute(_INSERT, (*_row(alert), alert.ack_by, alert.ack_at))
                    out.append(replace(alert, id=int(new_id.fetchone()[0])))
        return out

    def alerts(self, *, active: bool = True, limit: int = 200) -> list[Alert]:
        return [_alert(r) for r in self._db.tuples(_ACTIVE if active else _ALL, (limit,))]

    def forget_resolved(self, before: float) -> int:
        """Drop the history of alerts resolved before ``before`` (housekeeping; the server
        keeps it as long as its samples). Returns how many were dropped."""
        with self._db.transaction() as c:
            return c.execute(_FORGET, (before,)).rowcount

    def ack(self, alert_id: int, by: str, at: float) -> Alert:
        with self._db.transaction() as c:
            row = c.execute(_ACK, (by, at, alert_id)).fetchone()
        if row is None:
            raise UsageError("alerts.unknown_id", id=alert_id)
        return _alert(row)
