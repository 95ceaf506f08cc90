"""The linear-time regex engine (RE2) and the production way to build a line filter.

Python's ``re`` backtracks: fast for ordinary lines, but a hostile line can make some
patterns take seconds or years. RE2 guarantees time linear in the line's length; from
Python it costs more per call (about ten times ``re`` on short lines), so the matcher
uses it only where ``re`` could stall: lines longer than
:data:`~rempart.guard.matcher.SHORT_LINE_LIMIT`, and filters with a regex the load-time
check finds dangerous. RE2 has no look-arounds, back-references or conditionals; a
regex using them does not compile here (:func:`re2_compiler` returns None) and the
matcher then reports long lines as too long instead of matching them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, tzinfo
from types import MappingProxyType
from typing import Any

import re2

from rempart.guard.definition import FilterDefinition
from rempart.guard.matcher import LineFilter

__all__ = ["RE2_MAX_MEMORY", "build_line_filter", "build_success_filter", "re2_compiler"]

# memory budget of one compiled RE2 program (its DFA cache): enough for the largest
# fail2ban filters, small enough for hundreds of jails
RE2_MAX_MEMORY = 32 << 20


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = RE2_MAX_MEMORY
    return options


def re2_compiler(pattern: str) -> Any:
    """``pattern`` compiled by RE2, or None when RE2 cannot compile it."""
    try:
        return re2.compile(pattern, _options())
    except re2.error:
        return None


def build_line_filter(
    definition: FilterDefinition, tz: tzinfo = UTC, *, captures: bool = True
) -> LineFilter:
    """A :class:`LineFilter` with RE2 for long lines and dangerous regexes (``captures``:
    whether results carry the captured groups; the replay and the agent do not need them)."""
    return LineFilter(definition, tz=tz, long_line_compiler=re2_compiler, captures=captures)


def build_success_filter(definition: FilterDefinition, tz: tzinfo = UTC) -> LineFilter | None:
    """A :class:`LineFilter` whose "failures" are the successful logins ``definition``'s
    ``successregex`` finds (same prefregex, dates and engines as its failures; no
    ignoreregex); None when it has no success rule. One per (jail, source), fed the same
    lines as the failure filter."""
    if not definition.successregex:
        return None
    success = replace(
        definition,
        failregex=definition.successregex,
        ignoreregex=(),
        successregex=(),
        options=MappingProxyType({**definition.options, "success": "yes"}),
    )
    return build_line_filter(success, tz, captures=False)
