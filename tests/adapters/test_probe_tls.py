"""The tls probe against real TLS servers (Python's ssl on 127.0.0.1) with certificates made by
openssl here: trusted, about to expire, expired, self-signed, wrong name; files; bad targets."""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from rempart.munin.format import config_lines, fetch_lines
from rempart.probes.base import Probe
from rempart.probes.tls import HostTarget, TlsProbe, parse_target
from tests.adapters.tlscerts import Certs, make_certs
from tests.conftest import FIXTURES, need_file


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


class TlsServer:
    """A TLS server on 127.0.0.1 (or ::1) presenting one certificate; records the SNI names."""

    def __init__(self, cert: Path, key: Path, host: str = "127.0.0.1") -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.context.sni_callback = self._sni
        self.names: list[str | None] = []
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _sni(self, _sock: ssl.SSLObject | ssl.SSLSocket, name: str | None, _ctx: object) -> None:
        self.names.append(name)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(2)
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)  # until the client closes
            except OSError:
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture
def serve(certs: Certs) -> Iterator[type[TlsServer]]:
    servers: list[TlsServer] = []

    class Tracked(TlsServer):
        def __init__(self, cert: Path, key: Path, host: str = "127.0.0.1") -> None:
            super().__init__(cert, key, host)
            servers.append(self)

    yield Tracked
    for server in servers:
        server.close()


def _one(probe: TlsProbe) -> tuple[dict[str, float | None], dict[str, str]]:
    (series,) = probe.collect()
    assert series.graph.name == "tls_days"
    infos = {f.name: f.info or "" for f in series.graph.fields}
    return dict(series.values), infos


def test_trusted_certificate(certs: Certs, serve: type[TlsServer]) -> None:
    server = serve(*certs.pair("good"))
    target = f"localhost:{server.port}"
    probe = TlsProbe(targets=(target,), ca_file=certs.ca, timeout=3)
    assert isinstance(probe, Probe)
    assert probe.background
    assert probe.interval == 3600
    values, _ = _one(probe)
    field = f"localhost_{server.port}"
    assert 89.9 < (values[field] or 0) <= 90
    assert values[f"{field}_valid"] == 1
    assert server.names == ["localhost"]  # SNI = host


def test_munin_config_of_the_graph(certs: Certs, serve: type[TlsServer]) -> None:
    server = serve(*certs.pair("soon"))
    probe = TlsProbe(targets=(f"127.0.0.1:{server.port}",), ca_file=certs.ca, warning_days=30)
    (series,) = probe.collect()
    field = f"_27_0_0_1_{server.port}"
    lines = config_lines(series.graph)
    assert f"{field}.label 127.0.0.1:{server.port}" in lines
    for line in ("warning 30:", "critical 7:", "_valid.graph no", "_valid.critical 1:"):
        assert f"{field}{'' if line[0] == '_' else '.'}{line}" in lines
    assert 2.9 < (series.values[field] or 0) <= 3
    assert f"{field}_valid.value 1" in fetch_lines(series)
    assert server.names == [None]  # no SNI for an address


@pytest.mark.parametrize(
    ("name", "ca", "why"),
    [
        ("expired", True, "certificate has expired"),
        ("self", False, "self-signed certificate"),
        ("other", True, "Hostname mismatch"),
    ],
)
def test_certificate_that_does_not_verify_is_still_read(
    certs: Certs, serve: type[TlsServer], name: str, ca: bool, why: str
) -> None:
    server = serve(*certs.pair(name))
    ca_file = (certs.dir / "other.pem" if name == "other" else certs.ca) if ca else None
    probe = TlsProbe(targets=(f"localhost:{server.port}",), ca_file=ca_file, timeout=3)
    values, infos = _one(probe)
    field = f"localhost_{server.port}"
    assert values[f"{field}_valid"] == 0
    assert why in infos[f"{field}_valid"]
    assert "Fix:" in infos[f"{field}_valid"]
    expected = -1 if name == "expired" else 30
    assert expected - 0.1 < (values[field] or 0) <= expected
    assert len(server.names) == 2  # verifying, then reading without verifying


