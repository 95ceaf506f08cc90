"""Benchmark of the alerter: one evaluation per poll round over many nodes.

Builds ``--nodes`` nodes in two groups, each answering ``--graphs`` graphs of ``--fields``
fields with Munin ranges (plus a ``df`` graph of 5 filesystems for the disk-full forecast,
read from a full day of history in an in-memory metrics store), and runs ``--rounds``
rounds through :class:`rempart.services.alerter.Alerter` with the real SQLite alert store.
About ``--bad`` of the values (0.2 % by default) are out of range each round and 1 % of the
nodes are down, so the machine has pending, firing and resolving alerts to move. Reports the
median and worst time of ``evaluate`` per round, observations per second, and alerts saved.
The metrics store is the protocol in memory (tests/fakes/metrics_store.py): the SQLite
store's read time is that store's own benchmark (bench/bench_store.py).

    .venv/bin/python bench/bench_alerts.py [--nodes 1000] [--graphs 30] [--fields 4]
        [--rounds 12] [--bad 0.002] [--json] [--out bench/results/alerts-TIME.json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import MappingProxyType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rempart.config.server import AlertsConfig, IncidentConfig
from rempart.metrics.model import Field, Graph
from rempart.metrics.series import STEP, NodeRound, NodeStatus, SeriesKey
from rempart.services.alerter import Alerter
from rempart.store.alerts import SqliteAlertStore
from rempart.store.server_db import open_server_db
from tests.fakes.metrics_store import MemoryMetricsStore

T0 = 1_767_225_600
RESULTS = Path(__file__).resolve().parent / "results"


def _graphs(graphs: int, fields: int) -> tuple[Graph, ...]:
    out = [
        Graph(
            f"g{g}",
            f"Graph {g}",
            "system",
            tuple(Field(f"f{f}", f"field {f}", warning="80", critical="95") for f in range(fields)),
        )
        for g in range(graphs)
    ]
    df = tuple(Field(f"_dev_sd{c}", f"/srv/{c}", warning="92", critical="98") for c in "abcde")
    out.append(Graph("df", "Disk usage in percent", "disk", df))
    return tuple(out)


def _values(
    host: str, graphs: tuple[Graph, ...], rng: random.Random, i: int, bad: float
) -> dict[SeriesKey, float | None]:
    out: dict[SeriesKey, float | None] = {}
    for graph in graphs:
        for n, field in enumerate(graph.fields):
            if graph.name == "df":
                value = 50.0 + n * 5 + (i * 0.05 if n == 0 else 0.0)
            else:
                value = 90.0 if rng.random() < bad else rng.uniform(0, 70)
            out[SeriesKey(host, graph.name, field.name)] = value
    return out


def run(nodes: int, graphs: int, fields: int, rounds: int, bad: float = 0.002) -> dict[str, Any]:
    rng = random.Random(6)
    hosts = [f"n{i:04d}" for i in range(nodes)]
    groups = {"Gandi": tuple(hosts[::2]), "TTN": tuple(hosts[1::2])}
    member = {h: g for g, hs in groups.items() for h in hs}
    described = _graphs(graphs, fields)
    metrics = MemoryMetricsStore()
    for h in hosts:  # a day of df history for the forecast
        for i in range(-288, 0):
            metrics.write(T0 + i * STEP, {
                SeriesKey(h, "df", f.name): 50.0 + n * 5 + i * 0.05 * (n == 0)
                for n, f in enumerate(described[-1].fields)
            })  # fmt: skip
    times: list[float] = []
    observed = transitions = 0
    with tempfile.TemporaryDirectory() as tmp, open_server_db(Path(tmp) / "server.db") as db:
        store = SqliteAlertStore(db)
        alerter = Alerter(store, metrics, AlertsConfig(for_=600), IncidentConfig(), groups)
        for i in range(rounds):
            at = T0 + i * STEP
            rnds, statuses = [], []
            for h in hosts:
                if rng.random() < 0.01:
                    rnds.append(NodeRound(h, member[h], at, False, 30.0, error="timed out"))
                    statuses.append(NodeStatus(h, member[h], "192.0.2.1", 4949, "down", at))
                    continue
                values = _values(h, described, rng, i, bad)
                metrics.write(at, values)
                rnds.append(
                    NodeRound(h, member[h], at, True, 0.1, described, MappingProxyType(values))
                )
                statuses.append(NodeStatus(h, member[h], "192.0.2.1", 4949, "up", at, at))
                observed += len(values)
            start = time.perf_counter()
            transitions += len(alerter.evaluate(rnds, statuses, float(at)))
            times.append(time.perf_counter() - start)
        open_alerts = len(store.open_alerts())
        history = len(store.alerts(active=False, limit=10**9))
    total = sum(times)
    return {
        "nodes": nodes,
        "graphs_per_node": graphs + 1,
        "fields_per_node": graphs * fields + 5,
        "rounds": rounds,
        "bad_share": bad,
        "evaluate_median_s": statistics.median(times),
        "evaluate_max_s": max(times),
        "fields_per_s": observed / total if total else 0.0,
        "transitions": transitions,
        "open_alerts_at_end": open_alerts,
        "alerts_stored": history,
        "df_reads": metrics.reads,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--nodes", type=int, default=1000)
    p.add_argument("--graphs", type=int, default=30)
    p.add_argument("--fields", type=int, default=4)
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--bad", type=float, default=0.002, help="share of values out of range")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "--out", type=Path, help="JSON result file (default bench/results/alerts-TIME.json)"
    )
    args = p.parse_args(argv)
    result = run(args.nodes, args.graphs, args.fields, args.rounds, args.bad)
    out = args.out or RESULTS / f"alerts-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:22} {value:.4f}" if isinstance(value, float) else f"{key:22} {value}")
        print(f"(written to {out})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
