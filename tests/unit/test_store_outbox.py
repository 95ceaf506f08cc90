"""The outbox in server.db: queue, due (order per channel), sent, failed, restart."""

from __future__ import annotations

from pathlib import Path

from rempart.alerting.storage import OutgoingMessage
from rempart.clock import FrozenClock
from rempart.store.outbox import MAX_ERROR, SqliteOutbox
from rempart.store.server_db import open_server_db

T0 = 1764583200.0


def msg(channel: str, n: int) -> OutgoingMessage:
    return OutgoingMessage(channel, f"subject {n}", f"body {n}", f'{{"n": {n}}}')


def test_queue_due_sent_and_restart(tmp_path: Path) -> None:
    path = tmp_path / "server.db"
    with open_server_db(path, clock=FrozenClock(T0)) as db:
        box = SqliteOutbox(db)
        ids = box.enqueue([msg("mail", 1), msg("webhook:a", 2), msg("mail", 3)], T0)
        assert ids == sorted(ids)
        assert box.pending() == 3
        due = box.due(T0)
        assert [q.message for q in due] == [msg("mail", 1), msg("webhook:a", 2), msg("mail", 3)]
        assert due[0].created == T0
        assert due[0].attempts == 0
        box.sent(ids[1], T0 + 1)
        box.sent(ids[1], T0 + 2)  # twice: no harm
        assert box.pending() == 2
    with open_server_db(path) as db:  # restart keeps what waits
        box = SqliteOutbox(db)
        assert [q.id for q in box.due(T0)] == [ids[0], ids[2]]
        assert [q.id for q in box.waiting()] == [ids[0], ids[2]]
        assert box.forget_sent(T0 + 10) == 1
        assert box.pending() == 2


def test_a_failed_message_holds_back_its_channel_only(tmp_path: Path) -> None:
    with open_server_db(tmp_path / "server.db") as db:
        box = SqliteOutbox(db)
        m1, m2, h1, m3 = box.enqueue(
            [msg("mail", 1), msg("mail", 2), msg("webhook:a", 3), msg("mail", 4)], T0
        )
        box.failed(m1, T0, T0 + 60, "x" * 2000)
        assert [q.id for q in box.due(T0 + 1)] == [h1]  # mail waits behind m1
        (first, *_) = box.due(T0 + 60)
        assert first.id == m1
        assert first.attempts == 1
        assert len(first.last_error) == MAX_ERROR
        assert [q.id for q in box.due(T0 + 60)] == [m1, m2, h1, m3]
        assert [q.id for q in box.due(T0 + 60, limit=2)] == [m1, m2]
        box.sent(m1, T0 + 61)
        assert [q.id for q in box.due(T0 + 61)] == [m2, h1, m3]
        assert box.pending() == 3
