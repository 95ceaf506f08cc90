"""Lines from a byte stream: standard input by default (``rempart … -`` or a pipe).

A pipe, socket or terminal is read when the event loop says it is readable (one
``read(2)`` then, which does not block), without threads. A regular file or an
in-memory stream never blocks and is read in chunks. The stream ends the source: there
is no position to save. Bytes already buffered by the stream object are not seen: give
a stream nothing has read from.
"""

from __future__ import annotations

import asyncio
import io
import os
import stat
import sys
from collections.abc import AsyncIterator
from typing import BinaryIO

from rempart.adapters.sources.readable import wait_readable
from rempart.adapters.sources.splitter import DEFAULT_MAX_LINE, Lines, LineSplitter
from rempart.clock import Clock, SystemClock
from rempart.errors import SourceError
from rempart.model import LogLine

__all__ = ["StdinSource"]


class StdinSource:
    """Lines of ``stream`` (default ``sys.stdin.buffer``) until its end."""

    def __init__(
        self,
        stream: BinaryIO | None = None,
        *,
        name: str = "stdin",
        clock: Clock | None = None,
        max_line: int = DEFAULT_MAX_LINE,
        chunk_size: int = 64 * 1024,
    ) -> None:
        self.name = name
        self._stream = stream if stream is not None else sys.stdin.buffer
        self._clock: Clock = clock or SystemClock()
        self._max_line = max_line
        self._chunk_size = chunk_size

    def position(self) -> None:
        """A stream cannot be resumed: nothing to save."""
        return None

    async def aclose(self) -> None:
        """The stream belongs to the caller: left open."""

    async def follow(self) -> AsyncIterator[list[LogLine]]:
        """Batches of lines until the stream ends (the partial last line included)."""
        splitter = LineSplitter(self._max_line)
        fd = self._pollable_fd()
        while True:
            try:
                data = (
                    await self._read_ready(fd)
                    if fd is not None
                    else self._stream.read(self._chunk_size)
                )
            except OSError as exc:
                raise SourceError(
                    "source.unreadable",
                    source=self.name,
                    reason=exc.strerror or str(exc),
                    fix="check what feeds rempart's standard input",
                ) from exc
            if not data:
                break
            batch = self._batch(splitter.feed(data))
            if batch:
                yield batch
            if fd is None:
                await asyncio.sleep(0)  # let the loop breathe between chunks
        batch = self._batch(splitter.flush())
        if batch:
            yield batch

    def _pollable_fd(self) -> int | None:
        """The descriptor to wait on, when it is a pipe, socket or terminal."""
        try:
            fd = self._stream.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            return None
        mode = os.fstat(fd).st_mode
        return fd if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode) else None

    async def _read_ready(self, fd: int) -> bytes:
        await wait_readable(fd)
        return os.read(fd, self._chunk_size)

    def _batch(self, lines: Lines) -> list[LogLine]:
        arrival, name = self._clock.now(), self.name
        cut = set(lines.truncated)
        return [
            LogLine(text, name, arrival, truncated=i in cut) for i, text in enumerate(lines.texts)
        ]
