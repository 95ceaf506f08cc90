"""What the AbuseIPDB client hands back: outcomes, rate-limit headers, answers, results.

Pure values and pure functions (no I/O): :func:`classify` maps an HTTP status and the
API's ``errors[0].detail`` to an :class:`Outcome`; :func:`parse_rate` reads the
``X-RateLimit-*`` / ``Retry-After`` headers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

__all__ = [
    "MAX_DETAIL",
    "Answer",
    "BlacklistFile",
    "BulkResult",
    "CheckReport",
    "CheckResult",
    "InvalidRow",
    "Outcome",
    "RateLimit",
    "ReportResult",
    "classify",
    "clean_detail",
    "iso_time",
    "parse_rate",
    "parse_time",
]

T = TypeVar("T")

#: longest ``Answer.detail`` (characters)
MAX_DETAIL = 300


class Outcome(Enum):
    """How a call ended. The value is a stable lower-case name (metrics labels, JSON)."""

    OK = "ok"
    #: 429 "Daily rate limit …": the endpoint's quota is gone until ``rate.reset_at``
    DAILY_LIMIT = "daily_limit"
    #: 429 "… once in 15 minutes": this address was reported by us less than 15 min ago
    DUPLICATE = "duplicate"
    #: another 429 (throttling): try again after ``rate.retry_after``
    RATE_LIMITED = "rate_limited"
    #: 401/403: the key is missing, wrong or revoked
    UNAUTHORIZED = "unauthorized"
    #: 402: the plan does not include this feature
    PAYMENT_REQUIRED = "payment_required"
    #: 400/413/422 (or refused before sending): the request itself is wrong
    INVALID = "invalid"
    #: 5xx (and 408)
    SERVER_ERROR = "server_error"
    #: no answer: connection refused or dropped, timeout, TLS, truncated body
    NETWORK = "network"
    #: an answer that is not the documented API: not JSON, wrong shape, wrong type, 3xx/404
    BAD_ANSWER = "bad_answer"


#: outcomes after which the same call may simply be made again later. NETWORK and
#: BAD_ANSWER included: the server may have processed the call (a report accepted, the
#: answer lost); sending it again is harmless, it is refused as DUPLICATE within 15
#: minutes and merged by AbuseIPDB within 24 h. RATE_LIMITED: after ``retry_after``.
_RETRYABLE = frozenset(
    {Outcome.SERVER_ERROR, Outcome.NETWORK, Outcome.BAD_ANSWER, Outcome.RATE_LIMITED}
)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The rate-limit headers of one answer (None when absent or unreadable)."""

    limit: int | None = None
    remaining: int | None = None
    #: X-RateLimit-Reset: when the daily quota comes back (epoch seconds)
    reset_at: float | None = None
    #: Retry-After, in seconds
    retry_after: float | None = None

    def resume_at(self, now: float) -> float | None:
        """When to call again: ``reset_at``, else ``now + retry_after``, else None."""
        if self.reset_at is not None:
            return self.reset_at
        return None if self.retry_after is None else now + self.retry_after


@dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    """One call's result. ``data`` is set only when ``outcome`` is OK.

    ``detail`` is the API's ``errors[0].detail`` or the transport error, printable and at
    most :data:`MAX_DETAIL` characters, never containing the key. ``parameter`` is the
    error's ``source.parameter`` (``"ip"`` on a duplicate report), if any.
    (Build it as ``Answer(...)``, not ``Answer[X](...)``: a frozen slotted generic cannot
    record its alias on Python 3.11.)
    """

    endpoint: str
    outcome: Outcome
    status: int | None
    data: T | None
    detail: str
    rate: RateLimit = RateLimit()
    parameter: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def retryable(self) -> bool:
        """SERVER_ERROR, NETWORK, BAD_ANSWER, RATE_LIMITED: the same call may be made
        again later (with backoff); every other outcome will not change by retrying."""
        return self.outcome in _RETRYABLE


@dataclass(frozen=True, slots=True)
class ReportResult:
    """``/report``: the address as AbuseIPDB wrote it and its confidence score now."""

    ip: str
    score: int


