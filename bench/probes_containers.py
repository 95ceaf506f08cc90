"""Cost of one ``ContainersProbe.collect()`` on fixture hosts with 0 and N Docker containers.

Each container has a cgroup (cpu.stat, memory.current, cgroup.procs), a process with its own
network namespace and /proc/<pid>/net/dev, and a veth paired with the host. The trees are
written by tests/fixtures/probes/containers/make_tree.py into a temporary directory (tmpfs
or page cache: this is the CPU cost of the probe, as on a real /proc and /sys).
The API names are switched off here (their answer is cached 60 s; see the tests).

    .venv/bin/python bench/probes_containers.py [--containers 50] [--runs 300]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from rempart.probes.containers import ContainersProbe

__all__ = ["main", "measure"]

MAKE_TREE = Path(__file__).resolve().parent.parent / "tests/fixtures/probes/containers/make_tree.py"


def _make_tree() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_tree", MAKE_TREE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_tree"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def measure(count: int, runs: int) -> tuple[float, float, float, int]:
    """(median ms, min ms, first-collection ms, series) for a host with ``count`` containers."""
    tree = _make_tree()
    boxes = tuple(
        tree.Box(
            f"system.slice/docker-{i:064x}.scope",
            10_000 + i,
            f"net:[{4026540000 + i}]",
            rx=i * 1000,
            tx=i * 500,
            usage_usec=i * 10_000,
            memory=i << 20,
            host_veth=(f"veth{i:07x}", 100 + i),
        )
        for i in range(count)
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        tree.write_host(root)
        for box in boxes:
            tree.write_box(root, box)
        probe = ContainersProbe(root=root, docker_socket=None, podman_socket=None)
        started = time.perf_counter()
        series = probe.collect()
        first = time.perf_counter() - started
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            probe.collect()
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, min(times) * 1000, first * 1000, len(series)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, default=50)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    for count in (0, args.containers):
        median, least, first, series = measure(count, args.runs)
        print(
            f"containers={count:4d}  collect median {median:7.3f} ms  min {least:7.3f} ms  "
            f"first (veth pairing) {first:7.3f} ms  series={series}"
        )


if __name__ == "__main__":
    main()
