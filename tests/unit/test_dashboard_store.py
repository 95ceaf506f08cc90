"""The overview's reads: which graphs make the key figures, and a host's state."""

from __future__ import annotations

from pathlib import Path

from rempart.metrics.series import SeriesKey
from rempart.store.dashboard import DashboardReader, HostHealth, is_traffic_graph, summarise
from rempart.store.server_db import open_server_db
from rempart.store.timeseries import SqliteMetricsStore


def test_traffic_graphs_leave_out_loopback_virtual_and_other_if_graphs() -> None:
    assert is_traffic_graph("if_eth0")
    assert is_traffic_graph("if_ens3")
    for name in ("if_err_eth0", "if_packets_eth0", "if_util_eth0", "if_lo", "if_veth9f"):
        assert not is_traffic_graph(name), name
    for name in ("if_docker0", "if_br-1a2b", "if_virbr0", "if_ifb0", "load"):
        assert not is_traffic_graph(name), name


def test_summarise_rows() -> None:
    rows = [
        ("a", "df", "_dev_sda1", 40.0),
        ("a", "df", "_srv", 91.5),
        ("a", "load", "load", 1.25),
        ("a", "if_eth0", "down", 100.0),
        ("a", "if_eth1", "down", 50.0),
        ("a", "if_eth0", "up", 10.0),
        ("a", "if_err_eth0", "rcvd", 9.0),
        ("a", "fail2ban", "sshd", 9.0),
        ("a", "rempart_active_bans", "sshd", 2.0),
        ("a", "rempart_active_bans", "postfix", 1.0),
        ("b", "fail2ban", "sshd", 4.0),
        ("b", "load", "load", None),
    ]
    figures = summarise(rows)
    a, b = figures["a"], figures["b"]
    assert (a.disk, a.load, a.rx, a.tx, a.bans) == (91.5, 1.25, 150.0, 10.0, 3.0)
    assert (b.bans, b.load, b.disk) == (4.0, None, None)  # fail2ban when no rempart graph


def test_state_of_a_host() -> None:
    assert HostHealth("down", alert="critical").state == "unreachable"
    assert HostHealth("up", alert="warning").state == "warning"
    assert HostHealth("up").state == "ok"
    assert HostHealth("unknown").state == "unknown"


def test_figures_from_the_newest_known_value(tmp_path: Path) -> None:
    db = open_server_db(tmp_path / "server.db")
    store = SqliteMetricsStore(db)
    key = SeriesKey("a", "load", "load")
    other = SeriesKey("a", "plugin", "x")
    store.write(3000, {key: 1.0, other: 5.0})
    store.write(3300, {key: 2.0, other: 5.0})
    store.write(3600, {key: None, other: 5.0})  # unknown: the one before counts
    reader = DashboardReader(db)
    assert reader.figures(since=0)["a"].load == 2.0
    assert reader.figures(since=3400) == {}  # nothing known recently
    db.close()
