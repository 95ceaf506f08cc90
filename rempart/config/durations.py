"""Durations as people write them: ``90``, ``"90s"``, ``"10m"``, ``"1h30m"``, ``"2d"``, ``"1w"``."""

from __future__ import annotations

import re

__all__ = ["format_duration", "parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "mo": 2592000, "y": 31536000}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(mo|[smhdwy])")


def parse_duration(value: object) -> float:
    """Seconds in ``value``; ValueError with the accepted forms otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a duration, got a boolean")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a duration, got {type(value).__name__}")
    text = value.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    pos, total = 0, 0.0
    while pos < len(text):
        m = _PART.match(text, pos)
        if m is None:
            raise ValueError(
                f'{value!r} is not a duration (examples: 90, "90s", "10m", "1h30m", "2d", "1w")'
            )
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not text:
        raise ValueError("empty duration")
    return total


def format_duration(seconds: float) -> str:
    """``900`` -> ``"15m"``, ``5400`` -> ``"1h30m"``; whole seconds."""
    rest = round(seconds)
    if rest == 0:
        return "0s"
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts)
