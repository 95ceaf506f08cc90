"""The values alerts are made of: keys, rules, alerts as stored, and their transitions.

An alert is identified by its :class:`AlertKey`. Its life::

    (none) --condition--> pending --held for `for`--> firing --back in range, past the
    hysteresis margin, for the clear delay--> resolved
                     \\-- clear for the clear delay before it fired: dropped, never notified

A pending alert survives clear spells shorter than the clear delay, so a value that flaps
fires once rather than never; threshold and disk-full alerts stay clear at least 300 s before
they resolve. A reminder (``repeat``) is a ``fired`` transition again, with ``at`` after the
alert's ``fired_at``.
``firing`` may change severity (``escalated`` warning→critical, ``eased`` critical→warning);
while it clears it stays ``firing`` with ``clear_since`` set, so a value that flaps around
the threshold makes one alert, not twenty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "Alert",
    "AlertKey",
    "AlertKind",
    "AlertRule",
    "AlertStatus",
    "AlertTransition",
    "Change",
    "Level",
    "Severity",
    "alert_document",
]

#: threshold: a field out of its warning/critical range; no_data: a field that stopped
#: coming while its node answers; unreachable: a node that does not answer; disk_full: a
#: filesystem full within N days at the current rate; incident: most hosts of a group degrade
AlertKind = Literal["threshold", "no_data", "unreachable", "disk_full", "incident"]
Severity = Literal["warning", "critical"]
Level = Literal["ok", "warning", "critical", "unknown"]  # what one evaluation found
AlertStatus = Literal["pending", "firing", "resolved"]
Change = Literal["fired", "escalated", "eased", "resolved"]


@dataclass(frozen=True, slots=True, order=True)
class AlertKey:
    """What an alert is about. For ``incident`` alerts ``host`` is the group's name and
    ``graph`` the kind of degradation (``io``, ``unreachable``, ``steal``); for
    ``unreachable`` graph and field are ""; for ``no_data`` field may be "" (a whole graph)."""

    kind: AlertKind
    host: str
    graph: str = ""
    field: str = ""

    def __str__(self) -> str:
        path = "/".join(p for p in (self.host, self.graph, self.field) if p)
        return f"{self.kind}:{path}"


@dataclass(frozen=True, slots=True)
class AlertRule:
    """An override from the configuration (``[[server.alerts.rules]]``).

    ``match`` is a ``host/graph/field`` pattern with shell wildcards (``*/df/*``,
    ``web1/load/load``); the last matching rule wins, key by key. ``warning``/``critical``
    are Munin range texts (``"90"``, ``"10:"``, ``"5:95"``) replacing the node's own; an empty
    text removes that range. ``for_`` (seconds) replaces the default delay; ``enabled`` False
    silences the matching fields.
    """

    match: str
    warning: str | None = None
    critical: str | None = None
    for_: float | None = None
    enabled: bool | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert as the store keeps it (``id`` 0: not stored yet).

    ``since``: when the condition was first seen; ``fired_at``: when it became ``firing``
    (None while pending); ``resolved_at``: when it ended; ``clear_since``: when the value came
    back in range while firing (None otherwise); ``value``: the last value seen; ``title``: what
    it is about, for people (graph title and field label); ``detail``: the range, days left or
    the node's error; ``ack_by``/``ack_at``: who acknowledged it (an acknowledged alert is not
    repeated; it still resolves).
    """

    id: int
    key: AlertKey
    group: str
    severity: Severity
    status: AlertStatus
    since: float
    fired_at: float | None = None
    resolved_at: float | None = None
    clear_since: float | None = None
    value: float | None = None
    title: str = ""
    detail: str = ""
    ack_by: str = ""
    ack_at: float | None = None


@dataclass(frozen=True, slots=True)
class AlertTransition:
    """A change worth telling people about (the state machine's output; the notifier's input)."""

    alert: Alert  # the alert after the change
    change: Change
    at: float
    previous: Severity | None = None  # for escalated/eased: the severity before


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def alert_document(alert: Alert) -> dict[str, Any]:
    """One alert as ``rempart alerts --json`` and the server's ``ack`` answer show it (times as
    epoch seconds, ``since`` also in ISO 8601 UTC)."""
    k = alert.key
    return {
        "id": alert.id,
        "kind": k.kind,
        "host": k.host,
        "graph": k.graph,
        "field": k.field,
        "group": alert.group,
        "severity": alert.severity,
        "status": alert.status,
        "since": alert.since,
        "since_iso": _iso(alert.since),
        "fired_at": alert.fired_at,
        "resolved_at": alert.resolved_at,
        "clear_since": alert.clear_since,
        "value": alert.value,
        "title": alert.title,
        "detail": alert.detail,
        "ack_by": alert.ack_by or None,
        "ack_at": alert.ack_at,
    }
