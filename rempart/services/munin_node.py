"""The munin-node server: rempart's graphs and Munin plugins served on port 4949.

One asyncio task per connection (munin-node forks a process per connection). What is said
is :mod:`rempart.munin.protocol`; what is served comes from a :class:`NodeBackend` (the
agent's probes and plugins). The server keeps itself safe from its clients:

- a peer outside ``allow`` is closed **before the banner** (as munin-node's ``allow``), and
  logged at most once a minute per kind of refusal;
- more than ``max_sessions`` at once: the new connection is closed the same way;
- the banner is sent first; every reply goes out in **one write**, with ``TCP_NODELAY``
  (munin-node writes line by line: with Nagle and delayed ACKs, a reply could wait 40 ms);
- a line longer than ``max_line`` closes the session (it is never buffered without bound);
- a client silent for ``idle_timeout`` is closed; a session lasts at most
  ``session_timeout`` (munin-node's ``global_timeout``, 900 s);
- every backend call has a deadline (``call_timeout``): past it the reply is ``# Timed out``;
  a backend that raises gives ``# Bad exit`` (logged); other clients go on being served.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Awaitable, Callable, Sequence
from ipaddress import IPv6Address, ip_address, ip_network
from typing import Protocol, TypeVar

from rempart import __version__
from rempart.addresses import Address, Network
from rempart.errors import MuninError
from rempart.munin.protocol import (
    MAX_LINE,
    Command,
    Session,
    announced_version,
    banner,
    list_reply,
    nodes_reply,
    output_reply,
    parse_command,
    unknown_reply,
    version_reply,
)
from rempart.munin.values import PluginInfo, PluginOutput
from rempart.services.connections import Connections, close_writer

__all__ = ["DEFAULT_ALLOW", "MuninNodeServer", "NodeBackend"]

DEFAULT_ALLOW: tuple[Network, ...] = (ip_network("127.0.0.0/8"), ip_network("::1/128"))
_LOG_EVERY = 60.0  # seconds between two log lines of one kind of refusal
T = TypeVar("T")


class NodeBackend(Protocol):
    """What the server serves (the agent implements it: built-in probes and plugins)."""

    @property
    def host_name(self) -> str: ...

    async def plugins(self) -> Sequence[PluginInfo]: ...

    async def config(self, name: str, *, dirtyconfig: bool, peer: str) -> PluginOutput: ...

    async def fetch(self, name: str, *, peer: str) -> PluginOutput: ...


class _Limiter:
    """At most one log line per kind every ``_LOG_EVERY`` seconds, with what was left out."""

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._last: dict[str, float] = {}
        self._skipped: dict[str, int] = {}

    def info(self, kind: str, message: str, *args: object) -> None:
        now = asyncio.get_running_loop().time()
        last = self._last.get(kind)
        if last is not None and now - last < _LOG_EVERY:
            self._skipped[kind] = self._skipped.get(kind, 0) + 1
            return
        self._last[kind] = now
        skipped = self._skipped.pop(kind, 0)
        suffix = f" ({skipped} more since the last such line)" if skipped else ""
        self._log.info("munin-node: " + message + suffix, *args)


def _peer_address(peername: object) -> Address | None:
    if not isinstance(peername, tuple) or not peername:
        return None
    try:
        address = ip_address(str(peername[0]).split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class _Closed(Exception):
    """The session ends (quit, EOF, a line too long, idle)."""


class MuninNodeServer:
    """munin-node's protocol over TCP for a :class:`NodeBackend`."""

    def __init__(
        self,
        backend: NodeBackend,
        *,
        listen: Sequence[str] = ("127.0.0.1",),
        port: int = 4949,
        allow: Sequence[Network] = DEFAULT_ALLOW,
        log: logging.Logger,
        idle_timeout: float = 60.0,
        session_timeout: float = 900.0,
        max_line: int = MAX_LINE,
        max_sessions: int = 64,
        call_timeout: float = 30.0,
        version: str = announced_version(__version__),
    ) -> None:
        self._backend = backend
        self._listen = tuple(listen)
        self._port = port
        self._allow = tuple(allow)
        self._log = log
        self._limited = _Limiter(log)
        self._idle = idle_timeout
        self._session_timeout = session_timeout
        self._max_line = max_line
        self._call_timeout = call_timeout
        self._version = version
        self._servers: list[asyncio.Server] = []
        self._sessions = Connections(max_sessions)

    # --- life cycle ---

    async def start(self) -> None:
        """Listen on every ``listen`` address; MuninError (with the fix) when one cannot."""
        try:
            for host in self._listen:
                self._servers.append(await self._bind(host))
        except MuninError:
            await self.close()
            raise
        self._log.info(
            "munin-node: listening on %s",
            ", ".join(f"{h} port {p}" for h, p in zip(self._listen, self.ports, strict=True)),
        )

    async def _bind(self, host: str) -> asyncio.Server:
        try:
            return await asyncio.start_server(
                self._accept, host=host, port=self._port, limit=self._max_line + 2,
                reuse_address=True,
            )  # fmt: skip
        except OSError as exc:
            raise _bind_error(host, self._port, exc) from exc

    @property
    def ports(self) -> list[int]:
        """The port of each listening address (useful with ``port=0``)."""
        return [int(s.sockets[0].getsockname()[1]) for s in self._servers if s.sockets]

    @property
    def sessions(self) -> int:
        """Sessions open now."""
        return len(self._sessions)

    async def close(self) -> None:
        """Stop listening and end every session."""
        for server in self._servers:
            server.close()
        await self._sessions.close_all()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()

    # --- one connection ---

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = _peer_address(writer.get_extra_info("peername"))
        try:
            if peer is None or not any(peer in net for net in self._allow):
                self._limited.info("denied", "denying connection from %s (not in allow)", peer)
                return
            if not self._sessions.admit():
                self._limited.info(
                    "busy", "%d sessions open, closing the one from %s", len(self._sessions), peer
                )
                return
            _no_delay(writer)
            async with asyncio.timeout(self._session_timeout):
                await self._session(reader, writer, str(peer))
        except TimeoutError:
            self._limited.info("session", "session of %s lasted too long, closed", peer)
        except (_Closed, ConnectionError):
            pass
        finally:
            self._sessions.release()
            await close_writer(writer)

    async def _session(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        session = Session()
        await self._send(writer, banner(self._backend.host_name))
        while True:
            line, last = await self._read_line(reader, peer)
            command = parse_command(line, limit=self._max_line)
            if command.name == "quit":
                return
            await self._send(writer, await self._reply(command, session, peer))
            if last:
                return

    async def _read_line(self, reader: asyncio.StreamReader, peer: str) -> tuple[str, bool]:
        """The next line (without its LF) and whether the client closed after it."""
        try:
            async with asyncio.timeout(self._idle):
                data = await reader.readuntil(b"\n")
        except TimeoutError:
            self._limited.info("idle", "%s said nothing for %.0f s, closed", peer, self._idle)
            raise _Closed from None
        except asyncio.LimitOverrunError:
            self._limited.info("long", "%s sent a line over %d bytes, closed", peer, self._max_line)
            raise _Closed from None
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise _Closed from None
            return exc.partial.decode("utf-8", "replace"), True  # as munin-node: served
        return data[:-1].decode("utf-8", "replace"), False

    async def _send(self, writer: asyncio.StreamWriter, text: str) -> None:
        writer.write(text.encode("utf-8", "replace"))  # one write per reply
        try:
            async with asyncio.timeout(self._idle):
                await writer.drain()
        except TimeoutError:
            raise _Closed from None

    # --- replies ---

    async def _reply(self, command: Command, session: Session, peer: str) -> str:
        host = self._backend.host_name
        if command.name == "too long":
            raise _Closed
        if command.name in ("config", "fetch"):
            return output_reply(await self._output(command, session, peer))
        if command.name in ("list", "nodes"):
            plugins = await self._plugins(peer)
            if command.name == "nodes":
                return nodes_reply(plugins, host=host)
            return list_reply(plugins, session, node=command.argument, host=host)
        if command.name == "cap":
            return session.announce(command.caps)
        if command.name == "version":
            return version_reply(host, self._version)
        return unknown_reply()

    async def _output(self, command: Command, session: Session, peer: str) -> PluginOutput:
        name = command.argument
        if command.name == "config":
            return await self._run(
                "config",
                name,
                lambda: self._backend.config(name, dirtyconfig=session.dirtyconfig, peer=peer),
            )
        return await self._run("fetch", name, lambda: self._backend.fetch(name, peer=peer))

    async def _plugins(self, peer: str) -> Sequence[PluginInfo]:
        try:
            return await self._bounded(self._backend.plugins)
        except TimeoutError:
            self._limited.info("backend", "the plugin list took over %.0f s", self._call_timeout)
        except Exception as exc:  # noqa: BLE001 - a backend error never ends the server
            self._log.warning("munin-node: the plugin list failed for %s: %r", peer, exc)
        return ()

    async def _run(
        self,
        action: str,
        name: str,
        call: Callable[[], Awaitable[PluginOutput]],
    ) -> PluginOutput:
        if not name:
            return PluginOutput("unknown")
        try:
            return await self._bounded(call)
        except TimeoutError:
            self._log.warning(
                "munin-node: %s %s took over %.0f s: # Timed out", action, name, self._call_timeout
            )
            return PluginOutput("timed out")
        except Exception as exc:  # noqa: BLE001 - a backend error never ends the server
            self._log.warning("munin-node: %s %s failed: %r: # Bad exit", action, name, exc)
            return PluginOutput("bad exit")

    async def _bounded(self, call: Callable[[], Awaitable[T]]) -> T:
        async with asyncio.timeout(self._call_timeout):
            return await call()


def _no_delay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _bind_error(host: str, port: int, exc: OSError) -> MuninError:
    if exc.errno == errno.EADDRINUSE:
        return MuninError("munin.bind_in_use", address=host, port=port)
    if exc.errno == errno.EACCES:
        return MuninError("munin.bind_denied", address=host, port=port)
    if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT) or isinstance(exc, socket.gaierror):
        return MuninError("munin.bind_address", address=host, port=port, reason=str(exc))
    return MuninError("munin.bind_failed", address=host, port=port, reason=str(exc))
