from __future__ import annotations

from ipaddress import ip_address, ip_network

from rempart.guard.compare import diff_bans
from rempart.model import Ban


def ban(addr: str, start: float, end: float, jail: str = "sshd") -> Ban:
    return Ban(
        jail=jail,
        target=ip_network(addr),
        address=ip_address(addr),
        start=start,
        end=end,
        offence=1,
        failures=5,
    )


def test_overlapping_bans_are_the_same_ban() -> None:
    a = [ban("192.0.2.1", 0, 900), ban("192.0.2.2", 0, 900), ban("192.0.2.3", 0, 900)]
    b = [
        ban("192.0.2.1", 0, 900),
        ban("192.0.2.2", 100, 1000),
        ban("192.0.2.4", 0, 900),
        ban("192.0.2.3", 0, 900, jail="postfix"),
    ]
    diff = diff_bans(a, b)
    assert diff.same == 1
    assert [(x.address, y.start) for x, y in diff.changed] == [(ip_address("192.0.2.2"), 100)]
    assert [str(x.address) for x in diff.only_a] == ["192.0.2.3"]
    assert sorted((x.jail, str(x.address)) for x in diff.only_b) == [
        ("postfix", "192.0.2.3"),
        ("sshd", "192.0.2.4"),
    ]
    assert not diff.identical
    assert diff_bans(a, a).identical
