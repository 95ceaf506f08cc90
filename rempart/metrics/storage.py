"""The storage interface of the supervision server (what the services need from a store).

The embedded implementation is SQLite (:mod:`rempart.store.timeseries`,
:mod:`rempart.store.nodes`); another engine can implement these protocols later. Every
method is blocking and is called from the one writer thread (see
:class:`rempart.services.statewriter.StateWriter`); reads from other processes (the CLI) open
their own read-only connection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from rempart.metrics.model import Graph
from rempart.metrics.series import NodeStatus, SeriesData, SeriesKey, StoreStats

__all__ = ["MetricsStore", "NodeStore"]


class MetricsStore(Protocol):
    """Time series: graph descriptions, samples at 5 minutes, rollups, retention."""

    def save_graphs(self, host: str, group: str, graphs: Sequence[Graph], at: float) -> None:
        """Remember how ``host`` describes its graphs (titles, fields, types, ranges), as of
        ``at``; a graph not seen again keeps its last description and its data."""
        ...

    def hosts(self) -> list[tuple[str, str]]:
        """(host, group) of every host with graphs, sorted."""
        ...

    def graphs(self, host: str) -> list[Graph]:
        """The last known description of every graph of ``host``, sorted by name."""
        ...

    def write(self, at: int, values: Mapping[SeriesKey, float | None]) -> int:
        """Store one value per series at time ``at`` (a multiple of 300); None and NaN are
        stored as "no data". A second write of the same series and time replaces the value.
        Returns the number of values stored."""
        ...

    def read(self, key: SeriesKey, start: float, end: float, step: int | None = None) -> SeriesData:
        """The series between ``start`` and ``end`` (epoch seconds, end excluded).

        ``step`` 300 (full resolution), 3600 or 86400 (rollups with min/avg/max and the time
        of each min and max); None picks the finest step giving at most about 1,500 points.
        An unknown series gives empty data, not an error."""
        ...

    def series(self, host: str | None = None) -> list[SeriesKey]:
        """Every series (of ``host``), sorted."""
        ...

    def compact(self, now: float) -> int:
        """Housekeeping, called about every hour: pack closed time into its long-term form,
        build rollups, drop what is older than the retention. Returns the samples moved."""
        ...

    def stats(self) -> StoreStats:
        """Samples, series and bytes on disk."""
        ...


class NodeStore(Protocol):
    """The last known state of every node."""

    def save_nodes(self, statuses: Sequence[NodeStatus]) -> None:
        """Replace the stored status of these nodes."""
        ...

    def nodes(self) -> list[NodeStatus]:
        """Every node's last status, sorted by group then name."""
        ...
