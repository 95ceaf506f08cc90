"""Addresses as values: parsing what logs write, canonical forms, ban targets.

Only :mod:`ipaddress` is used; rempart has no address class of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

__all__ = [
    "Address",
    "AddressSet",
    "Network",
    "ban_target",
    "parse_address",
    "parse_network",
]

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


def parse_address(text: str) -> Address | None:
    """The address written in a log, or None when ``text`` is not exactly one address.

    Accepts IPv6 in brackets and IPv4-mapped IPv6 (returned as IPv4), as sshd and web
    servers write them. Host names, leading-zero octets and anything else give None:
    rempart never resolves names from attacker-controlled text.
    """
    if not text or len(text) > 64:
        return None
    if text[0] == "[" and text[-1] == "]":
        text = text[1:-1]
    try:
        addr = ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, IPv6Address):
        mapped = addr.ipv4_mapped
        if mapped is not None:
            return mapped
        if addr.scope_id is not None:
            return None
    return addr


def parse_network(text: str) -> Network:
    """An address or CIDR (``192.0.2.0/24``, ``2001:db8::/32``, ``::1``); host bits are cleared.

    Raises ValueError with a readable message when ``text`` is neither.
    """
    text = text.strip()
    try:
        return ip_network(text, strict=False)
    except ValueError as exc:
        raise ValueError(f"not an address or CIDR network: {text!r}") from exc


def ban_target(address: Address, ipv6_prefix: int = 128) -> Network:
    """The network to ban for ``address``: itself, or its /``ipv6_prefix`` for IPv6."""
    if isinstance(address, IPv4Address):
        return IPv4Network(address)
    return IPv6Network((address, ipv6_prefix), strict=False)


class AddressSet:
    """A set of networks with fast membership for single addresses.

    Exact addresses are kept in a hash set; networks are checked by prefix length
    (at most 33 + 129 distinct lengths), so a lookup costs a few hash probes.
    """

    __slots__ = ("_by_prefix", "_networks")

    def __init__(self, networks: Iterable[Network] = ()) -> None:
        self._networks: tuple[Network, ...] = tuple(networks)
        by_prefix: dict[tuple[int, int], set[int]] = {}
        for net in self._networks:
            key = (net.version, net.prefixlen)
            by_prefix.setdefault(key, set()).add(int(net.network_address))
        self._by_prefix = by_prefix

    @property
    def networks(self) -> tuple[Network, ...]:
        return self._networks

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, IPv4Address | IPv6Address):
            return False
        value = int(address)
        bits = address.max_prefixlen
        for (version, prefix), members in self._by_prefix.items():
            if version != address.version:
                continue
            if (value >> (bits - prefix) << (bits - prefix) if prefix else 0) in members:
                return True
        return False

    def __bool__(self) -> bool:
        return bool(self._networks)

    def __len__(self) -> int:
        return len(self._networks)
