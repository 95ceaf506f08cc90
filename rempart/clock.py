"""Time as an injected dependency: nothing in rempart reads the clock on its own."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Clock", "FrozenClock", "SystemClock"]


class Clock(Protocol):
    """Wall-clock time in seconds since the epoch (UTC), and a monotonic counter."""

    def now(self) -> float: ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass(slots=True)
class FrozenClock:
    """A clock for tests: stands still until told to move."""

    at: float
    _mono: float = field(default=0.0)

    def now(self) -> float:
        return self.at

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self.at += seconds
        self._mono += seconds
