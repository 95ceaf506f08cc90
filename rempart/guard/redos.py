"""Static check for regexes that backtrack catastrophically (ReDoS).

Python's ``re`` backtracks. A repetition whose repeated part ends with another
repetition that can also start the next round, ``(a+)+``, ``(\\S+\\s*)+``,
``(?:\\w+\\d?)*``, splits a run of characters between rounds in exponentially many
ways: a hostile line of a few dozen characters then takes years. Such a pattern is
**refused** (:class:`~rempart.errors.UnsafeRegexError`, with a fix).

Less certain shapes are **flagged** (returned as warnings, the regex is used): an
alternation inside a repetition whose options can start with the same character,
``(?:\\w|\\d)+``.

Polynomial backtracking (``.*x.*y`` on a long line without ``y``) is not detected here:
the matcher bounds it by sending long lines to a linear-time engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from rempart.guard.regex_tree import (
    PROBES,
    Alt,
    Anchor,
    Backref,
    Chars,
    Cond,
    Look,
    Node,
    Repeat,
    Seq,
    parse_tree,
)

__all__ = ["RegexRisk", "check_regex"]

# a bounded repetition above this many rounds is as dangerous as an unbounded one
_LARGE = 16

FIX_NESTED = (
    "make the inner repetition possessive or atomic (write '++', '*+' or '(?>…)'), or "
    "anchor each round on a character the inner repetition cannot match, "
    "e.g. (?:[^ ]+ )+ instead of (?:\\S+\\s*)+"
)


@dataclass(frozen=True, slots=True)
class RegexRisk:
    """A finding: ``fatal`` ones are refused, the others only reported."""

    fatal: bool
    reason: str
    fix: str


def check_regex(pattern: str) -> list[RegexRisk]:
    """Findings for an expanded (tag-free) regex; empty when nothing suspicious is seen."""
    tree, _flags = parse_tree(pattern)
    risks: list[RegexRisk] = []
    _walk(tree, risks)
    return risks


def _walk(node: Node, risks: list[RegexRisk]) -> None:
    if isinstance(node, Repeat):
        if (node.high is None or node.high > _LARGE) and not node.atomic:
            _check_repeat(node, risks)
        _walk(node.body, risks)
    elif isinstance(node, Seq):
        for item in node.items:
            _walk(item, risks)
    elif isinstance(node, Alt):
        for option in node.options:
            _walk(option, risks)
    elif isinstance(node, Look):
        _walk(node.body, risks)
    elif isinstance(node, Cond):
        _walk(node.yes, risks)
        _walk(node.no, risks)


def _check_repeat(outer: Repeat, risks: list[RegexRisk]) -> None:
    start = _prefix(outer.body)
    for inner in _tails(outer.body):
        inside = consumed_chars(inner.body)
        if all(chars & inside for chars in start):
            sample = _sample(start[0] & inside)
            risks.append(
                RegexRisk(
                    True,
                    f"a repetition ends with another repetition and both can take {sample!r}: "
                    "a run of such characters splits between rounds in exponentially many ways",
                    FIX_NESTED,
                )
            )
            return
    for alt in _alternations(outer.body):
        firsts = [first_chars(o) for o in alt.options]
        for i, left in enumerate(firsts):
            if any(left & right for right in firsts[i + 1 :]):
                risks.append(
                    RegexRisk(
                        False,
                        "an alternation inside a repetition has options that start alike",
                        "make the options start with different characters",
                    )
                )
                return


def _prefix(node: Node) -> list[frozenset[str]]:
    """Character sets of the first positions every round starts with: ``, arg\\d+`` gives
    ``[',', ' ', 'a', 'r', 'g', digits]``. A repetition ending a round can take over the
    next round's start only if it can take all of them."""
    items: list[Node] = list(node.items) if isinstance(node, Seq) else [node]
    out: list[frozenset[str]] = []
    while items:
        item = items.pop(0)
        if isinstance(item, Seq):
            items[:0] = item.items
        elif isinstance(item, Chars):
            out.append(item.chars)
        elif isinstance(item, Anchor | Look):
            continue
        else:
            if nullable(item):
                return out or [first_chars(node)]
            out.append(first_chars(item))
            break
    return out or [first_chars(node)]


def _sample(chars: frozenset[str]) -> str:
    printable = sorted(c for c in chars if c.isprintable() and c != " ")
    return printable[0] if printable else sorted(chars)[0]


def nullable(node: Node) -> bool:
    """True when ``node`` can match the empty string."""
    if isinstance(node, Chars):
        return False
    if isinstance(node, Seq):
        return all(nullable(i) for i in node.items)
    if isinstance(node, Alt):
        return any(nullable(o) for o in node.options)
    if isinstance(node, Repeat):
        return node.low == 0 or nullable(node.body)
    if isinstance(node, Cond):
        return nullable(node.yes) or nullable(node.no)
    return True  # anchors, look-arounds, back-references (may be empty)


def first_chars(node: Node) -> frozenset[str]:  # noqa: PLR0911 - one answer per node type
    """Characters a match of ``node`` can start with."""
    if isinstance(node, Chars):
        return node.chars
    if isinstance(node, Seq):
        out: set[str] = set()
        for item in node.items:
            out |= first_chars(item)
            if not nullable(item):
                break
        return frozenset(out)
    if isinstance(node, Alt):
        return frozenset().union(*(first_chars(o) for o in node.options))
    if isinstance(node, Repeat):
        return first_chars(node.body) if node.high != 0 else frozenset()
    if isinstance(node, Cond):
        return first_chars(node.yes) | first_chars(node.no)
    if isinstance(node, Backref):
        return PROBES
    return frozenset()


def consumed_chars(node: Node) -> frozenset[str]:  # noqa: PLR0911 - one answer per node type
    """Every character ``node`` can consume."""
    if isinstance(node, Chars):
        return node.chars
    if isinstance(node, Seq):
        return frozenset().union(*(consumed_chars(i) for i in node.items))
    if isinstance(node, Alt):
        return frozenset().union(*(consumed_chars(o) for o in node.options))
    if isinstance(node, Repeat):
        return consumed_chars(node.body)
    if isinstance(node, Cond):
        return consumed_chars(node.yes) | consumed_chars(node.no)
    if isinstance(node, Backref):
        return PROBES
    return frozenset()


def _tails(node: Node) -> list[Repeat]:
    """Backtracking repetitions that can be the last thing ``node`` consumes."""
    if isinstance(node, Repeat):
        inner = _tails(node.body)
        if (node.high is None or node.high > _LARGE) and not node.atomic:
            return [node, *inner]
        return inner
    if isinstance(node, Seq):
        out: list[Repeat] = []
        for item in reversed(node.items):
            out.extend(_tails(item))
            if not nullable(item):
                break
        return out
    if isinstance(node, Alt):
        return [r for o in node.options for r in _tails(o)]
    if isinstance(node, Cond):
        return _tails(node.yes) + _tails(node.no)
    return []


def _alternations(node: Node) -> list[Alt]:
    """Alternations directly in ``node`` (not inside a nested repetition)."""
    if isinstance(node, Alt):
        return [node, *(a for o in node.options for a in _alternations(o))]
    if isinstance(node, Seq):
        return [a for i in node.items for a in _alternations(i)]
    if isinstance(node, Cond):
        return _alternations(node.yes) + _alternations(node.no)
    return []
