"""AbuseIPDB blocklist import: rempart against the cron-script way, in the same run.

A list of ``--addresses`` (500,000) distinct global addresses (``--v6-share`` of them
IPv6, the rest IPv4; seed 4) is served in plaintext by the fake AbuseIPDB server of the
tests (tests/fakes/abuseipdb.py, a real HTTP server on 127.0.0.1, chunked like the real
API). Each method then imports it into the nft sets of a fresh network namespace
(``rp-blbench-PID-N``; the host's firewall is never touched), once per ``--runs``:

- **rempart**: ``BlocklistService.refresh_now()`` in its own process: download through
  the AbuseIPDB client (streamed to a file), parse (every line validated, canonical,
  deduplicated, non-global and protected addresses removed), save the last good list
  (atomic, fsync), load both sets in ONE nft text transaction (flush + add) through
  libnftables in-process (``--runner nft-command``: through ``nft -f -``). The phases are
  timed from inside (download, parse+save, load); after the load, the calls the agent
  makes every minute (``elements()``) and at start (``check()``, ``setup()``) are timed
  with the full sets in place.
- **cron, one line per address**: what a cron script does: ``curl`` the list to a file,
  ``grep``/``sed`` it into ``flush set`` + one ``add element`` line per address, run
  ``nft -f`` on the file (run in the namespace with ``ip netns exec``).
- **cron, one statement**: the same, but ``paste -sd,`` joins each family into ONE
  ``add element`` statement (the fastest form a shell script can give nft).

Each method runs as a child of bench/spawn_measured.py: wall time, CPU time and peak RSS
(Linux ``ru_maxrss`` of the child tree: the largest process, e.g. ``nft``). rempart's
figure includes its interpreter and imports (about 35 MB, already there in the agent);
the RSS before and after the import is given apart. The element count of both sets is
checked after every import (outside the timings).

Results: a table, and JSON in ``--out`` (default bench/out/blocklist-<time>.json; the
issue 4 figures are in bench/results/blocklist-issue4.json). Needs root (namespaces),
nftables, libnftables1 and curl.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))  # tests.fakes: the fake AbuseIPDB server
sys.path.insert(0, str(BENCH_DIR))
from bench_netns import scratch_namespace  # noqa: E402

__all__ = ["CRON_SCRIPT", "generate", "main", "parse_args", "summarize"]

OUT_DIR = BENCH_DIR / "out"
SPAWN = BENCH_DIR / "spawn_measured.py"

#: the cron script: $1 URL, $2 key file, $3 limit, $4 work dir, $5 namespace, $6 "lines"|"one"
CRON_SCRIPT = r"""#!/bin/sh
set -eu
URL=$1 KEYFILE=$2 LIMIT=$3 DIR=$4 NS=$5 MODE=$6
curl -sSf --max-time 600 -G "${URL}blacklist" -d confidenceMinimum=100 -d "limit=$LIMIT" \
    -d plaintext -H "Key: $(cat "$KEYFILE")" -H "Accept: text/plain" -o "$DIR/list.txt"
{
    echo "flush set inet cron bl4"
    echo "flush set inet cron bl6"
    if [ "$MODE" = lines ]; then
        grep -v : "$DIR/list.txt" | sed 's/.*/add element inet cron bl4 { & }/'
        grep : "$DIR/list.txt" | sed 's/.*/add element inet cron bl6 { & }/'
    else
        printf 'add element inet cron bl4 { %s }\n' "$(grep -v : "$DIR/list.txt" | paste -sd, -)"
        printf 'add element inet cron bl6 { %s }\n' "$(grep : "$DIR/list.txt" | paste -sd, -)"
    fi
} > "$DIR/blocklist.nft"
ip netns exec "$NS" nft -f "$DIR/blocklist.nft"
"""

CRON_TABLE = """table inet cron {
    set bl4 { type ipv4_addr; }
    set bl6 { type ipv6_addr; }
    chain input {
        type filter hook input priority filter - 10; policy accept;
        ip saddr @bl4 counter drop
        ip6 saddr @bl6 counter drop
    }
}
"""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench_blocklist.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--addresses", type=int, default=500_000, help="list size (500,000)")
    p.add_argument("--v6-share", type=float, default=0.15, help="share of IPv6 (0.15)")
    p.add_argument("--runs", type=int, default=3, help="runs of each method (3)")
    p.add_argument("--quick", action="store_true", help="50,000 addresses, 1 run")
    p.add_argument("--out", type=Path, help="results JSON (default bench/out/…)")
    p.add_argument("--child", help=argparse.SUPPRESS)  # internal: the measured rempart run
    p.add_argument("--child-args", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.addresses, args.runs = 50_000, 1
    if not 0.0 <= args.v6_share <= 1.0:
        p.error("--v6-share: from 0 to 1")
    return args


def generate(n: int, v6_share: float, seed: int = 4) -> list[str]:
    """``n`` distinct global unicast addresses in canonical form, about ``v6_share`` IPv6."""
    from rempart.guard.blocklist import blockable

    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        if rng.random() < v6_share:
            address: IPv4Address | IPv6Address = IPv6Address((0x2 << 124) | rng.getrandbits(125))
        else:
            address = IPv4Address(rng.getrandbits(32))
        text = str(address)
        if blockable(address) and text not in seen:
            seen.add(text)
            out.append(text)
    return out


# ----------------------------------------------------------------------------- namespace
def nft(ns: str, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        ["ip", "netns", "exec", ns, "nft", *args],
        input=stdin,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout


def set_size(ns: str, table: str, name: str) -> int:
    doc = json.loads(nft(ns, "-j", "list", "set", "inet", table, name))
    (body,) = [item["set"] for item in doc["nftables"] if "set" in item]
    return len(body.get("elem", ()))


def _vm_rss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    out, todo = [], list(children.get(pid, []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


class TreeSampler:
    """The largest sum of VmRSS over a process's descendants, sampled every ``period`` s
    (what the whole job holds at once; a spike shorter than the period can be missed)."""

    def __init__(self, pid: int, period: float = 0.02) -> None:
        self.pid, self.period, self.peak_kb = pid, period, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = sum(_vm_rss_kb(p) for p in _descendants(self.pid))
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(self.period)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join(5)
        return round(self.peak_kb / 1024, 1)


def measured(command: list[str], timeout: float) -> dict[str, Any]:
    """``command`` run as a child of spawn_measured.py: wall, CPU, peak RSS of the largest
    process of the tree (``rss_mb``), sampled peak of the tree's sum (``tree_rss_mb``)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        result = Path(f.name)
    try:
        argv = [sys.executable, "-I", "-S", str(SPAWN), str(result), str(timeout), "--", *command]
        launcher = subprocess.Popen(argv)
        sampler = TreeSampler(launcher.pid)
        try:
            launcher.wait(timeout + 30)
        finally:
            tree = sampler.stop()
        out: dict[str, Any] = json.loads(result.read_text())
    finally:
        result.unlink(missing_ok=True)
    if out["returncode"] != 0:
        raise RuntimeError(f"{command[:3]}… exited {out['returncode']}")
    out["tree_rss_mb"] = tree
    return out


