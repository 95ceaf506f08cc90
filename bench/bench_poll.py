"""Poll-round benchmark: rempart's Poller over many simulated munin-nodes, and Munin's
munin-update over the same nodes.

Simulated nodes: ``--nodes`` loopback servers (one port each) speaking the munin-node
protocol, run by ``--procs`` child processes (so the client is what is measured), each serving
``--plugins`` plugins with the **real bodies Debian's munin-node 2.0.73 printed**
(tests/fixtures/munin/transcripts: config and fetch of cpu, load, df, if_eth0, diskstats…;
plugins repeat under new names to reach the count). Like munin-node 2.0 they write a reply's
body and its final ``.`` in two writes without TCP_NODELAY, so a client that delays its ACKs
waits for Nagle (note §6.2).

Measured (one round each, after a warm-up round):
- the Poller (``rempart.services.poller``) with TCP_QUICKACK re-armed (the default) and with
  it off: round wall time, nodes/s, commands/s, the client's peak RSS;
- ``--munin-update N`` (needs root and Debian's ``munin``): munin-update 2.0.73 on the first
  N nodes, two runs (the first creates the RRD files), against the Poller on the same N
  nodes: wall time per node and the ratio.

Results: a table on stdout and JSON in ``--out`` (default bench/results/poll-<time>.json).
Example: ``.venv/bin/python bench/bench_poll.py --nodes 1000 --plugins 30 --munin-update 100``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from rempart.clock import SystemClock  # noqa: E402
from rempart.config.server import NodeConfig  # noqa: E402
from rempart.services.poller import Poller  # noqa: E402
from tests.integration.munin_transcripts import all_bodies  # noqa: E402

HOST = "sim"  # the host name every simulated node advertises in its banner
Replies = dict[str, tuple[bytes, bytes]]  # command -> (body, final ".\n")


def plugin_bodies(count: int) -> Replies:
    """``count`` plugins' replies (``config NAME`` / ``fetch NAME``) from the recordings."""
    bodies = all_bodies()
    real = sorted(
        name
        for (name, dirty), out in bodies.config.items()
        if dirty
        and out.outcome == "ok"
        and not name.startswith("zz_")
        and bodies.fetch.get(name) is not None
        and bodies.fetch[name].outcome == "ok"
    )
    replies: Replies = {}
    names: list[str] = []
    for i in range(count):
        base = real[i % len(real)]
        name = base if i < len(real) else f"{base}_{i}"
        names.append(name)
        config = bodies.config[(base, True)].lines
        fetch = bodies.fetch[base].lines
        replies[f"config {name}"] = ("".join(f"{x}\n" for x in config).encode(), b".\n")
        replies[f"fetch {name}"] = ("".join(f"{x}\n" for x in fetch).encode(), b".\n")
    replies["list"] = ((" ".join(names) + "\n").encode(), b"")
    # munin-update (use_node_name yes) asks "list <the banner's host name>"
    replies[f"list {HOST}"] = replies["list"]
    replies["cap multigraph dirtyconfig"] = (b"cap multigraph dirtyconfig\n", b"")
    replies["version"] = (b"munins node on sim version: 2.0.73\n", b"")
    return replies


