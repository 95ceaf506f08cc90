"""A scratch network namespace for the benchmarks (the host's firewall is never touched)."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import time
from collections.abc import Iterator

__all__ = ["scratch_namespace"]

_COUNTER = itertools.count()


@contextlib.contextmanager
def scratch_namespace(prefix: str) -> Iterator[str]:
    """A fresh namespace named ``PREFIX-PID-N`` with loopback up; at the end every process
    in it is stopped (TERM, then KILL) and the namespace deleted."""
    name = f"{prefix}-{os.getpid()}-{next(_COUNTER)}"
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=10)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True, timeout=10)
        yield name
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = subprocess.run(
                ["ip", "netns", "pids", name],
                check=False,
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), sig)
            if pids:
                time.sleep(0.2)
        subprocess.run(
            ["ip", "netns", "delete", name], check=False, capture_output=True, timeout=10
        )
