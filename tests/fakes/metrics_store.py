"""MemoryMetricsStore: the :class:`~rempart.metrics.storage.MetricsStore` protocol in memory,
at full resolution only, for the tests of what reads a store (the alerter). The SQLite store
has its own tests."""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping, Sequence

from rempart.metrics.model import Graph
from rempart.metrics.series import STEP, SeriesData, SeriesKey, StoreStats

__all__ = ["MemoryMetricsStore"]


class MemoryMetricsStore:
    def __init__(self) -> None:
        self._graphs: dict[str, tuple[str, dict[str, Graph]]] = {}
        self._values: dict[SeriesKey, dict[int, float]] = {}
        self.reads = 0

    def save_graphs(self, host: str, group: str, graphs: Sequence[Graph], at: float) -> None:
        known = self._graphs.setdefault(host, (group, {}))[1]
        known.update({g.name: g for g in graphs})

    def hosts(self) -> list[tuple[str, str]]:
        return sorted((h, g) for h, (g, _) in self._graphs.items())

    def graphs(self, host: str) -> list[Graph]:
        return sorted(self._graphs.get(host, ("", {}))[1].values(), key=lambda g: g.name)

    def write(self, at: int, values: Mapping[SeriesKey, float | None]) -> int:
        for key, value in values.items():
            self._values.setdefault(key, {})[at] = math.nan if value is None else value
        return len(values)

    def read(self, key: SeriesKey, start: float, end: float, step: int | None = None) -> SeriesData:
        self.reads += 1
        first = int(start) // STEP * STEP
        slots = max(0, (int(end) - first + STEP - 1) // STEP)
        stored = self._values.get(key, {})
        avg = array("d", (stored.get(first + i * STEP, math.nan) for i in range(slots)))
        return SeriesData(key, first, STEP, avg)

    def series(self, host: str | None = None) -> list[SeriesKey]:
        return sorted(k for k in self._values if host is None or k.host == host)

    def compact(self, now: float) -> int:
        return 0

    def stats(self) -> StoreStats:
        return StoreStats(len(self._values), sum(len(v) for v in self._values.values()), 0)
