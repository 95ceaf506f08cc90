"""Poll rounds: every node at once (under a limit), each within its timeout, never stopping.

:class:`Poller` polls every configured node concurrently (``concurrency`` at a time) with
:func:`rempart.adapters.munin_client.poll_node`; a node that fails, hangs or talks nonsense
becomes a failed :class:`~rempart.metrics.series.NodeRound` (with its reason), never an
exception out of the round. It keeps, in memory, the previous raw reading of every series so
DERIVE, COUNTER and ABSOLUTE fields are stored as rates (:mod:`rempart.metrics.rates`); after a
restart the first round of a rate gives None, as Munin's first update does.

:meth:`Poller.statuses` turns rounds into :class:`~rempart.metrics.series.NodeStatus` values
(counting consecutive failures) for the node store and ``rempart nodes``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType

from rempart.adapters.munin_client import NodeReply, poll_node
from rempart.clock import Clock
from rempart.config.server import NodeConfig
from rempart.errors import MuninError
from rempart.metrics.model import Graph
from rempart.metrics.rates import Reading, stored_value
from rempart.metrics.series import NodeRound, NodeStatus, SeriesKey
from rempart.munin.replies import ValueKey

__all__ = ["MAX_GAP", "PollNode", "Poller", "values_of"]

MAX_GAP = 86400.0  # a rate over a longer gap than this is not believed (node away for a day)

#: how one node is polled: (node, timeout) -> its reply, or MuninError
PollNode = Callable[[NodeConfig, float], Awaitable[NodeReply]]


async def _poll_munin(node: NodeConfig, timeout: float, *, quickack: bool) -> NodeReply:
    return await poll_node(node.address, node.port, timeout=timeout, quickack=quickack)


def values_of(
    host: str,
    graphs: Sequence[Graph],
    raw: Mapping[ValueKey, float | None],
    at: float,
    previous: dict[SeriesKey, Reading],
) -> dict[SeriesKey, float | None]:
    """Stored values of every field of ``graphs`` (None when missing), rates from the
    ``previous`` readings, which are updated with this round's raw readings."""
    out: dict[SeriesKey, float | None] = {}
    for graph in graphs:
        for f in graph.fields:
            key = SeriesKey(host, graph.name, f.name)
            value = raw.get((graph.name, f.name))
            out[key] = stored_value(f, value, at, previous.get(key), max_gap=MAX_GAP)
            if value is not None:
                previous[key] = Reading(value, at)
    return out


class Poller:
    """Polls ``nodes`` in rounds; keeps rates' previous readings and the nodes' statuses."""

    def __init__(
        self,
        nodes: Sequence[NodeConfig],
        *,
        timeout: float,
        concurrency: int,
        clock: Clock,
        log: logging.Logger,
        quickack: bool = True,
        poll: PollNode | None = None,
    ) -> None:
        self.nodes = tuple(nodes)
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        self._clock = clock
        self._log = log
        self._poll: PollNode = poll or (lambda n, t: _poll_munin(n, t, quickack=quickack))
        self._previous: dict[SeriesKey, Reading] = {}
        self._status = {n.name: _unknown(n) for n in self.nodes}

    async def poll_round(self, at: int) -> list[NodeRound]:
        """Every node polled once for the round at ``at`` (a multiple of 300), in the order
        configured; returns when the last node answered or timed out."""
        limit = asyncio.Semaphore(self.concurrency)

        async def one(node: NodeConfig) -> NodeRound:
            async with limit:
                return await self._poll_one(node, at)

        return list(await asyncio.gather(*(one(n) for n in self.nodes)))

    async def _poll_one(self, node: NodeConfig, at: int) -> NodeRound:
        started = self._clock.monotonic()
        try:
            reply = await self._poll(node, self.timeout)
        except MuninError as exc:
            return self._failed(node, at, started, str(exc))
        except (OSError, UnicodeError, ValueError) as exc:  # a bug or an odd socket: one node
            self._log.exception("node %s: unexpected failure", node.name)
            return self._failed(node, at, started, f"{type(exc).__name__}: {exc}")
        values = values_of(node.name, reply.graphs, reply.values, at, self._previous)
        for problem in reply.failures:
            self._log.info("node %s: %s", node.name, problem)
        return NodeRound(
            node=node.name,
            group=node.group,
            at=at,
            ok=True,
            duration=self._clock.monotonic() - started,
            graphs=reply.graphs,
            values=MappingProxyType(values),
            version=reply.version,
            commands=reply.commands,
        )

    def _failed(self, node: NodeConfig, at: int, started: float, error: str) -> NodeRound:
        self._log.warning("node %s (%s:%d): %s", node.name, node.address, node.port, error)
        duration = self._clock.monotonic() - started
        return NodeRound(node.name, node.group, at, ok=False, duration=duration, error=error)

    def statuses(self, rounds: Sequence[NodeRound]) -> list[NodeStatus]:
        """Every node's status after ``rounds`` (nodes not in them keep their last one)."""
        for r in rounds:
            last = self._status.get(r.node)
            if last is not None:
                self._status[r.node] = _next_status(last, r)
        return [self._status[n.name] for n in self.nodes]

    def restore(self, statuses: Sequence[NodeStatus]) -> None:
        """Start from stored statuses (after a restart): last ok and failures carry on."""
        for s in statuses:
            if s.node in self._status:
                node = self._status[s.node]
                self._status[s.node] = replace(
                    s, group=node.group, address=node.address, port=node.port
                )


def _unknown(node: NodeConfig) -> NodeStatus:
    return NodeStatus(node.name, node.group, node.address, node.port, "unknown")


def _next_status(last: NodeStatus, r: NodeRound) -> NodeStatus:
    if not r.ok:
        return replace(
            last,
            state="down",
            last_poll=float(r.at),
            duration=r.duration,
            error=r.error,
            failures=last.failures + 1,
        )
    return replace(
        last,
        state="up",
        last_poll=float(r.at),
        last_ok=float(r.at),
        duration=r.duration,
        error="",
        graphs=len(r.graphs),
        fields=sum(len(g.fields) for g in r.graphs),
        version=r.version,
        failures=0,
    )
