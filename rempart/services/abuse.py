"""The agent's AbuseIPDB part: one client shared by the blocklist and the reporter.

Built by the agent when ``[abuseipdb] enabled = true``. :meth:`AbuseIPDB.start` reads the
key (a file or a variable, never the configuration itself); when it cannot, AbuseIPDB is
left off, the agent goes on protecting the machine, and :meth:`AbuseIPDB.status` says
why and what to do. Then the reporter puts back in its queue what an interruption left
half-sent, and :meth:`AbuseIPDB.tasks` gives the loops the agent runs beside the log
readers: the blocklist (its last good list into the firewall, then the downloads; when
``blocklist.enabled``) and the report sender (when some jail reports).

The agent calls :meth:`AbuseIPDB.enqueue` right after it records new bans (never for
restored ones); ``rempart abuseipdb status|check|flush`` arrive through
:meth:`status`, :meth:`check` and :meth:`flush`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rempart.adapters.abuseipdb.client import AbuseIPDBClient, Answer, CheckResult
from rempart.adapters.abuseipdb.secrets import key_file_problem, read_secret
from rempart.adapters.firewall import Firewall
from rempart.addresses import Address, Network
from rempart.clock import Clock
from rempart.config.schema import Config
from rempart.errors import AbuseIPDBError
from rempart.model import Ban
from rempart.services.agent_metrics import Sample
from rempart.services.blocklist import BlocklistService, protected_networks
from rempart.services.reporter import Reporter
from rempart.services.statewriter import StateWriter

__all__ = ["FLUSH_TIMEOUT", "AbuseIPDB"]

FLUSH_TIMEOUT = 90.0  # seconds `rempart abuseipdb flush` may keep sending


class AbuseIPDB:
    """See the module documentation."""

    def __init__(
        self,
        config: Config,
        *,
        writer: StateWriter,
        firewall: Firewall,
        state_dir: Path,
        clock: Clock,
        log: logging.Logger,
        own: Callable[[], frozenset[Address]],
        allowed: Callable[[], Iterable[Network]],
        environ: dict[str, str] | None = None,
    ) -> None:
        self._config = config
        self.settings = config.abuseipdb
        self._writer, self._firewall, self._state_dir = writer, firewall, state_dir
        self._clock, self._log = clock, log
        self._own, self._allowed = own, allowed
        self._environ = environ
        self.problem: AbuseIPDBError | None = None
        self.client: AbuseIPDBClient | None = None
        self.reporter: Reporter | None = None
        self.blocklist: BlocklistService | None = None

    async def start(self) -> None:
        """Read the key, recover the outbox. Never raises
        for AbuseIPDB itself (it is then off, with the reason in :attr:`problem`)."""
        settings = self.settings
        try:
            key = read_secret(settings.key, self._environ)
        except AbuseIPDBError as exc:
            self.problem = exc
            self._log.error("AbuseIPDB is off: %s", exc)
            return
        if settings.key.kind == "file":
            warning = key_file_problem(Path(settings.key.where))
            if warning:
                self._log.warning("%s", warning)
        self.client = AbuseIPDBClient(
            key=key, base_url=settings.url, timeout=settings.timeout, clock=self._clock
        )
        self.reporter = Reporter(
            settings,
            self.client,
            self._writer,
            self._clock,
            self._log,
            self._own,
            self._config.jails,
        )
        await self.reporter.start()
        if settings.blocklist_on:
            self.blocklist = BlocklistService(
                settings,
                self.client,
                self._firewall,
                self._state_dir,
                protected=self.protected,
                clock=self._clock,
                log=self._log,
            )

    def protected(self) -> Sequence[Network]:
        """What the blocklist never blocks (loopback, ignoreip, our addresses, allowed)."""
        return protected_networks(self._config, self._own(), self._allowed())

    def tasks(self) -> list[tuple[str, Coroutine[Any, Any, None]]]:
        """The loops to run as tasks, named."""
        out: list[tuple[str, Coroutine[Any, Any, None]]] = []
        if self.blocklist is not None:
            out.append(("abuseipdb-blocklist", self._blocklist_loop(self.blocklist)))
        if self.reporter is not None and self.settings.report_on:
            out.append(("abuseipdb-reports", self.reporter.run()))
        return out

    @staticmethod
    async def _blocklist_loop(blocklist: BlocklistService) -> None:
        """The last good list into the firewall (≈2 s for 500,000 addresses, so not on
        the agent's start-up path: the logs are followed meanwhile), then the downloads."""
        await blocklist.start()
        await blocklist.run()

    def enqueue(self, bans: Sequence[Ban], reason: str) -> None:
        """New bans (never restored ones) for the reporter, which picks what may go."""
        if self.reporter is not None and self.settings.report_on and bans:
            self.reporter.enqueue(bans, reason)

    async def new_own(self, added: frozenset[Address]) -> None:
        """The machine has new addresses: reload the blocklist without them, when it
        lists one (a container network appearing costs nothing)."""
        if self.blocklist is not None and self.blocklist.lists(added):
            await self.blocklist.reapply()

    async def reload_blocklist(self) -> None:
        """Load the current blocklist again (the table was set up again, empty)."""
        if self.blocklist is not None:
            await self.blocklist.reapply()

    # ------------------------------------------------------------------ commands

    def status(self) -> dict[str, Any]:
        """``rempart abuseipdb status``: on or off (and why), the blocklist, the reports."""
        problem = self.problem
        return {
            "enabled": self.settings.enabled,
            "key": str(self.settings.key),
            "problem": None if problem is None else problem.render("en"),
            "problem_fr": None if problem is None else problem.render("fr"),
            "blocklist": None if self.blocklist is None else self.blocklist.status(),
            "reports": None if self.reporter is None else self.reporter.status(),
        }

    def samples(self) -> list[Sample]:
        out = [
            Sample(
                "rempart_abuseipdb_up",
                (),
                1.0 if self.client is not None else 0.0,
                "AbuseIPDB usable (a key was read)",
            )
        ]
        if self.blocklist is not None:
            out += self.blocklist.samples()
        if self.reporter is not None:
            out += self.reporter.samples()
        return out

    async def check(self, address: str, max_age_days: int, verbose: bool) -> dict[str, Any]:
        """``/check`` within its daily budget: the answer as JSON-able values."""
        reporter = self._usable()
        answer = await reporter.check(address, max_age_days=max_age_days, verbose=verbose)
        return answer_dict(answer)

    async def flush(self) -> dict[str, Any]:
        """Send the due reports now (within the budget and :data:`FLUSH_TIMEOUT`)."""
        reporter = self._usable()
        if not self.settings.report_on:
            raise AbuseIPDBError(
                "abuseipdb.cli.reports_off",
            )
        try:
            return await asyncio.wait_for(reporter.flush(), FLUSH_TIMEOUT)
        except TimeoutError:
            return {"timeout": FLUSH_TIMEOUT, **reporter.status()}

    def _usable(self) -> Reporter:
        if self.problem is not None:
            raise self.problem
        if self.reporter is None:
            raise AbuseIPDBError("abuseipdb.cli.off")
        return self.reporter

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()


def answer_dict(answer: Answer[CheckResult]) -> dict[str, Any]:
    """An :class:`Answer` as JSON-able values (texts from AbuseIPDB left as they are:
    whoever shows them escapes them)."""
    return {
        "endpoint": answer.endpoint,
        "outcome": answer.outcome.value,
        "status": answer.status,
        "detail": answer.detail,
        "data": None if answer.data is None else asdict(answer.data),
        "rate": asdict(answer.rate),
    }
