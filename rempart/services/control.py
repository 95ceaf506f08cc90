"""The agent's control socket: who may connect, what they may ask, and the answers.

One Unix stream socket (``/run/rempart/agent.sock``), mode 0660, group ``rempart`` when
that group exists; its directory is created 0750 when missing. Each connection carries one
request line (see :mod:`rempart.adapters.control` for the protocol). The peer's credentials
are checked before anything is read: root, the agent's own user and members of the group
are served; anyone else gets a refusal and is logged. Malformed, oversized or unknown
requests get an error answer; nothing a client sends can stop the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from rempart.adapters.control import (
    MAX_REQUEST,
    Peer,
    authorized,
    describe_peer,
    peer_of,
)
from rempart.errors import ControlError, RempartError
from rempart.services.connections import Connections, close_writer
from rempart.services.control_requests import (
    COMMANDS,
    TAKES_BY,
    ArgSpec,
    Request,
    check_request,
    error_line,
    parse_request,
    result_line,
)

__all__ = ["AgentCommands", "ControlServer", "acting_for"]

_READ_TIMEOUT = 10.0  # seconds a client has to send its request line
_STALE_PROBE_TIMEOUT = 1.0


class AgentCommands(Protocol):
    """What the agent does for the control socket; every result is JSON-able."""

    async def status(self) -> dict[str, Any]: ...

    async def bans(self, jail: str | None) -> list[dict[str, Any]]: ...

    async def ban(
        self, address: str, jail: str, duration: float | None, by: str
    ) -> dict[str, Any]: ...

    async def unban(self, address: str, jail: str | None, by: str) -> dict[str, Any]: ...

    async def allow(self, address: str, duration: float | None, by: str) -> dict[str, Any]: ...

    async def history(self, address: str, limit: int) -> list[dict[str, Any]]: ...

    async def recent(
        self, limit: int, jail: str | None, address: str | None
    ) -> list[dict[str, Any]]: ...

    async def ban_days(self, days: int) -> list[dict[str, Any]]: ...

    async def abuseipdb_status(self) -> dict[str, Any]: ...

    async def abuseipdb_check(self, address: str, days: int, verbose: bool) -> dict[str, Any]: ...

    async def abuseipdb_flush(self) -> dict[str, Any]: ...

    async def abuseipdb_queue(self, limit: int) -> list[dict[str, Any]]: ...

    async def probes_status(self) -> dict[str, Any]: ...


def acting_for(by: str, for_user: object) -> str:
    """Who a state change is recorded as: the peer (``by``, vouched for by the kernel), and
    the person it acts for when the client named one ("uid=998(rempart) for web:alice").
    The name is the client's word: control characters and line ends are refused."""
    if for_user is None:
        return by
    text = str(for_user)
    if not text.isprintable() or len(text) > 64:
        raise ControlError(
            "control.bad_request",
            reason="'for_user' must be 1 to 64 printable characters (no control characters)",
        )
    return f"{by} for {text}"


def _group_id(name: str | None, log: logging.Logger) -> int | None:
    if name is None:
        return None
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        log.info(
            "control: group %s does not exist, only root may use the control socket. "
            "Fix: create it (systemd-sysusers, or addgroup --system %s)",
            name,
            name,
        )
        return None


