"""Networks as stored in the state database: version, prefix and first/last address blobs.

A network's first and last addresses are stored as 16-byte big-endian blobs (IPv4
zero-extended), next to its IP version: SQLite compares blobs with ``memcmp``, so blob
order is address order. "Networks that contain ADDRESS" is then an equality lookup on
the few first addresses such a network can have (``ADDRESS`` with its low bits cleared,
for each prefix length) plus ``last >= ADDRESS``; "networks inside NETWORK" is a range
of first addresses.
"""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from rempart.addresses import Address, Network

__all__ = [
    "BLOB_SIZE",
    "StoredRange",
    "address_at",
    "blob",
    "network_at",
    "prefix_firsts",
    "stored_range",
]

BLOB_SIZE = 16


def blob(value: int) -> bytes:
    """An address's integer value as a 16-byte big-endian blob."""
    return value.to_bytes(BLOB_SIZE, "big")


StoredRange = tuple[int, int, bytes, bytes]  # version, prefix, first, last


def stored_range(network: Network) -> StoredRange:
    """``network`` as (version, prefix length, first, last) for the database."""
    first = int(network.network_address)
    last = first | ((1 << (network.max_prefixlen - network.prefixlen)) - 1)
    return network.version, network.prefixlen, blob(first), blob(last)


def prefix_firsts(address: Address) -> list[bytes]:
    """The first address of every network that contains ``address``, one per prefix
    length (0 to 32 or 128), as blobs."""
    value, bits = int(address), address.max_prefixlen
    return [blob(value >> shift << shift) for shift in range(bits + 1)]


def network_at(version: int, first: bytes, prefix: int) -> Network:
    """The network stored as ``version``, ``first`` and ``prefix``."""
    value = int.from_bytes(first, "big")
    if version == 4:
        return IPv4Network((value, prefix))
    return IPv6Network((value, prefix))


def address_at(version: int, text: str) -> Address:
    """The address stored as ``text`` (written by rempart: ``str(address)``), of IP
    ``version``; an IPv4-mapped IPv6 address stays IPv6. Raises ValueError."""
    try:
        if version == 4:
            return IPv4Address(int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big"))
        return IPv6Address(int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big"))
    except OSError as exc:
        raise ValueError(f"not an IPv{version} address: {text!r}") from exc
