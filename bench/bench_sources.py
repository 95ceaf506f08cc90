"""Benchmarks of the log sources: replay reading speed and live-follow latency.

    .venv/bin/python bench/bench_sources.py [--lines 1000000] [--samples 500]

1. replay: lines/s and MB/s of ``open_replay_log(...).lines()`` on a generated
   syslog-style auth.log, plain and gzip, against a plain ``for line in file`` loop
   (which neither caps line length nor handles CRLF or invalid UTF-8).
2. follow latency: a separate writer process appends one line at a time (1–5 ms apart,
   its ``time.time()`` in the line) and the follower measures write-to-delivery delay;
   p50/p99/max with inotify and with 50 ms polling.
3. journal latency (when systemd-journal-remote is installed): entries streamed into a
   journal file by one systemd-journal-remote process, read by ``JournalSource``
   (``journalctl --follow --file``); time from handing the entry to journal-remote to
   its delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rempart.adapters.sources.files import FileFollower, FollowOptions, StartAt
from rempart.adapters.sources.journal import JournalSource
from rempart.adapters.sources.replay import open_replay_log

WRITER = r"""
import os, random, sys, time
path, count = sys.argv[1], int(sys.argv[2])
fd = os.open(path, os.O_WRONLY | os.O_APPEND)
for i in range(count):
    time.sleep(random.uniform(0.001, 0.005))
    os.write(fd, f"{time.time():.6f} sshd[{i}]: Invalid user x from 192.0.2.{i % 250}\n".encode())
os.write(fd, b"end\n")
"""


def make_log(path: Path, lines: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(lines):
            out.write(
                f"Nov 21 10:{i // 60 % 60:02}:{i % 60:02} vm{i % 10} sshd[{1000 + i % 5000}]: "
                f"Invalid user user{i % 977} from 198.51.100.{i % 250} port {20000 + i % 40000}\n"
            )


def time_replay(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    log = open_replay_log(str(path))
    count = sum(1 for _ in log.lines())
    log.close()
    return time.perf_counter() - start, count


def time_naive(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    with path.open(encoding="utf-8", errors="backslashreplace") as fh:
        count = sum(1 for _ in fh)
    return time.perf_counter() - start, count


def replay(directory: Path, lines: int) -> dict[str, object]:
    plain = directory / "auth.log"
    make_log(plain, lines)
    packed = directory / "auth.log.2.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes(), compresslevel=6))
    size = plain.stat().st_size
    results: dict[str, object] = {"lines": lines, "bytes": size}
    for label, fn, path in (
        ("replay_plain", time_replay, plain),
        ("replay_gzip", time_replay, packed),
        ("naive_text_loop", time_naive, plain),
    ):
        best, count = min(fn(path) for _ in range(3))
        assert count == lines, (label, count)
        results[label] = {
            "seconds": round(best, 3),
            "lines_per_s": round(lines / best),
            "MB_per_s": round(size / best / 1e6, 1),
        }
    return results


async def _follow(path: Path, options: FollowOptions, samples: int) -> list[float]:
    follower = FileFollower(path, options=options)
    follower.start()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(samples)])
    delays: list[float] = []
    try:
        async for batch in follower.follow():
            now = time.time()
            for line in batch:
                if line.text == "end":
                    return delays
                delays.append(now - float(line.text.split()[0]))
    finally:
        writer.wait(timeout=60)
        follower.close()
    return delays


def latency(directory: Path, samples: int) -> dict[str, object]:
    results: dict[str, object] = {"samples": samples}
    for label, options in (
        ("inotify", FollowOptions(start=StartAt.END)),
        ("polling_50ms", FollowOptions(start=StartAt.END, inotify=False, poll_interval=0.05)),
    ):
        path = directory / f"live-{label}.log"
        path.touch()
        results[label] = _summary(asyncio.run(_follow(path, options, samples)))
    return results


def _summary(delays: list[float]) -> dict[str, float]:
    delays = sorted(delays)
    return {
        "p50_ms": round(statistics.median(delays) * 1000, 3),
        "p99_ms": round(delays[max(0, int(len(delays) * 0.99) - 1)] * 1000, 3),
        "max_ms": round(delays[-1] * 1000, 3),
    }


_BOOT = "0123456789abcdef0123456789abcdef"


def _entry(i: int, message: str) -> bytes:
    micros = int(time.time() * 1e6)
    return (
        f"__REALTIME_TIMESTAMP={micros}\n__MONOTONIC_TIMESTAMP={i + 1}\n_BOOT_ID={_BOOT}\n"
        f"_COMM=sshd\nMESSAGE={message}\n\n"
    ).encode()


async def _journal(path: Path, remote: str, samples: int) -> list[float]:
    writer = subprocess.Popen(
        [remote, f"--output={path}", "--compress=no", "-"],
        stdin=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert writer.stdin is not None
    writer.stdin.write(_entry(0, "start"))
    writer.stdin.flush()
    while not path.exists():
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)  # journalctl --follow refuses a journal file with no entry yet
    source = JournalSource(files=[path], since=0)
    stream = source.follow()
    delays: list[float] = []
    try:
        await anext(stream)
        for i in range(1, samples + 1):
            writer.stdin.write(_entry(i, f"{time.time():.6f}"))
            writer.stdin.flush()
            for line in await asyncio.wait_for(anext(stream), 10):
                delays.append(time.time() - float(line.text.split()[-1]))
            await asyncio.sleep(0.003)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
        writer.stdin.close()
        writer.wait(timeout=30)
    return delays


def journal_latency(directory: Path, samples: int) -> dict[str, object]:
    remote = shutil.which("systemd-journal-remote", path="/usr/lib/systemd:/lib/systemd")
    if remote is None:
        return {"skipped": "systemd-journal-remote is not installed"}
    delays = asyncio.run(_journal(directory / "bench.journal", remote, samples))
    return {"samples": samples, **_summary(delays)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines in the replay log")
    parser.add_argument("--samples", type=int, default=500, help="lines timed while following")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        report = {
            "replay": replay(directory, args.lines),
            "follow_latency": latency(directory, args.samples),
            "journal_latency": journal_latency(directory, args.samples),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
