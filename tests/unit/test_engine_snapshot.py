"""Failure windows across a restart: JailGuard.snapshot() then load() in a new guard."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

from hypothesis import given
from hypothesis import strategies as st

from rempart.addresses import AddressSet
from rempart.guard.engine import JailGuard
from rempart.guard.policy import JailPolicy
from rempart.model import Failure, FailureVerdict, WindowSnapshot

T0 = 1_795_000_000.0


def fail(addr: str, t: float, line: str = "") -> Failure:
    return Failure(addr, ip_address(addr), t, (line or f"fail {addr} {t}",), 0)


def sshd(**kw: object) -> JailGuard:
    return JailGuard(JailPolicy(name="sshd", **kw))  # type: ignore[arg-type]


def test_four_failures_before_a_restart_and_one_after_make_a_ban() -> None:
    before = sshd()
    for i in range(4):
        assert before.add(fail("192.0.2.7", T0 + i, f"line {i}")).verdict is FailureVerdict.COUNTED
    saved = before.snapshot()
    assert saved == [
        WindowSnapshot(
            ip_network("192.0.2.7/32"),
            (T0, T0 + 1, T0 + 2, T0 + 3),
            ("line 0", "line 1", "line 2", "line 3"),
        )
    ]
    after = sshd()
    after.load(saved)
    assert after.tracked == 1
    outcome = after.add(fail("192.0.2.7", T0 + 60, "line 4"))
    assert outcome.verdict is FailureVerdict.BANNED
    assert outcome.ban is not None
    assert outcome.ban.failures == 5
    assert outcome.ban.evidence == tuple(f"line {i}" for i in range(5))
    # without the snapshot the same failure only counts
    assert sshd().add(fail("192.0.2.7", T0 + 60)).verdict is FailureVerdict.COUNTED


def test_ipv6_windows_keep_their_prefix() -> None:
    before = sshd(ipv6_prefix=64)
    before.add(fail("2001:db8:1:2::7", T0))
    before.add(fail("2001:db8:1:2::8", T0 + 1))
    (snap,) = before.snapshot()
    assert snap.target == ip_network("2001:db8:1:2::/64")
    assert snap.times == (T0, T0 + 1)
    after = sshd(ipv6_prefix=64)
    after.load([snap])
    outcomes = [after.add(fail("2001:db8:1:2::9", T0 + 2 + i)) for i in range(3)]
    assert outcomes[-1].verdict is FailureVerdict.BANNED


def test_load_follows_the_current_policy() -> None:
    old = [
        WindowSnapshot(ip_network("192.0.2.7/32"), (T0 - 9000, T0 - 100, T0 - 50), ("a", "b")),
        WindowSnapshot(ip_network("198.51.100.1/32"), (T0,), ("x",)),
        WindowSnapshot(ip_network("192.0.2.9/32"), (), ()),
    ]
    jail = sshd(ignore=AddressSet([ip_network("198.51.100.0/24")]), evidence_lines=1)
    jail.load(old)
    (snap,) = jail.snapshot()
    # pruned to findtime before the newest, the evidence to evidence_lines
    assert snap == WindowSnapshot(ip_network("192.0.2.7/32"), (T0 - 100, T0 - 50), ("b",))


def test_loading_into_a_live_window_merges() -> None:
    jail = sshd()
    jail.add(fail("192.0.2.7", T0 + 10, "new"))
    jail.load([WindowSnapshot(ip_network("192.0.2.7/32"), (T0, T0 + 5), ("old",))])
    (snap,) = jail.snapshot()
    assert snap.times == (T0, T0 + 5, T0 + 10)
    assert snap.lines == ("old", "new")


@given(
    st.lists(
        st.tuples(st.integers(0, 2**32 - 1), st.floats(0, 500, allow_nan=False)),
        max_size=30,
    )
)
def test_snapshot_then_load_is_the_same_state(failures: list[tuple[int, float]]) -> None:
    before = sshd(maxretry=1000)
    for value, offset in failures:
        address = ip_address(value)
        before.add(Failure(str(address), address, T0 + offset, (f"l{offset}",), 0))
    after = sshd(maxretry=1000)
    after.load(before.snapshot())
    key = lambda s: int(s.target.network_address)  # noqa: E731
    assert sorted(after.snapshot(), key=key) == sorted(before.snapshot(), key=key)
