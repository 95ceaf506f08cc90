"""What the agent's munin-node server serves: the probes' graphs and the Munin plugins.

:class:`AgentNode` is the ``NodeBackend`` of :mod:`rempart.services.munin_node`: every graph
of the probe service is a plugin (``config`` from the graph, ``fetch`` from a fresh
collection), then the plugins of a plugin runner when one is configured. A plugin named like
a built-in graph is hidden (the built-in wins; logged once). With ``dirtyconfig`` a built-in
graph's ``config`` carries its values, so the master skips the ``fetch``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal, Protocol

from rempart.metrics.model import Graph, Series
from rempart.munin.format import config_lines, fetch_lines
from rempart.munin.values import PluginInfo, PluginOutput
from rempart.services.probes import ProbeService

__all__ = ["AgentNode", "PluginSource"]


class PluginSource(Protocol):
    """What the node needs of the plugin runner (``adapters.munin_plugins.PluginRunner``)."""

    def plugins(self) -> list[PluginInfo]: ...

    async def run(
        self,
        name: str,
        action: Literal["config", "fetch"],
        *,
        peer: str,
        dirtyconfig: bool = False,
    ) -> PluginOutput: ...


_UNKNOWN = PluginOutput("unknown")


class AgentNode:
    """Built-in probes plus Munin plugins, as a munin-node backend."""

    def __init__(
        self,
        probes: ProbeService,
        plugins: PluginSource | None,
        host_name: str,
        *,
        log: logging.Logger,
    ) -> None:
        self.probes = probes
        self.plugin_source = plugins
        self._host_name = host_name
        self.log = log
        self._hidden: set[str] = set()

    @property
    def host_name(self) -> str:
        return self._host_name

    async def plugins(self) -> Sequence[PluginInfo]:
        """The built-in graphs (collected now if stale), then the runner's plugins."""
        await self.probes.collect()
        builtin = self.probes.graphs()
        out = [PluginInfo(name) for name in builtin]
        for info in self._external():
            if info.name in builtin and not info.node:
                self._hide(info.name)
                continue
            out.append(info)
        return out

    def _external(self) -> list[PluginInfo]:
        return [] if self.plugin_source is None else list(self.plugin_source.plugins())

    def _hide(self, name: str) -> None:
        if name not in self._hidden:
            self._hidden.add(name)
            self.log.warning(
                "munin: plugin %s has the name of a built-in graph: the built-in one is served "
                "(rename the plugin's symlink, or disable the probe, to get the plugin)",
                name,
            )

    async def config(self, name: str, *, dirtyconfig: bool, peer: str) -> PluginOutput:
        found = await self._builtin(name)
        if found is not None:
            graph, series = found
            lines = config_lines(graph)
            if dirtyconfig and series is not None:
                lines += fetch_lines(series)
            return PluginOutput("ok", tuple(lines))
        return await self._run(name, "config", peer=peer, dirtyconfig=dirtyconfig)

    async def fetch(self, name: str, *, peer: str) -> PluginOutput:
        found = await self._builtin(name)
        if found is not None:
            graph, series = found
            if series is None:  # the last collection failed: every value unknown
                return PluginOutput("ok", tuple(f"{f.name}.value U" for f in graph.fields))
            return PluginOutput("ok", tuple(fetch_lines(series)))
        return await self._run(name, "fetch", peer=peer)

    async def _builtin(self, name: str) -> tuple[Graph, Series | None] | None:
        if name not in self.probes.graphs():
            await self.probes.collect()  # no-op while fresh; finds graphs of a new entity
        return await self.probes.series(name)

    async def _run(
        self,
        name: str,
        action: Literal["config", "fetch"],
        *,
        peer: str,
        dirtyconfig: bool = False,
    ) -> PluginOutput:
        if self.plugin_source is None or name not in {p.name for p in self._external()}:
            return _UNKNOWN
        return await self.plugin_source.run(name, action, peer=peer, dirtyconfig=dirtyconfig)
