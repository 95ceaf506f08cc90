"""nftables JSON commands for a layout and for ban operations, and the parse of listings.

Pure functions over values: no I/O. One list of commands is one transaction (the
runner sends it as one ``{"nftables": [...]}`` document).

The table (family ``inet``) holds, per jail ``J``, the sets ``J_v4`` (IPv4 addresses)
and ``J_v6`` (IPv6 addresses, or networks when the jail bans a prefix shorter than
/128: ``interval`` flag), every set with ``flags timeout``; plus ``allow_v4`` and
``allow_v6`` (``interval``: they may hold networks). Two base chains of type filter at
priority ``filter - 10`` (-10), policy accept:

- ``input``: ``ip saddr @allow_v4 return`` (and v6) first; then, when the layout has
  the AbuseIPDB blocklist, ``ip saddr @blocklist_v4 counter drop`` (and v6: every port,
  every protocol); then per jail
  ``ip saddr @J_v4 meta l4proto tcp th dport {22, 2200-2222} counter drop``;
- ``forward``: the same, but matching the port the client asked for,
  ``ct original proto-dst {…}``, so that a port a container publishes through DNAT is
  covered (after DNAT ``th dport`` is the container's port).

The blocklist sets (``blocklist_v4``, ``blocklist_v6``: no flags, no ``size``, so the
kernel caps nothing) are filled by :func:`blocklist_batch`, an nft *text* batch: on
500,000 addresses, libnftables parses it in the same time as the JSON form with 15 %
less memory (bench/README.md). Listing them costs seconds (nft fetches every element),
so nothing here lists them: :func:`list_sets` is terse (no elements) and
:func:`list_set` names one set.

Setting an element's timeout portably: ``add`` it (no-op when present), ``delete`` it,
``add`` it with its timeout, all in one transaction. Debian 12's 6.1 kernel does not
update the timeout of an element that is added again; deleting an element that is gone
(expired) would abort the whole transaction, which the first ``add`` prevents.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any

from rempart.addresses import Network
from rempart.guard.blocklist import AddressList
from rempart.guard.firewall import (
    AddElement,
    BanOp,
    Element,
    FirewallLayout,
    JailRule,
)

__all__ = [
    "CHAINS",
    "PRIORITY",
    "ChainSpec",
    "SetSpec",
    "TableState",
    "apply_commands",
    "blocklist_batch",
    "element_value",
    "list_chains",
    "list_set",
    "list_sets",
    "parse_elements",
    "parse_set_names",
    "parse_state",
    "rule_expressions",
    "setup_commands",
    "timeout_of",
]

FAMILY = "inet"
PRIORITY = -10  # filter - 10: after conntrack and DNAT (-100), before the usual filter (0)
CHAINS = ("input", "forward")

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SetSpec:
    """What a set is made of: its key type and its flags (sorted)."""

    type: str
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChainSpec:
    """A base chain's type, hook, priority and policy."""

    type: str
    hook: str
    prio: int
    policy: str


@dataclass(frozen=True, slots=True)
class TableState:
    """What a terse listing of our table shows: its sets and its chains."""

    sets: Mapping[str, SetSpec]
    chains: Mapping[str, ChainSpec | None]  # None: not a base chain


def _set_spec(layout: FirewallLayout, jail: str, version: int) -> SetSpec:
    flags = ("interval", "timeout") if layout.interval(jail, version) else ("timeout",)
    return SetSpec("ipv4_addr" if version == 4 else "ipv6_addr", flags)


def _wanted_sets(layout: FirewallLayout) -> dict[str, SetSpec]:
    out = {}
    for name in layout.set_names():
        parsed = FirewallLayout.jail_of(name)
        if parsed is None:  # a blocklist set: plain addresses, never expiring
            out[name] = SetSpec("ipv4_addr" if name.endswith("4") else "ipv6_addr", ())
        else:
            out[name] = _set_spec(layout, *parsed)
    return out


def _chain_spec(hook: str) -> ChainSpec:
    return ChainSpec("filter", hook, PRIORITY, "accept")


def _match(left: Json, right: Any) -> Json:
    return {"match": {"op": "==", "left": left, "right": right}}


def _saddr(version: int) -> Json:
    return {"payload": {"protocol": "ip" if version == 4 else "ip6", "field": "saddr"}}


def _ports(ports: tuple[tuple[int, int], ...]) -> Any:
    values: list[Any] = [a if a == b else {"range": [a, b]} for a, b in ports]
    if len(values) == 1 and isinstance(values[0], int):
        return values[0]
    return {"set": values}


def rule_expressions(rule: JailRule, set_name: str, version: int, chain: str) -> list[Json]:
    """The expressions of one jail's drop rule for one address family in ``chain``."""
    protocols = rule.protocols
    exprs = [
        _match(_saddr(version), "@" + set_name),
        _match(
            {"meta": {"key": "l4proto"}},
            protocols[0] if len(protocols) == 1 else {"set": list(protocols)},
        ),
    ]
    if rule.ports:
        port: Json = (
            {"payload": {"protocol": "th", "field": "dport"}}
            if chain == "input"
            else {"ct": {"key": "proto-dst", "dir": "original"}}
        )
        exprs.append(_match(port, _ports(rule.ports)))
    return [*exprs, {"counter": None}, {"drop": None}]


