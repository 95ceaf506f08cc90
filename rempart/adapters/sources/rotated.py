"""Finding the rotated copy of a log file: where the lines we have not read yet went.

After ``copytruncate`` the lines written between our last read and the copy are only in
the copy; after a restart, the file we were reading may have been renamed. Rotated
copies sit next to the file with its name plus a suffix (``auth.log.1``,
``auth.log-20240101``, ``auth.log.2.gz``); the one that is ours is the one whose content
has our fingerprint at our offset, plain or gzip-compressed.
"""

from __future__ import annotations

import logging
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from rempart.adapters.sources.fingerprint import fingerprint_of, marks_fd, marks_stream
from rempart.adapters.sources.segment import GzipReader, open_regular
from rempart.model import Fingerprint

__all__ = ["RotatedCopy", "candidates", "find_copy"]

_LOG = logging.getLogger(__name__)
_SEPARATORS = ".-_"
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(slots=True)
class RotatedCopy:
    """A rotated copy that matched: open as ``fd`` (and ``stream`` when compressed,
    positioned at the offset), with its ``head`` and the ``tail`` before the offset."""

    path: Path
    fd: int
    stream: GzipReader | None
    head: bytes
    tail: bytes


def candidates(path: Path, limit: int = 8) -> list[Path]:
    """Files next to ``path`` named like its rotated copies, most recently modified first."""
    base = path.name
    found: list[tuple[float, str]] = []
    try:
        with os.scandir(path.parent) as entries:
            for entry in entries:
                name = entry.name
                if len(name) <= len(base) or not name.startswith(base):
                    continue
                if name[len(base)] not in _SEPARATORS or not entry.is_file(follow_symlinks=False):
                    continue
                found.append((entry.stat(follow_symlinks=False).st_mtime, name))
    except OSError as exc:
        _LOG.warning("%s: cannot list rotated copies: %s", path, exc)
        return []
    found.sort(reverse=True)
    return [path.parent / name for _, name in found[:limit]]


def find_copy(
    path: Path, offset: int, fingerprint: Fingerprint, file_id: tuple[int, int] | None = None
) -> RotatedCopy | None:
    """The rotated copy of ``path`` that holds ``fingerprint`` at ``offset``, if any.

    A fingerprint of nothing (no byte was read) matches any file: then only the file
    with ``file_id`` (device, inode), the very file that was open, is accepted."""
    for candidate in candidates(path):
        try:
            fd = open_regular(candidate)
        except OSError:
            continue
        if fingerprint.head_size == 0:
            st = os.fstat(fd)
            same = (st.st_dev, st.st_ino) == file_id
            copy = _match(candidate, fd, offset, fingerprint) if same else None
        else:
            copy = _match(candidate, fd, offset, fingerprint)
        if copy is not None:
            return copy
        os.close(fd)
    return None


def _match(candidate: Path, fd: int, offset: int, fingerprint: Fingerprint) -> RotatedCopy | None:
    sizes = (offset, fingerprint.head_size, fingerprint.tail_size)
    if os.pread(fd, 2, 0) != _GZIP_MAGIC:
        marks = marks_fd(fd, *sizes)
        if marks is None or fingerprint_of(*marks) != fingerprint:
            return None
        return RotatedCopy(candidate, fd, None, *marks)
    stream = GzipReader(fd)
    try:
        marks = marks_stream(stream, *sizes)
    except (OSError, EOFError, zlib.error) as exc:
        _LOG.info("%s: unreadable gzip file, skipped: %s", candidate, exc)
        marks = None
    if marks is None or fingerprint_of(*marks) != fingerprint:
        stream.close()
        return None
    return RotatedCopy(candidate, fd, stream, *marks)
