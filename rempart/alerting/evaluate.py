"""Observations from one round (PURE): what the state machine is fed.

- ``threshold``: every field of every graph a node answered, against its Munin ranges after
  the overrides (:mod:`rempart.alerting.rules`), with the hysteresis test beside it;
- ``unreachable``: a node whose poll failed (``NodeStatus.state`` "down");
- ``no_data``: while its node answers, a graph known before that is not answered any more
  (key field ""), or a field that had values and now has none;
- ``disk_full``: a filesystem (``df`` graph) full within ``disk_full_days`` at the rate
  :mod:`rempart.alerting.forecast` fits.

To keep a round cheap, an "ok" observation is made only for keys with an open alert (the
machine drops a pending alert that is not observed and leaves a firing one as it is).
Node-controlled text (graph titles, field labels, errors) is made plain and bounded
(:func:`plain`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence

from rempart.alerting.forecast import Forecast
from rempart.alerting.machine import Observation
from rempart.alerting.rules import level_of, rule_matches, thresholds
from rempart.alerting.values import AlertKey, AlertRule, Level
from rempart.i18n import render
from rempart.metrics.model import Field, Graph
from rempart.metrics.series import STEP, NodeRound, NodeStatus, SeriesKey

__all__ = [
    "MIN_CLEAR",
    "TEXT_LIMIT",
    "disk_full_observation",
    "enabled",
    "gone_observations",
    "no_data_observations",
    "plain",
    "threshold_observations",
    "title_of",
    "unreachable_observations",
]

TEXT_LIMIT = 200
#: a threshold or forecast alert resolves only after staying clear this long at least (one
#: more round), even with ``for`` 0: a value flapping every round makes one alert
MIN_CLEAR = float(STEP)


def plain(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` with control characters replaced by spaces and cut to ``limit`` characters."""
    if len(text) <= limit and text.isprintable() and "  " not in text and text == text.strip():
        return text
    cleaned = "".join(" " if (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0) else c for c in text)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def title_of(graph: Graph, field: Field | None = None) -> str:
    """What an alert is about, for people: the graph's title and the field's label."""
    title = graph.title or graph.name
    if field is not None:
        title = f"{title}: {field.label or field.name}"
    return plain(title)


