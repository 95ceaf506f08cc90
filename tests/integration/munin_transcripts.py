"""Recorded munin-node sessions (tests/fixtures/munin/transcripts) and what serves them.

- :func:`load` reads one transcript into steps (``("C", line)``, ``("S", line)``, ``("closed",
  "")``);
- :class:`TranscriptBackend` is a :class:`~rempart.services.munin_node.NodeBackend` serving the
  bodies Debian's munin-node 2.0.73 printed (recorded data, not invented answers): the plugin
  list of ``04-list.txt`` in its order, multigraph plugins = those ``03-list-without-cap.txt``
  lacks, ``zz_research_dirty`` on the virtual node ``virtual-sympa.example``;
- :class:`ServerThread` runs a :class:`MuninNodeServer` on 127.0.0.1 port 0 in its own thread
  and event loop, so tests talk to it with plain blocking sockets;
- :class:`Client` is a line client that also counts reads.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rempart.munin.values import PluginInfo, PluginOutput
from rempart.services.munin_node import MuninNodeServer, NodeBackend
from tests.conftest import FIXTURES

TRANSCRIPTS = FIXTURES / "munin" / "transcripts"
HOST = "vm"
VIRTUAL = "virtual-sympa.example"
_FAILURES = {"# Unknown service": "unknown", "# Bad exit": "bad exit", "# Timed out": "timed out"}

Step = tuple[str, str]


def load(path: Path) -> list[Step]:
    """The steps of one transcript (header lines dropped, ``\\r`` turned back into CR)."""
    steps: list[Step] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("C: "):
            steps.append(("C", line[3:].replace("\\r", "\r")))
        elif line.startswith("S: "):
            steps.append(("S", line[3:]))
        elif line == "[closed]":
            steps.append(("closed", ""))
    return steps


def exchanges() -> list[Path]:
    return sorted(TRANSCRIPTS.glob("*.txt"))


def _output(lines: list[str]) -> PluginOutput:
    if len(lines) == 1 and lines[0] in _FAILURES:
        return PluginOutput(_FAILURES[lines[0]])  # type: ignore[arg-type]
    return PluginOutput("ok", tuple(lines))


@dataclass
class Bodies:
    """Recorded config bodies by (plugin, dirtyconfig) and fetch bodies by plugin."""

    config: dict[tuple[str, bool], PluginOutput] = field(default_factory=dict)
    fetch: dict[str, PluginOutput] = field(default_factory=dict)

    def add(self, steps: Sequence[Step]) -> None:
        dirty = False
        i = 0
        while i < len(steps):
            kind, text = steps[i]
            i += 1
            if kind != "C":
                continue
            words = text.split()
            verb = words[0].lower() if words else ""
            if verb == "cap":
                dirty = "dirtyconfig" in words
            if verb not in ("config", "fetch") or len(words) < 2:
                continue
            body: list[str] = []
            while i < len(steps) and steps[i][0] == "S" and steps[i][1] != ".":
                body.append(steps[i][1])
                i += 1
            if verb == "config":
                self.config[(words[1], dirty)] = _output(body)
            else:
                self.fetch[words[1]] = _output(body)


def _list_line(name: str) -> list[str]:
    steps = load(TRANSCRIPTS / name)
    index = next(i for i, s in enumerate(steps) if s[0] == "C" and s[1].lower() == "list")
    return steps[index + 1][1].split()


def recorded_plugins() -> list[PluginInfo]:
    after_cap = _list_line("04-list.txt")
    before_cap = set(_list_line("03-list-without-cap.txt"))
    plugins = [PluginInfo(n, multigraph=n not in before_cap) for n in after_cap]
    return [*plugins, PluginInfo("zz_research_dirty", node=VIRTUAL)]


def all_bodies() -> Bodies:
    """Every recorded body (the full poll first, the single exchanges override it)."""
    bodies = Bodies()
    bodies.add(load(TRANSCRIPTS / "20-full-poll.txt"))
    for path in sorted(TRANSCRIPTS.glob("config-*.txt")) + sorted(TRANSCRIPTS.glob("fetch-*.txt")):
        bodies.add(load(path))
    return bodies


class TranscriptBackend:
    """A NodeBackend answering with recorded bodies; records what it was asked."""

    def __init__(self, bodies: Bodies, plugins: Sequence[PluginInfo] | None = None) -> None:
        self.bodies = bodies
        self._plugins = list(recorded_plugins() if plugins is None else plugins)
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    @property
    def host_name(self) -> str:
        return HOST

    async def plugins(self) -> Sequence[PluginInfo]:
        return self._plugins

    def _known(self, name: str) -> bool:
        return any(p.name == name for p in self._plugins)

    async def config(self, name: str, *, dirtyconfig: bool, peer: str) -> PluginOutput:
        self.calls.append(("config", name, {"dirtyconfig": dirtyconfig, "peer": peer}))
        if not self._known(name):
            return PluginOutput("unknown")
        found = self.bodies.config.get((name, dirtyconfig)) or self.bodies.config.get(
            (name, not dirtyconfig)
        )
        return found or PluginOutput("unknown")

    async def fetch(self, name: str, *, peer: str) -> PluginOutput:
        self.calls.append(("fetch", name, {"peer": peer}))
        if not self._known(name):
            return PluginOutput("unknown")
        return self.bodies.fetch.get(name, PluginOutput("unknown"))


class ServerThread:
    """A MuninNodeServer on 127.0.0.1:0 in a thread of its own (its own event loop)."""

    def __init__(self, backend: NodeBackend, **options: Any) -> None:
        options.setdefault("log", logging.getLogger("rempart.test.munin"))
        self.server = MuninNodeServer(backend, listen=("127.0.0.1",), port=0, **options)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="munin-node-test", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self.server.start()
        except BaseException as exc:  # handed to the test thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stop.wait()
        await self.server.close()

    @property
    def port(self) -> int:
        return self.server.ports[0]

    def sessions(self) -> int:
        return self.server.sessions

    def __enter__(self) -> ServerThread:
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        assert not self._thread.is_alive()


class Client:
    """A blocking line client; ``reads`` counts the recv() calls that returned data."""

    def __init__(self, port: int, *, source: str | None = None, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(
            ("127.0.0.1", port),
            timeout=timeout,
            source_address=(source, 0) if source else None,
        )
        self.buf = b""
        self.reads = 0

    def recv(self) -> bytes:
        chunk = self.sock.recv(1 << 20)
        if chunk:
            self.reads += 1
        return chunk

    def line(self) -> str | None:
        """The next line, None at EOF."""
        while b"\n" not in self.buf:
            chunk = self.recv()
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def send(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\n")

    def until_dot(self) -> list[str]:
        lines: list[str] = []
        while (line := self.line()) not in (".", None):
            assert line is not None
            lines.append(line)
        return lines

    def closed(self) -> bool:
        """True when the server has closed (EOF or reset) and nothing is left to read."""
        try:
            return not self.buf and not self.recv()
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
