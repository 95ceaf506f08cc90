"""Containers as cgroup v2 shows them: where each runtime puts its containers, and their figures.

Layouts recognised under ``/sys/fs/cgroup`` (the directory name decides; see
:func:`classify`):

- Docker, systemd driver: ``system.slice/docker-<64 hex>.scope``; cgroupfs driver:
  ``docker/<64 hex>``
- Podman, systemd: ``machine.slice/libpod-<64 hex>.scope`` (also inside a pod's
  ``machine-libpod_pod_<id>.slice`` and, rootless, under
  ``user.slice/user-N.slice/user@N.service/…``); cgroupfs manager:
  ``libpod_parent/libpod-<64 hex>``; ``libpod-conmon-<id>.scope`` (conmon) is not a container
- LXC 4/5: ``lxc.payload.<name>`` (``lxc.monitor.<name>`` holds the monitor, not the container);
  older ``lxc/<name>``
- systemd-nspawn (and machined guests): ``machine.slice/machine-<escaped name>.scope``

The walk only descends into slices, ``user@N.service`` and the runtimes' parent directories,
never into a container once found (nested cgroups belong to it), to a bounded depth.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CgroupContainer",
    "classify",
    "find_containers",
    "first_pid",
    "parse_cpu_stat",
    "parse_pids",
    "read_int",
    "read_small",
    "unescape_unit",
]

_HEX64 = r"[0-9a-f]{64}"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("docker", re.compile(rf"docker-({_HEX64})\.scope")),
    ("podman", re.compile(rf"libpod-({_HEX64})(?:\.scope)?")),
    ("lxc", re.compile(r"lxc\.payload\.(.+)")),
    ("nspawn", re.compile(r"machine-(.+)\.scope")),
)
# Parent directories of the cgroupfs drivers: (parent name, kind, child pattern).
_PARENTS: dict[str, tuple[str, re.Pattern[str]]] = {
    "docker": ("docker", re.compile(f"({_HEX64})")),
    "lxc": ("lxc", re.compile(r"(.+)")),
}
_DESCEND = re.compile(r".*\.slice|user@\d+\.service|docker|lxc|libpod_parent")
MAX_DEPTH = 6
MAX_CONTAINERS = 4096


@dataclass(frozen=True, slots=True)
class CgroupContainer:
    """A container found in the cgroup tree: runtime, id (or name for LXC/nspawn), directory."""

    kind: str  # docker, podman, lxc, nspawn
    ident: str  # the 64-hex id for docker/podman, the name for lxc/nspawn
    path: Path


def unescape_unit(name: str) -> str:
    """systemd's unit-name escaping undone (``\\x2d`` → ``-``); invalid escapes left as they are."""
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), name)


def classify(name: str, parent: str) -> tuple[str, str] | None:
    """``(kind, ident)`` when the cgroup directory ``name`` (under ``parent``) is a container."""
    if parent in _PARENTS:
        kind, pattern = _PARENTS[parent]
        match = pattern.fullmatch(name)
        return (kind, match.group(1)) if match else None
    for kind, pattern in _PATTERNS:
        match = pattern.fullmatch(name)
        if match:
            ident = match.group(1)
            return (kind, unescape_unit(ident) if kind == "nspawn" else ident)
    return None


def find_containers(cgroup_root: Path) -> list[CgroupContainer]:
    """Every container directory under ``cgroup_root`` (a cgroup v2 mount), in walk order."""
    found: list[CgroupContainer] = []
    stack: list[tuple[Path, str, int]] = [(cgroup_root, "", 0)]
    while stack and len(found) < MAX_CONTAINERS:
        directory, parent, depth = stack.pop()
        for name in _subdirectories(directory):
            hit = classify(name, parent)
            if hit is not None:
                found.append(CgroupContainer(hit[0], hit[1], directory / name))
            elif depth < MAX_DEPTH and _DESCEND.fullmatch(name):
                stack.append((directory / name, name, depth + 1))
    return found


def _subdirectories(directory: Path) -> Iterator[str]:
    try:
        with os.scandir(directory) as entries:
            names = sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))
    except OSError:
        return iter(())
    return iter(names)


def parse_cpu_stat(text: str) -> dict[str, int]:
    """``cpu.stat`` (``usage_usec 1234`` lines) as a mapping; malformed lines skipped."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isascii() and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


def parse_pids(text: str) -> tuple[int, ...]:
    """``cgroup.procs``: one pid per line; anything else skipped."""
    return tuple(int(w) for w in text.split() if w.isascii() and w.isdigit() and 0 < len(w) < 11)


def read_small(path: str | Path, limit: int = 65536) -> str:
    """The start of a small /proc, /sys or cgroup file (``OSError`` when unreadable).

    Plain ``os.open``/``os.read``: a few µs, where ``Path.read_text`` costs several times
    that — this is read several times per container per collection.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks: list[bytes] = []
        size = 0
        while size < limit:
            chunk = os.read(fd, limit - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace")


def read_int(path: str | Path) -> int | None:
    """A file holding one integer (``memory.current``), or None when absent or not a number."""
    try:
        text = read_small(path, 64).strip()
    except OSError:
        return None
    return int(text) if text.isascii() and text.isdigit() else None


def first_pid(cgroup: Path, max_depth: int = 3) -> int | None:
    """One process of the container: from its ``cgroup.procs``, else from a nested cgroup.

    Breadth first, sorted names; ``supervisor`` (systemd-nspawn's own process, on the host's
    network) is skipped so the pid seen is the payload's.
    """
    queue: list[tuple[Path, int]] = [(cgroup, 0)]
    while queue:
        directory, depth = queue.pop(0)
        try:
            pids = parse_pids(read_small(f"{directory}/cgroup.procs", 4096))
        except OSError:
            pids = ()
        if pids:
            return pids[0]
        if depth < max_depth:
            queue.extend(
                (directory / n, depth + 1) for n in _subdirectories(directory) if n != "supervisor"
            )
    return None
