"""Allowances, successful logins and failure windows in SQLite (real files)."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import ip_address, ip_network
from pathlib import Path

import pytest

from rempart.clock import FrozenClock
from rempart.guard.engine import JailGuard
from rempart.guard.policy import JailPolicy
from rempart.model import Failure, FailureVerdict, WindowSnapshot
from rempart.store.allows import AllowStore
from rempart.store.db import Database
from rempart.store.logins import LoginStore
from rempart.store.windows import WindowStore

T0 = 1_795_000_000.0
CLOCK = FrozenClock(T0)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database.open(tmp_path / "state.db", clock=CLOCK) as database:
        yield database


def test_allowances(db: Database) -> None:
    store = AllowStore(db)
    store.add(ip_network("2001:db8::/48"), None, at=T0, by="uid=0(root)")
    store.add(ip_network("192.0.2.7/32"), T0 + 86400, at=T0, by="uid=1000(ann)")
    store.add(ip_network("10.0.0.0/8"), T0 + 10, at=T0, by="x")
    assert store.active(T0 + 5) == [
        (ip_network("10.0.0.0/8"), T0 + 10),
        (ip_network("192.0.2.7/32"), T0 + 86400),
        (ip_network("2001:db8::/48"), None),
    ]
    assert [n for n, _ in store.active(T0 + 10)] == [
        ip_network("192.0.2.7/32"),
        ip_network("2001:db8::/48"),
    ]
    # allowing again replaces the end
    store.add(ip_network("192.0.2.7/32"), None, at=T0 + 20, by="x")
    assert (ip_network("192.0.2.7/32"), None) in store.active(T0 + 10**7)
    assert store.remove(ip_network("192.0.2.7/32"))
    assert not store.remove(ip_network("192.0.2.7/32"))
    assert store.forget_before(T0 + 11) == 1  # 10.0.0.0/8
    assert store.active(T0) == [(ip_network("2001:db8::/48"), None)]
    with pytest.raises(ValueError, match="before it starts"):
        store.add(ip_network("192.0.2.8/32"), T0 - 1, at=T0, by="x")


def test_logins_keep_the_last_time(db: Database) -> None:
    store = LoginStore(db)
    store.record(ip_address("192.0.2.7"), T0)
    store.record(ip_address("192.0.2.7"), T0 - 100)  # older: ignored
    store.record_many(
        [(ip_address("2001:db8::7"), T0 + 5), (ip_address("::ffff:192.0.2.8"), T0 - 50)]
    )
    assert store.since(T0 - 60) == [
        (ip_address("::ffff:192.0.2.8"), T0 - 50),
        (ip_address("192.0.2.7"), T0),
        (ip_address("2001:db8::7"), T0 + 5),
    ]
    assert store.since(T0 + 1) == [(ip_address("2001:db8::7"), T0 + 5)]
    assert store.forget_before(T0) == 1
    assert [a for a, _ in store.since(0)] == [ip_address("192.0.2.7"), ip_address("2001:db8::7")]


def test_windows_replace_a_jails_rows(db: Database) -> None:
    store = WindowStore(db)
    hostile = ("'; DROP TABLE windows; --", '\x00\r\n"', "x" * 65536, "\udcff")
    first = [
        WindowSnapshot(ip_network("192.0.2.7/32"), (T0, T0 + 0.125), hostile),
        WindowSnapshot(ip_network("2001:db8::/64"), (T0 + 1,), ()),
    ]
    store.save("sshd", first)
    store.save("postfix", [WindowSnapshot(ip_network("198.51.100.1/32"), (T0,), ("p",))])
    assert store.load("sshd") == first
    assert store.jails() == ["postfix", "sshd"]
    store.save("sshd", first[1:])
    assert store.load("sshd") == first[1:]
    store.save("sshd", [])
    assert store.load("sshd") == []
    store.forget("postfix")
    assert store.jails() == []


def test_four_failures_saved_and_one_after_a_restart_ban(tmp_path: Path) -> None:
    """The whole path: guard -> snapshot -> database file -> new process -> guard."""
    path = tmp_path / "state.db"
    policy = JailPolicy(name="sshd")

    def failure(t: float) -> Failure:
        return Failure("192.0.2.7", ip_address("192.0.2.7"), t, (f"Failed {t}",), 0)

    before = JailGuard(policy)
    for i in range(4):
        before.add(failure(T0 + i))
    with Database.open(path, clock=CLOCK) as db:
        WindowStore(db).save("sshd", before.snapshot())
    after = JailGuard(policy)
    with Database.open(path, clock=CLOCK) as db:
        after.load(WindowStore(db).load("sshd"))
    outcome = after.add(failure(T0 + 100))
    assert outcome.verdict is FailureVerdict.BANNED
    assert outcome.ban is not None
    assert len(outcome.ban.evidence) == 5
