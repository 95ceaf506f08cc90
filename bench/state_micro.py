"""Micro-benchmark of the state database (rempart.store): the agent's bulk paths.

Builds a state file in a temporary directory with ``--bans`` bans (80 % IPv4 /32, 20 %
IPv6 /64, like the replay generator's mix; five evidence lines each), then measures
``BanStore.add_many`` (one transaction), ``BanStore.active`` (what the agent restores at
start: with the interpreter's default garbage collector and inside
:func:`rempart.services.gctune.gc_tuned`, as the agent runs; and with the evidence
decoded), ``history`` and ``lift`` of one address, and ``WindowStore`` save and load of
``--windows`` failure windows. Best of ``--repeat`` runs.

    .venv/bin/python bench/state_micro.py [--bans N] [--windows N] [--repeat R] [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address, ip_network
from pathlib import Path
from typing import Any

from rempart.addresses import Address, ban_target
from rempart.model import Ban, WindowSnapshot
from rempart.services.gctune import gc_tuned
from rempart.store.bans import BanStore
from rempart.store.db import Database
from rempart.store.windows import WindowStore

T0 = 1_795_000_000.0


def _address(i: int) -> Address:
    if i % 5 == 4:
        return IPv6Address((0x20010DB8 << 96) | (i << 64) | 1)
    return IPv4Address(0x0A000000 + i)


def _bans(n: int) -> list[Ban]:
    out = []
    for i in range(n):
        address = _address(i)
        evidence = tuple(
            f"2026-11-21T09:43:1{k}.619763+00:00 web1 sshd[{1000 + i}]: Failed password for "
            f"invalid user admin from {address} port {40000 + k} ssh2"
            for k in range(5)
        )
        start = T0 + i * 0.01
        out.append(
            Ban("sshd", ban_target(address, 64), address, start, start + 3600, 1, 5, evidence)
        )
    return out


def _best(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000, result


def run(bans: int, windows: int, repeat: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, Database.open(Path(tmp) / "state.db") as db:
        store = BanStore(db)
        batch = _bans(bans)
        out["add_many_ms"], _ = _best(1, lambda: store.add_many(batch))
        now = T0 + bans * 0.01
        out["active_ms"], found = _best(repeat, lambda: store.active(now))
        assert len(found) == bans, len(found)
        with gc_tuned():
            out["active_gc_tuned_ms"], _ = _best(repeat, lambda: store.active(now))
        out["active_evidence_ms"], _ = _best(repeat, lambda: store.active(now, evidence=True))
        probe = _address(bans // 2)
        out["history_ms"], _ = _best(repeat, lambda: store.history(probe))
        target = ip_network(f"{probe}/{probe.max_prefixlen}")
        out["lift_ms"], lifted = _best(1, lambda: store.lift(target, jail=None, at=now, by="x"))
        assert len(lifted) == 1
        snaps = [
            WindowSnapshot(ban_target(_address(i), 64), (T0, T0 + 1, T0 + 2), ("a", "b", "c"))
            for i in range(windows)
        ]
        windows_store = WindowStore(db)
        out["windows_save_ms"], _ = _best(repeat, lambda: windows_store.save("sshd", snaps))
        out["windows_load_ms"], loaded = _best(repeat, lambda: windows_store.load("sshd"))
        assert len(loaded) == windows
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bans", type=int, default=20_000, help="bans in the database")
    p.add_argument("--windows", type=int, default=10_000, help="failure windows saved")
    p.add_argument("--repeat", type=int, default=5, help="runs per measurement (best kept)")
    p.add_argument("--json", action="store_true", help="print JSON")
    args = p.parse_args()
    results = run(args.bans, args.windows, args.repeat)
    if args.json:
        print(json.dumps(results))
        return
    print(f"state database: {args.bans:,} bans, {args.windows:,} windows, best of {args.repeat}")
    for name, ms in results.items():
        print(f"  {name:<22} {ms:9.1f} ms")


if __name__ == "__main__":
    main()
