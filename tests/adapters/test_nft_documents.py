"""The nftables JSON rempart writes, and the parse of what nftables lists (literal JSON,
captured from nft 1.0.6 in a test namespace: tests/fixtures/nftables/)."""

from __future__ import annotations

import json
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest

from rempart.adapters.firewall import documents as doc
from rempart.adapters.firewall.runner import decode_output, nft_error
from rempart.errors import FirewallError
from rempart.guard.firewall import AddElement, DeleteElement, Element, FirewallLayout, JailRule

SSHD = JailRule("sshd", ((22, 22), (2200, 2222)), "tcp")
WEB = JailRule("web", None, "tcp+udp", 64)
LAYOUT = FirewallLayout((SSHD, WEB))
NOW = 1_000_000.0


def listing(fixtures: Path, name: str) -> list[Any]:
    return decode_output((fixtures / "nftables" / name).read_text(), "list")


def test_parse_elements_of_a_real_listing(fixtures: Path) -> None:
    elements = doc.parse_elements(listing(fixtures, "list-table.json"), "rempart", NOW)
    assert sorted(elements, key=str) == sorted(
        [
            Element("", ip_network("10.0.0.0/8"), None),
            Element("sshd", ip_network("192.0.2.1/32"), NOW + 575),
            Element("web", ip_network("2001:db8::/64"), NOW + 35),
            Element("web", ip_network("2001:db8:5::1/128"), None),
        ],
        key=str,
    )
    assert doc.parse_elements(listing(fixtures, "list-table.json"), "other", NOW) == []


def test_parse_state_of_a_terse_listing(fixtures: Path) -> None:
    state = doc.parse_state(listing(fixtures, "list-table-terse.json"), "rempart")
    assert state.sets["web_v6"] == doc.SetSpec("ipv6_addr", ("interval", "timeout"))
    assert state.sets["sshd_v4"] == doc.SetSpec("ipv4_addr", ("timeout",))
    assert state.chains == {
        "input": doc.ChainSpec("filter", "input", -10, "accept"),
        "forward": doc.ChainSpec("filter", "forward", -10, "accept"),
    }


def test_setup_from_nothing_creates_everything() -> None:
    cmds = doc.setup_commands(LAYOUT, None)
    assert cmds[0] == {"add": {"table": {"family": "inet", "name": "rempart"}}}
    verbs = [(verb, next(iter(body))) for c in cmds for verb, body in c.items()]
    assert ("flush", "chain") not in verbs
    assert ("delete", "set") not in verbs
    sets = {c["add"]["set"]["name"]: c["add"]["set"] for c in cmds if "set" in c.get("add", {})}
    assert sets.keys() == {"allow_v4", "allow_v6", "sshd_v4", "sshd_v6", "web_v4", "web_v6"}
    assert sets["web_v6"]["flags"] == ["interval", "timeout"]
    assert sets["web_v4"]["flags"] == ["timeout"]
    assert sets["allow_v4"]["flags"] == ["interval", "timeout"]
    chains = [c["add"]["chain"] for c in cmds if "chain" in c.get("add", {})]
    assert [(c["name"], c["hook"], c["prio"], c["policy"]) for c in chains] == [
        ("input", "input", -10, "accept"),
        ("forward", "forward", -10, "accept"),
    ]
    rules = [c["add"]["rule"] for c in cmds if "rule" in c.get("add", {})]
    assert len(rules) == 2 * (2 + 4)
    assert rules[0]["expr"][-1] == {"return": None}
    assert rules[0]["expr"][0]["match"]["right"] == "@allow_v4"


def test_setup_over_an_existing_table_keeps_sets_and_flushes_chains(fixtures: Path) -> None:
    state = doc.parse_state(listing(fixtures, "list-table-terse.json"), "rempart")
    cmds = doc.setup_commands(LAYOUT, state)
    flushed = [c["flush"]["chain"]["name"] for c in cmds if "flush" in c]
    assert flushed == ["input", "forward"]
    assert not [c for c in cmds if "delete" in c]
    # a layout without "web" and with sshd banning /64: web's sets go, sshd_v6 is re-created
    changed = FirewallLayout((JailRule("sshd", ((22, 22),), "tcp", 64),))
    cmds = doc.setup_commands(changed, state)
    deleted = [c["delete"]["set"]["name"] for c in cmds if "delete" in c]
    assert deleted == ["sshd_v6", "web_v4", "web_v6"]
    first_delete = next(i for i, c in enumerate(cmds) if "delete" in c)
    last_flush = max(i for i, c in enumerate(cmds) if "flush" in c)
    assert last_flush < first_delete  # rules that use a set are gone before the set


def test_rule_text_for_input_and_forward() -> None:
    input_rule = doc.rule_expressions(SSHD, "sshd_v4", 4, "input")
    forward_rule = doc.rule_expressions(SSHD, "sshd_v6", 6, "forward")
    ports = {"set": [22, {"range": [2200, 2222]}]}
    assert input_rule == [
        {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                   "right": "@sshd_v4"}},
        {"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "tcp"}},
        {"match": {"op": "==", "left": {"payload": {"protocol": "th", "field": "dport"}},
                   "right": ports}},
        {"counter": None},
        {"drop": None},
    ]  # fmt: skip
    assert forward_rule[0]["match"]["left"]["payload"]["protocol"] == "ip6"
    assert forward_rule[2]["match"]["left"] == {"ct": {"key": "proto-dst", "dir": "original"}}
    web = doc.rule_expressions(WEB, "web_v4", 4, "forward")
    assert web[1]["match"]["right"] == {"set": ["tcp", "udp"]}
    assert len(web) == 4  # no port match: every port of those protocols
    single = doc.rule_expressions(JailRule("x", ((25, 25),), "tcp"), "x_v4", 4, "input")
    assert single[2]["match"]["right"] == 25


