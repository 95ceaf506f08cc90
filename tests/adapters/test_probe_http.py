"""The http probe against real local HTTP(S) servers: 200, 500, 301, slow, wrong content, a big
body, a refused port, a server that never answers, a self-signed and a trusted certificate."""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rempart.munin.format import config_lines
from rempart.probes.base import Probe
from rempart.probes.http import BODY_LIMIT, HttpProbe, HttpSite, judge, site_label
from tests.adapters.tlscerts import Certs, make_certs

MARKER = b"rempart-marker"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path
        if path == "/slow":
            time.sleep(1.5)
        if path == "/big":  # the marker only after the first MiB
            self._answer(200, b"x" * BODY_LIMIT + MARKER)
        elif path == "/error":
            self._answer(500, b"oops")
        elif path == "/moved":
            self._answer(301, b"", ("Location", "/ok"))
        else:
            self._answer(200, b"<html>hello " + MARKER + b"</html>")

    def _answer(self, status: int, body: bytes, *header: tuple[str, str]) -> None:
        self.send_response(status)
        for name, value in header:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the probe gave up (timeout, body limit)
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that went away is part of the tests


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


def _start(server: Server) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    return thread


@pytest.fixture(scope="module")
def web(certs: Certs) -> Iterator[dict[str, str]]:
    plain = Server(("127.0.0.1", 0), Handler)
    self_signed = Server(("127.0.0.1", 0), Handler)
    trusted = Server(("127.0.0.1", 0), Handler)
    for server, name in ((self_signed, "self"), (trusted, "good")):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certs.pair(name))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threads = [_start(s) for s in (plain, self_signed, trusted)]
    yield {
        "http": f"http://127.0.0.1:{plain.server_address[1]}",
        "self": f"https://localhost:{self_signed.server_address[1]}",
        "good": f"https://localhost:{trusted.server_address[1]}",
    }
    for server, thread in zip((plain, self_signed, trusted), threads, strict=True):
        server.shutdown()
        thread.join(5)
        server.server_close()


def _values(probe: HttpProbe) -> dict[str, dict[str, float | None]]:
    return {s.graph.name: dict(s.values) for s in probe.collect()}


def _up_info(probe: HttpProbe) -> dict[str, str]:
    up = next(s for s in probe.collect() if s.graph.name == "http_up")
    return {f.name: f.info or "" for f in up.graph.fields}


def test_answers(web: dict[str, str]) -> None:
    base = web["http"]
    sites = (
        HttpSite(url=base + "/ok", name="ok", contains="rempart-marker"),
        HttpSite(url=base + "/error", name="error"),
        HttpSite(url=base + "/moved", name="moved"),
        HttpSite(url=base + "/moved", name="moved-strict", expect=(200,)),
        HttpSite(url=base + "/ok", name="wrong text", contains="absent"),
        HttpSite(url=base + "/big", name="big", contains="rempart-marker"),
    )
    probe = HttpProbe(sites=sites, timeout=3)
    assert isinstance(probe, Probe)
    assert probe.background
    assert probe.interval == 60
    got = _values(probe)
    fields = ["ok", "error", "moved", "moved_strict", "wrong_text", "big"]
    assert [got["http_up"][f] for f in fields] == [1, 0, 1, 0, 0, 0]
    assert [got["http_status"][f] for f in fields] == [200, 500, 301, 301, 200, 200]
    assert all(0 < (got["http_latency"][f] or 0) < 3 for f in fields)
    info = _up_info(probe)
    assert "answered 500, expected 2xx or 3xx" in info["error"]
    assert "Fix:" in info["error"]
    assert "answered 301, expected 200" in info["moved_strict"]
    assert "'absent' is not in the first 1 MiB" in info["wrong_text"]
    assert "not in the first 1 MiB" in info["big"]  # only the first MiB is read
    assert info["ok"].startswith("1 when")


