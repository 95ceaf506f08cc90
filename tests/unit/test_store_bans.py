"""Ban history in SQLite: add, lift, active, history by containing target, forgetting;
hostile evidence round trips unchanged."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from ipaddress import ip_address, ip_network
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.addresses import Address, ban_target
from rempart.clock import FrozenClock
from rempart.errors import StateError
from rempart.model import Ban, JournalCursor
from rempart.store.bans import BanStore, StoredBan
from rempart.store.db import Database
from rempart.store.positions import PositionStore
from rempart.store.schema import load_migrations

T0 = 1_795_000_000.0
CLOCK = FrozenClock(T0)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database.open(tmp_path / "state.db", clock=CLOCK) as database:
        yield database


def ban(
    addr: str,
    start: float = T0,
    duration: float = 600.0,
    *,
    jail: str = "sshd",
    prefix: int = 128,
    evidence: tuple[str, ...] = ("line",),
) -> Ban:
    address = ip_address(addr)
    return Ban(
        jail=jail,
        target=ban_target(address, prefix),
        address=address,
        start=start,
        end=start + duration,
        offence=1,
        failures=5,
        evidence=evidence,
    )


def targets(bans: list[StoredBan]) -> list[str]:
    return [str(b.target) for b in bans]


def test_add_returns_what_is_stored(db: Database) -> None:
    store = BanStore(db)
    stored = store.add(ban("192.0.2.7", evidence=("a", "b")), "manual")
    assert stored == StoredBan(
        stored.id,
        "sshd",
        ip_network("192.0.2.7/32"),
        ip_address("192.0.2.7"),
        T0,
        T0 + 600,
        1,
        5,
        "manual",
        ("a", "b"),
    )
    assert store.history(ip_address("192.0.2.7")) == [stored]
    assert stored.ban == ban("192.0.2.7", evidence=("a", "b"))
    assert stored.active(T0)
    assert stored.active(T0 + 599.9)
    assert not stored.active(T0 + 600)
    assert not stored.active(T0 - 1)


def test_add_many_is_one_transaction_with_consecutive_ids(db: Database) -> None:
    store = BanStore(db)
    first = store.add(ban("192.0.2.1"))
    many = store.add_many([ban("192.0.2.2"), ban("2001:db8::2", prefix=64), ban("192.0.2.3")])
    assert [b.id for b in many] == [first.id + 1, first.id + 2, first.id + 3]
    assert store.active(T0, evidence=True) == [first, *many]  # same end: by id
    bad = ban("192.0.2.4")
    broken = Ban(**{**_fields(bad), "offence": 0})  # violates CHECK (offence >= 1)
    with pytest.raises(StateError):
        store.add_many([ban("192.0.2.5"), broken])
    assert len(store.active(T0)) == 4  # nothing of the failed batch


def _fields(b: Ban) -> dict[str, object]:
    return {k: getattr(b, k) for k in Ban.__dataclass_fields__}


def test_add_refuses_bad_reasons_and_addresses_outside_the_target(db: Database) -> None:
    store = BanStore(db)
    with pytest.raises(ValueError, match="reason"):
        store.add(ban("192.0.2.7"), "Robert'); DROP TABLE bans;--")
    outside = Ban("sshd", ip_network("192.0.2.0/24"), ip_address("198.51.100.1"), T0, T0 + 1, 1, 1)
    with pytest.raises(ValueError, match="outside"):
        store.add(outside)


def test_active_by_time_and_jail(db: Database) -> None:
    store = BanStore(db)
    store.add_many(
        [
            ban("192.0.2.1", T0, 100),
            ban("192.0.2.2", T0, 50, jail="postfix"),
            ban("2001:db8::1", T0 + 10, 200, prefix=64),
            ban("192.0.2.3", T0 + 500, 100),  # not started yet at T0 + 20
        ]
    )
    assert targets(store.active(T0 + 20)) == ["192.0.2.2/32", "192.0.2.1/32", "2001:db8::/64"]
    assert targets(store.active(T0 + 20, "sshd")) == ["192.0.2.1/32", "2001:db8::/64"]
    assert targets(store.active(T0 + 60)) == ["192.0.2.1/32", "2001:db8::/64"]
    assert targets(store.active(T0 + 150)) == ["2001:db8::/64"]
    assert store.active(T0 + 20, "unknown") == []
    (v6,) = store.active(T0 + 150)
    assert v6.address == ip_address("2001:db8::1")
    assert v6.evidence == ()
    (v6,) = store.active(T0 + 150, evidence=True)
    assert v6.evidence == ("line",)


def test_history_finds_every_ban_whose_target_contains_the_address(db: Database) -> None:
    store = BanStore(db)
    manual = Ban("sshd", ip_network("192.0.2.0/24"), ip_address("192.0.2.0"), T0, T0 + 9, 1, 0)
    store.add(manual, "manual")
    store.add_many(
        [
            ban("192.0.2.7", T0 + 1),
            ban("192.0.2.7", T0 + 2000, jail="recidive"),
            ban("192.0.2.8", T0 + 3),
            ban("2001:db8:0:1::5", T0 + 4, prefix=64),
            ban("2001:db8:0:1::6", T0 + 5),
            ban("2001:db8:0:2::5", T0 + 6, prefix=64),
        ]
    )
    assert targets(store.history(ip_address("192.0.2.7"))) == [
        "192.0.2.7/32",
        "192.0.2.7/32",
        "192.0.2.0/24",
    ]
    assert [b.jail for b in store.history(ip_address("192.0.2.7"))] == ["recidive", "sshd", "sshd"]
    assert targets(store.history(ip_address("192.0.2.7"), limit=1)) == ["192.0.2.7/32"]
    assert targets(store.history(ip_address("192.0.2.200"))) == ["192.0.2.0/24"]
    assert targets(store.history(ip_address("2001:db8:0:1::6"))) == [
        "2001:db8:0:1::6/128",
        "2001:db8:0:1::/64",
    ]
    assert store.history(ip_address("198.51.100.1")) == []
    assert store.history(ip_address("::ffff:192.0.2.7")) == []  # another version
    assert store.history(ip_address("::")) == []


def test_lift_ends_overlapping_active_bans_only(db: Database) -> None:
    store = BanStore(db)
    net = Ban("sshd", ip_network("192.0.2.0/24"), ip_address("192.0.2.0"), T0, T0 + 900, 1, 0)
    store.add(net, "manual")
    store.add_many(
        [
            ban("192.0.2.7"),
            ban("192.0.2.7", jail="postfix"),
            ban("192.0.2.7", T0 - 9000),  # over long ago
            ban("198.51.100.7"),
            ban("2001:db8::7", prefix=64),
        ]
    )
    lifted = store.lift(ip_network("192.0.2.7/32"), jail="sshd", at=T0 + 10, by="uid=0(root)")
    assert [(str(b.target), b.jail) for b in lifted] == [
        ("192.0.2.0/24", "sshd"),
        ("192.0.2.7/32", "sshd"),
    ]
    assert all(b.lifted_at == T0 + 10 and b.lifted_by == "uid=0(root)" for b in lifted)
    assert [(str(b.target), b.jail) for b in store.active(T0 + 11)] == [
        ("192.0.2.7/32", "postfix"),
        ("198.51.100.7/32", "sshd"),
        ("2001:db8::/64", "sshd"),
    ]
    assert store.lift(ip_network("192.0.2.7/32"), jail="sshd", at=T0 + 12, by="x") == []
    # a single address lifts its /64; a network lifts what is inside it
    assert targets(store.lift(ip_network("2001:db8::1/128"), jail=None, at=T0 + 13, by="x")) == [
        "2001:db8::/64"
    ]
    assert targets(store.lift(ip_network("0.0.0.0/0"), jail=None, at=T0 + 14, by="x")) == [
        "192.0.2.7/32",
        "198.51.100.7/32",
    ]
    assert store.active(T0 + 15) == []
    history = store.history(ip_address("192.0.2.7"))
    assert [(b.jail, b.lifted_at, b.lifted_by) for b in history] == [
        ("postfix", T0 + 14, "x"),  # newest first: by start, then by id
        ("sshd", T0 + 10, "uid=0(root)"),
        ("sshd", T0 + 10, "uid=0(root)"),
        ("sshd", None, None),  # ended before it could be lifted
    ]


def test_forget_before_drops_history_that_ended(db: Database) -> None:
    store = BanStore(db)
    store.add_many([ban("192.0.2.1", T0, 100), ban("192.0.2.2", T0, 1000), ban("192.0.2.3", T0)])
    store.lift(ip_network("192.0.2.2/32"), jail=None, at=T0 + 50, by="x")
    assert store.forget_before(T0 + 200) == 2  # ended at T0 + 100, lifted at T0 + 50
    assert targets(store.history(ip_address("192.0.2.3"))) == ["192.0.2.3/32"]
    assert store.history(ip_address("192.0.2.2")) == []
    assert store.forget_before(T0) == 0


HOSTILE = (
    "",
    "'; DROP TABLE bans; --",
    'Robert"); DELETE FROM bans WHERE ("1"="1',
    "\x00\x01\x1b[31m\r\n\t\x7f",
    '\\u0000 \\" \\\\',
    "\ud800 lone surrogate \udcff",  # what a source decodes invalid UTF-8 to
    "日本語 \u202e ✓",
    "x" * 65536,
)


def test_hostile_evidence_round_trips_unchanged(db: Database) -> None:
    store = BanStore(db)
    stored = store.add(ban("192.0.2.7", evidence=HOSTILE))
    (back,) = store.history(ip_address("192.0.2.7"))
    assert back.evidence == HOSTILE == stored.evidence
    (active,) = store.active(T0, evidence=True)
    assert active.evidence == HOSTILE
    assert store.lift(ip_network("192.0.2.7/32"), jail=None, at=T0, by=HOSTILE[1])[0].evidence == (
        HOSTILE
    )
    assert store.history(ip_address("192.0.2.7"))[0].lifted_by == HOSTILE[1]


def test_schema_checks_what_rempart_writes(db: Database) -> None:
    """STRICT tables and CHECK constraints refuse rows rempart would never write."""
    with db.transaction() as sql:
        sql.execute("SELECT 1")
    bad_rows = [
        ("", 4, 32, b"\0" * 16, b"\0" * 16, "detected", "[]"),  # empty jail
        ("sshd", 5, 32, b"\0" * 16, b"\0" * 16, "detected", "[]"),  # version
        ("sshd", 4, 33, b"\0" * 16, b"\0" * 16, "detected", "[]"),  # prefix
        ("sshd", 4, 32, b"\0" * 4, b"\0" * 16, "detected", "[]"),  # blob size
        ("sshd", 4, 32, b"\1" * 16, b"\0" * 16, "detected", "[]"),  # last < first
        ("sshd", 4, 32, b"\0" * 16, b"\0" * 16, "Detected", "[]"),  # reason
        ("sshd", 4, 32, b"\0" * 16, b"\0" * 16, "detected", '"x"'),  # evidence not an array
        ("sshd", 4, 32, b"\0" * 16, b"\0" * 16, "detected", "[x"),  # evidence not JSON
    ]
    for jail, version, prefix, first, last, reason, evidence in bad_rows:
        with pytest.raises(StateError), db.transaction() as sql:
            sql.execute(
                "INSERT INTO bans (jail, target, address, version, prefix, first, last, start, "
                "end, offence, failures, reason, evidence) "
                "VALUES (?, 'x', 'x', ?, ?, ?, ?, 0, 1, 1, 1, ?, ?)",
                (jail, version, prefix, first, last, reason, evidence),
            )


def test_an_issue_2_database_is_migrated_and_keeps_its_positions(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with Database.open(path, clock=CLOCK, migrations=load_migrations()[:1]) as old:
        PositionStore(old, CLOCK).save("sshd:journal", JournalCursor("c1"))
    with Database.open(path, clock=CLOCK) as db:
        assert db.version == len(load_migrations())
        assert PositionStore(db, CLOCK).load("sshd:journal") == JournalCursor("c1")
        BanStore(db).add(ban("192.0.2.7"))
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM bans").fetchone() == (1,)


_ADDRESSES = st.one_of(
    st.integers(0, 2**32 - 1).map(ip_address),
    st.integers(0, 2**128 - 1).map(lambda v: ip_address(v.to_bytes(16, "big"))),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    address=_ADDRESSES,
    prefix=st.integers(0, 128),
    evidence=st.lists(st.text(max_size=200), max_size=5).map(tuple),
    jail=st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=32),
    times=st.tuples(st.floats(0, 2e9), st.floats(0, 1e7)),
)
def test_round_trip(
    db: Database,
    address: Address,
    prefix: int,
    evidence: tuple[str, ...],
    jail: str,
    times: tuple[float, float],
) -> None:
    store = BanStore(db)
    start, duration = times
    target = ban_target(address, prefix) if address.version == 6 else ban_target(address)
    b = Ban(jail, target, address, start, start + duration, 2, 7, evidence)
    stored = store.add(b, "restored")
    assert stored.ban == b
    found = [s for s in store.history(address, limit=10_000) if s.id == stored.id]
    assert found == [stored]
    assert [s for s in store.history(target.network_address, 10_000) if s.id == stored.id] == [
        stored
    ]
