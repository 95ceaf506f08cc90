"""The alert state machine: for delay, hysteresis, flapping, escalation, reminders, and
properties (never resolved unless fired, never two open alerts per key)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.alerting.machine import Observation, step
from rempart.alerting.rules import Thresholds, level_of
from rempart.alerting.values import Alert, AlertKey, AlertTransition

KEY = AlertKey("threshold", "web1", "load", "load")
T0 = 1_767_225_600.0  # 2026-01-01, a multiple of 300


class Run:
    """Drives the machine like the alerter does: the saved alerts become the open ones."""

    def __init__(self) -> None:
        self.open: dict[AlertKey, Alert] = {}
        self.next_id = 1
        self.transitions: list[AlertTransition] = []
        self.previous: float | None = None

    def round(self, observations: Sequence[Observation], at: float, repeat: float = 0.0) -> None:
        result = step(self.open.values(), observations, at, repeat=repeat, previous=self.previous)
        by_id = {a.id: k for k, a in self.open.items()}
        for alert_id in result.dropped:
            assert self.open.pop(by_id[alert_id]).status == "pending"
        saved = {}
        for new in result.save:
            alert = new
            if alert.id == 0:
                alert = replace(alert, id=self.next_id)
                self.next_id += 1
            saved[alert.key] = alert
            if alert.status == "resolved":
                self.open.pop(alert.key, None)
            else:
                self.open[alert.key] = alert
        self.transitions += [replace(t, alert=saved[t.alert.key]) for t in result.transitions]
        self.previous = at

    def changes(self) -> list[str]:
        return [t.change for t in self.transitions]


def load(
    value: float, *, for_: float = 0.0, clear_for: float | None = None, hysteresis: float = 0.1
) -> Observation:
    th = Thresholds("4", "8", for_)
    return Observation(
        KEY,
        "Gandi",
        level_of(th, value),
        level_of(th, value, hysteresis),
        value,
        "Load average: load",
        for_=for_,
        clear_for=clear_for,
    )


@pytest.mark.parametrize("for_", [0.0, 300.0, 600.0])
def test_flapping_value_makes_one_alert(for_: float) -> None:
    run = Run()
    for i in range(20):  # 20 rounds alternating across the threshold (4)
        run.round([load(5.0 if i % 2 == 0 else 3.0, for_=for_, clear_for=600)], T0 + 300 * i)
    assert run.changes() == ["fired"]
    assert run.open[KEY].status == "firing"
    for i in range(20, 23):  # stays clear: resolved after 600 s
        run.round([load(1.0, for_=for_, clear_for=600)], T0 + 300 * i)
    assert run.changes() == ["fired", "resolved"]
    assert run.transitions[1].at == T0 + 300 * 21  # clear since round 19 (3.0)


def test_flapping_with_a_delay_fires_once_and_resolves_only_after_staying_clear() -> None:
    run = Run()
    values = [5, 5, 5, 3, 5, 3, 5, 3, 5, 3, 3, 3, 3]
    for i, v in enumerate(values):
        run.round([load(float(v), for_=600)], T0 + 300 * i)
    # fired at the third bad round (600 s), then every clear stretch shorter than 600 s
    assert run.changes() == ["fired", "resolved"]
    fired, resolved = run.transitions
    assert fired.at == T0 + 600
    assert resolved.at == T0 + 300 * 11  # clear since round 9, 600 s later
    assert resolved.alert.resolved_at == resolved.at
    assert resolved.alert.fired_at == T0 + 600


def test_one_short_spike_never_fires() -> None:
    run = Run()
    for i, v in enumerate([5, 3, 3, 3, 3]):
        run.round([load(float(v), for_=600)], T0 + 300 * i)
    assert run.changes() == []
    assert not run.open


def test_for_delay_drops_a_short_condition_silently() -> None:
    run = Run()
    run.round([load(5.0, for_=600)], T0)
    run.round([load(5.0, for_=600)], T0 + 300)
    assert run.open[KEY].status == "pending"
    run.round([load(1.0, for_=600)], T0 + 600)
    assert run.open[KEY].clear_since == T0 + 600  # clear: waits the delay, then dropped
    run.round([load(1.0, for_=600)], T0 + 900)
    run.round([load(1.0, for_=600)], T0 + 1200)
    assert run.changes() == []
    assert not run.open


def test_not_observed_drops_pending_and_keeps_firing() -> None:
    run = Run()
    run.round([load(5.0, for_=600)], T0)
    run.round([], T0 + 300)
    assert not run.open
    run.round([load(5.0)], T0 + 600)
    run.round([], T0 + 900)
    run.round([replace(load(1.0), level="unknown", held="unknown")], T0 + 1200)
    assert run.open[KEY].status == "firing"
    assert run.changes() == ["fired"]


def test_hysteresis_keeps_firing_until_past_the_margin() -> None:
    run = Run()
    run.round([load(5.0)], T0)
    run.round([load(3.8)], T0 + 300)  # inside 4 but not past 3.6
    assert run.open[KEY].clear_since is None
    run.round([load(3.5, for_=600)], T0 + 600)
    assert run.open[KEY].clear_since == T0 + 600
    run.round([load(3.5, for_=600)], T0 + 900)
    assert run.changes() == ["fired"]
    run.round([load(3.5, for_=600)], T0 + 1200)
    assert run.changes() == ["fired", "resolved"]


def test_escalation_and_easing() -> None:
    run = Run()
    run.round([load(5.0)], T0)
    run.round([load(9.0)], T0 + 300)
    run.round([load(7.5)], T0 + 600)  # below 8 but not past 7.2: still critical
    run.round([load(6.0)], T0 + 900)
    assert run.changes() == ["fired", "escalated", "eased"]
    assert [t.previous for t in run.transitions] == [None, "warning", "critical"]
    assert run.open[KEY].severity == "warning"


def test_pending_fires_with_the_current_severity() -> None:
    run = Run()
    run.round([load(5.0, for_=300)], T0)
    run.round([load(9.0, for_=300)], T0 + 300)
    assert run.changes() == ["fired"]
    assert run.transitions[0].alert.severity == "critical"


def test_repeat_reminds_unacknowledged_alerts() -> None:
    run = Run()
    for i in range(13):
        run.round([load(5.0)], T0 + 300 * i, repeat=1800)
    assert run.changes() == ["fired", "fired", "fired"]
    assert [t.at - T0 for t in run.transitions] == [0, 1800, 3600]
    run.open[KEY] = replace(run.open[KEY], ack_by="alice", ack_at=T0)
    for i in range(13, 30):
        run.round([load(5.0)], T0 + 300 * i, repeat=1800)
    assert run.changes() == ["fired", "fired", "fired"]


def test_unreachable_resolves_at_once() -> None:
    key = AlertKey("unreachable", "web1")
    down = Observation(key, "Gandi", "critical", for_=600, clear_for=0)
    run = Run()
    for i in range(3):
        run.round([down], T0 + 300 * i)
    run.round([replace(down, level="ok")], T0 + 900)
    assert run.changes() == ["fired", "resolved"]


# ------------------------------------------------------------------ properties

levels = st.sampled_from(["ok", "warning", "critical", "unknown", None])  # None: not observed
keys = st.sampled_from([KEY, AlertKey("no_data", "web1", "df"), AlertKey("unreachable", "db")])


@settings(max_examples=200, deadline=None)
@given(
    rounds=st.lists(st.lists(st.tuples(keys, levels, levels), max_size=4), max_size=30),
    for_=st.sampled_from([0.0, 300.0, 900.0]),
    clear_for=st.sampled_from([None, 0.0, 600.0]),
    repeat=st.sampled_from([0.0, 600.0]),
)
def test_machine_properties(rounds, for_, clear_for, repeat) -> None:  # type: ignore[no-untyped-def]
    run = Run()
    fired: set[int] = set()
    for i, observed in enumerate(rounds):
        obs = [
            Observation(k, "g", lv, held, 1.0, for_=for_, clear_for=clear_for)
            for k, lv, held in observed
            if lv is not None
        ]
        before = len(run.transitions)
        run.round(obs, T0 + 300 * i, repeat=repeat)
        for tr in run.transitions[before:]:
            if tr.change == "fired":
                fired.add(tr.alert.id)
            else:
                assert tr.alert.id in fired, "resolved/escalated/eased an alert that never fired"
            if tr.change == "resolved":
                assert tr.alert.status == "resolved"
                assert tr.alert.fired_at is not None
        open_keys = [a.key for a in run.open.values()]
        assert len(open_keys) == len(set(open_keys))
        assert all(a.status in ("pending", "firing") for a in run.open.values())
