"""The alert state machine (PURE): the open alerts and this round's observations in, the
alerts to save, the pending alerts to drop and the transitions to tell people out.

One alert per :class:`~rempart.alerting.values.AlertKey` at most is open (pending or
firing). For each key:

- no alert, a bad level (warning/critical): a ``pending`` alert, ``since`` now; it fires at
  once when its ``for_`` is 0;
- pending, bad: it fires (``fired``) once ``for_`` has passed since it began and the level is
  bad at that round; its severity follows the level meanwhile. Clear (past the hysteresis
  margin) for ``clear_for``, or not observed: dropped, never told. A clear spell shorter than
  ``clear_for`` does not restart the delay, so a value flapping across its threshold still
  fires — once;
- firing, the level *held* (the hysteresis test: ranges narrowed) still bad: it stays firing;
  a worse level escalates at once (``escalated``), a held level below its severity eases it
  (``eased``); an unacknowledged alert is reminded (``fired`` again, ``at`` after
  ``fired_at``) every ``repeat`` seconds;
- firing, the held level ok: ``clear_since`` is set; once clear for ``clear_for`` it is
  ``resolved``. A bad level in between resets ``clear_since``: a value that flaps across its
  threshold makes one alert, not twenty;
- an ``unknown`` level (no value) or no observation leaves a firing alert as it is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from rempart.alerting.values import Alert, AlertKey, AlertTransition, Change, Level, Severity

__all__ = ["Observation", "Step", "step"]

_RANK = {"ok": 0, "unknown": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True, slots=True)
class Observation:
    """What one evaluation found for one key.

    ``level`` is the condition with the plain ranges; ``held`` the same test with the
    hysteresis margin (None: same as ``level``), used to keep a firing alert or ease it.
    ``for_`` is how long a bad level must last to fire; ``clear_for`` how long a firing
    alert must stay clear to resolve (None: ``for_``)."""

    key: AlertKey
    group: str
    level: Level
    held: Level | None = None
    value: float | None = None
    title: str = ""
    detail: str = ""
    for_: float = 0.0
    clear_for: float | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of one round: alerts to insert (id 0) or update, ids of pending alerts to
    delete, and the transitions (their alerts as saved, ids 0 for new ones)."""

    save: tuple[Alert, ...] = ()
    dropped: tuple[int, ...] = ()
    transitions: tuple[AlertTransition, ...] = ()


def _bad(level: Level) -> bool:
    return level in ("warning", "critical")


def _severity(level: Level) -> Severity:
    return "critical" if level == "critical" else "warning"


def _seen(alert: Alert, obs: Observation) -> Alert:
    value = None if obs.value is None or math.isnan(obs.value) else obs.value
    return replace(alert, value=value, title=obs.title, detail=obs.detail, group=obs.group)


@dataclass(frozen=True, slots=True)
class _Outcome:
    save: Alert | None = None
    drop: int = 0
    transition: AlertTransition | None = None


def _new(obs: Observation, at: float) -> _Outcome:
    if not _bad(obs.level):
        return _Outcome()
    alert = _seen(Alert(0, obs.key, obs.group, _severity(obs.level), "pending", at), obs)
    if obs.for_ <= 0:
        alert = replace(alert, status="firing", fired_at=at)
        return _Outcome(alert, transition=AlertTransition(alert, "fired", at))
    return _Outcome(alert)


def _pending_clear(alert: Alert, obs: Observation, at: float) -> _Outcome:
    clear_since = at if alert.clear_since is None else alert.clear_since
    if at - clear_since >= _clear_for(obs):
        return _Outcome(drop=alert.id)
    return _Outcome(replace(_seen(alert, obs), clear_since=clear_since))


def _pending(alert: Alert, obs: Observation | None, at: float) -> _Outcome:
    if obs is None:
        return _Outcome(drop=alert.id)
    if obs.level == "unknown":
        return _Outcome()
    if not _bad(obs.level if obs.held is None else obs.held):
        return _pending_clear(alert, obs, at)
    alert = replace(_seen(alert, obs), clear_since=None)
    if not _bad(obs.level):
        return _Outcome(alert)  # inside the range, not past the margin: waits
    alert = replace(alert, severity=_severity(obs.level))
    if at - alert.since >= obs.for_:
        alert = replace(alert, status="firing", fired_at=at)
        return _Outcome(alert, transition=AlertTransition(alert, "fired", at))
    return _Outcome(alert)


def _clear_for(obs: Observation) -> float:
    return obs.for_ if obs.clear_for is None else obs.clear_for


def _clearing(alert: Alert, obs: Observation, at: float) -> _Outcome:
    clear_since = at if alert.clear_since is None else alert.clear_since
    alert = replace(_seen(alert, obs), clear_since=clear_since)
    if at - clear_since >= _clear_for(obs):
        alert = replace(alert, status="resolved", resolved_at=at)
        return _Outcome(alert, transition=AlertTransition(alert, "resolved", at))
    return _Outcome(alert)


def _reminder(alert: Alert, at: float, repeat: float, previous: float | None) -> bool:
    if repeat <= 0 or previous is None or alert.fired_at is None or alert.ack_by:
        return False
    now = math.floor((at - alert.fired_at) / repeat)
    return now >= 1 and now > math.floor((previous - alert.fired_at) / repeat)


def _firing(
    alert: Alert, obs: Observation | None, at: float, repeat: float, previous: float | None
) -> _Outcome:
    if obs is None or obs.level == "unknown":
        return _Outcome()
    held = obs.level if obs.held is None else obs.held
    if not _bad(held):
        return _clearing(alert, obs, at)
    old = alert.severity
    new: Severity = old
    if _RANK[obs.level] > _RANK[old]:
        new = _severity(obs.level)
    elif _RANK[held] < _RANK[old]:
        new = _severity(held)
    saved = replace(_seen(alert, obs), severity=new, clear_since=None)
    if new != old:
        change: Change = "escalated" if _RANK[new] > _RANK[old] else "eased"
        return _Outcome(saved, transition=AlertTransition(saved, change, at, previous=old))
    if _reminder(alert, at, repeat, previous):
        return _Outcome(saved, transition=AlertTransition(saved, "fired", at))
    return _Outcome(saved if saved != alert else None)


def _advance(
    alert: Alert | None,
    obs: Observation | None,
    at: float,
    repeat: float,
    previous: float | None,
) -> _Outcome:
    if alert is None:
        return _new(obs, at) if obs is not None else _Outcome()
    if alert.status == "pending":
        return _pending(alert, obs, at)
    return _firing(alert, obs, at, repeat, previous)


def step(
    open_alerts: Iterable[Alert],
    observations: Sequence[Observation],
    at: float,
    *,
    repeat: float = 0.0,
    previous: float | None = None,
) -> Step:
    """One round of the machine at time ``at`` (``previous``: the round before, for the
    ``repeat`` reminders; None after a start)."""
    current: dict[AlertKey, Alert] = {}
    for alert in open_alerts:
        if alert.status != "resolved":
            current.setdefault(alert.key, alert)
    seen: dict[AlertKey, Observation] = {}
    for obs in observations:
        seen[obs.key] = obs  # the last observation of a key wins
    outcomes: list[_Outcome] = []
    for key in sorted(current.keys() | seen.keys()):
        outcomes.append(_advance(current.get(key), seen.get(key), at, repeat, previous))
    return Step(
        tuple(o.save for o in outcomes if o.save is not None),
        tuple(o.drop for o in outcomes if o.drop),
        tuple(o.transition for o in outcomes if o.transition is not None),
    )
