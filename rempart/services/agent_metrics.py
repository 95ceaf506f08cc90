"""The agent's own counters: failures and bans per jail, lines and lag per source.

Plain counters updated on the hot path (an attribute increment each), read by
``rempart status`` and turned into samples by :meth:`AgentMetrics.samples` for the
metrics agent (Prometheus-style names, counters end in ``_total``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AgentMetrics", "JailCounters", "Sample", "SourceCounters"]


@dataclass(slots=True)
class JailCounters:
    failures: int = 0  # failures found by the filter
    bans: int = 0  # bans made (detected and manual)
    spared: int = 0  # bans not made: own address, allowed, recent successful login
    active: int = 0  # bans in force (updated when read)
    tracked: int = 0  # addresses with failures in their window (updated when read)


@dataclass(slots=True)
class SourceCounters:
    jail: str
    lines: int = 0
    errors: int = 0
    lag: float | None = None  # seconds from a line's arrival (or journal time) to its decision
    last_line: float | None = None  # when its last line arrived


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    labels: tuple[tuple[str, str], ...]
    value: float
    help: str


@dataclass(slots=True)
class AgentMetrics:
    jails: dict[str, JailCounters] = field(default_factory=dict)
    sources: dict[str, SourceCounters] = field(default_factory=dict)
    active_bans: int = 0
    firewall_errors: int = 0
    state_errors: int = 0

    def samples(self) -> list[Sample]:
        """Every counter as a sample, ready for an exposition format."""
        out: list[Sample] = []
        for name, j in sorted(self.jails.items()):
            labels: tuple[tuple[str, str], ...] = (("jail", name),)
            out += [
                Sample("rempart_failures_total", labels, j.failures, "Failures found"),
                Sample("rempart_bans_total", labels, j.bans, "Bans made"),
                Sample("rempart_spared_total", labels, j.spared, "Bans not made (protected)"),
                Sample("rempart_active_bans", labels, j.active, "Bans in force"),
                Sample("rempart_tracked_addresses", labels, j.tracked, "Addresses counted"),
            ]
        for name, s in sorted(self.sources.items()):
            labels = (("source", name), ("jail", s.jail))
            out.append(Sample("rempart_lines_total", labels, s.lines, "Log lines read"))
            out.append(Sample("rempart_source_errors_total", labels, s.errors, "Source errors"))
            if s.lag is not None:
                out.append(Sample("rempart_source_lag_seconds", labels, s.lag, "Decision lag"))
        out.append(Sample("rempart_firewall_errors_total", (), self.firewall_errors, "nft errors"))
        out.append(Sample("rempart_state_errors_total", (), self.state_errors, "State errors"))
        return out
