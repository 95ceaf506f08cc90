"""``rempart replay``: run logs through jails offline and report what would have happened.

Like fail2ban-regex it counts lines (matched, helper, ignored, missed), hits per rule
and shows samples of missed lines; unlike it, it also runs the decision engine and
reports the bans that would have been made, with their evidence, and the throughput.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import NamedTuple

from rempart.adapters.sources.journal import JournalSource
from rempart.adapters.sources.replay import open_replay_log
from rempart.clock import Clock
from rempart.guard.definition import FilterDefinition
from rempart.guard.engine import Guard
from rempart.guard.matcher import LineKind
from rempart.guard.policy import JailPolicy
from rempart.model import Ban, Failure, FailureOutcome, FailureVerdict, LogLine
from rempart.services.gctune import gc_tuned
from rempart.services.jails import line_filter

_MISSED = LineKind.MISSED

__all__ = [
    "FailureRecord",
    "JailReport",
    "JournalInput",
    "Progress",
    "ReplayJail",
    "ReplayReport",
    "order_logs",
    "replay",
    "replay_journal",
]


@dataclass(frozen=True, slots=True)
class ReplayJail:
    """A jail to replay: its filter, its policy, and the zone of each log's dates."""

    name: str
    definition: FilterDefinition
    policy: JailPolicy
    zone_for: Callable[[str], tzinfo]
    journal_match: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Progress:
    file: str
    done: int
    total: int
    lines: int
    elapsed: float


class FailureRecord(NamedTuple):
    """One failure, where it was found, and what the engine made of it (a NamedTuple:
    one is built per failure when a caller asks for them)."""

    file: str
    line: int
    jail: str
    failure: Failure
    verdict: FailureVerdict


@dataclass(slots=True)
class JailReport:
    name: str
    filter_label: str
    regexes: tuple[str, ...]
    lines: dict[LineKind, int] = field(default_factory=lambda: dict.fromkeys(LineKind, 0))
    verdicts: dict[FailureVerdict, int] = field(
        default_factory=lambda: dict.fromkeys(FailureVerdict, 0)
    )
    hits: list[int] = field(default_factory=list)
    missed_samples: list[tuple[str, int, str]] = field(default_factory=list)
    bans: list[Ban] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return sum(self.verdicts.values())


@dataclass(slots=True)
class ReplayReport:
    files: list[str]
    lines: int
    elapsed: float
    jails: list[JailReport]

    @property
    def lines_per_s(self) -> float:
        return self.lines / self.elapsed if self.elapsed > 0 else 0.0


def order_logs(names: Sequence[str]) -> list[str]:
    """Oldest first (by modification time), so rotated logs are replayed in time order;
    standard input (``-``) keeps its place at the end."""
    files = [n for n in names if n != "-"]

    def mtime(name: str) -> float:
        try:
            return os.stat(name).st_mtime
        except OSError:
            return float("inf")

    return sorted(files, key=mtime) + [n for n in names if n == "-"]


def replay(
    jails: Sequence[ReplayJail],
    logs: Sequence[str],
    *,
    clock: Clock,
    on_progress: Callable[[Progress], None] | None = None,
    on_failure: Callable[[FailureRecord], None] | None = None,
    missed_samples: int = 5,
) -> ReplayReport:
    """Replay ``logs`` (in the given order) through ``jails``."""
    guard = Guard(j.policy for j in jails)
    reports = [_report(j) for j in jails]
    started = clock.monotonic()
    total = 0
    with gc_tuned():
        for name in logs:
            total += _replay_one(
                name,
                jails,
                reports,
                guard,
                clock,
                started,
                total,
                on_progress,
                on_failure,
                missed_samples,
            )
    return ReplayReport(list(logs), total, clock.monotonic() - started, reports)


class _Lane:
    """One jail's pass over one log: its filter, its guard, its report."""

    __slots__ = (
        "add",
        "candidates",
        "matched",
        "name",
        "on_failure",
        "prev",
        "process",
        "report",
        "samples_left",
    )

    def __init__(
        self,
        jail: ReplayJail,
        guard: Guard,
        report: JailReport,
        name: str,
        on_failure: Callable[[FailureRecord], None] | None,
        samples: int,
    ) -> None:
        line_filter_ = line_filter(jail.definition, jail.zone_for(name))
        self.process = line_filter_.process
        self.candidates = line_filter_.candidates
        self.add = guard.jail(jail.name).add
        self.report = report
        self.name = name
        self.on_failure = on_failure
        self.samples_left = max(0, samples - len(report.missed_samples))
        self.matched = 0  # lines of this log that were not missed
        self.prev = -1

    def step(self, texts: list[str], i: int, base: int, now: float) -> None:
        if self.samples_left:
            self._sample(texts, base, self.prev + 1, i)
        self.prev = i
        result = self.process(texts[i], now, None, checked=True)
        kind = result.kind
        if kind is _MISSED:
            if self.samples_left:
                self._sample(texts, base, i, i + 1)
            return
        self.matched += 1
        report = self.report
        report.lines[kind] += 1
        for failure in result.failures:
            _account(failure, self.add(failure), report, self.name, base + i + 1, self.on_failure)

    def step_line(self, line: LogLine, lineno: int, now: float) -> None:
        """One line that came with its own time (a journal entry)."""
        result = self.process(line.text, now, line.timestamp)
        kind = result.kind
        if kind is _MISSED:
            if self.samples_left:
                self.samples_left -= 1
                self.report.missed_samples.append((self.name, lineno, line.text))
            return
        self.matched += 1
        report = self.report
        report.lines[kind] += 1
        for failure in result.failures:
            _account(failure, self.add(failure), report, self.name, lineno, self.on_failure)

    def end_chunk(self, texts: list[str], base: int) -> None:
        if self.samples_left:
            self._sample(texts, base, self.prev + 1, len(texts))
        self.prev = -1

    def _sample(self, texts: list[str], base: int, first: int, stop: int) -> None:
        for i in range(first, min(stop, first + self.samples_left)):
            self.report.missed_samples.append((self.name, base + i + 1, texts[i]))
        self.samples_left = max(0, self.samples_left - (stop - first))


