"""The connections of one of the agent's servers (control socket, munin-node, Prometheus).

Each accepted connection runs in its own task; :class:`Connections` keeps those tasks, refuses
one past the limit, and ends them all when the server closes. :func:`close_writer` closes a
connection without waiting forever for a peer that does not read.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["Connections", "close_writer"]

CLOSE_WAIT = 2.0  # seconds to wait for a closed connection to drain


class Connections:
    """The connection tasks of one server, at most ``limit`` at once (None: no limit)."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self._tasks: set[asyncio.Task[object]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def admit(self) -> bool:
        """Count the current task in; False (and not counted) when the server is full."""
        task = asyncio.current_task()
        if task is None or (self.limit is not None and len(self._tasks) >= self.limit):
            return False
        self._tasks.add(task)
        return True

    def release(self) -> None:
        """The current task's connection is over."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.discard(task)

    async def close_all(self) -> None:
        """Cancel every connection still open and wait for them to end."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()


async def close_writer(writer: asyncio.StreamWriter, wait: float = CLOSE_WAIT) -> None:
    """Close ``writer``; wait at most ``wait`` seconds for it to drain."""
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(wait):
            await writer.wait_closed()
