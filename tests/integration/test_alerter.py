"""The alerter over several rounds: real SQLite alert store, the metrics protocol in memory."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import MappingProxyType

import pytest

from rempart.alerting.values import AlertTransition
from rempart.config.server import AlertsConfig, IncidentConfig
from rempart.metrics.model import Field, Graph
from rempart.metrics.series import NodeRound, NodeStatus, SeriesKey
from rempart.services.alerter import Alerter
from rempart.store.alerts import SqliteAlertStore
from rempart.store.server_db import open_server_db
from tests.fakes.metrics_store import MemoryMetricsStore

T0 = 1_767_225_600
GROUPS = {"Gandi": ("a", "b", "c", "d"), "TTN": ("x", "y")}
MEMBERS = {h: g for g, hosts in GROUPS.items() for h in hosts}
LOAD = Graph("load", "Load average", "system", (Field("load", "load", warning="4", critical="8"),))
DF = Graph("df", "Disk usage in percent", "disk", (Field("_dev_sda1", "/", warning="92"),))
CONFIG = AlertsConfig(for_=600, unreachable_for=600, no_data_for=900, disk_full_days=7)


class World:
    def __init__(self, db_path: Path, config: AlertsConfig = CONFIG) -> None:
        self.db = open_server_db(db_path)
        self.store = SqliteAlertStore(self.db)
        self.metrics = MemoryMetricsStore()
        self.alerter = Alerter(self.store, self.metrics, config, IncidentConfig(), GROUPS)
        self.told: list[AlertTransition] = []

    def round(
        self,
        i: int,
        up: dict[str, dict[str, float | None]],
        down: Sequence[str] = (),
        graphs: Sequence[Graph] = (LOAD,),
    ) -> list[AlertTransition]:
        at = T0 + 300 * i
        rounds, statuses = [], []
        for host, values in up.items():
            keyed = {
                SeriesKey(host, k.split("/")[0], k.split("/")[1]): v for k, v in values.items()
            }
            self.metrics.write(at, keyed)
            self.metrics.save_graphs(host, MEMBERS[host], graphs, at)
            rounds.append(
                NodeRound(
                    host, MEMBERS[host], at, True, 0.1, tuple(graphs), MappingProxyType(keyed)
                )
            )
            statuses.append(NodeStatus(host, MEMBERS[host], "192.0.2.1", 4949, "up", at, at))
        for host in down:
            rounds.append(NodeRound(host, MEMBERS[host], at, False, 30.0, error="timed out"))
            statuses.append(
                NodeStatus(host, MEMBERS[host], "192.0.2.1", 4949, "down", at, error="timed out")
            )
        told = self.alerter.evaluate(rounds, statuses, float(at))
        self.told += told
        return told

    def changes(self) -> list[str]:
        return [f"{t.change} {t.alert.key}" for t in self.told]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path / "server.db")
    yield w
    w.db.close()


def test_flapping_load_makes_one_alert_with_an_id(world: World) -> None:
    for i in range(20):
        world.round(i, {"a": {"load/load": 5.0 if i % 2 else 3.0}})
    assert world.changes() == ["fired threshold:a/load/load"]
    alert = world.told[0].alert
    assert alert.id > 0
    assert alert.title == "Load average: load"
    assert alert.group == "Gandi"
    assert "warning outside 4" in alert.detail
    for i in range(20, 24):
        world.round(i, {"a": {"load/load": 1.0}})
    assert world.changes()[-1] == "resolved threshold:a/load/load"
    assert world.store.open_alerts() == []
    assert world.store.alerts(active=False)[0].status == "resolved"


def test_override_rule_and_escalation(tmp_path: Path) -> None:
    from rempart.alerting.values import AlertRule

    config = AlertsConfig(for_=0, rules=(AlertRule("a/load/*", warning="2", critical="3"),))
    w = World(tmp_path / "s.db", config)
    w.round(0, {"a": {"load/load": 2.5}, "b": {"load/load": 2.5}})
    w.round(1, {"a": {"load/load": 3.5}, "b": {"load/load": 2.5}})
    assert w.changes() == ["fired threshold:a/load/load", "escalated threshold:a/load/load"]
    w.db.close()


def test_unreachable_after_the_delay_and_resolved_when_back(world: World) -> None:
    world.round(0, {"a": {"load/load": 1.0}, "x": {"load/load": 1.0}})
    for i in range(1, 4):
        world.round(i, {"a": {"load/load": 1.0}}, down=["x"])
    assert world.changes() == ["fired unreachable:x"]  # at 600 s: the third failed round
    assert world.told[0].at == T0 + 900
    assert world.told[0].alert.detail == "timed out"
    world.round(4, {"a": {"load/load": 1.0}, "x": {"load/load": 1.0}})
    assert world.changes() == ["fired unreachable:x", "resolved unreachable:x"]


def test_no_data_for_a_graph_and_a_field(world: World) -> None:
    both = (LOAD, DF)
    world.round(0, {"a": {"load/load": 1.0, "df/_dev_sda1": 50.0}}, graphs=both)
    for i in range(1, 5):  # the df graph stops coming, the load field is unknown
        world.round(i, {"a": {"load/load": None}})
    assert world.changes() == ["fired no_data:a/df", "fired no_data:a/load/load"]
    world.round(5, {"a": {"load/load": 1.0, "df/_dev_sda1": 50.0}}, graphs=both)
    assert sorted(world.changes()[2:]) == ["resolved no_data:a/df", "resolved no_data:a/load/load"]


def test_disk_full_forecast(world: World) -> None:
    told = []
    for i in range(60):  # +10 % a day from 80 %: full in about 2 days
        told += world.round(i, {"b": {"df/_dev_sda1": 80.0 + 10.0 * i * 300 / 86400}}, graphs=(DF,))
    assert [f"{t.change} {t.alert.key}" for t in told] == ["fired disk_full:b/df/_dev_sda1"]
    alert = told[0].alert
    assert alert.severity == "warning"
    assert "full in" in alert.detail
    open_alert = world.store.open_alerts()[0]
    # the fitted usage of the last forecast (fitted again every 15 minutes)
    assert open_alert.value == pytest.approx(80.0 + 10.0 * 59 * 300 / 86400, abs=0.15)
    # the disk is cleaned: flat at 40 % → resolved once the line is flat
    for i in range(60, 400):
        world.round(i, {"b": {"df/_dev_sda1": 40.0}}, graphs=(DF,))
    assert world.changes()[-1] == "resolved disk_full:b/df/_dev_sda1"


def test_incident_holds_host_alerts_and_another_group_alerts_alone(world: World) -> None:
    ok = {"load/load": 1.0}
    world.round(0, dict.fromkeys(MEMBERS, ok))
    told: list[AlertTransition] = []
    for i in range(1, 4):  # a, b, c of Gandi down (3 of 4); x of TTN down alone
        told += world.round(i, {"d": ok, "y": ok}, down=["a", "b", "c", "x"])
    assert sorted(f"{t.change} {t.alert.key}" for t in told) == [
        "fired incident:Gandi/unreachable",
        "fired unreachable:x",
    ]
    assert world.alerter.held == 3
    assert {a.key.host for a in world.store.open_alerts()} == {"a", "b", "c", "x", "Gandi"}
    incident = next(t.alert for t in told if t.alert.key.kind == "incident")
    assert "3 of 4" in incident.detail
    assert math.isclose(incident.value or 0, 3)
    # b and c come back; the incident ends (1 of 4), a is still down: now it is told
    back = world.round(4, {"b": ok, "c": ok, "d": ok, "x": ok, "y": ok}, down=["a"])
    assert sorted(f"{t.change} {t.alert.key}" for t in back) == [
        "fired unreachable:a",
        "resolved incident:Gandi/unreachable",
        "resolved unreachable:x",
    ]
    assert world.alerter.held == 5  # b and c resolved silently


def test_restart_keeps_open_alerts(tmp_path: Path) -> None:
    w = World(tmp_path / "s.db")
    for i in range(3):
        w.round(i, {"a": {"load/load": 9.0}})
    w.db.close()
    w2 = World(tmp_path / "s.db")
    assert [a.status for a in w2.store.open_alerts()] == ["firing"]
    for i in range(3, 6):
        w2.round(i, {"a": {"load/load": 9.0}})
    assert w2.changes() == []  # no second "fired" after a restart
    w2.db.close()
