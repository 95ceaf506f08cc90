"""One log file being read: an open file, how far it has been read, and what it held.

A :class:`Segment` owns an open descriptor (or, for a compressed rotated copy, a
decompressing stream), the offset reached, the :class:`LineSplitter` that carries a
partial last line, and the bytes needed to recognise the file later: its first bytes
(``head``), the bytes before the read offset (``tail``) and the bytes before the last
newline (``committed_tail``, for the saved position, which stops at a line boundary).
"""

from __future__ import annotations

import gzip
import logging
import os
import stat
import zlib
from pathlib import Path

from rempart.adapters.sources.fingerprint import (
    HEAD_SIZE,
    TAIL_SIZE,
    fingerprint_of,
    pread_exact,
)
from rempart.adapters.sources.splitter import Lines, LineSplitter
from rempart.model import FilePosition, Fingerprint

__all__ = ["GzipReader", "Segment", "open_regular"]

_LOG = logging.getLogger(__name__)


def open_regular(path: Path) -> int:
    """A read-only descriptor on ``path``; refuses what is not a regular file (a FIFO
    would block, a directory cannot be read). Raises OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise IsADirectoryError(21, "not a regular file", str(path))
    return fd


class GzipReader:
    """Decompressed bytes of the gzip file open as ``fd``, from its start. Closing it
    leaves ``fd`` open (its owner closes it)."""

    def __init__(self, fd: int) -> None:
        self._raw = os.fdopen(fd, "rb", closefd=False)
        self._gzip = gzip.GzipFile(fileobj=self._raw, mode="rb")

    def read(self, size: int, /) -> bytes:
        return self._gzip.read(size)

    def seek(self, offset: int, /) -> int:
        return self._gzip.seek(offset)

    def close(self) -> None:
        self._gzip.close()
        self._raw.close()


def _roll(old: bytes, new: bytes) -> bytes:
    """The last TAIL_SIZE bytes of ``old + new``, without copying more than needed."""
    if len(new) >= TAIL_SIZE:
        return new[len(new) - TAIL_SIZE :]
    return (old + new)[-TAIL_SIZE:]


class Segment:
    """A file being read from ``offset``; see the module documentation."""

    __slots__ = (
        "committed_tail",
        "device",
        "fd",
        "head",
        "inode",
        "last_data",
        "offset",
        "splitter",
        "stream",
        "tail",
    )

    def __init__(
        self,
        fd: int,
        *,
        offset: int,
        splitter: LineSplitter,
        head: bytes = b"",
        tail: bytes = b"",
        committed_tail: bytes | None = None,
        stream: GzipReader | None = None,
    ) -> None:
        st = os.fstat(fd)
        self.fd = fd
        self.stream = stream  # a gzip stream positioned at offset, else None (pread on fd)
        self.device, self.inode = st.st_dev, st.st_ino
        self.offset = offset
        self.splitter = splitter
        self.head = head
        self.tail = tail
        self.committed_tail = tail if committed_tail is None else committed_tail
        self.last_data = 0.0

    @classmethod
    def at(cls, fd: int, offset: int, splitter: LineSplitter) -> Segment:
        """A segment on plain file ``fd`` reading from ``offset`` (a line boundary), its
        head and tail loaded from the file."""
        head = pread_exact(fd, HEAD_SIZE, 0)
        before = min(offset, TAIL_SIZE)
        tail = pread_exact(fd, before, offset - before)
        return cls(fd, offset=offset, splitter=splitter, head=head, tail=tail)

    def continued_in(self, fd: int, stream: GzipReader | None) -> Segment:
        """The same reading state carried over into a copy of this file (``fd``, or the
        decompressing ``stream`` over it), already positioned at ``offset``."""
        return Segment(
            fd,
            offset=self.offset,
            splitter=self.splitter,
            head=self.head,
            tail=self.tail,
            committed_tail=self.committed_tail,
            stream=stream,
        )

    def restart(self) -> None:
        """Read this file again from its start (it was truncated)."""
        self.offset = 0
        self.splitter = LineSplitter(self.splitter.max_line)
        self.head = self.tail = self.committed_tail = b""

    def read(self, size: int) -> Lines | None:
        """The lines completed by reading up to ``size`` more bytes; None at end of file."""
        if self.stream is not None:
            try:
                data = self.stream.read(size)
            except (OSError, EOFError, zlib.error) as exc:
                _LOG.warning("damaged gzip copy, read up to byte %d: %s", self.offset, exc)
                return None
        else:
            data = os.pread(self.fd, size, self.offset)
        if not data:
            return None
        start = self.offset
        if len(self.head) < HEAD_SIZE and start <= len(self.head) < start + len(data):
            self.head += data[len(self.head) - start : HEAD_SIZE - start]
        newline = data.rfind(b"\n")
        if newline >= 0:
            self.committed_tail = _roll(self.tail, data[: newline + 1])
        self.tail = _roll(self.tail, data)
        self.offset += len(data)
        return self.splitter.feed(data)

    def still_holds(self) -> bool:
        """True when the file still has what was read: at least ``offset`` bytes, the same
        first bytes and the same bytes before ``offset`` (it was not truncated, nor
        truncated and rewritten past the offset)."""
        if os.fstat(self.fd).st_size < self.offset:
            return False
        if self.head and pread_exact(self.fd, len(self.head), 0) != self.head:
            return False
        return not self.tail or (
            pread_exact(self.fd, len(self.tail), self.offset - len(self.tail)) == self.tail
        )

    @property
    def committed(self) -> int:
        """Offset just after the last complete line read."""
        return self.offset - self.splitter.pending_bytes

    def fingerprint(self) -> Fingerprint:
        """Fingerprint of this file at the read offset."""
        return fingerprint_of(self.head, self.tail)

    def position(self, path: Path) -> FilePosition:
        """The position to save: the last line boundary reached."""
        return FilePosition(
            path=path,
            device=self.device,
            inode=self.inode,
            offset=self.committed,
            fingerprint=fingerprint_of(self.head, self.committed_tail),
        )

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
        os.close(self.fd)
