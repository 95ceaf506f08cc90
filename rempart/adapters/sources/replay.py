"""Reading a whole log for ``rempart replay``: plain or gzip, fast, in bounded memory.

The log is read in large chunks (1 MiB) and split by the same :class:`LineSplitter`
as live following (same line endings, decoding and length limit), so a replay sees
exactly the lines the agent would have seen. Compressed logs (rotated ``.gz`` files)
are recognised by their first bytes, whatever their name. Progress is the number of
bytes of the file read so far (compressed bytes for a gzip file) against its size:
the ``done`` and ``size`` attributes, and an optional callback after every chunk.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from rempart.adapters.sources.splitter import DEFAULT_MAX_LINE, Lines, LineSplitter
from rempart.errors import SourceError
from rempart.model import LogLine

__all__ = ["CHUNK_SIZE", "ReplayLog", "open_replay_log"]

CHUNK_SIZE = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"

Progress = Callable[[int, int], None]


class ReplayLog:
    """A log to replay: ``lines()`` once, ``done`` of ``size`` bytes read so far."""

    def __init__(
        self,
        name: str,
        stream: BinaryIO,
        *,
        size: int = 0,
        mtime: float | None = None,
        max_line: int = DEFAULT_MAX_LINE,
        chunk_size: int = CHUNK_SIZE,
        on_progress: Progress | None = None,
        owned: bool = True,
    ) -> None:
        self.name = name
        self.size = size
        self.mtime = mtime
        self.done = 0
        self.lines_read = 0
        self.truncated = 0  # lines cut to max_line
        self._raw = stream
        self._owned = owned
        self._max_line = max_line
        self._chunk_size = chunk_size
        self._on_progress = on_progress
        self._stream = _decompressed(stream)

    @property
    def compressed(self) -> bool:
        return self._stream is not self._raw

    def lines(self) -> Iterator[str]:
        """Every line, decoded, without its line ending (a line longer than ``max_line``
        comes cut to it; ``truncated`` counts them)."""
        for chunk in self.chunks():
            yield from chunk.texts

    def log_lines(self, arrival: float = 0.0) -> Iterator[LogLine]:
        """Every line as a :class:`LogLine` (``truncated`` set on cut lines)."""
        name = self.name
        for chunk in self.chunks():
            cut = set(chunk.truncated)
            for index, text in enumerate(chunk.texts):
                yield LogLine(text, name, arrival, truncated=index in cut)

    def close(self) -> None:
        if self._stream is not self._raw:
            self._stream.close()
        if self._owned:
            self._raw.close()

    def chunks(self) -> Iterator[Lines]:
        """The lines chunk by chunk, with the indexes of the cut ones (the fastest way
        through a big log: no object per line)."""
        splitter = LineSplitter(self._max_line)
        read = self._stream.read
        while True:
            try:
                data = read(self._chunk_size)
            except (OSError, EOFError, zlib.error) as exc:
                raise SourceError(
                    "source.unreadable",
                    source=self.name,
                    reason=str(exc),
                    fix="check the file (a gzip file may be damaged or still being written)",
                ) from exc
            if not data:
                break
            self._progress(len(data))
            yield self._count(splitter.feed(data))
        yield self._count(splitter.flush())

    def _count(self, lines: Lines) -> Lines:
        self.lines_read += len(lines.texts)
        self.truncated += len(lines.truncated)
        return lines

    def _progress(self, size: int) -> None:
        if self._stream is not self._raw:
            try:
                self.done = self._raw.tell()
            except OSError:
                self.done += size
        else:
            self.done += size
        if self._on_progress is not None:
            self._on_progress(self.done, self.size)


def _decompressed(stream: BinaryIO) -> BinaryIO:
    peek = getattr(stream, "peek", None)
    if peek is not None and peek(2)[:2] == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    return stream


def open_replay_log(
    name: str,
    *,
    stdin: BinaryIO | None = None,
    max_line: int = DEFAULT_MAX_LINE,
    chunk_size: int = CHUNK_SIZE,
    on_progress: Progress | None = None,
) -> ReplayLog:
    """Open the log ``name`` for replay (``-``: ``stdin``, by default standard input).
    Raises SourceError."""
    if name == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        if not hasattr(stream, "peek"):
            stream = io.BufferedReader(stream)
        return ReplayLog(
            "-",
            stream,
            owned=False,
            max_line=max_line,
            chunk_size=chunk_size,
            on_progress=on_progress,
        )
    path = Path(name)
    try:
        handle = path.open("rb", buffering=CHUNK_SIZE)
        st = os.fstat(handle.fileno())
    except OSError as exc:
        raise SourceError(
            "source.unreadable",
            source=name,
            reason=exc.strerror or str(exc),
            fix="check the path and that you may read it (log files are often root:adm 0640)",
        ) from exc
    return ReplayLog(
        name,
        handle,
        size=st.st_size,
        mtime=st.st_mtime,
        max_line=max_line,
        chunk_size=chunk_size,
        on_progress=on_progress,
    )
