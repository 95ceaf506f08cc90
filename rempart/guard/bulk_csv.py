"""The CSV file of a ``/bulk-report`` call.

AbuseIPDB's rules (abuseipdb.com/bulk-report): the header ``IP,Categories,ReportDate,Comment``
in that order; at most 10,000 lines, header included; under 2 MB; ``Categories``
quoted when there are several (``"18,22"``); ``ReportDate`` in ISO 8601 with an offset
(without one it is read as US Eastern time); ``Comment`` quoted to hold commas, with
``"`` escaped by a backslash.

Backslash escapes are where CSV readers disagree (PHP's keeps the backslash, Python's
drops it), so rempart never needs one: a comment's double quotes become single quotes
and its backslashes slashes (:func:`~rempart.guard.report_comment.scrub` already did
so), and its line breaks spaces. Then every field is either bare (the address, the
date) or double-quoted without a quote inside (categories, comment): the same file for
every reader. Lines end with CRLF (RFC 4180).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from rempart.guard.report_comment import scrub

__all__ = ["HEADER", "MAX_BYTES", "MAX_LINES", "BulkCsv", "BulkRow", "bulk_csv", "report_date"]

HEADER = "IP,Categories,ReportDate,Comment"
MAX_LINES = 10_000  # header included
MAX_BYTES = 2_000_000  # the file must be under this
EOL = "\r\n"


@dataclass(frozen=True, slots=True)
class BulkRow:
    """One report of the file: ``address`` as text, ``at`` the attack's time."""

    address: str
    categories: tuple[int, ...]
    at: float
    comment: str


@dataclass(frozen=True, slots=True)
class BulkCsv:
    """The file, and how many of the rows given it holds (the first ``count``)."""

    data: bytes
    count: int


def report_date(at: float) -> str:
    """``at`` as ``2025-06-01T12:03:10+00:00``."""
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="seconds")


def _field(text: str) -> str:
    """``text`` double-quoted, with nothing inside that needs an escape."""
    return '"' + scrub(text) + '"'  # scrub: no quote, no backslash, one line, ≤ 1,024 bytes


def _line(row: BulkRow) -> str:
    categories = ",".join(str(int(c)) for c in row.categories)
    return f'{row.address},"{categories}",{report_date(row.at)},{_field(row.comment)}{EOL}'


def bulk_csv(rows: Iterable[BulkRow]) -> BulkCsv:
    """The file for ``rows``, in order, as many as fit the limits (lines and size)."""
    parts: list[bytes] = [(HEADER + EOL).encode("ascii")]
    size, count = len(parts[0]), 0
    for row in rows:
        if count + 1 >= MAX_LINES:
            break
        if "," in row.address or '"' in row.address:
            raise ValueError(f"not an address: {row.address!r}")
        line = _line(row).encode("utf-8")
        if size + len(line) >= MAX_BYTES:
            break
        parts.append(line)
        size += len(line)
        count += 1
    return BulkCsv(b"".join(parts), count)
