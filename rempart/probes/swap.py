"""``swap``: pages swapped in/out (Munin's core ``swap`` graph) and ``swap_usage`` (bytes, %).

Nothing at all is returned on a machine without swap (``SwapTotal`` 0 or absent).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

from rempart.metrics.model import Field, Graph, Series
from rempart.probes.base import read_text
from rempart.probes.memory import parse_meminfo
from rempart.probes.systext import to_int

__all__ = ["SWAP_GRAPH", "SWAP_USAGE_GRAPH", "SwapProbe", "parse_vmstat", "swap_series"]

SWAP_GRAPH: Final = Graph(
    "swap",
    "Swap in/out",
    "system",
    (
        Field("swap_in", "swap", type="DERIVE", min=0, max=100000, graph=False),
        Field(
            "swap_out",
            "swap",
            type="DERIVE",
            min=0,
            max=100000,
            negative="swap_in",
            info="Pages swapped in (-) and out (+) per second.",
        ),
    ),
    vlabel="pages per ${graph_period} in (-) / out (+)",
    args="-l 0 --base 1000",
)
SWAP_USAGE_GRAPH: Final = Graph(
    "swap_usage",
    "Swap usage",
    "system",
    (
        Field("used", "used", min=0, draw="AREA", info="Swap space in use.", unit="bytes"),
        Field("total", "total", min=0, draw="LINE1", info="Swap space available.", unit="bytes"),
        Field(
            "percent",
            "used %",
            min=0,
            max=100,
            graph=False,
            warning="80",
            critical="95",
            info="Share of the swap space in use (stored, not drawn; alerts at 80 and 95 %).",
            unit="percent",
        ),
    ),
    vlabel="Bytes",
    args="--base 1024 -l 0",
    info="How much of the swap space is used.",
)


def parse_vmstat(text: str) -> dict[str, int]:
    """``/proc/vmstat`` as ``{key: value}`` (lines that are not ``name number`` skipped)."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) == 2 and (value := to_int(words[1])) is not None:
            out[words[0]] = value
    return out


def swap_series(mem: Mapping[str, int], vmstat: Mapping[str, int]) -> tuple[Series, ...]:
    """The two swap series, or () when the machine has no swap."""
    total = mem.get("SwapTotal", 0)
    if total <= 0:
        return ()
    used = max(total - mem.get("SwapFree", 0), 0)
    usage = {"used": float(used), "total": float(total), "percent": 100.0 * used / total}
    out = [Series(SWAP_USAGE_GRAPH, MappingProxyType(usage))]
    if "pswpin" in vmstat and "pswpout" in vmstat:
        pages = {"swap_in": float(vmstat["pswpin"]), "swap_out": float(vmstat["pswpout"])}
        out.insert(0, Series(SWAP_GRAPH, MappingProxyType(pages)))
    return tuple(out)


class SwapProbe:
    """Swap activity and use from ``root/proc/meminfo`` and ``root/proc/vmstat``."""

    name = "swap"
    background = False
    interval = 0.0

    def __init__(self, *, root: Path = Path("/")) -> None:
        self._root = root

    def collect(self) -> tuple[Series, ...]:
        mem = parse_meminfo(read_text(self._root / "proc/meminfo"))
        if mem.get("SwapTotal", 0) <= 0:
            return ()
        return swap_series(mem, parse_vmstat(read_text(self._root / "proc/vmstat")))
