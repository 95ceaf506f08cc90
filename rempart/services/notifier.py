"""The notifier: alert transitions → messages in the outbox → sent by mail and webhooks.

:meth:`Notifier.notify` composes the messages of one round (grouped per host, see
:mod:`rempart.alerting.messages`) for every configured channel and queues them;
:meth:`Notifier.drain` sends what is due. Channels are drained side by side, each in
order: when a message fails, the later ones of its channel wait (the outbox never hands
them out before it), the message is tried again after a back-off (1 minute, doubling, at
most 1 hour), and nothing is ever dropped. A failure is logged and counted, never raised.

The outbox lives in the server database, owned by the writer thread: every outbox call
goes through ``run_db`` (the lead's ``lambda fn: writer.run_raw(fn)``); without it the
calls are made in place (tests, one thread).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from functools import partial
from typing import Any, Protocol, TypeVar

from rempart.adapters.smtp import SmtpSender
from rempart.adapters.webhook import WebhookSender
from rempart.alerting.messages import Channel, Format, compose
from rempart.alerting.storage import Outbox, OutgoingMessage, QueuedMessage
from rempart.alerting.values import AlertTransition
from rempart.clock import Clock
from rempart.config.server import MailConfig, WebhookConfig
from rempart.errors import NotifyError, RempartError

__all__ = [
    "FIRST_BACKOFF",
    "MAX_BACKOFF",
    "DrainResult",
    "Notifier",
    "RunDb",
    "Sender",
    "backoff",
    "build_senders",
]

T = TypeVar("T")

FIRST_BACKOFF = 60.0
MAX_BACKOFF = 3600.0


class Sender(Protocol):
    """One channel's way out: ``send`` raises NotifyError when the message did not go."""

    @property
    def format(self) -> Format: ...

    async def send(self, message: OutgoingMessage) -> None: ...


class RunDb(Protocol):
    """Runs a blocking call in the database's writer thread and awaits its result."""

    def __call__(self, fn: Callable[[], T], /) -> Awaitable[T]: ...


async def _in_place(fn: Callable[[], T]) -> T:
    return fn()


def backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed try: 60, 120, 240… at most 3600."""
    return float(min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** max(0, min(attempts - 1, 16))))


def build_senders(
    mail: MailConfig | None, webhooks: Sequence[WebhookConfig], **smtp: Any
) -> dict[str, Sender]:
    """The senders of the configured channels: ``mail`` and ``webhook:<name>``."""
    senders: dict[str, Sender] = {}
    if mail is not None:
        senders["mail"] = SmtpSender(mail, **smtp)
    for hook in webhooks:
        senders[f"webhook:{hook.name}"] = WebhookSender(hook)
    return senders


@dataclass(frozen=True, slots=True)
class DrainResult:
    sent: int = 0
    failed: int = 0


class Notifier:
    """See the module documentation."""

    def __init__(
        self,
        outbox: Outbox,
        senders: Mapping[str, Sender],
        *,
        clock: Clock,
        log: logging.Logger,
        language: str,
        run_db: RunDb | None = None,
        zone: tzinfo = UTC,
        batch: int = 50,
    ) -> None:
        self._outbox = outbox
        self._senders = dict(senders)
        self._clock = clock
        self._log = log
        self._language = language
        self._run_db: RunDb = run_db or _in_place
        self._zone = zone
        self._batch = batch
        self._wake = asyncio.Event()
        self.sent = 0
        self.failures = 0

    def channels(self) -> list[Channel]:
        return [Channel(name, sender.format) for name, sender in self._senders.items()]

    def messages(self, transitions: Sequence[AlertTransition]) -> list[OutgoingMessage]:
        """The messages of one round's transitions, for every configured channel."""
        return compose(transitions, self.channels(), language=self._language, zone=self._zone)

    async def notify(self, transitions: Sequence[AlertTransition]) -> int:
        """Queue the messages of one round (sent by the next :meth:`drain`); how many."""
        messages = self.messages(transitions)
        if messages:
            now = self._clock.now()
            await self._run_db(lambda: self._outbox.enqueue(messages, now))
            self._wake.set()
        return len(messages)

    async def drain(self) -> DrainResult:
        """Send every due message (in batches), channels side by side, each in order."""
        total = DrainResult()
        blocked: set[str] = set()
        while True:
            now = self._clock.now()
            due = await self._run_db(partial(self._outbox.due, now, self._batch))
            due = [q for q in due if q.message.channel not in blocked]
            if not due:
                return total
            by_channel: dict[str, list[QueuedMessage]] = {}
            for queued in due:
                by_channel.setdefault(queued.message.channel, []).append(queued)
            results = await asyncio.gather(
                *(self._drain_channel(ch, qs) for ch, qs in by_channel.items())
            )
            for channel, result in zip(by_channel, results, strict=True):
                if result.failed:
                    blocked.add(channel)
                total = DrainResult(total.sent + result.sent, total.failed + result.failed)

    async def _drain_channel(self, channel: str, queued: list[QueuedMessage]) -> DrainResult:
        sent = 0
        for item in queued:
            if not await self._send_one(channel, item):
                return DrainResult(sent, 1)
            sent += 1
        return DrainResult(sent, 0)

    async def _send_one(self, channel: str, item: QueuedMessage) -> bool:
        sender = self._senders.get(channel)
        try:
            if sender is None:
                raise NotifyError("notify.no_channel", channel=channel)
            await sender.send(item.message)
        except RempartError as exc:
            now = self._clock.now()
            wait = backoff(item.attempts + 1)
            text = exc.render(self._language)
            await self._run_db(lambda: self._outbox.failed(item.id, now, now + wait, text))
            self.failures += 1
            self._log.warning("%s (message %d, next try in %.0f s)", text, item.id, wait)
            return False
        now = self._clock.now()
        await self._run_db(lambda: self._outbox.sent(item.id, now))
        self.sent += 1
        return True

    def wake(self) -> None:
        """Drain now (new messages were queued)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, interval: float = 30.0) -> None:
        """Drain at once when woken, and every ``interval`` seconds, until ``stop``."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.drain()
            except RempartError as exc:  # the database; the next turn tries again
                self._log.error("notifications: %s", exc.render(self._language))
            await _wait_any(stop, self._wake, interval)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, timeout: float) -> None:
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
