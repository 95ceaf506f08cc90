"""Runs every benchmark (what ``make bench`` runs). ``--quick``: a 100k-line smoke run.

Each benchmark is a script in bench/; ``--quick`` shrinks each one through its own size
options. Results are printed, and the replay benchmark's go to ``bench/out/`` (git-ignored).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["BENCHMARKS", "main", "parse_args", "plan"]

BENCH_DIR = Path(__file__).resolve().parent
QUICK_LINES = 100_000
FULL_LINES = 1_000_000

# name, script, whether it must exist (the others run once their owners have added them),
# extra arguments for --quick (the full run uses each script's own defaults)
BENCHMARKS: tuple[tuple[str, str, bool, tuple[str, ...]], ...] = (
    ("replay", "bench_replay.py", True, ()),
    ("sources", "bench_sources.py", False, ("--lines", "100000", "--samples", "100")),
    ("filters_micro", "filters_micro.py", False, ("--lines", "20000", "--repeat", "1")),
    ("matcher_micro", "matcher_micro.py", False, ("--lines", "30000", "--runs", "1")),
    ("dates_micro", "dates_micro.py", False, ("--lines", "20000", "--repeat", "1")),
    (
        "state_micro",
        "state_micro.py",
        False,
        ("--bans", "5000", "--windows", "2000", "--repeat", "1"),
    ),
    (
        "firewall",
        "bench_firewall.py",
        False,
        ("--bans", "2000", "--singles", "100", "--per-process", "50"),
    ),
    # live agents in a network namespace (root): fail2ban-server against rempart agent
    ("agent", "bench_agent.py", False, ("--quick",)),
    # AbuseIPDB blocklist import into nft sets (root): rempart against the cron-script way
    ("blocklist", "bench_blocklist.py", False, ("--quick",)),
    # the supervision server's alerter: one evaluation per round over many nodes
    ("alerts", "bench_alerts.py", False, ("--nodes", "100", "--rounds", "3")),
    # a full munin-update-style poll (root): Debian's munin-node against rempart agent
    ("munin", "bench_munin.py", False, ("--quick",)),
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="run_all.py", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--quick", action="store_true", help=f"smoke run: {QUICK_LINES:,} lines, fewer runs"
    )
    p.add_argument("--only", action="append", metavar="NAME", help="run only this benchmark")
    p.add_argument("--runs", type=int, help="runs per measurement (default 3, quick 1)")
    args = p.parse_args(argv)
    args.lines = QUICK_LINES if args.quick else FULL_LINES
    if args.runs is None:
        args.runs = 1 if args.quick else 3
    known = {name for name, *_ in BENCHMARKS}
    for name in args.only or ():
        if name not in known:
            p.error(f"unknown benchmark {name!r} (known: {', '.join(sorted(known))})")
    return args


def plan(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    """The command line of every benchmark to run."""
    out = []
    for name, script, required, quick in BENCHMARKS:
        path = BENCH_DIR / script
        if args.only and name not in args.only:
            continue
        if not path.exists():
            if required:
                raise SystemExit(f"run_all: {path} is missing")
            continue
        if name == "replay":
            extra = ["--lines", str(args.lines), "--runs", str(args.runs)]
        else:
            extra = list(quick) if args.quick else []
        out.append((name, [sys.executable, str(path), *extra]))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    failed = []
    for name, command in plan(args):
        print(f"\n### {name}: {' '.join(command)}", flush=True)
        start = time.perf_counter()
        rc = subprocess.run(command, check=False, timeout=4 * 3600).returncode
        print(f"### {name}: exit {rc} after {time.perf_counter() - start:.0f} s", flush=True)
        if rc != 0:
            failed.append(name)
    if failed:
        print(f"run_all: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