def _rules(layout: FirewallLayout, chain: str) -> list[Json]:
    base = {"family": FAMILY, "table": layout.table, "chain": chain}
    rules = [
        {**base, "expr": [_match(_saddr(v), "@" + name), {"return": None}]}
        for v, name in zip((4, 6), layout.allow_sets, strict=True)
    ]
    if layout.blocklist:
        rules += [
            {**base, "expr": [_match(_saddr(v), "@" + name), {"counter": None}, {"drop": None}]}
            for v, name in zip((4, 6), layout.blocklist_sets, strict=True)
        ]
    for rule in layout.rules:
        for version in (4, 6):
            name = layout.set_name(rule.name, version)
            rules.append({**base, "expr": rule_expressions(rule, name, version, chain)})
    return [{"add": {"rule": r}} for r in rules]


def setup_commands(layout: FirewallLayout, state: TableState | None) -> list[Json]:
    """One transaction that makes the table match ``layout``, given what exists.

    Creates what is missing and keeps the elements of existing sets; re-creates a set
    only when its type or flags must change (its elements are then lost, and the next
    reconcile puts them back); deletes sets and chains the layout does not name; rewrites
    our chains' rules (``flush chain`` then the rules, atomically).
    """
    table = layout.table
    state = state or TableState({}, {})
    wanted_sets = _wanted_sets(layout)
    wanted_chains = {name: _chain_spec(name) for name in CHAINS}
    cmds: list[Json] = [{"add": {"table": {"family": FAMILY, "name": table}}}]
    for name in state.chains:
        cmds.append({"flush": {"chain": {"family": FAMILY, "table": table, "name": name}}})
    for name, chain_spec in state.chains.items():
        if wanted_chains.get(name) != chain_spec:
            cmds.append({"delete": {"chain": {"family": FAMILY, "table": table, "name": name}}})
    for name, set_spec in state.sets.items():
        if wanted_sets.get(name) != set_spec:
            cmds.append({"delete": {"set": {"family": FAMILY, "table": table, "name": name}}})
    for name, spec in wanted_sets.items():
        body: Json = {"family": FAMILY, "table": table, "name": name, "type": spec.type}
        if spec.flags:
            body["flags"] = list(spec.flags)
        cmds.append({"add": {"set": body}})
    for name, c in wanted_chains.items():
        body = {"family": FAMILY, "table": table, "name": name}
        spec_json = {"type": c.type, "hook": c.hook, "prio": c.prio, "policy": c.policy}
        cmds.append({"add": {"chain": {**body, **spec_json}}})
    for name in CHAINS:
        cmds.extend(_rules(layout, name))
    return cmds


def element_value(target: Network) -> Any:
    """An element's key in nftables JSON: the address, or a prefix for a network."""
    if target.prefixlen == target.max_prefixlen:
        return str(target.network_address)
    return {"prefix": {"addr": str(target.network_address), "len": target.prefixlen}}


def timeout_of(element: Element, now: float) -> int | None:
    """Seconds left for the kernel (at least 1), or None for an element that never expires."""
    if element.expires is None:
        return None
    return max(1, round(element.expires - now))


def apply_commands(layout: FirewallLayout, ops: Sequence[BanOp], now: float) -> list[Json]:
    """One transaction carrying out ``ops`` (the last op on an element wins).

    Per set: ``add`` every element touched (a placeholder, so that the ``delete`` cannot
    fail on an element that expired), ``delete`` them all, then ``add`` the wanted ones
    with their timeouts. A network in a set without the ``interval`` flag raises
    ValueError (the kernel would refuse the whole batch).
    """
    last: dict[str, dict[Network, BanOp]] = {}
    for op in ops:
        element = op.element
        name = layout.set_name(element.jail, element.target.version)
        if element.target.prefixlen != element.target.max_prefixlen and not layout.interval(
            element.jail, element.target.version
        ):
            raise ValueError(f"{element.target} is a network, and set {name} holds addresses")
        last.setdefault(name, {})[element.target] = op
    cmds: list[Json] = []
    for name, by_target in last.items():
        base = {"family": FAMILY, "table": layout.table, "name": name}
        every = [element_value(t) for t in by_target]
        cmds.append({"add": {"element": {**base, "elem": every}}})
        cmds.append({"delete": {"element": {**base, "elem": every}}})
        adds = [_timed(op.element, now) for op in by_target.values() if isinstance(op, AddElement)]
        if adds:
            cmds.append({"add": {"element": {**base, "elem": adds}}})
    return cmds