@dataclass(frozen=True, slots=True)
class JournalInput:
    """Which journal entries to replay: since when, and from which files or directory
    (none: the machine's journal)."""

    since: float | None = None
    files: tuple[Path, ...] = ()
    directory: Path | None = None


def replay_journal(
    jails: Sequence[ReplayJail],
    journal: JournalInput,
    *,
    clock: Clock,
    on_progress: Callable[[Progress], None] | None = None,
    on_failure: Callable[[FailureRecord], None] | None = None,
    missed_samples: int = 5,
) -> ReplayReport:
    """Replay the systemd journal through ``jails``: each jail reads the entries its
    ``journal_match`` selects (journalctl, no follow), with the journal's own times.
    Jails are replayed one after the other (escalation across jails sees the earlier jails'
    bans only)."""
    guard = Guard(j.policy for j in jails)
    reports = [_report(j) for j in jails]
    started = clock.monotonic()
    total = 0
    with gc_tuned():
        for jail, report in zip(jails, reports, strict=True):
            lane = _Lane(jail, guard, report, "journal", on_failure, missed_samples)
            source = JournalSource(
                name=f"journal ({jail.name})",
                matches=jail.journal_match,
                since=journal.since,
                files=journal.files,
                directory=journal.directory,
                follow=False,
                clock=clock,
            )
            count = asyncio.run(_drain(source, lane, clock, started, total, on_progress))
            lines = report.lines
            lines[_MISSED] += count - lane.matched
            total = max(total, count)
    return ReplayReport(["journal"], total, clock.monotonic() - started, reports)


async def _drain(
    source: JournalSource,
    lane: _Lane,
    clock: Clock,
    started: float,
    before: int,
    on_progress: Callable[[Progress], None] | None,
) -> int:
    lineno = 0
    now = clock.now()
    async for batch in source.follow():
        for line in batch:
            lineno += 1
            lane.step_line(line, lineno, now)
        if on_progress is not None:
            elapsed = clock.monotonic() - started
            on_progress(Progress(source.name, 0, 0, before + lineno, elapsed))
    return lineno


def _report(jail: ReplayJail) -> JailReport:
    regexes = jail.definition.failregex
    return JailReport(jail.name, jail.definition.label, regexes, hits=[0] * len(regexes))


def _replay_one(
    name: str,
    jails: Sequence[ReplayJail],
    reports: list[JailReport],
    guard: Guard,
    clock: Clock,
    started: float,
    before: int,
    on_progress: Callable[[Progress], None] | None,
    on_failure: Callable[[FailureRecord], None] | None,
    missed_samples: int,
) -> int:
    log = open_replay_log(name)
    try:
        now = log.mtime if log.mtime is not None else clock.now()
        lanes = [
            _Lane(j, guard, r, name, on_failure, missed_samples)
            for j, r in zip(jails, reports, strict=True)
        ]
        lineno = cut_lines = 0
        for chunk in log.chunks():
            texts = chunk.texts
            cut = set(chunk.truncated)  # cut to the length limit: counted, never matched
            cut_lines += len(cut)
            _run_chunk(lanes, texts, cut, lineno, now)
            lineno += len(texts)
            if on_progress is not None:
                on_progress(
                    Progress(name, log.done, log.size, before + lineno, clock.monotonic() - started)
                )
        for lane in lanes:
            lines = lane.report.lines
            lines[LineKind.TOO_LONG] += cut_lines
            lines[_MISSED] += lineno - cut_lines - lane.matched
        return lineno
    finally:
        log.close()


def _run_chunk(lanes: list[_Lane], texts: list[str], cut: set[int], base: int, now: float) -> None:
    """Every lane over one chunk, line by line in log order (only candidate lines)."""
    if len(lanes) == 1:
        lane = lanes[0]
        step = lane.step
        for i in lane.candidates(texts):
            if not cut or i not in cut:
                step(texts, i, base, now)
    else:
        wanted = [set(lane.candidates(texts)) - cut for lane in lanes]
        for i in sorted(set().union(*wanted)):
            for lane, indexes in zip(lanes, wanted, strict=True):
                if i in indexes:
                    lane.step(texts, i, base, now)
    for lane in lanes:
        lane.end_chunk(texts, base)


def _account(
    failure: Failure,
    outcome: FailureOutcome,
    report: JailReport,
    name: str,
    lineno: int,
    on_failure: Callable[[FailureRecord], None] | None,
) -> None:
    verdict = outcome.verdict
    report.verdicts[verdict] += 1
    report.hits[failure.regex] += 1
    ban = outcome.ban
    if ban is not None:
        report.bans.append(ban)
    if on_failure is not None:
        on_failure(FailureRecord(name, lineno, report.name, failure, verdict))
