"""Pure reporting logic: skip reasons, comments, budget, decisions, backoff, bulk CSV."""

from __future__ import annotations

import csv
import io
from collections import Counter
from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.addresses import Address
from rempart.guard.bulk_csv import HEADER, MAX_BYTES, MAX_LINES, BulkRow, bulk_csv, report_date
from rempart.guard.quota import DAY, RESET_MARGIN, Budget, next_reset, reset_time, utc_day
from rempart.guard.report_comment import MAX_COMMENT_BYTES, comment, iso_utc, scrub
from rempart.guard.reporting import (
    COOLDOWN,
    MAX_AGE,
    NOT_CONFIGURED,
    NOT_DETECTED,
    NOT_GLOBAL,
    OWN_ADDRESS,
    PENDING,
    SAFE_WINDOW,
    TOO_OLD,
    Drop,
    Pause,
    Retry,
    Sent,
    decide,
    retry_at,
    skip_reason,
)

T0 = 1_795_000_000.0  # 2026-11-18T...Z
ATTACKER = ip_address("203.0.113.7")  # documentation range: not global
GLOBAL = ip_address("8.8.4.4")
GLOBAL6 = ip_address("2a00:1450:4007:80c::200e")
OWN = ip_address("91.198.174.192")


def _skip(address: Address = GLOBAL, **kw: object) -> str | None:
    args: dict[str, object] = {
        "jail": "sshd",
        "reason": "detected",
        "address": address,
        "attack_at": T0 - 10,
        "now": T0,
        "jails": {"sshd"},
        "own": frozenset({OWN}),
    }
    args.update(kw)
    return skip_reason(**args)  # type: ignore[arg-type]


# ------------------------------------------------------------------ skip reasons


def test_skip_reasons() -> None:
    assert _skip() is None
    assert _skip(GLOBAL6) is None
    assert _skip(jail="recidive") == NOT_CONFIGURED
    assert _skip(reason="manual") == NOT_DETECTED
    assert _skip(reason="restored") == NOT_DETECTED
    for private in ("10.1.2.3", "192.168.1.1", "127.0.0.1", "100.64.0.1", "169.254.1.1"):
        assert _skip(ip_address(private)) == NOT_GLOBAL, private
    for private in ("::1", "fd00::1", "fe80::1", "2001:db8::1", "ff02::1"):
        assert _skip(ip_address(private)) == NOT_GLOBAL, private
    assert _skip(ATTACKER) == NOT_GLOBAL  # 203.0.113.0/24 is documentation
    assert _skip(OWN) == OWN_ADDRESS
    assert _skip(attack_at=T0 - MAX_AGE - 1) == TOO_OLD
    assert _skip(attack_at=T0 - MAX_AGE) is None
    assert _skip(pending=True) == PENDING
    assert _skip(last_reported=T0 - 3600, cooldown=DAY) == COOLDOWN
    assert _skip(last_reported=T0 - DAY, cooldown=DAY) is None
    # never within 15 minutes, whatever the cooldown says
    assert _skip(last_reported=T0 - 899, cooldown=60) == COOLDOWN


# ------------------------------------------------------------------ comment


def test_comment_reads_well() -> None:
    text = comment((18, 22), 7, T0 - 600, T0, ("2200",))
    assert text == (
        f"SSH, brute force: 7 failed attempts on port 2200 between {iso_utc(T0 - 600)} "
        f"and {iso_utc(T0)} (rempart)"
    )
    assert iso_utc(0) == "1970-01-01T00:00:00Z"
    assert comment((21,), 3, T0, T0, None) == (
        f"Web application attack: 3 failed attempts at {iso_utc(T0)} (rempart)"
    )
    assert "on ports 22, 2222, 2200 " in comment((18,), 5, T0, T0, ("22", "2222", "2200"))
    assert "on ports 8000-8100 " in comment((18,), 5, T0, T0, ("8000-8100",))
    many = comment((18,), 5, T0, T0, tuple(str(p) for p in range(1, 30)))
    assert "on ports 1, 2, 3, 4, 5, 6, 7, 8, … " in many
    assert comment((18,), 0, T0, T0).startswith("Brute force: attack at ")


