"""Provider incidents: degraded hosts, one group alert, held-back host alerts."""

from __future__ import annotations

from types import MappingProxyType

from rempart.alerting.incident import degradations, held_back, incident_observations, released
from rempart.alerting.values import Alert, AlertKey, AlertTransition
from rempart.metrics.series import NodeRound, NodeStatus, SeriesKey

GROUPS = {"Gandi": ("a", "b", "c", "d"), "TTN": ("x", "y")}
MEMBERS = {h: g for g, hosts in GROUPS.items() for h in hosts}
T0 = 1_767_225_600.0


def rnd(host: str, io: float | None = None, steal: float | None = None) -> NodeRound:
    values: dict[SeriesKey, float | None] = {}
    if io is not None:
        values[SeriesKey(host, "psi_io", "full")] = io
    if steal is not None:
        values[SeriesKey(host, "cpu", "steal")] = steal
    return NodeRound(host, MEMBERS[host], int(T0), True, 0.1, (), MappingProxyType(values))


def test_degradations() -> None:
    down = NodeStatus("a", "Gandi", "192.0.2.1", 4949, "down")
    assert degradations(down, None, io_pressure=10, steal=20) == {"unreachable"}
    # psi_io full is stored in µs stalled per second: 150000 µs/s = 15 %
    assert degradations(None, rnd("a", io=150_000.0), io_pressure=10, steal=20) == {"io"}
    assert degradations(None, rnd("a", io=50_000.0, steal=25.0), io_pressure=10, steal=20) == {
        "steal"
    }
    assert degradations(None, rnd("a"), io_pressure=10, steal=20) == frozenset()


def observe(degraded: dict[str, frozenset[str]], open_keys: tuple[AlertKey, ...] = ()):  # type: ignore[no-untyped-def]
    return incident_observations(
        GROUPS,
        degraded,
        fraction=0.5,
        min_hosts=2,
        delays={"unreachable": 600, "io": 300, "steal": 300},
        open_keys=open_keys,
    )


def test_three_of_four_degraded_is_one_group_incident() -> None:
    io = frozenset({"io"})
    obs = observe({"a": io, "b": io, "c": io})
    assert [(o.key, o.level) for o in obs] == [(AlertKey("incident", "Gandi", "io"), "critical")]
    assert "3 of 4" in obs[0].detail
    assert "a, b, c" in obs[0].detail
    assert obs[0].for_ == 300


def test_one_host_alone_is_no_incident_and_min_hosts_counts() -> None:
    down = frozenset({"unreachable"})
    assert observe({"x": down}) == []  # 1 of 2 is half, but fewer than min_hosts
    assert observe({"a": down}) == []
    ok = observe({}, (AlertKey("incident", "TTN", "unreachable"),))
    assert [o.level for o in ok] == ["ok"]


def alert(key: AlertKey, fired_at: float, status: str = "firing") -> Alert:
    return Alert(1, key, MEMBERS.get(key.host, key.host), "critical", status, fired_at, fired_at)  # type: ignore[arg-type]


def test_host_alerts_held_back_while_the_incident_lasts() -> None:
    incident = alert(AlertKey("incident", "Gandi", "unreachable"), T0)
    in_group = [alert(AlertKey("unreachable", h), T0) for h in ("a", "b", "c")]
    before = alert(AlertKey("unreachable", "d"), T0 - 3600)  # told before the incident
    other = alert(AlertKey("unreachable", "x"), T0)
    threshold = alert(AlertKey("threshold", "a", "load", "load"), T0)
    trs = [AlertTransition(a, "fired", T0) for a in (*in_group, before, other, threshold)]
    trs.append(AlertTransition(incident, "fired", T0))
    kept, held = held_back(trs, [incident], MEMBERS)
    assert [t.alert.key.host for t in held] == ["a", "b", "c"]
    assert [str(t.alert.key) for t in kept] == [
        "unreachable:d",
        "unreachable:x",
        "threshold:a/load/load",
        "incident:Gandi/unreachable",
    ]
    told = released([incident], [*in_group[:2], before, other], MEMBERS, T0 + 900)
    assert [t.alert.key.host for t in told] == ["a", "b"]
    assert all(t.change == "fired" and t.at == T0 + 900 for t in told)
