"""A sliding window of failures for one address in one jail.

Exact sliding window: a ban is due when ``maxretry`` failures fall within ``findtime``
seconds. (fail2ban instead rescales a counter to an estimated rate when a failure comes
more than findtime after the first one; see docs/explanation/decisions.md.)
Failures may arrive slightly out of order (several sources): they are kept sorted.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable

__all__ = ["FailureWindow"]


class FailureWindow:
    """Failure times (sorted) and their evidence, pruned to what findtime still needs."""

    __slots__ = ("evidence", "times")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.evidence: list[tuple[float, tuple[str, ...]]] = []

    def add(self, time: float, lines: tuple[str, ...], findtime: float, keep: int) -> None:
        """Record a failure; drop what is older than ``findtime`` before the newest."""
        times = self.times
        if not times or time >= times[-1]:
            times.append(time)
        else:
            insort(times, time)
        horizon = times[-1] - findtime
        if times[0] < horizon:
            cut = 0
            while times[cut] < horizon:
                cut += 1
            del times[:cut]
        self.evidence.append((time, lines))
        if len(self.evidence) > keep:
            del self.evidence[: len(self.evidence) - keep]

    def completes(self, time: float, maxretry: int, findtime: float) -> float | None:
        """The time at which ``maxretry`` failures within ``findtime`` are reached, counting
        the failure at ``time``; None when not (yet)."""
        times = self.times
        if len(times) < maxretry:
            return None
        # Only windows that contain the new failure can have become complete.
        for first in range(len(times) - maxretry, -1, -1):
            last = first + maxretry - 1
            if times[last] < time:
                break
            if times[first] <= time and times[last] - times[first] <= findtime:
                return times[last]
        return None

    def restore(
        self, times: Iterable[float], lines: tuple[str, ...], findtime: float, keep: int
    ) -> None:
        """Take back failures saved before a restart: their times, pruned as :meth:`add`
        prunes, and their evidence ``lines`` (:meth:`lines` of the old window) as one
        block, older than the evidence already here."""
        merged = sorted((*self.times, *times))
        if merged:
            horizon = merged[-1] - findtime
            merged = [t for t in merged if t >= horizon]
        self.times = merged
        if lines:
            oldest = merged[0] if merged else float("-inf")
            self.evidence.insert(0, (oldest, lines[-keep:]))
            if len(self.evidence) > keep:
                del self.evidence[: len(self.evidence) - keep]

    def newest(self) -> float:
        return self.times[-1] if self.times else float("-inf")

    def lines(self, limit: int) -> tuple[str, ...]:
        """Evidence lines, oldest first, at most ``limit``."""
        out: list[str] = []
        for _, lines in sorted(self.evidence, key=lambda item: item[0]):
            out.extend(lines)
        return tuple(out[-limit:])

    def __len__(self) -> int:
        return len(self.times)
