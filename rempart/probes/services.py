"""The ``services`` probe: is each configured service up (1) or down (0)?

Three kinds of check, each a mapping ``display name → what to check``:

- ``processes``: a process name, matched against ``/proc/<pid>/comm`` (the kernel keeps 15
  characters of it, so a longer name is compared on those and confirmed on the ``exe``
  link's basename when readable);
- ``tcp``: ``host:port`` (``[v6]:port`` for IPv6) accepting a TCP connection within 1 s;
- ``units``: a systemd unit whose ``ActiveState`` is ``active`` or ``reloading``, from
  ``systemctl show -p ActiveState --value UNIT`` (argv, 2 s timeout), asked only when
  ``/run/systemd/system`` exists (systemd runs); otherwise the value is unknown (``U``).

One graph, ``services_up``, one field per name (critical below 1). The probe runs in the
background as soon as a tcp or unit check is configured (they wait on something else).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from rempart.errors import ProbeError
from rempart.metrics.model import Field, Graph, Series
from rempart.munin.names import unique_fieldnames
from rempart.probes.base import read_text

__all__ = [
    "COMM_LENGTH",
    "ServicesProbe",
    "combine",
    "parse_active_state",
    "parse_target",
    "services_graph",
]

COMM_LENGTH = 15  # TASK_COMM_LEN - 1
_UNSAFE = re.compile(r"[\x00-\x1f\x7f#\\]")
_UNIT = re.compile(r"[A-Za-z0-9:_.@\\-]{1,256}")


def parse_target(text: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` → ``(host, port)``; ``ValueError`` otherwise."""
    host, sep, port = text.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError("an IPv6 address goes in brackets: [::1]:25")
    if not sep or not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise ValueError("expected host:port")
    return host, int(port)


def parse_active_state(stdout: str) -> float | None:
    """``systemctl show --value`` output → 1 (active, reloading), 0 (other), None (empty)."""
    state = stdout.strip().splitlines()[0].strip() if stdout.strip() else ""
    if not state:
        return None
    return 1.0 if state in ("active", "reloading") else 0.0


def combine(results: Iterable[float | None]) -> float | None:
    """One name checked several ways (a process and its port): down when one check is down,
    unknown when one cannot tell, up otherwise."""
    results = list(results)
    if 0.0 in results:
        return 0.0
    return None if None in results else 1.0


def services_graph(fields: Mapping[str, str], kinds: Mapping[str, str]) -> Graph:
    """``services_up`` with one field per configured name (``fields``: name → field)."""
    return Graph(
        name="services_up",
        title="Services up",
        category="processes",
        vlabel="up (1) / down (0)",
        args="--base 1000 -l 0 -u 1",
        info="1 when the service is up, 0 when it is down (critical below 1).",
        fields=tuple(
            Field(
                name=field_name,
                label=_UNSAFE.sub("", name)[:80] or "?",
                min=0,
                max=1,
                critical="1:",
                info=_UNSAFE.sub("", kinds[name])[:200],
            )
            for name, field_name in fields.items()
        ),
    )


class ServicesProbe:
    """Up/down of configured processes, TCP ports and systemd units (see the module doc)."""

    name = "services"
    interval = 60.0

    def __init__(
        self,
        *,
        root: Path = Path("/"),
        processes: Mapping[str, str] | None = None,
        tcp: Mapping[str, str] | None = None,
        units: Mapping[str, str] | None = None,
        tcp_timeout: float = 1.0,
        unit_timeout: float = 2.0,
    ) -> None:
        self.root = root
        self.processes = dict(processes or {})
        self.tcp = {name: _target(name, text) for name, text in (tcp or {}).items()}
        self.units = dict(units or {})
        for name, unit in self.units.items():
            if not _UNIT.fullmatch(unit) or unit.startswith("-"):
                raise ProbeError("probe.services.bad_unit", name=name, unit=unit)
        self.tcp_timeout = tcp_timeout
        self.unit_timeout = unit_timeout
        checks = [
            *((n, f"process {p}") for n, p in self.processes.items()),
            *((n, f"TCP connection to {t}") for n, t in (tcp or {}).items()),
            *((n, f"systemd unit {u}") for n, u in self.units.items()),
        ]
        self._kinds: dict[str, str] = {}
        for name, kind in checks:  # one name checked several ways: one field, all checks
            self._kinds[name] = f"{self._kinds[name]}, {kind}" if name in self._kinds else kind
        self._order = list(self._kinds)

    @property
    def background(self) -> bool:
        return bool(self.tcp or self.units)

    def collect(self) -> tuple[Series, ...]:
        if not self._order:
            return ()
        checks: dict[str, list[float | None]] = {}
        if self.processes:
            running = _comms(self.root / "proc", self.processes.values())
            for name, process in self.processes.items():
                checks.setdefault(name, []).append(1.0 if process in running else 0.0)
        for name, (host, port) in self.tcp.items():
            checks.setdefault(name, []).append(self._connects(host, port))
        systemd = (self.root / "run/systemd/system").is_dir()
        for name, unit in self.units.items():
            checks.setdefault(name, []).append(self._unit_state(unit) if systemd else None)
        fields = unique_fieldnames(self._order)
        graph = services_graph(fields, self._kinds)
        return (Series(graph, {fields[n]: combine(v) for n, v in checks.items()}),)

    def _connects(self, host: str, port: int) -> float:
        try:
            with socket.create_connection((host, port), timeout=self.tcp_timeout):
                return 1.0
        except OSError:
            return 0.0

    def _unit_state(self, unit: str) -> float | None:
        argv = ["systemctl", "show", "-p", "ActiveState", "--value", "--", unit]
        try:
            done = subprocess.run(  # noqa: S603 - argv list, no shell; the unit name is checked
                argv, capture_output=True, text=True, timeout=self.unit_timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return parse_active_state(done.stdout) if done.returncode == 0 else None


def _target(name: str, text: str) -> tuple[str, int]:
    try:
        return parse_target(text)
    except ValueError as exc:
        raise ProbeError("probe.services.bad_target", name=name, target=text) from exc


def _comms(proc: Path, wanted: Iterable[str]) -> set[str]:
    """Which of the ``wanted`` process names run now (one pass over /proc)."""
    short: dict[str, list[str]] = {}
    for name in set(wanted):
        short.setdefault(name[:COMM_LENGTH], []).append(name)
    found: set[str] = set()
    try:
        pids = [p for p in os.listdir(proc) if p.isascii() and p.isdigit()]
    except OSError:
        return found
    for pid in pids:
        try:
            comm = read_text(proc / pid / "comm", 64).rstrip("\n")
        except OSError:
            continue
        for full in short.get(comm, ()):
            if len(full) <= COMM_LENGTH or _exe_name(proc / pid) in (full, None):
                found.add(full)
    return found


def _exe_name(pid_dir: Path) -> str | None:
    """The basename of the process's executable; None when the link cannot be read."""
    try:
        target = os.readlink(pid_dir / "exe")
    except OSError:
        return None
    return os.path.basename(target.removesuffix(" (deleted)"))
