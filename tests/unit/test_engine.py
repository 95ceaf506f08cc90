"""The decision engine: sliding windows, ignore lists, IPv6 prefixes, escalation."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

from hypothesis import given
from hypothesis import strategies as st

from rempart.addresses import AddressSet, parse_network
from rempart.guard.engine import Guard, JailGuard, Offenders
from rempart.guard.policy import ALWAYS_IGNORED, Escalation, JailPolicy
from rempart.model import Failure, FailureVerdict

T0 = 1_795_000_000.0


def fail(addr: str, t: float, line: str = "") -> Failure:
    return Failure(
        host=addr, address=ip_address(addr), time=t, lines=(line or f"fail {addr} {t}",), regex=0
    )


def sshd(**kw: object) -> JailGuard:
    return JailGuard(JailPolicy(name="sshd", **kw))  # type: ignore[arg-type]


def test_fifth_failure_within_findtime_bans() -> None:
    jail = sshd()
    verdicts = [jail.add(fail("192.0.2.7", T0 + 60 * i)).verdict for i in range(5)]
    assert verdicts == [FailureVerdict.COUNTED] * 4 + [FailureVerdict.BANNED]
    ban = jail.add(fail("192.0.2.8", T0)).ban
    assert ban is None


def test_ban_values() -> None:
    jail = sshd()
    outcomes = [jail.add(fail("192.0.2.7", T0 + i, f"line {i}")) for i in range(5)]
    ban = outcomes[-1].ban
    assert ban is not None
    assert (ban.jail, str(ban.target), ban.start, ban.end) == (
        "sshd",
        "192.0.2.7/32",
        T0 + 4,
        T0 + 904,
    )
    assert ban.evidence == tuple(f"line {i}" for i in range(5))
    assert (ban.offence, ban.failures) == (1, 5)
    assert "address=192.0.2.7" in ban.log_text()


def test_failures_spread_over_more_than_findtime_do_not_ban() -> None:
    jail = sshd()
    outcomes = [
        jail.add(fail("192.0.2.7", T0 + 151 * i)) for i in range(5)
    ]  # 604 s apart end to end
    assert all(o.verdict is FailureVerdict.COUNTED for o in outcomes)


def test_failures_while_banned_are_not_counted() -> None:
    jail = sshd()
    for i in range(5):
        jail.add(fail("192.0.2.7", T0 + i))
    assert jail.add(fail("192.0.2.7", T0 + 100)).verdict is FailureVerdict.ALREADY_BANNED
    # after the ban ends, counting starts from zero
    outcomes = [jail.add(fail("192.0.2.7", T0 + 1000 + i)) for i in range(5)]
    assert [o.verdict for o in outcomes][-1] is FailureVerdict.BANNED


def test_loopback_and_ignoreip_are_never_banned() -> None:
    ignore = AddressSet((*ALWAYS_IGNORED, parse_network("198.51.100.0/24")))
    jail = sshd(ignore=ignore)
    for addr in ("127.0.0.1", "::1", "198.51.100.77"):
        assert {jail.add(fail(addr, T0 + i)).verdict for i in range(10)} == {FailureVerdict.IGNORED}


def test_host_names_are_not_banned() -> None:
    jail = sshd()
    f = Failure(host="example.com", address=None, time=T0, lines=("x",), regex=0)
    assert jail.add(f).verdict is FailureVerdict.NOT_AN_ADDRESS


def test_ipv6_prefix_aggregates_a_rotating_attacker() -> None:
    jail = sshd(ipv6_prefix=64)
    outcomes = [jail.add(fail(f"2001:db8:1:2::{i + 1}", T0 + i)) for i in range(5)]
    ban = outcomes[-1].ban
    assert ban is not None
    assert ban.target == ip_network("2001:db8:1:2::/64")
    per_address = sshd()
    assert all(
        per_address.add(fail(f"2001:db8:1:2::{i + 1}", T0 + i)).ban is None for i in range(5)
    )


def test_escalation_across_jails() -> None:
    esc = Escalation(factor=2.0, max=3600.0, window=86400.0)
    guard = Guard([JailPolicy("sshd", escalation=esc), JailPolicy("postfix", escalation=esc)])
    durations = []
    t = T0
    for jail in ("sshd", "postfix", "sshd", "postfix", "sshd"):
        outcome = None
        for _ in range(5):
            outcome = guard.add(jail, fail("192.0.2.7", t))
            t += 1
        assert outcome is not None
        assert outcome.ban is not None
        durations.append(outcome.ban.duration)
        t = outcome.ban.end + 1
    assert durations == [900, 1800, 3600, 3600, 3600]


def test_escalation_window_forgets_old_offences() -> None:
    esc = Escalation(factor=2.0, max=86400.0, window=3600.0)
    jail = sshd(escalation=esc)
    for start in (T0, T0 + 7200):
        outcome = None
        for i in range(5):
            outcome = jail.add(fail("192.0.2.7", start + i))
        assert outcome is not None
        assert outcome.ban is not None
        assert outcome.ban.offence == 1


def test_out_of_order_failures_still_complete_a_window() -> None:
    jail = sshd()
    times = [T0 + 10, T0 + 20, T0 + 40, T0 + 30]
    assert all(jail.add(fail("192.0.2.7", t)).ban is None for t in times)
    ban = jail.add(fail("192.0.2.7", T0 + 5)).ban
    assert ban is not None
    assert ban.start == T0 + 40


def test_sweep_bounds_memory() -> None:
    jail = sshd()
    for i in range(10_000):
        jail.add(fail(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", T0 + i))
    jail.sweep(T0 + 20_000)
    assert jail.tracked == 0


def test_offenders_counts_in_range() -> None:
    target = ip_network("192.0.2.7/32")
    offenders = Offenders([(target, 10.0), (target, 30.0), (target, 20.0)])
    assert offenders.count(target, 15.0, 31.0) == 2
    offenders.forget_before(100.0)
    assert offenders.count(target, 0.0, 100.0) == 0


def _oracle(times: list[float], maxretry: int, findtime: float, bantime: float) -> list[float]:
    """Reference model, written the obvious way: ban times for one address, in-order input."""
    bans, window, banned_until = [], [], float("-inf")
    for t in times:
        if t < banned_until:
            continue
        window = [w for w in window if w >= t - findtime] + [t]
        if len(window) >= maxretry:
            bans.append(t)
            banned_until = t + bantime
            window = []
    return bans


@given(
    gaps=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=60),
    maxretry=st.integers(min_value=1, max_value=6),
)
def test_engine_agrees_with_the_reference_model(gaps: list[int], maxretry: int) -> None:
    times, t = [], T0
    for gap in gaps:
        t += gap
        times.append(t)
    jail = sshd(maxretry=maxretry)
    got = [o.ban.start for o in (jail.add(fail("192.0.2.7", x)) for x in times) if o.ban]
    assert got == _oracle(times, maxretry, 600.0, 900.0)


def test_memory_stays_bounded_when_time_jumps_back() -> None:
    """A log whose year-less dates wrap to the previous year jumps back in time: windows
    left "in the future" are dropped, not kept for a year."""
    jail = sshd()
    for i in range(3000):
        jail.add(fail(f"10.0.{i // 256}.{i % 256}", T0 + i))
    year_before = T0 - 365 * 86400
    for i in range(3000):
        jail.add(fail(f"10.1.{i // 256}.{i % 256}", year_before + i))
    assert jail.tracked < 1200


def test_restore_keeps_an_earlier_ban_in_force() -> None:
    first = sshd()
    ban = None
    for i in range(5):
        ban = first.add(fail("192.0.2.7", T0 + i)).ban
    assert ban is not None
    restarted = sshd()
    restarted.restore(ban)
    assert restarted.add(fail("192.0.2.7", T0 + 60)).verdict is FailureVerdict.ALREADY_BANNED
    assert restarted.add(fail("192.0.2.7", ban.end + 1)).verdict is FailureVerdict.COUNTED


def test_lift_counts_again_from_zero() -> None:
    jail = sshd(ipv6_prefix=64)
    ban = None
    for i in range(5):
        ban = jail.add(fail(f"2001:db8::{i + 1}", T0 + i)).ban
    assert ban is not None
    jail.lift(ban.target)
    outcomes = [jail.add(fail("2001:db8::9", T0 + 10 + i)).verdict for i in range(5)]
    assert outcomes == [FailureVerdict.COUNTED] * 4 + [FailureVerdict.BANNED]


def test_old_offences_are_forgotten_as_time_passes() -> None:
    esc = Escalation(factor=2.0, max=86400.0, window=3600.0)
    jail = sshd(escalation=esc)
    for i in range(5):
        jail.add(fail("192.0.2.7", T0 + i))
    target = ip_network("192.0.2.7/32")
    assert jail.offenders.count(target, T0 - 1, T0 + 10) == 1
    jail.add(fail("198.51.100.1", T0 + 7200))  # a later failure sweeps
    assert jail.offenders.count(target, T0 - 1, T0 + 10) == 0
    assert Guard([JailPolicy("a", escalation=esc), JailPolicy("b")]).offenders.keep == 604800.0
