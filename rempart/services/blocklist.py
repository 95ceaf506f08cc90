"""The AbuseIPDB blocklist in the firewall: downloaded on schedule, within the plan's limit.

::

    service = BlocklistService(config.abuseipdb, client, firewall, state_dir,
                               protected=lambda: protected_networks(config, own, allowed),
                               clock=clock, log=log)
    await service.start()        # the last good list goes into the firewall at once
    task = asyncio.create_task(service.run())   # downloads when due, until cancelled
    service.status(); service.samples(); await service.refresh_now()

The firewall layout must have ``blocklist=True`` (sets ``blocklist_v4``/``blocklist_v6``).

A download (``GET /blacklist``, plaintext, streamed to a file by the client) is parsed
(:func:`rempart.guard.blocklist.parse_blocklist`: every line validated, non-global
addresses dropped), saved as the last good list (:class:`rempart.store.blocklist.
BlocklistFile`), then the protected networks are taken out and ONE nftables
transaction replaces the content of the sets. A download that fails (HTTP error,
429, 5xx, cut short, not a list of addresses) changes nothing in the firewall: the last
good list stays, and a warning says so in the log and in :meth:`status` until a
download succeeds.

Never more than ``daily_limits.blacklist`` downloads per UTC day, failed ones counted,
the count saved before each call (a crash during a download still counts it); a 429
puts the next try at the time the server gave, and nothing waits on it meanwhile (the
loop sleeps on an event, holding nothing). Parsing and the firewall load run in worker
threads: the event loop keeps following logs (bans wait for the firewall thread while a
large list loads: about 2 s for 500,000 addresses, once a day).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rempart.adapters.abuseipdb.client import AbuseIPDBClient, Answer, BlacklistFile, Outcome
from rempart.adapters.firewall import Firewall
from rempart.adapters.heap import trim_heap
from rempart.addresses import Address, Network, ban_target, parse_network
from rempart.clock import Clock
from rempart.config.abuseipdb import AbuseIPDBConfig
from rempart.config.schema import Config
from rempart.errors import AbuseIPDBError, RempartError, StateError
from rempart.guard.blocklist import Blocklist, ParseStats, parse_blocklist
from rempart.guard.blocklist_schedule import DownloadSchedule
from rempart.i18n import render
from rempart.services.agent_metrics import Sample
from rempart.store.blocklist import BlocklistFile, SavedBlocklist

__all__ = ["DOWNLOAD_NAME", "MAX_SLEEP", "BlocklistService", "judge", "protected_networks"]

DOWNLOAD_NAME = ".abuseipdb-blocklist.download"
#: the loop looks at the clock at least this often (a clock that jumps, a suspend)
MAX_SLEEP = 300.0
_LOOPBACK = (parse_network("127.0.0.0/8"), parse_network("::1/128"))

_FIX_BY_OUTCOME = {
    Outcome.DAILY_LIMIT: "blocklist.fix.quota",
    Outcome.RATE_LIMITED: "blocklist.fix.quota",
    Outcome.UNAUTHORIZED: "blocklist.fix.key",
    Outcome.PAYMENT_REQUIRED: "blocklist.fix.plan",
    Outcome.INVALID: "blocklist.fix.plan",
}


def protected_networks(
    config: Config, own: Iterable[Address] = (), allowed: Iterable[Network] = ()
) -> list[Network]:
    """What a blocklist never blocks: loopback, the ``ignoreip`` of every jail and of
    ``[defaults]``, the machine's own addresses (``own``) and the allow list (``allowed``)."""
    nets: list[Network] = [*_LOOPBACK, *config.defaults.ignoreip]
    for jail in config.jails.values():
        nets += jail.ignoreip
    nets += (ban_target(address) for address in own)
    nets += allowed
    return list(dict.fromkeys(nets))


