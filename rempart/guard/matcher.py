"""Turning log lines into failures with a compiled filter.

INTERFACE STUB — the full implementation (every fail2ban tag, ``<F-CONTENT>``,
``<F-MLFID>``/``<F-NOFAIL>``/``<F-MLFGAINED>``/``<F-MLFFORGET>``, ``maxlines``,
ignoreregex, bounded matching time) replaces this module. The public surface below
is the contract the rest of rempart relies on.

Contract:

- ``LineFilter(definition, *, tz=UTC, long_line_compiler=None)`` compiles a
  :class:`~rempart.guard.definition.FilterDefinition`; it raises
  :class:`~rempart.errors.FilterError` for a regex that does not compile.
  One instance per (jail, source): it keeps multi-line state.
- ``process(text, now, timestamp=None) -> LineResult`` for one line (no newline).
  Time of a failure: ``timestamp`` when given (journal), else the date in the line,
  else ``now``. ``now`` also resolves year-less dates.
- ``LineResult.kind`` says what the line was; ``failures`` the failures it completed
  (a multi-line failure is reported on the line that completes it).
- ``regexes``: the failregexes as written, for statistics by index.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, tzinfo
from enum import Enum
from typing import Any

from rempart.addresses import parse_address
from rempart.errors import FilterError
from rempart.guard.dates import DateDetector
from rempart.guard.definition import FilterDefinition
from rempart.model import Failure

__all__ = ["LineFilter", "LineKind", "LineResult", "PatternCompiler"]

# A compiler for long lines: returns an object with re.Pattern's search/match API,
# or None when its engine cannot compile the pattern (then long lines are not matched).
PatternCompiler = Callable[[str], Any]


class LineKind(Enum):
    MISSED = "missed"  # no regex matched
    MATCHED = "matched"  # a failregex matched and produced failures
    HELPER = "helper"  # a failregex matched but produced no failure (yet): nofail, pending
    IGNORED = "ignored"  # an ignoreregex vetoed it
    TOO_LONG = "too-long"  # over the length limit and no linear-time engine for it


@dataclass(frozen=True, slots=True)
class LineResult:
    kind: LineKind
    failures: tuple[Failure, ...] = ()
    regex: int = -1


MISSED = LineResult(LineKind.MISSED)
IGNORED = LineResult(LineKind.IGNORED)

_ADDR = r"(?:\[?(?P<ip6>[0-9a-fA-F:]{2,39})\]?|(?P<ip4>\d{1,3}(?:\.\d{1,3}){3}))"


def _expand(regex: str) -> str:
    out = regex.replace("<HOST>", _ADDR).replace("<ADDR>", _ADDR)
    out = re.sub(r"<F-([A-Z]+)>", lambda m: f"(?P<{m.group(1).lower()}>", out)
    return re.sub(r"</F-[A-Z]+>", ")", out)


class LineFilter:
    """Stub: prefregex with <F-CONTENT>, failregex with <HOST>/<ADDR>/<F-USER>, no multi-line."""

    def __init__(
        self,
        definition: FilterDefinition,
        *,
        tz: tzinfo = UTC,
        long_line_compiler: PatternCompiler | None = None,
    ) -> None:
        self.definition = definition
        self.regexes = definition.failregex
        self._dates = DateDetector(definition.datepattern, tz=tz)
        try:
            self._pref = re.compile(_expand(definition.prefregex)) if definition.prefregex else None
            self._fail = [re.compile(_expand(r)) for r in definition.failregex]
            self._ignore = [re.compile(_expand(r)) for r in definition.ignoreregex]
        except re.error as exc:
            raise FilterError("filter.invalid", filter=definition.name, problem=str(exc)) from exc

    def process(self, text: str, now: float, timestamp: float | None = None) -> LineResult:
        hit = self._dates.find(text)
        body = text[: hit.start] + text[hit.end :] if hit else text
        if self._pref is not None:
            m = self._pref.search(body)
            if m is None:
                return MISSED
            body = m.groupdict().get("content") or body
        for index, regex in enumerate(self._fail):
            m = regex.search(body)
            if m is None:
                continue
            if any(ig.search(body) for ig in self._ignore):
                return IGNORED
            groups = m.groupdict()
            host = groups.get("ip4") or groups.get("ip6") or ""
            when = timestamp
            if when is None and hit is not None:
                when = self._dates.epoch(text, hit, now)
            failure = Failure(
                host=host,
                address=parse_address(host),
                time=when if when is not None else now,
                lines=(text,),
                regex=index,
                user=groups.get("user"),
            )
            return LineResult(LineKind.MATCHED, (failure,), index)
        return MISSED
