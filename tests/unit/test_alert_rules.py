"""Thresholds of a field: the node's Munin ranges, overrides (last match wins key by key),
hysteresis."""

from __future__ import annotations

import pytest

from rempart.alerting.rules import Thresholds, level_of, narrowed, thresholds
from rempart.alerting.values import AlertRule
from rempart.munin.ranges import Range


def _th(rules: list[AlertRule], *, warning: str | None = "92", critical: str | None = "98"):
    return thresholds(
        "web1", "df", "_dev_sda1", warning=warning, critical=critical, rules=rules, default_for=600
    )


def test_node_ranges_without_rules() -> None:
    assert _th([]) == Thresholds("92", "98", 600.0, True)


def test_last_matching_rule_wins_key_by_key() -> None:
    rules = [
        AlertRule("*/df/*", warning="85", critical="95"),
        AlertRule("web1/df/*", critical="99", for_=60),
        AlertRule("db*/df/*", warning="10"),  # does not match web1
    ]
    assert _th(rules) == Thresholds("85", "99", 60.0, True)


def test_empty_text_removes_a_range_and_enabled_false_silences() -> None:
    assert _th([AlertRule("*", warning="")]).warning is None
    silenced = _th([AlertRule("web1/*", enabled=False)])
    assert not silenced.active
    assert _th([AlertRule("web1/*", enabled=False), AlertRule("*/df/*", enabled=True)]).active
    assert not _th([], warning=None, critical=None).active


def test_match_is_case_sensitive_on_the_whole_path() -> None:
    assert _th([AlertRule("WEB1/*", warning="1")]).warning == "92"
    assert _th([AlertRule("web1/df", warning="1")]).warning == "92"


@pytest.mark.parametrize(
    ("value", "level"),
    [(50.0, "ok"), (92.0, "ok"), (92.004, "ok"), (92.01, "warning"), (98.5, "critical"),
     (None, "unknown"), (float("nan"), "unknown")],
)  # fmt: skip
def test_level_like_munin_limits(value: float | None, level: str) -> None:
    assert level_of(Thresholds("92", "98", 0), value) == level


def test_munin_range_forms() -> None:
    th = Thresholds("10:20", None, 0)
    assert [level_of(th, v) for v in (9.0, 15.0, 21.0)] == ["warning", "ok", "warning"]
    assert level_of(Thresholds("garbage", None, 0), 1.0) == "warning"  # munin-limits: [0,0]
    assert level_of(Thresholds("garbage", None, 0), 0.0) == "ok"


def test_narrowed_by_a_share_of_each_bound() -> None:
    assert narrowed("90", 0.05) == Range(None, 85.5)
    assert narrowed("10:", 0.1) == Range(11.0, None)
    assert narrowed("-10:10", 0.5) == Range(-5.0, 5.0)
    assert narrowed("0:0", 0.5) == Range(0.0, 0.0)
    r = narrowed("10:11", 0.5)  # would cross: keeps its middle
    assert r.low == r.high == 10.5


def test_hysteresis_level() -> None:
    th = Thresholds("90", None, 0)
    assert level_of(th, 88.0) == "ok"
    assert level_of(th, 88.0, 0.05) == "warning"  # not past 85.5 yet
    assert level_of(th, 85.0, 0.05) == "ok"
