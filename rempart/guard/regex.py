"""fail2ban's regex tags, expanded to Python regular expressions.

=========================  ==========================================================
tag                        becomes
=========================  ==========================================================
``<HOST>``                 an IPv4 (optionally ``::ffff:``-prefixed) or IPv6 address
                           (optionally in ``[]``) in groups ``ip4``/``ip6``, or a host
                           name in group ``dns`` (kept raw: rempart never resolves it)
``<ADDR>``                 the same without the host name
``<IP4>``, ``<IP6>``,      one form each (groups ``ip4``, ``ip6``, ``dns``); also as
``<DNS>``                  ``<F-IP4/>``, ``<F-IP6/>``, ``<F-DNS/>``
``<CIDR>``, ``<SUBNET>``   a prefix length (group ``cidr``); an address with an optional
                           ``/cidr``
``<F-ID/>``, ``<F-PORT/>`` a failure id (``\\S+``, group ``fid``); a port (``\\w+``, group
                           ``fport``)
``<F-XXX>…</F-XXX>``       group ``xxx`` around the enclosed regex (``<F-ID>`` is ``fid``,
                           ``<F-PORT>`` is ``fport``): ``<F-USER>``, ``<F-ALT_USER>``,
                           ``<F-NOFAIL>``, ``<F-MLFID>``, ``<F-MLFGAINED>``,
                           ``<F-MLFFORGET>``, ``<F-CONTENT>``…
``<SKIPLINES>``            any number of whole lines (multi-line buffers), in group
                           ``skiplinesN``
=========================  ==========================================================

A closing tag that was never opened, and any other ``<word>``, are left as written.
Global flags inside a group, ``((?i)x)``, become local flags, ``(?i:x)``, as fail2ban
does (Python 3.11 refuses global flags that are not at the start).

Group names ``alt_NAME`` and ``alt_NAME_N`` give ``NAME`` a value when it has none;
``tuple_NAME`` and ``tuple_NAME_N`` are combined with ``NAME`` into a tuple
(:func:`merge_special_groups`).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "ADDR",
    "HOST",
    "ID_GROUPS",
    "IP4",
    "IP6",
    "expand_tags",
    "merge_special_groups",
    "special_groups",
]

IP4 = r"(?:\d{1,3}\.){3}\d{1,3}"
# fail2ban writes the last part as (?:hex{1,4}|(?<=:):); every repetition above ends
# with ':', so the look-behind always holds: plain ':' is the same language, and RE2 can
# compile it.
IP6 = r"(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|:)"
_IP4_GROUP = rf"(?:::f{{4,6}}:)?(?P<ip4>{IP4})"
_IP6_GROUP = rf"(?P<ip6>{IP6})"
_DNS_GROUP = r"(?P<dns>[\w\-.^_]*\w)"
_CIDR_GROUP = r"(?P<cidr>\d+)"
ADDR = rf"\[?(?:{_IP4_GROUP}|{_IP6_GROUP})\]?"
HOST = rf"(?:{ADDR}|{_DNS_GROUP})"
_SUBNET = rf"\[?(?:{_IP4_GROUP}|{_IP6_GROUP})(?:/{_CIDR_GROUP})?\]?"

_STATIC = {
    "HOST": HOST,
    "ADDR": ADDR,
    "F-ADDR/": ADDR,
    "IP4": _IP4_GROUP,
    "F-IP4/": _IP4_GROUP,
    "IP6": _IP6_GROUP,
    "F-IP6/": _IP6_GROUP,
    "DNS": _DNS_GROUP,
    "F-DNS/": _DNS_GROUP,
    "CIDR": _CIDR_GROUP,
    "F-CIDR/": _CIDR_GROUP,
    "SUBNET": _SUBNET,
    "F-SUBNET/": _SUBNET,
    "F-ID/": r"(?P<fid>\S+)",
    "F-PORT/": r"(?P<fport>\w+)",
}
_RENAMED = {"id": "fid", "port": "fport"}
_TAG = re.compile(r"</?[\w\-]+/?>")
_CUSTOM = re.compile(r"^(/?)F-([A-Z0-9_\-]+)$")
_GLOBAL_FLAGS = re.compile(r"(?<!\\)\((?:\?:)?(\(\?[a-z]+)\)")
_SPECIAL = re.compile(r"^(alt_|tuple_)(.*?)(?:_\d+)?$")

# the groups that identify a failure, in the order fail2ban tries them
ID_GROUPS = ("ip4", "ip6", "dns", "fid")


def group_name(tag: str) -> str:
    """The regex group of an ``F-`` tag name: ``USER`` -> ``user``, ``ID`` -> ``fid``."""
    lowered = tag.lower()
    return _RENAMED.get(lowered, lowered)


def expand_tags(regex: str, *, host_names: bool = True) -> str:
    """``regex`` with fail2ban's tags replaced (see the module documentation).

    ``host_names=False`` makes ``<HOST>`` match addresses only (fail2ban's ``usedns = no``).
    """
    opened: set[str] = set()
    skiplines = 0

    def replace(m: re.Match[str]) -> str:
        nonlocal skiplines
        tag = m.group()
        name = tag[1:-1]
        if name == "HOST" and not host_names:
            return ADDR
        if name == "SKIPLINES":
            skiplines += 1
            return rf"\n(?P<skiplines{skiplines - 1}>(?:(?:.*\n)*?))"
        static = _STATIC.get(name)
        if static is not None:
            return static
        custom = _CUSTOM.match(name)
        if custom is None:
            return tag
        closing, word = custom.groups()
        if closing:
            return ")" if word in opened else tag
        opened.add(word)
        return f"(?P<{group_name(word)}>"

    return _GLOBAL_FLAGS.sub(r"\1:", _TAG.sub(replace, regex))


def special_groups(
    names: list[str],
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """``(alternatives, tuples)``: ``(group, target)`` pairs of ``alt_``/``tuple_`` groups."""
    alternatives: list[tuple[str, str]] = []
    tuples: list[tuple[str, str]] = []
    for name in names:
        if len(name) <= len("alt_"):
            continue
        m = _SPECIAL.match(name)
        if m is None:
            continue
        pair = (name, group_name(m.group(2)))
        (alternatives if m.group(1) == "alt_" else tuples).append(pair)
    return tuple(sorted(alternatives)), tuple(sorted(tuples))


def merge_special_groups(
    groups: dict[str, Any],
    alternatives: tuple[tuple[str, str], ...],
    tuples: tuple[tuple[str, str], ...],
) -> dict[str, Any]:
    """Fill ``NAME`` from ``alt_NAME`` when empty; combine ``tuple_NAME`` values into ``NAME``."""
    for name, target in alternatives:
        value = groups.get(name)
        if value and not groups.get(target):
            groups[target] = value
    for name, target in tuples:
        value = groups.get(name)
        current = groups.get(target)
        groups[target] = (*current, value) if isinstance(current, tuple) else (current, value)
    return groups