def test_no_answer_within_the_timeout(
    web: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    refused = socket.socket()
    refused.bind(("127.0.0.1", 0))
    refused_port = refused.getsockname()[1]
    refused.close()
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(4)  # TCP connects through the backlog; nothing is ever answered
    sites = (
        HttpSite(url=web["http"] + "/slow", name="slow"),
        HttpSite(url=f"http://127.0.0.1:{refused_port}/", name="refused"),
        HttpSite(url=f"http://127.0.0.1:{hanging.getsockname()[1]}/", name="hanging"),
        HttpSite(url="file:///etc/passwd", name="file"),
        HttpSite(url="http://[::1/", name="broken"),
    )
    probe = HttpProbe(sites=sites, timeout=0.4)
    try:
        with caplog.at_level(logging.INFO, logger="rempart.probes.http"):
            start = time.monotonic()
            got = _values(probe)
            elapsed = time.monotonic() - start
            info = _up_info(probe)
    finally:
        hanging.close()
    assert elapsed < 2.0  # two timeouts of 0.4 s and three quick failures
    names = ["slow", "refused", "hanging", "file", "broken"]
    assert [got["http_up"][n] for n in names] == [0] * 5
    assert all(got["http_latency"][n] is None and got["http_status"][n] is None for n in names)
    assert "timed out" in info["slow"]
    assert "timed out" in info["hanging"]
    assert "refused" in info["refused"].lower()
    assert "'file' is not http(s)" in info["file"]
    assert "no answer" in info["broken"]
    assert "Fix:" in info["broken"]
    assert len(caplog.records) == 5  # two collections, one message per site


def test_tls_is_verified(web: dict[str, str], certs: Certs) -> None:
    sites = (HttpSite(url=web["self"] + "/ok", name="self"), HttpSite(url=web["good"] + "/ok"))
    got = _values(HttpProbe(sites=sites, timeout=3, ca_file=certs.ca))
    good = f"https___localhost_{web['good'].rpartition(':')[2]}_ok"
    assert got["http_up"] == {"self": 0, good: 1}
    info = _up_info(HttpProbe(sites=sites[:1], timeout=3))
    assert "CERTIFICATE_VERIFY_FAILED" in info["self"] or "self-signed" in info["self"]


def test_graphs_for_munin(web: dict[str, str]) -> None:
    sites = (
        HttpSite(url=web["http"] + "/ok", name="Le site #1 \\ de l'asso"),
        HttpSite(url=web["http"] + "/ok?x=1", name="Le site #1 \\ de l'asso"),
    )
    series = {s.graph.name: s for s in HttpProbe(sites=sites).collect()}
    up = config_lines(series["http_up"].graph)
    assert "Le_site_1_de_l_asso.label Le site 1 de l'asso" in up
    assert "Le_site_1_de_l_asso_2.label Le site 1 de l'asso" in up
    assert "Le_site_1_de_l_asso.critical 1:" in up
    assert "graph_vlabel seconds" in config_lines(series["http_latency"].graph)
    assert [s.graph.category for s in series.values()] == ["network"] * 3


def test_credentials_stay_out_of_labels() -> None:
    site = HttpSite(url="https://bob:secret@example.org/status")
    assert site_label(site) == "https://example.org/status"
    for url in ("http://bob:secret@[bad/", "http://bob:secret@x:99999/"):
        assert "secret" not in site_label(HttpSite(url=url))


@pytest.mark.parametrize(
    ("site", "status", "body", "ok"),
    [
        (HttpSite(url="u"), 204, b"", True),
        (HttpSite(url="u"), 399, b"", True),
        (HttpSite(url="u"), 404, b"", False),
        (HttpSite(url="u", expect=(404,)), 404, b"", True),
        (HttpSite(url="u", contains="é"), 200, "café".encode(), True),
        (HttpSite(url="u", contains="é"), 200, b"cafe", False),
    ],
)
def test_judge(site: HttpSite, status: int, body: bytes, ok: bool) -> None:
    assert (judge(site, status, body) == "") is ok


def test_no_sites(tmp_path: Path) -> None:
    assert HttpProbe(root=tmp_path).collect() == ()
