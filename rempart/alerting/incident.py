"""Provider incidents (PURE): when most hosts of one group degrade together, one ``incident``
alert for the group instead of one alert per host.

A host is *degraded* in a round when it is unreachable, when its PSI I/O ``full`` share
(``psi_io`` graph of a rempart agent; stored in µs stalled per second, shown in percent by
its cdef ``/10000``) reaches ``io_pressure`` %, or when its CPU steal (``cpu`` graph,
``steal``: jiffies per second, i.e. % of one CPU) reaches ``steal``. For each group and each
kind, when the degraded hosts are at least ``fraction`` of the group and at least
``min_hosts``, the key ``incident:<group>/<kind>`` is critical. It fires after
``delays[kind]``; an unreachable incident resolves as soon as the hosts answer again (like a
host's), the others after the same delay clear.

While an incident fires, the transitions of its group's host alerts of the matching kinds
(``unreachable`` → unreachable; ``io``/``steal`` → threshold and no-data) that fired since
the incident began are held back (:func:`held_back`); when it resolves, those still firing
are told (:func:`released`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from rempart.alerting.evaluate import plain
from rempart.alerting.machine import Observation
from rempart.alerting.values import Alert, AlertKey, AlertKind, AlertTransition, Level
from rempart.i18n import render
from rempart.metrics.series import NodeRound, NodeStatus, SeriesKey

__all__ = [
    "HELD_KINDS",
    "INCIDENT_KINDS",
    "PSI_SCALE",
    "degradations",
    "held_back",
    "incident_observations",
    "released",
]

INCIDENT_KINDS = ("unreachable", "io", "steal")
#: the host alert kinds an incident of each kind holds back
HELD_KINDS: Mapping[str, tuple[AlertKind, ...]] = {
    "unreachable": ("unreachable",),
    "io": ("threshold", "no_data"),
    "steal": ("threshold", "no_data"),
}
PSI_SCALE = 10000.0  # psi_io's cdef: µs stalled per second / 10000 = percent


def _value(rnd: NodeRound, graph: str, field: str) -> float | None:
    value = rnd.values.get(SeriesKey(rnd.node, graph, field))
    return None if value is None or math.isnan(value) else value


def degradations(
    status: NodeStatus | None, rnd: NodeRound | None, *, io_pressure: float, steal: float
) -> frozenset[str]:
    """The incident kinds one host shows this round."""
    if status is not None and status.state == "down":
        return frozenset({"unreachable"})
    if rnd is None or not rnd.ok:
        return frozenset({"unreachable"}) if rnd is not None else frozenset()
    out = set()
    io = _value(rnd, "psi_io", "full")
    if io is not None and io / PSI_SCALE >= io_pressure:
        out.add("io")
    stolen = _value(rnd, "cpu", "steal")
    if stolen is not None and stolen >= steal:
        out.add("steal")
    return frozenset(out)


def incident_observations(
    groups: Mapping[str, Sequence[str]],
    degraded: Mapping[str, frozenset[str]],
    *,
    fraction: float,
    min_hosts: int,
    delays: Mapping[str, float],
    open_keys: Iterable[AlertKey],
    lang: str = "en",
) -> list[Observation]:
    """One observation per group and kind that is an incident now (or has an open alert)."""
    open_set = set(open_keys)
    out: list[Observation] = []
    for group, hosts in groups.items():
        total = len(hosts)
        for kind in INCIDENT_KINDS:
            key = AlertKey("incident", group, kind)
            hit = sorted(h for h in hosts if kind in degraded.get(h, frozenset()))
            bad = total > 0 and len(hit) >= max(min_hosts, 1) and len(hit) >= fraction * total
            if not bad and key not in open_set:
                continue
            level: Level = "critical" if bad else "ok"
            what = render(f"alerts.incident.{kind}", lang)
            detail = render(
                "alerts.detail.incident",
                lang,
                count=len(hit),
                total=total,
                what=what,
                hosts=", ".join(hit),
            )
            out.append(
                Observation(
                    key,
                    group,
                    level,
                    value=float(len(hit)),
                    title=plain(f"{group}: {what}"),
                    detail=plain(detail),
                    for_=delays.get(kind, 0.0),
                    clear_for=0.0 if kind == "unreachable" else delays.get(kind, 0.0),
                )
            )
    return out


def _covers(incident: Alert, alert: Alert, members: Mapping[str, str]) -> bool:
    if alert.key.kind == "incident" or members.get(alert.key.host) != incident.key.host:
        return False
    if alert.key.kind not in HELD_KINDS.get(incident.key.graph, ()):
        return False
    began = incident.fired_at
    return began is not None and alert.fired_at is not None and alert.fired_at >= began


def held_back(
    transitions: Sequence[AlertTransition],
    incidents: Iterable[Alert],
    members: Mapping[str, str],
) -> tuple[list[AlertTransition], list[AlertTransition]]:
    """``(kept, held)``: the transitions of host alerts (host → group in ``members``) covered
    by one of ``incidents`` (those firing, or resolved in this round) are held."""
    active = [i for i in incidents if i.key.kind == "incident" and i.fired_at is not None]
    kept: list[AlertTransition] = []
    held: list[AlertTransition] = []
    for tr in transitions:
        covered = any(_covers(i, tr.alert, members) for i in active)
        (held if covered else kept).append(tr)
    return kept, held


def released(
    ended: Iterable[Alert], firing: Iterable[Alert], members: Mapping[str, str], at: float
) -> list[AlertTransition]:
    """When incidents end: a ``fired`` transition for each host alert still firing that they
    held back (it was never told)."""
    gone = list(ended)
    return [
        AlertTransition(alert, "fired", at)
        for alert in firing
        if alert.status == "firing" and any(_covers(i, alert, members) for i in gone)
    ]