async def _session(
    replies: Replies, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    writer.write(f"# munin node at {HOST}\n".encode())
    try:
        while line := (await reader.readline()).strip().decode():
            if line == "quit" or line.startswith("."):
                break
            if line.startswith("list ") and line not in replies:
                body, end = b"\n", b""  # munin-node: another host's list is empty
            else:
                body, end = replies.get(line, (b"# Unknown service\n", b".\n"))
            writer.write(body)  # munin-node: the body, then "." in a write of its own
            await writer.drain()
            if end:
                await asyncio.sleep(0)
                writer.write(end)
    except ConnectionError:
        pass
    finally:
        writer.close()


async def _serve(count: int, replies: Replies, pipe: Connection) -> None:
    servers = [
        await asyncio.start_server(lambda r, w: _session(replies, r, w), "127.0.0.1", 0)
        for _ in range(count)
    ]
    pipe.send([s.sockets[0].getsockname()[1] for s in servers])
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # told to stop


def _child(count: int, plugins: int, pipe: Connection) -> None:
    asyncio.run(_serve(count, plugin_bodies(plugins), pipe))


def start_nodes(
    nodes: int, plugins: int, procs: int
) -> tuple[list[int], list[tuple[Any, Connection]]]:
    """Child processes serving ``nodes`` simulated nodes; their ports, and handles to stop."""
    ctx = multiprocessing.get_context("fork")
    ports: list[int] = []
    children = []
    share = [nodes // procs + (1 if i < nodes % procs else 0) for i in range(procs)]
    for count in share:
        mine, theirs = ctx.Pipe()
        process = ctx.Process(target=_child, args=(count, plugins, theirs), daemon=True)
        process.start()
        children.append((process, mine))
    for _, pipe in children:
        ports += pipe.recv()
    return ports, children


def stop_nodes(children: Sequence[tuple[Any, Connection]]) -> None:
    for process, pipe in children:
        pipe.send("stop")
        process.join(10)
        if process.is_alive():
            process.kill()


def poll_round(
    ports: Sequence[int], *, quickack: bool, concurrency: int, timeout: float
) -> dict[str, Any]:
    nodes = [NodeConfig(f"sim{i}", "bench", "127.0.0.1", p) for i, p in enumerate(ports)]
    poller = Poller(
        nodes,
        timeout=timeout,
        concurrency=concurrency,
        clock=SystemClock(),
        log=logging.getLogger("bench.poll"),
        quickack=quickack,
    )
    asyncio.run(poller.poll_round(0))  # warm-up (and rates' first readings)
    started = time.perf_counter()
    rounds = asyncio.run(poller.poll_round(300))
    wall = time.perf_counter() - started
    commands = sum(r.commands for r in rounds)
    ok = sum(1 for r in rounds if r.ok)
    values = sum(len(r.values) for r in rounds)
    return {
        "quickack": quickack,
        "nodes": len(nodes),
        "ok": ok,
        "failed": [r.error for r in rounds if not r.ok][:5],
        "wall_s": round(wall, 3),
        "nodes_per_s": round(len(nodes) / wall, 1),
        "commands": commands,
        "commands_per_s": round(commands / wall, 1),
        "values": values,
        "node_duration_median_s": round(sorted(r.duration for r in rounds)[len(rounds) // 2], 4),
        "client_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def munin_update_runs(ports: Sequence[int], runs: int = 2) -> list[dict[str, Any]]:
    from tests.munin_peers import MuninNode, munin_update

    nodes = [MuninNode("bench", f"sim{i}", "127.0.0.1", p) for i, p in enumerate(ports)]
    out = []
    with tempfile.TemporaryDirectory(prefix="rempart-bench-poll-") as tmp:
        for run in range(runs):
            result = munin_update(Path(tmp), nodes, timeout=3600, debug=False)
            out.append(
                {
                    "run": run + 1,
                    "nodes": len(nodes),
                    "returncode": result.returncode,
                    "wall_s": round(result.wall, 3),
                    "per_node_s": round(result.wall / len(nodes), 4),
                    "rrd_files": len(result.files),
                }
            )
    return out


def compare_munin_update(ports: Sequence[int], concurrency: int) -> dict[str, Any]:
    """rempart's round and munin-update's (2 runs: the first creates the RRDs, the second is
    the steady state) over the same nodes; the ratio only when munin-update stored every value
    rempart read (one RRD file per field and node)."""
    ours = poll_round(ports, quickack=True, concurrency=concurrency, timeout=60)
    theirs = munin_update_runs(ports)
    expected = ours["values"]  # one RRD file per value of a round, as munin-update stores them
    steady = theirs[-1]
    valid = all(r["rrd_files"] == expected and r["returncode"] == 0 for r in theirs)
    return {
        "rempart": ours,
        "munin_update": theirs,
        "rrd_files_expected": expected,
        "valid": valid,
        # munin-update's steady-state run over rempart's measured round (after a warm-up)
        "per_node_ratio": round(steady["wall_s"] / ours["wall_s"], 1) if valid else None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nodes", type=int, default=1000)
    p.add_argument("--plugins", type=int, default=30)
    p.add_argument("--procs", type=int, default=max(2, (os.cpu_count() or 2)))
    p.add_argument("--concurrency", type=int, default=200)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--munin-update", type=int, default=0, metavar="N")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    ports, children = start_nodes(args.nodes, args.plugins, args.procs)
    try:
        with_qa = poll_round(
            ports, quickack=True, concurrency=args.concurrency, timeout=args.timeout
        )
        without = poll_round(
            ports, quickack=False, concurrency=args.concurrency, timeout=args.timeout
        )
        subset: dict[str, Any] = {}
        if args.munin_update:
            subset = compare_munin_update(ports[: args.munin_update], args.concurrency)
    finally:
        stop_nodes(children)
    result = {
        "bench": "poll",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "setup": vars(args) | {"out": str(args.out or "")},
        "quickack_on": with_qa,
        "quickack_off": without,
        "quickack_off_over_on": round(without["wall_s"] / with_qa["wall_s"], 2),
        "subset": subset,
    }
    _print(result)
    out = args.out or BENCH_DIR / "results" / f"poll-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"-> {out}")
    return 0


def _print(result: dict[str, Any]) -> None:
    for key in ("quickack_on", "quickack_off"):
        r = result[key]
        print(
            f"{key:13} {r['nodes']} nodes ({r['ok']} ok) in {r['wall_s']} s: "
            f"{r['nodes_per_s']} nodes/s, {r['commands_per_s']} commands/s, "
            f"client peak RSS {r['client_peak_rss_mib']} MiB"
        )
    print(f"quickack off / on: {result['quickack_off_over_on']}")
    if result["subset"]:
        s = result["subset"]
        print(f"subset: rempart {s['rempart']['wall_s']} s for {s['rempart']['nodes']} nodes")
        for run in s["munin_update"]:
            print(
                f"  munin-update run {run['run']}: {run['wall_s']} s (rc {run['returncode']}, "
                f"{run['rrd_files']}/{s['rrd_files_expected']} RRD files)"
            )
        print(f"  munin-update / rempart: {s['per_node_ratio']} (valid: {s['valid']})")


if __name__ == "__main__":
    raise SystemExit(main())