def test_comment_hides_names_and_our_addresses() -> None:
    text = comment((22, 18), 5, T0, T0, hide=("ssh", "brute"), own=())
    assert "ssh" not in text.casefold()
    assert "brute" not in text.casefold()
    assert text.startswith("*, * force")


def test_scrub() -> None:
    own = [ip_address("192.0.2.1"), ip_address("2001:db8::1")]
    dirty = (
        'root@mail.example.org said "hi" \\o/ from 192.0.2.1 and 2001:DB8::1\n'
        "GET /x?token=abc\r\n\x00 www.Example.ORG\u2028end\u202e"
    )
    text = scrub(dirty, ("example.org", "www"), own)
    assert "\n" not in text
    assert "\r" not in text
    assert "\u2028" not in text
    assert "example" not in text.casefold()
    assert "192.0.2.1" not in text
    assert "2001:db8::1" not in text.casefold()
    assert "token" not in text
    assert '"' not in text
    assert "\\" not in text
    assert "root" not in text
    assert text == "* said 'hi' /o/ from * and * GET /x *.* end"
    long = scrub("é" * 2000)
    assert len(long.encode()) <= MAX_COMMENT_BYTES
    assert long == "é" * 512
    # an exploded IPv6 form and an IPv4-mapped one are hidden too
    v6 = ip_address("2001:db8::1")
    assert isinstance(v6, IPv6Address)
    assert scrub(v6.exploded, (), [v6]) == "*"
    assert scrub("::ffff:192.0.2.9 and 192.0.2.9", (), [ip_address("::ffff:192.0.2.9")]) == (
        "::ffff:* and *"
    )


_names = st.from_regex(r"[A-Za-z0-9._-]{2,20}", fullmatch=True)
_addresses = st.one_of(
    st.ip_addresses(v=4).map(lambda a: IPv4Address(int(a))),
    st.ip_addresses(v=6).map(lambda a: IPv6Address(int(a))),
)


@settings(max_examples=300, deadline=None)
@given(
    categories=st.lists(st.integers(1, 23), min_size=1, max_size=5),
    failures=st.integers(0, 10**9),
    first=st.floats(0, 4e9),
    span=st.floats(0, 1e6),
    ports=st.none() | st.lists(st.from_regex(r"[0-9]{1,5}(-[0-9]{1,5})?", fullmatch=True)),
    hide=st.lists(_names, max_size=8),
    users=st.lists(_names, max_size=8),
    own=st.lists(_addresses, max_size=6),
)
def test_comment_property(
    categories: list[int],
    failures: int,
    first: float,
    span: float,
    ports: list[str] | None,
    hide: list[str],
    users: list[str],
    own: list[Address],
) -> None:
    """Comments never hold a hidden name (host or user), nor one of our addresses;
    they are one printable line of at most 1,024 bytes."""
    text = comment(categories, failures, first, first + span, ports, hide=hide + users, own=own)
    _publishable(text, hide + users, own)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=3000), hide=st.lists(_names, max_size=8), own=st.lists(_addresses))
def test_scrub_property(text: str, hide: list[str], own: list[Address]) -> None:
    _publishable(scrub(text, hide, own), hide, own)


def _publishable(text: str, hide: list[str], own: list[Address]) -> None:
    assert len(text.encode("utf-8")) <= MAX_COMMENT_BYTES
    assert text.isprintable()
    assert "\n" not in text
    assert '"' not in text
    assert "\\" not in text
    folded = text.casefold()
    for name in hide:
        assert name.casefold() not in folded, name
    for address in own:
        assert str(address).casefold() not in folded, address
        assert address.exploded.casefold() not in folded, address


# ------------------------------------------------------------------ budget


