"""Several regexes as one alternation, so one search tries them all.

Each regex ``k`` becomes a branch ``(?P<_bk>…)`` whose groups are renamed ``_k_name``
(Python refuses a group name twice in one pattern). After a search, ``match.lastgroup``
names the branch that matched: its wrapping group is the last one to close.

Regexes with numbered back-references or conditions (``\\1``, ``(?(1)…)``) would see
other numbers inside the alternation: :func:`rename_groups` refuses them (None) and the
caller keeps such rules separate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Alternation", "build_alternation", "rename_groups"]

_LEADING_FLAGS = re.compile(r"^\(\?([imsx]+)\)")


@dataclass(frozen=True, slots=True)
class Alternation:
    """The combined pattern text, and per branch the (renamed, original) group names."""

    pattern: str
    groups: tuple[tuple[tuple[str, str], ...], ...]

    @staticmethod
    def branch(name: str) -> int:
        """Branch index of a ``lastgroup`` name (``_b3`` -> 3)."""
        return int(name[2:])


def _class_end(pattern: str, start: int) -> int:
    """Index just past the character class opening at ``start``."""
    i = start + 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):
        i += 1
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "]":
            return i + 1
        i += 1
    return len(pattern)


def rename_groups(pattern: str, prefix: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """``pattern`` with every named group (and reference to it) renamed ``prefix + name``.

    Returns None when the pattern refers to groups by number.
    """
    out: list[str] = []
    names: list[tuple[str, str]] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if pattern[i + 1 : i + 2].isdigit() and pattern[i + 1] != "0":
                return None
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[":
            end = _class_end(pattern, i)
            out.append(pattern[i:end])
            i = end
            continue
        for opener, closer in (("(?P<", ">"), ("(?P=", ")"), ("(?(", ")")):
            if pattern.startswith(opener, i):
                end = pattern.find(closer, i + len(opener))
                if end < 0:
                    return None
                name = pattern[i + len(opener) : end]
                if not name.isidentifier():
                    return None
                if opener == "(?P<":
                    names.append((prefix + name, name))
                out.append(f"{opener}{prefix}{name}{closer}")
                i = end + 1
                break
        else:
            out.append(char)
            i += 1
    return "".join(out), tuple(names)


def build_alternation(patterns: list[str]) -> Alternation | None:
    """One pattern trying ``patterns`` in order at each position; None when one of them
    cannot be renamed."""
    parts: list[str] = []
    groups: list[tuple[tuple[str, str], ...]] = []
    for index, pattern in enumerate(patterns):
        flags = _LEADING_FLAGS.match(pattern)
        body = pattern[flags.end() :] if flags else pattern
        renamed = rename_groups(body, f"_{index}_")
        if renamed is None:
            return None
        text, names = renamed
        if flags:
            text = f"(?{flags.group(1)}:{text})"
        parts.append(f"(?P<_b{index}>{text})")
        groups.append(names)
    return Alternation("|".join(parts), tuple(groups))