# ----------------------------------------------------------------------------- methods
def run_cron(url: str, key: str, n: int, mode: str, work: Path) -> dict[str, Any]:
    script = work / "cron.sh"
    script.write_text(CRON_SCRIPT)
    keyfile = work / "key"
    keyfile.write_text(key)
    keyfile.chmod(0o600)
    with scratch_namespace("rp-blbench") as ns:
        nft(ns, "-f", "-", stdin=CRON_TABLE)
        out = measured(["sh", str(script), url, str(keyfile), str(n), str(work), ns, mode], 900)
        out["sizes"] = [set_size(ns, "cron", "bl4"), set_size(ns, "cron", "bl6")]
        out["nft_file_mb"] = round((work / "blocklist.nft").stat().st_size / 2**20, 1)
    for name in ("list.txt", "blocklist.nft"):
        (work / name).unlink(missing_ok=True)
    return out


def run_rempart(url: str, key: str, n: int, runner: str, work: Path) -> dict[str, Any]:
    state = work / "state"
    report = work / "rempart.json"
    with scratch_namespace("rp-blbench") as ns:
        child = {"url": url, "key": key, "limit": n, "netns": ns, "state": str(state)}
        child |= {"runner": runner, "report": str(report)}
        argv = [sys.executable, str(Path(__file__).resolve()), "--child", "rempart"]
        out = measured([*argv, "--child-args", json.dumps(child)], 900)
        out |= json.loads(report.read_text())
        out["sizes"] = [
            set_size(ns, "rempart", "blocklist_v4"),
            set_size(ns, "rempart", "blocklist_v6"),
        ]
    shutil.rmtree(state, ignore_errors=True)
    report.unlink(missing_ok=True)
    return out


