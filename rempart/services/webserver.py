"""An ASGI application (the dashboard) served by uvicorn inside the running event loop.

``rempart server`` polls and serves in one loop: the socket is bound here (a port in use is a
logged error with its fix, and the server keeps polling without its dashboard), uvicorn installs
no signal handlers of its own (the caller's ``stop`` event ends both), does not touch the
logging configuration, and never believes X-Forwarded-* itself — the application decides which
proxies are trusted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from rempart.i18n import render

__all__ = ["WebServer", "bind_socket"]


class _Uvicorn(uvicorn.Server):
    """uvicorn without its own signal handling (the server's handlers stop everything)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port. Raises OSError (port in use, no such address)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class WebServer:
    """``app`` on host:port until ``stop`` is set."""

    def __init__(self, app: ASGIApp, host: str, port: int, *, log: logging.Logger) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.log = log
        self.started = asyncio.Event()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def run(self, stop: asyncio.Event) -> bool:
        """Serve until ``stop``; False (logged) when the address cannot be listened on."""
        try:
            sock = bind_socket(self.host, self.port)
        except OSError as exc:
            self.log.error(
                "%s",
                render(
                    "web.listen_failed", "en", host=self.host, port=self.port, reason=exc.strerror
                ),
            )
            return False
        self.port = sock.getsockname()[1]  # port 0: the one the system chose
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            log_config=None,
            access_log=False,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=5,
        )
        server = _Uvicorn(config)
        serving = asyncio.create_task(server.serve(sockets=[sock]), name="rempart-web")
        waiting = asyncio.create_task(stop.wait())
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if server.started:
            self.started.set()
            self.log.info("web: dashboard on %s", self.url)
        await asyncio.wait({serving, waiting}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        waiting.cancel()
        await serving
        return True
