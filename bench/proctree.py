"""A process and its descendants, and their memory, read from /proc (for the benchmarks)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["node_pids", "rss_kib"]


def node_pids(leader: int) -> list[int]:
    """``leader`` and all its descendants (from /proc/*/stat parent links)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [leader]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB, from /proc/PID/status; (0, 0) when it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return (0, 0)
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

    def kib(key: str) -> int:
        return int(fields.get(key, "0 kB").split()[0])

    return (kib("VmRSS"), kib("VmHWM"))
