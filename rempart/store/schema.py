"""Numbered schema migrations, applied once, atomically, and recorded.

Migrations are the ``NNNN_name.sql`` files of :mod:`rempart.store.migrations`. The
database records the ones applied in ``schema_version`` (version, name, time). Opening
a database applies the missing ones, all in one ``BEGIN IMMEDIATE`` transaction (two
processes starting together cannot both migrate; a failure leaves the database as it
was). A database whose version is newer than the code's is refused, never touched.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rempart.errors import StateError

__all__ = ["Migration", "applied_version", "load_migrations", "migrate", "split_statements"]

_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
_PACKAGE = "rempart.store.migrations"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(package: str = _PACKAGE) -> tuple[Migration, ...]:
    """The migrations shipped in ``package``, in order; their numbers must run 1, 2, 3…"""
    found = []
    for entry in resources.files(package).iterdir():
        match = _NAME.fullmatch(entry.name)
        if match:
            version, name = int(match[1]), match[2]
            found.append(Migration(version, name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise ValueError(f"{package}: migrations must be numbered 1..n without gaps")
    return tuple(found)


def split_statements(script: str) -> list[str]:
    """The statements of ``script``: each ends with ``;`` at the end of a line."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    rest = [x for x in current.splitlines() if x.strip() and not x.strip().startswith("--")]
    if rest:
        raise ValueError(f"incomplete SQL statement: {rest[0]!r}")
    return statements


_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at REAL NOT NULL
) STRICT"""


def applied_version(connection: sqlite3.Connection) -> int:
    """The highest migration recorded (0 for a new database)."""
    exists = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = connection.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(
    connection: sqlite3.Connection,
    migrations: Sequence[Migration],
    *,
    path: Path,
    now: float,
) -> int:
    """Apply the migrations ``connection`` (in autocommit mode) lacks; the new version.
    Raises StateError (too new a database, a failing migration)."""
    connection.execute("BEGIN IMMEDIATE")
    step = "schema_version"
    try:
        connection.execute(_VERSION_TABLE)
        version = applied_version(connection)
        if version > len(migrations):
            raise StateError("state.too_new", path=path, found=version, known=len(migrations))
        for migration in migrations[version:]:
            step = f"{migration.version:04}_{migration.name}"
            for statement in split_statements(migration.sql):
                connection.execute(statement)
            connection.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, now),
            )
        connection.execute("COMMIT")
    except (sqlite3.Error, ValueError) as exc:
        _rollback(connection)
        raise StateError("state.migration_failed", path=path, migration=step, reason=exc) from exc
    except BaseException:
        _rollback(connection)
        raise
    return len(migrations)


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:  # some errors already rolled it back
        connection.execute("ROLLBACK")
