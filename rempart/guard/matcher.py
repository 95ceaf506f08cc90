"""Turning log lines into failures with a compiled filter, as fail2ban's server does.

For each line (:meth:`LineFilter.process`):

1. the date is located (:class:`~rempart.guard.dates.DateDetector`) and cut out: the
   regexes see the line without it, exactly like fail2ban. A journal line comes with its
   ``timestamp`` and is taken whole. The date is only *parsed* when the line produces a
   failure;
2. with ``maxlines`` > 1 the line joins a rolling buffer of that many lines;
3. ``ignoreregex`` is tried first when there are far fewer of them than failregexes;
4. ``prefregex`` must match; its ``<F-CONTENT>`` part is what the failregexes see;
5. the **first** failregex that matches wins; ``ignoreregex`` can still veto it;
6. the failure id is ``ip4``, ``ip6``, ``dns`` or ``<F-ID>`` (an ``<F-ID>`` different
   from the address wins); lines of one ``<F-MLFID>`` connection are merged
   (:mod:`rempart.guard.connections`): helpers, pending and cancelled failures.

Time of a failure: ``timestamp`` when given (journal), else the line's date, else the
last date seen if it is less than a minute before ``now`` (continuation lines), else
``now``. ``now`` also resolves year-less dates.

Speed (this is the hot path): a line that contains none of the strings the rules
require (:mod:`rempart.guard.literals`) is rejected by one search before any date or
regex work (when the date can only be a prefix of the line; otherwise right after the
date is cut out); per first character of the text the failregexes see, only the rules
that can start with it are tried, each after a test of the strings it requires.

Bounded time: lines (or multi-line buffers) longer than :data:`SHORT_LINE_LIMIT` are
matched by the linear-time engine given as ``long_line_compiler`` (RE2 in production,
see :mod:`rempart.rules.engines`); without one, or when a regex of the filter does not
compile there, they are reported as :attr:`LineKind.TOO_LONG` and never produce a
failure. A regex that :mod:`rempart.guard.redos` finds able to backtrack
catastrophically runs on the linear-time engine for every line; without one it is
refused (:class:`~rempart.errors.UnsafeRegexError`).

Contract:

- ``LineFilter(definition, *, tz=UTC, long_line_compiler=None, captures=True)`` compiles a
  :class:`~rempart.guard.definition.FilterDefinition`; it raises
  :class:`~rempart.errors.FilterError` for a regex that does not compile.
  One instance per (jail, source): it keeps multi-line state.
- ``process(text, now, timestamp=None) -> LineResult`` for one line (no newline).
- ``LineResult.kind`` says what the line was; ``failures`` the failures it completed
  (a multi-line failure is reported on the line that completes it); ``captures`` the
  groups each failure captured (``user``, ``users``, ``fport``, custom ``<F-XXX>``…).
- ``regexes``: the failregexes as written, for statistics by index; ``warnings``: what
  the load-time regex check reported.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from enum import Enum
from itertools import compress
from types import MappingProxyType
from typing import Any, NamedTuple

from rempart.addresses import parse_address
from rempart.errors import FilterError, UnsafeRegexError
from rempart.guard.connections import MAX_EVIDENCE, ConnectionCache, Groups
from rempart.guard.dates import DateDetector, DateHit
from rempart.guard.definition import FilterDefinition
from rempart.guard.literals import contains_any, literal_factors, required_literals, trie_pattern
from rempart.guard.redos import RegexRisk, check_regex, first_chars, nullable
from rempart.guard.regex import expand_tags, merge_special_groups, special_groups
from rempart.guard.regex_tree import PROBES, is_anchored, parse_tree
from rempart.model import Failure

__all__ = [
    "SHORT_LINE_LIMIT",
    "LineFilter",
    "LineKind",
    "LineResult",
    "PatternCompiler",
]

# A compiler for long lines: returns an object with re.Pattern's search API (search,
# groupindex; matches with group, groupdict, start, end, lastgroup), or None when its
# engine cannot compile the pattern (then long lines are not matched).
PatternCompiler = Callable[[str], Any]

# Longest line (or multi-line buffer) matched with Python's backtracking ``re``; longer
# ones go to the linear-time engine. bench/matcher_micro.py --worst measures the worst
# hostile line of the fail2ban and rempart filters at this length: about 20 ms (70 ms at
# 4096: the worst regexes are quadratic). OpenSSH truncates user names and hosts in its
# messages (%.100s), so its lines stay far below.
SHORT_LINE_LIMIT = 2048

# a line without a date takes the last date seen if it is at most this old
_LAST_DATE_MAX_AGE = 60.0
# parsed addresses remembered per filter (attackers repeat themselves); cleared when full
_ADDRESS_CACHE = 4096
_UNKNOWN: Any = object()


class LineKind(Enum):
    MISSED = "missed"  # no regex matched
    MATCHED = "matched"  # a failregex matched and produced failures
    HELPER = "helper"  # a failregex matched but produced no failure (yet): nofail, pending
    IGNORED = "ignored"  # an ignoreregex vetoed it
    TOO_LONG = "too-long"  # over the length limit and no linear-time engine for it

    # members are singletons: hash by identity, in C (Enum's own hash runs Python code,
    # and the replay counts lines and failures in dicts keyed by these)
    __hash__ = object.__hash__


class LineResult(NamedTuple):
    """What one line was. ``raw`` holds each failure's groups as captured (a private
    snapshot); :attr:`captures` is the public view of them, built only when asked for
    (the replay and the agent never need it, so the hot path does not pay for it).
    A NamedTuple: built for every matching line, and cheaper to build than a dataclass."""

    kind: LineKind
    failures: tuple[Failure, ...] = ()
    regex: int = -1
    raw: tuple[Groups, ...] = ()

    @property
    def captures(self) -> tuple[Mapping[str, Any], ...]:
        """The groups each failure captured (``user``, ``users``, ``fport``, ``<F-XXX>``…)."""
        return tuple(_public(groups) for groups in self.raw)


def _public(groups: Groups) -> Mapping[str, Any]:
    captures = {k: v for k, v in groups.items() if k not in _HIDDEN}
    users = captures.get("users")
    if users is not None:
        captures["users"] = frozenset(users)
    return MappingProxyType(captures)


MISSED = LineResult(LineKind.MISSED)
IGNORED = LineResult(LineKind.IGNORED)
TOO_LONG = LineResult(LineKind.TOO_LONG)

_OPTIONS = ("prefregex", "failregex", "ignoreregex")
# lines that do not start with a word character (their date may not be a prefix)
_NOT_WORD_START = re.compile(r"(?!\w)").match
_TRIM = " \t:;,.[](){}<>\"'=-"
_HIDDEN = ("matches", "nofail-matches", "mlfpending", "content")


@dataclass(frozen=True, slots=True)
class _Rule:
    """One failregex compiled for one engine; ``needs``: sets of strings, one string of
    each present in any buffer it matches (a cheap test before the regex)."""

    pattern: Any
    alternatives: tuple[tuple[str, str], ...]
    tuples: tuple[tuple[str, str], ...]
    skiplines: tuple[str, ...]
    needs: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class _Rules:
    """All regexes of a filter compiled for one engine."""

    pref: Any
    fails: tuple[_Rule, ...]
    ignores: tuple[Any, ...]
    # per first character of the buffer (ASCII): the failregexes that can match it, in
    # order, as (index, anchored); anchored ones are tried with match() (Python engine)
    by_first: Mapping[str, tuple[tuple[int, bool], ...]] | None = None


def _linear(pattern: str) -> str:
    """A pattern for the linear-time engine: buffers end with "\n", as fail2ban searches
    them, and only Python's ``$`` matches before a final newline without multi-line mode;
    in multi-line mode ``$`` does so in both engines."""
    return f"(?m){pattern}"


def _python(pattern: str, multiline: bool) -> re.Pattern[str]:
    with warnings.catch_warnings():
        # fail2ban's regexes are data: "possible nested set" style warnings are not ours
        warnings.simplefilter("ignore", FutureWarning)
        return re.compile(pattern, re.MULTILINE if multiline else 0)


class LineFilter:
    """A compiled filter with its multi-line state; see the module documentation."""

    def __init__(
        self,
        definition: FilterDefinition,
        *,
        tz: tzinfo = UTC,
        long_line_compiler: PatternCompiler | None = None,
        connections: ConnectionCache | None = None,
        captures: bool = True,
    ) -> None:
        self.definition = definition
        self._keep_captures = captures  # False: LineResult.captures stays empty (faster)
        self.regexes = definition.failregex
        self._dates = DateDetector(definition.datepattern, tz=tz)
        self._maxlines = max(1, definition.maxlines)
        multiline = self._maxlines > 1
        expanded = {
            "prefregex": [expand_tags(definition.prefregex)] if definition.prefregex else [],
            "failregex": [expand_tags(r) for r in definition.failregex],
            "ignoreregex": [expand_tags(r) for r in definition.ignoreregex],
        }
        risks = self._check(expanded)
        self.warnings: tuple[str, ...] = tuple(
            f"{option} #{index}: {risk.reason}" for (option, index), risk in risks
        )
        self._long = self._compile_long(expanded, long_line_compiler, multiline)
        self.long_lines_supported = self._long is not None
        guarded = self._guard(risks, expanded, long_line_compiler)
        self._short = self._compile_short(expanded, guarded, multiline)
        self._required: tuple[str, ...] = ()
        self._quick = None if multiline else self._literals(expanded)
        self._date_at_start = _dates_at_line_start(definition.datepattern)
        self._prefilter_search = self._make_prefilter()
        self._early_ignore = len(self._short.ignores) < len(self._short.fails) - 2
        self._connections = connections or ConnectionCache()
        self._buffer: list[tuple[str, str]] = []  # (text seen by regexes, original line)
        self._last_dated: tuple[str, DateHit] | None = None
        self._last_time: float | None = None
        self._addresses: dict[str, Any] = {}
        self._helpers = tuple(
            LineResult(LineKind.HELPER, regex=i) for i in range(len(definition.failregex))
        )

    # ------------------------------------------------------------------ compiling

    def _check(self, expanded: dict[str, list[str]]) -> list[tuple[tuple[str, int], RegexRisk]]:
        found: list[tuple[tuple[str, int], RegexRisk]] = []
        for option in _OPTIONS:
            for index, pattern in enumerate(expanded[option]):
                try:
                    risks = check_regex(pattern)
                except re.error as exc:
                    raise self._bad(option, index, pattern, exc) from exc
                found.extend(((option, index), risk) for risk in risks)
        return found

    def _guard(
        self,
        risks: list[tuple[tuple[str, int], RegexRisk]],
        expanded: dict[str, list[str]],
        compiler: PatternCompiler | None,
    ) -> dict[tuple[str, int], Any]:
        """Dangerous regexes compiled by the linear-time engine; refuses fatal ones it
        cannot compile."""
        guarded: dict[tuple[str, int], Any] = {}
        for (option, index), risk in risks:
            if (option, index) in guarded:
                continue
            pattern = _linear(expanded[option][index])
            compiled = compiler(pattern) if compiler is not None else None
            if compiled is not None:
                guarded[(option, index)] = compiled
            elif risk.fatal:
                raise UnsafeRegexError(
                    filter=self.definition.name,
                    option=option,
                    index=index,
                    reason=risk.reason,
                    fix=risk.fix,
                )
        return guarded

    def _bad(self, option: str, index: int, regex: str, exc: Exception) -> FilterError:
        return FilterError(
            "filter.bad_regex",
            filter=self.definition.name,
            option=option,
            index=index,
            reason=str(exc),
            regex=regex,
        )

    def _compile_short(
        self,
        expanded: dict[str, list[str]],
        guarded: dict[tuple[str, int], Any],
        multiline: bool,
    ) -> _Rules:
        compiled: dict[str, list[Any]] = {}
        for option in _OPTIONS:
            compiled[option] = []
            for index, pattern in enumerate(expanded[option]):
                try:
                    python = _python(pattern, multiline)
                except (re.error, OverflowError, RecursionError) as exc:
                    raise self._bad(option, index, pattern, exc) from exc
                compiled[option].append(guarded.get((option, index), python))
                if option == "failregex":
                    self._require_id(compiled["prefregex"], index, python)
        rules = _Rules(
            pref=compiled["prefregex"][0] if compiled["prefregex"] else None,
            fails=tuple(_rule(p) for p in compiled["failregex"]),
            ignores=tuple(compiled["ignoreregex"]),
        )
        if multiline or any(option == "failregex" for option, _index in guarded):
            return rules
        return _with_dispatch(rules, expanded["failregex"])

    def _require_id(self, pref: list[Any], index: int, pattern: re.Pattern[str]) -> None:
        ids = {"ip4", "ip6", "dns", "fid", "mlfid"}
        if pref and ids & set(pref[0].groupindex):
            return
        if not ids & set(pattern.groupindex):
            raise self._bad(
                "failregex",
                index,
                self.definition.failregex[index],
                ValueError("no failure id: use <HOST>, <ADDR>, <F-ID> or <F-MLFID>"),
            )

    def _compile_long(
        self,
        expanded: dict[str, list[str]],
        compiler: PatternCompiler | None,
        multiline: bool,
    ) -> _Rules | None:
        if compiler is None:
            return None
        compiled: dict[str, list[Any]] = {}
        for option in _OPTIONS:
            compiled[option] = []
            for pattern in expanded[option]:
                result = compiler(_linear(pattern))
                if result is None:
                    return None
                compiled[option].append(result)
        return _Rules(
            pref=compiled["prefregex"][0] if compiled["prefregex"] else None,
            fails=tuple(_rule(p) for p in compiled["failregex"]),
            ignores=tuple(compiled["ignoreregex"]),
        )

    def _literals(self, expanded: dict[str, list[str]]) -> Callable[[str], bool] | None:
        """A test for the strings one of which every line that can reach a failregex
        contains (also kept, as ``_required``, for :meth:`candidates`)."""
        patterns = list(expanded["failregex"])
        if expanded["ignoreregex"] and len(expanded["ignoreregex"]) < len(patterns) - 2:
            patterns += expanded["ignoreregex"]  # an early ignore is reported as IGNORED
        found: set[str] = set()
        for pattern in patterns:
            literals = required_literals(pattern)
            if literals is None:
                return None
            found |= literals
        # a string containing another is redundant
        kept = tuple(
            sorted((s for s in found if not any(o != s and o in s for o in found)), key=len)
        )
        self._required = kept
        return contains_any(kept)

    def candidates(self, texts: list[str]) -> Iterable[int]:
        """Indexes (in order) of the lines of ``texts`` worth a full :meth:`process`; the
        others are lines ``process`` would call missed without looking further (no date
        read, no state changed), so a caller holding many lines (a replay, a burst) may
        skip them. The test runs in C: about 0.7 µs a line against ~2 µs for ``process``.

        Exact: it is the required-strings test ``process`` applies first, on lines whose
        date can only be a prefix (they start with a word character); every other line is
        a candidate. Filters without that test return every index.
        """
        search = self._prefilter_search
        if search is None:
            return range(len(texts))
        wanted = compress(range(len(texts)), map(search, texts))
        odd = list(compress(range(len(texts)), map(_NOT_WORD_START, texts)))
        if not odd:
            return wanted
        return sorted(set(wanted).union(odd))

    def _make_prefilter(self) -> Callable[[str], object] | None:
        """Search for any required string, trimmed of leading punctuation and blanks (a
        weaker test, still exact as a superset, and much faster for ``re``, which scans
        for the strings' first characters)."""
        if self._quick is None or not self._date_at_start or not self._required:
            return None
        trimmed = {r.lstrip(_TRIM) or r for r in self._required}
        kept = tuple(t for t in trimmed if not any(o != t and o in t for o in trimmed))
        return _compiled(trie_pattern(kept)).search

    # ------------------------------------------------------------------ matching

    def process(
        self, text: str, now: float, timestamp: float | None = None, *, checked: bool = False
    ) -> LineResult:
        """What ``text`` (one line, no newline) is; see the module documentation.
        ``checked``: the line came out of :meth:`candidates`, whose test stands for the
        first required-strings test here (an optimisation only: the result is the same)."""
        quick = None if checked else self._quick
        if quick is not None and (
            timestamp is not None or (self._date_at_start and _starts_with_word(text))
        ):
            # the regexes will see a suffix of text: testing text itself is exact
            if not quick(text):
                return MISSED
            quick = None
        hit: DateHit | None = None
        if timestamp is not None:
            body = text
            self._last_time = timestamp
            self._last_dated = None
        else:
            scan = text if len(text) <= SHORT_LINE_LIMIT else text[:SHORT_LINE_LIMIT]
            hit = self._dates.find(scan)
            if hit is None or hit.start == hit.end:
                body = text
                hit = None
            else:
                body = text[: hit.start] + text[hit.end :] if hit.start else text[hit.end :]
                self._last_dated = (text, hit)
                self._last_time = None
        if quick is not None and not quick(body):
            return MISSED
        if self._maxlines > 1:
            return self._multiline(text, body, hit, now, timestamp)
        if len(body) < SHORT_LINE_LIMIT:
            rules = self._short
        elif self._long is not None:
            rules = self._long
        else:
            return TOO_LONG
        return self._single(rules, body + "\n", text, hit, now, timestamp)

    def _single(
        self,
        rules: _Rules,
        buf: str,
        text: str,
        hit: DateHit | None,
        now: float,
        timestamp: float | None,
    ) -> LineResult:
        head = self._head(rules, buf)
        if isinstance(head, LineResult):
            return head
        pre, content = head
        if content:
            buf = content + "\n"
        start = 0
        while True:
            found = _first(rules, buf, start)
            if found is None:
                return MISSED if start == 0 else self._helpers[start - 1]
            index, groups = found
            if rules.ignores and _any(rules.ignores, buf):
                return IGNORED
            result = self._judge(index, groups, pre, [text], text, hit, now, timestamp)
            if result is not None:
                return result
            start = index + 1  # no failure id in this match: fail2ban tries the next rule

    def _head(self, rules: _Rules, buf: str) -> LineResult | tuple[Groups | None, str | None]:
        """Steps 3 and 4 for ``buf``: IGNORED or MISSED, else the prefregex's groups (None
        without a prefregex) and its ``<F-CONTENT>`` (what the failregexes see instead)."""
        if self._early_ignore and rules.ignores and _any(rules.ignores, buf):
            return IGNORED
        if rules.pref is None:
            return None, None
        m = rules.pref.search(buf)
        if m is None:
            return MISSED
        pre: Groups = m.groupdict()
        return pre, pre.pop("content", None)

    def _multiline(
        self,
        text: str,
        body: str,
        hit: DateHit | None,
        now: float,
        timestamp: float | None,
    ) -> LineResult:
        self._buffer.append((body, text))
        del self._buffer[: -self._maxlines]
        original = list(self._buffer)
        buf = "\n".join(seen for seen, _line in original) + "\n"
        if len(buf) < SHORT_LINE_LIMIT:
            rules = self._short
        elif self._long is not None:
            rules = self._long
        else:
            return TOO_LONG
        head = self._head(rules, buf)
        if isinstance(head, LineResult):
            return head
        pre, content = head
        if content:
            self._buffer = [(content, content)]
            buf = content + "\n"
        for index, rule in enumerate(rules.fails):
            m = rule.pattern.search(buf)
            if m is None:
                continue
            matched, unmatched = _split_lines(m, rule, original)
            if rules.ignores:
                seen = "\n".join(s for s, _line in matched) + "\n"
                if _any(rules.ignores, seen):
                    self._buffer = unmatched
                    return IGNORED
            self._buffer = unmatched
            groups = merge_special_groups(m.groupdict(), rule.alternatives, rule.tuples)
            lines = [line for _seen, line in matched]
            result = self._judge(index, groups, pre, lines, text, hit, now, timestamp)
            if result is not None:
                return result
        return MISSED

    def _judge(
        self,
        index: int,
        groups: Groups,
        pre: Groups | None,
        lines: list[str],
        text: str,
        hit: DateHit | None,
        now: float,
        timestamp: float | None,
    ) -> LineResult | None:
        """The result of failregex ``index`` matching; None when it names no failure id."""
        if pre:
            get = groups.get
            for key, value in pre.items():  # a group the rule left empty keeps the prefix's
                if get(key) is None:
                    groups[key] = value
        mlfid = groups.get("mlfid")
        if mlfid is not None:
            groups = self._connections.merge(mlfid, groups, lines, now)
        elif groups.get("mlfgained"):
            # a success is never a failure, even on a line with no connection id (fail2ban
            # would count it: its filters only use <F-MLFGAINED> with an <F-MLFID>)
            return self._helpers[index]
        elif not groups.get("nofail"):
            groups["matches"] = lines
        if groups.get("nofail"):
            return self._helpers[index]
        host = groups.get("ip4")
        if host is None or groups.get("fid") is not None:
            host = _failure_id(groups)
        if host is None:
            if mlfid is None:
                return None
            groups["mlfpending"] = 1  # a later line of the connection may name the address
            return self._helpers[index]
        failure = Failure(  # positional: the hot path
            host,
            self._address(host),
            self._time(text, hit, now, timestamp),
            tuple(groups.get("matches", lines)[-MAX_EVIDENCE:]),
            index,
            groups.get("user"),
        )
        if not self._keep_captures:
            return LineResult(LineKind.MATCHED, (failure,), index)
        # the connection cache goes on changing its groups: keep a snapshot
        snapshot = groups.copy() if mlfid is not None else groups
        users = snapshot.get("users")
        if users is not None:
            snapshot["users"] = frozenset(users)
        return LineResult(LineKind.MATCHED, (failure,), index, (snapshot,))

    def _address(self, host: str) -> Any:
        addresses = self._addresses
        address = addresses.get(host, _UNKNOWN)
        if address is _UNKNOWN:
            if len(addresses) >= _ADDRESS_CACHE:
                addresses.clear()
            address = addresses[host] = parse_address(host)
        return address

    def _time(self, text: str, hit: DateHit | None, now: float, timestamp: float | None) -> float:
        if timestamp is not None:
            return timestamp
        if hit is not None:
            when = self._dates.epoch(text, hit, now)
            if when is not None:
                return when
        last = self._last_known(now)
        if last is not None and last > now - _LAST_DATE_MAX_AGE:
            return last
        return now

    def _last_known(self, now: float) -> float | None:
        if self._last_time is None and self._last_dated is not None:
            text, hit = self._last_dated
            self._last_time = self._dates.epoch(text, hit, now)
        return self._last_time


def _failure_id(groups: Groups) -> str | None:
    """The failure id: the address (``ip4``, ``ip6``) or host name (``dns``), unless an
    ``<F-ID>`` names something else (then the address is kept as ``ip``)."""
    fid = groups.get("fid")
    for name in ("ip4", "ip6", "dns"):
        host = groups.get(name)
        if host is not None:
            if fid is not None and fid != host:
                groups["ip"] = host
                return str(fid)
            return str(host)
    return None if fid is None else str(fid)


def _starts_with_word(text: str) -> bool:
    first = text[:1]
    return first.isalnum() or first == "_"


# a capturing group in a date template: the date is that group, maybe not at its start
_PLAIN_GROUP = re.compile(r"(?<!\\)\((?!\?)")


def _dates_at_line_start(datepattern: str | None) -> bool:
    """True when every date template is anchored at the line start (``{^LN-BEG}``: after at
    most two non-word characters) and is the date as a whole (no capturing group choosing
    a part), so a line starting with a word character loses only a prefix when its date is
    cut out; ``{NONE}`` cuts nothing."""
    if datepattern is None:
        return False
    templates = [t.strip() for t in datepattern.split("\n") if t.strip()]
    return bool(templates) and all(
        t == "{NONE}" or (t.startswith("{^LN-BEG}") and not _PLAIN_GROUP.search(t))
        for t in templates
    )


def _rule(pattern: Any) -> _Rule:
    names = list(pattern.groupindex)
    alternatives, tuples = special_groups(names)
    skiplines = tuple(sorted(n for n in names if n.startswith("skiplines")))
    return _Rule(pattern, alternatives, tuples, skiplines)


def _with_dispatch(rules: _Rules, expanded: list[str]) -> _Rules:
    """``rules`` with, per possible first character of the buffer, the failregexes that can
    match (an anchored rule must match its first character), and each rule's required
    strings. Most lines then try one or two rules instead of all of them."""
    trees = [parse_tree(p)[0] for p in expanded]
    anchored = [is_anchored(tree) for tree in trees]
    firsts = [
        first_chars(tree) if anchored[i] and not nullable(tree) else PROBES
        for i, tree in enumerate(trees)
    ]
    by_first = {
        chr(code): tuple((i, anchored[i]) for i in range(len(trees)) if chr(code) in firsts[i])
        for code in range(128)
    }
    fails = tuple(
        _Rule(r.pattern, r.alternatives, r.tuples, r.skiplines, _needs(expanded[i]))
        for i, r in enumerate(rules.fails)
    )
    return _Rules(rules.pref, fails, rules.ignores, MappingProxyType(by_first))


def _needs(pattern: str) -> tuple[tuple[str, ...], ...]:
    """Up to four sets of strings such that every match of ``pattern`` contains one string
    of each set (the most selective first: longest shortest string, fewest choices).
    A set of alternatives (``Connection closed by|Disconnected from``) tells rules apart
    where a single common string (`` port ``) cannot."""
    sets = set()
    for found in literal_factors(pattern):
        # a string containing another of the set is redundant: the shorter one is enough
        kept = frozenset(x for x in found if not any(o != x and o in x for o in found))
        if kept and min(map(len, kept)) >= 3 and len(kept) <= 8:
            sets.add(kept)
    ranked = sorted(sets, key=lambda f: (-min(map(len, f)), len(f), sorted(f)))
    return tuple(tuple(sorted(f, key=len, reverse=True)) for f in ranked[:4])


def _first(rules: _Rules, buf: str, start: int) -> tuple[int, Groups] | None:
    """The first failregex (from index ``start``) that matches ``buf``, with its groups."""
    by_first = rules.by_first
    fails = rules.fails
    if by_first is None or start:
        for index in range(start, len(fails)):
            rule = fails[index]
            m = rule.pattern.search(buf)
            if m is not None:
                return index, _groups(rule, m.groupdict())
        return None
    candidates = by_first.get(buf[0])
    if candidates is None:  # not ASCII: every rule
        candidates = tuple((i, False) for i in range(len(fails)))
    for index, anchored in candidates:
        rule = fails[index]
        for need in rule.needs:
            for option in need:
                if option in buf:
                    break
            else:
                break  # none of this set's strings: the rule cannot match
        else:
            m = rule.pattern.match(buf) if anchored else rule.pattern.search(buf)
            if m is not None:
                return index, _groups(rule, m.groupdict())
    return None


def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _groups(rule: _Rule, groups: Groups) -> Groups:
    if rule.alternatives or rule.tuples:
        return merge_special_groups(groups, rule.alternatives, rule.tuples)
    return groups


def _any(patterns: tuple[Any, ...], buf: str) -> bool:
    return any(p.search(buf) is not None for p in patterns)


def _split_lines(
    m: Any, rule: _Rule, original: list[tuple[str, str]]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(matched, unmatched) buffer lines of a multi-line match; skipped lines are unmatched."""
    string: str = m.string
    first = string.rfind("\n", 0, m.start() + 1) + 1
    last_nl = string.find("\n", max(m.end() - 1, 0))
    last = len(string) if last_nl < 0 else last_nl + 1
    a, b = string.count("\n", 0, first), string.count("\n", 0, last)
    matched = original[a:b]
    unmatched = original[:a]
    skipped: list[str] = []
    for name in rule.skiplines:
        value = m.group(name)
        if value:
            skipped.extend(value.splitlines())
    n = 0
    for line in skipped:
        for offset, (seen, _text) in enumerate(matched[n:]):
            if seen == line:
                unmatched.append(matched.pop(n + offset))
                n += offset
                break
    unmatched.extend(original[b:])
    return matched, unmatched
