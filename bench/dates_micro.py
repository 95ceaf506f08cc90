"""Micro-benchmark of date finding and reading (rempart.guard.dates).

Measures ``find`` then ``epoch`` per line, as the matcher calls them, on generated
realistic lines: syslog (``Mon dd HH:MM:SS host prog[pid]: ...``, datepattern
``{^LN-BEG}``), RFC 3339 with microseconds and offset (rsyslog's high-precision
format, ``{^LN-BEG}``), Apache access logs (``^[^\\[]*\\[({DATE})``) and the default
template list. Consecutive lines advance the clock by a few milliseconds, so most
share their second with the line before (as in a busy log).

    .venv/bin/python bench/dates_micro.py [--lines N] [--repeat R] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from rempart.guard.dates import DateDetector

ZONE = ZoneInfo("Europe/Paris")
START = datetime(2026, 3, 28, 23, 0, 0, tzinfo=ZONE)  # crosses a DST change


def _messages(rng: random.Random, n: int) -> list[str]:
    users = ["root", "admin", "oracle", "test", "ubuntu", "git", "postgres"]
    out = []
    for _ in range(n):
        ip = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
        out.append(
            f"Failed password for invalid user {rng.choice(users)} from {ip} "
            f"port {rng.randrange(1024, 65535)} ssh2"
        )
    return out


def _times(rng: random.Random, n: int) -> list[datetime]:
    t, out = START, []
    for _ in range(n):
        t += timedelta(microseconds=rng.randrange(0, 20000))
        out.append(t)
    return out


def syslog_lines(rng: random.Random, n: int) -> list[str]:
    return [
        f"{t:%b} {t.day:2d} {t:%H:%M:%S} web1 sshd[{rng.randrange(100, 99999)}]: {msg}"
        for t, msg in zip(_times(rng, n), _messages(rng, n), strict=True)
    ]


def rfc3339_lines(rng: random.Random, n: int) -> list[str]:
    return [
        f"{t.isoformat(timespec='microseconds')} web1 sshd[{rng.randrange(100, 99999)}]: {msg}"
        for t, msg in zip(_times(rng, n), _messages(rng, n), strict=True)
    ]


def apache_lines(rng: random.Random, n: int) -> list[str]:
    return [
        f"{rng.randrange(1, 255)}.{rng.randrange(255)}.{rng.randrange(255)}.{rng.randrange(255)}"
        f' - - [{t:%d/%b/%Y:%H:%M:%S %z}] "GET /wp-login.php HTTP/1.1" 404 196 "-" "curl/8"'
        for t in _times(rng, n)
    ]


CASES = {
    "syslog {^LN-BEG}": ("{^LN-BEG}", syslog_lines),
    "rfc3339 {^LN-BEG}": ("{^LN-BEG}", rfc3339_lines),
    "apache ^[^\\[]*\\[({DATE})": (r"^[^\[]*\[({DATE})" + "\n{^LN-BEG}", apache_lines),
    "syslog, default templates": (None, syslog_lines),
    "rfc3339, default templates": (None, rfc3339_lines),
}


def run(pattern: str | None, lines: list[str], repeat: int) -> tuple[float, float]:
    """Best lines/s of find alone, and of find + epoch, over ``repeat`` runs."""
    now = START.timestamp() + 86400 * 30
    best_find = best_both = 0.0
    for _ in range(repeat):
        detector = DateDetector(pattern, tz=ZONE)
        find = detector.find
        t0 = time.perf_counter()
        for line in lines:
            find(line)
        best_find = max(best_find, len(lines) / (time.perf_counter() - t0))
        detector = DateDetector(pattern, tz=ZONE)
        find, epoch = detector.find, detector.epoch
        t0 = time.perf_counter()
        for line in lines:
            hit = find(line)
            if hit is not None:
                epoch(line, hit, now)
        best_both = max(best_both, len(lines) / (time.perf_counter() - t0))
    return best_find, best_both


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000, help="lines per case")
    parser.add_argument("--repeat", type=int, default=5, help="runs per case (best kept)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    results = {}
    for name, (pattern, make) in CASES.items():
        lines = make(random.Random(42), args.lines)
        detector = DateDetector(pattern, tz=ZONE)
        assert all(detector.find(line) is not None for line in lines[:1000]), name
        found, both = run(pattern, lines, args.repeat)
        results[name] = {
            "find_lines_per_s": round(found),
            "find_epoch_lines_per_s": round(both),
            "find_ns": round(1e9 / found),
            "find_epoch_ns": round(1e9 / both),
        }
    if args.json:
        print(json.dumps({"at": datetime.now(UTC).isoformat(), "results": results}, indent=2))
        return
    print(f"{'case':32} {'find/s':>12} {'ns':>6} {'find+epoch/s':>14} {'ns':>6}")
    for name, r in results.items():
        print(
            f"{name:32} {r['find_lines_per_s']:12,} {r['find_ns']:6} "
            f"{r['find_epoch_lines_per_s']:14,} {r['find_epoch_ns']:6}"
        )


if __name__ == "__main__":
    main()
