"""The SQLite alert store: round trip, one open alert per key, ack, history, restart."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from rempart.alerting.values import Alert, AlertKey
from rempart.errors import StateError, UsageError
from rempart.store.alerts import SqliteAlertStore
from rempart.store.db import Database
from rempart.store.server_db import open_server_db, open_server_db_readonly

T0 = 1_767_225_600.0
KEY = AlertKey("threshold", "web1", "df", "_dev_sda1")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with open_server_db(tmp_path / "server.db") as database:
        yield database


def firing(key: AlertKey = KEY, **changes: object) -> Alert:
    alert = Alert(
        0,
        key,
        "Gandi",
        "warning",
        "firing",
        T0,
        fired_at=T0 + 600,
        value=93.5,
        title="Disk usage in percent: /",
        detail="93.5 (warning outside 92, critical outside 98)",
    )
    return replace(alert, **changes)  # type: ignore[arg-type]


def test_round_trip(db: Database) -> None:
    store = SqliteAlertStore(db)
    pending = firing(AlertKey("unreachable", "db1"), status="pending", fired_at=None, value=None)
    saved = store.save_alerts([firing(), pending])
    assert [a.id for a in saved] == [1, 2]
    assert store.open_alerts() == saved
    updated = replace(saved[0], severity="critical", value=float("nan"), clear_since=T0 + 900)
    store.save_alerts([updated], dropped=[2])
    (back,) = store.open_alerts()
    assert back == replace(updated, value=None)  # NaN is stored as "no value"


def test_one_open_alert_per_key(db: Database) -> None:
    store = SqliteAlertStore(db)
    (first,) = store.save_alerts([firing()])
    with pytest.raises(StateError):
        store.save_alerts([firing()])
    store.save_alerts([replace(first, status="resolved", resolved_at=T0 + 1200)])
    (second,) = store.save_alerts([firing(since=T0 + 3600, fired_at=T0 + 3600)])
    assert store.open_alerts() == [second]
    assert [a.id for a in store.alerts(active=False)] == [second.id, first.id]
    assert [a.id for a in store.alerts()] == [second.id]


def test_dropped_only_deletes_pending(db: Database) -> None:
    store = SqliteAlertStore(db)
    (alert,) = store.save_alerts([firing()])
    store.save_alerts([], dropped=[alert.id])
    assert store.open_alerts() == [alert]


def test_ack_and_unknown_id(db: Database) -> None:
    store = SqliteAlertStore(db)
    (alert,) = store.save_alerts([firing()])
    acked = store.ack(alert.id, "alice", T0 + 700)
    assert (acked.ack_by, acked.ack_at) == ("alice", T0 + 700)
    store.save_alerts([replace(alert, value=99.0)])  # the machine's stale copy keeps the ack
    assert store.open_alerts()[0].ack_by == "alice"
    with pytest.raises(UsageError) as caught:
        store.ack(999, "bob", T0)
    assert caught.value.key == "alerts.unknown_id"
    assert "rempart alerts" in caught.value.render("en")


def test_hostile_text_is_stored_as_is(db: Database) -> None:
    store = SqliteAlertStore(db)
    title = "x'); DROP TABLE alerts; --"
    (_alert,) = store.save_alerts([firing(title=title)])
    assert store.open_alerts()[0].title == title


def test_restart_keeps_state_and_readonly_reads(tmp_path: Path) -> None:
    path = tmp_path / "server.db"
    with open_server_db(path) as db:
        store = SqliteAlertStore(db)
        store.save_alerts([firing(), firing(AlertKey("unreachable", "db1"))])
        store.ack(1, "alice", T0)
    with open_server_db(path) as db:
        again = SqliteAlertStore(db).open_alerts()
    assert [(a.id, a.ack_by) for a in again] == [(1, "alice"), (2, "")]
    with open_server_db_readonly(path) as ro:
        assert len(SqliteAlertStore(ro).alerts()) == 2
        with pytest.raises(sqlite3.OperationalError):
            ro._connection.execute("DELETE FROM alerts")  # read-only


def test_forget_resolved_keeps_open_alerts(db: Database) -> None:
    store = SqliteAlertStore(db)
    _old, recent, open_ = store.save_alerts(
        [
            firing(status="resolved", resolved_at=T0 + 1000),
            firing(AlertKey("unreachable", "db1"), status="resolved", resolved_at=T0 + 5000),
            firing(AlertKey("unreachable", "db2")),
        ]
    )
    assert store.forget_resolved(T0 + 2000) == 1
    assert {a.id for a in store.alerts(active=False)} == {recent.id, open_.id}
