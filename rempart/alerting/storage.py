"""The storage interface for alerts and the notification outbox (SQLite implementations:
:mod:`rempart.store.alerts`, :mod:`rempart.store.outbox`). Blocking; called from the one
writer thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from rempart.alerting.values import Alert

__all__ = ["AlertStore", "Outbox", "OutgoingMessage", "QueuedMessage"]


class AlertStore(Protocol):
    def open_alerts(self) -> list[Alert]:
        """Every alert not resolved (pending and firing), the state machine's memory."""
        ...

    def save_alerts(self, alerts: Sequence[Alert], dropped: Sequence[int] = ()) -> list[Alert]:
        """Insert (``id`` 0) or update these alerts; delete the pending ones in ``dropped``
        (their condition ended before they fired). Returns ``alerts`` with their ids."""
        ...

    def alerts(self, *, active: bool = True, limit: int = 200) -> list[Alert]:
        """Firing (and pending) alerts when ``active``; else also the recently resolved, newest
        first."""
        ...

    def ack(self, alert_id: int, by: str, at: float) -> Alert:
        """Acknowledge one alert. Raises UsageError (``alerts.unknown_id``) when no such alert."""
        ...


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One notification to send on one channel: ``mail`` or ``webhook:<name>``.

    ``subject`` and ``body`` are plain text (already in the configured language); ``payload``
    is the JSON document a webhook posts ("" for mail)."""

    channel: str
    subject: str
    body: str
    payload: str = ""


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    id: int
    message: OutgoingMessage
    created: float
    attempts: int = 0
    next_try: float = 0.0
    last_error: str = ""


class Outbox(Protocol):
    """Notifications waiting to be sent: nothing is lost while SMTP or a webhook is down."""

    def enqueue(self, messages: Sequence[OutgoingMessage], at: float) -> list[int]: ...

    def due(self, now: float, limit: int = 50) -> list[QueuedMessage]:
        """Messages whose next try has come, oldest first."""
        ...

    def sent(self, message_id: int, at: float) -> None: ...

    def failed(self, message_id: int, at: float, next_try: float, error: str) -> None: ...

    def pending(self) -> int:
        """How many messages wait."""
        ...
