"""``rempart server``: the supervision server's main loop.

Every ``interval`` (5 minutes), on the clock's grid::

    poll every node at once (Poller)  ──►  one writer thread: store the values and the graph
    descriptions, the nodes' states, evaluate the alerts (Alerter)  ──►  the notifications of
    this round, grouped, into the outbox  ──►  the notifier sends them (and retries, later)

A node that does not answer is a failed :class:`~rempart.metrics.series.NodeRound` (an
``unreachable`` alert after its delay), never a stopped round. A round that overruns its
interval makes the next one start at once on the next grid point, never two at a time.
Every hour the store is compacted (rollups, retention) and expired dashboard sessions are
dropped. The server's own control socket
answers ``server_status`` and ``ack``; ``rempart nodes``, ``alerts`` and ``query`` read the
database directly, read-only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rempart.adapters.localzone import local_zone
from rempart.adapters.webhook import WebhookSender
from rempart.alerting.values import AlertTransition, alert_document
from rempart.clock import Clock
from rempart.config.server import ServerConfig
from rempart.errors import RempartError
from rempart.metrics.series import STEP, NodeRound, NodeStatus
from rempart.services.alerter import Alerter
from rempart.services.control import ControlServer
from rempart.services.control_requests import SERVER_COMMANDS, SERVER_TAKES_BY
from rempart.services.notifier import Notifier, Sender, build_senders
from rempart.services.poller import Poller
from rempart.services.statewriter import StateWriter
from rempart.store.alerts import SqliteAlertStore
from rempart.store.db import Database
from rempart.store.nodes import SqliteNodeStore
from rempart.store.outbox import SqliteOutbox
from rempart.store.server_db import server_migrations
from rempart.store.timeseries import SqliteMetricsStore
from rempart.store.web_users import SqliteUserStore

__all__ = ["RoundReport", "SupervisionServer", "next_round"]

COMPACT_EVERY = 3600.0
KEEP_SENT = 30 * 86400.0  # sent notifications kept for the record
KEEP_RESOLVED = 800 * 86400.0  # resolved alerts kept (the yearly report reads them)


def next_round(now: float, interval: float) -> float:
    """The next point of the ``interval`` grid strictly after ``now``."""
    return (math.floor(now / interval) + 1) * interval


def slot(at: float) -> int:
    """The 5-minute slot a round started at ``at`` stores its values in."""
    return int(at // STEP) * STEP


@dataclass(frozen=True, slots=True)
class RoundReport:
    """What one round did (logged; kept for ``server_status``)."""

    at: int
    started: float
    duration: float
    nodes: int
    down: int
    values: int
    transitions: int
    messages: int


@dataclass(slots=True)
class _Stores:
    metrics: SqliteMetricsStore
    nodes: SqliteNodeStore
    alerts: SqliteAlertStore
    outbox: SqliteOutbox


@dataclass(slots=True)
class _State:
    rounds: int = 0
    last: RoundReport | None = None
    compacted: float = 0.0


class SupervisionServer:
    """Polls, stores, alerts and notifies; see the module documentation."""

    def __init__(self, config: ServerConfig, *, clock: Clock, log: logging.Logger) -> None:
        self.config = config
        self.clock = clock
        self.log = log
        self.writer = StateWriter(
            config.database, clock=clock, log=log, migrations=server_migrations()
        )
        self.poller = Poller(
            config.nodes,
            timeout=config.timeout,
            concurrency=config.concurrency,
            clock=clock,
            log=log,
        )
        self.state = _State()
        # the command table of the control socket; the dashboard calls it in process
        self.control = ControlServer(
            config.socket, self, table=SERVER_COMMANDS, takes_by=SERVER_TAKES_BY, log=log
        )
        self._stores: _Stores | None = None
        self._alerter: Alerter | None = None
        self._notifier: Notifier | None = None
        self._senders: dict[str, Sender] = {}
        # set once open() has created/migrated the database (the dashboard starts then)
        self.opened = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        """Open the database (create, migrate) and build the stores in the writer thread."""
        await self.writer.open()
        self._stores = await self.writer.run(self._build_stores)
        self.poller.restore(await self.writer.run(lambda db: self._known_nodes()))
        groups = {g: tuple(n.name for n in nodes) for g, nodes in self.config.groups().items()}
        self._alerter = Alerter(
            self._stores.alerts,
            self._stores.metrics,
            self.config.alerts,
            self.config.incident,
            groups,
        )
        self._senders = build_senders(self.config.mail, self.config.webhooks)
        self._notifier = Notifier(
            self._stores.outbox,
            self._senders,
            clock=self.clock,
            log=self.log,
            language=self.config.alerts.language,
            run_db=self.writer.run_raw,  # the outbox is used from the one writer thread
            zone=local_zone(),
        )
        self.opened.set()

    async def close(self) -> None:
        for sender in self._senders.values():
            if isinstance(sender, WebhookSender):
                await sender.aclose()
        await self.writer.close()

    def _known_nodes(self) -> list[NodeStatus]:
        """The stored statuses of the configured nodes; nodes no longer configured are
        forgotten (their history stays in the store)."""
        stores = self._require_stores()
        names = {n.name for n in self.config.nodes}
        known = stores.nodes.nodes()
        gone = [s.node for s in known if s.node not in names]
        if gone:
            stores.nodes.forget(gone)
        return [s for s in known if s.node in names]

    def _build_stores(self, db: Database) -> _Stores:
        return _Stores(
            metrics=SqliteMetricsStore(db, self.config.retention),
            nodes=SqliteNodeStore(db),
            alerts=SqliteAlertStore(db),
            outbox=SqliteOutbox(db),
        )

    async def run(self, stop: asyncio.Event, *, once: bool = False) -> None:
        """Rounds on the grid until ``stop`` is set (or one round with ``once``)."""
        await self.open()
        control = await self._start_control(once)
        notifier = self._require_notifier()
        sending = asyncio.create_task(notifier.run(stop), name="rempart-notifier")
        try:
            if once:
                await self.round(self.clock.now())
                await notifier.drain()
                return
            await self._loop(stop)
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await sending
            if control is not None:
                await control.close()
            await self.close()

    async def _loop(self, stop: asyncio.Event) -> None:
        interval = self.config.interval
        at = self.clock.now()
        while not stop.is_set():
            await self.round(at)
            await self._compact_if_due()
            now = self.clock.now()
            at = next_round(now, interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, at - now))

    async def _start_control(self, once: bool) -> ControlServer | None:
        if once:
            return None
        control = self.control
        try:
            await control.start()
        except RempartError as exc:
            self.log.error("server: no control socket (%s); `rempart ack` will not work", exc)
            return None
        return control

    # ------------------------------------------------------------------ one round

    async def round(self, started: float) -> RoundReport:
        """Poll every node once, store, evaluate alerts, queue notifications."""
        at = slot(started)
        t0 = self.clock.monotonic()
        rounds = await self.poller.poll_round(at)
        statuses = self.poller.statuses(rounds)
        stored, transitions = await self.writer.run(
            lambda db: self._ingest(rounds, statuses, at, started)
        )
        messages = await self._require_notifier().notify(transitions)
        report = RoundReport(
            at=at,
            started=started,
            duration=self.clock.monotonic() - t0,
            nodes=len(rounds),
            down=sum(1 for r in rounds if not r.ok),
            values=stored,
            transitions=len(transitions),
            messages=messages,
        )
        self.state.rounds += 1
        self.state.last = report
        self.log.info(
            "server: round %d: %d nodes (%d down), %d values, %d alert changes, %d messages, "
            "%.2f s",
            self.state.rounds,
            report.nodes,
            report.down,
            report.values,
            report.transitions,
            report.messages,
            report.duration,
        )
        return report

    def _ingest(
        self,
        rounds: Sequence[NodeRound],
        statuses: Sequence[NodeStatus],
        at: int,
        now: float,
    ) -> tuple[int, list[AlertTransition]]:
        stores, alerter = self._require_stores(), self._require_alerter()
        stored = 0
        for r in rounds:
            if r.ok:
                stores.metrics.save_graphs(r.node, r.group, r.graphs, now)
                stored += stores.metrics.write(at, r.values)
        stores.nodes.save_nodes(statuses)
        return stored, alerter.evaluate(rounds, statuses, now)

    async def _compact_if_due(self) -> None:
        now = self.clock.now()
        if now - self.state.compacted < COMPACT_EVERY:
            return
        self.state.compacted = now
        stores = self._require_stores()

        web = self.config.web

        def housekeeping(db: Database) -> int:
            stores.outbox.forget_sent(now - KEEP_SENT)
            stores.alerts.forget_resolved(now - KEEP_RESOLVED)
            SqliteUserStore(db).expire_sessions(now - web.session_idle, now - web.session_max)
            return stores.metrics.compact(now)

        try:
            moved = await self.writer.run(housekeeping)
        except RempartError as exc:
            self.log.error("server: compaction failed: %s", exc)
            return
        self.log.info("server: compacted %d samples", moved)

    # ------------------------------------------------------------------ control socket

    async def server_status(self) -> dict[str, Any]:
        stores = self._require_stores()
        outbox_pending = await self.writer.run(lambda db: stores.outbox.pending())
        stats = await self.writer.run(lambda db: stores.metrics.stats())
        last = self.state.last
        return {
            "rounds": self.state.rounds,
            "interval": self.config.interval,
            "nodes": len(self.config.nodes),
            "last_round": None
            if last is None
            else {
                "at": last.at,
                "duration": last.duration,
                "down": last.down,
                "values": last.values,
            },
            "outbox": outbox_pending,
            "store": {"series": stats.series, "samples": stats.samples, "bytes": stats.bytes},
        }

    async def ack(self, id: int, by: str) -> dict[str, Any]:
        alerts = self._require_stores().alerts
        now = self.clock.now()
        alert = await self.writer.run(lambda db: alerts.ack(id, by, now))
        self.log.info("server: alert %d acknowledged by %s", id, by)
        return alert_document(alert)

    # ------------------------------------------------------------------ helpers

    def _require_stores(self) -> _Stores:
        if self._stores is None:
            raise RuntimeError("the server database is not open")
        return self._stores

    def _require_alerter(self) -> Alerter:
        if self._alerter is None:
            raise RuntimeError("the server is not open")
        return self._alerter

    def _require_notifier(self) -> Notifier:
        if self._notifier is None:
            raise RuntimeError("the server is not open")
        return self._notifier
