"""``cpu``: where CPU time goes, as Munin's core ``cpu`` plugin graphs it (same fields, same RRDs).

The values are the machine-wide jiffies of the ``cpu`` line of ``/proc/stat`` (DERIVE): at 100
jiffies per second (USER_HZ) one busy CPU draws 100 %, so the graph's upper limit is
100 × the number of CPUs, as Munin's plugin sets it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

from rempart.metrics.model import Field, Graph, Series
from rempart.probes.base import read_text
from rempart.probes.systext import to_int

__all__ = ["CPU_FIELDS", "CpuProbe", "CpuTimes", "cpu_graph", "parse_stat"]

# /proc/stat column order after "cpu"; Munin's field name and info for each.
CPU_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("user", "CPU time spent by normal programs and daemons"),
    ("nice", "CPU time spent by nice(1)d programs"),
    ("system", "CPU time spent by the kernel in system activities"),
    ("idle", "Idle CPU time"),
    (
        "iowait",
        "CPU time spent waiting for I/O operations to finish when there is nothing else to do.",
    ),
    ("irq", "CPU time spent handling interrupts"),
    ("softirq", 'CPU time spent handling "batched" interrupts'),
    (
        "steal",
        "The time that a virtual CPU had runnable tasks, but the virtual CPU itself was not "
        "running",
    ),
    (
        "guest",
        "The time spent running a virtual CPU for guest operating systems under the control of "
        "the Linux kernel.",
    ),
)
_ORDER: Final = ("system", "user", "nice", "idle", "iowait", "irq", "softirq")


@dataclass(frozen=True, slots=True)
class CpuTimes:
    """The machine-wide jiffies per state (only those the kernel reports) and the CPU count."""

    jiffies: dict[str, int] = field(default_factory=dict)
    ncpu: int = 0


def parse_stat(text: str) -> CpuTimes:
    """The ``cpu`` line and the number of ``cpuN`` lines of ``/proc/stat`` (never raises)."""
    jiffies: dict[str, int] = {}
    ncpu = 0
    for line in text.splitlines():
        words = line.split()
        if not words or not words[0].startswith("cpu"):
            continue
        if words[0] == "cpu":
            for (name, _), word in zip(CPU_FIELDS, words[1:], strict=False):
                value = to_int(word)
                if value is not None:
                    jiffies[name] = value
        elif words[0][3:].isdigit():
            ncpu += 1
    return CpuTimes(jiffies, ncpu)


def cpu_graph(times: CpuTimes, hz: int = 100) -> Graph:
    """Munin's ``cpu`` graph for the states present (a cdef rescales when USER_HZ is not 100)."""
    cdef_needed = hz != 100
    present = [(n, i) for n, i in CPU_FIELDS if n in times.jiffies]
    ordered = sorted(present, key=lambda p: _ORDER.index(p[0]) if p[0] in _ORDER else 99)
    fields = tuple(
        Field(
            name,
            name,
            type="DERIVE",
            min=0,
            draw="AREA" if k == 0 else "STACK",
            info=info,
            cdef=f"{name},100,*,{hz},/" if cdef_needed else None,
            unit="percent",
        )
        for k, (name, info) in enumerate(ordered)
    )
    return Graph(
        "cpu",
        "CPU usage",
        "system",
        fields,
        vlabel="%",
        args=f"--base 1000 -r --lower-limit 0 --upper-limit {100 * max(times.ncpu, 1)}",
        period="second",
        info="This graph shows how CPU time is spent.",
        order=_ORDER,
        scale=False,
    )


class CpuProbe:
    """Machine-wide CPU time per state from ``root/proc/stat``."""

    name = "cpu"
    background = False
    interval = 0.0

    def __init__(self, *, root: Path = Path("/")) -> None:
        self._root = root
        self._hz = _user_hz()

    def collect(self) -> tuple[Series, ...]:
        times = parse_stat(read_text(self._root / "proc/stat"))
        if not times.jiffies:
            return ()
        values = {n: float(v) for n, v in times.jiffies.items()}
        return (Series(cpu_graph(times, self._hz), MappingProxyType(values)),)


def _user_hz() -> int:
    try:
        return int(os.sysconf("SC_CLK_TCK")) or 100
    except (ValueError, OSError):
        return 100
