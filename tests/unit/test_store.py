"""The state database: migrations once and atomically, too-new schemas refused, positions."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from rempart.clock import FrozenClock
from rempart.errors import StateError
from rempart.model import FilePosition, Fingerprint, JournalCursor
from rempart.store.db import Database
from rempart.store.positions import PositionStore
from rempart.store.schema import Migration, load_migrations, split_statements

CLOCK = FrozenClock(1_700_000_000.0)
FP = Fingerprint(4096, "a" * 32, 12, "b" * 32)


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


def test_a_new_database_is_created_migrated_and_private(tmp_path: Path) -> None:
    path = tmp_path / "state" / "rempart.sqlite3"
    with Database.open(path, clock=CLOCK) as db:
        assert db.version == len(load_migrations()) >= 1
        assert db.query("PRAGMA journal_mode")[0][0] == "wal"
        assert db.query("PRAGMA synchronous")[0][0] == 1  # NORMAL
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert rows(path, "SELECT version, name, applied_at FROM schema_version") == [
        (1, "positions", 1_700_000_000.0),
        (2, "bans", 1_700_000_000.0),
        (3, "abuseipdb", 1_700_000_000.0),
        (4, "bans_start", 1_700_000_000.0),
    ]


def test_migrations_apply_once(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    Database.open(path, clock=CLOCK).close()
    with Database.open(path, clock=FrozenClock(1_800_000_000.0)) as db:
        assert db.applied_version() == len(load_migrations())
    assert rows(path, "SELECT count(*), max(applied_at) FROM schema_version") == [
        (len(load_migrations()), 1_700_000_000.0)
    ]


def test_a_later_migration_is_applied_to_an_existing_database(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    shipped = load_migrations()
    Database.open(path, clock=CLOCK).close()
    later = Migration(len(shipped) + 1, "later", "CREATE TABLE later (ip TEXT) STRICT;\n")
    with Database.open(path, clock=CLOCK, migrations=(*shipped, later)) as db:
        assert db.version == len(shipped) + 1
        with db.transaction() as sql:
            sql.execute("INSERT INTO later VALUES (?)", ("192.0.2.1",))


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    shipped = load_migrations()
    Database.open(path, clock=CLOCK).close()
    n = len(shipped)
    good = Migration(n + 1, "good", "CREATE TABLE good (x INTEGER);\n")
    bad = Migration(n + 2, "bad", "CREATE TABLE worse (x INTEGER);\nNOT SQL AT ALL;\n")
    with pytest.raises(StateError, match=f"migration {n + 2:04}_bad failed"):
        Database.open(path, clock=CLOCK, migrations=(*shipped, good, bad))
    names = {r[0] for r in rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not names & {"good", "worse"}
    assert rows(path, "SELECT max(version) FROM schema_version") == [(n,)]


def test_a_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    Database.open(path, clock=CLOCK).close()
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO schema_version VALUES (7, 'future', 0)")
    known = len(load_migrations())
    with pytest.raises(
        StateError, match=rf"schema version 7, newer than this rempart knows \({known}\)"
    ):
        Database.open(path, clock=CLOCK)
    assert rows(path, "SELECT max(version) FROM schema_version") == [(7,)]


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StateError, match=r"state database .*state\.db"):
        Database.open(path, clock=CLOCK)


def test_an_unwritable_place(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StateError, match="state_dir"):
        Database.open(blocker / "state.db", clock=CLOCK)


def test_split_statements() -> None:
    script = (
        "-- a comment\n"
        "CREATE TABLE t (\n  x TEXT -- why\n);\n"
        "CREATE TRIGGER g AFTER INSERT ON t BEGIN\n  SELECT 1;\nEND;\n"
        "-- the end\n"
    )
    first, trigger = split_statements(script)
    assert first.endswith("CREATE TABLE t (\n  x TEXT -- why\n);")
    assert trigger.startswith("CREATE TRIGGER g")
    assert trigger.endswith("END;")
    with pytest.raises(ValueError, match="incomplete"):
        split_statements("CREATE TABLE t (x)\n")


def test_positions_round_trip(tmp_path: Path) -> None:
    with Database.open(tmp_path / "s.db", clock=CLOCK) as db:
        store = PositionStore(db, CLOCK)
        big = FilePosition(Path("/var/log/auth.log"), 2**64 - 5, 2**63 + 17, 123_456, FP)
        cursor = JournalCursor("s=abc;i=1f;b=0;m=1;t=2;x=3", 1_700_000_000.25)
        store.save_all({"sshd:/var/log/auth.log": big, "sshd:journal": cursor})
        assert store.load("sshd:/var/log/auth.log") == big
        assert store.load("sshd:journal") == cursor
        assert store.load("unknown") is None
        assert store.sources() == ["sshd:/var/log/auth.log", "sshd:journal"]
        moved = FilePosition(Path("/var/log/auth.log"), 1, 2, 99, FP)
        store.save("sshd:/var/log/auth.log", moved)
        assert store.load("sshd:/var/log/auth.log") == moved
        store.save("sshd:/var/log/auth.log", JournalCursor("c", None))  # kind changes
        assert store.load("sshd:/var/log/auth.log") == JournalCursor("c", None)
        store.forget("sshd:journal")
        assert store.sources() == ["sshd:/var/log/auth.log"]


def test_hostile_source_keys_and_cursors_are_only_data(tmp_path: Path) -> None:
    with Database.open(tmp_path / "s.db", clock=CLOCK) as db:
        store = PositionStore(db, CLOCK)
        key = "x'; DROP TABLE file_positions; --"
        store.save(key, JournalCursor("'); DELETE FROM journal_cursors; --"))
        assert store.load(key) == JournalCursor("'); DELETE FROM journal_cursors; --")
        assert store.sources() == [key]


def test_a_failed_transaction_is_rolled_back(tmp_path: Path) -> None:
    with Database.open(tmp_path / "s.db", clock=CLOCK) as db:
        store = PositionStore(db, CLOCK)
        bad = FilePosition(Path("/x"), 1, 2, -1, FP)  # violates CHECK (offset >= 0)
        with pytest.raises(StateError):
            store.save_all({"a": JournalCursor("kept?"), "b": bad})
        assert store.sources() == []
