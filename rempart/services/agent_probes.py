"""The metrics side of the agent: its probes, the munin-node service, the Prometheus endpoint.

:class:`AgentMetricsRuntime` is started by the agent after the control socket and stopped
before the state is saved. A metrics problem (a port in use, a probe that cannot be built)
is logged and shown by ``rempart probes``; it never stops the agent from banning.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rempart.adapters.munin_plugins import PluginRunner
from rempart.clock import Clock
from rempart.config.schema import Config
from rempart.errors import RempartError
from rempart.metrics.prometheus import render
from rempart.services.agent_metrics import AgentMetrics, Sample
from rempart.services.munin_node import MuninNodeServer
from rempart.services.probe_catalog import build_probes
from rempart.services.probes import ProbeService
from rempart.services.prometheus_http import PrometheusServer
from rempart.services.rempart_probe import RempartProbe

__all__ = ["AgentMetricsRuntime", "probes_answer"]


def probes_answer(
    enabled: bool,
    statuses: Sequence[Any],
    plugins: Sequence[Any] | None = None,
    services: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON-able answer of ``probes_status`` (also printed by ``rempart probes --local``)."""
    return {
        "enabled": enabled,
        "probes": [dataclasses.asdict(s) for s in statuses],
        "plugins": None if plugins is None else [_plugin(p) for p in plugins],
        "services": services or {},
    }


def _plugin(status: Any) -> dict[str, Any]:
    names = ("name", "runs", "failures", "last_duration", "last_outcome")
    return {n: getattr(status, n, None) for n in names}


class AgentMetricsRuntime:
    """Probes, munin-node and Prometheus for one agent run."""

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock,
        log: logging.Logger,
        counters: Callable[[], AgentMetrics],
        samples: Callable[[], Sequence[Sample]],
        state_dir: Path,
        root: Path = Path("/"),
    ) -> None:
        self.config = config
        self.metrics = config.metrics
        self.clock = clock
        self.log = log
        self.counters = counters
        self.samples = samples
        self.state_dir = state_dir
        self.root = root
        self.probes: ProbeService | None = None
        self.prometheus: PrometheusServer | None = None
        self.plugins: PluginRunner | None = None
        self.munin: MuninNodeServer | None = None
        self.problems: dict[str, str] = {}
        self._discovery: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        if not self.metrics.enabled:
            return
        own = RempartProbe(self.counters, self.samples)
        probes = build_probes(self.config, root=self.root, extra=[own], log=self.log)
        self.probes = ProbeService(
            probes,
            clock=self.clock,
            log=self.log,
            fresh=self.metrics.fresh,
            disabled=self.metrics.disabled,
        )
        await self.probes.start()
        self.log.info(
            "metrics: %d probe(s): %s", len(probes), ", ".join(p.name for p in probes) or "none"
        )
        if self.metrics.prometheus.enabled:
            await self._start_prometheus()
        if self.metrics.munin.enabled:
            await self._start_munin()

    async def _start_prometheus(self) -> None:
        settings = self.metrics.prometheus
        server = PrometheusServer(
            self.prometheus_text, host=settings.host, port=settings.port, log=self.log
        )
        try:
            await server.start()
        except RempartError as exc:
            self.problems["prometheus"] = exc.render("en")
            self.log.error("%s", exc.render("en"))
            return
        self.prometheus = server

    async def _start_munin(self) -> None:
        """The munin-node server on the built-in graphs, and the Munin plugins when configured.

        Plugin discovery (each plugin's ``config`` run once) goes on in a task: the server
        answers at once with the built-in graphs and lists the plugins as they are known.
        """
        from rempart.services.munin_backend import AgentNode

        assert self.probes is not None
        m = self.metrics.munin
        host = m.host_name or socket.getfqdn()
        if m.plugins is not None:
            self.plugins = PluginRunner(
                m.plugins,
                conf_dir=m.plugin_conf,
                host_name=host,
                state_dir=self.state_dir / "munin-plugin-state",
                default_timeout=m.plugin_timeout,
                default_user=m.plugin_user,
                log=self.log,
            )
            self._discovery = asyncio.get_running_loop().create_task(
                self.plugins.discover(), name="munin-discover"
            )
        node = AgentNode(self.probes, self.plugins, host, log=self.log)
        server = MuninNodeServer(node, listen=m.listen, port=m.port, allow=m.allow, log=self.log)
        try:
            await server.start()
        except RempartError as exc:
            self.problems["munin"] = exc.render("en")
            self.log.error("%s", exc.render("en"))
            return
        self.munin = server
        self.log.info(
            "metrics: munin-node service on %s port %s (allowed: %s)",
            ", ".join(m.listen),
            ", ".join(str(p) for p in server.ports),
            ", ".join(str(a) for a in m.allow),
        )

    async def close(self) -> None:
        if self._discovery is not None:
            self._discovery.cancel()
            with contextlib.suppress(asyncio.CancelledError, RempartError, OSError):
                await self._discovery
            self._discovery = None
        if self.munin is not None:
            await self.munin.close()
            self.munin = None
        if self.prometheus is not None:
            await self.prometheus.close()
            self.prometheus = None
        if self.probes is not None:
            await self.probes.close()

    async def prometheus_text(self) -> str:
        """``GET /metrics``: every probe but ``rempart`` (whose figures go out as the agent's
        own labelled counters, ``rempart_failures_total{jail=…}``…), plus those counters."""
        if self.probes is None:
            return ""
        collections = [c for c in await self.probes.collect() if c.probe != "rempart"]
        own = [*self.counters().samples(), *self.samples()]
        return render(collections, extra=own)

    async def status(self) -> dict[str, Any]:
        """The ``probes_status`` answer: the on-demand probes collected if stale first."""
        if self.probes is None:
            return probes_answer(False, [], None, self._services())
        await self.probes.collect()
        plugins = None if self.plugins is None else self.plugins.status()
        return probes_answer(True, self.probes.status(), plugins, self._services())

    def _services(self) -> dict[str, Any]:
        prometheus = self.metrics.prometheus
        port = self.prometheus.port if self.prometheus is not None else prometheus.port
        return {
            "munin": {
                "enabled": self.metrics.enabled and self.metrics.munin.enabled,
                "listening": self.munin is not None,
                "port": self.metrics.munin.port,
                "problem": self.problems.get("munin"),
            },
            "prometheus": {
                "enabled": self.metrics.enabled and prometheus.enabled,
                "listening": self.prometheus is not None,
                "address": f"{prometheus.host}:{port}",
                "problem": self.problems.get("prometheus"),
            },
        }
