"""Container names from the Docker Engine API (and Podman's compatible one) over a Unix socket.

``GET /v1.41/containers/json`` answers a JSON list of running containers, each with ``Id``
(64 hex) and ``Names`` (``["/site-x"]``). Podman's service (``podman.sock``) serves the same
path. The request is written by hand (HTTP/1.1, ``Connection: close``) so the whole exchange
has one deadline (1 s) and one size bound (4 MiB); chunked and ``Content-Length`` bodies are
both read. :class:`NameCache` asks at most once per ``ttl`` (60 s) per socket, failures
included: a missing socket, a refused connection or a garbled answer just leaves the ids.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "API_PATH",
    "NameCache",
    "parse_containers",
    "parse_http_response",
    "unix_http_get",
]

API_PATH = "/v1.41/containers/json"
MAX_ANSWER = 4 << 20


def unix_http_get(
    socket_path: Path, target: str, *, timeout: float = 1.0, limit: int = MAX_ANSWER
) -> bytes:
    """The raw HTTP answer to ``GET target`` on a Unix socket, within ``timeout`` seconds in
    all and ``limit`` bytes (``OSError`` otherwise: ``TimeoutError``, refused, too large)."""
    deadline = time.monotonic() + timeout
    request = f"GET {target} HTTP/1.1\r\nHost: docker\r\nAccept: application/json\r\n"
    request += "Connection: close\r\n\r\n"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(socket_path))
        sock.sendall(request.encode("ascii"))
        data = bytearray()
        while parse_http_response(bytes(data)) is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the API did not answer in time")
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if len(data) > limit:
                raise OSError(f"answer larger than {limit} bytes")
    return bytes(data)


def parse_http_response(data: bytes, *, ended: bool = False) -> bytes | None:
    """The body of a complete ``200`` answer; None while incomplete.

    ``ended``: the connection is closed, so a body without length ends here and an
    incomplete answer is an error. Raises ``ValueError`` for another status or a malformed
    or truncated answer.
    """
    body = _parse(data, ended)
    if body is None and ended:
        raise ValueError("truncated answer")
    return body


def _parse(data: bytes, ended: bool) -> bytes | None:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.split(b"\r\n")
    status = lines[0].split()
    if len(status) < 2 or not status[0].startswith(b"HTTP/1."):
        raise ValueError("not an HTTP answer")
    if status[1] != b"200":
        raise ValueError(f"HTTP status {status[1][:3].decode('ascii', 'replace')}")
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(b":")
        headers[key.strip().lower()] = value.strip().lower()
    if b"chunked" in headers.get(b"transfer-encoding", b""):
        return _dechunk(body)
    length = headers.get(b"content-length")
    if length is not None:
        if not length.isdigit():
            raise ValueError("bad Content-Length")
        return body[: int(length)] if len(body) >= int(length) else None
    return body if ended else None  # the body runs to the end of the connection


def _dechunk(body: bytes) -> bytes | None:
    out = bytearray()
    position = 0
    while True:
        end = body.find(b"\r\n", position)
        if end < 0:
            return None
        size_text = body[position:end].split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ValueError("bad chunk size") from None
        if size < 0:
            raise ValueError("bad chunk size")
        if size == 0:
            return bytes(out)
        start = end + 2
        if len(body) < start + size + 2:
            return None
        out += body[start : start + size]
        position = start + size + 2


def parse_containers(body: bytes | str) -> dict[str, str]:
    """``/containers/json`` → ``{id: name}`` (the first name, without its ``/``).

    Entries without a 64-hex-ish ``Id`` or a usable name are skipped; garbage gives ``{}``.
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    out: dict[str, str] = {}
    if not isinstance(data, list):
        return out
    for item in data:
        if not isinstance(item, dict):
            continue
        ident, names = item.get("Id"), item.get("Names")
        if not isinstance(ident, str) or not ident or not isinstance(names, list):
            continue
        name = next((n.lstrip("/") for n in names if isinstance(n, str) and n.strip("/")), "")
        if name:
            out[ident.lower()] = name
    return out


@dataclass(slots=True)
class NameCache:
    """Names from one API socket, asked at most once per ``ttl`` seconds (failures too)."""

    socket_path: Path
    ttl: float = 60.0
    timeout: float = 1.0
    clock: Callable[[], float] = time.monotonic
    names: dict[str, str] = field(default_factory=dict)
    fetched_at: float | None = None
    last_error: str = ""
    requests: int = 0

    def get(self) -> dict[str, str]:
        """The current ``{id: name}``, refreshed when older than ``ttl``."""
        now = self.clock()
        if self.fetched_at is None or now - self.fetched_at >= self.ttl:
            self.fetched_at = now
            self._refresh()
        return self.names

    def _refresh(self) -> None:
        if not self.socket_path.exists():
            self.names, self.last_error = {}, "no socket"
            return
        self.requests += 1
        try:
            answer = unix_http_get(self.socket_path, API_PATH, timeout=self.timeout)
            body = parse_http_response(answer, ended=True)
        except (OSError, ValueError) as exc:
            self.names, self.last_error = {}, str(exc)[:200] or type(exc).__name__
            return
        self.names, self.last_error = parse_containers(body or b""), ""
