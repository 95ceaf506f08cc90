"""``diskstats_*``: IOs, throughput, utilisation and latency per whole disk (``/proc/diskstats``).

Graph and field names are those of Munin's core ``diskstats`` plugin (``vda_rdio``, ``vda_wrbytes``,
``vda_util``, ``vda_avgwait``), so a Munin master keeps its RRD files; the types differ: Munin's
plugin keeps its own state and sends GAUGE rates, rempart sends the kernel's counters as DERIVE
(the master re-tunes the RRD type itself) — except the latency, a ratio of two counters' deltas,
computed from the previous collection (U on the first one, 0 when no IO completed).

Whole disks only: the names listed in ``root/sys/block`` (partitions are not there); when that
directory is missing, every device not excluded is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from rempart.metrics.model import Field, Graph, Series
from rempart.munin.names import unique_fieldnames
from rempart.probes.base import read_text
from rempart.probes.systext import clean_label, matches_any, to_int

__all__ = [
    "DEFAULT_EXCLUDE",
    "DiskCounters",
    "DiskstatsProbe",
    "average_wait",
    "diskstats_series",
    "parse_diskstats",
]

DEFAULT_EXCLUDE: Final = ("loop*", "ram*", "zram*", "fd*", "sr*")
SECTOR: Final = 512


@dataclass(frozen=True, slots=True)
class DiskCounters:
    """The counters of one ``/proc/diskstats`` line that rempart graphs."""

    reads: int
    sectors_read: int
    read_ms: int
    writes: int
    sectors_written: int
    write_ms: int
    io_ms: int  # io_ticks: milliseconds the device had IO in flight


def parse_diskstats(text: str) -> dict[str, DiskCounters]:
    """``{device: counters}`` from ``/proc/diskstats`` (malformed lines skipped, never raises)."""
    out: dict[str, DiskCounters] = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) < 14:
            continue
        numbers = [to_int(w) for w in words[3:14]]
        if any(n is None for n in numbers):
            continue
        n = [x or 0 for x in numbers]
        out[words[2]] = DiskCounters(n[0], n[2], n[3], n[4], n[6], n[7], n[9])
    return out


def _graph(name: str, title: str, vlabel: str, args: str, fields: list[Field], info: str) -> Graph:
    return Graph(name, title, "disk", tuple(fields), vlabel=vlabel, args=args, info=info)


def _pair(base: str, label: str, rd: str, wr: str, unit: str) -> list[Field]:
    return [
        Field(f"{base}_{rd}", label, type="DERIVE", min=0, graph=False, unit=unit),
        Field(f"{base}_{wr}", label, type="DERIVE", min=0, negative=f"{base}_{rd}", unit=unit),
    ]


def diskstats_series(
    disks: Mapping[str, DiskCounters], latency: Mapping[str, float | None] | None = None
) -> tuple[Series, ...]:
    """The four graphs for ``disks`` (latency only when ``latency`` is given, per device)."""
    if not disks:
        return ()
    names = unique_fieldnames(disks)
    iops: list[Field] = []
    tput: list[Field] = []
    util: list[Field] = []
    wait: list[Field] = []
    v_iops: dict[str, float | None] = {}
    v_tput: dict[str, float | None] = {}
    v_util: dict[str, float | None] = {}
    v_wait: dict[str, float | None] = {}
    for dev, c in disks.items():
        base, label = names[dev], clean_label(dev)
        iops += _pair(base, label, "rdio", "wrio", "")
        v_iops.update({f"{base}_rdio": c.reads, f"{base}_wrio": c.writes})
        tput += _pair(base, label, "rdbytes", "wrbytes", "bytes")
        v_tput[f"{base}_rdbytes"] = float(c.sectors_read * SECTOR)
        v_tput[f"{base}_wrbytes"] = float(c.sectors_written * SECTOR)
        util.append(
            Field(
                f"{base}_util",
                label,
                type="DERIVE",
                min=0,
                max=1000,
                cdef=f"{base}_util,10,/",
                info="Utilization of the device",
                unit="percent",
            )
        )
        v_util[f"{base}_util"] = float(c.io_ms)
        if latency is not None:
            wait.append(
                Field(
                    f"{base}_avgwait",
                    label,
                    min=0,
                    unit="seconds",
                    info="Average wait time for an I/O request",
                )
            )
            v_wait[f"{base}_avgwait"] = latency.get(dev)
    out = [
        Series(
            _graph(
                "diskstats_iops",
                "Disk IOs per device",
                "IOs/${graph_period} read (-) / write (+)",
                "--base 1000",
                iops,
                "Read and write operations completed per second.",
            ),
            MappingProxyType(v_iops),
        ),
        Series(
            _graph(
                "diskstats_throughput",
                "Throughput per device",
                "Bytes/${graph_period} read (-) / write (+)",
                "--base 1024",
                tput,
                "Bytes read and written per second.",
            ),
            MappingProxyType(v_tput),
        ),
        Series(
            _graph(
                "diskstats_utilization",
                "Utilization per device",
                "% busy",
                "--base 1000 --lower-limit 0 --upper-limit 100 --rigid",
                util,
                "Share of time the device had I/O in flight.",
            ),
            MappingProxyType(v_util),
        ),
    ]
    if latency is not None:
        graph = _graph(
            "diskstats_latency",
            "Disk latency per device",
            "Average IO Wait (seconds)",
            "--base 1000",
            wait,
            "Mean time from request to completion since the last collection.",
        )
        out.append(Series(graph, MappingProxyType(v_wait)))
    return tuple(out)


def average_wait(old: DiskCounters, new: DiskCounters) -> float | None:
    """Seconds per completed IO between two readings (0 when none, None after a reset)."""
    ios = (new.reads - old.reads) + (new.writes - old.writes)
    ms = (new.read_ms - old.read_ms) + (new.write_ms - old.write_ms)
    if ios < 0 or ms < 0:
        return None
    return ms / ios / 1000 if ios else 0.0


class DiskstatsProbe:
    """Whole-disk IO counters from ``root/proc/diskstats`` (disks listed in ``root/sys/block``)."""

    name = "diskstats"
    background = False
    interval = 0.0

    def __init__(
        self,
        *,
        root: Path = Path("/"),
        exclude: tuple[str, ...] = DEFAULT_EXCLUDE,
    ) -> None:
        self._root = root
        self._exclude = exclude
        self._previous: dict[str, DiskCounters] = {}

    def _whole_disks(self) -> set[str] | None:
        try:
            return {p.name.replace("!", "/") for p in (self._root / "sys/block").iterdir()}
        except OSError:
            return None

    def collect(self) -> tuple[Series, ...]:
        disks = parse_diskstats(read_text(self._root / "proc/diskstats"))
        whole = self._whole_disks()
        chosen = {
            d: c
            for d, c in disks.items()
            if (whole is None or d in whole) and not matches_any(d, self._exclude)
        }
        previous, self._previous = self._previous, chosen
        latency = {
            d: average_wait(previous[d], c) if d in previous else None for d, c in chosen.items()
        }
        return diskstats_series(chosen, latency)