def judge(stats: ParseStats) -> str | None:
    """Why a downloaded list must not replace the last good one, or None: nothing valid
    in it, or more than 1 % of its lines (and more than 10) that are not addresses."""
    if stats.entries == 0:
        sample = f" (e.g. {stats.samples[0]})" if stats.samples else ""
        return f"no address in the list: {stats.lines} lines{sample}"
    if stats.invalid > max(10, stats.lines // 100):
        return (
            f"not a list of addresses: {stats.invalid} of {stats.lines} lines invalid "
            f"(e.g. {', '.join(stats.samples[:3])})"
        )
    return None


def _iso(stamp: float | None) -> str:
    if stamp is None:
        return "never"
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")


class BlocklistService:
    """See the module documentation. ``protected`` is called before every firewall load."""

    def __init__(
        self,
        config: AbuseIPDBConfig,
        client: AbuseIPDBClient,
        firewall: Firewall,
        state_dir: Path,
        protected: Callable[[], Sequence[Network]],
        clock: Clock,
        log: logging.Logger,
    ) -> None:
        self._config, self._client, self._firewall = config, client, firewall
        self._files = BlocklistFile(state_dir)
        self._download_path = state_dir / DOWNLOAD_NAME
        self._protected, self._clock, self._log = protected, clock, log
        self._schedule = DownloadSchedule()
        self._saved: SavedBlocklist | None = None
        self._loaded = (0, 0)  # in the firewall, protected networks taken out
        self._removed_protected = 0
        self._warning: tuple[str, dict[str, Any], str] | None = None  # key, params, fix key
        self._firewall_error = ""
        self._failures_total = 0
        self._downloads_total = 0
        self._wake = asyncio.Event()
        self._busy = asyncio.Lock()

    # ------------------------------------------------------------------ life

    @property
    def limit(self) -> int:
        return self._config.daily_limits["blacklist"]

    @property
    def every(self) -> float:
        return self._config.blocklist.every

    async def start(self) -> None:
        """Read the saved schedule and the last good list; put the list in the firewall
        at once. A saved file that cannot be used is logged and ignored."""
        if not self._config.blocklist_on:
            return
        schedule = await self._read(self._files.load_schedule)
        saved = await self._read(self._files.load)
        if schedule is None:
            schedule = DownloadSchedule(last_success=saved.fetched_at if saved else None)
        self._schedule, self._saved = schedule, saved
        with contextlib.suppress(FileNotFoundError):
            self._download_path.unlink()  # left by a crash during a download
        if saved is not None:
            await self._apply(saved.blocklist)
            self._log.info(
                "AbuseIPDB blocklist: last good list loaded (%d IPv4, %d IPv6 addresses, "
                "fetched %s); next download %s",
                *self._loaded,
                _iso(saved.fetched_at),
                _iso(self.next_download()),
            )

    async def _read(self, load: Callable[[], Any]) -> Any:
        try:
            return await asyncio.to_thread(load)
        except StateError as exc:
            self._log.warning("%s", exc)
            return None

    async def run(self) -> None:
        """Download whenever due, until cancelled (never returns otherwise)."""
        if not self._config.blocklist_on:
            return
        while True:
            delay = self.next_download() - self._clock.now()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), min(delay, MAX_SLEEP))
                self._wake.clear()  # after the wait: a wake() during a download is kept
                continue
            await self._download()

    def wake(self) -> None:
        """Look at the schedule again now (after the clock moved, in tests)."""
        self._wake.set()

    async def refresh_now(self) -> dict[str, Any]:
        """Download now if the day's budget allows and the server asked for no pause:
        ``{"done": bool, "refused": reason or None, "status": ...}``."""
        refused = self._schedule.refusal(self._clock.now(), self.limit)
        if not self._config.blocklist_on:
            refused = "disabled"
        done = False
        if refused is None:
            done = await self._download()
        return {"done": done, "refused": refused, "status": self.status()}

    def lists(self, addresses: Iterable[Address]) -> bool:
        """Whether the current list holds one of ``addresses``."""
        saved = self._saved
        return saved is not None and any(a in saved.blocklist for a in addresses)

    async def reapply(self) -> None:
        """Load the current list into the firewall again (after ``protected`` changed)."""
        if self._saved is not None:
            await self._apply(self._saved.blocklist)

    # ------------------------------------------------------------------ download

    async def _download(self) -> bool:
        async with self._busy:
            now = self._clock.now()
            if self._schedule.refusal(now, self.limit) is not None:
                return False  # refresh_now and run() met here
            self._schedule = self._schedule.started(now)
            await self._save_schedule()
            settings = self._config.blocklist
            try:
                answer = await self._client.blacklist(
                    self._download_path,
                    confidence_minimum=settings.confidence_minimum,
                    limit=settings.limit,
                    ip_version=settings.ip_version,
                )
            except AbuseIPDBError as exc:
                return await self._failed(now, str(exc), "blocklist.fix.local")
            if not answer.ok or answer.data is None:
                return await self._refused(now, answer)
            return await self._accept(now, answer.data)

    async def _accept(self, now: float, data: BlacklistFile) -> bool:
        try:
            blocklist, stats = await asyncio.to_thread(_parse_file, data.path)
        except OSError as exc:
            return await self._failed(now, f"cannot read {data.path}: {exc}", "blocklist.fix.local")
        finally:
            with contextlib.suppress(OSError):
                data.path.unlink()
        problem = judge(stats)
        if problem is not None:
            return await self._failed(now, problem, "blocklist.fix.retry")
        saved = SavedBlocklist(blocklist, data.generated_at, now, stats.invalid, stats.not_global)
        self._saved, self._warning = saved, None
        self._downloads_total += 1
        self._schedule = self._schedule.succeeded(now)
        # the file written while nftables loads (libnftables runs without the GIL)
        await asyncio.gather(self._save_list(saved), self._apply(blocklist))
        await self._save_schedule()
        self._log.info(
            "AbuseIPDB blocklist downloaded: %d IPv4 and %d IPv6 addresses in force "
            "(generated %s; %d lines, %d invalid, %d repeated, %d not global, %d protected)",
            *self._loaded,
            _iso(data.generated_at),
            stats.lines,
            stats.invalid,
            stats.duplicates,
            stats.not_global,
            self._removed_protected,
        )
        return True

    async def _refused(self, now: float, answer: Answer[BlacklistFile]) -> bool:
        outcome = answer.outcome
        resume = None
        if outcome in (Outcome.DAILY_LIMIT, Outcome.RATE_LIMITED):
            resume = answer.rate.resume_at(now)
            if resume is None and outcome is Outcome.DAILY_LIMIT:
                resume = self._schedule.next_reset(now)
        detail = f"{outcome.value}, HTTP {answer.status}: {answer.detail}"
        fix = _FIX_BY_OUTCOME.get(outcome, "blocklist.fix.retry")
        return await self._failed(
            now, detail, fix, resume_at=resume, quota_gone=outcome is Outcome.DAILY_LIMIT
        )

    async def _failed(
        self,
        now: float,
        detail: str,
        fix: str,
        *,
        resume_at: float | None = None,
        quota_gone: bool = False,
    ) -> bool:
        self._failures_total += 1
        self._schedule = self._schedule.failed(
            now, self.every, detail, resume_at=resume_at, quota_gone=quota_gone, limit=self.limit
        )
        await self._save_schedule()
        saved = self._saved
        params = {
            "reason": detail,
            "count": sum(self._loaded),
            "fetched": _iso(saved.fetched_at if saved else None),
            "next": _iso(self.next_download()),
        }
        self._warning = ("blocklist.kept" if saved else "blocklist.failed", params, fix)
        self._log.warning("%s", self.warning("en"))
        return False

    async def _save_list(self, saved: SavedBlocklist) -> None:
        try:
            await asyncio.to_thread(self._files.save, saved)
        except StateError as exc:
            self._log.error("%s", exc)  # in force anyway; lost at the next restart

    async def _save_schedule(self) -> None:
        try:
            await asyncio.to_thread(self._files.save_schedule, self._schedule)
        except StateError as exc:
            self._log.error("%s", exc)

    async def _apply(self, blocklist: Blocklist) -> None:
        kept, removed = blocklist.without(self._protected())
        try:
            await asyncio.to_thread(self._firewall.replace_blocklist, kept.v4, kept.v6)
        except RempartError as exc:  # FirewallError, or the dry run's refusal
            self._firewall_error = str(exc)
            self._log.error(
                "%s",
                render("blocklist.not_applied", "en", count=len(kept), reason=exc),
            )
            return
        self._loaded, self._removed_protected, self._firewall_error = kept.sizes, removed, ""

    # ------------------------------------------------------------------ reading

    def next_download(self) -> float:
        """When the next download may start (epoch seconds)."""
        return self._schedule.due(self._clock.now(), self.every, self.limit)

    def warning(self, lang: str = "en") -> str | None:
        """The warning in force (the last download failed), in ``lang``; None when all is well."""
        if self._warning is None:
            return None
        key, params, fix = self._warning
        return render(key, lang, **params, fix=render(fix, lang))

    def status(self) -> dict[str, Any]:
        """What ``rempart abuseipdb status`` shows (JSON-ready; times in epoch seconds)."""
        now = self._clock.now()
        saved, schedule = self._saved, self._schedule
        made = (saved.generated_at or saved.fetched_at) if saved else None
        return {
            "enabled": self._config.blocklist_on,
            "size": {"v4": self._loaded[0], "v6": self._loaded[1]},
            "generated_at": saved.generated_at if saved else None,
            "fetched_at": saved.fetched_at if saved else None,
            "age": None if made is None else max(0.0, now - made),
            "last_success": schedule.last_success,
            "last_attempt": schedule.last_attempt,
            "last_error": schedule.last_error or self._firewall_error,
            "firewall_error": self._firewall_error,
            "warning": self.warning("en"),
            "warning_fr": self.warning("fr"),
            "next_download": self.next_download() if self._config.blocklist_on else None,
            "downloads_today": schedule.attempts_on(now),
            "daily_limit": self.limit,
            "invalid": saved.invalid if saved else 0,
            "removed": {
                "not_global": saved.not_global if saved else 0,
                "protected": self._removed_protected,
            },
            "failures_total": self._failures_total,
        }

    def samples(self) -> list[Sample]:
        """The blocklist's metrics (Prometheus-style names)."""
        status = self.status()
        out = [
            Sample(
                "rempart_abuseipdb_blocklist_size",
                (("version", str(v)),),
                status["size"][f"v{v}"],
                "Addresses of the AbuseIPDB blocklist in the firewall",
            )
            for v in (4, 6)
        ]
        if status["age"] is not None:
            out.append(
                Sample(
                    "rempart_abuseipdb_blocklist_age_seconds",
                    (),
                    status["age"],
                    "Age of the blocklist in force (since AbuseIPDB generated it)",
                )
            )
        if status["last_success"] is not None:
            out.append(
                Sample(
                    "rempart_abuseipdb_blocklist_last_success_timestamp_seconds",
                    (),
                    status["last_success"],
                    "When the last blocklist download succeeded",
                )
            )
        out.append(
            Sample(
                "rempart_abuseipdb_blocklist_download_failures_total",
                (),
                self._failures_total,
                "Blocklist downloads that failed (the last good list stayed)",
            )
        )
        return out


def _parse_file(path: Path) -> tuple[Blocklist, ParseStats]:
    """The list in ``path``, then the parse's temporary memory (about 50 MB for 500,000
    lines) handed back, before libnftables needs its own."""
    with path.open(encoding="utf-8", errors="replace", newline="\n") as lines:
        result = parse_blocklist(lines)
    trim_heap()
    return result
