"""``load``: the 5-minute load average, as Munin's core ``load`` plugin graphs it."""

from __future__ import annotations

import math
from pathlib import Path
from types import MappingProxyType
from typing import Final

from rempart.metrics.model import Field, Graph, Series
from rempart.probes.base import read_text

__all__ = ["LOAD_GRAPH", "LoadProbe", "parse_loadavg"]

LOAD_GRAPH: Final = Graph(
    "load",
    "Load average",
    "system",
    (Field("load", "load", info="5 minute load average"),),
    vlabel="load",
    args="--base 1000 -l 0",
    info="The load average of the machine describes how many processes are in the run-queue "
    '(scheduled to run "immediately").',
    scale=False,
)


def parse_loadavg(text: str) -> tuple[float, float, float] | None:
    """The 1, 5 and 15 minute load averages of ``/proc/loadavg``, or None (never raises)."""
    words = text.split()[:3]
    try:
        values = tuple(float(w) for w in words)
    except ValueError:
        return None
    if len(values) != 3 or any(not math.isfinite(v) or v < 0 for v in values):
        return None
    return values[0], values[1], values[2]


class LoadProbe:
    """The 5-minute load average from ``root/proc/loadavg``."""

    name = "load"
    background = False
    interval = 0.0

    def __init__(self, *, root: Path = Path("/")) -> None:
        self._root = root

    def collect(self) -> tuple[Series, ...]:
        loads = parse_loadavg(read_text(self._root / "proc/loadavg"))
        if loads is None:
            return ()
        return (Series(LOAD_GRAPH, MappingProxyType({"load": loads[1]})),)
