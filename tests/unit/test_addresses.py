from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.addresses import AddressSet, address_key, ban_target, parse_address, parse_network


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:0db8:0000::0001", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("192.030.0.6", None),  # leading zeros: ambiguous (octal?), never banned
        ("1.2.3", None),
        ("256.1.1.1", None),
        ("example.com", None),
        ("fe80::1%eth0", None),
        (" 1.2.3.4", None),
        ("", None),
        ("1" * 100, None),
    ],
)
def test_parse_address(text: str, expected: str | None) -> None:
    got = parse_address(text)
    assert (str(got) if got is not None else None) == expected


@given(st.ip_addresses())
def test_parse_address_agrees_with_ipaddress(addr: IPv4Address | IPv6Address) -> None:
    parsed = parse_address(str(addr))
    if isinstance(addr, IPv6Address) and addr.ipv4_mapped is not None:
        assert parsed == addr.ipv4_mapped
    else:
        assert parsed == addr


@given(st.text(max_size=80))
def test_parse_address_never_raises(text: str) -> None:
    parse_address(text)


def test_address_set() -> None:
    s = AddressSet(
        [
            parse_network("192.0.2.0/24"),
            parse_network("::1"),
            parse_network("10.1.2.3"),
            parse_network("2001:db8::/32"),
        ]
    )
    assert ip_address("192.0.2.255") in s
    assert ip_address("10.1.2.3") in s
    assert ip_address("10.1.2.4") not in s
    assert ip_address("192.0.3.1") not in s
    assert ip_address("2001:db8:ffff::1") in s
    assert ip_address("::1") in s
    assert ip_address("2001:db9::1") not in s
    assert "192.0.2.1" not in s  # only address objects
    assert len(s) == 4
    assert s
    assert not AddressSet()


def test_keys_and_targets() -> None:
    a, b = ip_address("2001:db8:1:2::1"), ip_address("2001:db8:1:2::ffff")
    assert address_key(a, 64) == address_key(b, 64) != address_key(a, 128)
    assert address_key(ip_address("0.0.0.1")) != address_key(ip_address("::1"))
    assert ban_target(a, 64) == ip_network("2001:db8:1:2::/64")
    assert ban_target(ip_address("192.0.2.7"), 64) == ip_network("192.0.2.7/32")
    with pytest.raises(ValueError, match="not an address"):
        parse_network("192.0.2.0/33")
