"""``network``: traffic, errors, packets and utilisation per interface (Munin's ``if_``).

Counters come from ``root/proc/net/dev`` (the reading process's network namespace); the speed and
the kind of each interface from ``root/sys/class/net/<iface>``. Graphs per interface:
``if_<iface>`` (Munin's ``down``/``up`` bytes as DERIVE drawn as bits by the cdef ``,8,*``, ``.max``
set to the capacity in bit/s exactly as Munin's plugin does), ``if_err_<iface>`` (Munin's
``rcvd``/``trans`` errors, ``rxdrop``/``txdrop`` drops, ``collisions``; DERIVE with min 0 where
Munin says COUNTER, so a counter reset is not read as a wrap), ``if_packets_<iface>`` and, only
when a capacity is known, ``if_util_<iface>`` (% of capacity in and out since the previous
collection; U on the first one).

Capacity: the declared one (``capacity`` maps an interface name or glob to bit/s) wins, else the
``speed`` sysfs file (Mb/s). virtio NICs report -1 and many virtual ones EINVAL: without a declared
capacity they get no ``.max`` and no utilisation graph, and the ``info`` says to declare one.

Host-side veth interfaces of containers are left out (the containers probe covers them). Rule:
an Ethernet interface with no ``device`` link and no ``DEVTYPE`` in its ``uevent`` (that is a veth:
bridges, VLANs, macvlans, bonds have a DEVTYPE; real NICs a device), whose peer (``iflink``) is
not an interface of this namespace, and which is either enslaved (``master``: docker0, lxcbr0,
cni-podman0…) or named ``veth*``. A container's own ``eth0`` (not enslaved) and a bridge are kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from rempart.metrics.model import Field, Graph, Series
from rempart.munin.names import clean_plugin_name
from rempart.probes.base import read_text
from rempart.probes.systext import clean_label, matches_any, read_optional, to_int

__all__ = [
    "IfaceInfo",
    "NetCounters",
    "NetworkProbe",
    "capacity_for",
    "interface_series",
    "is_container_veth",
    "parse_net_dev",
    "parse_speed",
    "utilisation",
]

_ARPHRD_ETHER: Final = "1"
_IF_INFO: Final = (
    "This graph shows the traffic of the {i} network interface. Please note that the traffic "
    "is shown in bits per second, not bytes."
)


@dataclass(frozen=True, slots=True)
class NetCounters:
    """One interface's line of ``/proc/net/dev``."""

    rx_bytes: int
    rx_packets: int
    rx_errs: int
    rx_drop: int
    tx_bytes: int
    tx_packets: int
    tx_errs: int
    tx_drop: int
    colls: int


@dataclass(frozen=True, slots=True)
class IfaceInfo:
    """What sysfs says about an interface that matters here."""

    ifindex: int | None = None
    iflink: int | None = None
    ether: bool = False
    has_device: bool = True
    devtype: str = ""
    enslaved: bool = False
    speed: float | None = None  # bit/s, None when unknown


def parse_net_dev(text: str) -> dict[str, NetCounters]:
    """``{iface: counters}`` from ``/proc/net/dev`` (headers and malformed lines skipped)."""
    out: dict[str, NetCounters] = {}
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        numbers = [to_int(w) for w in rest.split()]
        name = name.strip()
        if not sep or not name or len(numbers) < 16 or any(n is None for n in numbers[:16]):
            continue
        n = [x or 0 for x in numbers]
        out[name] = NetCounters(n[0], n[1], n[2], n[3], n[8], n[9], n[10], n[11], n[13])
    return out


def parse_speed(text: str | None) -> float | None:
    """bit/s from a sysfs ``speed`` (Mb/s); None for -1, unreadable (EINVAL) or garbage."""
    value = to_int((text or "").strip())
    return value * 1e6 if value else None


def is_container_veth(name: str, info: IfaceInfo, local_indexes: frozenset[int]) -> bool:
    """True for the host side of a container's veth pair (see the module documentation)."""
    veth = info.ether and not info.has_device and not info.devtype
    if not veth or info.iflink is None or info.iflink == info.ifindex:
        return False
    return info.iflink not in local_indexes and (info.enslaved or name.startswith("veth"))


def capacity_for(name: str, capacity: Mapping[str, float], speed: float | None) -> float | None:
    """The declared capacity of ``name`` (exact name, then globs in order), else its speed."""
    if name in capacity:
        return capacity[name]
    for glob, value in capacity.items():
        if matches_any(name, (glob,)):
            return value
    return speed


def utilisation(
    old: NetCounters, new: NetCounters, seconds: float, capacity: float
) -> tuple[float | None, float | None]:
    """% of ``capacity`` (bit/s) used in and out between two readings (None after a reset)."""
    if seconds <= 0 or capacity <= 0:
        return None, None

    def pct(before: int, after: int) -> float | None:
        return None if after < before else 100.0 * (after - before) * 8 / seconds / capacity

    return pct(old.rx_bytes, new.rx_bytes), pct(old.tx_bytes, new.tx_bytes)


def _inout(
    labels: tuple[str, str], fields: tuple[str, str], warning: str | None = None
) -> tuple[Field, Field]:
    down, up = fields
    return (
        Field(down, labels[0], type="DERIVE", min=0, graph=False, warning=warning),
        Field(up, labels[1], type="DERIVE", min=0, negative=down, warning=warning),
    )


