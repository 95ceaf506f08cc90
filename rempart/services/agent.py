"""``rempart agent``: follow the logs, decide, ban in the firewall, keep the state.

One asyncio process. Per enabled jail and source a task reads batches of lines; each
batch goes through the jail's filter and the decision engine on the event loop, and
the bans it makes go out to the firewall as **one** transaction right after the
batch (a burst of lines costs one nft call, a lone failure is banned within
milliseconds). The state database is written from its own thread
(:class:`~rempart.services.statewriter.StateWriter`), never on the hot path.

Start-up: open the state, check and set up the firewall, restore the active bans
(engine marks and kernel elements: the wanted set is reconciled with what the kernel
still holds — a diff, never a flush — in one batch), reload the failure windows, the
allow list and the recent successful logins, then follow the sources from their saved
positions. Stop (SIGTERM/SIGINT): save positions and windows, close everything; the
kernel keeps the bans (they expire there by themselves).

Never banned, checked when the engine decides a ban: loopback and ``ignoreip`` (the
engine's ignore list), the machine's own addresses (re-read every minute), addresses
allowed with ``rempart allow``, and (``trust_logins``) addresses that logged in
successfully recently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from rempart import __version__
from rempart.adapters.firewall import Firewall, open_firewall
from rempart.adapters.localaddr import local_addresses
from rempart.adapters.localzone import local_zone
from rempart.adapters.sources.base import LineSource
from rempart.adapters.sources.factory import open_source
from rempart.adapters.sources.files import StartAt
from rempart.addresses import Address, Network, ban_target
from rempart.clock import Clock
from rempart.config.schema import Config, JailConfig, SourceConfig
from rempart.errors import FirewallError, RempartError, SourceError, UsageError
from rempart.guard.engine import Guard
from rempart.guard.firewall import (
    AddElement,
    BanOp,
    DeleteElement,
    Element,
    FirewallLayout,
    JailRule,
    reconcile,
)
from rempart.guard.matcher import LineFilter, LineKind
from rempart.guard.trust import RecentLogins
from rempart.model import Ban, FailureVerdict, LogLine, WindowSnapshot
from rempart.rules.engines import build_success_filter
from rempart.services.abuse import AbuseIPDB
from rempart.services.agent_metrics import AgentMetrics, JailCounters, Sample, SourceCounters
from rempart.services.agent_probes import AgentMetricsRuntime
from rempart.services.control import ControlServer
from rempart.services.gctune import gc_tuned
from rempart.services.jails import (
    definition_for,
    journal_match,
    line_filter,
    policy_for,
    source_zone,
)
from rempart.services.statewriter import StateWriter
from rempart.store.allows import AllowStore
from rempart.store.bans import BanStore, StoredBan
from rempart.store.db import Database
from rempart.store.logins import LoginStore
from rempart.store.positions import PositionStore
from rempart.store.windows import WindowStore

__all__ = ["Agent", "AgentOptions"]

_MISSED = LineKind.MISSED
_BANNED = FailureVerdict.BANNED

SAVE_EVERY = 5.0  # seconds between saves of the reading positions
WINDOWS_EVERY = 60.0  # seconds between saves of the failure windows
LOCAL_EVERY = 60.0  # seconds between re-reads of the machine's addresses
RECONCILE_EVERY = 60.0  # seconds between checks of the kernel's sets
HISTORY_KEEP = 400 * 86400.0  # ban history kept (a year and a bit, for the yearly report)
RETRY_FIRST, RETRY_MAX = 2.0, 60.0  # a failing source is reopened after these delays


@dataclass(frozen=True, slots=True)
class AgentOptions:
    config: Config
    firewall: str = "auto"  # "auto" | "nftables" | "dry-run"
    socket: Path | None = None  # None: the control socket is not served
    state_dir: Path | None = None  # None: the config's


@dataclass(slots=True)
class _Lane:
    """One (jail, source): its filters, its counters, its source when open."""

    jail: str
    key: str  # position key, stable across restarts
    config: SourceConfig
    line_filter: LineFilter
    success: LineFilter | None
    counters: SourceCounters
    default_matches: tuple[str, ...] = ()
    source: LineSource | None = None


@dataclass(slots=True)
class _Protection:
    """What must never be banned beyond the engine's static ignore lists."""

    local: frozenset[Address] = frozenset()
    allows: dict[Network, float | None] = field(default_factory=dict)  # target -> until
    logins: RecentLogins = field(default_factory=RecentLogins)
    trust: float = 86400.0

    def reason(self, ban: Ban, now: float) -> str | None:
        """Why ``ban`` must not be made, or None."""
        if ban.address in self.local or any(a in ban.target for a in self.local):
            return "own address"
        for target, until in self.allows.items():
            if (until is None or until > now) and ban.address in target:
                return "allowed"
        if self.trust > 0 and self.logins.trusted(ban.address, now):
            return "recent successful login"
        return None


