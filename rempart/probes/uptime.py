"""``uptime``: days since boot, as Munin's core ``uptime`` plugin graphs it."""

from __future__ import annotations

import math
from pathlib import Path
from types import MappingProxyType
from typing import Final

from rempart.metrics.model import Field, Graph, Series
from rempart.probes.base import read_text

__all__ = ["UPTIME_GRAPH", "UptimeProbe", "parse_uptime"]

UPTIME_GRAPH: Final = Graph(
    "uptime",
    "Uptime",
    "system",
    (Field("uptime", "uptime", draw="AREA", info="Days since the machine booted.", unit="days"),),
    vlabel="uptime in days",
    args="--base 1000 -l 0",
    scale=False,
)


def parse_uptime(text: str) -> float | None:
    """Seconds since boot from ``/proc/uptime``, or None (never raises)."""
    words = text.split()
    try:
        seconds = float(words[0]) if words else math.nan
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


class UptimeProbe:
    """Days since boot from ``root/proc/uptime``."""

    name = "uptime"
    background = False
    interval = 0.0

    def __init__(self, *, root: Path = Path("/")) -> None:
        self._root = root

    def collect(self) -> tuple[Series, ...]:
        seconds = parse_uptime(read_text(self._root / "proc/uptime"))
        if seconds is None:
            return ()
        return (Series(UPTIME_GRAPH, MappingProxyType({"uptime": round(seconds / 86400, 2)})),)
