"""Read queries of the dashboard's overview: every host's state and key figures at once.

The overview shows, for every host, its state and four figures taken from the graphs that
agents and Debian's munin plugins already serve (no new probe):

- **disk**: the fullest filesystem, % — the largest field of graph ``df``;
- **load**: graph ``load``, field ``load`` (5-minute load average);
- **traffic** in and out, bytes/s: fields ``down`` and ``up`` of every ``if_<interface>``
  traffic graph added up (the store keeps DERIVE as per-second rates), leaving out loopback
  and virtual interfaces whose bytes are already counted on a physical one (``veth*``,
  ``docker*``, ``br-*``, ``virbr*``, ``ifb*``);
- **bans**: addresses banned right now — rempart's ``rempart_active_bans`` (all jails added
  up), else the ``fail2ban`` plugin's graph (per jail, currently banned).

One query reads the newest known value of just those series (an index walk per series over
``samples (series, t)``, newest first) — never one query per host or per graph; one reads the
nodes, one the worst firing alert of each host.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rempart.store.db import Database

__all__ = [
    "BANS_GRAPHS",
    "DISK_GRAPH",
    "LOAD_GRAPH",
    "SKIPPED_INTERFACES",
    "DashboardReader",
    "HostFigures",
    "HostHealth",
    "is_traffic_graph",
    "summarise",
]

DISK_GRAPH = "df"
LOAD_GRAPH = "load"
BANS_GRAPHS = ("rempart_active_bans", "fail2ban")  # first one a host has wins
#: interfaces whose traffic is not added to the host's (loopback, bridges, veths, ifb)
SKIPPED_INTERFACES = ("lo", "veth", "docker", "br-", "br_", "virbr", "ifb")
_NOT_TRAFFIC = ("if_err_", "if_packets_", "if_util_")

_LATEST = """
SELECT s.host, s.graph, s.field,
       (SELECT value FROM samples
         WHERE series = s.id AND t >= ? AND value IS NOT NULL
         ORDER BY t DESC LIMIT 1)
  FROM series AS s
 WHERE s.graph IN (?, ?, ?, ?) OR s.graph GLOB 'if_*'
"""
_ALERTS = """
SELECT host, max(CASE severity WHEN 'critical' THEN 2 ELSE 1 END), count(*)
  FROM alerts WHERE status = 'firing' GROUP BY host
"""


def is_traffic_graph(graph: str) -> bool:
    """``if_eth0`` yes; ``if_err_eth0``, ``if_lo``, ``if_veth1a2b`` no."""
    if not graph.startswith("if_") or graph.startswith(_NOT_TRAFFIC):
        return False
    return not graph[3:].startswith(SKIPPED_INTERFACES)


@dataclass(frozen=True, slots=True)
class HostFigures:
    """The key figures of one host (None: not known recently)."""

    disk: float | None = None  # % of the fullest filesystem
    load: float | None = None
    rx: float | None = None  # bytes/s received, all physical interfaces
    tx: float | None = None  # bytes/s sent
    bans: float | None = None  # addresses banned now


@dataclass(frozen=True, slots=True)
class HostHealth:
    """What the nodes and alerts tables say of one host."""

    node: str  # "up", "down", "unknown"
    last_ok: float = 0.0
    error: str = ""
    alert: str = ""  # worst firing alert: "critical", "warning" or ""
    alerts: int = 0  # firing alerts

    @property
    def state(self) -> str:
        """ok, warning, critical, unreachable or unknown."""
        if self.node == "down":
            return "unreachable"
        if self.alert:
            return self.alert
        return "ok" if self.node == "up" else "unknown"


@dataclass
class _Sums:
    disk: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)
    rx: list[float] = field(default_factory=list)
    tx: list[float] = field(default_factory=list)
    bans: dict[str, list[float]] = field(default_factory=dict)

    def figures(self) -> HostFigures:
        bans = next((self.bans[g] for g in BANS_GRAPHS if g in self.bans), None)
        return HostFigures(
            disk=max(self.disk) if self.disk else None,
            load=self.load[0] if self.load else None,
            rx=sum(self.rx) if self.rx else None,
            tx=sum(self.tx) if self.tx else None,
            bans=sum(bans) if bans is not None else None,
        )


class DashboardReader:
    """The overview's reads on ``db`` (a read-only connection is enough)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def figures(self, since: float) -> dict[str, HostFigures]:
        """Every host's figures from its newest values at or after ``since`` (epoch)."""
        rows = self._db.tuples(_LATEST, (int(since), DISK_GRAPH, LOAD_GRAPH, *BANS_GRAPHS))
        return summarise(rows)

    def health(self) -> dict[str, HostHealth]:
        """Every known node's state and worst firing alert (hosts only alerted included)."""
        out: dict[str, HostHealth] = {}
        for node, state, last_ok, error in self._db.tuples(
            "SELECT node, state, last_ok, error FROM nodes"
        ):
            out[str(node)] = HostHealth(str(state), float(last_ok), str(error))
        for host, worst, count in self._db.tuples(_ALERTS):
            base = out.get(str(host), HostHealth("unknown"))
            alert = "critical" if worst == 2 else "warning"
            out[str(host)] = HostHealth(base.node, base.last_ok, base.error, alert, int(count))
        return out


def summarise(rows: Iterable[tuple[object, ...]]) -> dict[str, HostFigures]:
    """``(host, graph, field, value)`` rows → figures per host (value None: skipped)."""
    sums: dict[str, _Sums] = {}
    for host, graph, name, value in rows:
        if not isinstance(value, int | float):
            continue
        s = sums.setdefault(str(host), _Sums())
        v = float(value)
        if graph == DISK_GRAPH:
            s.disk.append(v)
        elif graph == LOAD_GRAPH and name == "load":
            s.load.append(v)
        elif graph in BANS_GRAPHS:
            s.bans.setdefault(str(graph), []).append(v)
        elif is_traffic_graph(str(graph)) and name in ("down", "up"):
            (s.rx if name == "down" else s.tx).append(v)
    return {host: s.figures() for host, s in sums.items()}
