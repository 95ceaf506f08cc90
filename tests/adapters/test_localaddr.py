"""The machine's own addresses from /proc (a real capture in tests/fixtures/proc)."""

from __future__ import annotations

from ipaddress import ip_address
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from rempart.adapters.localaddr import local_addresses, parse_fib_trie, parse_if_inet6
from tests.conftest import FIXTURES

PROC = FIXTURES / "proc"

FIB_TRIE = """Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 10.0.0.0/24 2 0 2
        +-- 10.0.0.0/28 2 0 2
           |-- 10.0.0.0
              /24 link UNICAST
           |-- 10.0.0.5
              /32 host LOCAL
           |-- 10.0.0.6
              /32 host LOCAL
              /24 link UNICAST
        |-- 10.0.0.255
           /32 link BROADCAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
Local:
  +-- 0.0.0.0/0 3 0 5
     |-- 10.0.0.5
        /32 host LOCAL
     |-- 192.0.2.1
        /32 link UNICAST
"""

IF_INET6 = """00000000000000000000000000000001 01 80 10 80       lo
20010db8000000000000000000000007 02 40 00 00     eth0
fe800000000000000000000000000001 02 40 20 80     eth0
not an address line
0x000000000000000000000000000001 01 80 10 80       lo
0000_00000000000000000000000001 01 80 10 80       lo
"""


def test_parse_fib_trie() -> None:
    assert parse_fib_trie(FIB_TRIE) == {
        ip_address("10.0.0.5"),
        ip_address("10.0.0.6"),
        ip_address("127.0.0.1"),
    }
    assert parse_fib_trie("") == set()


def test_parse_if_inet6() -> None:
    assert parse_if_inet6(IF_INET6) == {
        ip_address("::1"),
        ip_address("2001:db8::7"),
        ip_address("fe80::1"),
    }


def test_local_addresses_of_a_real_proc_tree() -> None:
    assert local_addresses(PROC) == {
        ip_address("127.0.0.1"),
        ip_address("192.0.2.2"),
        ip_address("::1"),
        ip_address("fd00::2"),
        ip_address("fe80::fc:ff:fe00:1"),
    }


def test_missing_files_add_nothing(tmp_path: Path) -> None:
    assert local_addresses(tmp_path) == frozenset()
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "if_inet6").write_text(IF_INET6)
    assert local_addresses(tmp_path) == parse_if_inet6(IF_INET6)


def test_this_machine() -> None:
    """The thin read on the real /proc (what it holds depends on the machine)."""
    found = local_addresses()
    assert all(address.version in (4, 6) for address in found)


@given(st.text())
def test_parsers_never_crash(text: str) -> None:
    assert isinstance(parse_fib_trie(text), set)
    assert isinstance(parse_if_inet6(text), set)
