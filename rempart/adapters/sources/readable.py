"""Waiting, in the event loop, until a descriptor has something to read (no thread)."""

from __future__ import annotations

import asyncio

__all__ = ["wait_readable"]


async def wait_readable(fd: int) -> None:
    """Return once ``fd`` is readable (data, end of file or error)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)
