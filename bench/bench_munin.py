"""Munin poll benchmark: a full poll as munin-update does it, against Debian's munin-node and
against ``rempart agent``'s munin-node server.

One poll = one TCP connection to 127.0.0.1: banner, ``cap multigraph dirtyconfig``, ``list``,
then ``config`` and ``fetch`` of every plugin (the fetch skipped when the config already
carried values under dirtyconfig), ``quit``. Plain blocking sockets (tests/munin_peers.py
``full_poll``); each command's round trip and the whole poll (connect to quit) are timed. Each
poll is repeated ``--runs`` times with a plain client and with a client that re-arms
``TCP_QUICKACK`` around every ``recv`` (munin-node 2.0 writes a reply's body and its final
``.`` in separate writes without TCP_NODELAY, so a plain client waits out Nagle against its own
delayed ACK, about 40 ms per command: note §6.2), alternating the two, after one warm-up poll.

Targets (at least one):
- ``--munin-node``: Debian's munin-node 2.0.73 started by the test harness
  (tests/munin_peers.py ``debian_munin_node``) on a free loopback port with the plugins of
  ``--plugins-dir`` (default Debian's ``/etc/munin/plugins``). RSS: the listener and each
  forked session child (VmRSS sampled every 20 ms during the polls, VmHWM), plugin processes
  apart.
- ``--rempart``: ``.venv/bin/rempart agent`` with a temporary configuration: firewall
  dry-run, no jails, state directory and control socket in a temp dir, ``[metrics.munin]``
  on a free port (``--rempart-plugins DIR`` also sets ``plugins = DIR``). RSS: the agent
  process (VmRSS sampled, VmHWM). Both are started
  by the harness (tests/munin_peers.py ``debian_munin_node``, ``rempart_agent_node``).

Results: a table and a JSON file (``--out``, default bench/out/munin-<time>.json) with, per
target and client mode, the poll wall time (median, p90, min, max), each command's median
round trip, config/fetch sums, RSS, and the munin-node/rempart ratio when both ran. Needs
root (munin-node switches plugin users), munin-node and munin-plugins-core.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))  # tests.munin_peers: the harness that starts munin-node
sys.path.insert(0, str(BENCH_DIR))  # proctree

from proctree import node_pids, rss_kib  # noqa: E402

from tests.munin_peers import (  # noqa: E402
    DEFAULT_PLUGINS,
    Poll,
    debian_munin_node,
    full_poll,
    rempart_agent_node,
)

__all__ = ["main", "parse_args", "percentile", "summarise"]

OUT_DIR = BENCH_DIR / "out"
MODES = ("plain", "quickack")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench_munin.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--munin-node", action="store_true", help="poll Debian's munin-node")
    p.add_argument("--rempart", action="store_true", help="poll rempart agent's munin server")
    p.add_argument("--runs", type=int, default=5, help="polls per target and client mode (5)")
    p.add_argument(
        "--plugins-dir",
        type=Path,
        default=DEFAULT_PLUGINS,
        help="munin-node's plugins (default /etc/munin/plugins)",
    )
    p.add_argument(
        "--rempart-plugins", type=Path, help="a Munin plugin directory the agent runs too"
    )
    p.add_argument(
        "--quickack",
        choices=("both", "off", "on"),
        default="both",
        help="client modes: plain, TCP_QUICKACK, or both alternated (default)",
    )
    p.add_argument("--out", type=Path, help="results JSON (default bench/out/munin-<time>.json)")
    p.add_argument("--quick", action="store_true", help="smoke run: 2 polls per mode")
    p.add_argument(
        "--no-dirtyconfig",
        action="store_true",
        help="announce only `cap multigraph`: every plugin configured AND fetched (munin-update "
        "2.0 announces dirtyconfig and skips the fetch of a config that carried values)",
    )
    args = p.parse_args(argv)
    if not (args.munin_node or args.rempart):
        args.munin_node = args.rempart = True
    if args.quick:
        args.runs = 2
    if args.runs < 1:
        p.error("--runs: at least 1")
    return args


# ----------------------------------------------------------------------------- statistics
def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def summarise(polls: Sequence[Poll]) -> dict[str, Any]:
    """Wall, connect, per-command medians and per-verb sums of a series of polls."""
    walls = [p.wall for p in polls]
    per_command: dict[str, list[float]] = {}
    for poll in polls:
        for command in poll.commands:
            per_command.setdefault(command.line, []).append(command.seconds)
    medians = {line: statistics.median(ts) for line, ts in per_command.items()}
    verbs: dict[str, float] = {}
    for line, median in medians.items():
        verb = line.split()[0]
        verbs[verb] = verbs.get(verb, 0.0) + median
    slowest = sorted(medians.items(), key=lambda kv: -kv[1])[:8]
    return {
        "polls": len(polls),
        "plugins": len(polls[0].plugins),
        "commands": len(polls[0].commands),
        "wall_ms": {
            "median": _ms(statistics.median(walls)),
            "p90": _ms(percentile(walls, 90)),
            "min": _ms(min(walls)),
            "max": _ms(max(walls)),
            "runs": [_ms(w) for w in walls],
        },
        "connect_banner_ms": _ms(statistics.median(p.connect for p in polls)),
        "sum_of_medians_ms": {verb: _ms(total) for verb, total in sorted(verbs.items())},
        "command_median_ms": {line: _ms(m) for line, m in medians.items()},
        "slowest_ms": {line: _ms(m) for line, m in slowest},
    }


# ----------------------------------------------------------------------------- RSS sampling
@dataclass
class RssSampler:
    """Samples a process tree's VmRSS every ``interval`` s in a thread, by role."""

    leader: int
    role: Any  # callable: pid -> "listener" | "session" | "plugin" | "agent" | …
    interval: float = 0.02
    peaks: dict[str, int] = field(default_factory=dict)  # KiB, max over samples per process
    tree_peak: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        total = 0
        for pid in node_pids(self.leader):
            rss, _ = rss_kib(pid)
            total += rss
            role = self.role(pid)
            self.peaks[role] = max(self.peaks.get(role, 0), rss)
        self.tree_peak = max(self.tree_peak, total)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)


