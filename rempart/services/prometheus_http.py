"""A tiny HTTP/1.1 server answering ``GET /metrics`` in Prometheus' text format.

Off by default (``[metrics.prometheus] enabled``), on 127.0.0.1:9749. It reads one request
per connection and closes it: the request line and headers are bounded (8 KiB and 100
lines), a client has ``timeout`` seconds to send them, at most ``max_clients`` are served at
once (others are closed at once). ``GET``/``HEAD /metrics`` → 200; another path → 404;
another method → 405; anything unreadable → 400. Nothing a client sends reaches the body.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from rempart.errors import MuninError
from rempart.metrics.prometheus import CONTENT_TYPE
from rempart.services.connections import Connections, close_writer

__all__ = ["PrometheusServer"]

MAX_LINE = 8192
MAX_HEADERS = 100
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


class _Bad(Exception):
    """The request cannot be read."""


class PrometheusServer:
    """Serves ``render()`` on ``host:port`` (port 0: any free port, see :attr:`port`)."""

    def __init__(
        self,
        render: Callable[[], Awaitable[str]],
        *,
        host: str = "127.0.0.1",
        port: int = 9749,
        log: logging.Logger,
        timeout: float = 10.0,
        max_clients: int = 16,
    ) -> None:
        self.render = render
        self.host = host
        self.requested_port = port
        self.log = log
        self.timeout = timeout
        self.max_clients = max_clients
        self._server: asyncio.Server | None = None
        self._connections = Connections(max_clients)

    async def start(self) -> None:
        """Listen; MuninError (with the fix) when the address cannot be bound."""
        try:
            self._server = await asyncio.start_server(
                self._serve, self.host or None, self.requested_port, limit=MAX_LINE
            )
        except OSError as exc:
            raise MuninError(
                "metrics.prometheus_bind",
                address=f"{self.host}:{self.requested_port}",
                reason=exc.strerror or str(exc),
            ) from exc
        self.log.info("prometheus: listening on %s:%d", self.host or "*", self.port)

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            return self.requested_port
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        await self._connections.close_all()
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if not self._connections.admit():
                return
            try:
                method, path = await asyncio.wait_for(_read_request(reader), self.timeout)
            except (_Bad, asyncio.LimitOverrunError, asyncio.IncompleteReadError, ValueError):
                await self._answer(writer, 400, "bad request\n", head=False)
                return
            await self._route(writer, method, path)
        except (TimeoutError, ConnectionError) as exc:
            self.log.debug("prometheus: connection ended early (%s)", type(exc).__name__)
        finally:
            self._connections.release()
            await close_writer(writer)

    async def _route(self, writer: asyncio.StreamWriter, method: str, path: str) -> None:
        if path.split("?", 1)[0] != "/metrics":
            await self._answer(writer, 404, "not found: try /metrics\n", head=method == "HEAD")
        elif method not in ("GET", "HEAD"):
            await self._answer(writer, 405, "only GET and HEAD\n", head=False)
        else:
            body = await self.render()
            await self._answer(writer, 200, body, head=method == "HEAD", kind=CONTENT_TYPE)

    async def _answer(
        self,
        writer: asyncio.StreamWriter,
        code: int,
        body: str,
        *,
        head: bool,
        kind: str = "text/plain; charset=utf-8",
    ) -> None:
        data = body.encode("utf-8")
        lines = [
            f"HTTP/1.1 {code} {_REASONS[code]}",
            f"Content-Type: {kind}",
            f"Content-Length: {len(data)}",
            "Connection: close",
        ]
        if code == 405:
            lines.append("Allow: GET, HEAD")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + (b"" if head else data))
        await writer.drain()


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str]:
    """The method and target of one request; its headers are read and ignored."""
    line = await reader.readuntil(b"\n")  # ValueError (LimitOverrunError) past MAX_LINE
    parts = line.decode("latin-1").strip().split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[1].startswith("/"):
        raise _Bad
    for _ in range(MAX_HEADERS):
        header = await reader.readuntil(b"\n")
        if header in (b"\r\n", b"\n"):
            return parts[0], parts[1]
    raise _Bad
