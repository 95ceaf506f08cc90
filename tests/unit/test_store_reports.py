"""The AbuseIPDB outbox and quotas in SQLite (real files)."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import ip_address
from pathlib import Path

import pytest

from rempart.clock import FrozenClock
from rempart.errors import StateError
from rempart.guard.quota import Budget, next_reset
from rempart.store.db import Database
from rempart.store.quota import QuotaStore
from rempart.store.reports import NewReport, ReportStore

T0 = 1_795_000_000.0
A, B = ip_address("8.8.4.4"), ip_address("2a00:1450:4007:80c::200e")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database.open(tmp_path / "state.db", clock=FrozenClock(T0)) as database:
        yield database


def _new(address: object = A, jail: str = "sshd", at: float = T0 - 5) -> NewReport:
    assert address in (A, B)
    return NewReport(jail, address, at, (18, 22), 'SSH, brute force: 5 "x" é')  # type: ignore[arg-type]


def test_queue_once_per_ban(db: Database) -> None:
    store = ReportStore(db)
    ids = store.add([_new(), _new(B), _new(jail="postfix")], T0)
    assert len(ids) == 3
    assert store.add([_new(), _new(B)], T0 + 1) == []  # the same bans: queued once
    assert store.counts() == {"queued": 3, "sending": 0, "sent": 0, "dropped": 0}
    due = store.due(T0)
    assert [r.id for r in due] == ids
    first = due[0]
    assert (first.address, first.categories, first.attack_at) == (A, (18, 22), T0 - 5)
    assert first.comment == 'SSH, brute force: 5 "x" é'
    assert (first.attempts, first.unsure, first.first_try, first.next_try) == (0, False, None, T0)
    assert store.waiting(A)
    assert store.next_due() == T0
    assert store.due(T0 - 1) == []
    assert len(store.due(T0, limit=2)) == 2


def test_life_of_a_report(db: Database) -> None:
    store = ReportStore(db)
    a, b, c = store.add([_new(), _new(B), _new(jail="postfix")], T0)
    store.sending([a, b], T0 + 1)
    assert store.counts()["sending"] == 2
    assert [r.id for r in store.due(T0 + 1)] == [c]  # sending ones are not due
    assert store.sent(a, T0 + 2)
    assert not store.sent(a, T0 + 3)  # already done: changes nothing
    assert store.last_reported(A) == T0 + 2
    store.requeue(b, T0 + 30, unsure=True, outcome="network", detail="timed out")
    state, report = store.get(b) or ("", None)
    assert state == "queued"
    assert report is not None
    assert (report.attempts, report.unsure, report.first_try) == (1, True, T0 + 1)
    store.requeue(b, T0 + 40)  # unsure stays set
    assert [r.unsure for r in store.due(T0 + 40) if r.id == b] == [True]
    store.sending([b], T0 + 40)
    state, report = store.get(b) or ("", None)
    assert report is not None
    assert (state, report.attempts, report.first_try) == ("sending", 2, T0 + 1)
    assert store.dropped(b, T0 + 41, "duplicate", reported=True)
    assert store.last_reported(B) == T0 + 41
    assert store.dropped(c, T0 + 42, "invalid", "The ip address must be valid")
    assert store.last_reported(A) == T0 + 2  # dropped without a report: unchanged
    assert store.counts() == {"queued": 0, "sending": 0, "sent": 1, "dropped": 2}
    assert store.outcomes_since(T0) == {"sent": 1, "duplicate": 1, "invalid": 1}
    assert store.outcomes_since(T0 + 42) == {"invalid": 1}
    assert not store.waiting(A)
    assert store.next_due() is None
    history = store.history(B)
    assert [(h["state"], h["outcome"]) for h in history] == [("dropped", "duplicate")]
    assert store.forget_before(T0 + 41.5) == 2
    assert store.counts()["dropped"] == 1
    assert store.last_reported(A) is None


def test_recover_interrupted_calls(db: Database) -> None:
    store = ReportStore(db)
    a, b = store.add([_new(), _new(B)], T0)
    store.requeue(b, T0 + 500)
    store.sending([a], T0 + 1)
    assert store.recover(T0 + 100) == 1
    (report,) = store.due(T0 + 100)
    assert (report.id, report.unsure, report.next_try, report.attempts) == (a, True, T0, 1)


def test_reopened_database_keeps_the_outbox(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with Database.open(path) as db:
        (a,) = ReportStore(db).add([_new()], T0)
        ReportStore(db).sending([a], T0)
    with Database.open(path) as db:
        assert ReportStore(db).counts()["sending"] == 1


def test_constraints(db: Database) -> None:
    with pytest.raises(StateError), db.transaction() as sql:
        sql.execute(
            "INSERT INTO reports (jail, address, attack_at, categories, comment, queued_at, "
            "next_try) VALUES ('sshd', '8.8.4.4', 1, '18;DROP', '', 1, 1)"
        )
    with pytest.raises(StateError), db.transaction() as sql:
        sql.execute(
            "INSERT INTO reports (jail, address, attack_at, categories, comment, queued_at, "
            "next_try) VALUES ('sshd', '8.8.4.4', 1, '18', ?, 1, 1)",
            ("x" * 1025,),
        )
    with pytest.raises(StateError), db.transaction() as sql:
        sql.execute(
            "INSERT INTO reports (jail, address, attack_at, categories, comment, queued_at, "
            "next_try, state) VALUES ('sshd', '8.8.4.4', 1, '18', '', 1, 1, 'sent')"
        )  # sent without done_at


def test_hostile_text_is_a_value(db: Database) -> None:
    store = ReportStore(db)
    evil = "x'); DROP TABLE reports; --"
    (a,) = store.add([NewReport("sshd", A, T0, (18,), evil)], T0)
    assert store.due(T0)[0].comment == evil
    store.dropped(a, T0, "invalid", evil)
    assert store.history(A)[0]["detail"] == evil


def test_quota_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with Database.open(path) as db:
        quota = QuotaStore(db)
        fresh = quota.load("report", 1000, T0)
        assert fresh == Budget.fresh("report", 1000, T0)
        quota.save(fresh.spend(T0).spend(T0).observe(T0, 40))
        quota.save(Budget.fresh("check", 10, T0).exhausted(T0))
    with Database.open(path) as db:
        quota = QuotaStore(db)
        report = quota.load("report", 1000, T0 + 10)
        assert (report.used, report.remaining, report.left) == (2, 40, 40)
        check = quota.load("check", 10, T0 + 10)
        assert check.paused(T0 + 10)
        assert check.reason == "daily-limit"
        # the next day: a fresh count, the pause over
        later = quota.load("check", 10, next_reset(T0) + 3600)
        assert (later.used, later.remaining, later.paused_until) == (0, None, None)
        # a configured limit wins over the one in force when it was saved
        assert quota.load("report", 5, T0).limit == 5


def test_migration_is_the_third(db: Database) -> None:
    names = [r["name"] for r in db.query("SELECT name FROM schema_version ORDER BY version")]
    assert names[2] == "abuseipdb"
    plan = " ".join(
        str(r[3])
        for r in db.query(
            "EXPLAIN QUERY PLAN SELECT id FROM reports WHERE state = 'queued' AND next_try <= 1 "
            "ORDER BY next_try, id"
        )
    )
    assert "reports_due" in plan
