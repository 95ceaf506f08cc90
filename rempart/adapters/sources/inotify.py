"""Linux inotify through ctypes: be woken when a log file changes, without polling.

The directory is watched, not the file, so that creations and renames (rotation) are
seen as well as writes. :func:`parse_events` is the pure part (bytes of ``read(2)`` on
the inotify descriptor to events), tested with literal bytes. pyinotify is not used:
it imports ``asyncore``, gone since Python 3.12.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import struct
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "IN_ATTRIB",
    "IN_CLOSE_WRITE",
    "IN_CREATE",
    "IN_DELETE",
    "IN_DELETE_SELF",
    "IN_IGNORED",
    "IN_MODIFY",
    "IN_MOVED_FROM",
    "IN_MOVED_TO",
    "IN_MOVE_SELF",
    "IN_Q_OVERFLOW",
    "WATCH_MASK",
    "Inotify",
    "InotifyEvent",
    "parse_events",
]

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = os.O_CLOEXEC

WATCH_MASK = (
    IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
)

_HEADER = struct.Struct("iIII")  # wd, mask, cookie, len (native order, as the kernel writes)


@dataclass(frozen=True, slots=True)
class InotifyEvent:
    """One event: the watch it came from, what happened, and the file name (in a
    watched directory; empty for the directory itself)."""

    wd: int
    mask: int
    cookie: int
    name: str


def parse_events(buffer: bytes) -> list[InotifyEvent]:
    """The events in ``buffer`` (whole records, as ``read(2)`` returns them)."""
    events = []
    at = 0
    while at + _HEADER.size <= len(buffer):
        wd, mask, cookie, size = _HEADER.unpack_from(buffer, at)
        at += _HEADER.size
        raw = buffer[at : at + size].split(b"\0", 1)[0]
        at += size
        events.append(InotifyEvent(wd, mask, cookie, os.fsdecode(raw)))
    return events


class Inotify:
    """An inotify instance (non-blocking, close-on-exec). Raises OSError when the
    system has none (not Linux, no libc symbol, instance limit reached)."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("c") or "libc.so.6"
        libc = ctypes.CDLL(name, use_errno=True)
        try:
            self._init1 = libc.inotify_init1
            self._add_watch = libc.inotify_add_watch
        except AttributeError as exc:
            raise OSError(errno.ENOSYS, "inotify is not available") from exc
        self._add_watch.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32)
        fd = self._init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            code = ctypes.get_errno()
            raise OSError(code, f"inotify_init1: {os.strerror(code)}")
        self._fd: int | None = fd

    def fileno(self) -> int:
        if self._fd is None:
            raise ValueError("inotify instance is closed")
        return self._fd

    def watch(self, directory: Path, mask: int = WATCH_MASK) -> int:
        """Watch ``directory``; returns the watch descriptor. Raises OSError."""
        wd = self._add_watch(self.fileno(), os.fsencode(directory), mask)
        if wd < 0:
            code = ctypes.get_errno()
            raise OSError(code, f"inotify_add_watch: {os.strerror(code)}", str(directory))
        return int(wd)

    def read_events(self) -> list[InotifyEvent]:
        """Every event queued now (empty when none)."""
        events: list[InotifyEvent] = []
        while True:
            try:
                buffer = os.read(self.fileno(), 64 * 1024)
            except BlockingIOError:
                return events
            if not buffer:
                return events
            events.extend(parse_events(buffer))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
