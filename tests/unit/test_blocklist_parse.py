"""parse_blocklist(): AbuseIPDB's plaintext list in, only blockable canonical addresses out."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.addresses import (
    Address,
    Network,
    address_key,
    packed_texts,
    parse_address,
    parse_address_key,
)
from rempart.guard.blocklist import (
    SPECIAL_V4,
    SPECIAL_V6,
    AddressList,
    Blocklist,
    blockable,
    parse_blocklist,
)

PROTECTED: list[Network] = [ip_network("203.0.113.0/24"), ip_network("2a01:4f8::/32")]


def texts(bl: Blocklist) -> list[str]:
    return [*bl.v4.texts(), *bl.v6.texts()]


def test_a_plain_list() -> None:
    lines = ["185.220.101.45\n", "2a03:2880:f10c:83:face:b00c:0:25de\n", "45.155.205.233"]
    bl, stats = parse_blocklist(lines)
    assert texts(bl) == ["45.155.205.233", "185.220.101.45", "2a03:2880:f10c:83:face:b00c:0:25de"]
    assert bl.sizes == (2, 1)
    assert (stats.lines, stats.entries, stats.invalid, stats.duplicates) == (3, 3, 0, 0)


def test_canonical_forms_and_duplicates() -> None:
    lines = [
        "2A03:2880:F10C:0083:FACE:B00C:0000:25DE",
        "2a03:2880:f10c:83:face:b00c::25de",
        "::ffff:185.220.101.45",  # IPv4-mapped: the IPv4 address
        "185.220.101.45",
        "185.220.101.45\r\n",  # CRLF line ends are accepted
    ]
    bl, stats = parse_blocklist(lines)
    assert texts(bl) == ["185.220.101.45", "2a03:2880:f10c:83:face:b00c:0:25de"]
    assert stats.entries == 5
    assert stats.duplicates == 3


@pytest.mark.parametrize(
    "line",
    [
        "",
        "\n",
        "\r\n",
        "\r",
        "# a comment",
        " 185.220.101.45",
        "185.220.101.45 ",
        "185.220.101.45\t",
        "185.220.101.045",
        "185.220.101",
        "185.220.101.256",
        "185.220.101.45/32",
        "[2a03:2880::1]",
        "fe80::1%eth0",
        "example.org",
        "<html>",
        "1.2.3.4; flush ruleset",
        "1.2.3.4 }",
        "\x1b[31m1.2.3.4",
        "1" * 5000,
        "٣.٣.٣.٣",
    ],
)
def test_what_is_not_an_address_is_invalid(line: str) -> None:
    bl, stats = parse_blocklist([line, "185.220.101.45\n"])
    assert texts(bl) == ["185.220.101.45"]
    assert stats.invalid == 1
    assert stats.samples == (ascii(line[:60]),)


def test_samples_are_few_short_and_escaped() -> None:
    bad = [f"\x00bad{i}\r\x1b" + "x" * 100 for i in range(20)]
    _bl, stats = parse_blocklist(bad)
    assert stats.invalid == 20
    assert len(stats.samples) == 5
    for sample in stats.samples:
        assert sample.isprintable()
        assert sample.isascii()
        assert "\x1b" not in sample
        assert len(sample) < 300


def test_non_global_and_protected_are_removed() -> None:
    lines = [
        "10.1.2.3",
        "127.0.0.1",
        "100.64.0.1",
        "192.168.1.1",
        "224.0.0.251",
        "255.255.255.255",
        "::1",
        "fe80::1",
        "fd00::1",
        "ff02::1",
        "2001:db8::1",
        "203.0.113.9",  # documentation range: special already
        "2a01:4f8:1:2::3",  # protected
        "8.8.8.8",
        "2a00:1450:4007:80e::200e",
    ]
    bl, stats = parse_blocklist(lines, [ip_network("8.8.8.0/24"), *PROTECTED])
    assert texts(bl) == ["2a00:1450:4007:80e::200e"]
    assert stats.not_global == 12
    assert stats.protected == 2
    assert stats.removed == 14


def test_special_tables_agree_with_ipaddress_on_their_edges() -> None:
    specials: list[Network] = [*SPECIAL_V4, *SPECIAL_V6]
    for net in specials:
        for address in (net.network_address, net.broadcast_address):
            assert not blockable(address)
            assert not address.is_global or address.is_multicast
            for step in (-1, 1):
                try:
                    near = address + step
                except ValueError:
                    continue
                expected = near.is_global and not near.is_multicast
                if isinstance(near, IPv6Address) and near.ipv4_mapped is not None:
                    continue  # read as IPv4 by the parser
                assert blockable(near) == expected, near


@given(st.ip_addresses())
def test_blockable_is_ipaddress_global_unicast(address: Address) -> None:
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return  # the parser reads it as IPv4
    assert blockable(address) == (address.is_global and not address.is_multicast)


@given(st.ip_addresses())
def test_parse_address_key_is_address_key_of_parse_address(address: Address) -> None:
    for text in (str(address), address.exploded):
        parsed = parse_address(text)
        assert parsed is not None
        assert parse_address_key(text) == address_key(parsed)


def test_parse_address_key_refuses_what_parse_address_refuses() -> None:
    for text in ("", "1.2.3", "1.2.3.04", "fe80::1%eth0", "x" * 70, "[1.2.3.4"):
        assert parse_address(text) is None
        assert parse_address_key(text) is None


def test_address_list_membership_and_removal() -> None:
    addresses = [IPv4Address("198.51.100.7"), IPv4Address("8.8.8.8"), IPv4Address("9.9.9.9")]
    lst = AddressList.of(4, addresses)
    assert list(lst.texts()) == ["8.8.8.8", "9.9.9.9", "198.51.100.7"]
    assert IPv4Address("9.9.9.9") in lst
    assert IPv4Address("9.9.9.8") not in lst
    assert IPv6Address("::1") not in lst
    assert "9.9.9.9" not in lst
    less, gone = lst.without([ip_network("9.0.0.0/8"), ip_network("9.9.0.0/16"), PROTECTED[1]])
    assert (list(less.texts()), gone) == (["8.8.8.8", "198.51.100.7"], 1)
    same, none = lst.without([ip_network("1.0.0.0/8")])
    assert same is lst
    assert none == 0
    with pytest.raises(ValueError, match="IPv4"):
        AddressList(4, b"\x01\x02\x03")
    with pytest.raises(ValueError, match="not an IPv4"):
        AddressList.of(4, [IPv6Address("2001:db8::1")])
    with pytest.raises(ValueError, match="not an IPv4"):
        AddressList.of(4, [1 << 32])
    with pytest.raises(ValueError, match="v4 holds IPv4"):
        Blocklist(AddressList(6), AddressList(6))


def test_a_large_list_stays_compact() -> None:
    lines = (f"{(n >> 16) + 1}.{(n >> 8) & 255}.{n & 255}.1\n" for n in range(100_000))
    bl, stats = parse_blocklist(lines)
    assert len(bl) == 100_000
    assert len(bl.v4.packed) == 400_000
    assert stats.duplicates == 0


# ------------------------------------------------------------------ properties

_address_text = st.ip_addresses().map(str)
_noise = st.text(
    alphabet=st.sampled_from("0123456789abcdefABCDEF.:/[]% \t\r\n#-x٣"),
    max_size=50,
)
_any_text = st.text(max_size=80)
_line = st.one_of(_address_text, _address_text.map(str.upper), _noise, _any_text)
_networks = st.one_of(
    st.tuples(st.ip_addresses(v=4), st.integers(0, 32)),
    st.tuples(st.ip_addresses(v=6), st.integers(0, 128)),
).map(lambda t: ip_network(t, strict=False))


@settings(max_examples=300)
@given(st.lists(_line, max_size=60), st.lists(_networks, max_size=4))
def test_never_crashes_and_only_valid_canonical_unprotected_unique_out(
    lines: list[str], protected: list[Network]
) -> None:
    bl, stats = parse_blocklist(lines, protected)
    out = texts(bl)
    assert len(out) == len(set(out))
    assert stats.lines == len(lines)
    assert stats.entries + stats.invalid == len(lines)
    assert len(bl) == stats.entries - stats.duplicates - stats.removed
    allowed: set[Address] = set()
    for line in lines:
        entry = line.removesuffix("\n").removesuffix("\r")
        try:
            address = ip_address(entry)
        except ValueError:
            continue
        if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        allowed.add(address)
    for text in out:
        address = ip_address(text)
        assert str(address) == text  # canonical
        assert address in allowed  # it was in the input, as ipaddress reads it
        assert address.is_global
        assert not address.is_multicast
        assert not any(address in net for net in protected)
        assert address in bl


@given(st.lists(st.ip_addresses(), max_size=50), st.lists(_networks, max_size=3))
def test_every_blockable_address_given_comes_out(
    addresses: list[Address], protected: list[Network]
) -> None:
    bl, _ = parse_blocklist([f"{a}\n" for a in addresses], protected)
    expected = set()
    for given_address in addresses:
        a = given_address
        if isinstance(a, IPv6Address) and a.ipv4_mapped is not None:
            a = a.ipv4_mapped
        if blockable(a) and not any(a in n for n in protected):
            expected.add(a)
    assert set(bl) == expected
    assert list(bl.v4) == sorted(a for a in expected if a.version == 4)
    assert list(bl.v6) == sorted(a for a in expected if a.version == 6)
    again, removed = bl.without(protected)
    assert (again, removed) == (bl, 0)


@given(st.lists(st.ip_addresses(v=6), max_size=20))
def test_packed_texts_are_what_ipaddress_writes(addresses: list[IPv6Address]) -> None:
    special = [IPv6Address("::1.2.3.4"), IPv6Address("::ffff:1.2.3.4"), IPv6Address("::")]
    every = [*addresses, *special, IPv6Address("2001:db8:0:1::1")]
    packed = b"".join(a.packed for a in every)
    assert list(packed_texts(packed, 6)) == [str(a) for a in every]
    v4 = [IPv4Address("0.0.0.0"), IPv4Address("255.255.255.255"), IPv4Address("10.0.0.1")]
    assert list(packed_texts(b"".join(a.packed for a in v4), 4)) == [str(a) for a in v4]