class ControlServer:
    """Serves :class:`AgentCommands` on a Unix socket to root, the agent's user and a group.

    ``table`` and ``takes_by`` give the commands understood (the agent's by default; the
    supervision server passes its own), ``commands`` the object whose coroutine methods of the
    same names answer them."""

    def __init__(
        self,
        path: Path,
        commands: AgentCommands | object,
        *,
        table: Mapping[str, tuple[ArgSpec, ...]] = COMMANDS,
        takes_by: frozenset[str] = TAKES_BY,
        group: str | None = "rempart",
        log: logging.Logger,
        agent_uid: int | None = None,
        read_timeout: float = _READ_TIMEOUT,
    ) -> None:
        self.path = path
        self.commands = commands
        self.table = table
        self.takes_by = takes_by
        self.group = group
        self.log = log
        self.agent_uid = os.geteuid() if agent_uid is None else agent_uid
        self.read_timeout = read_timeout
        self._gid: int | None = None
        self._server: asyncio.AbstractServer | None = None
        self._inode: int | None = None
        self._connections = Connections()

    # -------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Create the directory (0750) and socket (0660, group ``rempart`` when it exists)."""
        self._gid = _group_id(self.group, self.log)
        try:
            self._prepare_directory()
            await self._remove_stale()
            self._server = await asyncio.start_unix_server(
                self._serve, path=str(self.path), limit=MAX_REQUEST
            )
            self._inode = os.stat(self.path).st_ino
            os.chmod(self.path, 0o660)
        except OSError as exc:
            raise ControlError(
                "control.setup_failed", path=str(self.path), reason=exc.strerror or str(exc)
            ) from exc
        self._give_to_group(self.path)
        self.log.info("control: listening on %s", self.path)

    async def close(self) -> None:
        """Stop listening, end the connections in progress, remove the socket file."""
        if self._server is None:
            return
        self._server.close()
        await self._connections.close_all()
        await self._server.wait_closed()
        self._server = None
        with contextlib.suppress(OSError):
            if os.lstat(self.path).st_ino == self._inode:
                os.unlink(self.path)

    def _prepare_directory(self) -> None:
        parent = self.path.parent
        if parent.is_dir():
            return  # an existing directory (systemd's RuntimeDirectory) keeps its owner and mode
        parent.mkdir(mode=0o750, parents=True)
        # mkdir went through the umask; the group needs x to reach the socket
        os.chmod(parent, 0o750)  # noqa: S103
        self._give_to_group(parent)

    def _give_to_group(self, path: Path) -> None:
        if self._gid is None:
            return
        try:
            os.chown(path, -1, self._gid)
        except OSError as exc:
            self.log.warning(
                "control: cannot give %s to group %s (%s): only root may use the control "
                "socket. Fix: run the agent with Group=%s (the systemd unit does)",
                path,
                self.group,
                exc.strerror,
                self.group,
            )

    async def _remove_stale(self) -> None:
        """Remove a socket file left by a dead agent; refuse to displace a live one."""
        try:
            mode = os.lstat(self.path).st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(mode):
            raise ControlError("control.not_a_socket", path=str(self.path))
        try:
            _reader, writer = await asyncio.wait_for(
                asyncio.open_unix_connection(str(self.path)), _STALE_PROBE_TIMEOUT
            )
        except (ConnectionRefusedError, FileNotFoundError):
            self.log.info("control: removing the stale socket %s", self.path)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            return
        except TimeoutError:
            raise ControlError("control.in_use", path=str(self.path)) from None
        writer.close()
        raise ControlError("control.in_use", path=str(self.path))

    # -------------------------------------------------------------- one connection

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.admit()
        try:
            answer = await self._answer(reader, writer)
            if answer:
                writer.write(answer)
                await writer.drain()
        except (ConnectionError, TimeoutError) as exc:
            self.log.debug("control: connection ended early (%s)", exc)
        finally:
            self._connections.release()
            await close_writer(writer)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
        try:
            peer = peer_of(writer.get_extra_info("socket"))
        except OSError as exc:
            self.log.warning("control: cannot read the peer's credentials (%s)", exc)
            return b""
        if not authorized(peer, agent_uid=self.agent_uid, group=self._gid):
            self.log.warning(
                "control: refused a client: pid %d, uid %d, gid %d (not root, not uid %d, "
                "not in group %s)",
                peer.pid,
                peer.uid,
                peer.gid,
                self.agent_uid,
                self.group,
            )
            return error_line(ControlError("control.refused", uid=peer.uid, group=self.group))
        try:
            line = await asyncio.wait_for(reader.readline(), self.read_timeout)
        except ValueError:  # the line went over the reader's limit
            return error_line(ControlError("control.too_large", limit=MAX_REQUEST))
        return await self.respond(line, peer)

    async def respond(self, line: bytes, peer: Peer) -> bytes:
        """The answer line to one request line from ``peer``."""
        try:
            request = parse_request(line, self.table)
        except ControlError as exc:
            self.log.info("control: bad request from uid %d: %s", peer.uid, exc)
            return error_line(exc)
        try:
            result = await self._perform(request, describe_peer(peer))
        except RempartError as exc:
            return error_line(exc)
        return result_line(result)

    async def call(self, command: str, args: Mapping[str, object], by: str) -> Any:
        """One command from this process (the dashboard): the same table, the same argument
        checks and the same log as a request line; ``by`` names who asked (the dashboard
        passes "web:<user>"). Raises RempartError (ControlError for a bad request)."""
        request = check_request(command, dict(args), self.table)
        return await self._perform(request, by)

    async def _perform(self, request: Request, by: str) -> Any:
        args = dict(request.args)
        if request.command in self.takes_by:
            args["by"] = acting_for(by, args.pop("for_user", None))
            self.log.info("control: %s %s", request.command, args)
        else:
            self.log.debug("control: %s %s from %s", request.command, args, by)
        try:
            return await getattr(self.commands, request.command)(**args)
        except RempartError:
            raise
        except Exception as exc:
            self.log.exception("control: %s failed", request.command)
            raise ControlError(
                "control.internal", command=request.command, reason=repr(exc)[:200]
            ) from exc
