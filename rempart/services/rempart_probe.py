"""The ``rempart`` probe: the agent's own figures as graphs.

- ``rempart_failures``: failures found per jail (DERIVE, shown per minute);
- ``rempart_bans``: bans made per jail (DERIVE, shown per day through a cdef: the RRD keeps
  the per-second rate, so any period can be derived);
- ``rempart_active_bans``: bans in force per jail;
- ``rempart_blocklist``: addresses of the AbuseIPDB blocklist in the firewall (v4, v6), when
  AbuseIPDB's blocklist is on.

It reads the agent's state (``Agent.counters()`` walks the wanted bans, which the event loop
changes), so it runs **on the event loop** (``on_loop = True``: the probe service calls it
there, not in its thread). It is cheap: a pass over the active bans.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import MappingProxyType

from rempart.metrics.model import Field, FieldType, Graph, Series
from rempart.munin.names import unique_fieldnames
from rempart.services.agent_metrics import AgentMetrics, Sample

__all__ = ["RempartProbe"]

_BLOCKLIST = "rempart_abuseipdb_blocklist_size"


def _jail_graph(
    name: str,
    title: str,
    jails: dict[str, str],
    *,
    vlabel: str,
    info: str,
    kind: FieldType = "GAUGE",
    per_day: bool = False,
    period: str = "",
) -> Graph:
    fields = tuple(
        Field(
            name=field,
            label=jail,
            type=kind,
            min=0,
            cdef=f"{field},86400,*" if per_day else None,
            info=f"jail {jail}",
        )
        for jail, field in jails.items()
    )
    return Graph(
        name=name,
        title=title,
        category="rempart",
        fields=fields,
        vlabel=vlabel,
        period=period,
        info=info,
    )


class RempartProbe:
    """The agent's figures (see the module documentation)."""

    on_loop = True

    def __init__(
        self,
        counters: Callable[[], AgentMetrics],
        samples: Callable[[], Sequence[Sample]] = tuple,
    ) -> None:
        self._counters = counters
        self._samples = samples

    @property
    def name(self) -> str:
        return "rempart"

    @property
    def background(self) -> bool:
        return False

    @property
    def interval(self) -> float:
        return 0.0

    def collect(self) -> tuple[Series, ...]:
        metrics = self._counters()
        jails = unique_fieldnames(sorted(metrics.jails))
        out: list[Series] = []
        if jails:
            per_jail = (
                (
                    _jail_graph(
                        "rempart_failures",
                        "rempart failures found",
                        jails,
                        kind="DERIVE",
                        vlabel="failures per ${graph_period}",
                        period="minute",
                        info="Authentication failures rempart's filters found, per jail.",
                    ),
                    {jails[j]: float(c.failures) for j, c in metrics.jails.items()},
                ),
                (
                    _jail_graph(
                        "rempart_bans",
                        "rempart bans per day",
                        jails,
                        kind="DERIVE",
                        per_day=True,
                        vlabel="bans per day",
                        info="Bans made (detected and by hand), per jail, as a daily rate.",
                    ),
                    {jails[j]: float(c.bans) for j, c in metrics.jails.items()},
                ),
                (
                    _jail_graph(
                        "rempart_active_bans",
                        "rempart bans in force",
                        jails,
                        vlabel="addresses",
                        info="Addresses (or IPv6 prefixes) banned right now, per jail.",
                    ),
                    {jails[j]: float(c.active) for j, c in metrics.jails.items()},
                ),
            )
            out += [Series(g, MappingProxyType(v)) for g, v in per_jail]
        blocklist = self._blocklist()
        if blocklist is not None:
            out.append(blocklist)
        return tuple(out)

    def _blocklist(self) -> Series | None:
        sizes = {
            dict(s.labels).get("version", ""): s.value
            for s in self._samples()
            if s.name == _BLOCKLIST
        }
        if not sizes:
            return None
        graph = Graph(
            name="rempart_blocklist",
            title="AbuseIPDB blocklist in the firewall",
            category="rempart",
            vlabel="addresses",
            info="Addresses of AbuseIPDB's blocklist that rempart drops.",
            fields=(
                Field("v4", "IPv4", min=0, draw="AREA"),
                Field("v6", "IPv6", min=0, draw="STACK"),
            ),
        )
        values = {"v4": sizes.get("4"), "v6": sizes.get("6")}
        return Series(graph, MappingProxyType(values))
