"""``psi``: pressure stall information (``/proc/pressure``): share of time tasks were stalled.

Choice: the cumulative ``total`` (microseconds stalled) as DERIVE with the cdef ``x,10000,/``
(µs per second → percent), not ``avg10``: a Munin poll every 5 minutes then averages the whole
interval exactly, where ``avg10`` would only sample the last 10 seconds before the poll.
``some``: at least one task stalled; ``full``: all non-idle tasks stalled at once (absent for
``cpu`` on older kernels). Nothing is returned when ``/proc/pressure`` is absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

from rempart.metrics.model import Field, Graph, Series
from rempart.probes.base import read_text
from rempart.probes.systext import to_int

__all__ = ["RESOURCES", "PsiProbe", "parse_pressure", "psi_graph"]

RESOURCES: Final = ("cpu", "memory", "io")
_INFO: Final = {
    "some": "Share of time at least one task was stalled waiting for {r}.",
    "full": "Share of time all non-idle tasks were stalled waiting for {r} at once.",
}


def parse_pressure(text: str) -> dict[str, int]:
    """``{"some": total µs, "full": total µs}`` from one ``/proc/pressure/*`` file."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        words = line.split()
        if not words or words[0] not in _INFO:
            continue
        for word in words[1:]:
            key, _, value = word.partition("=")
            if key == "total" and (number := to_int(value)) is not None:
                out[words[0]] = number
    return out


def psi_graph(resource: str, kinds: tuple[str, ...]) -> Graph:
    """The ``psi_<resource>`` graph with the ``some``/``full`` fields present."""
    fields = tuple(
        Field(
            kind,
            kind,
            type="DERIVE",
            min=0,
            cdef=f"{kind},10000,/",
            info=_INFO[kind].format(r=resource),
            unit="percent",
        )
        for kind in kinds
    )
    return Graph(
        f"psi_{resource}",
        f"Pressure stall: {resource}",
        "system",
        fields,
        vlabel="% of time stalled",
        args="--base 1000 -l 0",
        info=f"Share of wall time lost waiting for {resource} (Linux pressure stall information).",
        scale=False,
    )


class PsiProbe:
    """Pressure stall figures from ``root/proc/pressure/{cpu,memory,io}``."""

    name = "psi"
    background = False
    interval = 0.0

    def __init__(self, *, root: Path = Path("/")) -> None:
        self._root = root

    def collect(self) -> tuple[Series, ...]:
        out: list[Series] = []
        for resource in RESOURCES:
            try:
                totals: Mapping[str, int] = parse_pressure(
                    read_text(self._root / "proc/pressure" / resource)
                )
            except OSError:  # no PSI (kernel option off, or psi=0): nothing for this resource
                continue
            kinds = tuple(k for k in ("some", "full") if k in totals)
            if kinds:
                values = {k: float(totals[k]) for k in kinds}
                out.append(Series(psi_graph(resource, kinds), MappingProxyType(values)))
        return tuple(out)
