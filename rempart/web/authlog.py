"""The failed-login log read by the agent's ``rempart-web`` jail (filter
``rempart/filters/rempart-web.toml``).

One line per failure, the client address first and the tried name last::

    2026-11-21T17:05:03+00:00 rempart-web[4242]: failed login from 192.0.2.7 for user "bob"

The name is attacker-controlled: it is escaped (no line break, quote, backslash or control
character survives; anything outside printable ASCII becomes ``\\xNN``/``\\uNNNN``) and cut to
64 characters, so it can never end the line or put another address before the real one. The
file and its directory are created 0640/0750. A failure to write is logged, never raised: the
login answer does not depend on the log.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["MAX_NAME", "AuthLog", "auth_line", "escape_name"]

MAX_NAME = 64
_SAFE = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}


def escape_name(name: str) -> str:
    """``name`` as printable ASCII without quotes or backslashes, at most :data:`MAX_NAME`."""
    out: list[str] = []
    size = 0
    for char in name:
        if char in _SAFE:
            piece = char
        elif ord(char) < 0x100:
            piece = f"\\x{ord(char):02x}"
        else:
            piece = f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}"
        if size + len(piece) > MAX_NAME:
            break
        out.append(piece)
        size += len(piece)
    return "".join(out)


def auth_line(when: float, pid: int, address: str, name: str) -> str:
    """The log line of one failed login (with its final newline)."""
    stamp = datetime.fromtimestamp(when, tz=UTC).isoformat(timespec="seconds")
    return (
        f"{stamp} rempart-web[{pid}]: failed login from {escape_name(address)} "
        f'for user "{escape_name(name)}"\n'
    )


class AuthLog:
    """Appends failed logins to ``path`` (see the module documentation)."""

    def __init__(self, path: Path, log: logging.Logger, *, pid: int | None = None) -> None:
        self.path = path
        self.log = log
        self.pid = os.getpid() if pid is None else pid

    def failed(self, when: float, address: str, name: str) -> bool:
        """Write one line; False (and a logged error) when the file cannot be written."""
        line = auth_line(when, self.pid, address, name).encode("ascii")
        try:
            self.path.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError as exc:
            self.log.error(
                "web: cannot write the failed-login log %s (%s); the rempart-web jail will not "
                "see this failure. Fix: create the directory, writable by the server's user",
                self.path,
                exc,
            )
            return False
        return True
