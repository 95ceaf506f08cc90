"""Small helpers for what the command line prints: language, tables, times, JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any, TextIO

__all__ = ["fmt_float", "fmt_int", "fmt_time", "iso_utc", "print_json", "printable", "t", "table"]

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
