"""The supervision server's database (``server.db``): its own file and migrations.

Separate from the agent's state database so a machine can run both, and so the server's
history can be moved, backed up or dropped on its own.
"""

from __future__ import annotations

from pathlib import Path

from rempart.clock import Clock
from rempart.store.db import Database
from rempart.store.schema import Migration, load_migrations

__all__ = ["SERVER_MIGRATIONS", "open_server_db", "server_migrations"]

SERVER_MIGRATIONS = "rempart.store.server_migrations"


def server_migrations() -> tuple[Migration, ...]:
    return load_migrations(SERVER_MIGRATIONS)


def open_server_db(path: Path, *, clock: Clock | None = None) -> Database:
    """Open (creating and migrating as needed) the server database. Raises StateError."""
    return Database.open(path, clock=clock, migrations=server_migrations())
