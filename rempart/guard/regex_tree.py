"""A typed syntax tree of a Python regular expression, for static analysis.

Built from the standard library's own parser (``re._parser``), so the tree is exactly
what ``re`` compiles. Character classes are approximated by the set of *probe*
characters they match (all of ASCII plus a few non-ASCII representatives): enough to
decide whether two pieces of a pattern can match the same character.

Used by :mod:`rempart.guard.literals` (required substrings, for cheap line rejection),
:mod:`rempart.guard.redos` (super-linear backtracking) and the matcher (anchoring).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PROBES",
    "Alt",
    "Anchor",
    "Backref",
    "Chars",
    "Cond",
    "Look",
    "Node",
    "Repeat",
    "Seq",
    "is_anchored",
    "parse_tree",
]

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

PROBES = frozenset(
    [chr(i) for i in range(128)] + ["é", "É", "\xa0", "ÿ", "Ā", "ß", "中", "\u2028", "٣", "𝟙"]
)
_IGNORECASE = int(re.IGNORECASE)
_MULTILINE = int(re.MULTILINE)
_DOTALL = int(re.DOTALL)


@dataclass(frozen=True, slots=True)
class Chars:
    """One character out of ``chars`` (probe characters); ``literal`` when it is exactly one
    case-sensitive character, ``exact`` the true set when it is a short case-sensitive list
    of characters (``[iI]``)."""

    chars: frozenset[str]
    literal: str | None = None
    exact: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Alt:
    options: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Repeat:
    """``body`` repeated ``low``..``high`` times (``high`` None: unbounded). ``atomic`` for
    possessive repeats and repeats inside atomic groups: they never backtrack."""

    low: int
    high: int | None
    body: Node
    atomic: bool = False


@dataclass(frozen=True, slots=True)
class Anchor:
    """A zero-width position test: ``start`` (``^``/``\\A`` at the string start), ``end``,
    or ``other`` (``\\b``, line anchors…)."""

    kind: str


@dataclass(frozen=True, slots=True)
class Look:
    body: Node
    negative: bool
    behind: bool


@dataclass(frozen=True, slots=True)
class Backref:
    group: int


@dataclass(frozen=True, slots=True)
class Cond:
    group: int
    yes: Node
    no: Node


Node = Chars | Seq | Alt | Repeat | Anchor | Look | Backref | Cond


def parse_tree(pattern: str) -> tuple[Node, int]:
    """``(tree, global flags)`` of ``pattern``; raises ``re.error`` like ``re.compile``."""
    parsed = _parser.parse(pattern, 0)
    flags = int(parsed.state.flags)
    return _seq(parsed, flags, atomic=False), flags


def _seq(sub: Any, flags: int, atomic: bool) -> Node:
    items = tuple(_node(op, av, flags, atomic) for op, av in sub)
    return items[0] if len(items) == 1 else Seq(items)


def _node(op: Any, av: Any, flags: int, atomic: bool) -> Node:  # noqa: PLR0911
    if op in (_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN):
        return _chars(op, av, flags)
    if op is _c.SUBPATTERN:
        _group, add, remove, sub = av
        return _seq(sub, (flags | add) & ~remove, atomic)
    if op is _c.ATOMIC_GROUP:
        return _seq(av, flags, atomic=True)
    if op is _c.BRANCH:
        return Alt(tuple(_seq(sub, flags, atomic) for sub in av[1]))
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        low, high, sub = av
        bounded = None if high == _c.MAXREPEAT else int(high)
        possessive = atomic or op is _c.POSSESSIVE_REPEAT
        return Repeat(int(low), bounded, _seq(sub, flags, atomic), possessive)
    if op is _c.AT:
        return _anchor(av, flags)
    if op in (_c.ASSERT, _c.ASSERT_NOT):
        direction, sub = av
        return Look(_seq(sub, flags, atomic), op is _c.ASSERT_NOT, direction < 0)
    if op is _c.GROUPREF:
        return Backref(int(av))
    if op is _c.GROUPREF_EXISTS:
        group, yes, no = av
        empty = Seq(())
        return Cond(int(group), _seq(yes, flags, atomic), _seq(no, flags, atomic) if no else empty)
    raise re.error(f"unsupported regex construct {op}")


def _anchor(av: Any, flags: int) -> Anchor:
    if av is _c.AT_BEGINNING_STRING or (av is _c.AT_BEGINNING and not flags & _MULTILINE):
        return Anchor("start")
    if av is _c.AT_END_STRING or (av is _c.AT_END and not flags & _MULTILINE):
        return Anchor("end")
    return Anchor("other")


def _chars(op: Any, av: Any, flags: int) -> Chars:
    fold = bool(flags & _IGNORECASE)
    if op is _c.LITERAL:
        char = chr(av)
        if fold:
            return Chars(_fold(frozenset([char]), fold))
        return Chars(frozenset([char]), char, frozenset([char]))
    if op is _c.NOT_LITERAL:
        return Chars(PROBES - _fold(frozenset([chr(av)]), fold))
    if op is _c.ANY:
        return Chars(PROBES if flags & _DOTALL else PROBES - {"\n"})
    exact = None
    if not fold and all(item_op is _c.LITERAL for item_op, _item in av):
        exact = frozenset(chr(item) for _op, item in av)
    return Chars(_fold(_in(av), fold), None, exact)


def _fold(chars: frozenset[str], fold: bool) -> frozenset[str]:
    if not fold:
        return chars
    return frozenset(c for c in PROBES if c in chars or c.lower() in chars or c.upper() in chars)


def _in(items: Any) -> frozenset[str]:
    negate = False
    matched: set[str] = set()
    for op, av in items:
        if op is _c.NEGATE:
            negate = True
        elif op is _c.LITERAL:
            matched.add(chr(av))
        elif op is _c.RANGE:
            low, high = av
            matched.update(c for c in PROBES if low <= ord(c) <= high)
        elif op is _c.CATEGORY:
            matched.update(c for c in PROBES if _category(av, c))
        else:  # pragma: no cover - parser output only holds the above inside IN
            matched.update(PROBES)
    chars = frozenset(matched)
    return PROBES - chars if negate else chars


def _category(category: Any, char: str) -> bool:
    tests = {
        _c.CATEGORY_DIGIT: char.isdecimal(),
        _c.CATEGORY_SPACE: char.isspace(),
        _c.CATEGORY_WORD: char.isalnum() or char == "_",
        _c.CATEGORY_LINEBREAK: char == "\n",
    }
    negated = {
        _c.CATEGORY_NOT_DIGIT: _c.CATEGORY_DIGIT,
        _c.CATEGORY_NOT_SPACE: _c.CATEGORY_SPACE,
        _c.CATEGORY_NOT_WORD: _c.CATEGORY_WORD,
        _c.CATEGORY_NOT_LINEBREAK: _c.CATEGORY_LINEBREAK,
    }
    if category in negated:
        return not tests[negated[category]]
    return bool(tests.get(category, True))


def is_anchored(node: Node) -> bool:
    """True when every match must start at the beginning of the string."""
    if isinstance(node, Anchor):
        return node.kind == "start"
    if isinstance(node, Seq):
        for item in node.items:
            if isinstance(item, Anchor) and item.kind == "start":
                return True
            if not isinstance(item, Anchor | Look):
                return is_anchored(item)
        return False
    if isinstance(node, Alt):
        return bool(node.options) and all(is_anchored(o) for o in node.options)
    return False
