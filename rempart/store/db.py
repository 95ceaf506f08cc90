"""The state database: one SQLite file, one writer, migrated when opened.

:meth:`Database.open` creates the file (mode 0600: it will hold log evidence) and its
directory when missing, switches it to WAL (readers never block the writer) with
``synchronous=NORMAL`` (durable across a rempart crash; a power cut may lose the last
transactions, never corrupt the file), and applies the missing migrations (see
:mod:`rempart.store.schema`).

One writer: a :class:`Database` owns one connection, usable only from the thread that
opened it (sqlite3 checks it). The agent opens it in the one thread that writes state
and hands it work; nothing else writes. Every statement is parameterised: values are
passed as parameters, never formatted into SQL.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rempart.clock import Clock, SystemClock
from rempart.errors import StateError
from rempart.store.schema import Migration, applied_version, load_migrations, migrate

__all__ = ["BUSY_TIMEOUT", "Database"]

BUSY_TIMEOUT = 10.0  # seconds to wait for another process's write lock
_FIX = "check the state_dir setting, its permissions and free space"


def _unusable(path: Path, exc: BaseException) -> StateError:
    return StateError("state.unusable", path=path, reason=exc, fix=_FIX)


class Database:
    """An open state database; see the module documentation."""

    def __init__(self, connection: sqlite3.Connection, path: Path, version: int) -> None:
        self._connection = connection
        self.path = path
        self.version = version

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        clock: Clock | None = None,
        migrations: Sequence[Migration] | None = None,
    ) -> Database:
        """Open (creating and migrating as needed) the database at ``path``.
        Raises StateError."""
        steps = load_migrations() if migrations is None else migrations
        now = (clock or SystemClock()).now()
        try:
            path.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
            connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise _unusable(path, exc) from exc
        try:
            connection.row_factory = sqlite3.Row
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise sqlite3.OperationalError(f"cannot use WAL journal mode (got {mode})")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
            version = migrate(connection, steps, path=path, now=now)
        except sqlite3.Error as exc:
            connection.close()
            raise _unusable(path, exc) from exc
        except BaseException:
            connection.close()
            raise
        return cls(connection, path, version)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): committed when the block ends,
        rolled back when it raises. Raises StateError for database errors."""
        connection = self._connection
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _unusable(self.path, exc) from exc
        try:
            yield connection
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise _unusable(self.path, exc) from exc
        except BaseException:
            self._rollback()
            raise

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows of one read statement. Raises StateError."""
        try:
            return self._connection.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise _unusable(self.path, exc) from exc

    def tuples(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read statement as plain tuples: for bulk reads, where building a
        :class:`sqlite3.Row` per row costs more than the read. Raises StateError."""
        try:
            cursor = self._connection.cursor()
            cursor.row_factory = None
            rows: list[tuple[Any, ...]] = cursor.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise _unusable(self.path, exc) from exc
        return rows

    def applied_version(self) -> int:
        """The schema version recorded in the file (re-read)."""
        return applied_version(self._connection)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _rollback(self) -> None:
        if self._connection.in_transaction:
            self._connection.execute("ROLLBACK")