def test_injected_clock(certs: Certs, serve: type[TlsServer]) -> None:
    server = serve(*certs.pair("good"))
    later = time.time() + 100 * 86400
    probe = TlsProbe(targets=(f"localhost:{server.port}",), ca_file=certs.ca, now=lambda: later)
    values, _ = _one(probe)
    assert -10.1 < (values[f"localhost_{server.port}"] or 0) <= -10


def test_ipv6_target(certs: Certs, serve: type[TlsServer]) -> None:
    server = serve(*certs.pair("good"), host="::1")  # loopback ::1: every test machine has it
    probe = TlsProbe(targets=(f"[::1]:{server.port}",), ca_file=certs.ca)
    values, _ = _one(probe)
    assert values[f"___1__{server.port}_valid"] == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_targets_give_unknown_within_the_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)  # connects (kernel backlog), never speaks TLS
    targets = (f"127.0.0.1:{_free_port()}", f"127.0.0.1:{silent.getsockname()[1]}", "nohost:x")
    probe = TlsProbe(targets=targets, timeout=0.5)
    try:
        with caplog.at_level(logging.INFO, logger="rempart.probes.tls"):
            start = time.monotonic()
            values, infos = _one(probe)
            elapsed = time.monotonic() - start
            _one(probe)  # same state: logged once
    finally:
        silent.close()
    assert elapsed < 1.5
    assert all(v is None for v in values.values())
    refused, hanging, bad = (probe._fields[t] for t in targets)
    assert "refused" in infos[refused]
    assert "Fix:" in infos[refused]
    assert "timed out" in infos[hanging]
    assert "not a TLS target" in infos[bad]
    assert f"{bad}_valid" not in values
    assert len(caplog.records) == 3


def test_files_under_root(tmp_path: Path) -> None:
    (tmp_path / "etc/ssl").mkdir(parents=True)
    for name in ("chain.pem", "garbage.der", "leaf.der", "generalized.pem"):
        shutil.copy(FIXTURES / "probes/tls" / name, tmp_path / "etc/ssl" / name)
    now = 1795271666.0  # 2026-11-21 14:34:26 UTC, when the fixtures were made
    targets = tuple(f"/etc/ssl/{n}" for n in ("chain.pem", "leaf.der", "garbage.der", "none.pem"))
    probe = TlsProbe(root=tmp_path, targets=(*targets, "/etc/ssl/generalized.pem"), now=lambda: now)
    values, infos = _one(probe)
    assert values == {
        "_etc_ssl_chain_pem": 90.0,
        "_etc_ssl_leaf_der": 90.0,
        "_etc_ssl_garbage_der": None,
        "_etc_ssl_none_pem": None,
        "_etc_ssl_generalized_pem": 36500.0,
    }  # no _valid field for files: nothing is verified
    assert "DER" in infos["_etc_ssl_garbage_der"]
    assert "Fix:" in infos["_etc_ssl_garbage_der"]
    assert "No such file" in infos["_etc_ssl_none_pem"]


def test_no_targets() -> None:
    assert TlsProbe().collect() == ()


def test_real_machine_certificate_file() -> None:
    path = need_file(Path("/etc/ssl/certs/ISRG_Root_X1.pem"), "ca-certificates")
    values, _ = _one(TlsProbe(targets=(str(path),)))
    assert (values["_etc_ssl_certs_ISRG_Root_X1_pem"] or 0) > -3650


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("example.org:443", HostTarget("example.org", 443)),
        ("[2001:db8::1]:8443", HostTarget("2001:db8::1", 8443)),
        ("/etc/ssl/site.pem", PurePosixPath("/etc/ssl/site.pem")),
    ],
)
def test_parse_target(text: str, parsed: object) -> None:
    assert parse_target(text) == parsed


@pytest.mark.parametrize(
    "text", ["example.org", "example.org:0", "example.org:99999", "2001:db8::1:443", "[x]:1",
             "[::1]443", "a b:1", "site.pem", ":443", "example.org:44３"],
)  # fmt: skip
def test_parse_target_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected|port|IPv6|address"):
        parse_target(text)
