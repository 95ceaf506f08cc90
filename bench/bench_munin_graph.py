"""A year graph: rempart's dashboard data against Munin's rrdtool, in the same run.

Munin keeps one RRD per field (``munin-update``; RRAs AVERAGE/MIN/MAX at 5 min × 576, 30 min ×
432, 2 h × 540, 1 day × 450) and draws each graph with ``rrdtool graph`` — at every zoom of its
CGI graphing. rempart sends the data (JSON) and the browser draws. Measured here, median of
``--runs``, for one ``df`` graph of 3 fields over 365 days:

- ``rempart_year_graph``: ``GET /api/series`` through the real application (bench_web.py's
  measurement on a one-host database: 1-day step, min/avg/max);
- ``rrdtool_xport``: ``rrdtool xport`` of the same year, AVERAGE, MIN and MAX of the 3 fields
  (the data alone: the fair comparison);
- ``rrdtool_graph``: ``rrdtool graph`` of that year as Munin draws it (PNG, 3 lines with
  their min/max), what a Munin user waits for at each zoom.

    .venv/bin/python bench/bench_munin_graph.py [--runs 20] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_web

RESULTS = Path(__file__).resolve().parent / "results"
DAY = 86400
STEP = 300
MUNIN_RRAS = [
    f"RRA:{cf}:0.5:{steps}:{rows}"
    for steps, rows in ((1, 576), (6, 432), (24, 540), (288, 450))
    for cf in ("AVERAGE", "MIN", "MAX")
]


def _value(i: int, t: int) -> float:
    return 50 + 30 * math.sin(t / 40_000 + i) + (i % 7)


def build_rrds(directory: Path, now: int) -> list[Path]:
    """Three Munin-style RRDs with a year of 5-minute values."""
    rrdtool = shutil.which("rrdtool") or "/usr/bin/rrdtool"
    start = now - 365 * DAY
    files = []
    for i in range(3):
        path = directory / f"web1-df-f{i}-g.rrd"
        subprocess.run(
            [
                rrdtool,
                "create",
                str(path),
                "--start",
                str(start - STEP),
                "--step",
                str(STEP),
                "DS:42:GAUGE:600:U:U",
                *MUNIN_RRAS,
            ],
            check=True,
        )
        batch: list[str] = []
        for t in range(start, now + 1, STEP):
            batch.append(f"{t}:{_value(i, t):.4f}")
            if len(batch) == 4000:
                subprocess.run([rrdtool, "update", str(path), *batch], check=True)
                batch = []
        if batch:
            subprocess.run([rrdtool, "update", str(path), *batch], check=True)
        files.append(path)
    return files


def _timed(argv: list[str], runs: int) -> dict[str, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - t0) * 1000)
    return {"median_ms": round(statistics.median(times), 2), "best_ms": round(min(times), 2)}


def run(runs: int) -> dict[str, Any]:
    rempart = bench_web.run(hosts=1, graphs=4, runs=runs, fine_hours=24)
    with tempfile.TemporaryDirectory() as tmp:
        now = int(time.time()) // STEP * STEP
        t0 = time.perf_counter()
        files = build_rrds(Path(tmp), now)
        build_s = time.perf_counter() - t0
        start = now - 365 * DAY
        defs, xports, lines = [], [], []
        for i, f in enumerate(files):
            for cf in ("AVERAGE", "MIN", "MAX"):
                defs.append(f"DEF:{cf.lower()}{i}={f}:42:{cf}")
                xports.append(f"XPORT:{cf.lower()}{i}:f{i} {cf.lower()}")
            lines += [
                f"LINE1:average{i}#00CC00:f{i}",
                f"LINE1:min{i}#CCCCCC",
                f"LINE1:max{i}#CCCCCC",
            ]
        common = ["--start", str(start), "--end", str(now)]
        xport = _timed(["rrdtool", "xport", *common, *defs, *xports], runs)
        graph = _timed(
            [
                "rrdtool",
                "graph",
                str(Path(tmp) / "year.png"),
                *common,
                "--width",
                "800",
                "--height",
                "300",
                "--title",
                "Disk usage in percent",
                *defs,
                *lines,
            ],
            runs,
        )
    ours = rempart["year_graph"]["median_ms"]
    return {
        "rempart_year_graph": rempart["year_graph"],
        "rrdtool_xport": xport,
        "rrdtool_graph": graph,
        "rrd_build_s": round(build_s, 1),
        "ratio_xport_over_rempart": round(xport["median_ms"] / ours, 2),
        "ratio_graph_over_rempart": round(graph["median_ms"] / ours, 2),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    result = run(args.runs)
    out = args.out or RESULTS / f"munin-graph-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    for key, value in result.items():
        print(f"{key:26} {value}")
    print(f"(written to {out})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