def test_apply_uses_the_portable_re_add_idiom() -> None:
    ops = [
        AddElement(Element("sshd", ip_network("192.0.2.1/32"), NOW + 600.4)),
        DeleteElement(Element("sshd", ip_network("192.0.2.2/32"), None)),
        AddElement(Element("web", ip_network("2001:db8::/64"), NOW + 0.2)),
        AddElement(Element("", ip_network("10.0.0.0/8"), None)),
    ]
    cmds = doc.apply_commands(LAYOUT, ops, NOW)
    assert cmds[:3] == [
        {"add": {"element": {"family": "inet", "table": "rempart", "name": "sshd_v4",
                             "elem": ["192.0.2.1", "192.0.2.2"]}}},
        {"delete": {"element": {"family": "inet", "table": "rempart", "name": "sshd_v4",
                                "elem": ["192.0.2.1", "192.0.2.2"]}}},
        {"add": {"element": {"family": "inet", "table": "rempart", "name": "sshd_v4",
                             "elem": [{"elem": {"val": "192.0.2.1", "timeout": 600}}]}}},
    ]  # fmt: skip
    web = cmds[5]["add"]["element"]
    assert web["name"] == "web_v6"
    assert web["elem"] == [
        {"elem": {"val": {"prefix": {"addr": "2001:db8::", "len": 64}}, "timeout": 1}}
    ]
    assert cmds[8]["add"]["element"]["elem"] == [{"prefix": {"addr": "10.0.0.0", "len": 8}}]
    # the last op on an element wins; a delete-only set has no third command
    again = doc.apply_commands(LAYOUT, [ops[0], DeleteElement(ops[0].element)], NOW)
    assert len(again) == 2
    assert json.dumps(again)


def test_a_network_in_an_address_set_is_refused() -> None:
    with pytest.raises(ValueError, match="sshd_v6"):
        doc.apply_commands(
            LAYOUT, [AddElement(Element("sshd", ip_network("2001:db8::/64"), None))], NOW
        )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Error: Could not process rule: Operation not permitted", "firewall.permission"),
        (
            "netlink: Error: cache initialization failed: Protocol not supported",
            "firewall.unsupported",
        ),
        (
            "Error: Could not process rule: No such file or directory\nadd element",
            "firewall.refused",
        ),
    ],
)
def test_nft_errors_are_translated(text: str, key: str) -> None:
    error = nft_error("add", text)
    assert isinstance(error, FirewallError)
    assert error.key == key
    assert "Fix" in str(error)
    assert "Correction" in error.render("fr")
    assert text.rsplit(maxsplit=1)[-1] in str(error)  # nftables' own words are kept


def test_output_that_is_not_json_is_an_error() -> None:
    assert decode_output("", "list") == []
    with pytest.raises(FirewallError, match="not understood"):
        decode_output("{nope", "list")
    with pytest.raises(FirewallError, match="not understood"):
        decode_output('{"nftables": 3}', "list")


def test_the_blocklist_batch_is_one_text_transaction_of_addresses_only() -> None:
    from rempart.guard.blocklist import AddressList

    on = FirewallLayout((SSHD,), blocklist=True)
    v4 = AddressList.of(4, [ip_network("198.51.100.7").network_address, 0x2D000001])
    text = doc.blocklist_batch(on, v4, AddressList(6))
    assert text == (
        "flush set inet rempart blocklist_v4\n"
        "flush set inet rempart blocklist_v6\n"
        "add element inet rempart blocklist_v4 { 45.0.0.1, 198.51.100.7 }\n"
    )
    with pytest.raises(ValueError, match="no blocklist"):
        doc.blocklist_batch(FirewallLayout((SSHD,)), v4, AddressList(6))
    with pytest.raises(ValueError, match="IPv4"):
        doc.blocklist_batch(on, AddressList(6), AddressList(6))


def test_setup_with_the_blocklist_orders_allow_blocklist_jails() -> None:
    on = FirewallLayout((SSHD,), blocklist=True)
    cmds = doc.setup_commands(on, None)
    sets = {c["add"]["set"]["name"]: c["add"]["set"] for c in cmds if "set" in c.get("add", {})}
    assert sets["blocklist_v4"] == {
        "family": "inet",
        "table": "rempart",
        "name": "blocklist_v4",
        "type": "ipv4_addr",
    }
    assert sets["blocklist_v6"]["type"] == "ipv6_addr"
    for chain in doc.CHAINS:
        rules = [
            c["add"]["rule"] for c in cmds if c.get("add", {}).get("rule", {}).get("chain") == chain
        ]
        first = [r["expr"][0]["match"]["right"] for r in rules]
        assert first == [
            "@allow_v4",
            "@allow_v6",
            "@blocklist_v4",
            "@blocklist_v6",
            "@sshd_v4",
            "@sshd_v6",
        ]
        assert rules[2]["expr"][1:] == [{"counter": None}, {"drop": None}]
    # a table that holds the blocklist sets: kept as they are (their elements stay)
    state = doc.TableState(
        {
            "blocklist_v4": doc.SetSpec("ipv4_addr", ()),
            "blocklist_v6": doc.SetSpec("ipv6_addr", ()),
        },
        {},
    )
    assert not [c for c in doc.setup_commands(on, state) if "delete" in c]
    gone = [
        c["delete"]["set"]["name"]
        for c in doc.setup_commands(FirewallLayout((SSHD,)), state)
        if "delete" in c
    ]
    assert gone == ["blocklist_v4", "blocklist_v6"]
