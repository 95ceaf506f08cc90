"""Bans really drop packets: three namespaces joined by veth pairs, never the host.

``client`` (10.213.0.2 and .3, fd03:213::2) talks to ``victim`` (10.213.0.1,
fd03:213::1), which runs rempart's table and publishes a port of ``container``
(10.214.0.2) through DNAT, as Docker does: victim:2222 and victim:8080 -> container:80.
A dropped SYN gets no answer, so a blocked connection is one that times out (1 s).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import ip_address, ip_network

import pytest

from rempart.adapters.firewall import NftablesFirewall
from rempart.guard.blocklist import AddressList
from rempart.guard.firewall import (
    AddElement,
    BanOp,
    DeleteElement,
    Element,
    FirewallLayout,
    JailRule,
)
from tests.adapters.nft import runner_in
from tests.conftest import need_program
from tests.netns import Namespace, namespace, veth_pair

pytestmark = pytest.mark.system

LAYOUT = FirewallLayout((JailRule("sshd", ((22, 22), (2200, 2222)), "tcp"),))
VICTIM4, VICTIM6, CONTAINER = "10.213.0.1", "fd03:213::1", "10.214.0.2"
CLIENT4, ALLOWED4, CLIENT6 = "10.213.0.2", "10.213.0.3", "fd03:213::2"

# listens on every given port, v4 and v6, and never accepts: the kernel completes handshakes
SERVER = """
import socket, sys, time
socks = []
for port in map(int, sys.argv[1:]):
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port)); s.listen(64); socks.append(s)
print("ready", flush=True)
time.sleep(600)
"""

DNAT = f"""
table ip testnat {{
    chain prerouting {{
        type nat hook prerouting priority dstnat; policy accept;
        tcp dport {{ 2222, 8080 }} dnat to {CONTAINER}:80
    }}
}}
"""


@dataclass(frozen=True)
class Net:
    victim: Namespace
    client: Namespace
    container: Namespace

    def connects(self, source: str, host: str, port: int) -> bool:
        done = self.client.run(
            "nc", "-z", "-w", "1", "-s", source, host, str(port), check=False, timeout=10
        )
        return done.returncode == 0


def _listen(ns: Namespace, *ports: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        ns.argv(sys.executable, "-c", SERVER, *map(str, ports)),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


@pytest.fixture(scope="module")
def net() -> Iterator[Net]:
    need_program("nc", "netcat-openbsd")
    with namespace("victim") as victim, namespace("client") as client, namespace("ctr") as ctr:
        veth_pair(victim, client, [f"{VICTIM4}/24", f"{VICTIM6}/64"],
                  [f"{CLIENT4}/24", f"{ALLOWED4}/24", f"{CLIENT6}/64"])  # fmt: skip
        veth_pair(victim, ctr, ["10.214.0.1/24"], [f"{CONTAINER}/24"])
        ctr.run("ip", "route", "add", "default", "via", "10.214.0.1")
        victim.run("sysctl", "-qw", "net.ipv4.ip_forward=1")
        victim.run("nft", "-f", "-", input=DNAT)
        servers = [_listen(victim, 22, 2222, 8080), _listen(ctr, 80)]
        try:
            yield Net(victim, client, ctr)
        finally:
            for server in servers:
                server.kill()
                server.wait(timeout=10)
                assert server.stdout is not None
                server.stdout.close()


@pytest.fixture
def firewall(net: Net) -> Iterator[NftablesFirewall]:
    fw = NftablesFirewall(runner_in(net.victim, "libnftables"))
    fw.setup(LAYOUT)
    yield fw
    fw.apply([DeleteElement(e) for e in fw.elements(time.time())], time.time())
    fw.close()


def ban(target: str, jail: str = "sshd") -> BanOp:
    return AddElement(Element(jail, ip_network(target), time.time() + 600))


def test_a_banned_address_is_dropped_on_the_jails_ports_only(
    net: Net, firewall: NftablesFirewall
) -> None:
    assert net.connects(CLIENT4, VICTIM4, 2222)
    firewall.apply([ban(CLIENT4)], time.time())
    assert not net.connects(CLIENT4, VICTIM4, 2222)
    assert net.connects(CLIENT4, VICTIM4, 8080)  # a port the jail does not cover
    assert net.connects(ALLOWED4, VICTIM4, 22)  # another address of the same client
    firewall.apply([DeleteElement(Element("sshd", ip_network(CLIENT4), None))], time.time())
    assert net.connects(CLIENT4, VICTIM4, 22)


def test_the_allow_set_wins_over_a_ban(net: Net, firewall: NftablesFirewall) -> None:
    firewall.apply([ban(ALLOWED4), ban(ALLOWED4, jail="")], time.time())
    assert net.connects(ALLOWED4, VICTIM4, 22)


def test_ipv6_bans(net: Net, firewall: NftablesFirewall) -> None:
    assert net.connects(CLIENT6, VICTIM6, 22)
    firewall.apply([ban(CLIENT6)], time.time())
    assert not net.connects(CLIENT6, VICTIM6, 22)
    assert net.connects(CLIENT6, VICTIM6, 8080)
    assert net.connects(CLIENT4, VICTIM4, 22)


def test_published_container_ports_are_covered_by_their_public_port(
    net: Net, firewall: NftablesFirewall
) -> None:
    # victim:2222 -> container:80 (a jail port from outside), victim:8080 -> container:80
    assert net.connects(CLIENT4, VICTIM4, 2222)
    firewall.apply([ban(CLIENT4)], time.time())
    # dropped in the forward hook, where `th dport` is already 80: only the original
    # destination port (ct original proto-dst) tells it was a jail port
    assert not net.connects(CLIENT4, VICTIM4, 2222)
    assert net.connects(CLIENT4, VICTIM4, 8080)  # same container port, public port not jailed
    counters = net.victim.run("nft", "list", "chain", "inet", "rempart", "forward").stdout
    assert "ct original proto-dst" in counters
    assert "packets 0 bytes 0 drop" in counters  # the v6 rule saw nothing...
    assert "counter packets 1 " in counters or "counter packets 2 " in counters  # ...v4 dropped


def test_a_blocklisted_address_is_dropped_on_every_port_unless_allowed(net: Net) -> None:
    fw = NftablesFirewall(runner_in(net.victim, "nft-command"))
    fw.setup(FirewallLayout(LAYOUT.rules, blocklist=True))
    try:
        fw.replace_blocklist(
            AddressList.of(4, [ip_address(CLIENT4), ip_address(ALLOWED4)]),
            AddressList.of(6, [ip_address(CLIENT6)]),
        )
        fw.apply([ban(ALLOWED4, jail="")], time.time())  # allowed: the allow set wins
        for port in (22, 8080, 2222):  # 2222 and 8080: published container ports
            assert not net.connects(CLIENT4, VICTIM4, port)
            assert not net.connects(CLIENT6, VICTIM6, port)
            assert net.connects(ALLOWED4, VICTIM4, port)
        fw.replace_blocklist(AddressList(4), AddressList(6))
        assert net.connects(CLIENT4, VICTIM4, 22)
        assert net.connects(CLIENT6, VICTIM6, 8080)
    finally:
        fw.apply([DeleteElement(e) for e in fw.elements(time.time())], time.time())
        fw.setup(LAYOUT)  # the blocklist sets go with it
        fw.close()
    assert "blocklist" not in net.victim.run("nft", "list", "ruleset").stdout
