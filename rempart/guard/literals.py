"""Required substrings of a regular expression: a cheap test to reject most lines.

:func:`required_literals` returns a set of strings such that *every* match of the
pattern contains at least one of them (or None when no such set is known). A line
that contains none of the strings of any rule cannot match, so it is rejected with a
few substring searches instead of one regex search per rule.
"""

from __future__ import annotations

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

__all__ = ["required_literals"]


def required_literals(pattern: str, min_length: int = 3) -> frozenset[str] | None:
    """Strings one of which every match of ``pattern`` contains; None when unknown.

    Sets whose shortest string is below ``min_length`` are not worth testing: None.
    """
    tree, _flags = parse_tree(pattern)
    best = _factor(tree)
    if best is None or min(map(len, best)) < min_length:
        return None
    return best


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


def _candidates(seq: Seq) -> list[frozenset[str]]:
    candidates: list[frozenset[str]] = []
    run: list[str] = []
    for item in _flatten(seq.items):
        if isinstance(item, Chars) and item.literal is not None:
            run.append(item.literal)
            continue
        if isinstance(item, Anchor | Look):
            continue  # zero width: the characters around it are adjacent in the text
        if run:
            candidates.append(frozenset(["".join(run)]))
            run = []
        sub = _factor(item)
        if sub is not None:
            candidates.append(sub)
    if run:
        candidates.append(frozenset(["".join(run)]))
    return candidates


def _pick(candidates: list[frozenset[str]]) -> frozenset[str] | None:
    if not candidates:
        return None
    return max(candidates, key=lambda c: (min(map(len, c)), -len(c)))


def _union(parts: list[frozenset[str] | None]) -> frozenset[str] | None:
    if not parts or any(p is None for p in parts):
        return None
    out: set[str] = set()
    for part in parts:
        assert part is not None
        out |= part
    return frozenset(out)
