"""The supervision server's database (``server.db``): its own file and migrations.

Separate from the agent's state database so a machine can run both, and so the server's
history can be moved, backed up or dropped on its own.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rempart.clock import Clock
from rempart.errors import StateError
from rempart.store.db import BUSY_TIMEOUT, Database
from rempart.store.schema import Migration, applied_version, load_migrations

__all__ = ["SERVER_MIGRATIONS", "open_server_db", "open_server_db_readonly", "server_migrations"]

SERVER_MIGRATIONS = "rempart.store.server_migrations"


def server_migrations() -> tuple[Migration, ...]:
    return load_migrations(SERVER_MIGRATIONS)


def open_server_db(path: Path, *, clock: Clock | None = None) -> Database:
    """Open (creating and migrating as needed) the server database. Raises StateError."""
    return Database.open(path, clock=clock, migrations=server_migrations())


def open_server_db_readonly(path: Path, *, any_thread: bool = False) -> Database:
    """Open the server database for reading only (the CLI: ``rempart nodes``, ``alerts``,
    ``query``), never creating or migrating it: the running server is its one writer.
    Raises StateError when it is missing, unreadable, or of another schema version.
    ``any_thread``: the connection may be closed by another thread than the one using it (a
    pool's threads use one connection each; the pool closes them all)."""
    fix = "start `rempart server` once (it creates the database), or give its path with --database"
    if not path.exists():
        raise StateError("state.unusable", path=path, reason="no such file", fix=fix)
    try:
        connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            timeout=BUSY_TIMEOUT,
            check_same_thread=not any_thread,
        )
        connection.row_factory = sqlite3.Row
        version = applied_version(connection)
    except sqlite3.Error as exc:
        raise StateError("state.unusable", path=path, reason=exc, fix=fix) from exc
    known = len(server_migrations())
    if version != known:
        connection.close()
        raise StateError(
            "state.unusable",
            path=path,
            reason=f"schema version {version}, this rempart knows {known}",
            fix="run the same rempart version as the server (or restart the server to migrate)",
        )
    return Database(connection, path, version)