def test_budget_day_and_pause() -> None:
    b = Budget.fresh("report", 3, T0)
    assert b.allows(T0)
    assert b.left == 3
    for _ in range(3):
        b = b.spend(T0)
    assert not b.allows(T0)
    assert b.next_call(T0) == next_reset(T0)
    # the next UTC day starts afresh
    tomorrow = next_reset(T0)
    assert b.allows(tomorrow)
    assert b.today(tomorrow).used == 0
    # the server's count lowers what is left, never raises it
    b = Budget.fresh("report", 10, T0).spend(T0).observe(T0, 2)
    assert b.left == 2
    assert b.spend(T0).left == 1
    assert Budget.fresh("report", 10, T0).spend(T0).observe(T0, 500).left == 9
    # a daily-limit answer pauses until the reset (the server's, when plausible)
    b = Budget.fresh("report", 10, T0).exhausted(T0)
    assert b.paused_until == next_reset(T0) + RESET_MARGIN
    assert b.reason == "daily-limit"
    assert not b.allows(next_reset(T0))
    assert b.allows(next_reset(T0) + RESET_MARGIN)
    assert b.today(next_reset(T0) + RESET_MARGIN).reason == ""
    assert reset_time(T0, next_reset(T0) - 5) == next_reset(T0) - 5 + RESET_MARGIN
    assert reset_time(T0, T0 + 30 * DAY) == next_reset(T0) + RESET_MARGIN
    assert reset_time(T0, T0 - 5) == next_reset(T0) + RESET_MARGIN
    # a pause never shortens a longer one
    b = Budget.fresh("report", 10, T0).pause(T0 + 100, "x").pause(T0 + 50, "y")
    assert (b.paused_until, b.reason, b.next_call(T0)) == (T0 + 100, "x", T0 + 100)
    assert utc_day(next_reset(T0)) == utc_day(T0) + 1


