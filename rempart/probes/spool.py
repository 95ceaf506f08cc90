"""Small file-system helpers shared by the mail probes: paths under a root, files in a spool.

``under(root, path)`` puts an absolute production path (``/var/spool/postfix``) under the
probe's root (a fixture tree in tests). ``count_files`` counts the regular files below a
directory with :func:`os.scandir` (no ``stat`` per file: the directory entry's type is enough),
without following symbolic links, stopping at ``limit`` entries so a runaway spool stays cheap.
"""

from __future__ import annotations

import os
from pathlib import Path

from rempart.errors import ProbeError

__all__ = ["count_files", "count_files_or_fail", "under"]

DEFAULT_LIMIT = 1_000_000


def under(root: Path, path: Path) -> Path:
    """``path`` (absolute or relative) inside ``root``."""
    return root / str(path).lstrip("/")


def count_files(directory: Path, *, limit: int = DEFAULT_LIMIT) -> int:
    """Regular files below ``directory`` (recursively); 0 when it does not exist.

    Raises ``PermissionError`` when a directory cannot be listed.
    """
    count = 0
    visited = 0
    stack = [os.fspath(directory)]
    while stack and visited < limit:
        top = stack.pop()
        try:
            entries = os.scandir(top)
        except (FileNotFoundError, NotADirectoryError):
            continue
        with entries:
            for entry in entries:
                visited += 1
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    count += 1
    return count


def count_files_or_fail(probe: str, directory: Path, *, limit: int = DEFAULT_LIMIT) -> int:
    """:func:`count_files`, an unreadable directory becoming a :class:`ProbeError` with a fix."""
    try:
        return count_files(directory, limit=limit)
    except OSError as exc:
        raise ProbeError(
            "probe.apps.unreadable", probe=probe, path=str(directory), reason=str(exc)
        ) from exc
