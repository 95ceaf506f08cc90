"""What the supervision server keeps: series keys, stored data, nodes and one node's round.

A *series* is one field of one graph of one host (``SeriesKey``). The poller turns what a
node answered into stored values — GAUGE as read, DERIVE/COUNTER/ABSOLUTE as per-second
rates (:mod:`rempart.metrics.rates`) — one value per series per round, at the round's time
(aligned on the 5-minute grid). The store keeps them at full resolution and in rollups that
keep the minimum, average and maximum of each bucket *and when* the minimum and maximum
happened (:class:`SeriesData`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from rempart.metrics.model import Graph

__all__ = [
    "STEP",
    "NodeRound",
    "NodeState",
    "NodeStatus",
    "SeriesData",
    "SeriesKey",
    "StoreStats",
]

#: the sampling step of the server, seconds (Munin's 5 minutes)
STEP = 300


@dataclass(frozen=True, slots=True, order=True)
class SeriesKey:
    """One field of one graph of one host: ``host/graph/field``."""

    host: str
    graph: str
    field: str

    def __str__(self) -> str:
        return f"{self.host}/{self.graph}/{self.field}"


@dataclass(frozen=True, slots=True)
class SeriesData:
    """Values of one series on a regular grid: slot ``i`` covers ``[start + i*step, +step)``.

    ``avg`` holds the value of each slot (NaN: no data). At full resolution (``step`` = 300)
    ``low``/``high`` are None. For rollups (``step`` 3600 or 86400) ``low``/``high`` are the
    minimum and maximum of the slot and ``low_at``/``high_at`` the epoch second of the sample
    that held them (0 when the slot is empty), so a year view still knows each peak's hour.
    """

    key: SeriesKey
    start: int
    step: int
    avg: Sequence[float]
    low: Sequence[float] | None = None
    high: Sequence[float] | None = None
    low_at: Sequence[int] | None = None
    high_at: Sequence[int] | None = None

    def __len__(self) -> int:
        return len(self.avg)


@dataclass(frozen=True, slots=True)
class StoreStats:
    """How much the store holds: samples, bytes on disk, series."""

    series: int
    samples: int
    bytes: int


NodeState = Literal["up", "down", "unknown"]  # unknown: never polled yet


@dataclass(frozen=True, slots=True)
class NodeRound:
    """One node polled in one round, values already converted for storage.

    ``at`` is the round's time (epoch seconds, a multiple of :data:`STEP`); ``values`` maps
    every field of every graph the node answered to its stored value (None: unknown — a
    DERIVE's first reading, a reset, a ``U``). When ``ok`` is False, ``error`` says why in one
    printable line (English) and
    ``graphs``/``values`` are empty.
    """

    node: str
    group: str
    at: int
    ok: bool
    duration: float
    graphs: tuple[Graph, ...] = ()
    values: Mapping[SeriesKey, float | None] = field(default_factory=lambda: MappingProxyType({}))
    error: str = ""
    version: str = ""  # the node's `version` answer ("" when not asked / unknown)
    commands: int = 0  # protocol commands sent (config, fetch, ...)


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """What the server knows of one node (kept in the store, shown by `rempart nodes`)."""

    node: str
    group: str
    address: str
    port: int
    state: NodeState
    last_poll: float = 0.0  # epoch of the last attempt (0: never)
    last_ok: float = 0.0  # epoch of the last success (0: never)
    duration: float = 0.0  # seconds the last poll took
    error: str = ""  # why the last poll failed ("" when it worked)
    graphs: int = 0
    fields: int = 0
    version: str = ""
    failures: int = 0  # consecutive failed polls
