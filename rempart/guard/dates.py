"""Finding and reading the date in a log line (fail2ban-compatible date templates).

INTERFACE STUB — the full implementation (every fail2ban default template, the
``datepattern`` syntax with ``{^LN-BEG}``, ``{DATE}``, ``{NONE}``, ``{EPOCH}``,
``{LEPOCH}``, ``{TAI64N}``, ``%Ex*`` codes, zone handling, year rollover) replaces
this module. The public surface below is the contract.

Contract:

- ``DateDetector(datepattern=None, *, tz=UTC)``: ``datepattern`` is a fail2ban
  ``datepattern`` value (None = the default templates); ``tz`` is the zone of dates
  that carry none (fail2ban's ``logtimezone``).
- ``find(line) -> DateHit | None``: where the date is in ``line`` (``start``, ``end``).
- ``epoch(line, hit, now) -> float | None``: seconds since the epoch (UTC) of that
  date; ``now`` resolves dates without a year (the year that puts the date no more
  than one day after ``now``) or without a day. None when the text is not a valid date.
- ``accepts_no_date``: True for ``{NONE}`` (every line is taken whole, time = now).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

__all__ = ["DateDetector", "DateHit"]

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_SYSLOG = re.compile(r"(?P<b>[A-Z][a-z]{2}) +(?P<d>\d{1,2}) (?P<H>\d\d):(?P<M>\d\d):(?P<S>\d\d)")
_ISO = re.compile(
    r"(?P<Y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d)[T ](?P<H>\d\d):(?P<M>\d\d):(?P<S>\d\d)(?P<f>\.\d+)?"
    r"(?P<z>Z|[+-]\d\d:?\d\d)?"
)


@dataclass(frozen=True, slots=True)
class DateHit:
    """Where a date was found: ``line[start:end]`` is the date text."""

    start: int
    end: int
    template: int


class DateDetector:
    """Locate and parse dates (stub: syslog ``Mon dd HH:MM:SS`` and ISO 8601 only)."""

    def __init__(self, datepattern: str | None = None, *, tz: tzinfo = UTC) -> None:
        self._tz = tz
        self.accepts_no_date = datepattern is not None and "{NONE}" in datepattern

    def find(self, line: str) -> DateHit | None:
        if self.accepts_no_date:
            return None
        for index, regex in enumerate((_ISO, _SYSLOG)):
            m = regex.search(line, 0, 64)
            if m:
                return DateHit(m.start(), m.end(), index)
        return None

    def epoch(self, line: str, hit: DateHit, now: float) -> float | None:
        regex = (_ISO, _SYSLOG)[hit.template]
        m = regex.match(line, hit.start, hit.end)
        if m is None:
            return None
        g = m.groupdict()
        try:
            if hit.template == 0:
                zone = _zone(g["z"]) or self._tz
                dt = datetime(
                    int(g["Y"]),
                    int(g["m"]),
                    int(g["d"]),
                    int(g["H"]),
                    int(g["M"]),
                    int(g["S"]),
                    tzinfo=zone,
                )
                return dt.timestamp() + (float(g["f"]) if g["f"] else 0.0)
            year = datetime.fromtimestamp(now, self._tz).year
            month = _MONTHS[g["b"].lower()]
            for y in (year, year - 1):
                dt = datetime(
                    y, month, int(g["d"]), int(g["H"]), int(g["M"]), int(g["S"]), tzinfo=self._tz
                )
                if dt.timestamp() <= now + 86400:
                    return dt.timestamp()
        except (KeyError, ValueError):
            return None
        return None


def _zone(text: str | None) -> tzinfo | None:
    if not text:
        return None
    if text == "Z":
        return UTC
    from datetime import timedelta, timezone

    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
