"""The munin-node protocol, pure: command lines in, reply texts out, the session's state.

It follows Debian's munin-node 2.0.73 (``Munin::Node::Server``), checked against the recorded
transcripts (``tests/fixtures/munin/transcripts``):

- commands match case-insensitively **from the start of the line**, in munin-node's order:
  ``list``, ``cap``, ``quit`` / any line starting with ``.``, ``version``, ``nodes``,
  ``fetch``, ``config``; anything else (``spoolfetch`` and ``starttls`` included: rempart has
  no spool and no TLS) gets ``# Unknown command…`` (one line, no ``.``);
- arguments as munin-node takes them: ``fetch``/``config`` take the non-blank run right after
  one optional blank (``fetch  load`` with two spaces asks for ``""``: ``# Unknown service``);
  ``list`` takes ``[0-9A-Za-z.-]+`` after any blanks, compared without case; ``cap`` takes the
  rest of the line, split on single spaces; one trailing CR is dropped (telnet);
- ``list`` is one line (no ``.``), ``nodes``/``config``/``fetch`` end with a ``.`` line.

Every reply is built here as one text, so the server sends it in one write.

rempart announces ``version: 2.0 (rempart X.Y.Z)`` (:func:`announced_version`): ``2.0`` is the
protocol level it speaks (munin-node 2.0: ``cap multigraph dirtyconfig``), the parenthesis says
what answers. The master never reads it; people running ``echo version | nc host 4949`` do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from rempart.munin.values import PluginInfo, PluginOutput

__all__ = [
    "CAPABILITIES",
    "MAX_LINE",
    "PROTOCOL_VERSION",
    "UNKNOWN_COMMAND",
    "Command",
    "CommandName",
    "Session",
    "announced_version",
    "banner",
    "cap_reply",
    "list_reply",
    "nodes_reply",
    "output_reply",
    "parse_command",
    "unknown_reply",
    "version_reply",
    "visible_plugins",
]

MAX_LINE = 4096  # bytes of one command line (munin-node has no bound; real commands are < 100)
CAPABILITIES = ("multigraph", "dirtyconfig")  # what rempart's node announces (no spool)
PROTOCOL_VERSION = "2.0"
UNKNOWN_COMMAND = "# Unknown command. Try cap, list, nodes, config, fetch, version or quit"

CommandName = Literal[
    "cap", "list", "nodes", "config", "fetch", "version", "quit", "unknown", "too long"
]

_A = re.ASCII | re.IGNORECASE
# munin-node's patterns, tried in its order, each anchored at the start of the line
_RULES: tuple[tuple[re.Pattern[str], CommandName], ...] = (
    (re.compile(r"list\s*([0-9a-zA-Z.\-]+)?", _A), "list"),
    (re.compile(r"cap\s?(.*)", _A | re.DOTALL), "cap"),
    (re.compile(r"quit|\.", _A), "quit"),
    (re.compile(r"version", _A), "version"),
    (re.compile(r"nodes", _A), "nodes"),
    (re.compile(r"fetch\s?(\S*)", _A), "fetch"),
    (re.compile(r"config\s?(\S*)", _A), "config"),
)


@dataclass(frozen=True, slots=True)
class Command:
    """One command line, parsed.

    ``argument``: the plugin of ``config``/``fetch`` (may be ""), the node of ``list``
    (lower-case; "" = this node); ``caps``: what ``cap`` announced.
    """

    name: CommandName
    argument: str = ""
    caps: frozenset[str] = frozenset()


def parse_command(line: str, *, limit: int = MAX_LINE) -> Command:
    """``line`` (without its LF) as munin-node 2.0 reads it; longer than ``limit``: "too long"."""
    if len(line) > limit:
        return Command("too long")
    if line.endswith("\r"):
        line = line[:-1]
    for pattern, name in _RULES:
        if m := pattern.match(line):
            return _command(name, m.group(1) if m.groups() else None)
    return Command("unknown")


def _command(name: CommandName, argument: str | None) -> Command:
    if name == "cap":
        return Command("cap", caps=frozenset(c for c in (argument or "").split(" ") if c))
    if name == "list":
        return Command("list", (argument or "").lower())
    return Command(name, argument or "")


@dataclass(slots=True)
class Session:
    """What one connection has said so far: the capabilities its master announced."""

    caps: frozenset[str] = frozenset()

    @property
    def multigraph(self) -> bool:
        return "multigraph" in self.caps

    @property
    def dirtyconfig(self) -> bool:
        return "dirtyconfig" in self.caps

    def announce(self, caps: Iterable[str]) -> str:
        """Record the master's ``cap`` and return the reply (always rempart's own caps)."""
        self.caps = frozenset(caps)
        return cap_reply()


def announced_version(rempart_version: str) -> str:
    """What ``version`` says after ``version:``: ``2.0 (rempart 0.1.0)``."""
    return f"{PROTOCOL_VERSION} (rempart {rempart_version})"


def banner(host: str) -> str:
    """The first line of every session."""
    return f"# munin node at {host}\n"


def cap_reply() -> str:
    return "cap " + " ".join(CAPABILITIES) + "\n"


def version_reply(host: str, version: str) -> str:
    """Munin's typo "munins" is on the wire; kept."""
    return f"munins node on {host} version: {version}\n"


def unknown_reply() -> str:
    return UNKNOWN_COMMAND + "\n"


def _node_of(plugin: PluginInfo, host: str) -> str:
    return plugin.node or host


def visible_plugins(
    plugins: Sequence[PluginInfo], session: Session, *, node: str, host: str
) -> list[str]:
    """Names ``list <node>`` shows: that node's plugins (first of a name wins), multigraph
    ones only after ``cap multigraph``, "very dirty" ones only after ``cap dirtyconfig``."""
    wanted = (node or host).lower()
    names: list[str] = []
    seen: set[str] = set()
    for plugin in plugins:
        if plugin.name in seen or _node_of(plugin, host).lower() != wanted:
            continue
        seen.add(plugin.name)
        if plugin.multigraph and not session.multigraph:
            continue
        if plugin.dirty and not session.dirtyconfig:
            continue
        names.append(plugin.name)
    return names


def list_reply(plugins: Sequence[PluginInfo], session: Session, *, node: str, host: str) -> str:
    """One line of names separated by spaces (an empty line for a node not served here)."""
    return " ".join(visible_plugins(plugins, session, node=node, host=host)) + "\n"


def nodes_reply(plugins: Sequence[PluginInfo], *, host: str) -> str:
    """This node first, then the virtual nodes of plugins (``host_name``), then ``.``."""
    names = [host]
    for plugin in plugins:
        if plugin.node and plugin.node not in names:
            names.append(plugin.node)
    return "".join(f"{n}\n" for n in names) + ".\n"


_FAILURES = {"unknown": "# Unknown service", "bad exit": "# Bad exit", "timed out": "# Timed out"}


def _body_lines(lines: Iterable[str]) -> list[str]:
    # one protocol line per line, and never a lone "." that would end the reply early
    out: list[str] = []
    for line in lines:
        out += [p for p in line.replace("\r", "").split("\n") if p != "."]
    return out


def output_reply(output: PluginOutput) -> str:
    """The reply to ``config`` or ``fetch``: the body lines then ``.``, or the failure line
    munin-node prints (``# Unknown service``, ``# Bad exit``, ``# Timed out``) then ``.``."""
    if output.outcome != "ok":
        return _FAILURES[output.outcome] + "\n.\n"
    return "".join(f"{line}\n" for line in _body_lines(output.lines)) + ".\n"
