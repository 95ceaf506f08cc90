"""Poll rounds against loopback nodes: recorded Debian bodies, counters turned into rates,
and hostile nodes in the same round as good ones (rempart.services.poller)."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AsyncExitStack

import pytest

from rempart.adapters.munin_client import poll_node
from rempart.clock import SystemClock
from rempart.config.server import NodeConfig
from rempart.errors import MuninError
from rempart.metrics.series import NodeRound, NodeStatus, SeriesKey
from rempart.services.poller import Poller
from tests.fakes.munin_nodes import BEHAVIOURS, Bodies, serve, well_behaved
from tests.integration.munin_transcripts import ServerThread, TranscriptBackend, all_bodies
from tests.munin_peers import free_port

LOG = logging.getLogger("rempart.test.poller")

COUNTERS_CONFIG = [
    "graph_title Counters",
    "graph_category test",
    "d.label derive",
    "d.type DERIVE",
    "d.min 0",
    "c32.label counter 32",
    "c32.type COUNTER",
    "c64.label counter 64",
    "c64.type COUNTER",
    "g.label gauge",
]


def _counters(d: int, c32: int, c64: int, g: float) -> Bodies:
    fetch = [f"d.value {d}", f"c32.value {c32}", f"c64.value {c64}", f"g.value {g}"]
    return {"counters": (COUNTERS_CONFIG, fetch)}


def _poller(nodes: list[NodeConfig], timeout: float = 5.0) -> Poller:
    return Poller(nodes, timeout=timeout, concurrency=10, clock=SystemClock(), log=LOG)


def test_recorded_debian_bodies_through_the_client() -> None:
    with ServerThread(TranscriptBackend(all_bodies())) as server:
        reply = asyncio.run(poll_node("127.0.0.1", server.port, timeout=10))
    assert reply.name == "vm"
    assert reply.caps == {"multigraph", "dirtyconfig"}
    assert len(reply.plugins) == 36
    names = {g.name for g in reply.graphs}
    assert {"cpu", "load", "if_eth0", "df", "diskstats_latency.vda", "netstat"} <= names
    assert reply.values[("load", "load")] is not None
    assert "fetch zz_research_badexit: # Bad exit" in reply.failures
    assert reply.commands == 3 + 2 * 36  # cap, version, list, config and fetch of each


def test_counters_become_rates_on_the_second_round() -> None:
    state = {"now": _counters(1000, 2**32 - 3000, 2**64 - 600_000, 0.5)}

    async def main() -> tuple[list[dict[SeriesKey, float | None]], list[str]]:
        async with serve(well_behaved(lambda: state["now"])) as port:
            poller = _poller([NodeConfig("n1", "G", "127.0.0.1", port)])
            first = await poller.poll_round(300)
            state["now"] = _counters(4000, 3000, 0, 0.75)  # both counters wrapped
            second = await poller.poll_round(600)
            state["now"] = _counters(10, 3300, 5, 1.0)  # reboot: everything reset
            third = await poller.poll_round(900)
            return [dict(r[0].values) for r in (first, second, third)], [
                s.state for s in poller.statuses(third)
            ]

    (first, second, third), states = asyncio.run(main())

    def key(f: str) -> SeriesKey:
        return SeriesKey("n1", "counters", f)

    assert first == {key("d"): None, key("c32"): None, key("c64"): None, key("g"): 0.5}
    assert second[key("d")] == 10.0  # (4000 - 1000) / 300
    assert second[key("c32")] == 20.0  # 32-bit wrap: (3000 + 3000) / 300
    assert second[key("c64")] == 2000.0  # 64-bit wrap: 600000 / 300
    assert second[key("g")] == 0.75
    assert third[key("d")] is None  # reset, not a negative rate
    assert third[key("c32")] == 1.0
    assert third[key("c64")] == 5 / 300  # from 0 to 5: counting on
    assert states == ["up"]


def test_reset_of_a_64_bit_counter_is_no_spike() -> None:
    state = {"now": _counters(0, 0, 10**12, 0)}

    async def main() -> float | None:
        async with serve(well_behaved(lambda: state["now"])) as port:
            poller = _poller([NodeConfig("n1", "G", "127.0.0.1", port)])
            await poller.poll_round(300)
            state["now"] = _counters(0, 0, 5, 0)
            (r,) = await poller.poll_round(600)
            return r.values[SeriesKey("n1", "counters", "c64")]

    assert asyncio.run(main()) is None


def test_hostile_nodes_fail_within_the_timeout_and_the_others_are_polled() -> None:
    timeout = 2.0
    good = {"now": _counters(1, 1, 1, 3.0)}

    async def main() -> tuple[list[NodeRound], float, list[NodeStatus]]:
        async with AsyncExitStack() as stack:
            nodes = [NodeConfig("good-1", "A", "127.0.0.1", 0)]
            nodes[0] = NodeConfig(
                "good-1",
                "A",
                "127.0.0.1",
                await stack.enter_async_context(serve(well_behaved(lambda: good["now"]))),
            )
            for name, handler in BEHAVIOURS.items():
                port = await stack.enter_async_context(serve(handler))
                nodes.append(NodeConfig(name, "B", "127.0.0.1", port))
            nodes.append(NodeConfig("refuses", "B", "127.0.0.1", free_port()))
            port = await stack.enter_async_context(serve(well_behaved(lambda: good["now"])))
            nodes.append(NodeConfig("good-2", "A", "127.0.0.1", port))
            poller = _poller(nodes, timeout=timeout)
            started = time.monotonic()
            rounds = await poller.poll_round(300)
            elapsed = time.monotonic() - started
            return list(rounds), elapsed, list(poller.statuses(rounds))

    rounds, elapsed, statuses = asyncio.run(main())
    by_name = {r.node: r for r in rounds}
    assert [r.node for r in rounds] == [
        "good-1",
        *BEHAVIOURS,
        "refuses",
        "good-2",
    ]
    for name in ("good-1", "good-2"):
        assert by_name[name].ok
        assert by_name[name].values[SeriesKey(name, "counters", "g")] == 3.0
    errors = {n: r.error for n, r in by_name.items() if not r.ok}
    assert set(errors) == {*BEHAVIOURS, "refuses"}
    assert "no complete answer within 2.0 s" in errors["silent"]
    assert "closed the connection" in errors["closes-mid-reply"]
    assert "did not greet like a munin-node" in errors["garbage"]
    assert "line longer than" in errors["long-line"]
    assert "more than" in errors["endless"] or "no complete answer" in errors["endless"]
    assert "cannot connect" in errors["refuses"]
    assert all(r.duration <= timeout + 0.5 for r in rounds)
    assert elapsed < timeout + 1.5  # the round is bounded by the node timeout
    states = {s.node: (s.state, s.failures) for s in statuses}
    assert states["good-1"] == ("up", 0)
    assert states["silent"] == ("down", 1)


def test_limits_are_configurable() -> None:
    async def main() -> str:
        async with serve(BEHAVIOURS["endless"]) as port:
            try:
                await poll_node("127.0.0.1", port, timeout=5, max_reply=100_000)
            except MuninError as exc:
                return str(exc)
        return ""

    assert "more than 100000 bytes" in asyncio.run(main())


@pytest.mark.parametrize("quickack", [True, False])
def test_quickack_either_way(quickack: bool) -> None:
    with ServerThread(TranscriptBackend(all_bodies())) as server:
        reply = asyncio.run(
            poll_node("127.0.0.1", server.port, timeout=10, quickack=quickack, only=["load"])
        )
    assert reply.plugins == ("load",)
    assert [g.name for g in reply.graphs] == ["load"]


def test_dirty_config_values_skip_the_fetch() -> None:
    asked: list[str] = []
    dirty = ["graph_title Dirty", "x.label x", "x.value 42"]

    def bodies() -> Bodies:
        return {"dirty": (dirty, ["x.value 1"]), "clean": (["y.label y"], ["y.value 2"])}

    handler = well_behaved(bodies)

    async def recording(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        class Tap:
            async def readline(self) -> bytes:
                line = await reader.readline()
                asked.append(line.decode().strip())
                return line

        await handler(Tap(), writer)  # type: ignore[arg-type]

    async def main() -> dict[SeriesKey, float | None]:
        async with serve(recording) as port:
            (r,) = await _poller([NodeConfig("n", "G", "127.0.0.1", port)]).poll_round(300)
            return dict(r.values)

    values = asyncio.run(main())
    assert values == {SeriesKey("n", "dirty", "x"): 42, SeriesKey("n", "clean", "y"): 2}
    assert "fetch dirty" not in asked
    assert "fetch clean" in asked
