"""Benchmark of the supervision server's time-series store (rempart.store.timeseries).

Measures, in a temporary directory:

- **ingest**: ``--series`` series (default 10,000) x 288 rounds through
  ``SqliteMetricsStore.write`` (one call per round, like the server), then ``compact`` of that
  day: samples/s for each;
- **read**: one year of one field at full resolution (105,120 points, target < 50 ms), and at
  1 hour and 1 day; median of ``--runs``;
- **bytes per sample on disk**: ``--days`` days (default 365) of four kinds of realistic data
  (constant; a slowly varying gauge printed with 2 decimals like munin-node values; rates
  of integer counters (DERIVE over 300 s); full-precision noise), ``--per-kind`` series each,
  written through ``write`` + ``compact``: the file size after compaction (and VACUUM) divided
  by the samples; and the chunk codec alone per kind (shuffle+zlib against xor+shuffle+zlib);
- Munin's RRD for comparison: one field file is 50,824 bytes (measured, see
  shared notes "munin-and-monitoring" §3) for 576x5 min + 432x30 min + 540x2 h + 450x1 d rows
  in AVERAGE, MIN and MAX: bytes per stored value and per 5-minute-equivalent of its 450 days.

    .venv/bin/python bench/bench_store.py [--quick] [--series N] [--days D] [--runs R]
        [--per-kind K] [--out FILE]

Results: a table and JSON (default bench/out/store-TIME.json).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rempart.metrics.chunks import CODEC_AUTO, CODEC_SHUFFLE, CODEC_XOR, SLOTS, encode_day
from rempart.metrics.series import SeriesKey
from rempart.store.server_db import open_server_db
from rempart.store.timeseries import GRACE, SqliteMetricsStore

DAY = 86400
T0 = 1_735_689_600  # 2025-01-01 00:00 UTC
RRD_FILE_BYTES = 50_824
RRD_ROWS = 576 + 432 + 540 + 450  # Munin's "normal" RRAs
RRD_DAYS = 450
BENCH_DIR = Path(__file__).resolve().parent

Generator = Callable[[int], float]


def kinds(seed: int) -> dict[str, Callable[[int], Generator]]:
    """Data generators by kind; each call gives one series (a function of the slot index)."""
    rng = random.Random(seed)

    def constant(k: int) -> Generator:
        return lambda i: float(4 * (k + 1))

    def gauge(k: int) -> Generator:
        phase = rng.random() * 6.28
        noise = [rng.gauss(0, 0.5) for _ in range(997)]
        return lambda i: round(
            50 + 20 * math.sin(phase + i * 2 * math.pi / SLOTS) + noise[i % 997], 2
        )

    def counter(k: int) -> Generator:
        rate = rng.uniform(1, 500)
        deltas = [max(0, int(rng.gauss(rate * 300, math.sqrt(rate * 300)))) for _ in range(991)]
        return lambda i: deltas[i % 991] / 300

    def noisy(k: int) -> Generator:
        values = [rng.gauss(100, 30) for _ in range(1009)]
        return lambda i: values[i % 1009]

    return {"constant": constant, "gauge": gauge, "counter": counter, "noisy": noisy}


def bench_ingest(directory: Path, series: int) -> dict[str, Any]:
    keys = [
        SeriesKey(f"node{i // 300}", f"graph{i // 10 % 30}", f"f{i % 10}") for i in range(series)
    ]
    with open_server_db(directory / "ingest.db") as db:
        store = SqliteMetricsStore(db)
        started = time.perf_counter()
        for slot in range(SLOTS):
            store.write(T0 + slot * 300, {k: float(slot + n % 7) for n, k in enumerate(keys)})
        write = time.perf_counter() - started
        started = time.perf_counter()
        moved = store.compact(T0 + DAY + GRACE + 60)
        compact = time.perf_counter() - started
    samples = series * SLOTS
    return {
        "series": series,
        "samples": samples,
        "write_s": round(write, 3),
        "write_samples_per_s": round(samples / write),
        "round_ms": round(write / SLOTS * 1000, 2),
        "compact_s": round(compact, 3),
        "compact_samples_per_s": round(moved / compact),
    }


def fill_year(store: SqliteMetricsStore, series: dict[SeriesKey, Generator], days: int) -> None:
    for slot in range(days * SLOTS):
        at = T0 + slot * 300
        store.write(at, {k: gen(slot) for k, gen in series.items()})
        if (slot + 1) % SLOTS == 0:
            store.compact(at + 300 + GRACE)


def bench_bytes(directory: Path, days: int, per_kind: int, seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, make in kinds(seed).items():
        series = {SeriesKey("host", kind, f"f{k}"): make(k) for k in range(per_kind)}
        path = directory / f"bytes-{kind}.db"
        with open_server_db(path) as db:
            store = SqliteMetricsStore(db)
            fill_year(store, series, days)
            with db.transaction():
                pass
        _vacuum(path)
        samples = per_kind * days * SLOTS
        size = path.stat().st_size
        day = [series[SeriesKey("host", kind, "f0")](i) for i in range(SLOTS)]
        blob = encode_day(day, CODEC_AUTO)
        out[kind] = {
            "samples": samples,
            "file_bytes": size,
            "bytes_per_sample": round(size / samples, 3),
            "chunk_bytes_xor": len(encode_day(day, CODEC_XOR)),
            "chunk_bytes_shuffle": len(encode_day(day, CODEC_SHUFFLE)),
            "chunk_bytes_auto": len(blob),
            "chunk_codec_auto": blob[0],
            "raw_chunk_bytes": SLOTS * 8,
        }
    return out


def _vacuum(path: Path) -> None:
    import sqlite3

    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("VACUUM")


def bench_read(directory: Path, runs: int, days: int) -> dict[str, Any]:
    key = SeriesKey("host", "load", "load")
    gen = kinds(7)["gauge"](0)
    path = directory / "read.db"
    with open_server_db(path) as db:
        store = SqliteMetricsStore(db)
        fill_year(store, {key: gen}, days)
        out: dict[str, Any] = {}
        for step in (300, 3600, DAY):
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                data = store.read(key, T0, T0 + days * DAY, step)
                times.append(time.perf_counter() - started)
            out[f"step_{step}"] = {
                "points": len(data),
                "median_ms": round(statistics.median(times) * 1000, 2),
                "best_ms": round(min(times) * 1000, 2),
            }
    return out


def rrd_reference() -> dict[str, Any]:
    values = RRD_ROWS * 3
    return {
        "file_bytes": RRD_FILE_BYTES,
        "stored_values": values,
        "bytes_per_stored_value": round(RRD_FILE_BYTES / values, 2),
        "five_minute_equivalents": RRD_DAYS * SLOTS,
        "bytes_per_5min_equivalent": round(RRD_FILE_BYTES / (RRD_DAYS * SLOTS), 3),
        "bytes_per_field_year_ours_vs": "see bytes.*.bytes_per_sample x 105120",
        "note": "RRD keeps 5-minute values for 2 days only, then 30 min, 2 h, 1 day averages",
    }


def print_table(results: dict[str, Any]) -> None:
    ing = results["ingest"]
    print(
        f"ingest: {ing['series']} series x 288 rounds: {ing['write_samples_per_s']:,} samples/s "
        f"({ing['round_ms']} ms per round), compact {ing['compact_samples_per_s']:,} samples/s"
    )
    for step, r in results["read"].items():
        print(
            f"read one field, {results['days']} days, {step}: {r['points']} points, "
            f"median {r['median_ms']} ms"
        )
    print("bytes per sample on disk (5-minute values kept lossless + hourly/daily rollups):")
    for kind, r in results["bytes"].items():
        year = r["bytes_per_sample"] * 105_120
        print(
            f"  {kind:9} {r['bytes_per_sample']:6.3f} B/sample "
            f"({year / 1024:7.1f} KiB per field-year);"
            f" one day's chunk: xor {r['chunk_bytes_xor']} B, shuffle {r['chunk_bytes_shuffle']} B,"
            f" chosen {r['chunk_bytes_auto']} B (codec {r['chunk_codec_auto']}),"
            f" raw {r['raw_chunk_bytes']} B"
        )
    rrd = results["rrd"]
    print(
        f"Munin RRD: {rrd['file_bytes']:,} B per field file = "
        f"{rrd['bytes_per_stored_value']} B per "
        f"stored value, {rrd['bytes_per_5min_equivalent']} B per 5-minute-equivalent over 450 days "
        "(but 5-minute values only for 2 days)"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    p.add_argument("--series", type=int, help="series for the ingest run (default 10000)")
    p.add_argument("--days", type=int, help="days of data for read and bytes (default 365)")
    p.add_argument("--per-kind", type=int, help="series per kind of data (default 10)")
    p.add_argument("--runs", type=int, default=9, help="reads per step (median)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, help="JSON result (default bench/out/store-TIME.json)")
    args = p.parse_args()
    series = args.series or (1000 if args.quick else 10_000)
    days = args.days or (30 if args.quick else 365)
    per_kind = args.per_kind or (2 if args.quick else 10)
    with tempfile.TemporaryDirectory(prefix="rempart-bench-store-") as tmp:
        directory = Path(tmp)
        results: dict[str, Any] = {
            "days": days,
            "ingest": bench_ingest(directory, series),
            "read": bench_read(directory, args.runs, days),
            "bytes": bench_bytes(directory, days, per_kind, args.seed),
            "rrd": rrd_reference(),
            "machine": {"python": platform.python_version(), "platform": platform.platform()},
        }
    print_table(results)
    out = args.out or BENCH_DIR / "out" / f"store-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
