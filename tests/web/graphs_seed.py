"""Graphs and values written through the server's own store, for the overview and host tests.

``seed_host`` writes the graphs an agent serves (load, df, if_eth0, containers network,
rempart bans) and values: every ``every`` seconds (6 hours) for ``days`` days (then packed by
``compact``, as the server does each hour), and every 5 minutes for the last day.
"""

from __future__ import annotations

import math

from rempart.alerting.values import Alert, AlertKey
from rempart.metrics.model import Field, Graph
from rempart.metrics.series import NodeStatus, SeriesKey
from rempart.store.alerts import SqliteAlertStore
from rempart.store.db import Database
from rempart.store.nodes import SqliteNodeStore
from rempart.store.timeseries import SqliteMetricsStore

__all__ = ["GRAPHS", "alert", "seed_host", "seed_node"]

GRAPHS = (
    Graph("load", "Load average", "system", (Field("load", "load"),), vlabel="load"),
    Graph(
        "df",
        "Disk usage in percent",
        "disk",
        (Field("_dev_vda1", "/"), Field("_dev_vdb1", "/srv")),
        vlabel="%",
    ),
    Graph(
        "if_eth0",
        "eth0 traffic",
        "network",
        (
            Field("down", "received", type="DERIVE", graph=False, cdef="down,8,*"),
            Field("up", "bps", type="DERIVE", negative="down", cdef="up,8,*"),
        ),
        vlabel="bits in (-) / out (+) per ${graph_period}",
    ),
    Graph(
        "if_veth0a1b",
        "veth0a1b traffic",
        "network",
        (Field("down", "received", type="DERIVE", graph=False), Field("up", "bps", type="DERIVE")),
    ),
    Graph(
        "containers_net_in",
        "Container network traffic in",
        "containers",
        (
            Field("web", "web (veth0a1b)", type="DERIVE", min=0),
            Field("db", "db <b>x</b>", type="DERIVE", min=0),
        ),
    ),
    Graph(
        "rempart_active_bans",
        "rempart bans in force",
        "rempart",
        (Field("sshd", "sshd"), Field("postfix", "postfix")),
    ),
)

VALUES = {
    ("load", "load"): 0.5,
    ("df", "_dev_vda1"): 41.0,
    ("df", "_dev_vdb1"): 87.5,
    ("if_eth0", "down"): 1000.0,
    ("if_eth0", "up"): 250.0,
    ("if_veth0a1b", "down"): 99999.0,  # not added to the host's traffic
    ("if_veth0a1b", "up"): 99999.0,
    ("containers_net_in", "web"): 300.0,
    ("containers_net_in", "db"): 20.0,
    ("rempart_active_bans", "sshd"): 3.0,
    ("rempart_active_bans", "postfix"): 4.0,
}


def seed_host(
    db: Database, host: str, group: str, now: float, days: int = 7, every: int = 6 * 3600
) -> None:
    store = SqliteMetricsStore(db)
    store.save_graphs(host, group, GRAPHS, now)
    end = int(now) - int(now) % 300
    coarse = range(end - days * 86400, end - 86400, every)
    fine = range(end - 86400, end + 1, 300)
    for t in [*coarse, *fine]:
        wave = 1 + 0.3 * math.sin(t / 86400 * 2 * math.pi) + 0.3 * math.sin(t / 5e6)
        values = {SeriesKey(host, g, f): v * wave for (g, f), v in VALUES.items()}
        if t == end:  # the newest value is the plain one: the overview's figures
            values = {SeriesKey(host, g, f): v for (g, f), v in VALUES.items()}
        store.write(t, values)
    store.compact(now)


def seed_node(db: Database, host: str, group: str, state: str, now: float) -> None:
    status = NodeStatus(host, group, "192.0.2.1", 4949, state, now, now if state == "up" else 0)  # type: ignore[arg-type]
    SqliteNodeStore(db).save_nodes([status])


def alert(db: Database, host: str, severity: str, now: float) -> None:
    key = AlertKey("threshold", host, "df", "_dev_vdb1")
    item = Alert(0, key, "g", severity, "firing", now, fired_at=now)  # type: ignore[arg-type]
    SqliteAlertStore(db).save_alerts([item])
