"""One systemd journal entry, as ``journalctl -o json`` prints it, to one log line.

The pure half of the journal source, tested with literal strings. The line is the one
fail2ban builds for journal entries (``filtersystemd.formatJournalEntry``), so that
fail2ban filters written for ``logtype = journal`` match it unchanged::

    <_HOSTNAME> <SYSLOG_IDENTIFIER or _COMM>[<SYSLOG_PID or _PID>]: <MESSAGE>

- the host name is left out when empty; without an identifier there is neither pid nor
  colon; a pid that reads as an integer (Python's ``int(x, 0)``) is written as that
  integer, else as it is;
- kernel messages (identifier ``kernel``) get the monotonic time as ``[%12.6f]``
  (``_SOURCE_MONOTONIC_TIMESTAMP``, else ``__MONOTONIC_TIMESTAMP``) before the message;
- a field with several values is written as its values joined by spaces (MESSAGE) or
  its first value (the others); a non-UTF-8 value (an array of byte values in JSON) is
  decoded with ``backslashreplace``;
- newlines are written ``\\n``, so one entry is one line.

The time is ``_SOURCE_REALTIME_TIMESTAMP`` (when the message was sent) or else
``__REALTIME_TIMESTAMP`` (when journald received it), in microseconds; fail2ban reads
them in that order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from rempart.adapters.sources.splitter import decode
from rempart.errors import SourceError

__all__ = ["JournalEntry", "field_values", "format_entry", "parse_entry"]


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """The line built from an entry, its time (seconds since the epoch, or None) and
    its cursor (None when journalctl gave none)."""

    text: str
    timestamp: float | None
    cursor: str | None


def field_values(value: object) -> list[str]:
    """The values of one JSON field: a string, an array of byte values (not UTF-8), an
    array of such values (a field set several times), or null (none). Raises ValueError."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        if all(isinstance(b, int) and not isinstance(b, bool) for b in value):
            return [decode(bytes(value))]
        return [text for item in value for text in field_values(item)]
    raise ValueError(f"unexpected field value {value!r:.60}")


def _first(fields: Mapping[str, object], *names: str) -> str:
    for name in names:
        values = field_values(fields.get(name))
        if values and values[0]:
            return values[0]
    return ""


def _pid(text: str) -> str:
    try:
        return f"[{int(text, 0)}]"
    except ValueError:
        return f"[{text}]"


def _monotonic(fields: Mapping[str, object]) -> str:
    micros = _first(fields, "_SOURCE_MONOTONIC_TIMESTAMP", "__MONOTONIC_TIMESTAMP")
    try:
        return f"[{int(micros) / 1e6:12.6f}]"
    except ValueError:
        return "[?]"


def format_entry(fields: Mapping[str, object]) -> str:
    """The log line of an entry (see the module documentation). Raises ValueError."""
    elements = []
    host = _first(fields, "_HOSTNAME")
    if host:
        elements.append(host)
    ident = _first(fields, "SYSLOG_IDENTIFIER", "_COMM")
    if ident:
        pid = _first(fields, "SYSLOG_PID", "_PID")
        elements.append(ident + (_pid(pid) if pid else "") + ":")
        if elements[-1] == "kernel:":
            elements.append(_monotonic(fields))
    elements.append(" ".join(field_values(fields.get("MESSAGE"))))
    return " ".join(elements).replace("\n", "\\n")


def _timestamp(fields: Mapping[str, object]) -> float | None:
    micros = _first(fields, "_SOURCE_REALTIME_TIMESTAMP", "__REALTIME_TIMESTAMP")
    try:
        return int(micros) / 1e6 if micros else None
    except ValueError:
        return None


def parse_entry(raw: str | bytes, source: str = "journal") -> JournalEntry:
    """The entry printed as the JSON object ``raw``. Raises SourceError."""
    try:
        fields = json.loads(raw)
        if not isinstance(fields, dict):
            raise ValueError("not a JSON object")
        text = format_entry(fields)
    except (ValueError, RecursionError) as exc:
        raise SourceError("source.bad_entry", source=source, reason=str(exc)[:200]) from exc
    cursor = fields.get("__CURSOR")
    return JournalEntry(text, _timestamp(fields), cursor if isinstance(cursor, str) else None)
