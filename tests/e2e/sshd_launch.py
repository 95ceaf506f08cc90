"""Launcher run inside the victim namespace: bind mounts, then exec the given program.

Usage (always through ``ip netns exec NAME``, which gives this process a private, rslave
mount namespace, so the bind mounts never reach the host)::

    python sshd_launch.py --bind SRC DST [--bind SRC DST ...] -- /usr/sbin/sshd -D ...

Each ``--bind`` runs ``mount --bind SRC DST`` (an argv list, never a shell); then the
program replaces this process (``os.execv``), so the caller's pid is the program's pid.
Refuses to bind-mount unless both its network and mount namespaces differ from its
parent's (the test process on the host): ``ip netns exec`` made them.

Standalone on purpose: no import from the tests package, stdlib only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

__all__ = ["main", "parse"]


def parse(argv: Sequence[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """The (SRC, DST) bind pairs and the program's argv."""
    binds: list[tuple[str, str]] = []
    rest = list(argv)
    while rest and rest[0] == "--bind":
        if len(rest) < 3:
            raise SystemExit("sshd_launch: --bind needs SRC and DST")
        binds.append((rest[1], rest[2]))
        rest = rest[3:]
    if not rest or rest[0] != "--" or len(rest) < 2:
        raise SystemExit("sshd_launch: usage: [--bind SRC DST]... -- PROGRAM [ARGS...]")
    return binds, rest[1:]


def _in_private_namespaces() -> bool:
    """True when this process's network and mount namespaces are not its parent's."""
    parent = os.getppid()
    try:
        return all(
            os.readlink(f"/proc/self/ns/{kind}") != os.readlink(f"/proc/{parent}/ns/{kind}")
            for kind in ("net", "mnt")
        )
    except OSError:
        return False


def main(argv: Sequence[str]) -> int:
    binds, program = parse(argv)
    if binds and not _in_private_namespaces():
        # ip netns exec makes the private mount namespace; outside it a bind mount would
        # change the host's /etc/passwd for everyone
        raise SystemExit("sshd_launch: refusing bind mounts outside a test network namespace")
    for source, target in binds:
        subprocess.run(["mount", "--bind", source, target], check=True, timeout=10)
    os.execv(program[0], program)
    return 127  # unreachable: execv replaces the process or raises


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
