"""Fingerprints of a log file's content: is this the file we were reading?

A name, an inode or a size cannot tell: logrotate reuses names, ``copytruncate`` keeps
the inode, a truncated file regrows past the old offset, and file systems recycle
inodes. The content can: the file's first bytes (up to 4 KiB) and the bytes just before
the offset (up to 4 KiB). Both are compared with what was read, or with their digests
in a saved :class:`~rempart.model.FilePosition`.
"""

from __future__ import annotations

import hashlib
import os
from typing import Protocol

from rempart.model import Fingerprint

__all__ = [
    "HEAD_SIZE",
    "TAIL_SIZE",
    "Stream",
    "digest",
    "fingerprint_of",
    "marks_fd",
    "marks_stream",
    "matches_fd",
    "pread_exact",
]

HEAD_SIZE = 4096
TAIL_SIZE = 4096


class Stream(Protocol):
    """A readable, seekable byte stream (a gzip file)."""

    def read(self, size: int, /) -> bytes: ...

    def seek(self, offset: int, /) -> int: ...


def digest(data: bytes) -> str:
    """BLAKE2b-128 of ``data``, in hex."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def fingerprint_of(head: bytes, tail: bytes) -> Fingerprint:
    """The fingerprint of a file whose first bytes are ``head`` and whose bytes just
    before the offset are ``tail``."""
    return Fingerprint(len(head), digest(head), len(tail), digest(tail))


def pread_exact(fd: int, size: int, offset: int) -> bytes:
    """Up to ``size`` bytes at ``offset`` (fewer only at end of file)."""
    data = b""
    while len(data) < size:
        more = os.pread(fd, size - len(data), offset + len(data))
        if not more:
            break
        data += more
    return data


def marks_fd(fd: int, offset: int, head_size: int, tail_size: int) -> tuple[bytes, bytes] | None:
    """The first ``head_size`` bytes of the regular file open as ``fd`` and the
    ``tail_size`` bytes before ``offset``; None when the file is too short for them."""
    if tail_size > offset or os.fstat(fd).st_size < max(offset, head_size):
        return None
    head = pread_exact(fd, head_size, 0)
    tail = pread_exact(fd, tail_size, offset - tail_size)
    if len(head) != head_size or len(tail) != tail_size:
        return None
    return head, tail


def marks_stream(
    stream: Stream, offset: int, head_size: int, tail_size: int
) -> tuple[bytes, bytes] | None:
    """Like :func:`marks_fd` for a stream read from its start (a gzip file). Reads up to
    ``offset`` and leaves the stream there; None when the stream is too short."""
    if tail_size > offset:
        return None
    head = stream.read(head_size)
    if len(head) != head_size:
        return None
    position = len(head)
    window = head[-TAIL_SIZE:] if position <= offset else head[:offset][-TAIL_SIZE:]
    while position < offset:
        chunk = stream.read(min(1 << 20, offset - position))
        if not chunk:
            return None
        position += len(chunk)
        window = (window + chunk)[-TAIL_SIZE:]
    if position > offset:  # the head reaches past the offset
        stream.seek(offset)
    return head, window[len(window) - tail_size :]


def matches_fd(fd: int, offset: int, fingerprint: Fingerprint) -> bool:
    """True when the file open as ``fd`` has ``fingerprint`` at ``offset``."""
    marks = marks_fd(fd, offset, fingerprint.head_size, fingerprint.tail_size)
    return marks is not None and fingerprint_of(*marks) == fingerprint
