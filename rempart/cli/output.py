"""Small helpers for what the command line prints: language, tables, times, JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any, TextIO

__all__ = [
    "answer_text",
    "answer_time",
    "as_list",
    "as_mapping",
    "as_number",
    "fmt_float",
    "fmt_int",
    "fmt_time",
    "iso_utc",
    "print_json",
    "printable",
    "t",
    "table",
]

# C0 and C1 control characters (and DEL), except tab: a log line could carry terminal
# escape sequences; they are shown as \xNN, never sent to the terminal.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x09), *range(0x0A, 0x20), *range(0x7F, 0xA0))}


def printable(text: str, limit: int = 400) -> str:
    """Attacker-controlled ``text`` made safe for a terminal, shortened to ``limit``."""
    if len(text) > limit:
        text = text[:limit] + "…"
    return text.translate(_CONTROLS)


def t(lang: str, en: str, fr: str) -> str:
    """The French or English text."""
    return fr if lang == "fr" else en


def fmt_int(value: int, lang: str) -> str:
    """Thousands separated the way each language writes them (1,234 / 1 234)."""
    text = f"{value:,}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def fmt_float(value: float, lang: str, digits: int = 2) -> str:
    """A decimal number with a comma in French."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text


def fmt_time(epoch: float, tz: tzinfo) -> str:
    return datetime.fromtimestamp(epoch, tz).strftime("%Y-%m-%d %H:%M:%S%z")


def iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def table(
    rows: Sequence[Sequence[str]], header: Sequence[str], out: TextIO, indent: str = ""
) -> None:
    """A plain aligned table (no colours: it is copied into mails and tickets)."""
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    for row in (header, *rows):
        out.write(
            indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n"
        )


def print_json(data: Any, out: TextIO | None = None) -> None:
    json.dump(data, out or sys.stdout, ensure_ascii=False, indent=2)
    (out or sys.stdout).write("\n")


# ------------------------------------------------------------------ values of an agent's answer


def as_mapping(value: Any) -> Mapping[str, Any]:
    """A JSON object of an answer, or an empty one (answers are never trusted blindly)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def answer_text(value: Any, lang: str = "en", limit: int = 120) -> str:
    """Any value of an answer, as safe text for a terminal."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return t(lang, "yes", "oui") if value else t(lang, "no", "non")
    if isinstance(value, int):
        return fmt_int(value, lang)
    if isinstance(value, float):
        return fmt_float(value, lang)
    return printable(str(value), limit)


def answer_time(value: Any, zone: tzinfo, lang: str) -> str:
    """An epoch time of an answer in ``zone``; "never" for None."""
    epoch = as_number(value)
    if epoch is None:
        return t(lang, "never", "jamais") if value is None else answer_text(value)
    try:
        return fmt_time(epoch, zone)
    except (OverflowError, OSError, ValueError):
        return answer_text(value)
