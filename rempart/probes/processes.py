"""``processes`` and ``threads``: processes per state and threads, as Munin's core plugins.

One read of ``root/proc/<pid>/stat`` per process gives both its state (the field after the
command's closing parenthesis) and its thread count (field 20), so the probe costs one small
read per process. A process that exits meanwhile is simply not counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import MappingProxyType
from typing import Final

from rempart.metrics.model import Field, Graph, Series
from rempart.probes.systext import to_int

__all__ = ["PROCESSES_GRAPH", "THREADS_GRAPH", "ProcessesProbe", "count_states", "parse_pid_stat"]

# field, label, draw, colour (not carried), info; Munin's order
_STATES: Final[tuple[tuple[str, str, str], ...]] = (
    ("sleeping", "AREA", "The number of sleeping processes."),
    ("idle", "STACK", "The number of idle kernel threads (>= 4.2 kernels only)."),
    ("stopped", "STACK", "The number of stopped or traced processes."),
    (
        "zombie",
        "STACK",
        "The number of defunct ('zombie') processes (process terminated and parent not waiting).",
    ),
    ("dead", "STACK", "The number of dead processes."),
    ("paging", "STACK", "The number of paging processes (<2.6 kernels only)."),
    ("uninterruptible", "STACK", "The number of uninterruptible processes (usually IO)."),
    ("runnable", "STACK", "The number of runnable processes (on the run queue)."),
)
_LETTER: Final = {
    "S": "sleeping",
    "I": "idle",
    "T": "stopped",
    "t": "stopped",
    "Z": "zombie",
    "X": "dead",
    "x": "dead",
    "W": "paging",
    "D": "uninterruptible",
    "R": "runnable",
}

PROCESSES_GRAPH: Final = Graph(
    "processes",
    "Processes",
    "processes",
    (
        *(Field(n, n, draw=d, info=i) for n, d, i in _STATES),
        Field("processes", "total", draw="LINE1", info="The total number of processes."),
    ),
    vlabel="Number of processes",
    args="--base 1000 -l 0",
    info="This graph shows the number of processes",
)
THREADS_GRAPH: Final = Graph(
    "threads",
    "Number of threads",
    "processes",
    (Field("threads", "threads", info="The current number of threads."),),
    vlabel="number of threads",
    info="This graph shows the number of threads.",
)


def parse_pid_stat(text: str) -> tuple[str, int] | None:
    """(state letter, thread count) from ``/proc/<pid>/stat``, or None (never raises)."""
    _, paren, rest = text.rpartition(")")
    words = rest.split()
    if not paren or len(words) < 18 or len(words[0]) != 1:
        return None
    threads = to_int(words[17])
    return (words[0], threads) if threads is not None else None


def count_states(stats: Iterable[tuple[str, int]]) -> tuple[dict[str, float], float]:
    """Munin's ``processes`` values and the total thread count."""
    values = dict.fromkeys((n for n, _, _ in _STATES), 0.0)
    total = threads = 0
    for letter, n in stats:
        total += 1
        threads += n
        if letter in _LETTER:
            values[_LETTER[letter]] += 1
    values["processes"] = float(total)
    return values, float(threads)


class ProcessesProbe:
    """Process states and thread count from ``root/proc/<pid>/stat``."""

    name = "processes"
    background = False
    interval = 0.0

    def __init__(self, *, root: Path = Path("/")) -> None:
        self._root = root

    def _stats(self) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        proc = self._root / "proc"
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                with (entry / "stat").open("rb") as handle:
                    parsed = parse_pid_stat(handle.read(4096).decode("utf-8", "replace"))
            except OSError:  # exited meanwhile
                continue
            if parsed is not None:
                out.append(parsed)
        return out

    def collect(self) -> tuple[Series, ...]:
        stats = self._stats()
        if not stats:
            return ()
        values, threads = count_states(stats)
        return (
            Series(PROCESSES_GRAPH, MappingProxyType(values)),
            Series(THREADS_GRAPH, MappingProxyType({"threads": threads})),
        )