@dataclass(frozen=True, slots=True)
class CheckReport:
    """One report in a verbose ``/check``. ``comment`` is other people's text: escape it."""

    reported_at: float | None
    comment: str
    categories: tuple[int, ...]
    reporter_id: int | None
    reporter_country: str | None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """``/check``. Text fields come from AbuseIPDB and its reporters: escape them on display."""

    ip: str
    score: int
    country: str | None
    usage_type: str | None
    isp: str | None
    domain: str | None
    hostnames: tuple[str, ...]
    is_public: bool | None
    is_whitelisted: bool | None
    total_reports: int
    distinct_users: int
    last_reported_at: float | None
    reports: tuple[CheckReport, ...] = ()
    is_tor: bool | None = None
    ip_version: int | None = None


@dataclass(frozen=True, slots=True)
class BlacklistFile:
    """``/blacklist`` (plaintext) saved in ``path``: ``size`` bytes, generated at
    ``generated_at`` (X-Generated-At, epoch seconds) when the header was there."""

    path: Path
    generated_at: float | None
    size: int


class InvalidRow(NamedTuple):
    """A row ``/bulk-report`` refused: its number, the IP as written, AbuseIPDB's reason."""

    row: int
    ip: str
    error: str


@dataclass(frozen=True, slots=True)
class BulkResult:
    saved: int
    invalid: tuple[InvalidRow, ...]


def classify(status: int, detail: str) -> Outcome:
    """The outcome of an HTTP answer from its status and ``errors[0].detail``.

    The two 429s differ only by their text: "Daily rate limit" (the endpoint's quota is
    gone) and "once in 15 minutes" (the same address reported again too soon).
    """
    if 200 <= status < 300:
        return Outcome.OK
    text = detail.lower()
    if status == 429:
        if "daily rate limit" in text:
            return Outcome.DAILY_LIMIT
        if "once in 15 minutes" in text:
            return Outcome.DUPLICATE
        return Outcome.RATE_LIMITED
    return _BY_STATUS.get(status) or (
        Outcome.SERVER_ERROR if 500 <= status < 600 else Outcome.BAD_ANSWER
    )


_BY_STATUS = {
    401: Outcome.UNAUTHORIZED,
    403: Outcome.UNAUTHORIZED,
    402: Outcome.PAYMENT_REQUIRED,
    400: Outcome.INVALID,
    413: Outcome.INVALID,
    414: Outcome.INVALID,
    422: Outcome.INVALID,
    408: Outcome.SERVER_ERROR,
}


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 0 else None


def _retry_after(value: str | None, now: float) -> float | None:
    if value is None:
        return None
    seconds = _int(value)
    if seconds is not None:
        return float(seconds)
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def parse_rate(headers: Mapping[str, str], now: float) -> RateLimit:
    """The rate-limit headers (names case-insensitive in ``httpx.Headers``; lower-case
    them for a plain dict). ``Retry-After`` may be seconds or an HTTP date."""
    reset = _int(headers.get("x-ratelimit-reset"))
    return RateLimit(
        limit=_int(headers.get("x-ratelimit-limit")),
        remaining=_int(headers.get("x-ratelimit-remaining")),
        reset_at=None if reset is None else float(reset),
        retry_after=_retry_after(headers.get("retry-after"), now),
    )


def clean_detail(text: str, secret: str = "") -> str:
    """``text`` made safe to log and show: ``secret`` masked, control characters
    escaped, at most :data:`MAX_DETAIL` characters."""
    if secret and len(secret) >= 4:
        text = text.replace(secret, "[key]")
    out = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: MAX_DETAIL * 2])
    return out if len(out) <= MAX_DETAIL else out[: MAX_DETAIL - 1] + "…"


def parse_time(value: object) -> float | None:
    """An ISO 8601 time from the API as epoch seconds (UTC when it has no offset)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    stamp = when.timestamp()
    return stamp if math.isfinite(stamp) else None


def iso_time(stamp: float) -> str:
    """Epoch seconds as ISO 8601 with offset, as the API wants: ``2025-06-01T12:00:01+00:00``."""
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")
