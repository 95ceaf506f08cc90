"""``memory``: what the memory is used for, as Munin's core ``memory`` plugin graphs it.

Same fields and arithmetic as the plugin (``apps`` = MemTotal minus free, buffers, cache, slab,
page tables, per-cpu and swap cache; ``cached`` without Shmem), so a Munin master keeps its RRDs.
Only the fields whose ``/proc/meminfo`` line exists are returned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

from rempart.metrics.model import Field, Graph, Series
from rempart.probes.base import read_text

__all__ = ["MemoryProbe", "memory_graph", "memory_values", "parse_meminfo"]

_LINE = re.compile(r"^(\w+):\s*(\d+)\s+kB", re.ASCII | re.IGNORECASE | re.MULTILINE)

# field, meminfo key (None: computed), label, draw, info
_FIELDS: Final[tuple[tuple[str, str | None, str, str, str], ...]] = (
    ("apps", None, "apps", "AREA", "Memory used by user-space applications."),
    (
        "page_tables",
        "PageTables",
        "page_tables",
        "STACK",
        "Memory used to map between virtual and physical memory addresses.",
    ),
    ("per_cpu", "Percpu", "per_cpu", "STACK", "Per CPU allocations"),
    (
        "swap_cache",
        "SwapCached",
        "swap_cache",
        "STACK",
        "A piece of memory that keeps track of pages that have been fetched from swap but not yet "
        "been modified.",
    ),
    (
        "slab",
        "Slab",
        "slab_cache",
        "STACK",
        "Memory used by the kernel (major users are caches like inode, dentry, etc).",
    ),
    ("shmem", "Shmem", "shmem", "STACK", "Shared Memory (SYSV SHM segments, tmpfs)."),
    ("cached", "Cached", "cache", "STACK", "Parked file data (file content) cache."),
    (
        "buffers",
        "Buffers",
        "buffers",
        "STACK",
        'Block device (e.g. harddisk) cache. Also where "dirty" blocks are stored until written.',
    ),
    (
        "free",
        "MemFree",
        "unused",
        "STACK",
        "Wasted memory. Memory that is not used for anything at all.",
    ),
    ("swap", None, "swap", "STACK", "Swap space used."),
    ("vmalloc_used", "VmallocUsed", "vmalloc_used", "LINE2", "'VMalloc' (kernel) memory used"),
    (
        "committed",
        "Committed_AS",
        "committed",
        "LINE2",
        "The amount of memory allocated to programs. Overcommitting is normal, but may indicate "
        "memory leaks.",
    ),
    ("mapped", "Mapped", "mapped", "LINE2", "All mmap()ed pages."),
    (
        "active",
        "Active",
        "active",
        "LINE2",
        "Memory recently used. Not reclaimed unless absolutely necessary.",
    ),
    ("inactive", "Inactive", "inactive", "LINE2", "Memory not currently used."),
)
_APPS_MINUS: Final = (
    "MemFree",
    "Buffers",
    "Cached",
    "Slab",
    "PageTables",
    "Percpu",
    "SwapCached",
)


def parse_meminfo(text: str) -> dict[str, int]:
    """``/proc/meminfo`` as ``{key: bytes}`` for the ``kB`` lines (never raises)."""
    return {m[1]: int(m[2]) * 1024 for m in _LINE.finditer(text)}


def memory_values(mem: Mapping[str, int]) -> dict[str, float]:
    """Munin's ``memory`` values from parsed meminfo ({} without MemTotal)."""
    if "MemTotal" not in mem:
        return {}
    out: dict[str, float] = {}
    out["apps"] = mem["MemTotal"] - sum(mem.get(k, 0) for k in _APPS_MINUS)
    for name, key, *_ in _FIELDS:
        if key is not None and key in mem:
            out[name] = mem[key]
    out["cached"] = mem.get("Cached", 0) - mem.get("Shmem", 0)
    out["free"] = mem.get("MemFree", 0)
    out["buffers"] = mem.get("Buffers", 0)
    out["swap"] = mem.get("SwapTotal", 0) - mem.get("SwapFree", 0)
    return {k: float(v) for k, v in out.items()}


def memory_graph(values: Mapping[str, float], total: int) -> Graph:
    """Munin's ``memory`` graph with the fields present in ``values``."""
    fields = tuple(
        Field(name, label, draw=draw, info=info, min=0, unit="bytes")
        for name, _, label, draw, info in _FIELDS
        if name in values
    )
    return Graph(
        "memory",
        "Memory usage",
        "system",
        fields,
        vlabel="Bytes",
        args=f"--base 1024 -l 0 --upper-limit {total}",
        info="This graph shows what the machine uses memory for.",
        order=tuple(f.name for f in fields if f.draw != "LINE2"),
    )


class MemoryProbe:
    """Memory use by kind from ``root/proc/meminfo``."""

    name = "memory"
    background = False
    interval = 0.0

    def __init__(self, *, root: Path = Path("/")) -> None:
        self._root = root

    def collect(self) -> tuple[Series, ...]:
        mem = parse_meminfo(read_text(self._root / "proc/meminfo"))
        values = memory_values(mem)
        if not values:
            return ()
        return (Series(memory_graph(values, mem["MemTotal"]), MappingProxyType(values)),)
