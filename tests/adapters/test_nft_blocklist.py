"""The blocklist sets in real nftables, inside a test network namespace only.

What is checked: the sets and rules a blocklist layout makes (allow ``return`` first,
then the blocklist drops, then the jails, in ``input`` and ``forward``); one transaction
replaces the content exactly, idempotently and atomically (a failing batch leaves the
old content); jail and allow sets are never touched; and nothing rempart runs for
``setup``, ``check`` or ``elements`` ever lists the blocklist sets or a whole table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from ipaddress import IPv4Address, IPv6Address, ip_network
from typing import Any

import pytest

from rempart.adapters.firewall import DryRunFirewall, NftablesFirewall, NftRunner
from rempart.errors import FirewallError
from rempart.guard.blocklist import AddressList
from rempart.guard.firewall import AddElement, Element, FirewallLayout, JailRule, reconcile
from tests.adapters.nft import RUNNERS, runner_in
from tests.netns import Namespace, namespace

pytestmark = pytest.mark.system

SSHD = JailRule("sshd", ((22, 22),), "tcp")
LAYOUT = FirewallLayout((SSHD,), blocklist=True)
BASE4 = int(IPv4Address("45.0.0.0"))
BASE6 = int(IPv6Address("2a0c:1::"))


class Spy:
    """A runner that records every command it is given (and runs it)."""

    def __init__(self, runner: NftRunner) -> None:
        self.runner = runner
        self.commands: list[dict[str, Any]] = []
        self.texts: list[str] = []

    @property
    def detail(self) -> str:
        return self.runner.detail

    def run(self, commands: Sequence[dict[str, Any]], *, terse: bool = False) -> list[Any]:
        self.commands += [{**c, "terse": terse} for c in commands]
        return self.runner.run(commands, terse=terse)

    def run_text(self, text: str) -> None:
        self.texts.append(text)
        self.runner.run_text(text)

    def close(self) -> None:
        self.runner.close()


@pytest.fixture(scope="module")
def ns() -> Iterator[Namespace]:
    with namespace("nftbl") as ns:
        yield ns


@pytest.fixture(params=RUNNERS)
def spy(request: pytest.FixtureRequest, ns: Namespace) -> Iterator[Spy]:
    ns.run("nft", "flush", "ruleset")
    spy = Spy(runner_in(ns, request.param))
    yield spy
    spy.close()


@pytest.fixture
def firewall(spy: Spy) -> NftablesFirewall:
    return NftablesFirewall(spy)


def v4(*offsets: int) -> AddressList:
    return AddressList.of(4, (BASE4 + n for n in offsets))


def v6(*offsets: int) -> AddressList:
    return AddressList.of(6, (BASE6 + n for n in offsets))


def kernel_set(ns: Namespace, name: str) -> set[str]:
    out = ns.run("nft", "-j", "list", "set", "inet", "rempart", name).stdout
    (body,) = [i["set"] for i in json.loads(out)["nftables"] if "set" in i]
    return {str(e) for e in body.get("elem", ())}


def test_setup_makes_the_sets_and_puts_the_drops_after_allow_before_jails(
    firewall: NftablesFirewall, ns: Namespace
) -> None:
    firewall.setup(LAYOUT)
    text = ns.run("nft", "list", "ruleset").stdout
    assert "set blocklist_v4 {\n\t\ttype ipv4_addr\n\t}" in text
    assert "set blocklist_v6 {\n\t\ttype ipv6_addr\n\t}" in text
    for chain in ("input", "forward"):
        rules = ns.run("nft", "list", "chain", "inet", "rempart", chain).stdout
        order = [
            rules.index("ip saddr @allow_v4 return"),
            rules.index("ip6 saddr @allow_v6 return"),
            rules.index("ip saddr @blocklist_v4 counter packets 0 bytes 0 drop"),
            rules.index("ip6 saddr @blocklist_v6 counter packets 0 bytes 0 drop"),
            rules.index("ip saddr @sshd_v4"),
        ]
        assert order == sorted(order), rules


def test_replace_is_exact_idempotent_and_leaves_the_bans_alone(
    firewall: NftablesFirewall, ns: Namespace
) -> None:
    firewall.setup(LAYOUT)
    now = time.time()
    bans = [
        Element("sshd", ip_network(f"{IPv4Address(BASE4 + 1)}/32"), now + 600),
        Element("", ip_network("203.0.113.0/24"), None),
    ]
    firewall.apply([AddElement(e) for e in bans], now)
    firewall.replace_blocklist(v4(1, 2, 3), v6(1, 2))
    assert kernel_set(ns, "blocklist_v4") == {str(IPv4Address(BASE4 + n)) for n in (1, 2, 3)}
    assert kernel_set(ns, "blocklist_v6") == {str(IPv6Address(BASE6 + n)) for n in (1, 2)}
    assert firewall.blocklist_size() == (3, 2)
    # the same again, then a different list: exactly the new content
    firewall.replace_blocklist(v4(1, 2, 3), v6(1, 2))
    assert len(kernel_set(ns, "blocklist_v4")) == 3
    firewall.replace_blocklist(v4(3, 4), AddressList(6))
    assert kernel_set(ns, "blocklist_v4") == {str(IPv4Address(BASE4 + n)) for n in (3, 4)}
    assert kernel_set(ns, "blocklist_v6") == set()
    assert firewall.blocklist_size() == (2, 0)
    # the bans are where they were; the blocklist never shows up in elements()
    assert reconcile(bans, firewall.elements(time.time())) == []
    assert {e.jail for e in firewall.elements(time.time())} == {"sshd", ""}
    # setup again keeps the blocklist content
    firewall.setup(LAYOUT)
    assert len(kernel_set(ns, "blocklist_v4")) == 2


def test_a_large_list_in_one_transaction(firewall: NftablesFirewall, ns: Namespace) -> None:
    firewall.setup(LAYOUT)
    firewall.replace_blocklist(v4(*range(0, 120_000, 2)), v6(*range(20_000)))
    firewall.replace_blocklist(v4(*range(1, 120_000, 2)), v6(*range(10_000, 30_000)))
    got = kernel_set(ns, "blocklist_v4")
    assert len(got) == 60_000  # the kernel caps nothing (a set without `size`)
    assert str(IPv4Address(BASE4 + 1)) in got
    assert str(IPv4Address(BASE4)) not in got
    assert len(kernel_set(ns, "blocklist_v6")) == 20_000


def test_a_failing_batch_keeps_the_old_content(firewall: NftablesFirewall, ns: Namespace) -> None:
    firewall.setup(LAYOUT)
    firewall.replace_blocklist(v4(1, 2), v6(1))
    # someone removed the v6 set: the batch fails on it, after flushing v4 -> nothing applies
    ns.run("nft", "delete", "rule", "inet", "rempart", "input", "handle", _handle(ns, "input"))
    ns.run("nft", "delete", "rule", "inet", "rempart", "forward", "handle", _handle(ns, "forward"))
    ns.run("nft", "delete", "set", "inet", "rempart", "blocklist_v6")
    with pytest.raises(FirewallError, match="No such file or directory"):
        firewall.replace_blocklist(v4(7, 8, 9), v6(7))
    assert kernel_set(ns, "blocklist_v4") == {str(IPv4Address(BASE4 + n)) for n in (1, 2)}
    assert firewall.blocklist_size() == (2, 1)
    firewall.setup(LAYOUT)  # puts the set and its rules back
    firewall.replace_blocklist(v4(7), v6(7))
    assert firewall.blocklist_size() == (1, 1)


def _handle(ns: Namespace, chain: str) -> str:
    out = ns.run("nft", "-a", "list", "chain", "inet", "rempart", chain).stdout
    line = next(x for x in out.splitlines() if "@blocklist_v6" in x)
    return line.rsplit("# handle ", 1)[1].strip()


def test_nothing_lists_the_blocklist_or_a_whole_table(firewall: NftablesFirewall, spy: Spy) -> None:
    firewall.check()
    firewall.setup(LAYOUT)
    firewall.replace_blocklist(v4(*range(1000)), v6(1))
    firewall.apply([AddElement(Element("sshd", ip_network("192.0.2.1/32"), None))], 0.0)
    assert [e.jail for e in firewall.elements(time.time())] == ["sshd"]
    firewall.setup(LAYOUT)
    lists = [c["list"] for c in spy.commands if "list" in c]
    assert lists
    for listing in lists:
        (kind,) = listing
        assert kind in ("sets", "chains", "set"), listing
        if kind == "sets":
            assert spy.commands[[c.get("list") for c in spy.commands].index(listing)]["terse"]
        if kind == "set":
            assert not listing["set"]["name"].startswith("blocklist")
    assert len(spy.texts) == 1


def test_turning_the_blocklist_off_removes_its_sets_and_rules(
    firewall: NftablesFirewall, ns: Namespace
) -> None:
    firewall.setup(LAYOUT)
    firewall.replace_blocklist(v4(1), v6(1))
    firewall.setup(FirewallLayout((SSHD,)))
    assert "blocklist" not in ns.run("nft", "list", "ruleset").stdout
    assert firewall.blocklist_size() == (0, 0)
    with pytest.raises(FirewallError, match=r"no blocklist sets.*Fix: enable"):
        firewall.replace_blocklist(v4(1), v6(1))


def test_dry_run_remembers_the_sizes(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from rempart.clock import FrozenClock

    dry = DryRunFirewall(logging.getLogger("test.dry"), FrozenClock(0.0))
    with pytest.raises(FirewallError, match="no blocklist sets"):
        dry.replace_blocklist(v4(1), v6())
    dry.setup(LAYOUT)
    with caplog.at_level(logging.INFO, logger="test.dry"):
        dry.replace_blocklist(v4(1, 2), v6(5))
    assert dry.blocklist_size() == (2, 1)
    assert dry.blocklist() == (v4(1, 2), v6(5))
    assert "blocklist_v4 and blocklist_v6 with 2 and 1 addresses" in caplog.text
    assert dry.elements(0.0) == []
    dry.setup(FirewallLayout((SSHD,)))
    assert dry.blocklist_size() == (0, 0)
