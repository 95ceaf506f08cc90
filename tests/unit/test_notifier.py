"""The notifier's queue discipline with the real outbox: channels independent, order kept
per channel, back-off doubling to an hour, nothing dropped, the run loop."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from rempart.alerting.storage import OutgoingMessage
from rempart.alerting.values import Alert, AlertKey, AlertTransition
from rempart.clock import FrozenClock
from rempart.config.server import MailConfig, WebhookConfig
from rempart.errors import NotifyError
from rempart.services.notifier import MAX_BACKOFF, Notifier, backoff, build_senders
from rempart.store.outbox import SqliteOutbox
from rempart.store.server_db import open_server_db

T0 = 1764583200.0
LOG = logging.getLogger("test.notifier")


class Recorder:
    """A sender that fails while ``down`` and records what it sent."""

    def __init__(self, format: str = "json") -> None:
        self.format = format
        self.down = False
        self.got: list[OutgoingMessage] = []

    async def send(self, message: OutgoingMessage) -> None:
        if self.down:
            raise NotifyError("notify.failed", channel="x", reason="down", fix="wait")
        self.got.append(message)


def fired(host: str, n: int) -> AlertTransition:
    alert = Alert(n, AlertKey("unreachable", host), "TTN", "critical", "firing", T0)
    return AlertTransition(alert, "fired", T0)


def test_backoff_doubles_to_an_hour() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4, 7, 8, 100)] == [
        60, 120, 240, 480, 3600, 3600, 3600
    ]  # fmt: skip
    assert backoff(10_000) == MAX_BACKOFF


def test_a_channel_down_does_not_hold_the_others(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    mail, hook = Recorder("mail"), Recorder("slack")

    async def scenario() -> None:
        with open_server_db(tmp_path / "server.db") as db:
            box = SqliteOutbox(db)
            notifier = Notifier(box, {"mail": mail, "webhook:chat": hook}, clock=clock,
                                log=LOG, language="fr")  # fmt: skip
            assert [c.format for c in notifier.channels()] == ["mail", "slack"]
            mail.down = True
            for n in range(1, 6):
                await notifier.notify([fired(f"vm{n}", n)])
                await notifier.drain()
                clock.advance(300)
            assert [m.subject.split(" ")[1] for m in hook.got] == [f"vm{n}" for n in range(1, 6)]
            assert mail.got == []
            assert box.pending() == 5
            assert notifier.failures == 4  # tried at +0, +300, +600, +900; then backing off
            assert box.waiting()[0].attempts == 4
            mail.down = False
            clock.advance(MAX_BACKOFF)
            result = await notifier.drain()
            assert (result.sent, result.failed) == (5, 0)
            assert [m.subject.split(" ")[1] for m in mail.got] == [f"vm{n}" for n in range(1, 6)]
            assert notifier.failures == 4
            assert notifier.sent == 10

    asyncio.run(scenario())


def test_a_channel_no_longer_configured_keeps_its_messages(tmp_path: Path) -> None:
    clock = FrozenClock(T0)

    async def scenario() -> None:
        with open_server_db(tmp_path / "server.db") as db:
            box = SqliteOutbox(db)
            box.enqueue([OutgoingMessage("webhook:old", "s", "b", "{}")], T0)
            notifier = Notifier(box, {}, clock=clock, log=LOG, language="en")
            assert (await notifier.drain()).failed == 1
            assert box.pending() == 1
            assert "no such notification channel" in box.waiting()[0].last_error

    asyncio.run(scenario())


def test_run_drains_when_woken_and_stops(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    hook = Recorder()

    async def scenario() -> None:
        with open_server_db(tmp_path / "server.db") as db:
            notifier = Notifier(SqliteOutbox(db), {"webhook:h": hook}, clock=clock, log=LOG,
                                language="en")  # fmt: skip
            stop = asyncio.Event()
            task = asyncio.create_task(notifier.run(stop, interval=60))
            await asyncio.sleep(0)
            await notifier.notify([fired("vm1", 1)])  # wakes the loop
            for _ in range(100):
                if hook.got:
                    break
                await asyncio.sleep(0.01)
            stop.set()
            await asyncio.wait_for(task, 2)
            assert len(hook.got) == 1

    asyncio.run(scenario())


def test_build_senders() -> None:
    mail = MailConfig(to=("a@example.org",), sender="r@example.org")
    hooks = (WebhookConfig("mm", "https://chat.example.org/hooks/x", "slack"),)
    senders = build_senders(mail, hooks)
    assert list(senders) == ["mail", "webhook:mm"]
    assert [s.format for s in senders.values()] == ["mail", "slack"]
