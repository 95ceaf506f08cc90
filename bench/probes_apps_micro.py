"""Micro-benchmark of the application probes' local work (postfix, sympa, the log reader).

Builds, in a temporary directory, a Postfix spool whose deferred queue holds ``--deferred``
files (16 hash subdirectories, as Postfix does) and a mail log; measures ``PostfixProbe.collect``
with no new log lines (the spool count), then one collect that reads ``--lines`` new log lines
(the fixture's real and synthetic Postfix lines, repeated), ``LogTail.read`` alone on the same
bytes, and ``SympaProbe.collect`` on the test fixture tree. Mean of ``--repeat`` runs.

    .venv/bin/python bench/probes_apps_micro.py [--deferred N] [--lines N] [--repeat R] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from rempart.probes.logtail import LogTail
from rempart.probes.postfix import QUEUES, PostfixProbe
from rempart.probes.sympa import SympaProbe

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "probes"


def _spool(root: Path, deferred: int) -> None:
    spool = root / "var/spool/postfix"
    for queue in QUEUES:
        (spool / queue).mkdir(parents=True)
    for i in range(16):
        (spool / "deferred" / f"{i:X}").mkdir()
    for i in range(deferred):
        (spool / "deferred" / f"{i % 16:X}" / f"Q{i:010d}").touch()


def _log_bytes(lines: int) -> bytes:
    sample = (FIXTURES / "postfix" / "appended.log").read_text().splitlines()
    return "".join(sample[i % len(sample)] + "\n" for i in range(lines)).encode()


def _mean_ms(fn: object, repeat: int) -> float:
    assert callable(fn)
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def run(deferred: int, lines: int, repeat: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="rempart-bench-apps-"))
    try:
        _spool(work, deferred)
        log = work / "var/log/mail.log"
        log.parent.mkdir(parents=True)
        log.touch()
        probe = PostfixProbe(root=work, max_bytes=1 << 30)
        probe.collect()
        out = {"postfix_collect_spool_ms": _mean_ms(probe.collect, repeat)}
        body = _log_bytes(lines)
        with log.open("ab") as f:
            f.write(body)
        start = time.perf_counter()
        probe.collect()
        out["postfix_collect_new_lines_ms"] = (time.perf_counter() - start) * 1000
        other = work / "other.log"
        other.touch()
        tail = LogTail(other, max_bytes=1 << 30)
        tail.read(lambda _line: None)
        other.write_bytes(body)
        start = time.perf_counter()
        tail.read(lambda _line: None)
        out["logtail_read_ms"] = (time.perf_counter() - start) * 1000
        tail.close()
        out["log_megabytes"] = len(body) / 1e6
        sympa = SympaProbe(root=FIXTURES / "sympa" / "root")
        sympa.collect()
        out["sympa_collect_fixture_ms"] = _mean_ms(sympa.collect, repeat)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deferred", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.deferred, args.lines, args.repeat)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        print(f"{key:32} {value:10.2f}")


if __name__ == "__main__":
    main()