def _layout(jails: Iterable[JailConfig], blocklist: bool = False) -> FirewallLayout:
    rules = tuple(
        JailRule(
            name=j.name,
            ports=None if j.ports is None else tuple((p.first, p.last) for p in j.ports),
            protocol=j.protocol,
            ipv6_prefix=j.ipv6_prefix,
        )
        for j in jails
    )
    return FirewallLayout(rules, blocklist=blocklist)


def _element(ban: Ban | StoredBan) -> Element:
    return Element(ban.jail, ban.target, ban.end)


class Agent:
    """The running agent; see the module documentation."""

    def __init__(
        self,
        options: AgentOptions,
        *,
        clock: Clock,
        log: logging.Logger,
        firewall: Firewall | None = None,
    ) -> None:
        config = options.config
        self.options = options
        self.config = config
        self.clock = clock
        self.log = log
        self.started = clock.now()
        self.jails = {n: j for n, j in config.jails.items() if j.enabled}
        self.guard = Guard(policy_for(j) for j in self.jails.values())
        self.metrics = AgentMetrics(jails={n: JailCounters() for n in self.jails})
        self.protection = _Protection(
            logins=RecentLogins(keep=max(config.trust_logins, 1.0)), trust=config.trust_logins
        )
        self.layout = _layout(self.jails.values(), blocklist=config.abuseipdb.blocklist_on)
        self.state_dir = options.state_dir or config.state_dir
        self.writer = StateWriter(self.state_dir / "rempart.db", clock=clock, log=log)
        self._firewall_given = firewall
        self.firewall: Firewall | None = firewall
        self._wanted: dict[tuple[str, Network], Element] = {}
        self._lanes = self._build_lanes()
        self._tasks: list[asyncio.Task[None]] = []
        self.abuse: AbuseIPDB | None = None
        self.probes: AgentMetricsRuntime | None = None

    # ----------------------------------------------------------------- building

    def _build_lanes(self) -> list[_Lane]:
        lanes: list[_Lane] = []
        zone = local_zone()
        for jail in self.jails.values():
            definition = definition_for(self.config, jail)
            matches = journal_match(jail, definition)
            for index, source in enumerate(jail.sources):
                label = source.name or (str(source.path) if source.path else source.kind)
                tz = source_zone(jail, str(source.path), zone) if source.path is not None else zone
                key = f"{jail.name}:{index}:{source.kind}:{source.path or ''}"
                counters = SourceCounters(jail=jail.name)
                self.metrics.sources[f"{jail.name}:{label}"] = counters
                lanes.append(
                    _Lane(
                        jail=jail.name,
                        key=key,
                        config=source,
                        line_filter=line_filter(definition, tz),
                        success=build_success_filter(definition, tz),
                        counters=counters,
                        default_matches=matches,
                    )
                )
        return lanes

    # ----------------------------------------------------------------- running

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set. Raises RempartError when start-up fails."""
        await self.writer.open()
        try:
            await self._start_firewall()
            await self._restore()
            await self._start_abuse()
            server = await self._start_control()
            try:
                self._start_tasks()  # following the logs first: banning never waits on metrics
                await self._start_metrics()
                self.log.info(
                    "rempart %s agent started: %d jail(s), %d source(s), firewall %s",
                    __version__,
                    len(self.jails),
                    len(self._lanes),
                    self.firewall_name,
                )
                await stop.wait()
            finally:
                await self._stop_tasks()
                if self.probes is not None:
                    await self.probes.close()
                if server is not None:
                    await server.close()
                await self._save_state()
        finally:
            if self.abuse is not None:
                await self.abuse.aclose()
            if self.firewall is not None:
                self.firewall.close()
            await self.writer.close()
        self.log.info("rempart agent stopped")

    @property
    def firewall_name(self) -> str:
        return self.firewall.name if self.firewall is not None else "none"

    @property
    def firewall_detail(self) -> str:
        return self.firewall.detail if self.firewall is not None else ""

    async def _start_firewall(self) -> None:
        firewall = self._firewall_given
        if firewall is None:
            firewall = open_firewall(self.options.firewall, log=self.log)
        firewall.check()
        firewall.setup(self.layout)
        self.firewall = firewall

    async def _start_abuse(self) -> None:
        """AbuseIPDB (when enabled): the key, the outbox (the blocklist loads in its task)."""
        if not self.config.abuseipdb.enabled:
            return
        assert self.firewall is not None
        protection = self.protection
        self.abuse = AbuseIPDB(
            self.config,
            writer=self.writer,
            firewall=self.firewall,
            state_dir=self.state_dir,
            clock=self.clock,
            log=self.log,
            own=lambda: protection.local,
            allowed=lambda: list(protection.allows),
        )
        await self.abuse.start()

    async def _start_control(self) -> ControlServer | None:
        if self.options.socket is None:
            return None
        from rempart.services.agent_control import AgentControl

        server = ControlServer(self.options.socket, AgentControl(self), log=self.log)
        await server.start()
        return server

    async def _start_metrics(self) -> None:
        """The probes, the munin-node service and Prometheus (see agent_probes)."""
        if not self.config.metrics.enabled:
            return
        agent = self

        def samples() -> list[Sample]:  # AbuseIPDB starts before, but may be off
            return agent.abuse.samples() if agent.abuse is not None else []

        self.probes = AgentMetricsRuntime(
            self.config,
            clock=self.clock,
            log=self.log,
            counters=self.counters,
            samples=samples,
            state_dir=self.state_dir,
        )
        await self.probes.start()

    def _start_tasks(self) -> None:
        spawn = asyncio.get_running_loop().create_task
        self._tasks = [spawn(self._follow(lane), name=lane.key) for lane in self._lanes]
        self._tasks += [
            spawn(self._every(SAVE_EVERY, self._save_positions), name="positions"),
            spawn(self._every(WINDOWS_EVERY, self._save_windows), name="windows"),
            spawn(self._every(LOCAL_EVERY, self._refresh_local), name="local-addresses"),
            spawn(self._every(RECONCILE_EVERY, self._reconcile_now), name="reconcile"),
        ]
        if self.abuse is not None:
            self._tasks += [spawn(work, name=name) for name, work in self.abuse.tasks()]

    async def _stop_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for lane in self._lanes:
            if lane.source is not None:
                with contextlib.suppress(RempartError, OSError):
                    await lane.source.aclose()

    async def _every(self, period: float, work: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(period)
            try:
                work()
            except RempartError as exc:
                self.log.error("%s", exc)

    # ----------------------------------------------------------------- restore

    async def _restore(self) -> None:
        now = self.clock.now()
        started = time.perf_counter()
        stored = await self.writer.run(lambda db: _active_bans(db, now))
        allows = await self.writer.run(lambda db: AllowStore(db).active(now))
        trust = self.config.trust_logins
        logins = (
            await self.writer.run(lambda db: LoginStore(db).since(now - trust)) if trust > 0 else []
        )
        for address, at in logins:
            self.protection.logins.record(address, at)
        for target, until in allows:
            self.protection.allows[target] = until
            self._want_allow(target, until)
        for record in stored:
            if record.jail not in self.jails:
                continue
            self.guard.jail(record.jail).restore(record.ban)
            self._wanted[(record.jail, record.target)] = _element(record)
        for name in self.jails:
            snapshots = await self.writer.run(partial(_load_windows, jail=name))
            self.guard.jail(name).load(snapshots)
        self._refresh_local()
        ops = self._reconcile_ops(now)
        self._apply(ops, now)
        self.log.info(
            "restored %d ban(s) and %d allowed address(es): %d firewall change(s) in %.0f ms",
            len(stored),
            len(allows),
            len(ops),
            (time.perf_counter() - started) * 1000,
        )

    def _want_allow(self, target: Network, until: float | None) -> None:
        self._wanted[("", target)] = Element("", target, until)

    def _reconcile_ops(self, now: float) -> list[BanOp]:
        assert self.firewall is not None
        self._wanted = {
            k: e for k, e in self._wanted.items() if e.expires is None or e.expires > now + 1.0
        }
        return reconcile(self._wanted.values(), self.firewall.elements(now))

    def _reconcile_now(self) -> None:
        """Repair the kernel's sets if they drifted (a `systemctl reload nftables` or an
        `nft flush ruleset` removes our table: it is set up again)."""
        now = self.clock.now()
        assert self.firewall is not None
        try:
            ops = self._reconcile_ops(now)
        except FirewallError as exc:
            self.log.warning("%s: setting up the table again", exc)
            self.firewall.setup(self.layout)
            self._later(self._blocklist_again())
            ops = self._reconcile_ops(now)
        if ops:
            self.log.warning("firewall drifted from the wanted bans: %d change(s) made", len(ops))
            self._apply(ops, now)

    def _apply(self, ops: Sequence[BanOp], now: float) -> bool:
        if not ops:
            return True
        assert self.firewall is not None
        try:
            self.firewall.apply(ops, now)
        except FirewallError as exc:
            self.metrics.firewall_errors += 1
            self.log.error("%s", exc)
            return False
        return True

    # ----------------------------------------------------------------- following

    async def _follow(self, lane: _Lane) -> None:
        """Read ``lane``'s source for ever; reopen it (with backoff) when it fails."""
        delay = RETRY_FIRST
        while True:
            try:
                saved = await self.writer.run(lambda db: PositionStore(db).load(lane.key))
                lane.source = open_source(
                    lane.config,
                    saved=saved,
                    clock=self.clock,
                    start=StartAt.END,
                    since=self.clock.now(),
                    default_matches=lane.default_matches,
                )
                async for batch in lane.source.follow():
                    self._handle(lane, batch)
                    delay = RETRY_FIRST
                return
            except SourceError as exc:
                lane.counters.errors += 1
                self.log.error("%s (retrying in %.0f s)", exc, delay)
            finally:
                if lane.source is not None:
                    with contextlib.suppress(RempartError, OSError):
                        await lane.source.aclose()
                    self._save_position(lane)
                    lane.source = None
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)

    def _handle(self, lane: _Lane, batch: list[LogLine]) -> None:
        """One batch: filter, decide, ban (one firewall transaction)."""
        counters = lane.counters
        counters.lines += len(batch)
        jail_guard = self.guard.jail(lane.jail)
        jail_counters = self.metrics.jails[lane.jail]
        process = lane.line_filter.process
        bans: list[Ban] = []
        texts = [line.text for line in batch]
        for i in lane.line_filter.candidates(texts):
            line = batch[i]
            if line.truncated:
                continue
            result = process(line.text, line.arrival, line.timestamp, checked=True)
            if result.kind is _MISSED:
                continue
            for failure in result.failures:
                jail_counters.failures += 1
                outcome = jail_guard.add(failure)
                if outcome.verdict is _BANNED and outcome.ban is not None:
                    bans.append(outcome.ban)
        if lane.success is not None:
            self._logins(lane.success, batch, texts)
        now = self.clock.now()
        if bans:
            self._enforce(bans, now)
        last = batch[-1]
        counters.last_line = last.arrival
        counters.lag = max(0.0, now - (last.timestamp or last.arrival))

    def _logins(self, success: LineFilter, batch: list[LogLine], texts: list[str]) -> None:
        seen: list[tuple[Address, float]] = []
        for i in success.candidates(texts):
            line = batch[i]
            if line.truncated:
                continue
            result = success.process(line.text, line.arrival, line.timestamp, checked=True)
            for login in result.failures:
                if login.address is not None:
                    self.protection.logins.record(login.address, login.time)
                    seen.append((login.address, login.time))
        if seen:
            self.writer.submit(lambda db: LoginStore(db).record_many(seen), "saving logins")

    def _enforce(self, bans: list[Ban], now: float, reason: str = "detected") -> bool:
        """Spare the protected, send the rest to the firewall in one transaction, record.
        False when the firewall refused the batch (the periodic reconcile retries it)."""
        made: list[Ban] = []
        for ban in bans:
            why = self.protection.reason(ban, now)
            if why is not None:
                self.guard.jail(ban.jail).lift(ban.target)
                self.metrics.jails[ban.jail].spared += 1
                self.log.warning("not banning %s (jail %s): %s", ban.address, ban.jail, why)
                continue
            made.append(ban)
        live = [b for b in made if b.end > now]
        applied = self._apply([AddElement(_element(b)) for b in live], now)
        for b in live:
            self._wanted[(b.jail, b.target)] = _element(b)
        for ban in made:
            self.metrics.jails[ban.jail].bans += 1
            self.log.warning("%s", ban.log_text())
        if made:
            self.writer.submit(lambda db: BanStore(db).add_many(made, reason), "saving bans")
            if self.abuse is not None:
                self.abuse.enqueue(made, reason)
        return applied

    # ----------------------------------------------------------------- commands

    def ban_by_hand(self, address: Address, jail: str, duration: float | None, by: str) -> Ban:
        """Ban ``address`` in ``jail`` now, through the same path as a detected ban (so the
        never-banned rules hold for it too). Raises UsageError when it is protected,
        FirewallError when nftables refused it."""
        policy = self.guard.jail(jail).policy
        now = self.clock.now()
        ban = Ban(
            jail=jail,
            target=ban_target(address, policy.ipv6_prefix),
            address=address,
            start=now,
            end=now + (duration or policy.bantime),
            offence=1,
            failures=0,
            evidence=(f"banned by hand by {by}",),
        )
        why = "loopback or ignoreip" if address in policy.ignore else None
        why = why or self.protection.reason(ban, now)
        if why is not None:
            raise UsageError("usage.invalid", detail=f"{address} is never banned: {why}")
        self.guard.jail(jail).restore(ban)
        self.guard.offenders.record(ban.target, now)
        if not self._enforce([ban], now, "manual"):
            raise FirewallError("firewall.failed", detail="the ban could not be applied")
        return ban

    async def unban(self, address: Address, jail: str | None, by: str) -> list[StoredBan]:
        now = self.clock.now()
        names = [jail] if jail is not None else list(self.jails)
        lifted: list[StoredBan] = []
        ops: list[BanOp] = []
        for name in names:
            target = ban_target(address, self.guard.jail(name).policy.ipv6_prefix)
            lifted += await self.writer.run(partial(_lift, target=target, jail=name, at=now, by=by))
            self.guard.jail(name).lift(target)
            element = self._wanted.pop((name, target), None)
            if element is not None:
                ops.append(DeleteElement(element))
        for record in lifted:
            self.log.warning("unban jail=%s target=%s by=%s", record.jail, record.target, by)
        if ops and not self._apply(ops, now):
            self._reconcile_now()
        return lifted

    async def allow(
        self, address: Address, duration: float | None, by: str
    ) -> tuple[Network, float | None]:
        """Never ban ``address`` (until now + ``duration``, or for good); lifts its bans.
        Returns the allowed target and its end."""
        now = self.clock.now()
        target = ban_target(address, 128)
        until = None if duration is None else now + duration
        await self.writer.run(lambda db: AllowStore(db).add(target, until, at=now, by=by))
        self.protection.allows[target] = until
        await self.unban(address, None, by)
        self._want_allow(target, until)
        self._apply([AddElement(Element("", target, until))], now)
        self.log.warning("allow target=%s until=%s by=%s", target, until, by)
        return target, until

    # ----------------------------------------------------------------- state

    def _refresh_local(self) -> None:
        try:
            local = local_addresses()
        except OSError as exc:
            self.log.error("cannot read the machine's addresses: %s", exc)
            return
        added = local - self.protection.local
        self.protection.local = local
        if added and self.abuse is not None:
            self._later(self.abuse.new_own(added))

    async def _blocklist_again(self) -> None:
        """The table was set up again (emptied by someone): the blocklist goes back in."""
        if self.abuse is not None:
            await self.abuse.reload_blocklist()

    def _later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` as a task the agent keeps (and cancels at stop)."""
        self._tasks = [t for t in self._tasks if not t.done()]
        self._tasks.append(asyncio.get_running_loop().create_task(work))

    def _save_position(self, lane: _Lane) -> None:
        source = lane.source
        position = source.position() if source is not None else None
        if position is not None:
            key = lane.key
            self.writer.submit(lambda db: PositionStore(db).save(key, position), "saving position")

    def _save_positions(self) -> None:
        for lane in self._lanes:
            self._save_position(lane)

    def _save_windows(self) -> None:
        for name in self.jails:
            snapshot = self.guard.jail(name).snapshot()
            self.writer.submit(
                partial(_save_windows, jail=name, snapshot=snapshot), "saving windows"
            )
        horizon = self.clock.now() - HISTORY_KEEP
        self.writer.submit(lambda db: BanStore(db).forget_before(horizon), "pruning history")

    async def _save_state(self) -> None:
        self._save_positions()
        self._save_windows()
        await self.writer.run(lambda db: None)  # wait for the queue

    def counters(self) -> AgentMetrics:
        """The metrics, with the gauges brought up to date."""
        now = self.clock.now()
        active = dict.fromkeys(self.metrics.jails, 0)
        for (jail, _target), element in self._wanted.items():
            if jail and (element.expires is None or element.expires > now):
                active[jail] += 1
        for name, counters in self.metrics.jails.items():
            counters.tracked = self.guard.jail(name).tracked
            counters.active = active[name]
        self.metrics.active_bans = sum(active.values())
        self.metrics.state_errors = self.writer.errors
        return self.metrics

    @property
    def pid(self) -> int:
        return os.getpid()


def _active_bans(db: Database, now: float) -> list[StoredBan]:
    with gc_tuned():  # 20,000 bans build 40,000 ipaddress objects, each in a reference cycle
        return BanStore(db).active(now)


def _load_windows(db: Database, *, jail: str) -> list[WindowSnapshot]:
    return WindowStore(db).load(jail)


def _save_windows(db: Database, *, jail: str, snapshot: list[WindowSnapshot]) -> None:
    WindowStore(db).save(jail, snapshot)


def _lift(db: Database, *, target: Network, jail: str, at: float, by: str) -> list[StoredBan]:
    return BanStore(db).lift(target, jail=jail, at=at, by=by)
