"""What every probe is: a name, whether it runs in the background, and a blocking ``collect``.

A probe module has a **pure** ``parse_*`` function (text in, values out, tested with literal
strings) and a **thin** class whose ``collect`` reads files under an injectable ``root``
(``Path("/")`` in production, a fixture tree in tests: ``root / "proc/loadavg"``) and returns
:class:`~rempart.metrics.model.Series`. ``collect`` runs in the probe thread, never on the
agent's event loop; it may keep state between calls (previous counters for a utilisation), and
it raises :class:`~rempart.errors.ProbeError` (or lets ``OSError`` out) when it cannot work: the
caller turns that into a failed collection, never a crash.

``background = True`` marks probes that wait on the network or another process (TLS, HTTP,
MariaDB, container APIs): the agent collects them on their own ``interval`` and serves the
last result, so a Munin poll never waits on them. The others are collected on demand (a poll)
and their result reused for a few seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from rempart.errors import ProbeError
from rempart.metrics.model import Series

__all__ = ["Probe", "ProbeError", "read_text"]


@runtime_checkable
class Probe(Protocol):
    """A metric probe (see the module documentation)."""

    @property
    def name(self) -> str:
        """Unique name, used in the configuration (`[probes] disabled`) and by `rempart probes`."""
        ...

    @property
    def background(self) -> bool:
        """True when it waits on the network or another process (collected on its interval)."""
        ...

    @property
    def interval(self) -> float:
        """Seconds between background collections (ignored for on-demand probes)."""
        ...

    def collect(self) -> tuple[Series, ...]:
        """Read and return the current values. Blocking; raises ProbeError or OSError."""
        ...


def read_text(path: Path, limit: int = 4 << 20) -> str:
    """The text of a small /proc or /sys file (at most ``limit`` bytes, decoded leniently)."""
    with path.open("rb") as handle:
        return handle.read(limit).decode("utf-8", "replace")