# ----------------------------------------------------------------------------- the child
def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        return round(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


class _Timed:
    """Wraps an object and adds the time spent in some of its methods to ``spent``."""

    def __init__(self, inner: Any, *names: str, spent: dict[str, float]) -> None:
        self._inner, self._names, self._spent = inner, names, spent

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in self._names:
            return attr
        if asyncio.iscoroutinefunction(attr):

            async def timed_async(*a: Any, **k: Any) -> Any:
                start = time.perf_counter()
                try:
                    return await attr(*a, **k)
                finally:
                    self._spent[name] = self._spent.get(name, 0.0) + time.perf_counter() - start

            return timed_async

        def timed(*a: Any, **k: Any) -> Any:
            start = time.perf_counter()
            try:
                return attr(*a, **k)
            finally:
                self._spent[name] = self._spent.get(name, 0.0) + time.perf_counter() - start

        return timed


def child_rempart(spec: dict[str, Any]) -> int:
    """The measured rempart import (run by spawn_measured.py); writes spec["report"]."""
    from rempart.adapters.abuseipdb.client import AbuseIPDBClient
    from rempart.adapters.firewall import LibNftables, NftablesFirewall, NftCommand
    from rempart.clock import SystemClock
    from rempart.config.abuseipdb import AbuseIPDBConfig, BlocklistConfig
    from rempart.guard.firewall import FirewallLayout, JailRule
    from rempart.services.blocklist import BlocklistService

    ns = spec["netns"]
    runner = (
        LibNftables(Path("/run/netns") / ns)
        if spec["runner"] == "libnftables"
        else NftCommand(["ip", "netns", "exec", ns, "nft"])
    )
    spent: dict[str, float] = {}
    firewall = NftablesFirewall(runner)
    layout = FirewallLayout((JailRule("sshd", ((22, 22),), "tcp"),), blocklist=True)
    firewall.setup(layout)
    config = AbuseIPDBConfig(enabled=True, blocklist=BlocklistConfig(limit=spec["limit"]))
    log = logging.getLogger("bench.blocklist")

    async def go() -> dict[str, Any]:
        client = AbuseIPDBClient(key=spec["key"], base_url=spec["url"], timeout=600)
        service = BlocklistService(
            config,
            _Timed(client, "blacklist", spent=spent),  # type: ignore[arg-type]
            _Timed(firewall, "replace_blocklist", spent=spent),  # type: ignore[arg-type]
            Path(spec["state"]),
            lambda: [],
            SystemClock(),
            log,
        )
        await service.start()
        rss_before = _rss_mb()
        start = time.perf_counter()
        result = await service.refresh_now()
        total = time.perf_counter() - start
        await client.aclose()
        if not result["done"]:
            raise RuntimeError(f"import failed: {result['status']['last_error']}")
        return {"total_s": total, "rss_before_mb": rss_before, "status": result["status"]}

    out = asyncio.run(go())
    out["rss_after_mb"] = _rss_mb()
    out["self_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["download_s"] = spent["blacklist"]
    out["load_s"] = spent["replace_blocklist"]
    out["parse_save_s"] = out["total_s"] - out["download_s"] - out["load_s"]
    costs = {}
    for name, call in (
        ("elements", lambda: firewall.elements(time.time())),
        ("check", firewall.check),
        ("setup", lambda: firewall.setup(layout)),
    ):
        start = time.perf_counter()
        call()
        costs[f"{name}_ms"] = round((time.perf_counter() - start) * 1000, 2)
    out["with_full_sets"] = costs
    firewall.close()
    Path(spec["report"]).write_text(json.dumps(out))
    return 0


# ----------------------------------------------------------------------------- report
METHODS = ("rempart", "rempart_nft_command", "cron_lines", "cron_one")
LABELS = {
    "rempart": "rempart, libnftables in-process",
    "rempart_nft_command": "rempart, nft -f - subprocess",
    "cron_lines": "cron: curl, sed: one add element per line, nft -f",
    "cron_one": "cron: curl, paste: one add element, nft -f",
}


def summarize(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Medians per method, and each cron method's ratio to rempart (time, peak RSS)."""
    out: dict[str, Any] = {}
    for method, results in runs.items():
        if not results:
            continue
        med = {
            key: round(statistics.median(r[key] for r in results), 3)
            for key in ("wall_s", "cpu_s", "rss_mb", "tree_rss_mb")
        }
        for key in ("total_s", "download_s", "parse_save_s", "load_s", "rss_after_mb"):
            if key in results[0]:
                med[key] = round(statistics.median(r[key] for r in results), 3)
        out[method] = med
    base = out.get("rempart")
    if base:
        for method in ("cron_lines", "cron_one", "rempart_nft_command"):
            if method in out:
                other = out[method]
                other["time_ratio_vs_rempart"] = round(import_time(other) / base["total_s"], 2)
                other["rss_ratio_vs_rempart"] = round(other["rss_mb"] / base["rss_mb"], 2)
                tree_ratio = other["tree_rss_mb"] / base["tree_rss_mb"]
                other["tree_rss_ratio_vs_rempart"] = round(tree_ratio, 2)
    return out


def import_time(median: dict[str, Any]) -> float:
    """rempart: the import inside the running process (no interpreter start); cron: the
    whole script."""
    return float(median.get("total_s", median["wall_s"]))


def report(results: dict[str, Any]) -> None:
    n = results["addresses"]
    print(f"\nAbuseIPDB blocklist import, {n:,} addresses, kernel {results['kernel']}")
    head = ("time s", "ratio", "peak MB", "ratio", "tree MB", "ratio")
    print(f"{'method':56}" + "".join(f"{h:>9}" for h in head))
    for method, med in results["summary"].items():
        cells = (
            import_time(med),
            med.get("time_ratio_vs_rempart", 1.0),
            med["rss_mb"],
            med.get("rss_ratio_vs_rempart", 1.0),
            med["tree_rss_mb"],
            med.get("tree_rss_ratio_vs_rempart", 1.0),
        )
        print(f"{LABELS[method]:56}" + "".join(f"{c:9.2f}" for c in cells))
    print("(ratio: the method's figure over rempart's; peak MB: largest process (ru_maxrss);")
    print(" tree MB: the most the job's processes held at once, sampled every 20 ms)")
    base = results["summary"].get("rempart")
    if base:
        print(
            f"rempart phases (median): download {base['download_s']:.2f} s, parse+save "
            f"{base['parse_save_s']:.2f} s, nft load {base['load_s']:.2f} s; RSS after "
            f"{base['rss_after_mb']:.0f} MB"
        )
        costs = results["runs"]["rempart"][-1]["with_full_sets"]
        print(f"with the full sets in place: {costs}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child == "rempart":
        return child_rempart(json.loads(args.child_args))
    if os.geteuid() != 0:
        print("bench_blocklist: SKIPPED, needs root (network namespaces)", file=sys.stderr)
        return 0
    from tests.fakes.abuseipdb import FakeAbuseIPDB

    addresses = generate(args.addresses, args.v6_share)
    limits = {"blacklist": 10_000, "report": 1000, "check": 1000, "bulk-report": 5}
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in METHODS}
    with (
        FakeAbuseIPDB(limits=limits, blacklist_addresses=addresses) as fake,
        tempfile.TemporaryDirectory(prefix="rp-blbench-") as tmp,
    ):
        work = Path(tmp)
        for run in range(args.runs):
            print(f"run {run + 1}/{args.runs}...", flush=True)
            runs["rempart"].append(
                run_rempart(fake.url, fake.key, len(addresses), "libnftables", work)
            )
            runs["rempart_nft_command"].append(
                run_rempart(fake.url, fake.key, len(addresses), "nft-command", work)
            )
            for mode in ("lines", "one"):
                runs[f"cron_{mode}"].append(
                    run_cron(fake.url, fake.key, len(addresses), mode, work)
                )
    v6 = sum(":" in a for a in addresses)
    expected = [len(addresses) - v6, v6]
    for method, results in runs.items():
        for result in results:
            if result["sizes"] != expected:
                raise RuntimeError(f"{method}: the sets hold {result['sizes']}, not {expected}")
    results = {
        "addresses": len(addresses),
        "v4": expected[0],
        "v6": expected[1],
        "runs_per_method": args.runs,
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "nft": nft_version(),
        "summary": summarize(runs),
        "runs": runs,
    }
    report(results)
    out = args.out or OUT_DIR / f"blocklist-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"\nraw results: {out}")
    return 0


def nft_version() -> str:
    nft_path = shutil.which("nft") or "/usr/sbin/nft"
    argv = [nft_path, "--version"]
    done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=10)
    return done.stdout.strip()


if __name__ == "__main__":
    raise SystemExit(main())
