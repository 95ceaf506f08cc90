"""Cost of one collection of the tls and http probes with 10 local targets each.

    .venv/bin/python bench/checks_micro.py [--runs 20]

Starts, on 127.0.0.1 only: 10 TLS servers (Python ssl, a P-256 certificate signed by a test CA
made here with openssl) and one HTTP server answering 10 paths; writes 10 PEM files. Then times
``collect()`` of TlsProbe (10 host:port targets, verified with the test CA), TlsProbe (10 files)
and HttpProbe (10 sites, http://, then 10 https:// sites on the TLS-capable HTTP server).
Prints the median and the best of ``--runs`` collections, in milliseconds, and per target.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rempart.probes.http import HttpProbe, HttpSite
from rempart.probes.tls import TlsProbe

EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
N = 10


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=30)


def _certs(d: Path) -> None:
    _openssl("req", "-x509", *EC, "-keyout", d / "ca.key", "-out", d / "ca.pem",
             "-subj", "/CN=bench CA", "-days", "30")  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl("req", "-new", *EC, "-keyout", d / "leaf.key", "-out", d / "leaf.csr",
             "-subj", "/CN=localhost")  # fmt: skip
    _openssl("x509", "-req", "-in", d / "leaf.csr", "-CA", d / "ca.pem", "-CAkey", d / "ca.key",
             "-set_serial", "9", "-days", "20", "-extfile", d / "san.ext",
             "-out", d / "leaf.pem")  # fmt: skip


def _tls_server(context: ssl.SSLContext) -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)

    def serve() -> None:
        while True:
            conn, _ = sock.accept()
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.settimeout(2)
                    tls.recv(1)
            except OSError:
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return int(sock.getsockname()[1])


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html>" + b"x" * 20_000 + b"ok</html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _http_server(context: ssl.SSLContext | None) -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return int(server.server_address[1])


def _time(label: str, collect: Callable[[], object], runs: int) -> None:
    collect()  # first run: contexts built, files cached
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        collect()
        times.append((time.perf_counter() - start) * 1000)
    median = statistics.median(times)
    print(f"{label:<34} median {median:7.1f} ms  best {min(times):7.1f} ms  "
          f"per target {median / N:6.2f} ms")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if shutil.which("openssl") is None:
        print("openssl not found: install Debian package openssl", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        _certs(d)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(d / "leaf.pem", d / "leaf.key")
        ports = [_tls_server(context) for _ in range(N)]
        files = []
        for i in range(N):
            files.append(str(d / f"site{i}.pem"))
            shutil.copy(d / "leaf.pem", files[-1])
        plain, secure = _http_server(None), _http_server(context)
        tls = TlsProbe(targets=tuple(f"localhost:{p}" for p in ports), ca_file=d / "ca.pem")
        _time("tls, 10 host:port (verified)", tls.collect, args.runs)
        _time("tls, 10 PEM files", TlsProbe(targets=tuple(files)).collect, args.runs)
        sites = tuple(
            HttpSite(url=f"http://127.0.0.1:{plain}/{i}", contains="ok") for i in range(N)
        )
        _time("http, 10 sites http://", HttpProbe(sites=sites).collect, args.runs)
        sites = tuple(HttpSite(url=f"https://localhost:{secure}/{i}") for i in range(N))
        probe = HttpProbe(sites=sites, ca_file=d / "ca.pem")
        _time("http, 10 sites https:// (verified)", probe.collect, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
