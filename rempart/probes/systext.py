"""Small helpers shared by the system probes: lenient number parsing, labels, globs, sysfs reads."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["MAX_LABEL", "clean_label", "matches_any", "read_optional", "to_int"]

_BAD_LABEL = re.compile(r"[#\\\x00-\x1f\x7f]")


MAX_LABEL = 80


def clean_label(text: str, limit: int = MAX_LABEL) -> str:
    """A label Munin accepts: no ``#``, no backslash, no control characters, at most ``limit``
    characters, never empty (the probes' one label cleaner)."""
    return _BAD_LABEL.sub("", text)[:limit].strip() or "?"


def to_int(text: str) -> int | None:
    """``text`` as a non-negative integer, or None when it is not one."""
    return int(text) if text.isascii() and text.isdigit() else None


def matches_any(name: str, globs: Iterable[str]) -> bool:
    """True when ``name`` matches one of the shell ``globs`` (case-sensitive)."""
    return any(fnmatch.fnmatchcase(name, glob) for glob in globs)


def read_optional(path: Path, limit: int = 1 << 16) -> str | None:
    """The stripped text of a small sysfs/proc file, or None when it cannot be read (EINVAL...)."""
    try:
        with path.open("rb") as handle:
            return handle.read(limit).decode("utf-8", "replace").strip()
    except OSError:
        return None
