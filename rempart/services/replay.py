"""``rempart replay``: run logs through jails offline and report what would have happened.

Like fail2ban-regex it counts lines (matched, helper, ignored, missed), hits per rule
and shows samples of missed lines; unlike it, it also runs the decision engine and
reports the bans that would have been made, with their evidence, and the throughput.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo

from rempart.adapters.sources.replay import open_replay_log
from rempart.clock import Clock
from rempart.guard.definition import FilterDefinition
from rempart.guard.engine import Guard
from rempart.guard.matcher import LineKind
from rempart.guard.policy import JailPolicy
from rempart.model import Ban, Failure, FailureOutcome, FailureVerdict
from rempart.services.jails import line_filter

__all__ = [
    "FailureRecord",
    "JailReport",
    "Progress",
    "ReplayJail",
    "ReplayReport",
    "order_logs",
    "replay",
]


@dataclass(frozen=True, slots=True)
class ReplayJail:
    """A jail to replay: its filter, its policy, and the zone of each log's dates."""

    name: str
    definition: FilterDefinition
    policy: JailPolicy
    zone_for: Callable[[str], tzinfo]


@dataclass(frozen=True, slots=True)
class Progress:
    file: str
    done: int
    total: int
    lines: int
    elapsed: float


@dataclass(frozen=True, slots=True)
class FailureRecord:
    """One failure, where it was found, and what the engine made of it."""

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
    reports = [
        JailReport(
            j.name,
            j.definition.label,
            j.definition.failregex,
            hits=[0] * len(j.definition.failregex),
        )
        for j in jails
    ]
    started = clock.monotonic()
    total = 0
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
        work = [
            (line_filter(j.definition, j.zone_for(name)).process, guard.jail(j.name).add, r, [0])
            for j, r in zip(jails, reports, strict=True)
        ]
        missed, too_long = LineKind.MISSED, LineKind.TOO_LONG
        lineno = 0
        for chunk in log.chunks():
            cut = {lineno + 1 + i for i in chunk.truncated}
            for text in chunk.texts:
                lineno += 1
                if cut and lineno in cut:  # cut to the length limit: counted, never matched
                    for _, _, report, _ in work:
                        report.lines[too_long] += 1
                    continue
                for process, add, report, missed_count in work:
                    result = process(text, now)
                    kind = result.kind
                    if kind is missed:  # most lines: identity test, no enum hashing
                        missed_count[0] += 1
                        if missed_count[0] <= missed_samples:
                            report.missed_samples.append((name, lineno, text))
                        continue
                    report.lines[kind] += 1
                    for failure in result.failures:
                        _account(failure, add(failure), report, name, lineno, on_failure)
            if on_progress is not None:
                on_progress(
                    Progress(name, log.done, log.size, before + lineno, clock.monotonic() - started)
                )
        for _, _, report, missed_count in work:
            report.lines[missed] += missed_count[0]
        if on_progress is not None:
            on_progress(
                Progress(name, log.size, log.size, before + lineno, clock.monotonic() - started)
            )
        return lineno
    finally:
        log.close()


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