def interface_series(
    graph_base: str,
    iface: str,
    c: NetCounters,
    capacity: float | None,
    util: tuple[float | None, float | None] | None,
) -> tuple[Series, ...]:
    """The graphs of one interface (``graph_base`` is the cleaned name used in graph names)."""
    label = clean_label(iface)
    if capacity:
        speed_info = f"Traffic of the {label} interface. Maximum speed is {capacity / 1e6:g} Mb/s."
    else:
        speed_info = (
            f"Traffic of the {label} interface. Its speed is unknown (virtio or virtual NIC): "
            "declare it in [probes.network] capacity to get a maximum and a utilisation graph."
        )
    traffic = Graph(
        f"if_{graph_base}",
        f"{label} traffic",
        "network",
        (
            Field(
                "down",
                "received",
                type="DERIVE",
                min=0,
                max=capacity,
                graph=False,
                cdef="down,8,*",
                unit="bytes",
            ),
            Field(
                "up",
                "bps",
                type="DERIVE",
                min=0,
                max=capacity,
                negative="down",
                cdef="up,8,*",
                info=speed_info,
                unit="bytes",
            ),
        ),
        vlabel="bits in (-) / out (+) per ${graph_period}",
        args="--base 1000",
        info=_IF_INFO.format(i=label),
        order=("down", "up"),
    )
    errors = Graph(
        f"if_err_{graph_base}",
        f"{label} errors",
        "network",
        (
            *_inout(("errors", "errors"), ("rcvd", "trans"), warning="1"),
            *_inout(("drops", "drops"), ("rxdrop", "txdrop")),
            Field("collisions", "collisions", type="DERIVE", min=0),
        ),
        vlabel="packets in (-) / out (+) per ${graph_period}",
        args="--base 1000",
        info=f"This graph shows the amount of errors, packet drops, and collisions on the "
        f"{label} network interface.",
        order=("rcvd", "trans"),
    )
    packets = Graph(
        f"if_packets_{graph_base}",
        f"{label} packets",
        "network",
        _inout(("received", "packets"), ("down", "up")),
        vlabel="packets in (-) / out (+) per ${graph_period}",
        args="--base 1000",
        info=f"Packets received (-) and sent (+) on the {label} network interface.",
    )
    out = [
        Series(traffic, MappingProxyType({"down": float(c.rx_bytes), "up": float(c.tx_bytes)})),
        Series(
            errors,
            MappingProxyType(
                {
                    "rcvd": float(c.rx_errs),
                    "trans": float(c.tx_errs),
                    "rxdrop": float(c.rx_drop),
                    "txdrop": float(c.tx_drop),
                    "collisions": float(c.colls),
                }
            ),
        ),
        Series(packets, MappingProxyType({"down": float(c.rx_packets), "up": float(c.tx_packets)})),
    ]
    if capacity and util is not None:
        out.append(
            Series(
                _util_graph(graph_base, label, capacity),
                MappingProxyType({"down": util[0], "up": util[1]}),
            )
        )
    return tuple(out)


def _util_graph(graph_base: str, label: str, capacity: float) -> Graph:
    return Graph(
        f"if_util_{graph_base}",
        f"{label} utilisation",
        "network",
        (
            Field("down", "received", min=0, graph=False, warning="90", unit="percent"),
            Field(
                "up",
                "% of capacity",
                min=0,
                negative="down",
                warning="90",
                unit="percent",
                info=f"Share of the {capacity / 1e6:g} Mb/s capacity used in (-) and out (+).",
            ),
        ),
        vlabel="% in (-) / out (+)",
        args="--base 1000",
        info=f"Utilisation of the {label} interface since the previous collection.",
        scale=False,
    )


class NetworkProbe:
    """Per-interface traffic from ``root/proc/net/dev`` and ``root/sys/class/net``."""

    name = "network"
    background = False
    interval = 0.0

    def __init__(
        self,
        *,
        root: Path = Path("/"),
        capacity: Mapping[str, float] = MappingProxyType({}),
        exclude: tuple[str, ...] = ("lo",),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._root = root
        self._capacity = dict(capacity)
        self._exclude = exclude
        self._clock = clock
        self._previous: tuple[float, dict[str, NetCounters]] | None = None

    def _info(self, iface: str) -> IfaceInfo:
        base = self._root / "sys/class/net" / iface
        uevent = read_optional(base / "uevent") or ""
        devtype = next((ln[8:] for ln in uevent.splitlines() if ln.startswith("DEVTYPE=")), "")
        return IfaceInfo(
            ifindex=to_int(read_optional(base / "ifindex") or ""),
            iflink=to_int(read_optional(base / "iflink") or ""),
            ether=read_optional(base / "type") == _ARPHRD_ETHER,
            has_device=(base / "device").exists() or not base.exists(),
            devtype=devtype,
            enslaved=(base / "master").exists(),
            speed=parse_speed(read_optional(base / "speed")),
        )

    def collect(self) -> tuple[Series, ...]:
        counters = parse_net_dev(read_text(self._root / "proc/net/dev"))
        now = self._clock()
        infos = {i: self._info(i) for i in counters}
        local = frozenset(x.ifindex for x in infos.values() if x.ifindex is not None)
        previous, self._previous = self._previous, (now, counters)
        out: list[Series] = []
        taken: set[str] = set()
        for iface, info in infos.items():
            if matches_any(iface, self._exclude) or is_container_veth(iface, info, local):
                continue
            base = clean_plugin_name(iface)
            while base in taken:
                base += "_"
            taken.add(base)
            cap = capacity_for(iface, self._capacity, info.speed)
            util: tuple[float | None, float | None] | None = None
            if cap:
                util = (None, None)
                if previous is not None and iface in previous[1]:
                    util = utilisation(previous[1][iface], counters[iface], now - previous[0], cap)
            out.extend(interface_series(base, iface, counters[iface], cap, util))
        return tuple(out)
