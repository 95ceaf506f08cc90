"""nftables backend: restoring 20,000 bans, restart reconcile, single-ban latency, and
the fail2ban way (one ``nft`` process per ban).

Everything runs in a fresh network namespace (``rp-fwbench-PID``) made and deleted here:
the host's firewall is never touched. Needs root, nftables and libnftables1.

(a) ``setup`` + restoring N bans from an empty kernel in one batch (elements, reconcile,
    apply), for LibNftables (in-process) and NftCommand (``nft -j -f -``);
(b) a restart: reconcile against a kernel that already holds the same N bans (no op
    expected), and with 1,000 of them differing;
(c) single-ban latency: ``apply([AddElement])`` one at a time, p50/p99, per runner;
(d) one ``nft add element`` process per ban, as fail2ban's nftables actions do
    (``--per-process`` measured, extrapolated to N);
(e) ``--fail2ban``: Debian's fail2ban-server (extracted, never installed) restoring
    ``--f2b-bans`` bans from its database with its ``nftables-multiport`` action, inside
    the namespace; extrapolated to N (said so in the output).

Results are printed and written as JSON to ``bench/out/firewall-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from rempart.adapters.firewall import LibNftables, NftablesFirewall, NftCommand, NftRunner
from rempart.guard.firewall import AddElement, Element, FirewallLayout, JailRule, reconcile

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))  # bench_replay (Debian's fail2ban, fetched once)
from bench_netns import scratch_namespace  # noqa: E402

OUT_DIR = BENCH_DIR / "out"
LAYOUT = FirewallLayout((JailRule("sshd", ((22, 22), (2200, 2222)), "tcp"),))
BASE = int(IPv4Network("198.18.0.0/15").network_address)  # benchmark addresses (RFC 2544)
SYSTEM_PYTHON = "/usr/bin/python3"


# ----------------------------------------------------------------------------- namespace
def nft(ns: str, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        ["ip", "netns", "exec", ns, "nft", *args],
        input=stdin,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout


def runners(ns: str) -> dict[str, Callable[[], NftRunner]]:
    return {
        "libnftables": lambda: LibNftables(Path("/run/netns") / ns),
        # nsenter: only the network namespace (ip netns exec also makes a mount namespace
        # and remounts /sys, ~14 ms per call that production, running nft directly, lacks)
        "nft-command": lambda: NftCommand(("nsenter", f"--net=/run/netns/{ns}", "nft")),
    }


def wanted(n: int, now: float, offset: int = 0) -> list[Element]:
    return [Element("sshd", IPv4Network(BASE + offset + i), now + 3600 + i % 900) for i in range(n)]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


# ----------------------------------------------------------------------------- (a) (b) (c)
def restore_and_restart(ns: str, make: Callable[[], NftRunner], n: int) -> dict[str, Any]:
    nft(ns, "flush", "ruleset")
    fw = NftablesFirewall(make())
    try:
        out: dict[str, Any] = {}
        now = time.time()
        out["setup_s"], _ = timed(lambda: fw.setup(LAYOUT))
        want = wanted(n, now)
        t_list, actual = timed(lambda: fw.elements(now))
        t_plan, ops = timed(lambda: reconcile(want, actual))
        t_apply, _ = timed(lambda: fw.apply(ops, now))
        out["restore"] = {
            "n": n,
            "ops": len(ops),
            "elements_s": t_list,
            "reconcile_s": t_plan,
            "apply_s": t_apply,
            "total_s": t_list + t_plan + t_apply,
        }
        # (b) restart: same bans already in the kernel
        t_setup, _ = timed(lambda: fw.setup(LAYOUT))
        t_list, actual = timed(lambda: fw.elements(time.time()))
        t_plan, ops = timed(lambda: reconcile(want, actual))
        out["restart_same"] = {
            "setup_s": t_setup,
            "elements_s": t_list,
            "reconcile_s": t_plan,
            "ops": len(ops),
            "kernel_elements": len(actual),
            "total_s": t_setup + t_list + t_plan,
        }
        changed = want[500:] + wanted(500, now, offset=n + 10_000)
        t_list, actual = timed(lambda: fw.elements(time.time()))
        t_plan, ops = timed(lambda: reconcile(changed, actual))
        t_apply, _ = timed(lambda: fw.apply(ops, time.time()))
        check = len(reconcile(changed, fw.elements(time.time())))
        out["restart_1000_differ"] = {
            "elements_s": t_list,
            "reconcile_s": t_plan,
            "apply_s": t_apply,
            "ops": len(ops),
            "ops_left_after": check,
            "total_s": t_list + t_plan + t_apply,
        }
        return out
    finally:
        fw.close()


def single_latency(ns: str, make: Callable[[], NftRunner], count: int) -> dict[str, Any]:
    nft(ns, "flush", "ruleset")
    fw = NftablesFirewall(make())
    try:
        fw.setup(LAYOUT)
        now = time.time()
        fw.apply([AddElement(e) for e in wanted(20_000, now)], now)  # a realistic set size
        times = []
        for element in wanted(count, now, offset=50_000):
            start = time.perf_counter()
            fw.apply([AddElement(element)], time.time())
            times.append(time.perf_counter() - start)
        return percentiles(times)
    finally:
        fw.close()


def percentiles(times: Sequence[float]) -> dict[str, Any]:
    ordered = sorted(times)
    q = statistics.quantiles(ordered, n=100)
    return {
        "n": len(ordered),
        "p50_ms": q[49] * 1e3,
        "p99_ms": q[98] * 1e3,
        "mean_ms": statistics.fmean(ordered) * 1e3,
        "max_ms": ordered[-1] * 1e3,
    }


# ----------------------------------------------------------------------------- (d)
PER_PROCESS = """
import subprocess, sys, time
n = int(sys.argv[1])
times = []
for i in range(n):
    ip = "198.19.%d.%d" % (i // 250, i % 250 + 1)
    start = time.perf_counter()
    subprocess.run(["nft", "add", "element", "inet", "f2b-table", "addr-set-sshd",
                    "{ %s timeout 3600s }" % ip], check=True)
    times.append(time.perf_counter() - start)
print(sum(times))
"""


def per_process(ns: str, count: int, n: int) -> dict[str, Any]:
    nft(ns, "flush", "ruleset")
    nft(ns, "add", "table", "inet", "f2b-table")
    nft(
        ns, "add", "set", "inet", "f2b-table", "addr-set-sshd", "{ type ipv4_addr; flags timeout; }"
    )
    fw = NftablesFirewall(NftCommand(("ip", "netns", "exec", ns, "nft")))
    elems = ",".join(str(IPv4Network(BASE + i).network_address) for i in range(n))
    nft(ns, "-f", "-", stdin=f"add element inet f2b-table addr-set-sshd {{ {elems} }}\n")
    fw.close()
    total = float(
        subprocess.run(
            ["ip", "netns", "exec", ns, sys.executable, "-c", PER_PROCESS, str(count)],
            check=True,
            capture_output=True,
            text=True,
            timeout=3600,
        ).stdout
    )
    return {
        "measured": count,
        "measured_s": total,
        "per_ban_ms": total / count * 1e3,
        "extrapolated_n": n,
        "extrapolated_s": total / count * n,
        "note": "set already holding N elements; extrapolated linearly",
    }


# ----------------------------------------------------------------------------- (e)
JAIL_LOCAL = """
[DEFAULT]
banaction = nftables-multiport
banaction_allports = nftables-allports
bantime = 1d
[sshd]
enabled = true
port = 22,2222
backend = polling
logpath = {log}
"""
F2B_LOCAL = """
[Definition]
logtarget = {work}/fail2ban.log
socket = {work}/fail2ban.sock
pidfile = {work}/fail2ban.pid
dbfile = {work}/fail2ban.sqlite3
"""


def _f2b_db(db: Path, bans: int, now: float) -> None:
    """Bans as fail2ban 1.0.2 stores them (its own schema, created by a first start)."""
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO bans(jail, ip, timeofban, bantime, bancount, data) "
            "VALUES ('sshd', ?, ?, 86400, 1, '{}')",
            [(f"198.18.{i // 250}.{i % 250 + 1}", int(now) - 60) for i in range(bans)],
        )
        conn.execute(
            "INSERT OR REPLACE INTO bips(ip, jail, timeofban, bantime, bancount, data) "
            "SELECT ip, jail, timeofban, bantime, bancount, data FROM bans"
        )


def _set_count(ns: str) -> int:
    try:
        data = json.loads(nft(ns, "-j", "list", "set", "inet", "f2b-table", "addr-set-sshd"))
    except subprocess.CalledProcessError:
        return 0
    return sum(len(item["set"].get("elem", ())) for item in data["nftables"] if "set" in item)


def _f2b_start(ns: str, root: Path, conf: Path, work: Path) -> subprocess.Popen[bytes]:
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "PYTHONPATH": str(root / "usr/lib/python3/dist-packages"),
        "LANG": "C.UTF-8",
    }
    argv = [
        "ip",
        "netns",
        "exec",
        ns,
        SYSTEM_PYTHON,
        str(root / "usr/bin/fail2ban-server"),
        "-f",
        "-x",
        "-c",
        str(conf),
        "-s",
        str(work / "fail2ban.sock"),
        "-p",
        str(work / "fail2ban.pid"),
    ]
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _f2b_stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def fail2ban_restore(ns: str, bans: int, n: int) -> dict[str, Any]:
    from bench_replay import fetch_fail2ban

    f2b = fetch_fail2ban()
    with tempfile.TemporaryDirectory(prefix="rp-f2b-bench-") as tmp:
        work = Path(tmp)
        conf = work / "conf"
        shutil.copytree(f2b.root / "etc/fail2ban", conf)
        (work / "auth.log").write_text("")
        (conf / "jail.local").write_text(JAIL_LOCAL.format(log=work / "auth.log"))
        (conf / "fail2ban.local").write_text(F2B_LOCAL.format(work=work))
        nft(ns, "flush", "ruleset")
        first = _f2b_start(ns, f2b.root, conf, work)  # creates the database
        deadline = time.time() + 60
        while not (work / "fail2ban.sqlite3").exists() and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(2)
        _f2b_stop(first)
        _f2b_db(work / "fail2ban.sqlite3", bans, time.time())
        nft(ns, "flush", "ruleset")
        start = time.perf_counter()
        server = _f2b_start(ns, f2b.root, conf, work)
        try:
            count, deadline = 0, time.time() + 3600
            while count < bans and time.time() < deadline and server.poll() is None:
                time.sleep(0.25)
                count = _set_count(ns)
            elapsed = time.perf_counter() - start
        finally:
            _f2b_stop(server)
    return {
        "version": f2b.version,
        "bans": bans,
        "restored": count,
        "seconds": elapsed,
        "per_ban_ms": elapsed / max(count, 1) * 1e3,
        "extrapolated_n": n,
        "extrapolated_s": elapsed / max(count, 1) * n,
        "note": "fail2ban-server start to the last ban in nftables; EXTRAPOLATED linearly "
        "from the measured count (polled every 0.25 s)",
    }


# ----------------------------------------------------------------------------- main
def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench_firewall.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--bans", type=int, default=20_000, help="bans to restore (default 20000)")
    p.add_argument("--singles", type=int, default=1000, help="single bans timed (default 1000)")
    p.add_argument("--per-process", type=int, default=500, help="nft processes timed (500)")
    p.add_argument("--fail2ban", action="store_true", help="also run Debian's fail2ban-server")
    p.add_argument("--f2b-bans", type=int, default=500, help="bans fail2ban restores (500)")
    p.add_argument("--out", type=Path, default=None, help="JSON results (default bench/out/)")
    return p.parse_args(argv)


def report(results: dict[str, Any]) -> None:
    n = results["bans"]
    print(f"\nnftables backend, {n:,} bans, kernel {platform.release()}")
    print(f"{'measure':58} {'libnftables':>12} {'nft command':>12}")
    rows = [
        ("setup (table, sets, chains) s", lambda r: r["setup_s"]),
        (f"(a) restore {n:,} from empty, one batch: s", lambda r: r["restore"]["total_s"]),
        ("    of which apply s", lambda r: r["restore"]["apply_s"]),
        (f"(b) restart, kernel holds the same {n:,}: s", lambda r: r["restart_same"]["total_s"]),
        ("    ops", lambda r: r["restart_same"]["ops"]),
        ("(b) restart, 1,000 differ: s", lambda r: r["restart_1000_differ"]["total_s"]),
        ("    ops", lambda r: r["restart_1000_differ"]["ops"]),
    ]
    for label, get in rows:
        values = [get(results["runners"][k]) for k in ("libnftables", "nft-command")]
        print(
            f"{label:58} "
            + " ".join(f"{v:>12.3f}" if isinstance(v, float) else f"{v:>12}" for v in values)
        )
    for key in ("p50_ms", "p99_ms"):
        values = [results["single"][k][key] for k in ("libnftables", "nft-command")]
        print(f"{'(c) single ban ' + key:58} " + " ".join(f"{v:>12.3f}" for v in values))
    d = results["per_process"]
    print(
        f"(d) one nft process per ban: {d['per_ban_ms']:.2f} ms/ban, {d['measured']} measured, "
        f"{n:,} extrapolated: {d['extrapolated_s']:.1f} s"
    )
    e = results.get("fail2ban")
    if e:
        print(
            f"(e) fail2ban-server {e['version']} restoring {e['restored']}/{e['bans']} bans: "
            f"{e['seconds']:.1f} s ({e['per_ban_ms']:.1f} ms/ban); EXTRAPOLATED to {n:,}: "
            f"{e['extrapolated_s'] / 60:.1f} min"
        )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        print("bench_firewall: SKIPPED, needs root (network namespaces)", file=sys.stderr)
        return 0
    results: dict[str, Any] = {
        "bans": args.bans,
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "runners": {},
        "single": {},
    }
    with scratch_namespace("rp-fwbench") as ns:
        # warm-up, not reported: the first 20k-element batch in a fresh namespace is
        # several times slower than the next ones, whichever runner sends it
        restore_and_restart(ns, runners(ns)["nft-command"], args.bans)
        for name, make in runners(ns).items():
            print(f"(a)(b) {name}...", flush=True)
            results["runners"][name] = restore_and_restart(ns, make, args.bans)
            print(f"(c) {name}...", flush=True)
            results["single"][name] = single_latency(ns, make, args.singles)
        print("(d) one nft process per ban...", flush=True)
        results["per_process"] = per_process(ns, args.per_process, args.bans)
        if args.fail2ban:
            print("(e) fail2ban-server...", flush=True)
            results["fail2ban"] = fail2ban_restore(ns, args.f2b_bans, args.bans)
    report(results)
    out = args.out or OUT_DIR / f"firewall-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"\nraw results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
