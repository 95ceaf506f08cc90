"""Munin's warning and critical ranges, as munin-limits reads and checks them (pure).

From ``Munin::Master::LimitsOld`` (2.0.73), ``get_limits`` and the checks after it:

- ``min:max`` (``^\\s*([-+\\d.]*):([-+\\d.]*)\\s*$``): either side may be empty (``10:20``,
  ``:90``, ``5:``, even ``:``, which never alarms);
- a bare ``N`` is the upper bound only (``:N``);
- **anything else is** ``[0,0]``: every value but 0 alarms;
- a bound is a number the way Perl reads one (``1.2.3`` is 1.2, ``+`` is 0);
- the value is rounded to two decimals (``sprintf "%.2f"``) before it is compared, and it is
  out of range when ``value < min`` or ``value > max``;
- critical is tested first, then warning; an unknown value is "unknown".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from rempart.metrics.model import Field

__all__ = ["Range", "State", "check", "parse_range", "perl_number"]

State = Literal["ok", "warning", "critical", "unknown"]

_PAIR = re.compile(r"\s*([-+\d.]*):([-+\d.]*)\s*", re.ASCII)
_BARE = re.compile(r"\s*([-+\d.]+)\s*", re.ASCII)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)", re.ASCII)


def perl_number(text: str) -> float:
    """``text`` as Perl numifies it: its leading number, 0 when there is none."""
    m = _NUMBER.match(text)
    return float(m.group(0)) if m else 0.0


@dataclass(frozen=True, slots=True)
class Range:
    """Allowed values: ``low <= value <= high``; None is no bound on that side."""

    low: float | None = None
    high: float | None = None

    def contains(self, value: float) -> bool:
        """True when ``value`` is inside (NaN is never inside)."""
        if math.isnan(value):
            return False
        if self.low is not None and value < self.low:
            return False
        return not (self.high is not None and value > self.high)

    def __str__(self) -> str:
        def side(v: float | None) -> str:
            if v is None:
                return ""
            v = float(v)
            return str(int(v)) if v.is_integer() else repr(v)

        return f"{side(self.low)}:{side(self.high)}"


def _bound(text: str) -> float | None:
    return perl_number(text) if text else None


def parse_range(text: str) -> Range:
    """A ``.warning`` / ``.critical`` text as munin-limits reads it."""
    if m := _PAIR.fullmatch(text):
        return Range(_bound(m.group(1)), _bound(m.group(2)))
    if m := _BARE.fullmatch(text):
        return Range(None, perl_number(m.group(1)))
    return Range(0.0, 0.0)


def _rounded(value: float) -> float:
    return float(f"{value:.2f}")


def check(field: Field, value: float | None) -> State:
    """The state munin-limits gives ``value`` of ``field`` (a rate already, for DERIVE)."""
    if value is None or math.isnan(value):
        return "unknown"
    shown = _rounded(value)
    if field.critical is not None and not parse_range(field.critical).contains(shown):
        return "critical"
    if field.warning is not None and not parse_range(field.warning).contains(shown):
        return "warning"
    return "ok"
