"""The dry-run firewall: remembers elements, expires them, logs what it would do."""

from __future__ import annotations

import logging
from ipaddress import IPv4Network, ip_network
from typing import TYPE_CHECKING

from rempart.adapters.firewall import DryRunFirewall
from rempart.clock import FrozenClock
from rempart.guard.firewall import (
    AddElement,
    DeleteElement,
    Element,
    FirewallLayout,
    JailRule,
    reconcile,
)

if TYPE_CHECKING:
    import pytest

LAYOUT = FirewallLayout((JailRule("sshd", ((22, 22),), "tcp"), JailRule("web", None, "tcp", 64)))


def test_dry_run(caplog: pytest.LogCaptureFixture) -> None:
    clock = FrozenClock(1000.0)
    fw = DryRunFirewall(logging.getLogger("test.dry"), clock)
    fw.check()
    assert fw.name == "dry-run"
    with caplog.at_level(logging.INFO, logger="test.dry"):
        fw.setup(LAYOUT)
        a = Element("sshd", ip_network("192.0.2.1/32"), 1600.0)
        b = Element("web", ip_network("2001:db8::/64"), None)
        c = Element("", ip_network("10.0.0.0/8"), 1010.0)
        fw.apply([AddElement(a), AddElement(b), AddElement(c)], clock.now())
        assert sorted(fw.elements(clock.now()), key=str) == sorted([a, b, c], key=str)
        fw.apply([DeleteElement(b)], clock.now())
    assert "would set up table inet rempart with sets allow_v4, allow_v6, sshd_v4" in caplog.text
    assert "would add 192.0.2.1/32 to sshd_v4 (timeout 600s)" in caplog.text
    assert "would add 2001:db8::/64 to web_v6 (no timeout)" in caplog.text
    assert "would delete 2001:db8::/64 from web_v6" in caplog.text
    assert fw.elements(1010.0) == [a]  # c expired
    assert reconcile([a], fw.elements(1010.0)) == []
    # a big batch is one summary line; a layout without sshd forgets its elements
    caplog.clear()
    many = [AddElement(Element("sshd", IPv4Network(i), None)) for i in range(100)]
    with caplog.at_level(logging.INFO, logger="test.dry"):
        fw.apply(many, clock.now())
    assert caplog.text.count("would") == 1
    assert "would add 100 and delete 0 elements in one batch" in caplog.text
    fw.setup(FirewallLayout((JailRule("web", None, "tcp"),)))
    assert fw.elements(clock.now()) == []
    fw.close()
