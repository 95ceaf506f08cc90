"""Benchmark of the dashboard's two heavy reads: the overview page and a year graph's data.

Builds, in a temporary directory, a server.db like the supervision server's after a year:
``--hosts`` hosts (default 50) in two groups x ``--graphs`` graphs (default 40) x 3 fields,
written through the store's own ``write`` and ``compact``:

- graph ``df`` of every host: a year of values every 3 hours, packed into daily chunks and
  rollups as the server does each hour (the year graph reads its 365 daily rollups);
- every series: the last ``--fine-hours`` hours (default 24) at 5 minutes, so the ``samples``
  table holds what it holds before a compaction (6,000 series x 288 rows);
- node states, and firing alerts on a few hosts.

Then measures, median of ``--runs`` (in process, through the real application with a session:
security headers, session and CSRF middleware, templates):

- ``overview``: ``GET /`` (target < 100 ms), and its SQL part alone (``overview_rows``);
- ``year_graph``: ``GET /api/series`` for one host's ``df`` over 365 days (target < 50 ms),
  and the store part alone (``series_document``); also a month (1-hour step) and 3 days
  (5-minute step: a zoom).

    .venv/bin/python bench/bench_web.py [--hosts N] [--graphs G] [--runs R] [--fine-hours H]
        [--out FILE]

Results: a table and JSON (default bench/results/web-TIME.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import platform
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from rempart.alerting.values import Alert, AlertKey
from rempart.clock import FrozenClock
from rempart.config.server import NodeConfig, ServerConfig, WebConfig
from rempart.metrics.model import Field, Graph
from rempart.metrics.series import NodeStatus, SeriesKey
from rempart.services.readpool import ReadPool
from rempart.services.server import SupervisionServer
from rempart.store.alerts import SqliteAlertStore
from rempart.store.nodes import SqliteNodeStore
from rempart.store.server_db import open_server_db
from rempart.store.timeseries import SqliteMetricsStore
from rempart.store.web_users import SqliteUserStore
from rempart.web.app import build_app
from rempart.web.auth import SESSION_COOKIE
from rempart.web.deps import WebDeps
from rempart.web.overview import overview_rows
from rempart.web.series_api import StoreCache, series_document

DAY = 86400
NOW = 1_790_000_000 - 1_790_000_000 % DAY + 23 * 3600  # 23:00 UTC: a full day of samples
BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results"
TARGETS_MS = {"overview": 100.0, "year_graph": 50.0}
_FIRST = ("df", "load", "if_eth0", "if_err_eth0", "rempart_active_bans")


def graph_set(count: int) -> list[Graph]:
    """``count`` graphs of 3 fields: the ones the overview reads first, then others."""
    out = []
    for i in range(count):
        name = _FIRST[i] if i < len(_FIRST) else f"plugin_{i:02d}"
        if name == "if_eth0":
            fields = (
                Field("down", "received", type="DERIVE", graph=False),
                Field("up", "bps", type="DERIVE", negative="down"),
                Field("speed", "speed", graph=False),
            )
        else:
            fields = tuple(Field(f"f{k}", f"field {k}") for k in range(3))
        out.append(Graph(name, f"Graph {name}", "system" if i % 2 else "disk", fields))
    return out


def host_names(hosts: int) -> list[str]:
    return [f"vm{i:03d}" for i in range(hosts)]


def _value(i: int, t: int) -> float:
    return 50 + 30 * math.sin(t / 40_000 + i) + (i % 7)


def build(path: Path, hosts: int, graphs: int, fine_hours: int) -> dict[str, Any]:
    """The database; returns what was written and how long it took."""
    started = time.perf_counter()
    db = open_server_db(path)
    store = SqliteMetricsStore(db)
    names, described = host_names(hosts), graph_set(graphs)
    for n, host in enumerate(names):
        store.save_graphs(host, "Gandi" if n % 2 else "TTN", described, NOW)
    year = [SeriesKey(h, "df", f"f{k}") for h in names for k in range(3)]
    fine_start = NOW - fine_hours * 3600
    written = 0
    for t in range(NOW - 365 * DAY, fine_start, 3 * 3600):
        written += store.write(t, {key: _value(i, t) for i, key in enumerate(year)})
    store.compact(fine_start)
    every = [SeriesKey(h, g.name, f.name) for h in names for g in described for f in g.fields]
    for t in range(fine_start, NOW + 1, 300):
        written += store.write(t, {key: _value(i, t) for i, key in enumerate(every)})
    store.compact(NOW)
    nodes = SqliteNodeStore(db)
    nodes.save_nodes(
        [
            NodeStatus(h, "g", "192.0.2.1", 4949, "down" if i % 10 == 3 else "up", NOW, NOW)
            for i, h in enumerate(names)
        ]
    )
    alerts = [
        Alert(0, AlertKey("threshold", h, "df", "f0"), "g", "warning", "firing", NOW, NOW)
        for h in names[::7]
    ]
    SqliteAlertStore(db).save_alerts(alerts)
    samples = db.tuples("SELECT count(*) FROM samples")[0][0]
    db.close()
    return {
        "series": len(every),
        "values_written": written,
        "samples_rows": int(samples),
        "build_s": round(time.perf_counter() - started, 2),
        "bytes": path.stat().st_size,
    }


class _NoCommands:
    async def call(self, command: str, args: object, by: str) -> Any:
        raise RuntimeError("the benchmark sends no command")


def _median_ms(times: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(times) * 1000, 2),
        "best_ms": round(min(times) * 1000, 2),
        "worst_ms": round(max(times) * 1000, 2),
    }


async def _timed(fn: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    await fn()  # warm: connections opened, templates compiled
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - start)
    return times


def _sync_timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


async def measure(path: Path, hosts: int, runs: int) -> dict[str, Any]:
    names = host_names(hosts)
    nodes = tuple(
        NodeConfig(h, "Gandi" if n % 2 else "TTN", "192.0.2.1") for n, h in enumerate(names)
    )
    clock = FrozenClock(float(NOW))
    log = logging.getLogger("rempart.bench.web")
    config = ServerConfig(
        nodes=nodes,
        database=path,
        socket=path.parent / "server.sock",
        web=WebConfig(auth_log=path.parent / "auth.log"),
    )
    server = SupervisionServer(config, clock=clock, log=log)
    await server.open()
    read = ReadPool(path)
    deps = WebDeps(config.web, config, read, server.writer, _NoCommands(), clock, log)
    token = secrets.token_urlsafe(32)
    await server.writer.run(lambda db: SqliteUserStore(db).add("bench", "reader", "x", NOW))
    await server.writer.run(
        lambda db: SqliteUserStore(db).open_session("bench", token, "c", NOW, "127.0.0.1")
    )
    transport = httpx.ASGITransport(app=build_app(deps))
    out: dict[str, Any] = {}
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", cookies={SESSION_COOKIE: token}
        ) as client:

            async def get(url: str, **params: Any) -> None:
                answer = await client.get(url, params=params)
                if answer.status_code != 200:
                    raise RuntimeError(f"{url}: {answer.status_code} {answer.text[:200]}")

            out["overview"] = _median_ms(await _timed(lambda: get("/"), runs))
            groups = {g: [n.name for n in ns] for g, ns in config.groups().items()}
            out["overview_sql"] = _median_ms(
                _sync_timed(lambda: read.call(lambda db: overview_rows(db, groups, NOW)), runs)
            )
            host = names[0]
            for label, span in (("year_graph", 365 * DAY), ("month_graph", 31 * DAY)):
                out[label] = _median_ms(
                    await _timed(
                        lambda s=span: get(
                            "/api/series", host=host, graph="df", **{"from": NOW - s, "to": NOW}
                        ),
                        runs,
                    )
                )
            out["zoom_3_days"] = _median_ms(
                await _timed(
                    lambda: get(
                        "/api/series", host=host, graph="load", **{"from": NOW - 3 * DAY, "to": NOW}
                    ),
                    runs,
                )
            )
            cache = StoreCache()

            def year_doc() -> object:
                def fn(db: Any) -> object:
                    store = cache.store(db)
                    graph = next(g for g in store.graphs(host) if g.name == "df")
                    return series_document(store, host, graph, NOW - 365 * DAY, NOW)

                return read.call(fn)

            out["year_graph_store"] = _median_ms(_sync_timed(year_doc, runs))
            page = await client.get("/")
            out["overview_bytes"] = len(page.content)
    finally:
        read.close()
        await server.close()
    return out


def run(hosts: int = 50, graphs: int = 40, runs: int = 30, fine_hours: int = 24) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rempart-bench-web-") as directory:
        path = Path(directory) / "server.db"
        built = build(path, hosts, graphs, fine_hours)
        measured = asyncio.run(measure(path, hosts, runs))
    return {
        "hosts": hosts,
        "graphs_per_host": graphs,
        "fields_per_graph": 3,
        "runs": runs,
        "database": built,
        **measured,
        "targets_ms": TARGETS_MS,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--hosts", type=int, default=50)
    p.add_argument("--graphs", type=int, default=40)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--fine-hours", type=int, default=24, help="hours of 5-minute samples")
    p.add_argument("--out", type=Path, help="JSON result (default bench/results/web-TIME.json)")
    args = p.parse_args(argv)
    result = run(args.hosts, args.graphs, args.runs, args.fine_hours)
    out = args.out or RESULTS / f"web-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    for key, value in result.items():
        print(f"{key:18} {value}")
    print(f"(written to {out})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
