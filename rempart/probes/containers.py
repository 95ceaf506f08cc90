"""The ``containers`` probe: cpu, memory, network and up/down of each container (cgroup v2).

Containers are found in the cgroup tree (:mod:`rempart.probes.cgroups`: Docker, Podman, LXC,
systemd-nspawn); per container: ``cpu.stat`` ``usage_usec`` (DERIVE, shown as % of one cpu
by a cdef), ``memory.current``, and the traffic of its network namespace read from
``/proc/<pid>/net/dev`` of one of its processes (:mod:`rempart.probes.container_net` says
why this view and not the host-side veth, which only names the pair in the label).
Containers sharing one network namespace (a Podman pod, ``--network container:…``) give one
network field together, so the traffic is not counted twice; containers on the host's network
(``--network host``) give none (their traffic is the host's, graphed by the network probe).

Names: the Docker API, then Podman's (:mod:`rempart.probes.docker_api`, cached 60 s), LXC and
nspawn names from the cgroup directory (LXC's container directory name), else the id's first
12 characters. Names are outside text: labels are cleaned, field names made by
:func:`~rempart.munin.names.unique_fieldnames`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rempart.metrics.model import Field, Graph, Series
from rempart.munin.names import unique_fieldnames
from rempart.probes.cgroups import (
    CgroupContainer,
    find_containers,
    first_pid,
    parse_cpu_stat,
    read_int,
    read_small,
)
from rempart.probes.container_net import (
    NetCounters,
    host_interfaces,
    host_peers,
    netns_id,
    parse_net_dev,
    sum_traffic,
)
from rempart.probes.docker_api import NameCache
from rempart.probes.systext import clean_label

__all__ = [
    "ContainerSample",
    "ContainersProbe",
    "build_series",
    "clean_label",
    "display_name",
]


@dataclass(frozen=True, slots=True)
class ContainerSample:
    """What one collection read for one container (None: not readable)."""

    name: str
    kind: str
    ident: str
    cpu_usec: int | None
    memory: int | None
    netns: str | None  # None: unknown or the host's own (no network field)
    net: NetCounters | None
    host_veths: tuple[str, ...] = ()


def display_name(found: CgroupContainer, names: Mapping[str, str]) -> str:
    """The API name for docker/podman ids, the LXC/nspawn name, else the short id."""
    if found.kind in ("docker", "podman"):
        return names.get(found.ident) or found.ident[:12]
    return found.ident


def _cpu_graph(fields: Mapping[str, str], samples: Sequence[ContainerSample]) -> Graph:
    return Graph(
        name="containers_cpu",
        title="Container CPU usage",
        category="containers",
        vlabel="% of one CPU",
        args="--base 1000 -l 0",
        info="CPU time of each container's cgroup (cpu.stat usage_usec), in % of one CPU.",
        fields=tuple(
            Field(
                name=fields[s.name],
                label=clean_label(s.name),
                type="DERIVE",
                min=0,
                cdef=f"{fields[s.name]},10000,/",
                info=f"{s.kind} container {clean_label(s.ident[:12])}",
                unit="percent",
            )
            for s in samples
        ),
    )


def _memory_graph(fields: Mapping[str, str], samples: Sequence[ContainerSample]) -> Graph:
    return Graph(
        name="containers_memory",
        title="Container memory usage",
        category="containers",
        vlabel="bytes",
        args="--base 1024 -l 0",
        info="Memory charged to each container's cgroup (memory.current: page cache included).",
        fields=tuple(
            Field(name=fields[s.name], label=clean_label(s.name), min=0, unit="bytes")
            for s in samples
        ),
    )


_NET_INFO = (
    "Bytes {what} by each container, read from the container's own network namespace "
    "(/proc/<pid>/net/dev, all interfaces but lo); the host-side veth, when paired, is named "
    "in the label (its rx/tx are this graph's out/in). Containers sharing a network namespace "
    "are one field; containers on the host network have none."
)


def _net_graph(direction: str, groups: Sequence[tuple[str, list[ContainerSample]]]) -> Graph:
    fields = []
    for field_name, members in groups:
        names = ", ".join(s.name for s in members)
        veths = sorted({v for s in members for v in s.host_veths})
        label = names + (f" ({' '.join(veths)})" if veths else "")
        fields.append(
            Field(name=field_name, label=clean_label(label), type="DERIVE", min=0, unit="bytes")
        )
    return Graph(
        name=f"containers_net_{direction}",
        title=f"Container network traffic {direction}",
        category="containers",
        vlabel="bytes per ${graph_period}",
        args="--base 1000 -l 0",
        info=_NET_INFO.format(what="received" if direction == "in" else "sent"),
        fields=tuple(fields),
    )


def _up_graph(expected: Sequence[str]) -> tuple[Graph, dict[str, str]]:
    fields = unique_fieldnames(["running", *expected])
    graph_fields = [
        Field(name="running", label="running containers", min=0, info="Containers found.")
    ]
    for name in expected:
        graph_fields.append(
            Field(
                name=fields[name],
                label=clean_label(name),
                min=0,
                max=1,
                critical="1:",
                info="1 when this expected container runs, 0 when it does not.",
            )
        )
    graph = Graph(
        name="containers_up",
        title="Containers running",
        category="containers",
        vlabel="containers",
        args="--base 1000 -l 0",
        info="How many containers run, and whether each expected one does (critical below 1).",
        fields=tuple(graph_fields),
    )
    return graph, fields


def _up_values(
    samples: Sequence[ContainerSample], expected: Sequence[str], fields: Mapping[str, str]
) -> dict[str, float | None]:
    running = {s.name for s in samples} | {s.ident for s in samples}
    ids = [s.ident for s in samples if s.kind in ("docker", "podman")]
    values: dict[str, float | None] = {"running": float(len(samples))}
    for name in expected:
        is_up = name in running or (len(name) >= 12 and any(i.startswith(name) for i in ids))
        values[fields[name]] = 1.0 if is_up else 0.0
    return values


def _net_groups(samples: Sequence[ContainerSample]) -> list[list[ContainerSample]]:
    groups: dict[str, list[ContainerSample]] = {}
    for s in samples:
        if s.netns is not None:
            groups.setdefault(s.netns, []).append(s)
    return list(groups.values())


@dataclass(frozen=True, slots=True)
class _Layout:
    """The graphs of one set of containers (rebuilt only when the set changes)."""

    fields: Mapping[str, str]  # container name -> field
    graphs: tuple[Graph, ...]  # cpu, memory, then net in and out when any container has one
    up: Graph
    up_fields: Mapping[str, str]


@functools.lru_cache(maxsize=8)
def _layout(shape: tuple[ContainerSample, ...], expected: tuple[str, ...]) -> _Layout:
    fields = unique_fieldnames(s.name for s in shape)
    graphs: list[Graph] = []
    if shape:
        graphs += [_cpu_graph(fields, shape), _memory_graph(fields, shape)]
        groups = [(fields[m[0].name], m) for m in _net_groups(shape)]
        if groups:
            graphs += [_net_graph("in", groups), _net_graph("out", groups)]
    up, up_fields = _up_graph(expected)
    return _Layout(fields, tuple(graphs), up, up_fields)


def build_series(
    samples: Sequence[ContainerSample], expected: Sequence[str] = ()
) -> tuple[Series, ...]:
    """The graphs and values of one collection (pure). No container and nothing expected: ().

    The graphs depend only on which containers there are (names, ids, namespaces, veths):
    they are built once per such set and reused while it does not change.
    """
    if not samples and not expected:
        return ()
    ordered = _distinct(sorted(samples, key=lambda s: (s.name, s.kind, s.ident)))
    shape = tuple(
        ContainerSample(s.name, s.kind, s.ident, None, None, s.netns, None, s.host_veths)
        for s in ordered
    )
    layout = _layout(shape, tuple(expected))
    fields = layout.fields
    out: list[Series] = []
    if ordered:
        cpu, memory, *net = layout.graphs
        out.append(Series(cpu, {fields[s.name]: _num(s.cpu_usec) for s in ordered}))
        out.append(Series(memory, {fields[s.name]: _num(s.memory) for s in ordered}))
        firsts = [m[0] for m in _net_groups(ordered)]
        for graph, incoming in zip(net, (True, False), strict=False):
            values = {fields[s.name]: _traffic(s.net, incoming) for s in firsts}
            out.append(Series(graph, values))
    out.append(Series(layout.up, _up_values(ordered, expected, layout.up_fields)))
    return tuple(out)


def _traffic(net: NetCounters | None, incoming: bool) -> float | None:
    if net is None:
        return None
    return float(net.rx_bytes if incoming else net.tx_bytes)


def _distinct(samples: Sequence[ContainerSample]) -> list[ContainerSample]:
    """Two containers with one name (a Docker and an LXC "web") get their kind and id added."""
    seen: dict[str, int] = {}
    for s in samples:
        seen[s.name] = seen.get(s.name, 0) + 1
    if all(n == 1 for n in seen.values()):
        return list(samples)
    return [
        replace(s, name=f"{s.name} ({s.kind} {s.ident[:12]})") if seen[s.name] > 1 else s
        for s in samples
    ]


def _num(value: int | None) -> float | None:
    return None if value is None else float(value)


class ContainersProbe:
    """Per-container cpu, memory, network and up/down from cgroup v2 (see the module doc)."""

    name = "containers"
    background = False
    interval = 60.0

    def __init__(
        self,
        *,
        root: Path = Path("/"),
        docker_socket: Path | None = Path("/run/docker.sock"),
        podman_socket: Path | None = Path("/run/podman/podman.sock"),
        lxc_path: Path = Path("/var/lib/lxc"),
        expected: tuple[str, ...] = (),
        names_ttl: float = 60.0,
    ) -> None:
        self.root = root
        self.lxc_path = lxc_path
        self.expected = tuple(expected)
        self.caches = tuple(
            NameCache(_under(root, s), ttl=names_ttl) for s in (docker_socket, podman_socket) if s
        )
        self._peers: dict[tuple[int, str], tuple[str, ...]] = {}

    def collect(self) -> tuple[Series, ...]:
        cgroup_root = self.root / "sys/fs/cgroup"
        if not (cgroup_root / "cgroup.controllers").exists():
            return build_series((), self.expected)  # no cgroup v2 here
        found = find_containers(cgroup_root)
        names = self._names(found)
        own_netns = netns_id(self.root / "proc", "self")
        pairing = _Pairing(self.root, self._peers)
        samples = [self._sample(f, names, own_netns, pairing) for f in found]
        self._peers = pairing.kept
        return build_series(samples, self.expected)

    def _names(self, found: Iterable[CgroupContainer]) -> dict[str, str]:
        if not any(f.kind in ("docker", "podman") for f in found):
            return {}
        names: dict[str, str] = {}
        for cache in reversed(self.caches):  # Docker's names win over Podman's
            names.update(cache.get())
        return names

    def _sample(
        self,
        found: CgroupContainer,
        names: Mapping[str, str],
        own_netns: str | None,
        pairing: _Pairing,
    ) -> ContainerSample:
        cpu = _cpu_usec(found.path)
        memory = read_int(f"{found.path}/memory.current")
        pid = first_pid(found.path)
        netns: str | None = None
        net: NetCounters | None = None
        veths: tuple[str, ...] = ()
        if pid is not None:
            netns = netns_id(pairing.proc, pid)
            if netns is not None and netns == own_netns:
                netns = None  # on the host's network: its traffic is the host's
            elif netns is not None:
                net, veths = pairing.traffic(pid, netns)
        name = display_name(found, names)
        return ContainerSample(name, found.kind, found.ident, cpu, memory, netns, net, veths)


class _Pairing:
    """One collection's network reads; host-side veths looked up once per new container
    (pid, namespace), the host's interface list read at most once per collection."""

    def __init__(self, root: Path, previous: Mapping[tuple[int, str], tuple[str, ...]]) -> None:
        self.root = root
        self.proc = f"{root}/proc"
        self.previous = previous
        self.kept: dict[tuple[int, str], tuple[str, ...]] = {}
        self.host: dict[int, tuple[str, int | None]] | None = None

    def traffic(self, pid: int, netns: str) -> tuple[NetCounters | None, tuple[str, ...]]:
        try:
            counters = parse_net_dev(read_small(f"{self.proc}/{pid}/net/dev", 1 << 20))
        except OSError:
            return None, ()
        key = (pid, netns)
        veths = self.previous.get(key)
        if veths is None:
            if self.host is None:
                self.host = host_interfaces(self.root / "sys/class/net")
            sys_net = self.root / "proc" / str(pid) / "root/sys/class/net"
            peers = host_peers(sys_net, counters, self.host)
            veths = tuple(sorted(set(peers.values())))
        self.kept[key] = veths
        return sum_traffic(counters), veths


def _cpu_usec(cgroup: Path) -> int | None:
    try:
        return parse_cpu_stat(read_small(f"{cgroup}/cpu.stat", 4096)).get("usage_usec")
    except OSError:
        return None


def _under(root: Path, path: Path) -> Path:
    """``path`` inside ``root`` (the fixture tree in tests, ``/`` in production)."""
    return root / path.relative_to(path.anchor) if path.is_absolute() else root / path
