"""Small real probes for the agent-side tests: they implement the Probe protocol and read
files under a root (tests/fixtures/probes/small), as the probes in rempart/probes do."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import MappingProxyType

from rempart.errors import ProbeError
from rempart.metrics.model import Field, Graph, Series
from rempart.probes.base import read_text

__all__ = ["SMALL_ROOT", "LoadFileProbe"]

SMALL_ROOT = Path(__file__).resolve().parent / "fixtures" / "probes" / "small"

LOAD = Graph(
    name="load",
    title="Load average",
    category="system",
    vlabel="load",
    args="--base 1000 -l 0",
    fields=(Field("load", "load", min=0, warning="8", critical="16", info="5 min load average"),),
)


class LoadFileProbe:
    """``root/proc/loadavg`` as Munin's load graph; counts its runs and their threads;
    ``delay`` seconds of sleep per collection; ``name``/``background``/``interval`` settable."""

    def __init__(
        self,
        *,
        root: Path = SMALL_ROOT,
        name: str = "load",
        background: bool = False,
        interval: float = 60.0,
        delay: float = 0.0,
    ) -> None:
        self.root = root
        self._name = name
        self._background = background
        self._interval = interval
        self.delay = delay
        self.runs = 0
        self.threads: set[str] = set()

    @property
    def name(self) -> str:
        return self._name

    @property
    def background(self) -> bool:
        return self._background

    @property
    def interval(self) -> float:
        return self._interval

    def collect(self) -> tuple[Series, ...]:
        self.runs += 1
        self.threads.add(threading.current_thread().name)
        if self.delay:
            time.sleep(self.delay)
        text = read_text(self.root / "proc/loadavg")
        try:
            five = float(text.split()[1])
        except (IndexError, ValueError) as exc:
            raise ProbeError(probe=self._name, reason=f"unreadable loadavg {text[:40]!r}") from exc
        graph = (
            LOAD
            if self._name == "load"
            else Graph(
                name=f"{self._name}_load", title=LOAD.title, category="system", fields=LOAD.fields
            )
        )
        return (Series(graph, MappingProxyType({"load": five})),)