def _number(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def enabled(rules: Sequence[AlertRule], host: str, graph: str, field: str) -> bool:
    """False when the last matching rule that sets ``enabled`` says False."""
    on = True
    for rule in rules:
        if rule.enabled is not None and rule_matches(rule, host, graph, field):
            on = rule.enabled
    return on


def threshold_observations(
    rnd: NodeRound,
    *,
    rules: Sequence[AlertRule],
    default_for: float,
    hysteresis: float,
    open_keys: Collection[AlertKey],
    lang: str = "en",
) -> list[Observation]:
    """Fields of ``rnd`` out of their ranges, and those with an open alert."""
    out: list[Observation] = []
    for graph in rnd.graphs:
        for field in graph.fields:
            th = thresholds(
                rnd.node,
                graph.name,
                field.name,
                warning=field.warning,
                critical=field.critical,
                rules=rules,
                default_for=default_for,
            )
            key = AlertKey("threshold", rnd.node, graph.name, field.name)
            if not th.active:
                continue
            value = rnd.values.get(SeriesKey(rnd.node, graph.name, field.name))
            level = level_of(th, value)
            if level in ("ok", "unknown") and key not in open_keys:
                continue
            detail = render(
                "alerts.detail.ranges",
                lang,
                value=_number(value),
                warning=plain(th.warning or "-", 40),
                critical=plain(th.critical or "-", 40),
            )
            held = level_of(th, value, hysteresis)
            title = title_of(graph, field)
            clear_for = max(th.for_, MIN_CLEAR)
            out.append(
                Observation(key, rnd.group, level, held, value, title, detail, th.for_, clear_for)
            )
    return out


def unreachable_observations(
    statuses: Iterable[NodeStatus],
    *,
    unreachable_for: float,
    rules: Sequence[AlertRule],
    open_keys: Collection[AlertKey],
) -> list[Observation]:
    """Nodes down (critical), and nodes back up with an open alert (resolved at once)."""
    out: list[Observation] = []
    for status in statuses:
        key = AlertKey("unreachable", status.node)
        if status.state == "unknown" or not enabled(rules, status.node, "", ""):
            continue
        down = status.state == "down"
        if not down and key not in open_keys:
            continue
        where = plain(f"{status.address}:{status.port}", 80)
        out.append(
            Observation(
                key,
                status.group,
                "critical" if down else "ok",
                title=plain(f"{status.node} ({where})"),
                detail=plain(status.error) if down else "",
                for_=unreachable_for,
                clear_for=0.0,
            )
        )
    return out


def _missing(value: float | None) -> bool:
    return value is None or math.isnan(value)


def no_data_observations(
    rnd: NodeRound,
    known: Iterable[Graph],
    had_data: Collection[SeriesKey],
    *,
    no_data_for: float,
    rules: Sequence[AlertRule],
    open_keys: Collection[AlertKey],
    lang: str = "en",
) -> list[Observation]:
    """Graphs ``known`` before and not answered by ``rnd``; fields in ``had_data`` with no
    value now. Nothing when the node did not answer (that is ``unreachable``)."""
    if not rnd.ok:
        return []
    out: list[Observation] = []
    answered = {g.name: g for g in rnd.graphs}
    text = render("alerts.detail.no_data", lang)

    def observe(key: AlertKey, bad: bool, graph: Graph, field: Field | None = None) -> None:
        if (bad or key in open_keys) and enabled(rules, key.host, key.graph, key.field):
            title = title_of(graph, field)
            level: Level = "warning" if bad else "ok"
            out.append(
                Observation(
                    key,
                    rnd.group,
                    level,
                    title=title,
                    detail=text,
                    for_=no_data_for,
                    clear_for=0.0,
                )
            )

    for graph in known:
        if graph.name not in answered:
            observe(AlertKey("no_data", rnd.node, graph.name), True, graph)
    for graph in answered.values():
        observe(AlertKey("no_data", rnd.node, graph.name), False, graph)
        for field in graph.fields:
            series = SeriesKey(rnd.node, graph.name, field.name)
            if series in had_data:
                key = AlertKey("no_data", rnd.node, graph.name, field.name)
                observe(key, _missing(rnd.values.get(series)), graph, field)
    return out


def disk_full_observation(
    rnd: NodeRound,
    graph: Graph,
    field: Field,
    forecast: Forecast | None,
    *,
    days: float,
    default_for: float,
    hysteresis: float,
    open_keys: Collection[AlertKey],
    lang: str = "en",
) -> Observation | None:
    """``warning`` when the filesystem of ``field`` will be full within ``days`` days,
    ``critical`` within one day (and ``days`` ≥ 1); clears past ``days`` × (1 + hysteresis)."""
    key = AlertKey("disk_full", rnd.node, graph.name, field.name)
    left = None if forecast is None else forecast.days_left
    if forecast is None:
        level: Level = "unknown"
    elif left is None or left >= days:
        level = "ok"
    else:
        level = "critical" if left < min(1.0, days) else "warning"
    held: Level = level
    if level == "ok" and left is not None and left < days * (1 + hysteresis):
        held = "warning"
    if level in ("ok", "unknown") and key not in open_keys:
        return None
    detail = ""
    if forecast is not None:
        detail = render(
            "alerts.detail.disk_full",
            lang,
            level=_number(forecast.level),
            slope=_number(forecast.slope),
            days=_number(left) if left is not None else "∞",
        )
    value = forecast.level if forecast is not None else None
    title = title_of(graph, field)
    clear_for = max(default_for, MIN_CLEAR)
    return Observation(key, rnd.group, level, held, value, title, detail, default_for, clear_for)


def gone_observations(
    open_alerts: Iterable[tuple[AlertKey, str]],
    observed: Collection[AlertKey],
    answering: Mapping[str, str],
    lang: str = "en",
) -> list[Observation]:
    """``ok`` for open threshold, no-data and disk-full alerts of answering nodes (host →
    group) that got no observation this round: their field is gone or no longer watched, so
    they resolve at once. ``open_alerts`` are (key, title) pairs."""
    detail = render("alerts.detail.gone", lang)
    return [
        Observation(key, answering[key.host], "ok", title=title, detail=detail, clear_for=0.0)
        for key, title in open_alerts
        if key.kind in ("threshold", "no_data", "disk_full")
        and key.host in answering
        and key not in observed
    ]
