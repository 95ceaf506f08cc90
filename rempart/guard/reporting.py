"""What to do with a report to AbuseIPDB: whether to make it, and what an answer means.

Pure decisions, as values, for :mod:`rempart.services.reporter`:

- :func:`skip_reason`: why a ban is not reported (None: report it): the jail does not
  report, the ban was not detected by rempart (made by hand, or restored), the address
  is not global (private, loopback, reserved…), it is one of ours, it was reported less
  than the cooldown ago (or a report of it is already waiting), or the attack is older
  than 60 days (AbuseIPDB's policy).
- :func:`decide`: an answer's outcome (the name of the client's ``Outcome``) becomes
  :class:`Sent`, :class:`Drop`, :class:`Retry` or :class:`Pause`.
- :func:`retry_at`: exponential backoff with jitter from an injected random source;
  the retries of a report that may already have reached AbuseIPDB ("unsure") stay
  within 15 minutes of its first try, where AbuseIPDB itself refuses a second report of
  the address, so that a retry can never make a duplicate there (see the reporter).

The comment, the daily budget and the bulk CSV have modules of their own, re-exported
here: :mod:`~rempart.guard.report_comment`, :mod:`~rempart.guard.quota`,
:mod:`~rempart.guard.bulk_csv`.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass

from rempart.addresses import Address
from rempart.guard.bulk_csv import BulkCsv, BulkRow, bulk_csv
from rempart.guard.quota import DAY, Budget, next_reset, reset_time, utc_day
from rempart.guard.report_comment import MAX_COMMENT_BYTES, comment, scrub

__all__ = [
    "COOLDOWN",
    "DAY",
    "DUPLICATE_WINDOW",
    "MAX_AGE",
    "MAX_COMMENT_BYTES",
    "NOT_CONFIGURED",
    "NOT_DETECTED",
    "NOT_GLOBAL",
    "OWN_ADDRESS",
    "PENDING",
    "SAFE_WINDOW",
    "TOO_OLD",
    "Budget",
    "BulkCsv",
    "BulkRow",
    "Decision",
    "Drop",
    "Pause",
    "Retry",
    "Sent",
    "bulk_csv",
    "comment",
    "decide",
    "next_reset",
    "retry_at",
    "scrub",
    "skip_reason",
    "utc_day",
]

MAX_AGE = 60 * DAY  # AbuseIPDB: an attack reported must be no older than 60 days
DUPLICATE_WINDOW = 900.0  # AbuseIPDB refuses a second report of an address within 15 min
SAFE_WINDOW = 840.0  # unsure retries stay this close to the first try (a minute of margin)
FIRST_DELAY = 5.0  # seconds before the first retry (then doubled each time)
MAX_DELAY = 3600.0  # never more than an hour between two tries
RATE_LIMIT_WAIT = 60.0  # a short-term 429 without Retry-After

# why a ban is not reported
NOT_CONFIGURED = "jail-not-reporting"
NOT_DETECTED = "not-detected"
NOT_GLOBAL = "not-global"
OWN_ADDRESS = "own-address"
COOLDOWN = "cooldown"
PENDING = "pending"
TOO_OLD = "too-old"


def skip_reason(  # noqa: PLR0911 - one answer per rule
    *,
    jail: str,
    reason: str,
    address: Address,
    attack_at: float,
    now: float,
    jails: Container[str],
    own: Container[Address],
    last_reported: float | None = None,
    cooldown: float = DAY,
    pending: bool = False,
) -> str | None:
    """Why the ban of ``address`` by ``jail`` (made for ``reason``, the attack seen at
    ``attack_at``) is not reported at ``now``; None when it is. ``jails``: those that
    report; ``last_reported``: when a report of the address last reached AbuseIPDB;
    ``pending``: a report of it is already waiting."""
    if jail not in jails:
        return NOT_CONFIGURED
    if reason != "detected":
        return NOT_DETECTED
    if not address.is_global or address.is_multicast:
        return NOT_GLOBAL
    if address in own:
        return OWN_ADDRESS
    if now - attack_at > MAX_AGE:
        return TOO_OLD
    if pending:
        return PENDING
    if last_reported is not None and now - last_reported < max(cooldown, DUPLICATE_WINDOW):
        return COOLDOWN
    return None


@dataclass(frozen=True, slots=True)
class Sent:
    """The report reached AbuseIPDB. ``confirmed``: this answer was the duplicate
    refusal, and an earlier unsure try is what reached it."""

    confirmed: bool = False


@dataclass(frozen=True, slots=True)
class Drop:
    """Never send this report. ``reported``: AbuseIPDB holds a report of the address
    all the same (made within 15 minutes by another try or another machine)."""

    reason: str
    reported: bool = False


@dataclass(frozen=True, slots=True)
class Retry:
    """Send it again at ``at``. ``unsure``: the server may have processed this try."""

    at: float
    unsure: bool


@dataclass(frozen=True, slots=True)
class Pause:
    """Stop calling the endpoint until ``until`` (None: until rempart restarts); the
    report waits, unchanged."""

    until: float | None
    reason: str


Decision = Sent | Drop | Retry | Pause


def retry_at(
    attempts: int,
    *,
    now: float,
    first_try: float,
    unsure: bool,
    rng: Callable[[], float],
) -> float:
    """When to try again after ``attempts`` tries (the first at ``first_try``): 5 s,
    10 s, 20 s… up to an hour, each time between half and all of it (``rng()`` in
    [0, 1]). An ``unsure`` report is retried before ``first_try + SAFE_WINDOW`` while
    that is ahead."""
    delay = min(FIRST_DELAY * 2.0 ** max(0, attempts - 1), MAX_DELAY)
    at = now + delay * (0.5 + 0.5 * min(1.0, max(0.0, rng())))
    deadline = first_try + SAFE_WINDOW
    if unsure and now < deadline - 1.0:
        at = min(at, deadline)
    return at


def decide(  # noqa: PLR0911 - one answer per outcome
    outcome: str,
    *,
    now: float,
    first_try: float,
    attempts: int,
    unsure: bool,
    detail: str = "",
    reset_at: float | None = None,
    retry_after: float | None = None,
    rng: Callable[[], float],
) -> Decision:
    """What the answer to a report means. ``outcome`` is the name of the client's
    ``Outcome`` (``OK``, ``DUPLICATE``…); ``attempts`` counts the tries, this one
    included; ``unsure``: an earlier try may have reached the server."""
    if outcome == "OK":
        return Sent()
    if outcome == "DUPLICATE":
        return Sent(confirmed=True) if unsure else Drop("duplicate", reported=True)
    if outcome == "DAILY_LIMIT":
        return Pause(reset_time(now, reset_at), "daily-limit")
    if outcome == "RATE_LIMITED":
        wait = RATE_LIMIT_WAIT if retry_after is None else retry_after
        return Pause(now + min(max(wait, 1.0), MAX_DELAY), "rate-limited")
    if outcome == "UNAUTHORIZED":
        return Pause(None, "unauthorized")
    if outcome == "PAYMENT_REQUIRED":
        return Pause(None, "payment-required")
    if outcome == "INVALID":
        return Drop(f"invalid: {detail}" if detail else "invalid")
    # SERVER_ERROR, NETWORK, BAD_ANSWER (even a 200: a proxy's page is not AbuseIPDB's
    # answer), anything new: the server may have processed it; try again, unsure (the
    # duplicate refusal will tell)
    at = retry_at(attempts, now=now, first_try=first_try, unsure=True, rng=rng)
    return Retry(at, unsure=True)
