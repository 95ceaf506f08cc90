"""The AbuseIPDB blocklist as values: parse its plaintext, keep only what may be blocked.

AbuseIPDB's ``/blacklist`` in plaintext is one address per line. :func:`parse_blocklist`
turns those lines into a :class:`Blocklist`: every entry is checked strictly (as
:func:`rempart.addresses.parse_address` does: ``inet_pton``, no names, no leading zeros,
no zone index; an IPv4-mapped IPv6 address counts as its IPv4 address), written in its
canonical form, counted once, and dropped when it is not a global unicast address
(:data:`SPECIAL_V4`, :data:`SPECIAL_V6`) or falls in a protected network (the allow
list, every jail's ignoreip, the machine's own addresses). Everything else on a line (a
blank line, a comment, a lone ``\\r``, garbage) is counted as invalid, with a few samples
escaped for a log line. CRLF line ends are accepted.

The result is compact: each version is a :class:`AddressList`, its addresses packed
big-endian (4 or 16 bytes each) in ascending order, so 500,000 addresses take about
3 MB instead of the 60 MB of as many ``ipaddress`` objects.

Pure: no I/O; lines come in as an iterable (a file object streams them).
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import overload

from rempart.addresses import Address, Network, packed_texts, parse_address_key

__all__ = [
    "SPECIAL_V4",
    "SPECIAL_V6",
    "AddressList",
    "Blocklist",
    "ParseStats",
    "blockable",
    "parse_blocklist",
]

#: IPv4 ranges never blocked: what :attr:`ipaddress.IPv4Address.is_global` calls
#: non-global (IANA special-purpose registry, Python 3.11), plus multicast (224/4),
#: which is never the source of a packet
SPECIAL_V4: tuple[IPv4Network, ...] = tuple(
    IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/29",
        "192.0.0.170/31",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
    )
)
#: IPv6 ranges never blocked (same sources; ``::ffff:0:0/96`` is read as IPv4 instead)
SPECIAL_V6: tuple[IPv6Network, ...] = tuple(
    IPv6Network(n)
    for n in (
        "::/128",
        "::1/128",
        "::ffff:0:0/96",
        "100::/64",
        "2001::/23",
        "2001:2::/48",
        "2001:10::/28",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)

_WIDTH = {4: 4, 6: 16}
_V6_TAG = 1 << 129  # parse_address_key tags IPv6 values with it
_MAX = 64  # longer entries are garbage without looking further
_SAMPLES = 5
_SAMPLE_CHARS = 60


class _View(Sequence[bytes]):
    """The packed addresses of an :class:`AddressList` as a sequence (for bisect)."""

    __slots__ = ("_packed", "_width")

    def __init__(self, packed: bytes, width: int) -> None:
        self._packed, self._width = packed, width

    def __len__(self) -> int:
        return len(self._packed) // self._width

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[bytes]: ...
    def __getitem__(self, index: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        w = self._width
        return self._packed[index * w : index * w + w]


def _pack(version: int, values: Sequence[int]) -> bytes:
    if version == 4:
        packed = array("I", values) if array("I").itemsize == 4 else array("L", values)
        if sys.byteorder == "little":
            packed.byteswap()
        return packed.tobytes()
    return b"".join(v.to_bytes(16, "big") for v in values)


@dataclass(frozen=True, slots=True)
class AddressList:
    """Addresses of one IP version, unique and ascending, packed big-endian.

    Build it with :meth:`of` (any iterable of ints, addresses or texts it validates);
    the constructor itself checks only the width.
    """

    version: int
    packed: bytes = b""

    def __post_init__(self) -> None:
        if self.version not in _WIDTH or len(self.packed) % _WIDTH[self.version]:
            raise ValueError(f"not packed IPv{self.version} addresses")

    @classmethod
    def of(cls, version: int, items: Iterable[int | Address]) -> AddressList:
        """The list of ``items`` (ints or addresses of ``version``), sorted, duplicates dropped."""
        limit = 1 << (8 * _WIDTH[version])
        values = set()
        for item in items:
            if isinstance(item, IPv4Address | IPv6Address) and item.version != version:
                raise ValueError(f"{item} is not an IPv{version} address")
            value = int(item)
            if not 0 <= value < limit:
                raise ValueError(f"{value} is not an IPv{version} address")
            values.add(value)
        return cls(version, _pack(version, sorted(values)))

    @property
    def width(self) -> int:
        return _WIDTH[self.version]

    def __len__(self) -> int:
        return len(self.packed) // self.width

    def ints(self) -> Iterator[int]:
        w, packed = self.width, self.packed
        for i in range(0, len(packed), w):
            yield int.from_bytes(packed[i : i + w], "big")

    def __iter__(self) -> Iterator[Address]:
        cls = IPv4Address if self.version == 4 else IPv6Address
        return map(cls, self.ints())

    def texts(self) -> Iterator[str]:
        """Each address in its canonical text form (what ``str(address)`` gives)."""
        return packed_texts(self.packed, self.version)

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, IPv4Address | IPv6Address) or address.version != self.version:
            return False
        key = address.packed
        view = _View(self.packed, self.width)
        i = bisect_left(view, key)
        return i < len(view) and view[i] == key

    def without(self, networks: Iterable[Network]) -> tuple[AddressList, int]:
        """This list minus every address inside ``networks`` (other versions ignored),
        and how many were removed."""
        view = _View(self.packed, self.width)
        cuts: list[tuple[int, int]] = []
        for net in networks:
            if net.version != self.version:
                continue
            lo = bisect_left(view, net.network_address.packed)
            hi = bisect_right(view, net.broadcast_address.packed)
            if lo < hi:
                cuts.append((lo, hi))
        if not cuts:
            return self, 0
        w, kept, at, removed = self.width, [], 0, 0
        for first, end in sorted(cuts):
            if end <= at:
                continue
            start = max(first, at)
            kept.append(self.packed[at * w : start * w])
            removed += end - start
            at = end
        kept.append(self.packed[at * w :])
        return AddressList(self.version, b"".join(kept)), removed


@dataclass(frozen=True, slots=True)
class Blocklist:
    """The addresses to block, IPv4 and IPv6 apart."""

    v4: AddressList = AddressList(4)
    v6: AddressList = AddressList(6)

    def __post_init__(self) -> None:
        if self.v4.version != 4 or self.v6.version != 6:
            raise ValueError("v4 holds IPv4 and v6 holds IPv6 addresses")

    @classmethod
    def of(cls, addresses: Iterable[Address]) -> Blocklist:
        """The blocklist of ``addresses`` as they are (nothing removed); for tests and tools."""
        items = list(addresses)
        return cls(
            AddressList.of(4, (a for a in items if a.version == 4)),
            AddressList.of(6, (a for a in items if a.version == 6)),
        )

    @property
    def sizes(self) -> tuple[int, int]:
        """(IPv4 count, IPv6 count)."""
        return len(self.v4), len(self.v6)

    def __len__(self) -> int:
        return len(self.v4) + len(self.v6)

    def __iter__(self) -> Iterator[Address]:
        yield from self.v4
        yield from self.v6

    def __contains__(self, address: object) -> bool:
        return address in self.v4 or address in self.v6

    def without(self, networks: Iterable[Network]) -> tuple[Blocklist, int]:
        """This list minus every address inside ``networks``, and how many were removed."""
        nets = tuple(networks)
        v4, gone4 = self.v4.without(nets)
        v6, gone6 = self.v6.without(nets)
        return Blocklist(v4, v6), gone4 + gone6


def blockable(address: Address) -> bool:
    """Whether ``address`` is a global unicast address (not in SPECIAL_V4/SPECIAL_V6)."""
    special = SPECIAL_V4 if address.version == 4 else SPECIAL_V6
    return not any(address in net for net in special)


@dataclass(frozen=True, slots=True)
class ParseStats:
    """What a parse saw. ``entries``: addresses read (valid lines); ``duplicates``: repeats
    among them; ``not_global`` and ``protected``: distinct addresses removed for those
    reasons; ``invalid``: lines that are not an address; ``samples``: a few of them,
    escaped (``ascii()``) and cut to 60 characters, safe to log."""

    lines: int = 0
    entries: int = 0
    duplicates: int = 0
    invalid: int = 0
    not_global: int = 0
    protected: int = 0
    samples: tuple[str, ...] = ()

    @property
    def removed(self) -> int:
        return self.not_global + self.protected


def _read(lines: Iterable[str]) -> tuple[set[int], set[int], ParseStats]:
    v4: set[int] = set()
    v6: set[int] = set()
    count = entries = invalid = 0
    samples: list[str] = []
    v6_mask = _V6_TAG - 1
    for line in lines:
        count += 1
        entry = line[:-1] if line[-1:] == "\n" else line  # inlined: 500,000 lines
        if entry[-1:] == "\r":
            entry = entry[:-1]
        key = parse_address_key(entry) if entry[:1] != "[" and len(entry) <= _MAX else None
        if key is None:
            invalid += 1
            if len(samples) < _SAMPLES:
                samples.append(ascii(line[:_SAMPLE_CHARS]))
            continue
        entries += 1
        if key < _V6_TAG:
            v4.add(key)
        else:
            v6.add(key & v6_mask)
    stats = ParseStats(count, entries, entries - len(v4) - len(v6), invalid, samples=tuple(samples))
    return v4, v6, stats


def parse_blocklist(
    lines: Iterable[str], protected: Sequence[Network] = ()
) -> tuple[Blocklist, ParseStats]:
    """The blocklist in ``lines`` (each with or without its line end) and what was seen.

    Never raises on any text: what is not exactly one address is counted as invalid.
    Only global unicast addresses outside ``protected`` come out, each once.
    """
    v4, v6, stats = _read(lines)
    raw = Blocklist(AddressList(4, _pack(4, sorted(v4))), AddressList(6, _pack(6, sorted(v6))))
    del v4, v6
    global_only, not_global = raw.without((*SPECIAL_V4, *SPECIAL_V6))
    result, removed = global_only.without(protected)
    return result, ParseStats(
        stats.lines,
        stats.entries,
        stats.duplicates,
        stats.invalid,
        not_global,
        removed,
        stats.samples,
    )
