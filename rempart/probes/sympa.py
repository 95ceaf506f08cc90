"""Sympa: lists per robot, spool sizes, and messages distributed and bounces from its log.

- ``sympa_lists``: lists are the directories holding a ``config`` file, under
  ``list_data/<robot>/<list>`` (Sympa 6.2 with robots) or directly ``list_data/<list>`` (the
  main robot, older layout); a ``total`` field and one per robot (label: the robot's name);
- ``sympa_spool``: files in each subdirectory of the spool (msg, bulk, bounce, outgoing...),
  counted recursively;
- ``sympa_messages``: per minute, messages distributed to lists, bounces received by
  ``bounced``, and addresses those bounces were recorded for — counted from the Sympa log read
  incrementally (like postfix, starting at its end).

The log wording is Sympa 6.2's (``Sympa::Log::syslog`` writes ``<level> <caller>() <text>``):
``info Sympa::Spindle::ToList::_twist() Message … for … from … accepted (…)`` for a message
distributed, ``notice Sympa::Spindle::ProcessBounce::_twist() Processing …; envelope_sender=…``
for each bounce processed, and ``… Received bounce for email address …`` for each address it is
stored for (see tests/fixtures/probes/sympa/README.md for the source lines). The caller name is
written by Sympa before any message text, so a sender, subject or message-id can never make a
line count: :func:`parse_sympa_line` matches the syslog header, the level and the caller first.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rempart.errors import ProbeError
from rempart.metrics.model import Field, Graph, Series
from rempart.munin.names import unique_fieldnames
from rempart.probes.logtail import LogTail
from rempart.probes.spool import count_files_or_fail, under

__all__ = [
    "MAX_ENTITIES",
    "SympaCounters",
    "SympaProbe",
    "count_lists",
    "lists_graph",
    "messages_graph",
    "parse_sympa_line",
    "spool_graph",
]

MAX_ENTITIES = 64
SympaEvent = Literal["distributed", "bounce", "bounced_address"]

_LINE = re.compile(
    r"(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT[0-9:.+\-Z]+) \S+ "
    r"[\w.\-]+\[\d+\]: (?:info|notice) (?P<rest>.*)"
)
_DISTRIBUTED = re.compile(r"Sympa::Spindle::ToList::_twist\(\) Message .* accepted \(")
_BOUNCE = re.compile(r"Sympa::Spindle::ProcessBounce::_twist\(\) Processing \S.*; envelope_sender=")
_BOUNCED_ADDRESS = re.compile(
    r"Sympa::Spindle::ProcessBounce::_twist\(\) Received bounce for email address "
)


def parse_sympa_line(line: str) -> SympaEvent | None:
    """What one Sympa log line counts as, or None (pure, never raises)."""
    head = _LINE.match(line)
    if head is None:
        return None
    rest = head.group("rest")
    if _DISTRIBUTED.match(rest):
        return "distributed"
    if _BOUNCE.match(rest):
        return "bounce"
    if _BOUNCED_ADDRESS.match(rest):
        return "bounced_address"
    return None


@dataclass(slots=True)
class SympaCounters:
    """Counts of Sympa log events since the probe started (pure)."""

    counts: dict[str, int] = field(
        default_factory=lambda: {"distributed": 0, "bounce": 0, "bounced_address": 0}
    )

    def feed(self, line: str) -> None:
        event = parse_sympa_line(line)
        if event is not None:
            self.counts[event] += 1


def _subdirs(path: Path, limit: int = MAX_ENTITIES) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            found = [e for e in entries if e.is_dir(follow_symlinks=False)]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(found, key=lambda e: e.name)[:limit]


def count_lists(list_data: Path) -> dict[str, int]:
    """Lists per robot under ``list_data`` (``""`` = lists directly in it, the main robot)."""
    robots: dict[str, int] = {}
    for entry in _subdirs(list_data, limit=100_000):
        if os.path.isfile(os.path.join(entry.path, "config")):
            robots[""] = robots.get("", 0) + 1
        elif len(robots) < MAX_ENTITIES:
            robots[entry.name] = sum(
                1
                for sub in _subdirs(Path(entry.path), limit=1_000_000)
                if os.path.isfile(os.path.join(sub.path, "config"))
            )
    return robots


def _robot_label(robot: str) -> str:
    return robot or "main robot (lists directly in list_data)"


def lists_graph(robots: tuple[str, ...]) -> tuple[Graph, dict[str, str]]:
    """``sympa_lists`` for ``robots``, and the field name of each robot."""
    names = unique_fieldnames(["total", *[r or "main" for r in robots]])
    fields = [Field("total", "all robots", min=0, draw="LINE2", info="Lists on this server.")]
    by_robot = {r: names[r or "main"] for r in robots}
    fields += [
        Field(by_robot[r], _robot_label(r), min=0, info=f"Lists of {_robot_label(r)}.")
        for r in robots
    ]
    graph = Graph(
        name="sympa_lists",
        title="Sympa mailing lists",
        category="sympa",
        vlabel="lists",
        args="--base 1000 -l 0",
        info="Mailing lists (directories holding a config file), in all and per robot.",
        fields=tuple(fields),
    )
    return graph, by_robot


def spool_graph(spools: tuple[str, ...]) -> tuple[Graph, dict[str, str]]:
    """``sympa_spool`` for the spool subdirectories, and the field name of each."""
    names = unique_fieldnames(spools)
    fields = tuple(Field(names[s], s, min=0, info=f"Files in the {s} spool.") for s in spools)
    graph = Graph(
        name="sympa_spool",
        title="Sympa spools",
        category="sympa",
        vlabel="files",
        args="--base 1000 -l 0",
        info="Files waiting in each Sympa spool directory.",
        fields=fields,
    )
    return graph, names


def messages_graph() -> Graph:
    """``sympa_messages``: distributed messages and bounces, per minute."""
    return Graph(
        name="sympa_messages",
        title="Sympa messages and bounces",
        category="sympa",
        vlabel="messages / ${graph_period}",
        args="--base 1000 -l 0",
        period="minute",
        info="Counted from the Sympa log since the agent started.",
        fields=(
            Field("distributed", "distributed", type="DERIVE", min=0, info="Messages to lists."),
            Field("bounces", "bounces received", type="DERIVE", min=0, info="Bounces processed."),
            Field(
                "bounced_addresses",
                "bouncing addresses",
                type="DERIVE",
                min=0,
                info="Subscriber addresses a bounce was recorded for.",
            ),
        ),
    )


class SympaProbe:
    """Sympa lists, spools and log counts."""

    name = "sympa"
    background = False
    interval = 60.0

    def __init__(
        self,
        *,
        root: Path = Path("/"),
        list_data: Path = Path("/var/lib/sympa/list_data"),
        spool: Path = Path("/var/spool/sympa"),
        log: Path = Path("/var/log/sympa.log"),
        max_bytes: int = 16 << 20,
    ) -> None:
        self._list_data = under(root, list_data)
        self._spool = under(root, spool)
        self._tail = LogTail(under(root, log), max_bytes=max_bytes)
        self._counters = SympaCounters()
        self._seen_log = False

    def collect(self) -> tuple[Series, ...]:
        series: list[Series] = []
        if self._list_data.is_dir():
            series.append(self._lists())
        if self._spool.is_dir():
            series.append(self._spools())
        if self._tail.exists() or self._seen_log:
            self._seen_log = True
            self._read_log()
            c = self._counters.counts
            values = {
                "distributed": float(c["distributed"]),
                "bounces": float(c["bounce"]),
                "bounced_addresses": float(c["bounced_address"]),
            }
            series.append(Series(messages_graph(), values))
        return tuple(series)

    def _lists(self) -> Series:
        try:
            robots = count_lists(self._list_data)
        except OSError as exc:
            raise ProbeError(
                "probe.apps.unreadable", probe=self.name, path=str(self._list_data), reason=str(exc)
            ) from exc
        graph, names = lists_graph(tuple(robots))
        values: dict[str, float | None] = {"total": float(sum(robots.values()))}
        values.update({names[r]: float(n) for r, n in robots.items()})
        return Series(graph, values)

    def _spools(self) -> Series:
        try:
            dirs = [e.name for e in _subdirs(self._spool)]
        except OSError as exc:
            raise ProbeError(
                "probe.apps.unreadable", probe=self.name, path=str(self._spool), reason=str(exc)
            ) from exc
        graph, names = spool_graph(tuple(dirs))
        values = {names[d]: float(count_files_or_fail(self.name, self._spool / d)) for d in dirs}
        return Series(graph, dict(values))

    def _read_log(self) -> None:
        try:
            self._tail.read(self._counters.feed)
        except OSError as exc:
            raise ProbeError(
                "probe.apps.unreadable", probe=self.name, path=str(self._tail.path), reason=str(exc)
            ) from exc
