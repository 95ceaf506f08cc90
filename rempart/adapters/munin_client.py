"""An asyncio munin-node client: one node polled the way munin-update polls it, faster.

One TCP connection per node: the banner, ``cap multigraph dirtyconfig``, ``version``,
``list``, then ``config`` of every plugin and ``fetch`` only when the config carried no
values (dirtyconfig), then ``quit``. What the replies mean is decided by the pure
:mod:`rempart.munin.replies`; this module only moves bytes, with bounds everywhere:

- one deadline for the whole node (connect included): a node that trickles a byte a second
  fails at its deadline, not at 120 s per read as munin-update does;
- a line longer than ``max_line`` bytes, or more than ``max_reply`` bytes in all, ends the
  session (a node cannot make the server buffer a 1 GB reply);
- ``TCP_NODELAY`` (commands go out at once) and **``TCP_QUICKACK`` re-armed after every read**:
  Linux leaves quick-ack mode by itself, and munin-node writes its replies line by line, so
  with delayed ACKs each command can wait 40 ms for Nagle on the node's side.

Failures are :class:`~rempart.errors.MuninError` with a ``poller.*`` key; a plugin that fails
(``# Bad exit``, ``# Timed out``) is not a node failure: it is listed in
:attr:`NodeReply.failures`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from rempart.errors import MuninError
from rempart.metrics.model import Graph
from rempart.munin import replies
from rempart.munin.replies import ValueKey

__all__ = [
    "CAPS",
    "MAX_LINE",
    "MAX_REPLY",
    "NodeReply",
    "poll_node",
]

CAPS = "multigraph dirtyconfig"
MAX_LINE = 64 * 1024  # bytes of one reply line
MAX_REPLY = 16 * 1024 * 1024  # bytes of one whole session
MAX_PREAMBLE = 20  # lines skipped before the banner (an ssh motd, as munin-update does)


@dataclass(frozen=True, slots=True)
class NodeReply:
    """Everything one node said in one session."""

    name: str  # the name its banner announced
    version: str
    caps: frozenset[str]
    plugins: tuple[str, ...]
    graphs: tuple[Graph, ...]
    values: Mapping[ValueKey, float | None] = field(default_factory=lambda: MappingProxyType({}))
    failures: tuple[str, ...] = ()  # "fetch df: # Bad exit"
    commands: int = 0
    received: int = 0  # bytes


def _error(key: str, **params: object) -> MuninError:
    return MuninError(key, **params)


class _Lines(asyncio.Protocol):
    """Bytes in, lines out, with the bounds; re-arms TCP_QUICKACK at every read."""

    def __init__(self, *, quickack: bool, max_line: int, max_reply: int) -> None:
        self.quickack = quickack
        self.max_line = max_line
        self.max_reply = max_reply
        self.received = 0
        self.closed = False
        self.overflow = ""
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._start = 0
        self._waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._rearm()

    def _rearm(self) -> None:
        if not self.quickack or self.transport is None:
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)

    def data_received(self, data: bytes) -> None:
        self._rearm()
        self.received += len(data)
        self._buf += data
        if self.received > self.max_reply:
            self.overflow = "reply"
        elif len(self._buf) - self._start > self.max_line and b"\n" not in data:
            self.overflow = "line"
        if self.overflow and self.transport is not None:
            self.transport.abort()
        self._wake()

    def eof_received(self) -> bool | None:
        self.closed = True
        self._wake()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _take(self) -> str | None:
        end = self._buf.find(b"\n", self._start)
        if end < 0:
            if len(self._buf) - self._start > self.max_line:
                self.overflow = "line"
            return None
        if end - self._start > self.max_line:
            self.overflow = "line"
            return None
        line = self._buf[self._start : end].decode("utf-8", errors="replace")
        self._start = end + 1
        if self._start > 65536:
            del self._buf[: self._start]
            self._start = 0
        return line.removesuffix("\r")

    async def readline(self) -> str:
        while True:
            line = self._take()
            if line is not None:
                return line
            if self.overflow == "line":
                raise _error("poller.line_too_long", limit=self.max_line)
            if self.overflow == "reply":
                raise _error("poller.reply_too_big", limit=self.max_reply)
            if self.closed:
                raise _error("poller.closed")
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
            self._waiter = None

    def send(self, line: str) -> None:
        if self.transport is None or self.transport.is_closing():
            raise _error("poller.closed")
        self.transport.write(line.encode("ascii", errors="replace") + b"\n")


class _Session:
    """One connection and its command count."""

    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.commands = 0

    async def single(self, command: str) -> str:
        self.commands += 1
        self.lines.send(command)
        return await self.lines.readline()

    async def multi(self, command: str) -> list[str]:
        self.commands += 1
        self.lines.send(command)
        body: list[str] = []
        while (line := await self.lines.readline()) != ".":
            body.append(line)
        return body

    async def banner(self) -> str:
        for _ in range(MAX_PREAMBLE):
            name = replies.parse_banner(await self.lines.readline())
            if name is not None:
                return name
        raise _error("poller.banner")


async def _connect(address: str, port: int, lines: _Lines) -> None:
    loop = asyncio.get_running_loop()
    try:
        await loop.create_connection(lambda: lines, address, port)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise _error("poller.connect", address=address, port=port, reason=reason) from exc


async def _plugin(
    session: _Session, name: str, dirty: bool, failures: list[str]
) -> replies.PluginReply:
    config = await session.multi(f"config {name}")
    if (problem := replies.failure(config)) is not None:
        failures.append(f"config {name}: {problem}")
        return replies.PluginReply()
    reply = replies.parse_config(name, config)
    if dirty and reply.values:
        return reply
    fetch = await session.multi(f"fetch {name}")
    if (problem := replies.failure(fetch)) is not None:
        failures.append(f"fetch {name}: {problem}")
        return replies.PluginReply(reply.graphs)
    return replies.PluginReply(reply.graphs, replies.parse_fetch(name, fetch))


async def _talk(session: _Session, only: Sequence[str] | None) -> NodeReply:
    name = await session.banner()
    caps = replies.parse_cap(await session.single(f"cap {CAPS}"))
    version = replies.parse_version(await session.single("version"))
    plugins = replies.parse_list(await session.single("list"))
    if only is not None:
        plugins = tuple(p for p in plugins if p in only)
    graphs: dict[str, Graph] = {}
    values: dict[ValueKey, float | None] = {}
    failures: list[str] = []
    for plugin in plugins:
        reply = await _plugin(session, plugin, "dirtyconfig" in caps, failures)
        for graph in reply.graphs:
            graphs.setdefault(graph.name, graph)  # two plugins, one graph name: first wins
        values.update(reply.values)
    with contextlib.suppress(MuninError):
        session.lines.send("quit")
    return NodeReply(
        name=name,
        version=version,
        caps=caps,
        plugins=plugins,
        graphs=tuple(graphs.values()),
        values=MappingProxyType(values),
        failures=tuple(failures),
        commands=session.commands,
        received=session.lines.received,
    )


async def poll_node(
    address: str,
    port: int,
    *,
    timeout: float,
    quickack: bool = True,
    max_line: int = MAX_LINE,
    max_reply: int = MAX_REPLY,
    only: Sequence[str] | None = None,
) -> NodeReply:
    """Poll one node within ``timeout`` seconds in all. Raises MuninError (``poller.*``).

    ``only``: poll just these plugins of the node's list (tests, benchmarks)."""
    lines = _Lines(quickack=quickack, max_line=max_line, max_reply=max_reply)
    try:
        async with asyncio.timeout(timeout):
            await _connect(address, port, lines)
            return await _talk(_Session(lines), only)
    except TimeoutError as exc:
        raise _error("poller.timeout", seconds=timeout, received=lines.received) from exc
    finally:
        if lines.transport is not None and lines.overflow:
            lines.transport.abort()
        elif lines.transport is not None:
            lines.transport.close()
