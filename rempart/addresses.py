"""Addresses as values: parsing what logs write, canonical forms, ban targets.

Only :mod:`ipaddress` is used; rempart has no address class of its own.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

__all__ = [
    "Address",
    "AddressSet",
    "Network",
    "address_key",
    "ban_target",
    "packed_texts",
    "parse_address",
    "parse_address_key",
    "parse_network",
]

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


_PTON = socket.inet_pton
_AF4, _AF6 = socket.AF_INET, socket.AF_INET6
_V6_TAG = 1 << 129  # keeps IPv6 keys apart from IPv4 keys


def parse_address(text: str) -> Address | None:
    """The address written in a log, or None when ``text`` is not exactly one address.

    Accepts IPv6 in brackets and IPv4-mapped IPv6 (returned as IPv4), as sshd and web
    servers write them. Host names, leading-zero octets, zone indexes and anything else
    give None: rempart never resolves names from attacker-controlled text.
    (``inet_pton`` is strict and fast: 0.4 µs against 1.8 µs for ``ip_address``.)
    """
    if not text or len(text) > 64:
        return None
    if text[0] == "[" and text[-1] == "]":
        text = text[1:-1]
    if ":" not in text:
        try:
            return IPv4Address(int.from_bytes(_PTON(_AF4, text)))
        except (OSError, ValueError):
            return None
    try:
        addr = IPv6Address(int.from_bytes(_PTON(_AF6, text)))
    except (OSError, ValueError):
        return None
    mapped = addr.ipv4_mapped
    return mapped if mapped is not None else addr


def parse_address_key(text: str) -> int | None:
    """``address_key(parse_address(text))`` without building the address (twice as fast,
    for bulk input such as a blocklist): the IPv4 value, or the IPv6 value tagged."""
    if not text or len(text) > 64:
        return None
    if text[0] == "[" and text[-1] == "]":
        text = text[1:-1]
    try:
        if ":" not in text:
            return int.from_bytes(_PTON(_AF4, text))
        value = int.from_bytes(_PTON(_AF6, text))
    except (OSError, ValueError):
        return None
    if value >> 32 == 0xFFFF:  # IPv4-mapped
        return value & 0xFFFFFFFF
    return value | _V6_TAG


_NTOP = socket.inet_ntop
_ZEROS = bytes(10)


def packed_texts(packed: bytes, version: int) -> Iterator[str]:
    """The text of each address in ``packed`` (4 or 16 bytes each, network order), as
    ``str(ip_address(...))`` writes it, through ``inet_ntop`` (5 times faster for IPv6)."""
    width = 4 if version == 4 else 16
    family = _AF4 if version == 4 else _AF6
    for i in range(0, len(packed), width):
        chunk = packed[i : i + width]
        if width == 16 and chunk[:10] == _ZEROS:  # inet_ntop writes ::1.2.3.4 and ::ffff:1.2.3.4
            yield str(IPv6Address(chunk))
        else:
            yield _NTOP(family, chunk)


def address_key(address: Address, ipv6_prefix: int = 128) -> int:
    """A hashable int naming ``address``'s ban target (its /``ipv6_prefix`` for IPv6);
    cheaper than building the :class:`Network` for every failure."""
    value = int(address)
    if address.version == 4:
        return value
    return (value >> (128 - ipv6_prefix)) | _V6_TAG


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

    Networks are grouped by version and prefix length; a lookup is one shift and one
    hash probe per distinct prefix length present (usually two or three).
    """

    __slots__ = ("_groups", "_networks")

    def __init__(self, networks: Iterable[Network] = ()) -> None:
        self._networks: tuple[Network, ...] = tuple(networks)
        groups: dict[tuple[int, int], set[int]] = {}
        for net in self._networks:
            shift = net.max_prefixlen - net.prefixlen
            groups.setdefault((net.version, shift), set()).add(int(net.network_address) >> shift)
        self._groups = {
            version: tuple(
                (shift, frozenset(m)) for (v, shift), m in groups.items() if v == version
            )
            for version in (4, 6)
        }

    @property
    def networks(self) -> tuple[Network, ...]:
        return self._networks

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, IPv4Address | IPv6Address):
            return False
        value = int(address)
        return any((value >> shift) in members for shift, members in self._groups[address.version])

    def __bool__(self) -> bool:
        return bool(self._networks)

    def __len__(self) -> int:
        return len(self._networks)
