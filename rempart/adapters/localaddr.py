"""The machine's own addresses, read from /proc: rempart never bans itself.

A thin read (:func:`local_addresses`) and two pure parsers tested on literal text:
:func:`parse_fib_trie` (``/proc/net/fib_trie``: IPv4 addresses are the ``/32 host LOCAL``
leaves) and :func:`parse_if_inet6` (``/proc/net/if_inet6``: one IPv6 address per line,
as 32 hex digits). The proc root is an argument (tests use a fixture tree).
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from string import hexdigits

from rempart.addresses import Address

__all__ = ["local_addresses", "parse_fib_trie", "parse_if_inet6"]


def parse_fib_trie(text: str) -> set[Address]:
    """The local IPv4 addresses in a ``/proc/net/fib_trie`` text: each leaf ``|-- A.B.C.D``
    followed by a ``/32 host LOCAL`` line. Lines that do not fit are skipped."""
    found: set[Address] = set()
    leaf: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("|-- "):
            leaf = stripped[4:]
        elif stripped.startswith("/") and leaf is not None:
            words = stripped.split()
            if words[0] == "/32" and words[-1] == "LOCAL":
                try:
                    found.add(IPv4Address(leaf))
                except ValueError:
                    continue
        else:
            leaf = None
    return found


def parse_if_inet6(text: str) -> set[Address]:
    """The IPv6 addresses in a ``/proc/net/if_inet6`` text (``fe80…0001 02 40 20 80 eth0``:
    the address as 32 hex digits, then index, prefix, scope, flags and name)."""
    found: set[Address] = set()
    for line in text.splitlines():
        words = line.split()
        if words and len(words[0]) == 32 and all(c in hexdigits for c in words[0]):
            found.add(IPv6Address(int(words[0], 16)))
    return found


def local_addresses(proc: Path = Path("/proc")) -> frozenset[Address]:
    """The addresses of this machine's interfaces (of the network namespace ``proc``
    belongs to). A file that cannot be read (no IPv6, a restricted /proc) adds nothing."""
    return frozenset(
        parse_fib_trie(_read(proc / "net" / "fib_trie"))
        | parse_if_inet6(_read(proc / "net" / "if_inet6"))
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