_ops = st.lists(
    st.tuples(
        st.sampled_from(["spend", "observe", "exhausted", "wait"]),
        st.floats(0, 30_000),
        st.integers(-1, 5000),
    ),
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(limit=st.integers(1, 50), ops=_ops)
def test_budget_never_allows_more_than_the_limit_per_utc_day(
    limit: int, ops: list[tuple[str, float, int]]
) -> None:
    now = T0
    budget = Budget.fresh("report", limit, now)
    calls: Counter[int] = Counter()
    for op, step, value in ops:
        now += step
        if op == "spend" and budget.allows(now):
            budget = budget.spend(now)
            calls[utc_day(now)] += 1
        elif op == "observe":
            budget = budget.observe(now, value)
        elif op == "exhausted":
            budget = budget.exhausted(now, now + value)
        assert budget.today(now).used == calls[utc_day(now)]
    assert all(n <= limit for n in calls.values())


# ------------------------------------------------------------------ decisions, backoff


def _decide(outcome: str, **kw: object) -> object:
    args: dict[str, object] = {
        "now": T0,
        "first_try": T0,
        "attempts": 1,
        "unsure": False,
        "rng": lambda: 0.5,
    }
    args.update(kw)
    return decide(outcome, **args)  # type: ignore[arg-type]


def test_decisions() -> None:
    assert _decide("OK") == Sent()
    assert isinstance(_decide("BAD_ANSWER"), Retry)
    assert isinstance(_decide("BAD_ANSWER"), Retry)
    assert _decide("DUPLICATE") == Drop("duplicate", reported=True)
    assert _decide("DUPLICATE", unsure=True) == Sent(confirmed=True)
    assert _decide("DAILY_LIMIT", reset_at=next_reset(T0)) == Pause(
        next_reset(T0) + RESET_MARGIN, "daily-limit"
    )
    assert _decide("RATE_LIMITED", retry_after=30.0) == Pause(T0 + 30, "rate-limited")
    assert _decide("RATE_LIMITED") == Pause(T0 + 60, "rate-limited")
    assert _decide("UNAUTHORIZED") == Pause(None, "unauthorized")
    assert _decide("PAYMENT_REQUIRED") == Pause(None, "payment-required")
    assert _decide("INVALID", detail="bad ip") == Drop("invalid: bad ip")
    for outcome in ("SERVER_ERROR", "NETWORK"):
        decision = _decide(outcome)
        assert isinstance(decision, Retry)
        assert decision.unsure
        assert T0 + 2.5 <= decision.at <= T0 + 5


def test_unsure_retries_stay_within_15_minutes() -> None:
    now, attempts, tries = T0, 1, [T0]
    while now < T0 + SAFE_WINDOW - 1:
        now = retry_at(attempts, now=now, first_try=T0, unsure=True, rng=lambda: 1.0)
        attempts += 1
        tries.append(now)
    assert tries[-1] == T0 + SAFE_WINDOW
    assert len(tries) >= 8
    # past the window, the usual backoff (at most an hour)
    late = retry_at(20, now=T0 + 5000, first_try=T0, unsure=True, rng=lambda: 1.0)
    assert late == T0 + 5000 + 3600


@given(
    attempts=st.integers(1, 100),
    elapsed=st.floats(0, 10 * DAY),
    unsure=st.booleans(),
    r=st.floats(0, 1),
)
def test_backoff_property(attempts: int, elapsed: float, unsure: bool, r: float) -> None:
    now = T0 + elapsed
    at = retry_at(attempts, now=now, first_try=T0, unsure=unsure, rng=lambda: r)
    assert now < at <= now + 3600
    if unsure and now < T0 + SAFE_WINDOW - 1:
        assert at <= T0 + SAFE_WINDOW


# ------------------------------------------------------------------ bulk CSV


def _rows(n: int, comment_text: str = "SSH, brute force: 5 failed attempts") -> list[BulkRow]:
    return [
        BulkRow(f"8.8.{i // 256 % 256}.{i % 256}", (18, 22), T0, comment_text) for i in range(n)
    ]


def test_bulk_csv_format() -> None:
    out = bulk_csv(
        [BulkRow("8.8.4.4", (18, 22), 0.0, 'a, "b"\nc\\d'), BulkRow("::1", (18,), 0, "")]
    )
    assert out.count == 2
    assert out.data.decode() == (
        f"{HEADER}\r\n"
        '8.8.4.4,"18,22",1970-01-01T00:00:00+00:00,"a, \'b\' c/d"\r\n'
        '::1,"18",1970-01-01T00:00:00+00:00,""\r\n'
    )
    assert report_date(T0).endswith("+00:00")
    with pytest.raises(ValueError, match="not an address"):
        bulk_csv([BulkRow("8.8.4.4,1", (18,), 0, "")])


def test_bulk_csv_limits() -> None:
    out = bulk_csv(_rows(12_000))
    assert out.count == MAX_LINES - 1
    assert out.data.count(b"\r\n") == MAX_LINES
    big = bulk_csv(_rows(3000, "é" * 500))
    assert len(big.data) < MAX_BYTES
    assert big.count < 3000
    assert len(big.data) + len(bulk_csv(_rows(1, "é" * 500)).data) - len(HEADER) - 2 >= MAX_BYTES


_row = st.builds(
    BulkRow,
    address=_addresses.map(str),
    categories=st.lists(st.integers(1, 23), min_size=1, max_size=4).map(tuple),
    at=st.floats(0, 4e9),
    comment=st.text(max_size=200),
)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(_row, max_size=20))
def test_bulk_csv_round_trips(rows: list[BulkRow]) -> None:
    out = bulk_csv(rows)
    text = out.data.decode("utf-8")
    # the same fields for a strict reader and for one with backslash escapes (PHP's way)
    strict = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    escaped = list(csv.reader(io.StringIO(text, newline=""), escapechar="\\", doublequote=False))
    assert strict == escaped
    assert strict[0] == HEADER.split(",")
    assert len(strict) == len(rows) + 1 == out.count + 1
    for row, fields in zip(rows, strict[1:], strict=True):
        assert fields[0] == row.address
        assert fields[1] == ",".join(map(str, row.categories))
        assert fields[2] == report_date(row.at)
        assert fields[3] == scrub(row.comment)
