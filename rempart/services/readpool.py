"""Read-only connections to a database, for the dashboard's pages.

A few threads, each with its own read-only SQLite connection (a connection is never shared
between threads); ``run(fn)`` calls ``fn(database)`` in one of them. Readers never block the
server's one writer (WAL), and never write: the connections are opened ``mode=ro``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from rempart.store.db import Database
from rempart.store.server_db import open_server_db_readonly

__all__ = ["ReadPool"]

T = TypeVar("T")


class ReadPool:
    """``size`` reader threads over the database at ``path`` (opened on first use)."""

    def __init__(
        self,
        path: Path,
        *,
        size: int = 4,
        opener: Callable[[Path], Database] | None = None,
    ) -> None:
        self.path = path
        self._opener = opener or (lambda p: open_server_db_readonly(p, any_thread=True))
        self._local = threading.local()
        self._all: list[Database] = []
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(size, thread_name_prefix="rempart-read")

    def _db(self) -> Database:
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            db = self._opener(self.path)
            self._local.db = db
            with self._lock:
                self._all.append(db)
        return db

    def call(self, fn: Callable[[Database], T]) -> T:
        """``fn(database)`` in the calling thread's own connection (for the pool's threads,
        and for tests and benchmarks that read without an event loop)."""
        return fn(self._db())

    async def run(self, fn: Callable[[Database], T]) -> T:
        """``fn(database)`` in a reader thread; its result or its exception."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(self._db()))

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        with self._lock:
            for db in self._all:
                db.close()
            self._all.clear()