# ----------------------------------------------------------------------------- targets
@dataclass
class Target:
    name: str
    host: str
    port: int
    banner: str
    leader: int
    role: Any
    extra: dict[str, Any] = field(default_factory=dict)

    def rss_now(self) -> dict[str, float]:
        rss, hwm = rss_kib(self.leader)
        return {"main_rss_mib": _mib(rss), "main_hwm_mib": _mib(hwm)}


@contextlib.contextmanager
def munin_node_target(work: Path, plugins_dir: Path) -> Iterator[Target]:
    t0 = time.perf_counter()
    with debian_munin_node(work, plugins_dir=plugins_dir) as node:
        start = time.perf_counter() - t0
        listener = node.process.pid

        def role(pid: int) -> str:
            # sessions are the listener's forked children, titled "munin-node [peer]"; the
            # plugins run below them
            if pid == listener:
                return "listener"
            return "session" if _parent(pid) == listener else "plugin"

        version = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", "munin-node"],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        yield Target(
            "munin-node",
            node.address,
            node.port,
            node.banner,
            listener,
            role,
            {
                "start_to_banner_s": round(start, 3),
                "version": version,
                "plugins_dir": str(plugins_dir),
            },
        )


@contextlib.contextmanager
def rempart_target(work: Path, plugins: Path | None) -> Iterator[Target]:
    t0 = time.perf_counter()
    with rempart_agent_node(
        work, plugins_dir=plugins, host_name="rempart-bench", log_level="warning"
    ) as node:
        start = time.perf_counter() - t0
        agent = node.process.pid
        yield Target(
            "rempart",
            node.address,
            node.port,
            node.banner,
            agent,
            lambda pid: "agent" if pid == agent else "plugin",
            {"start_to_banner_s": round(start, 3), "plugins_dir": str(plugins or "")},
        )


