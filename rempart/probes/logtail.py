"""Read only the new lines of a growing log file, a bounded amount per collection.

Probes that count log lines (postfix, sympa) keep one :class:`LogTail` between collections. It
remembers the file's identity ``(device, inode)`` and an offset, and each :meth:`LogTail.read`
hands the complete lines written since the previous call to a callback:

- the first time it sees the file it starts **at its end** (like Munin's log plugins: no spike of
  old history); a file that did not exist at the first call is read from its start when it appears;
- **rotation** (the path now names another inode): the rest of the old file is read through the
  descriptor kept open, then the new file from offset 0;
- **truncation** (size below the offset, e.g. ``copytruncate``): reading restarts at 0;
- at most ``max_bytes`` are read per call, in chunks of ``chunk`` bytes (memory stays bounded);
  the rest is read at the next call; a partial last line waits for its newline; a single line
  longer than a chunk is cut (its pieces match nothing: they only fail to count).

Splitting bytes into lines is the pure :func:`split_lines`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LogTail", "TailPosition", "split_lines"]

DEFAULT_MAX_BYTES = 16 << 20
DEFAULT_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class TailPosition:
    """Which file (device, inode) and how far into it the reader is."""

    device: int
    inode: int
    offset: int


def split_lines(data: bytes, *, final: bool = False) -> tuple[list[str], int]:
    """Complete lines of ``data`` (decoded leniently, without the newline) and bytes consumed.

    The bytes after the last newline are not consumed unless ``final`` (then they form a last
    line). ``\\r`` before a newline is dropped.
    """
    end = len(data) if final else data.rfind(b"\n") + 1
    if end <= 0:
        return [], 0
    text = data[:end].decode("utf-8", "replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines], end


class LogTail:
    """Incremental reader of one log file (see the module documentation)."""

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        chunk: int = DEFAULT_CHUNK,
    ) -> None:
        self._path = path
        self._max = max(1, max_bytes)
        self._chunk = max(1, min(chunk, self._max))
        self._fd: int | None = None
        self._ident: tuple[int, int] = (0, 0)
        self._offset = 0
        self._first = True

    @property
    def path(self) -> Path:
        return self._path

    @property
    def position(self) -> TailPosition | None:
        """Where the next read starts, or None when no file is open."""
        if self._fd is None:
            return None
        return TailPosition(self._ident[0], self._ident[1], self._offset)

    def exists(self) -> bool:
        """True when the log file exists now (or one is still open)."""
        return self._fd is not None or self._path.is_file()

    def close(self) -> None:
        """Forget the open file (the next read starts at the end again)."""
        if self._fd is not None:
            os.close(self._fd)
        self._fd = None
        self._first = True

    def read(self, on_line: Callable[[str], None]) -> int:
        """Pass each new complete line to ``on_line``; return the number of bytes consumed."""
        try:
            st: os.stat_result | None = os.stat(self._path)
        except FileNotFoundError:
            st = None
        budget = self._max
        used = 0
        if self._fd is not None and (st is None or (st.st_dev, st.st_ino) != self._ident):
            used += self._drain(on_line, budget, final=True)  # rotated: finish the old file
            budget -= used
            if st is None:
                return used  # moved away, nothing new yet: the old descriptor stays until then
            os.close(self._fd)
            self._fd = None
        if st is None:
            self._first = False
            return used
        if self._fd is None and not self._open():
            return used
        assert self._fd is not None
        if os.fstat(self._fd).st_size < self._offset:
            self._offset = 0  # truncated in place
        if budget > 0:
            used += self._drain(on_line, budget, final=False)
        return used

    def _open(self) -> bool:
        try:
            fd = os.open(self._path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        fst = os.fstat(fd)
        self._fd = fd
        self._ident = (fst.st_dev, fst.st_ino)
        self._offset = fst.st_size if self._first else 0
        self._first = False
        return True

    def _drain(self, on_line: Callable[[str], None], budget: int, *, final: bool) -> int:
        assert self._fd is not None
        used = 0
        while used < budget:
            want = min(self._chunk, budget - used)
            data = os.pread(self._fd, want, self._offset)
            if not data:
                break
            short = len(data) < want
            lines, consumed = split_lines(data, final=final and short)
            if consumed == 0:
                if short:
                    break  # a partial line: wait for its end
                lines, consumed = split_lines(data, final=True)  # a line longer than a chunk
            for line in lines:
                on_line(line)
            self._offset += consumed
            used += consumed
            if short and consumed == len(data):
                break
        return used
