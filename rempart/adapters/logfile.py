"""Reading a whole log file for replay: plain or gzip, in large chunks, with progress.

(Temporary home: the log-source adapters will provide the definitive reader.)
"""

from __future__ import annotations

import gzip
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from rempart.errors import SourceError

__all__ = ["ReplayLog", "open_replay_log"]

_CHUNK = 1 << 20


@dataclass(slots=True)
class ReplayLog:
    """A log to replay: its lines, its size, and how far reading has got."""

    name: str
    size: int
    mtime: float | None
    stream: BinaryIO
    done: int = 0
    raw: BinaryIO | None = None

    def lines(self) -> Iterator[str]:
        """Decoded lines without line endings (``\\n`` or ``\\r\\n``)."""
        read = self.stream.read
        tail = b""
        raw = getattr(self.stream, "fileobj", None)
        while True:
            chunk = read(_CHUNK)
            if not chunk:
                break
            self.done = raw.tell() if raw is not None else self.done + len(chunk)
            chunk = tail + chunk
            cut = chunk.rfind(b"\n")
            if cut < 0:
                tail = chunk
                continue
            tail = chunk[cut + 1 :]
            text = chunk[:cut].decode("utf-8", "backslashreplace")
            if "\r" in text:
                text = text.replace("\r\n", "\n")
            yield from text.split("\n")
        if tail:
            yield tail.decode("utf-8", "backslashreplace").rstrip("\r")

    def close(self) -> None:
        if self.stream is not sys.stdin.buffer:
            self.stream.close()
        if self.raw is not None:
            self.raw.close()


def open_replay_log(name: str) -> ReplayLog:
    """Open ``name`` (``-`` is standard input; ``.gz`` is decompressed)."""
    if name == "-":
        return ReplayLog("-", 0, None, sys.stdin.buffer)
    path = Path(name)
    try:
        st = path.stat()
        raw: BinaryIO = path.open("rb")
        fh: BinaryIO = raw
        if path.suffix == ".gz":
            fh = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
    except OSError as exc:
        raise SourceError(
            "source.unreadable",
            source=name,
            reason=exc.strerror or str(exc),
            fix="check the path and that you may read it (log files are often root:adm 0640)",
        ) from exc
    size = st.st_size if os.path.isfile(path) else 0
    return ReplayLog(name, size, st.st_mtime, fh, raw=raw if fh is not raw else None)
