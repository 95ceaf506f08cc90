"""The one thread that owns the state database.

SQLite allows one writer; :class:`StateWriter` opens the database in a thread of its
own and runs every read and write there, one at a time, in the order handed over
(the datasette model: ``Database._execute_writes``). The event loop never waits on
the disk unless it asks for an answer (:meth:`StateWriter.run`); fire-and-forget
writes (:meth:`StateWriter.submit`) keep their order and log their errors.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from rempart.clock import Clock
from rempart.errors import RempartError
from rempart.store.db import Database
from rempart.store.schema import Migration

__all__ = ["StateWriter"]

T = TypeVar("T")


class StateWriter:
    """Owner of the database at ``path``; see the module documentation."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Clock,
        log: logging.Logger,
        migrations: Sequence[Migration] | None = None,
    ) -> None:
        self.path = path
        self._migrations = migrations
        self._clock = clock
        self._log = log
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="rempart-state")
        self._db: Database | None = None
        self.errors = 0

    async def open(self) -> None:
        """Open (create, migrate) the database in the writer thread. Raises StateError."""
        self._db = await self.run_raw(
            lambda: Database.open(self.path, clock=self._clock, migrations=self._migrations)
        )

    async def run_raw(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def run(self, fn: Callable[[Database], T]) -> T:
        """``fn(database)`` in the writer thread; its result or its exception."""
        db = self._require()
        return await self.run_raw(lambda: fn(db))

    def submit(self, fn: Callable[[Database], object], what: str) -> Future[object]:
        """Queue ``fn(database)``; a failure is logged (and counted), never raised."""
        db = self._require()

        def work() -> object:
            try:
                return fn(db)
            except RempartError as exc:
                self.errors += 1
                self._log.error("%s: %s", what, exc)
            return None

        return self._executor.submit(work)

    async def close(self) -> None:
        """Finish the queued work, then close the database."""
        db, self._db = self._db, None
        if db is not None:
            await self.run_raw(db.close)
        self._executor.shutdown(wait=True)

    def _require(self) -> Database:
        if self._db is None:
            raise RuntimeError("the state database is not open")
        return self._db
