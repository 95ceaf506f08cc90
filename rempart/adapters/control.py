"""The control socket, client side, and who is at the other end of it.

Wire protocol (version 1): one Unix stream connection per request. The client sends one
JSON line ``{"v": 1, "command": NAME, "args": {...}}``; the agent answers one JSON line,
``{"ok": true, "result": ...}`` or ``{"ok": false, "error": {"key": K, "params": {...}}}``
where ``K`` is a message key of :mod:`rempart.i18n`, so the command line renders the
agent's refusal in its user's language. Requests are at most :data:`MAX_REQUEST` bytes;
answers (a list of 20,000 active bans) may be up to :data:`MAX_RESPONSE`.

Credentials: :func:`peer_of` reads the connecting process's uid, gid (``SO_PEERCRED``) and
supplementary groups (``SO_PEERGROUPS``, else ``/proc/PID/status``); :func:`authorized`
admits root, the agent's own uid and members of the control group.
"""

from __future__ import annotations

import contextlib
import errno
import json
import pwd
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rempart.errors import ControlError

__all__ = [
    "DEFAULT_SOCKET",
    "MAX_REQUEST",
    "MAX_RESPONSE",
    "PROTOCOL_VERSION",
    "UNREACHABLE_KEYS",
    "ControlClient",
    "Peer",
    "authorized",
    "decode_response",
    "describe_peer",
    "encode_request",
    "parse_groups",
    "peer_of",
]

DEFAULT_SOCKET = Path("/run/rempart/agent.sock")
PROTOCOL_VERSION = 1
MAX_REQUEST = 64 * 1024
MAX_RESPONSE = 64 * 1024 * 1024

# Errors that mean "the agent could not be reached or would not talk to us" (exit code 3),
# as opposed to the agent refusing what was asked (exit code 2).
UNREACHABLE_KEYS = frozenset(
    {
        "control.not_running",
        "control.permission",
        "control.timeout",
        "control.unreachable",
        "control.bad_response",
        "control.refused",
    }
)

_SO_PEERGROUPS = getattr(socket, "SO_PEERGROUPS", 59)  # Linux ≥ 4.13
_UCRED = struct.Struct("=iII")  # struct ucred: pid_t pid; uid_t uid; gid_t gid


# ------------------------------------------------------------------ the wire


def encode_request(command: str, args: dict[str, object]) -> bytes:
    """One request line."""
    body = {"v": PROTOCOL_VERSION, "command": command, "args": args}
    return json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8") + b"\n"


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def decode_response(line: bytes, path: Path) -> Any:
    """The result of one answer line; ControlError for the agent's error or a garbled line."""
    try:
        answer = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ControlError("control.bad_response", path=str(path), reason=str(exc)) from exc
    if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
        raise ControlError("control.bad_response", path=str(path), reason="no 'ok' field")
    if answer["ok"]:
        return answer.get("result")
    error = answer.get("error")
    if not isinstance(error, dict) or not isinstance(error.get("key"), str):
        raise ControlError("control.bad_response", path=str(path), reason="malformed error")
    params = error.get("params")
    raise ControlError(error["key"], **(params if isinstance(params, dict) else {}))


# ------------------------------------------------------------------ the client


class ControlClient:
    """Sends one command to the agent and returns its result (blocking, with a timeout)."""

    def __init__(self, path: Path = DEFAULT_SOCKET, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout

    def call(self, command: str, **args: object) -> Any:
        """The agent's result for ``command``; ControlError when it cannot be reached (with
        the fix) or refuses (with its own key and parameters)."""
        request = encode_request(command, args)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            try:
                sock.connect(str(self.path))
                self._send(sock, request)
                line = self._read_line(sock)
            except TimeoutError as exc:
                raise ControlError(
                    "control.timeout", path=str(self.path), seconds=f"{self.timeout:g}"
                ) from exc
            except OSError as exc:
                raise self._translate(exc) from exc
        return decode_response(line, self.path)

    @staticmethod
    def _send(sock: socket.socket, request: bytes) -> None:
        # The agent may answer (a refusal) and close before reading: its answer is still
        # readable, so a broken pipe here is not the end of the story.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)

    def _read_line(self, sock: socket.socket) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = sock.recv(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if chunk.endswith(b"\n"):
                break
            if size > MAX_RESPONSE:
                raise ControlError(
                    "control.bad_response", path=str(self.path), reason="answer too large"
                )
        if not chunks:
            raise ControlError(
                "control.bad_response", path=str(self.path), reason="connection closed"
            )
        return b"".join(chunks)

    def _translate(self, exc: OSError) -> ControlError:
        path, reason = str(self.path), exc.strerror or str(exc)
        if exc.errno in (errno.ENOENT, errno.ECONNREFUSED, errno.ENOTDIR):
            return ControlError("control.not_running", path=path, reason=reason)
        if exc.errno in (errno.EACCES, errno.EPERM):
            return ControlError("control.permission", path=path)
        return ControlError("control.unreachable", path=path, reason=reason)


# ------------------------------------------------------------------ who is calling


@dataclass(frozen=True, slots=True)
class Peer:
    """The process at the other end of a Unix socket, as the kernel vouches for it."""

    pid: int
    uid: int
    gid: int
    groups: frozenset[int]


class _SockOpts(Protocol):
    """What :func:`peer_of` needs: ``socket.socket`` and asyncio's transport socket."""

    def getsockopt(self, level: int, optname: int, buflen: int, /) -> bytes: ...


def parse_groups(status_text: str) -> frozenset[int]:
    """The supplementary groups in the text of ``/proc/PID/status`` (pure)."""
    for line in status_text.splitlines():
        if line.startswith("Groups:"):
            return frozenset(int(g) for g in line[len("Groups:") :].split() if g.isdigit())
    return frozenset()


def _peer_groups(sock: _SockOpts, pid: int, proc: Path) -> frozenset[int]:
    """Supplementary groups at connect time (``SO_PEERGROUPS``), else from /proc (racy: a
    process could change them after connecting; the kernel's copy is preferred)."""
    for size in (4 * 256, 4 * 65536):
        try:
            raw = sock.getsockopt(socket.SOL_SOCKET, _SO_PEERGROUPS, size)
        except OSError as exc:
            if exc.errno == errno.ERANGE:
                continue
            break
        return frozenset(struct.unpack(f"={len(raw) // 4}I", raw[: len(raw) // 4 * 4]))
    try:
        return parse_groups((proc / str(pid) / "status").read_text(encoding="utf-8"))
    except OSError:
        return frozenset()


def peer_of(sock: _SockOpts, proc: Path = Path("/proc")) -> Peer:
    """Who is connected on ``sock`` (``SO_PEERCRED``, plus supplementary groups)."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    pid, uid, gid = _UCRED.unpack(raw)
    return Peer(pid=pid, uid=uid, gid=gid, groups=_peer_groups(sock, pid, proc))


def authorized(peer: Peer, *, agent_uid: int, group: int | None) -> bool:
    """Root, the agent's own user, or a member of the control group (primary or not)."""
    if peer.uid in (0, agent_uid):
        return True
    return group is not None and (peer.gid == group or group in peer.groups)


def describe_peer(peer: Peer) -> str:
    """``uid=1000(alice)``: who did it, for the ban history."""
    try:
        name = pwd.getpwuid(peer.uid).pw_name
    except KeyError:
        return f"uid={peer.uid}"
    return f"uid={peer.uid}({name})"
