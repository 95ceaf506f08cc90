"""A stand-in for the Docker Engine API: a real HTTP/1.1 server on a Unix socket.

No Docker runs on the test machine and there is no internet to pull images, so the tests of
the containers probe talk to this server instead. It answers ``GET /v1.41/containers/json``
with a body given by the test (the documented ``ContainerSummary`` list, see
``tests/fixtures/probes/containers/README.md``), with ``Content-Length`` or chunked, and can
misbehave on purpose: ``mode="hang"`` accepts and never answers, ``mode="error"`` answers 500.
"""

from __future__ import annotations

import socketserver
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["FakeDockerAPI"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        fake = self.server.fake
        fake.requests.append(self.path)
        if fake.mode == "hang":
            fake.release.wait(10)
            return
        if self.path.split("?")[0] != "/v1.41/containers/json" or fake.mode == "error":
            self._send(500 if fake.mode == "error" else 404, b'{"message":"no"}')
            return
        self._send(200, fake.body)

    def _send(self, status: int, body: bytes) -> None:
        fake = self.server.fake
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Api-Version", "1.41")
        if fake.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 1000):
                part = body[start : start + 1000]
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet (and AF_UNIX peers have no address to print)."""


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    fake: FakeDockerAPI


class FakeDockerAPI:
    """``with FakeDockerAPI(path, body) as api:`` serves until the block ends."""

    def __init__(self, path: Path, body: bytes, *, chunked: bool = False, mode: str = "ok") -> None:
        self.path = path
        self.body = body
        self.chunked = chunked
        self.mode = mode
        self.requests: list[str] = []
        self.release = threading.Event()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._server = _Server(str(path), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeDockerAPI:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self.path.unlink(missing_ok=True)
