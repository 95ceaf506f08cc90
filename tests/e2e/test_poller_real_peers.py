"""One poll round over a real Debian munin-node (2.0.73) and a rempart agent together.

Both run on loopback on free ports (tests/munin_peers.py); the Poller polls them in the same
round, twice: graphs and types are those the nodes describe, GAUGE values come at once and
DERIVE values (cpu) become rates on the second round. A third node that refuses connections
fails in the same round without stopping the others.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from pathlib import Path

import pytest

from rempart.clock import SystemClock
from rempart.config.server import NodeConfig
from rempart.metrics.series import NodeRound, SeriesKey
from rempart.services.poller import Poller
from tests.munin_peers import (
    MuninClient,
    debian_munin_node,
    free_port,
    need_munin,
    rempart_agent_node,
)

pytestmark = [pytest.mark.system]


def _rounds(nodes: list[NodeConfig]) -> tuple[list[NodeRound], list[NodeRound], Poller]:
    poller = Poller(
        nodes,
        timeout=30.0,
        concurrency=10,
        clock=SystemClock(),
        log=logging.getLogger("rempart.test.poller"),
    )
    first = asyncio.run(poller.poll_round(300))
    time.sleep(1.0)  # counters move on
    second = asyncio.run(poller.poll_round(600))
    return first, second, poller


def _check_node(first: NodeRound, second: NodeRound, name: str) -> None:
    assert first.ok, first.error
    assert second.ok, second.error
    graphs = {g.name: g for g in second.graphs}
    load = graphs["load"].field("load")
    assert load is not None
    assert load.type == "GAUGE"
    cpu = graphs["cpu"]
    assert {f.type for f in cpu.fields if f.name in ("user", "system", "idle")} == {"DERIVE"}
    assert first.values[SeriesKey(name, "load", "load")] is not None
    assert first.values[SeriesKey(name, "cpu", "idle")] is None  # a first reading
    idle = second.values[SeriesKey(name, "cpu", "idle")]
    assert idle is not None
    assert idle >= 0
    assert math.isfinite(idle)
    assert second.commands > 3


def test_debian_node_and_rempart_agent_in_one_round(tmp_path: Path) -> None:
    need_munin()
    with (
        debian_munin_node(tmp_path) as debian,
        rempart_agent_node(tmp_path) as agent,
    ):
        nodes = [
            NodeConfig("debian", "peers", debian.address, debian.port),
            NodeConfig("agent", "peers", agent.address, agent.port),
            NodeConfig("gone", "other", "127.0.0.1", free_port()),
        ]
        first, second, poller = _rounds(nodes)
        with MuninClient(debian.address, debian.port) as client:
            client.single("cap multigraph dirtyconfig")
            debian_list = set(client.single("list").split())
    _check_node(first[0], second[0], "debian")
    _check_node(first[1], second[1], "agent")
    assert not second[2].ok
    assert "cannot connect" in second[2].error
    debian_graphs = {g.name for g in second[0].graphs}
    listed = {p for p in debian_list if not p.startswith(("diskstats", "netstat", "munin_stats"))}
    assert {"load", "cpu", "memory", "df", "if_eth0"} <= debian_graphs
    assert listed <= debian_graphs  # every plain plugin listed became its graph
    assert any(g.startswith("diskstats_") for g in debian_graphs)  # multigraph split
    assert "2.0.73" in second[0].version
    assert "rempart" in second[1].version
    statuses = {s.node: s for s in poller.statuses(second)}
    assert statuses["debian"].state == "up"
    assert statuses["debian"].graphs == len(second[0].graphs)
    assert statuses["gone"].state == "down"
