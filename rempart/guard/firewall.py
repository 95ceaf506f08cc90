"""What the firewall should hold, and the operations that make it so (pure).

The agent knows which bans (and allowed addresses) should be in the kernel; the kernel
holds set elements that expire on their own. :func:`reconcile` compares the two and
returns the operations that turn ``actual`` into ``wanted``: it never flushes, so a
restart against a kernel that already holds the same 20,000 bans changes nothing.

A layout names one nftables table (family ``inet``) with, per jail, a set of IPv4
addresses and a set of IPv6 addresses or networks, plus two allow sets whose members
are never dropped, and, when the AbuseIPDB blocklist is on, two blocklist sets
(``blocklist_v4``, ``blocklist_v6``: plain addresses, no timeout) whose members are
dropped on every port. The blocklist sets are never part of :func:`reconcile`: they are
replaced whole, in one transaction, by the blocklist service. The adapter
(``rempart.adapters.firewall``) turns these values into nftables commands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rempart.addresses import Network

__all__ = [
    "ALLOW_JAIL",
    "JAIL_NAME",
    "RESERVED_NAMES",
    "AddElement",
    "BanOp",
    "DeleteElement",
    "Element",
    "FirewallLayout",
    "JailRule",
    "reconcile",
]

#: what a jail name may be: it becomes part of nftables set names
JAIL_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
#: the ``jail`` of allow-set elements (``allow_v4`` / ``allow_v6``)
ALLOW_JAIL = ""
_ALLOW_PREFIX = "allow"
_BLOCKLIST_PREFIX = "blocklist"
#: names a jail cannot have: they name rempart's own sets
RESERVED_NAMES = (_ALLOW_PREFIX, _BLOCKLIST_PREFIX)
_PROTOCOLS = ("tcp", "udp", "tcp+udp")


@dataclass(frozen=True, slots=True)
class JailRule:
    """What the firewall blocks for one jail: ``protocol`` traffic from a banned address
    to ``ports`` (``(first, last)`` ranges; None: every port of that protocol). IPv6
    bans cover a /``ipv6_prefix``; below 128 the v6 set holds networks."""

    name: str
    ports: tuple[tuple[int, int], ...] | None
    protocol: str
    ipv6_prefix: int = 128

    def __post_init__(self) -> None:
        if not JAIL_NAME.fullmatch(self.name) or self.name in RESERVED_NAMES:
            raise ValueError(
                f"jail name {self.name!r}: use 1-32 of A-Z a-z 0-9 _ -, not 'allow' or 'blocklist'"
            )
        if self.protocol not in _PROTOCOLS:
            raise ValueError(f"jail {self.name}: protocol {self.protocol!r} not in {_PROTOCOLS}")
        if not 1 <= self.ipv6_prefix <= 128:
            raise ValueError(f"jail {self.name}: ipv6_prefix {self.ipv6_prefix} not in 1-128")
        for first, last in self.ports or ():
            if not 0 < first <= last <= 65535:
                raise ValueError(f"jail {self.name}: bad port range {first}-{last}")

    @property
    def protocols(self) -> tuple[str, ...]:
        """``("tcp",)``, ``("udp",)`` or ``("tcp", "udp")``."""
        return tuple(self.protocol.split("+"))


@dataclass(frozen=True, slots=True)
class FirewallLayout:
    """The table rempart owns (always family ``inet``), the jails it enforces, and
    whether it holds the blocklist sets."""

    rules: tuple[JailRule, ...]
    table: str = "rempart"
    blocklist: bool = False

    def __post_init__(self) -> None:
        names = [rule.name for rule in self.rules]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate jail names in {names}")
        if not JAIL_NAME.fullmatch(self.table):
            raise ValueError(f"table name {self.table!r}: use 1-32 of A-Z a-z 0-9 _ -")

    def set_name(self, jail: str, version: int) -> str:
        """``sshd_v4``, ``sshd_v6``; ``allow_v4`` / ``allow_v6`` for :data:`ALLOW_JAIL`."""
        return f"{jail or _ALLOW_PREFIX}_v{version}"

    @property
    def allow_sets(self) -> tuple[str, str]:
        return self.set_name(ALLOW_JAIL, 4), self.set_name(ALLOW_JAIL, 6)

    @property
    def blocklist_sets(self) -> tuple[str, str]:
        """``("blocklist_v4", "blocklist_v6")`` (whether the layout has them or not)."""
        return f"{_BLOCKLIST_PREFIX}_v4", f"{_BLOCKLIST_PREFIX}_v6"

    def set_names(self) -> list[str]:
        """Every set of the layout: the allow sets first, then the blocklist sets (when
        on), then two per jail."""
        return [
            *self.allow_sets,
            *(self.blocklist_sets if self.blocklist else ()),
            *(self.set_name(r.name, v) for r in self.rules for v in (4, 6)),
        ]

    def ban_set_names(self) -> list[str]:
        """The sets that :func:`reconcile` manages: allow sets and jail sets (never the
        blocklist sets)."""
        return [name for name in self.set_names() if self.jail_of(name) is not None]

    def interval(self, jail: str, version: int) -> bool:
        """Whether that set holds networks (allow sets, v6 sets of jails banning prefixes)."""
        if jail == ALLOW_JAIL:
            return True
        rule = self.rule(jail)
        return version == 6 and rule is not None and rule.ipv6_prefix < 128

    def rule(self, jail: str) -> JailRule | None:
        return next((r for r in self.rules if r.name == jail), None)

    @staticmethod
    def jail_of(set_name: str) -> tuple[str, int] | None:
        """``("sshd", 4)`` for ``sshd_v4``; ``("", 6)`` for ``allow_v6``; None otherwise
        (``blocklist_v4`` and ``blocklist_v6`` included: they hold no bans)."""
        jail, sep, version = set_name.rpartition("_v")
        if not sep or version not in ("4", "6") or not JAIL_NAME.fullmatch(jail):
            return None
        if jail == _BLOCKLIST_PREFIX:
            return None
        return (ALLOW_JAIL if jail == _ALLOW_PREFIX else jail), int(version)


@dataclass(frozen=True, slots=True)
class Element:
    """One set element, wanted or found in the kernel. ``jail`` is :data:`ALLOW_JAIL`
    for the allow sets; ``expires`` is the absolute epoch time the kernel drops it
    (None: never)."""

    jail: str
    target: Network
    expires: float | None

    @property
    def key(self) -> tuple[str, Network]:
        return self.jail, self.target


@dataclass(frozen=True, slots=True)
class AddElement:
    """Make ``element`` present with exactly its expiry: created when missing,
    re-created when it exists (the kernel cannot change a timeout in place everywhere).
    The timeout given to the kernel is ``element.expires - now`` at apply time."""

    element: Element


@dataclass(frozen=True, slots=True)
class DeleteElement:
    """Make ``element`` absent (no error when it is already gone, e.g. expired)."""

    element: Element


BanOp = AddElement | DeleteElement


def _later(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else max(a, b)


def _index(elements: Iterable[Element], *, merge: bool) -> dict[tuple[str, Network], Element]:
    out: dict[tuple[str, Network], Element] = {}
    for element in elements:
        seen = out.get(element.key)
        if merge and seen is not None:
            expires = _later(seen.expires, element.expires)
            out[element.key] = Element(element.jail, element.target, expires)
        else:
            out[element.key] = element
    return out


def _close(wanted: float | None, actual: float | None, tolerance: float) -> bool:
    if wanted is None or actual is None:
        return wanted is actual
    return abs(wanted - actual) <= tolerance


def reconcile(
    wanted: Iterable[Element], actual: Iterable[Element], *, tolerance: float = 5.0
) -> list[BanOp]:
    """The operations that turn ``actual`` into ``wanted``.

    Adds what is missing, deletes what is not wanted, and re-creates (one
    :class:`AddElement`) what expires more than ``tolerance`` seconds away from the
    wanted time (or has a timeout where none is wanted, or the reverse). An element
    wanted twice keeps the later expiry. Never a flush; deletions come first, then
    additions, each in a stable order. Pure: no clock.
    """
    want = _index(wanted, merge=True)
    have = _index(actual, merge=False)
    deletes = [DeleteElement(e) for key, e in have.items() if key not in want]
    adds = [
        AddElement(e)
        for key, e in want.items()
        if key not in have or not _close(e.expires, have[key].expires, tolerance)
    ]
    return [*deletes, *adds]
