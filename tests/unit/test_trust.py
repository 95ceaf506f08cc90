"""RecentLogins: trust of addresses that logged in recently."""

from __future__ import annotations

from ipaddress import ip_address

from hypothesis import given
from hypothesis import strategies as st

from rempart.guard.trust import RecentLogins

T0 = 1_795_000_000.0
A, B = ip_address("192.0.2.7"), ip_address("2001:db8::7")


def test_trusted_within_keep_only() -> None:
    logins = RecentLogins(keep=3600)
    assert not logins.trusted(A, T0)
    logins.record(A, T0)
    assert logins.trusted(A, T0)
    assert logins.trusted(A, T0 + 3600)
    assert not logins.trusted(A, T0 + 3600.5)
    assert logins.trusted(A, T0 - 10)  # a login read before its time: still trusted
    assert not logins.trusted(B, T0)
    assert not logins.trusted(ip_address("2001:db8::8"), T0)  # exact addresses only


def test_the_last_login_counts() -> None:
    logins = RecentLogins(keep=100, logins=[(A, T0), (A, T0 - 500)])
    assert logins.last(A) == T0
    logins.record(A, T0 - 1000)
    assert logins.last(A) == T0
    logins.record(A, T0 + 50)
    assert logins.trusted(A, T0 + 140)


def test_keep_zero_trusts_nobody() -> None:
    logins = RecentLogins(keep=0, logins=[(A, T0)])
    assert not logins.trusted(A, T0)


def test_forget_before() -> None:
    logins = RecentLogins(logins=[(A, T0), (B, T0 + 10)])
    assert logins.forget_before(T0 + 5) == 1
    assert len(logins) == 1
    assert logins.last(A) is None
    assert logins.last(B) == T0 + 10


@given(st.lists(st.floats(0, 1e6), min_size=1), st.floats(0, 2e6))
def test_trusted_means_a_login_within_keep(times: list[float], now: float) -> None:
    logins = RecentLogins(keep=1000)
    for t in times:
        logins.record(A, t)
    assert logins.trusted(A, now) == any(t >= now - 1000 for t in times)
