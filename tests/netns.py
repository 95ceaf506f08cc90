"""Network namespaces for tests: nothing a test does with nftables or sshd reaches the host.

:func:`namespace` creates a uniquely named namespace (``rp-<tag>-<pid>-<n>``) with only
its loopback up, and removes it afterwards, killing whatever still runs inside. Run
programs inside with :func:`ns_argv` (``ip netns exec NAME …``): each gets a private
mount namespace too, so bind mounts made there never reach the host.

Safety: this module only ever creates, uses and deletes namespaces whose names it made
itself; it never changes the host's interfaces, routes or firewall.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tests.conftest import need_program, need_root

__all__ = ["Namespace", "namespace", "need_netns", "ns_argv", "veth_pair"]

_COUNTER = itertools.count()


@dataclass(frozen=True)
class Namespace:
    name: str

    def argv(self, *argv: str) -> list[str]:
        return ns_argv(self.name, argv)

    def run(
        self, *argv: str, check: bool = True, timeout: float = 30.0, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the namespace (never through a shell)."""
        return subprocess.run(
            self.argv(*argv),
            check=check,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
        )

    def pids(self) -> list[int]:
        out = subprocess.run(
            ["ip", "netns", "pids", self.name],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        return [int(p) for p in out.split()]


def ns_argv(name: str, argv: Sequence[str]) -> list[str]:
    return ["ip", "netns", "exec", name, *argv]


def need_netns() -> None:
    """Namespaces need root and iproute2: fail under CI=true, skip loudly elsewhere."""
    need_program("ip", "iproute2")
    need_root("network namespaces")


def _delete(name: str, pids: Sequence[int]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        if sig == signal.SIGTERM and pids:
            time.sleep(0.2)
    subprocess.run(["ip", "netns", "delete", name], check=False, capture_output=True, timeout=10)


@contextlib.contextmanager
def namespace(tag: str) -> Iterator[Namespace]:
    """A fresh namespace with loopback up; deleted (and emptied) on exit."""
    need_netns()
    name = f"rp-{tag}-{os.getpid()}-{next(_COUNTER)}"
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=10)
    ns = Namespace(name)
    try:
        ns.run("ip", "link", "set", "lo", "up")
        yield ns
    finally:
        _delete(name, ns.pids())


def veth_pair(
    left: Namespace,
    right: Namespace,
    left_addresses: Sequence[str],
    right_addresses: Sequence[str],
) -> None:
    """A veth between two namespaces, created inside ``left`` (it never exists on the
    host), with the given addresses (CIDR; IPv6 ones added without DAD)."""
    a, b = f"rpv{next(_COUNTER)}a", f"rpv{next(_COUNTER)}b"
    left.run("ip", "link", "add", a, "type", "veth", "peer", "name", b, "netns", right.name)
    for ns, dev, addresses in ((left, a, left_addresses), (right, b, right_addresses)):
        for address in addresses:
            extra = ["nodad"] if ":" in address else []
            ns.run("ip", "addr", "add", address, "dev", dev, *extra)
        ns.run("ip", "link", "set", dev, "up")
