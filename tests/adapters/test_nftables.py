"""The nftables backend against real nftables, inside test network namespaces only."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from ipaddress import IPv4Network, ip_network
from pathlib import Path

import pytest

from rempart.adapters.firewall import (
    DryRunFirewall,
    LibNftables,
    NftablesFirewall,
    NftCommand,
    open_firewall,
)
from rempart.adapters.firewall.libnftables import verify_netns
from rempart.errors import FirewallError
from rempart.guard.firewall import (
    AddElement,
    DeleteElement,
    Element,
    FirewallLayout,
    JailRule,
    reconcile,
)
from tests.adapters.nft import RUNNERS, need_libnftables, netns_path, runner_in
from tests.conftest import need_program
from tests.netns import Namespace, namespace

pytestmark = pytest.mark.system

SSHD = JailRule("sshd", ((22, 22), (2200, 2222)), "tcp")
WEB = JailRule("web", None, "tcp+udp", 64)
LAYOUT = FirewallLayout((SSHD, WEB))


@pytest.fixture(scope="module")
def ns() -> Iterator[Namespace]:
    with namespace("nft") as ns:
        yield ns


@pytest.fixture(params=RUNNERS)
def firewall(request: pytest.FixtureRequest, ns: Namespace) -> Iterator[NftablesFirewall]:
    ns.run("nft", "flush", "ruleset")
    fw = NftablesFirewall(runner_in(ns, request.param))
    yield fw
    fw.close()


def el(target: str, expires: float | None, jail: str = "sshd") -> Element:
    return Element(jail, ip_network(target), expires)


def ruleset(ns: Namespace) -> str:
    return ns.run("nft", "list", "ruleset").stdout


def test_check_and_setup_are_idempotent(firewall: NftablesFirewall, ns: Namespace) -> None:
    firewall.check()
    firewall.setup(LAYOUT)
    first = ruleset(ns)
    firewall.setup(LAYOUT)
    assert ruleset(ns) == first
    assert "type filter hook input priority filter - 10; policy accept;" in first
    assert "type filter hook forward priority filter - 10; policy accept;" in first
    assert "ip saddr @sshd_v4 tcp dport { 22, 2200-2222 } counter" in first
    assert "ct original proto-dst" in first
    assert "set web_v6 {\n\t\ttype ipv6_addr\n\t\tflags interval,timeout\n" in first
    assert firewall.elements(time.time()) == []


def test_a_ruleset_emptied_by_someone_is_reported(
    firewall: NftablesFirewall, ns: Namespace
) -> None:
    assert firewall.elements(time.time()) == []  # nothing set up yet: nothing missing
    firewall.setup(LAYOUT)
    ns.run("nft", "flush", "ruleset")
    with pytest.raises(FirewallError) as caught:
        firewall.elements(time.time())
    assert caught.value.key == "firewall.drifted"
    assert "sshd_v4" in str(caught.value)
    firewall.setup(LAYOUT)
    assert firewall.elements(time.time()) == []


def test_add_renew_delete(firewall: NftablesFirewall) -> None:
    firewall.setup(LAYOUT)
    now = time.time()
    wanted = [
        el("192.0.2.1/32", now + 600),
        el("2001:db8:1::/64", now + 300, "web"),
        el("2001:db8::7/128", None),
        el("198.51.100.0/24", None, ""),
    ]
    firewall.apply(reconcile(wanted, firewall.elements(now)), now)
    found = firewall.elements(time.time())
    assert {e.key for e in found} == {e.key for e in wanted}
    assert reconcile(wanted, found) == []  # expiries within the tolerance
    # renew to a SHORTER timeout: only a re-created element gets it on every kernel
    renewed = [el("192.0.2.1/32", now + 100), *wanted[1:]]
    ops = reconcile(renewed, found)
    assert ops == [AddElement(renewed[0])]
    firewall.apply(ops, now)
    kernel = {e.key: e for e in firewall.elements(time.time())}
    left = kernel[renewed[0].key].expires
    assert left is not None
    assert now + 95 < left < now + 102
    # delete, including elements that are not (or no longer) there: no error
    gone = [DeleteElement(e) for e in wanted] + [DeleteElement(el("192.0.2.99/32", None))]
    firewall.apply(gone, time.time())
    assert firewall.elements(time.time()) == []


def test_elements_really_expire(firewall: NftablesFirewall) -> None:
    firewall.setup(LAYOUT)
    now = time.time()
    firewall.apply(
        [AddElement(el("192.0.2.5/32", now + 1)), AddElement(el("192.0.2.6/32", None))], now
    )
    assert len(firewall.elements(time.time())) == 2
    time.sleep(1.6)
    assert firewall.elements(time.time()) == [el("192.0.2.6/32", None)]


def test_setup_keeps_elements_and_follows_a_changed_layout(
    firewall: NftablesFirewall, ns: Namespace
) -> None:
    firewall.setup(LAYOUT)
    now = time.time()
    keep = [el("192.0.2.1/32", now + 600), el("2001:db8:1::/64", now + 600, "web")]
    firewall.apply([AddElement(e) for e in keep], now)
    firewall.setup(LAYOUT)
    assert reconcile(keep, firewall.elements(time.time())) == []
    # web is gone, a new jail "mail" with udp; sshd keeps its elements and counters' rules
    changed = FirewallLayout((SSHD, JailRule("mail", ((25, 25), (587, 587)), "udp")))
    firewall.setup(changed)
    text = ruleset(ns)
    assert "web_v" not in text
    assert "ip saddr @mail_v4 udp dport { 25, 587 } counter" in text
    assert reconcile(keep[:1], firewall.elements(time.time())) == []
    # a jail that starts banning /64 gets an interval set (re-created: its elements go)
    firewall.apply([AddElement(el("2001:db8::5/128", now + 600))], now)
    firewall.setup(FirewallLayout((JailRule("sshd", ((22, 22),), "tcp", 64),)))
    assert (
        "flags interval,timeout"
        in ns.run("nft", "list", "set", "inet", "rempart", "sshd_v6").stdout
    )
    assert reconcile(keep[:1], firewall.elements(time.time())) == []


def test_reconcile_20000_in_one_batch(firewall: NftablesFirewall) -> None:
    firewall.setup(LAYOUT)
    now = time.time()
    base = int(IPv4Network("198.18.0.0/15").network_address)
    wanted = [Element("sshd", IPv4Network(base + i), now + 3600 + i % 600) for i in range(20_000)]
    ops = reconcile(wanted, firewall.elements(now))
    assert len(ops) == 20_000
    firewall.apply(ops, now)
    found = firewall.elements(time.time())
    assert len(found) == 20_000
    assert reconcile(wanted, found) == []
    # 1,000 differ: 500 gone, 500 new
    changed = wanted[500:] + [
        Element("sshd", IPv4Network(base + 30_000 + i), now + 60) for i in range(500)
    ]
    ops = reconcile(changed, found)
    assert len(ops) == 1000
    firewall.apply(ops, now)
    assert reconcile(changed, firewall.elements(time.time())) == []


# ---------------------------------------------------------------- errors and guards


def test_libnftables_refuses_what_is_not_a_network_namespace(tmp_path: Path) -> None:
    need_libnftables()
    plain = tmp_path / "not-a-namespace"
    plain.write_text("")
    for path in (plain, Path("/proc/self/ns/uts"), tmp_path / "missing"):
        with pytest.raises(FirewallError, match="refusing to touch any firewall"):
            LibNftables(path)


def test_the_namespace_check_refuses_another_namespace(ns: Namespace) -> None:
    with namespace("other") as other:
        with pytest.raises(FirewallError, match="not in it"):
            verify_netns(netns_path(ns), check=netns_path(other))
        verify_netns(netns_path(other), check=netns_path(other))


def test_libnftables_works_only_in_its_namespace(ns: Namespace) -> None:
    ns.run("nft", "flush", "ruleset")
    with namespace("other") as other:
        fw = NftablesFirewall(runner_in(other, "libnftables"))
        try:
            fw.setup(LAYOUT)
        finally:
            fw.close()
        assert "table inet rempart" in ruleset(other)
    assert ruleset(ns) == ""
    with pytest.raises(FirewallError, match="closed"):
        fw.elements(0.0)


def test_check_names_what_is_missing(ns: Namespace) -> None:
    need_program("setpriv", "util-linux")
    missing = NftablesFirewall(NftCommand(("/nonexistent/nft",)))
    with pytest.raises(FirewallError, match="apt-get install nftables"):
        missing.check()
    need_libnftables()
    with pytest.raises(FirewallError, match="apt-get install libnftables1"):
        LibNftables(library="libnftables-nope.so.9")
    no_caps = ("setpriv", "--bounding-set=-all", "--inh-caps=-all", "nft")  # root, no caps
    unprivileged = NftablesFirewall(NftCommand(ns.argv(*no_caps)))
    with pytest.raises(FirewallError, match="CAP_NET_ADMIN") as caught:
        unprivileged.check()
    assert "Operation not permitted" in str(caught.value)
    assert "root" in caught.value.render("fr")


def test_refused_batches_keep_nfts_message(firewall: NftablesFirewall) -> None:
    firewall.setup(LAYOUT)
    # a /24 and an address inside it in one interval set: nftables refuses the batch
    ops = [AddElement(el("203.0.113.0/24", None, "")), AddElement(el("203.0.113.9/32", None, ""))]
    with pytest.raises(FirewallError, match="conflicting intervals"):
        firewall.apply(ops, time.time())
    assert firewall.elements(time.time()) == []  # nothing of the batch was applied
    with pytest.raises(FirewallError, match="is a network"):
        firewall.apply([AddElement(el("192.0.2.0/24", None))], time.time())


def test_open_firewall(ns: Namespace, caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.firewall")
    assert isinstance(open_firewall("dry-run", log=log), DryRunFirewall)
    broken = NftCommand(("/nonexistent/nft",))
    with pytest.raises(FirewallError, match="nftables"):
        open_firewall("nftables", runner=broken, log=log)
    with caplog.at_level(logging.WARNING, logger="test.firewall"):
        fallback = open_firewall("auto", runner=broken, log=log)
    assert fallback.name == "dry-run"
    assert "DRY-RUN" in caplog.text
    assert "apt-get install nftables" in caplog.text
    working = open_firewall("auto", runner=runner_in(ns, "nft-command"), log=log)
    assert working.name == "nftables"
    assert "netns exec" in working.detail
    with pytest.raises(FirewallError, match="auto, nftables or dry-run"):
        open_firewall("iptables")
