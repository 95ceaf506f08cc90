"""Cost of one collect() of each system probe on this machine: median of N runs, in ms.

Run: ``.venv/bin/python bench/bench_probes_system.py [N]`` (N defaults to 1000).
"""

from __future__ import annotations

import statistics
import sys
import time

from rempart.probes.base import Probe
from rempart.probes.cpu import CpuProbe
from rempart.probes.df import DfProbe
from rempart.probes.diskstats import DiskstatsProbe
from rempart.probes.load import LoadProbe
from rempart.probes.memory import MemoryProbe
from rempart.probes.network import NetworkProbe
from rempart.probes.processes import ProcessesProbe
from rempart.probes.psi import PsiProbe
from rempart.probes.swap import SwapProbe
from rempart.probes.uptime import UptimeProbe

__all__ = ["main"]


def _median_ms(probe: Probe, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        probe.collect()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main(runs: int = 1000) -> None:
    probes: list[Probe] = [
        CpuProbe(), LoadProbe(), MemoryProbe(), SwapProbe(), PsiProbe(), DfProbe(),
        DiskstatsProbe(), NetworkProbe(), ProcessesProbe(), UptimeProbe(),
    ]  # fmt: skip
    total = 0.0
    for probe in probes:
        ms = _median_ms(probe, runs)
        total += ms
        print(f"{probe.name:<10} {ms:8.3f} ms")
    print(f"{'sum':<10} {total:8.3f} ms  (median of {runs} runs each)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
