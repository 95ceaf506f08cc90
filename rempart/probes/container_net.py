"""A container's traffic seen from inside (``/proc/<pid>/net/dev``), and its host-side veth.

Two views of the same bytes exist: the container's own interfaces (``/proc/<pid>/net/dev`` of
any of its processes shows the counters of *its* network namespace) and the host-side end of
each veth pair (``/sys/class/net/vethXXX``), found because the container interface's
``iflink`` is the host interface's ``ifindex`` (and the other way round). Between the two sides
rx and tx are swapped: what the container receives, the host veth transmits.

The containers probe takes its **values from the container's own view**: it is readable for
every process as root without the container's ``/sys``, it covers every kind of interface
(veth, macvlan, ipvlan, the tap of rootless Podman's slirp4netns/pasta, which has no veth on
the host) and all of a container's interfaces at once. The veth pairing
(:func:`host_peers`) only names the host interface in the label, so the admin can match it
with ``ip link``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rempart.probes.base import read_text

__all__ = [
    "NetCounters",
    "host_interfaces",
    "host_peers",
    "netns_id",
    "parse_net_dev",
    "sum_traffic",
]


@dataclass(frozen=True, slots=True)
class NetCounters:
    """Byte counters of one interface as its own namespace sees them."""

    rx_bytes: int
    tx_bytes: int


def parse_net_dev(text: str) -> dict[str, NetCounters]:
    """``/proc/net/dev`` → ``{interface: NetCounters}``; header and malformed lines skipped.

    The name ends at the first ``:`` (a Linux interface name cannot hold one); old kernels
    glue the first number to it (``eth0:1296``), so the split does not rely on spaces.
    """
    out: dict[str, NetCounters] = {}
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        name = name.strip()
        fields = rest.split()
        if not sep or not name or len(fields) < 9 or "|" in name:
            continue
        if all(f.isascii() and f.isdigit() for f in (fields[0], fields[8])):
            out[name] = NetCounters(int(fields[0]), int(fields[8]))
    return out


def sum_traffic(counters: Mapping[str, NetCounters]) -> NetCounters:
    """All interfaces but loopback added up (traffic that left or entered the namespace)."""
    rx = sum(c.rx_bytes for n, c in counters.items() if n != "lo")
    tx = sum(c.tx_bytes for n, c in counters.items() if n != "lo")
    return NetCounters(rx, tx)


def netns_id(proc: Path | str, pid: int | str) -> str | None:
    """The network namespace of ``pid`` (``net:[4026532…]``), or None when unreadable."""
    try:
        return os.readlink(f"{proc}/{pid}/ns/net")
    except OSError:
        return None


def _read_index(path: Path) -> int | None:
    try:
        text = read_text(path, 32).strip()
    except OSError:
        return None
    return int(text) if text.isascii() and text.isdigit() else None


def host_interfaces(sys_class_net: Path) -> dict[int, tuple[str, int | None]]:
    """The host's virtual interfaces: ``{ifindex: (name, iflink)}``.

    Interfaces backed by a device (``device`` link: a NIC, virtio included) are left out:
    they cannot be the end of a veth, and a macvlan inside a container points its ``iflink``
    at such a parent.
    """
    out: dict[int, tuple[str, int | None]] = {}
    try:
        names = sorted(os.listdir(sys_class_net))
    except OSError:
        return out
    for name in names:
        if name == "lo" or os.path.lexists(sys_class_net / name / "device"):
            continue
        index = _read_index(sys_class_net / name / "ifindex")
        if index is not None:
            out[index] = (name, _read_index(sys_class_net / name / "iflink"))
    return out


def host_peers(
    container_sys_net: Path,
    interfaces: Iterable[str],
    host: Mapping[int, tuple[str, int | None]],
) -> dict[str, str]:
    """``{container interface: host interface}`` for the veth pairs found.

    A pair is kept only when both ends point at each other (the container side's ``iflink``
    is the host side's ``ifindex`` and the reverse). Indexes are per namespace, so both ends
    may well carry the same number (2 and 2 is common): that alone proves nothing either way.
    """
    out: dict[str, str] = {}
    for name in interfaces:
        if name == "lo" or "/" in name or name in (".", ".."):
            continue
        index = _read_index(container_sys_net / name / "ifindex")
        link = _read_index(container_sys_net / name / "iflink")
        if index is None or link is None or link not in host:
            continue
        host_name, host_link = host[link]
        if host_link == index:
            out[name] = host_name
    return out
