"""Required substrings of a regular expression: a cheap test to reject most lines.

:func:`required_literals` returns a set of strings such that *every* match of the
pattern contains at least one of them (or None when no such set is known). A line
that contains none of the strings of any rule cannot match, so it is rejected with a
few substring searches instead of one regex search per rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rempart.guard.regex_tree import (
    Alt,
    Anchor,
    Chars,
    Cond,
    Look,
    Node,
    Repeat,
    Seq,
    parse_tree,
)

__all__ = ["contains_any", "literal_factors", "required_literals"]

# up to this many strings, substring tests beat one regex search
_LOOP_MAX = 6


def required_literals(pattern: str, min_length: int = 3) -> frozenset[str] | None:
    """Strings one of which every match of ``pattern`` contains; None when unknown.

    Sets whose shortest string is below ``min_length`` are not worth testing: None.
    """
    tree, _flags = parse_tree(pattern)
    best = _factor(tree)
    if best is None or min(map(len, best)) < min_length:
        return None
    return best


def literal_factors(pattern: str) -> list[frozenset[str]]:
    """Sets of strings such that every match contains one string of *each* set."""
    tree, _flags = parse_tree(pattern)
    if isinstance(tree, Seq):
        return _candidates(tree)
    factor = _factor(tree)
    return [factor] if factor is not None else []


def _factor(node: Node) -> frozenset[str] | None:
    if isinstance(node, Chars):
        return frozenset([node.literal]) if node.literal is not None else None
    if isinstance(node, Seq):
        return _pick(_candidates(node))
    if isinstance(node, Alt):
        return _union([_factor(o) for o in node.options])
    if isinstance(node, Repeat):
        return _factor(node.body) if node.low >= 1 else None
    if isinstance(node, Cond):
        return _union([_factor(node.yes), _factor(node.no)])
    return None


def _flatten(items: tuple[Node, ...]) -> list[Node]:
    out: list[Node] = []
    for item in items:
        if isinstance(item, Seq):
            out.extend(_flatten(item.items))
        else:
            out.append(item)
    return out


def _exact(node: Node, limit: int = 16) -> frozenset[str] | None:
    """Every string ``node`` can match, when that is a small finite set of literals."""
    if isinstance(node, Chars):
        return node.exact if node.exact is not None and len(node.exact) <= 4 else None
    if isinstance(node, Anchor | Look):
        return frozenset([""])
    if isinstance(node, Seq):
        return _exact_seq(node, limit)
    if isinstance(node, Alt):
        return _exact_alt(node, limit)
    if isinstance(node, Repeat) and node.high is not None and node.high <= 1:
        part = _exact(node.body, limit)
        return part if part is None or node.low else part | {""}
    return None


def _exact_seq(node: Seq, limit: int) -> frozenset[str] | None:
    out = frozenset([""])
    for item in _flatten(node.items):
        part = _exact(item, limit)
        if part is None or len(out) * len(part) > limit:
            return None
        out = frozenset(a + b for a in out for b in part)
    return out


def _exact_alt(node: Alt, limit: int) -> frozenset[str] | None:
    union: set[str] = set()
    for option in node.options:
        part = _exact(option, limit)
        if part is None:
            return None
        union |= part
    return frozenset(union) if len(union) <= limit else None


def _candidates(seq: Seq) -> list[frozenset[str]]:
    """Sets of strings one of which a match of ``seq`` contains.

    Consecutive pieces with a small exact set of strings (literals, ``[iI]``,
    ``(?:a|b)``, ``(?:x)?``) are multiplied out into runs: ``[iI](?:llegal|nvalid) user``
    gives the four full spellings. Other pieces end the run and give their own sets.
    """
    candidates: list[frozenset[str]] = []
    run: frozenset[str] = frozenset([""])
    for item in _flatten(seq.items):
        exact = _exact(item)
        if exact is not None and len(run) * len(exact) <= 16:
            run = frozenset(a + b for a in run for b in exact)
            continue
        if run != {""}:
            candidates.append(run)
        run = frozenset([""])
        if exact is not None:
            run = exact
            continue
        sub = _factor(item)
        if sub is not None:
            candidates.append(sub)
    if run != {""}:
        candidates.append(run)
    return candidates


def _pick(candidates: list[frozenset[str]]) -> frozenset[str] | None:
    """The most useful set: long enough to be selective (8 characters suffice), then few
    strings to test, then longer."""
    if not candidates:
        return None
    return max(candidates, key=lambda c: (min(8, *map(len, c)), -len(c), min(map(len, c))))


def _union(parts: list[frozenset[str] | None]) -> frozenset[str] | None:
    if not parts or any(p is None for p in parts):
        return None
    out: set[str] = set()
    for part in parts:
        assert part is not None
        out |= part
    return frozenset(out)


def contains_any(strings: tuple[str, ...]) -> Callable[[str], bool]:
    """A fast test: does a text contain one of ``strings``?

    A few strings are tested with ``in``; more are merged into one regex shaped as a
    prefix tree (``Conn(?:ection (?:closed|reset))``), so each position of the text is
    examined once instead of once per string.
    """
    if len(strings) <= _LOOP_MAX:

        def loop(text: str) -> bool:
            for string in strings:  # noqa: SIM110 - hot path: faster than any()
                if string in text:
                    return True
            return False

        return loop
    search = re.compile(_trie(sorted(set(strings)))).search
    return lambda text: search(text) is not None


def trie_pattern(strings: tuple[str, ...]) -> str:
    """A regex matching any of ``strings``, common prefixes factored out."""
    return _trie(sorted(set(strings)))


def _trie(strings: list[str]) -> str:
    """A regex matching any of ``strings`` (sorted), common prefixes factored out."""
    if "" in strings:
        return ""  # a string that is a prefix of the others is enough
    groups: dict[str, list[str]] = {}
    for string in strings:
        groups.setdefault(string[0], []).append(string[1:])
    options = [re.escape(first) + _trie(rest) for first, rest in groups.items()]
    return options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"
