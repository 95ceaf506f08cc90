"""Reporting our bans to AbuseIPDB, from a persistent outbox, exactly once at the server.

Wiring (the agent): build a :class:`Reporter` when ``config.abuseipdb.report_on``, call
``await reporter.start()`` once the state writer is open, call
``reporter.enqueue(bans, reason)`` right after recording new bans (never for restored
ones), run ``reporter.run()`` as a task, cancel it at stop. ``flush()``, ``status()``,
``samples()`` and ``check()`` serve the control socket and the metrics.

**The outbox.** :meth:`Reporter.enqueue` returns at once: the bans that may be reported
(:func:`~rempart.guard.reporting.skip_reason`: a jail that reports, detected by
rempart, a global address, not ours, not reported within the cooldown, not already
waiting, not older than 60 days) are written to the ``reports`` table by the state
writer, with the comment rempart wrote for them (:func:`~rempart.guard.report_comment.comment`).
A ban is queued once (unique on jail, address and start). :meth:`Reporter.run` sends
what is due, one report at a time, within the daily budget.

**Delivery.** At least once locally: a report is marked ``sending`` (committed) before
its call, and finished (``sent`` or ``dropped``) only after AbuseIPDB's answer; a
report found ``sending`` at start was interrupted (crash, kill, power cut) and is sent
again. Effectively exactly once at AbuseIPDB: a call whose answer we did not get (no
answer, a timeout, a 5xx, an unreadable answer, an interruption) may have been
processed, so the report becomes *unsure* and is sent again **within 15 minutes of its
first try**: retries go 5 s, 10 s, 20 s… and the last one is placed at 14 minutes
(:func:`~rempart.guard.reporting.retry_at`), and a restart resends at once. Within
those 15 minutes AbuseIPDB refuses a second report of the same address from the same
key ("You can only report the same IP address … once in 15 minutes", a 429); for an
unsure report that refusal *confirms* the earlier delivery: it is counted as delivered
(outcome ``confirmed``), not as a new report. If the earlier try had not reached
AbuseIPDB, the resend is accepted: one report either way. The cooldown (at least 15
minutes, 24 h by default) keeps two different bans of one address from being sent
within that window, so the refusal cannot come from another report of ours. Past the
15 minutes (the server down that long, a pause), the resend carries the same comment,
categories and time, and AbuseIPDB merges identical reports of one address within
24 h; a resend later than that could count twice, which is the price of never losing a
report (at least once).

**Budget.** Each endpoint has a daily budget (``abuseipdb.daily_limits``, reset at
00:00 UTC, kept across restarts; :class:`~rempart.guard.quota.Budget`): every call
counts (a refused duplicate too, AbuseIPDB counts it) and ``X-RateLimit-Remaining`` can
lower what is left. The two 429s: "Daily rate limit" pauses the endpoint until the reset
and keeps the queue; "once in 15 minutes" drops that report (it is reported already)
and goes on. A 401 pauses reporting until the agent restarts (the key must be fixed),
the queue kept, the error in :meth:`Reporter.status`; a 402 stops the feature; a 422
drops the report with AbuseIPDB's reason. With ``abuseipdb.report.bulk``, what waited
past the quota goes out after the reset as one ``/bulk-report`` CSV (its own small
budget) instead of one call each.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from functools import partial
from typing import Any

from rempart.adapters.abuseipdb.client import (
    AbuseIPDBClient,
    Answer,
    BulkResult,
    CheckResult,
    Outcome,
    RateLimit,
)
from rempart.addresses import Address
from rempart.clock import Clock
from rempart.config.abuseipdb import AbuseIPDBConfig
from rempart.config.schema import JailConfig
from rempart.guard.bulk_csv import BulkRow, bulk_csv
from rempart.guard.quota import Budget
from rempart.guard.report_comment import comment, iso_utc
from rempart.guard.reporting import (
    MAX_AGE,
    TOO_OLD,
    Decision,
    Drop,
    Pause,
    Retry,
    Sent,
    decide,
    skip_reason,
)
from rempart.i18n import render
from rempart.model import Ban
from rempart.services.agent_metrics import Sample
from rempart.services.statewriter import StateWriter
from rempart.store.db import Database
from rempart.store.quota import QuotaStore
from rempart.store.reports import STATES, NewReport, QueuedReport, ReportStore

__all__ = ["BATCH", "KEEP", "MAX_SLEEP", "Reporter"]

BATCH = 50  # reports read from the queue at a time
MAX_SLEEP = 60.0  # the loop looks at the queue at least this often
MIN_SLEEP = 0.05  # and never spins
KEEP = 35 * 86400.0  # finished reports kept as history
BULK_MINIMUM = 2  # a bulk CSV for fewer reports than this is not worth its quota
_BULK_LIMIT = 9_999


class Reporter:
    """The outbox sender; see the module documentation."""

    def __init__(
        self,
        config: AbuseIPDBConfig,
        client: AbuseIPDBClient,
        writer: StateWriter,
        clock: Clock,
        log: logging.Logger,
        own: Callable[[], frozenset[Address]],
        jails: Mapping[str, JailConfig],
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.config = config
        self._client = client
        self._writer = writer
        self._clock = clock
        self._log = log
        self._own = own
        self._jails = jails
        self._rng = rng
        self._budgets: dict[str, Budget] = {}
        self._halted: str | None = None  # unauthorized, payment-required: until restart
        self._bulk_off = False  # bulk-report refused by the plan
        self._spill = False  # reports waited past the quota: bulk after the reset
        self._error: dict[str, Any] | None = None
        self.outcomes: Counter[str] = Counter()  # since start: sent, confirmed, duplicate…
        self.skipped: Counter[str] = Counter()  # bans not queued, per reason
        self._queue: dict[str, int] = dict.fromkeys(STATES, 0)
        self._today: dict[str, int] = {}
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._started = False
        self._forgot_at = 0.0

    # ------------------------------------------------------------------ entry points

    async def start(self) -> None:
        """Load the budgets, put back in the queue the reports an interruption left
        ``sending``. Called by :meth:`run` when not done before. Raises StateError."""
        async with self._lock:  # once, and never while a report is being sent
            if not self._started:
                await self._load()

    async def _load(self) -> None:
        now = self._clock.now()
        limits = self.config.daily_limits
        budgets, interrupted = await self._writer.run(
            lambda db: (
                {
                    e: QuotaStore(db).load(e, limits[e], now)
                    for e in ("report", "check", "bulk-report")
                },
                ReportStore(db).recover(now),
            )
        )
        self._budgets = budgets
        report = budgets["report"]
        self._spill = report.reason == "daily-limit" or report.left == 0
        if interrupted:
            self._log.warning(
                "AbuseIPDB: %d report(s) were being sent when rempart stopped; sending "
                "them again (AbuseIPDB confirms those it already has)",
                interrupted,
            )
        self._started = True
        await self._refresh(now)

    def enqueue(self, bans: Sequence[Ban], reason: str) -> None:
        """Queue the reports of ``bans`` just recorded (``reason`` as recorded:
        ``detected``, ``manual``…). Returns at once; the writer does the rest."""
        if not self.config.report_on or not bans:
            return
        now = self._clock.now()
        own = self._own()
        categories = self.config.report.categories
        found: list[NewReport] = []
        for ban in bans:
            why = skip_reason(
                jail=ban.jail,
                reason=reason,
                address=ban.address,
                attack_at=ban.start,
                now=now,
                jails=categories,
                own=own,
            )
            if why is not None:
                self.skipped[why] += 1
                continue
            found.append(self._new_report(ban, categories[ban.jail], own))
        if found:
            done = self._writer.submit(
                partial(self._queue_new, found, now), "queuing AbuseIPDB reports"
            )
            loop = asyncio.get_running_loop()
            done.add_done_callback(lambda f: loop.call_soon_threadsafe(self._skips, f))
            self.wake()

    def _skips(self, done: Future[object]) -> None:
        """The reasons the writer found for not queuing (counted on the event loop)."""
        result = None if done.cancelled() or done.exception() else done.result()
        if isinstance(result, Counter):
            self.skipped.update(result)

    async def run(self) -> None:
        """Send what is due, forever (cancel to stop). Raises StateError."""
        await self.start()
        while True:
            self._wake.clear()
            delay = await self._pass()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    def wake(self) -> None:
        """Look at the queue now (new reports, the clock moved)."""
        self._wake.set()

    async def flush(self) -> dict[str, Any]:
        """Send what is due now, within the budget; what happened, and the queue."""
        await self.start()
        before = Counter(self.outcomes)
        await self._pass()
        done = self.outcomes - before
        return {"outcomes": dict(done), "queue": dict(self._queue), **self._pause_info()}

    async def check(
        self, ip: str, *, max_age_days: int = 30, verbose: bool = False
    ) -> Answer[CheckResult]:
        """``/check`` within its daily budget (for ``rempart abuseipdb check``)."""
        await self.start()
        try:
            ipaddress.ip_address(ip.strip())
        except ValueError:  # the client refuses it without a call: no budget spent
            return await self._client.check(ip, max_age_days=max_age_days, verbose=verbose)
        now = self._clock.now()
        budget = self._budget("check", now)
        if not budget.allows(now):
            return self._over_budget("check", budget, now)
        await self._save_budget(budget.spend(now))
        answer = await self._client.check(ip, max_age_days=max_age_days, verbose=verbose)
        await self._observe("check", answer)
        return answer

    # ------------------------------------------------------------------ status

    def status(self) -> dict[str, Any]:
        """The queue by state, today's outcomes, the budgets, pauses, the last error."""
        now = self._clock.now()
        quota = {}
        for endpoint, budget in sorted(self._budgets.items()):
            b = budget.today(now)
            quota[endpoint] = {
                "limit": b.limit,
                "used": b.used,
                "remaining": b.remaining,
                "left": b.left,
                "paused_until": b.paused_until,
                "reason": b.reason or None,
            }
        return {
            "enabled": self.config.report_on,
            "queue": dict(self._queue),
            "today": dict(self._today),
            "since_start": dict(self.outcomes),
            "skipped": dict(self.skipped),
            "quota": quota,
            "bulk": self.config.report.bulk and not self._bulk_off,
            **self._pause_info(),
            "last_error": self._error,
        }

    def samples(self) -> list[Sample]:
        """Metrics: reports per outcome, the queue per state, each endpoint's calls left."""
        out = [
            Sample(
                "rempart_abuseipdb_reports_total",
                (("outcome", name),),
                count,
                "AbuseIPDB reports finished, per outcome",
            )
            for name, count in sorted(self.outcomes.items())
        ]
        out += [
            Sample(
                "rempart_abuseipdb_reports_skipped_total",
                (("reason", name),),
                count,
                "Bans not reported to AbuseIPDB, per reason",
            )
            for name, count in sorted(self.skipped.items())
        ]
        out += [
            Sample("rempart_abuseipdb_queue", (("state", s),), n, "AbuseIPDB outbox")
            for s, n in self._queue.items()
        ]
        now = self._clock.now()
        out += [
            Sample(
                "rempart_abuseipdb_quota_remaining",
                (("endpoint", e),),
                b.today(now).left,
                "AbuseIPDB calls left today",
            )
            for e, b in sorted(self._budgets.items())
        ]
        return out

    def _pause_info(self) -> dict[str, Any]:
        report = self._budgets.get("report")
        now = self._clock.now()
        paused = report is not None and report.today(now).paused(now)
        return {
            "halted": self._halted,
            "paused_until": report.paused_until if paused and report else None,
            "paused_reason": report.reason if paused and report else None,
        }

    # ------------------------------------------------------------------ queuing

    def _new_report(
        self, ban: Ban, categories: tuple[int, ...], own: frozenset[Address]
    ) -> NewReport:
        jail = self._jails.get(ban.jail)
        ports = None if jail is None or jail.ports is None else [str(p) for p in jail.ports]
        findtime = 0.0 if jail is None or ban.failures <= 1 else jail.findtime
        text = comment(
            categories,
            ban.failures,
            ban.start - findtime,
            ban.start,
            ports,
            hide=self.config.hide,
            own=own,
        )
        return NewReport(ban.jail, ban.address, ban.start, categories, text)

    def _queue_new(self, found: list[NewReport], now: float, db: Database) -> Counter[str]:
        """In the writer: the checks that need the database (cooldown, already waiting),
        then the rows. The reasons of those left out, counted."""
        store = ReportStore(db)
        skipped: Counter[str] = Counter()
        keep: list[NewReport] = []
        waiting: set[Address] = set()
        for report in found:
            why = skip_reason(
                jail=report.jail,
                reason="detected",
                address=report.address,
                attack_at=report.attack_at,
                now=now,
                jails=(report.jail,),
                own=(),
                last_reported=store.last_reported(report.address),
                cooldown=self.config.report.cooldown,
                pending=report.address in waiting or store.waiting(report.address),
            )
            if why is not None:
                skipped[why] += 1
                continue
            waiting.add(report.address)
            keep.append(report)
        store.add(keep, now)
        return skipped

    # ------------------------------------------------------------------ sending

    async def _pass(self) -> float:
        """Send what is due within the budget; seconds until there is more to do."""
        async with self._lock:
            now = self._clock.now()
            if self._halted is None:
                if self._spill and self._budget("report", now).allows(now):
                    await self._send_bulk(now)
                await self._send_due()
            await self._forget(now)
            return await self._refresh(self._clock.now())

    async def _send_due(self) -> None:
        while self._halted is None:
            now = self._clock.now()
            budget = self._budget("report", now)
            if not budget.allows(now):
                break
            limit = min(BATCH, budget.left)
            due = await self._writer.run(partial(_due, now, limit))
            if not due:
                return
            for report in due:
                if self._halted is not None or not self._budget("report", now).allows(now):
                    break
                await self._send(report)
                now = self._clock.now()
        await self._note_spill()

    async def _note_spill(self) -> None:
        """Reports due while the day's report quota is gone waited past the quota: with
        ``bulk``, they go as one CSV after the reset."""
        now = self._clock.now()
        budget = self._budget("report", now)
        if not self.config.report.bulk or self._bulk_off or self._halted is not None:
            return
        if budget.left == 0 or budget.reason == "daily-limit":
            waiting = await self._writer.run(partial(_due, now, 1))
            self._spill = self._spill or bool(waiting)

    async def _send(self, report: QueuedReport) -> None:
        now = self._clock.now()
        if now - report.attack_at > MAX_AGE:
            await self._writer.run(lambda db: ReportStore(db).dropped(report.id, now, TOO_OLD))
            self.outcomes[TOO_OLD] += 1
            return
        budget = self._budget("report", now).spend(now)
        self._budgets["report"] = budget

        def sending(db: Database) -> None:
            QuotaStore(db).save(budget)
            ReportStore(db).sending([report.id], now)

        await self._writer.run(sending)
        answer = await self._client.report(
            str(report.address), report.categories, report.comment, report.attack_at
        )
        await self._observe("report", answer)
        after = self._clock.now()
        decision = decide(
            answer.outcome.name,
            now=after,
            first_try=report.first_try if report.first_try is not None else now,
            attempts=report.attempts + 1,
            unsure=report.unsure,
            detail=answer.detail,
            reset_at=answer.rate.reset_at,
            retry_after=answer.rate.retry_after,
            rng=self._rng,
        )
        await self._apply(report, answer, decision, after)

    async def _apply(
        self, report: QueuedReport, answer: Answer[Any], decision: Decision, now: float
    ) -> None:
        if isinstance(decision, Sent):
            outcome = "confirmed" if decision.confirmed else "sent"
            await self._writer.run(lambda db: ReportStore(db).sent(report.id, now, outcome))
            self.outcomes[outcome] += 1
            self._log.info(
                "AbuseIPDB: reported %s (jail %s): %s", report.address, report.jail, outcome
            )
        elif isinstance(decision, Drop):
            kind = decision.reason.split(":", 1)[0]
            reported = decision.reported
            await self._writer.run(
                lambda db: ReportStore(db).dropped(
                    report.id, now, kind, answer.detail, reported=reported
                )
            )
            self.outcomes[kind] += 1
            if kind == "invalid":
                self._fail(
                    "abuseipdb.report.invalid",
                    answer,
                    address=str(report.address),
                    jail=report.jail,
                    detail=answer.detail,
                )
        elif isinstance(decision, Retry):
            at, unsure = decision.at, decision.unsure
            await self._writer.run(
                lambda db: ReportStore(db).requeue(
                    report.id, at, unsure=unsure, outcome=answer.outcome.value, detail=answer.detail
                )
            )
            self.outcomes["retried"] += 1
            self._fail(
                "abuseipdb.report.retrying",
                answer,
                address=str(report.address),
                outcome=answer.outcome.value,
                detail=answer.detail,
                at=iso_utc(decision.at),
            )
        else:
            await self._pause("report", decision, answer, now, report)

    async def _pause(
        self,
        endpoint: str,
        decision: Pause,
        answer: Answer[Any],
        now: float,
        report: QueuedReport | None = None,
    ) -> None:
        until = decision.until
        if report is not None:
            when = now if until is None else until
            await self._writer.run(
                lambda db: ReportStore(db).requeue(
                    report.id, when, outcome=answer.outcome.value, detail=answer.detail
                )
            )
        if until is None:
            self._halt(endpoint, decision.reason, answer)
            return
        budget = self._budget(endpoint, now)
        if decision.reason == "daily-limit":
            budget = budget.exhausted(now, answer.rate.reset_at)
            if endpoint == "report":
                self._spill = self.config.report.bulk and not self._bulk_off
            key = "abuseipdb.report.daily_limit"
        else:
            budget = budget.pause(until, decision.reason)
            key = "abuseipdb.report.rate_limited"
        await self._save_budget(budget)
        self._fail(
            key,
            answer,
            endpoint=endpoint,
            until=iso_utc(budget.paused_until or until),
            detail=answer.detail,
        )

    def _halt(self, endpoint: str, reason: str, answer: Answer[Any]) -> None:
        if reason == "payment-required" and endpoint == "bulk-report":
            self._bulk_off = True
            setting = "bulk"
        else:
            self._halted = reason
            setting = "enabled"
        if reason == "unauthorized":
            self._fail(
                "abuseipdb.report.unauthorized",
                answer,
                status=answer.status,
                detail=answer.detail,
                queued=self._queue.get("queued", 0) + 1,
            )
        else:
            self._fail(
                "abuseipdb.report.payment_required",
                answer,
                endpoint=endpoint,
                detail=answer.detail,
                setting=setting,
            )

    # ------------------------------------------------------------------ bulk

    async def _send_bulk(self, now: float) -> None:
        """What waited past the report quota, as one CSV (not the unsure reports: only a
        single ``/report`` can tell whether AbuseIPDB has them)."""
        self._spill = False
        budget = self._budget("bulk-report", now)
        if not self.config.report.bulk or self._bulk_off or not budget.allows(now):
            return
        due = await self._writer.run(partial(_due, now, _BULK_LIMIT))
        due = [r for r in due if not r.unsure and now - r.attack_at <= MAX_AGE]
        if len(due) < BULK_MINIMUM:
            return
        rows = [BulkRow(str(r.address), r.categories, r.attack_at, r.comment) for r in due]
        csv = bulk_csv(rows)
        chosen = due[: csv.count]
        budget = budget.spend(now)
        self._budgets["bulk-report"] = budget

        def sending(db: Database) -> None:
            QuotaStore(db).save(budget)
            ReportStore(db).sending([r.id for r in chosen], now, via="bulk-report")

        await self._writer.run(sending)
        answer = await self._client.bulk_report(csv.data)
        await self._observe("bulk-report", answer)
        await self._bulk_answer(chosen, answer, self._clock.now())

    async def _bulk_answer(
        self, chosen: list[QueuedReport], answer: Answer[BulkResult], now: float
    ) -> None:
        if answer.outcome is Outcome.OK and answer.data is not None:
            refused = {row.row: row.error for row in answer.data.invalid}

            def finish(db: Database) -> Counter[str]:
                store, counts = ReportStore(db), Counter[str]()
                for number, report in enumerate(chosen, start=2):  # row 1: the header
                    error = refused.get(number)
                    if error is None:
                        store.sent(report.id, now, "sent", "bulk-report")
                        counts["sent"] += 1
                    elif "duplicate" in error.lower():
                        store.dropped(report.id, now, "duplicate", error, reported=True)
                        counts["duplicate"] += 1
                    else:
                        store.dropped(report.id, now, "invalid", error)
                        counts["invalid"] += 1
                return counts

            self.outcomes.update(await self._writer.run(finish))
            self._log.info("AbuseIPDB: bulk report of %d addresses sent", len(chosen))
            return
        decision = decide(
            answer.outcome.name,
            now=now,
            first_try=now,
            attempts=1,
            unsure=False,
            detail=answer.detail,
            reset_at=answer.rate.reset_at,
            retry_after=answer.rate.retry_after,
            rng=self._rng,
        )
        # not delivered, or unknown: back to the queue as single reports; unsure when
        # the server may have saved them (a single /report then tells)
        unsure = isinstance(decision, Retry)

        def back(db: Database) -> None:
            store = ReportStore(db)
            for r in chosen:
                store.requeue(
                    r.id, now, unsure=unsure, outcome=answer.outcome.value, detail=answer.detail
                )

        await self._writer.run(back)
        if isinstance(decision, Pause):
            await self._pause("bulk-report", decision, answer, now)
        elif isinstance(decision, Drop):  # a 422 of the whole file: never again by bulk
            self._bulk_off = True
            self._log.error(
                "AbuseIPDB: bulk report refused (%s); sending one by one", answer.detail
            )

    # ------------------------------------------------------------------ helpers

    def _budget(self, endpoint: str, now: float) -> Budget:
        budget = self._budgets.get(endpoint)
        if budget is None:
            budget = Budget.fresh(endpoint, self.config.daily_limits[endpoint], now)
        budget = budget.today(now)
        self._budgets[endpoint] = budget
        return budget

    async def _save_budget(self, budget: Budget) -> None:
        self._budgets[budget.endpoint] = budget
        await self._writer.run(lambda db: QuotaStore(db).save(budget))

    async def _observe(self, endpoint: str, answer: Answer[Any]) -> None:
        """The budget corrected by the answer's ``X-RateLimit-Remaining``; a daily-limit
        answer of ``/check`` pauses it too."""
        now = self._clock.now()
        budget = self._budget(endpoint, now).observe(now, answer.rate.remaining)
        if endpoint == "check" and answer.outcome is Outcome.DAILY_LIMIT:
            budget = budget.exhausted(now, answer.rate.reset_at)
        await self._save_budget(budget)

    def _over_budget(self, endpoint: str, budget: Budget, now: float) -> Answer[Any]:
        until = budget.next_call(now)
        params = {
            "endpoint": endpoint,
            "used": budget.used,
            "limit": budget.limit,
            "until": iso_utc(until),
        }
        detail = render("abuseipdb.report.budget", "en", **params)
        rate = RateLimit(limit=budget.limit, remaining=budget.left, reset_at=until)
        return Answer(endpoint, Outcome.DAILY_LIMIT, None, None, detail, rate)

    def _fail(self, key: str, answer: Answer[Any], **params: Any) -> None:
        text = render(key, "en", **params)
        self._error = {
            "at": self._clock.now(),
            "key": key,
            "params": params,
            "outcome": answer.outcome.value,
            "status": answer.status,
            "message": text,
        }
        level = (
            logging.WARNING
            if key.endswith(("retrying", "daily_limit", "rate_limited"))
            else logging.ERROR
        )
        self._log.log(level, "%s", text)

    async def _forget(self, now: float) -> None:
        if now - self._forgot_at < 3600:
            return
        self._forgot_at = now
        horizon = now - max(KEEP, self.config.report.cooldown)
        await self._writer.run(lambda db: ReportStore(db).forget_before(horizon))

    async def _refresh(self, now: float) -> float:
        """Re-read the queue counts and today's outcomes; seconds until the next thing
        to do (at most MAX_SLEEP)."""
        day_start = now - now % 86400.0

        def read(db: Database) -> tuple[dict[str, int], dict[str, int], float | None]:
            store = ReportStore(db)
            return store.counts(), store.outcomes_since(day_start), store.next_due()

        self._queue, self._today, next_due = await self._writer.run(read)
        if self._halted is not None or next_due is None:
            return MAX_SLEEP
        at = max(next_due, self._budget("report", now).next_call(now))
        return min(max(at - now, MIN_SLEEP), MAX_SLEEP)


def _due(now: float, limit: int, db: Database) -> list[QueuedReport]:
    return ReportStore(db).due(now, limit)
