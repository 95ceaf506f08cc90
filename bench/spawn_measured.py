"""Runs one command and writes its wall time, CPU time and peak RSS as JSON.

Usage: ``python -I -S spawn_measured.py RESULT.json TIMEOUT_S -- COMMAND ARG...``

Why a separate, small process: Linux charges a child's ``ru_maxrss`` with the high-water
mark of the memory it was forked from (the parent's pages count until ``exec``). Measured
directly from a benchmark that holds a large truth file in memory, every child would look
as big as the benchmark. Spawned from this tiny launcher (about 8 MB), the figure is the
command's own peak.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

__all__ = ["main"]


def main(argv: list[str]) -> int:
    result, timeout, sep, *command = argv
    if sep != "--" or not command:
        print("usage: spawn_measured.py RESULT.json TIMEOUT_S -- COMMAND ARG...", file=sys.stderr)
        return 2
    start = time.perf_counter()
    pid = os.posix_spawnp(command[0], command, os.environ)
    signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
    signal.alarm(max(1, int(float(timeout))))
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    signal.alarm(0)
    with open(result, "w", encoding="utf-8") as f:
        json.dump(
            {
                "wall_s": wall,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "rss_mb": usage.ru_maxrss / 1024.0,
                "returncode": os.waitstatus_to_exitcode(status),
            },
            f,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