def _timed(element: Element, now: float) -> Any:
    value = element_value(element.target)
    timeout = timeout_of(element, now)
    return value if timeout is None else {"elem": {"val": value, "timeout": timeout}}


def blocklist_batch(layout: FirewallLayout, v4: AddressList, v6: AddressList) -> str:
    """One nft text transaction that empties both blocklist sets and fills them with
    ``v4`` and ``v6``: the kernel swaps the content at commit, never showing an empty set.

    Addresses are rendered from their packed bytes (``inet_ntop``): nothing but
    addresses can reach the text. Raises ValueError when the layout has no blocklist.
    """
    if not layout.blocklist:
        raise ValueError("the layout has no blocklist sets")
    if v4.version != 4 or v6.version != 6:
        raise ValueError("v4 must hold IPv4 and v6 IPv6 addresses")
    parts: list[str] = []
    names = layout.blocklist_sets
    for name in names:
        parts.append(f"flush set {FAMILY} {layout.table} {name}\n")
    for name, addresses in zip(names, (v4, v6), strict=True):
        if not len(addresses):
            continue
        parts.append(f"add element {FAMILY} {layout.table} {name} {{ ")
        texts = addresses.texts()
        # joined 8,192 at a time: never 500,000 little strings alive at once (30 MB)
        while chunk := ", ".join(itertools.islice(texts, 8192)):
            parts += (chunk, ", ")
        parts[-1] = " }\n"
    return "".join(parts)


def list_sets() -> list[Json]:
    """Every ``inet`` set; run it terse (nft then fetches no elements: 0.00 s instead of
    5 s with a 500,000-address blocklist)."""
    return [{"list": {"sets": {"family": FAMILY}}}]


def list_chains() -> list[Json]:
    """Every ``inet`` chain, without rules' set contents (cheap)."""
    return [{"list": {"chains": {"family": FAMILY}}}]


def list_set(table: str, name: str) -> list[Json]:
    """One set with its elements. One per call: nft 1.0.6 fetches the elements of the
    last ``list set`` of a batch only, and fails the others."""
    return [{"list": {"set": {"family": FAMILY, "table": table, "name": name}}}]


def _objects(output: Iterable[Json], kind: str, table: str) -> Iterable[Json]:
    for item in output:
        body = item.get(kind) if isinstance(item, dict) else None
        if isinstance(body, dict) and body.get("family") == FAMILY and body.get("table") == table:
            yield body


def parse_set_names(output: Iterable[Json], table: str) -> list[str]:
    """The names of ``table``'s sets in a ``list sets`` output."""
    return [str(s["name"]) for s in _objects(output, "set", table)]


def parse_state(output: Iterable[Json], table: str) -> TableState:
    """Sets and chains of ``table`` from a (terse) ``list table`` output, or from the
    outputs of :func:`list_sets` (terse) and :func:`list_chains` put together."""
    items = list(output)
    sets = {
        str(s["name"]): SetSpec(str(s["type"]), tuple(sorted(s.get("flags", ()))))
        for s in _objects(items, "set", table)
    }
    chains = {
        str(c["name"]): (
            ChainSpec(str(c["type"]), str(c["hook"]), int(c["prio"]), str(c["policy"]))
            if "hook" in c
            else None
        )
        for c in _objects(items, "chain", table)
    }
    return TableState(sets, chains)


def _target(value: Any) -> Network | None:
    if isinstance(value, str):
        address = ip_address(value)
        return IPv4Network(address) if address.version == 4 else IPv6Network(address)
    if isinstance(value, dict) and isinstance(value.get("prefix"), dict):
        prefix = value["prefix"]
        cls = IPv6Network if ":" in str(prefix["addr"]) else IPv4Network
        return cls((str(prefix["addr"]), int(prefix["len"])))
    return None  # a range that is not a prefix: never written by rempart


def _element(jail: str, item: Any, now: float) -> Element | None:
    if isinstance(item, dict) and isinstance(item.get("elem"), dict):
        body = item["elem"]
        target = _target(body.get("val"))
        expires = body.get("expires")
        when = now + float(expires) if expires is not None else None
        if expires is None and body.get("timeout") is not None:
            when = now  # timed out, not yet collected
        return Element(jail, target, when) if target is not None else None
    target = _target(item)
    return Element(jail, target, None) if target is not None else None


def parse_elements(output: Iterable[Json], table: str, now: float) -> list[Element]:
    """The elements of rempart's ban sets (``J_v4``, ``J_v6``, ``allow_v4``, ``allow_v6``;
    never the blocklist sets) in a ``list table`` or ``list set`` output; ``expires`` is
    ``now`` plus what the kernel has left.

    Raises ValueError or KeyError on output that is not nftables' JSON."""
    out: list[Element] = []
    for body in _objects(output, "set", table):
        parsed = FirewallLayout.jail_of(str(body["name"]))
        if parsed is None:
            continue
        for item in body.get("elem", ()):
            element = _element(parsed[0], item, now)
            if element is not None:
                out.append(element)
    return out