def measure(
    target: Target, runs: int, modes: Sequence[str], caps: str = "multigraph dirtyconfig"
) -> dict[str, Any]:
    """One warm-up poll, then ``runs`` polls per client mode, alternated, with RSS sampling."""
    full_poll(target.host, target.port, caps=caps)  # warm-up: plugin state files, caches
    polls: dict[str, list[Poll]] = {mode: [] for mode in modes}
    with RssSampler(target.leader, target.role) as sampler:
        for _ in range(runs):
            for mode in modes:
                polls[mode].append(
                    full_poll(target.host, target.port, quickack=mode == "quickack", caps=caps)
                )
        sampler.sample()
    result: dict[str, Any] = {
        "banner": target.banner,
        "caps": caps,
        "port": target.port,
        **target.extra,
        "rss": {
            **target.rss_now(),
            "peak_by_role_mib": {role: _mib(k) for role, k in sorted(sampler.peaks.items())},
            "tree_peak_mib": _mib(sampler.tree_peak),
        },
    }
    for mode in modes:
        result[mode] = summarise(polls[mode])
    return result


# ----------------------------------------------------------------------------- report
def _print(name: str, result: dict[str, Any], modes: Sequence[str]) -> None:
    print(f"\n== {name}: {result['banner']!r} on port {result['port']}")
    print(f"   start to banner {result.get('start_to_banner_s')} s; RSS {result['rss']}")
    for mode in modes:
        s = result[mode]
        w = s["wall_ms"]
        print(
            f"   {mode:<8} {s['plugins']} plugins, {s['commands']} commands: poll median "
            f"{w['median']:.1f} ms, p90 {w['p90']:.1f} ms (min {w['min']:.1f}, max "
            f"{w['max']:.1f}); sums {s['sum_of_medians_ms']}"
        )
        slow = ", ".join(f"{line} {ms:.1f}" for line, ms in list(s["slowest_ms"].items())[:5])
        print(f"            slowest (ms): {slow}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        print("bench_munin: SKIPPED, needs root (munin-node switches plugin users)")
        return 0
    modes = {"both": MODES, "off": ("plain",), "on": ("quickack",)}[args.quickack]
    report: dict[str, Any] = {
        "benchmark": "munin full poll (bench/bench_munin.py)",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "runs": args.runs,
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
        "targets": {},
    }
    caps = "multigraph" if args.no_dirtyconfig else "multigraph dirtyconfig"
    report["caps"] = caps
    with tempfile.TemporaryDirectory(prefix="rp-muninbench-") as tmp:
        work = Path(tmp)
        if args.munin_node:
            (work / "node").mkdir()
            with munin_node_target(work / "node", args.plugins_dir) as target:
                report["targets"]["munin-node"] = measure(target, args.runs, modes, caps)
            _print("munin-node", report["targets"]["munin-node"], modes)
        if args.rempart:
            (work / "rempart").mkdir()
            with rempart_target(work / "rempart", args.rempart_plugins) as target:
                report["targets"]["rempart"] = measure(target, args.runs, modes, caps)
            _print("rempart", report["targets"]["rempart"], modes)
    report["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    targets = report["targets"]
    if all("error" not in targets.get(t, {"error": 1}) for t in ("munin-node", "rempart")):
        report["ratio_munin_node_over_rempart"] = {
            mode: round(
                targets["munin-node"][mode]["wall_ms"]["median"]
                / targets["rempart"][mode]["wall_ms"]["median"],
                2,
            )
            for mode in modes
        }
        print(
            f"\nratio munin-node / rempart (poll median): {report['ratio_munin_node_over_rempart']}"
        )
    out = args.out or OUT_DIR / f"munin-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    socket.setdefaulttimeout(120)
    sys.exit(main())
