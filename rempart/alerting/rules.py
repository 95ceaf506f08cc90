"""Which thresholds apply to one field: the node's own Munin ranges, then the configuration's
overrides (PURE).

A field's ``warning``/``critical`` come from its node (``Field.warning``/``critical``, as
Munin's plugins print them). Each :class:`~rempart.alerting.values.AlertRule` whose ``match``
(shell wildcards, case-sensitive) matches ``host/graph/field`` then replaces what it sets:
the last matching rule wins, key by key (a rule with only ``for`` keeps the ranges of the
rules before it). An empty range text removes that range; ``enabled`` False silences the
field. Hysteresis narrows a range by a share of each bound (:func:`narrowed`): a firing alert
clears only once its value is back inside the narrowed range.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache

from rempart.alerting.values import AlertRule, Level
from rempart.munin.ranges import Range, parse_range

__all__ = ["Thresholds", "level_of", "narrowed", "path_of", "rule_matches", "thresholds"]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The ranges that apply to one field after the overrides (None: no such range)."""

    warning: str | None
    critical: str | None
    for_: float
    enabled: bool = True

    @property
    def active(self) -> bool:
        """True when the field is watched at all (enabled, with at least one range)."""
        return self.enabled and (self.warning is not None or self.critical is not None)


def path_of(host: str, graph: str, field: str) -> str:
    """The ``host/graph/field`` text rules match (``field`` "" for a whole graph)."""
    return f"{host}/{graph}/{field}"


def rule_matches(rule: AlertRule, host: str, graph: str, field: str) -> bool:
    return fnmatchcase(path_of(host, graph, field), rule.match)


def _range_text(text: str | None) -> str | None:
    return text if text else None  # "" in a rule removes the range


def thresholds(
    host: str,
    graph: str,
    field: str,
    *,
    warning: str | None,
    critical: str | None,
    rules: Sequence[AlertRule],
    default_for: float,
) -> Thresholds:
    """The node's ``warning``/``critical`` for ``host/graph/field``, with ``rules`` applied."""
    for_ = default_for
    enabled = True
    for rule in rules:
        if not rule_matches(rule, host, graph, field):
            continue
        if rule.warning is not None:
            warning = rule.warning
        if rule.critical is not None:
            critical = rule.critical
        if rule.for_ is not None:
            for_ = rule.for_
        if rule.enabled is not None:
            enabled = rule.enabled
    return Thresholds(_range_text(warning), _range_text(critical), for_, enabled)


def narrowed(text: str, fraction: float) -> Range:
    """The range of ``text`` shrunk by ``fraction`` × |bound| on each side that has a bound
    (``90`` with 0.05 → ``:85.5``; ``10:`` → ``10.5:``). A range that would become empty keeps
    its middle only."""
    r = parse_range(text)
    low = None if r.low is None else r.low + fraction * abs(r.low)
    high = None if r.high is None else r.high - fraction * abs(r.high)
    if low is not None and high is not None and low > high:
        low = high = (r.low + r.high) / 2 if r.low is not None and r.high is not None else low
    return Range(low, high)


def _rounded(value: float) -> float:
    return float(f"{value:.2f}")  # munin-limits compares sprintf("%.2f", value)


@lru_cache(maxsize=4096)
def _allowed(text: str, margin: float) -> Range:
    """The parsed (and narrowed) range of ``text``: a few distinct texts, parsed once."""
    return narrowed(text, margin) if margin > 0 else parse_range(text)


def level_of(thresholds: Thresholds, value: float | None, margin: float = 0.0) -> Level:
    """The level of ``value`` under ``thresholds`` (critical tested first, as munin-limits
    does); with ``margin`` > 0 each range is :func:`narrowed` first (the hysteresis test)."""
    if value is None or math.isnan(value):
        return "unknown"
    shown = _rounded(value)
    for level, text in (("critical", thresholds.critical), ("warning", thresholds.warning)):
        if text is None:
            continue
        if not _allowed(text, margin).contains(shown):
            return "critical" if level == "critical" else "warning"
    return "ok"
