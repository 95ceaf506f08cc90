"""MariaDB probe against a real mariadbd started in a temporary data directory (once per module),
plus the cases without a server: no socket, a socket that refuses, one that never answers, a
wrong password. Never touches /var/lib/mysql or the system service."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymysql
import pytest

from rempart.metrics.model import Series
from rempart.probes.base import Probe
from rempart.probes.mariadb import MariaDBProbe, parse_status
from tests.conftest import need_program

PASSWORD = "rempart-test-pw"


@dataclass(frozen=True)
class Server:
    socket: Path
    directory: Path


def _wait_for(sock: Path, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"mariadbd exited: {log.read_text()[-2000:]}")
        if sock.exists():
            try:
                pymysql.connect(unix_socket=str(sock), user="root", password="").close()
                return
            except pymysql.MySQLError:
                pass
        time.sleep(0.05)
    raise AssertionError(f"mariadbd did not answer in 30 s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    install = need_program("mariadb-install-db", "mariadb-server")
    mariadbd = need_program("mariadbd", "mariadb-server")
    base = tmp_path_factory.mktemp("mariadb")
    data, sock, log = base / "data", base / "mysqld.sock", base / "mariadbd.log"
    user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            install,
            "--no-defaults",
            f"--datadir={data}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *user,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    argv = [mariadbd, "--no-defaults", f"--datadir={data}", f"--socket={sock}", "--skip-networking"]
    argv += [f"--pid-file={base / 'mariadbd.pid'}", f"--log-error={log}", *user]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(sock, proc, log)
        conn = pymysql.connect(unix_socket=str(sock), user="root", password="")
        with conn.cursor() as cur:
            cur.execute("ALTER USER 'root'@'localhost' IDENTIFIED BY %s", (PASSWORD,))
            cur.execute("SET GLOBAL long_query_time = 0.05")
        conn.close()
        yield Server(sock, base)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


def values(series: tuple[Series, ...]) -> dict[str, dict[str, float | None]]:
    return {s.graph.name: dict(s.values) for s in series}


def test_parse_status() -> None:
    rows = [("Questions", "42"), ("Uptime", b"10"), ("Version", "10.11.6-MariaDB"), ("x",), None]
    assert parse_status(rows) == {"Questions": 42.0, "Uptime": 10.0}


@pytest.mark.system
def test_up_connections_and_queries(server: Server) -> None:
    probe = MariaDBProbe(socket=server.socket, password=PASSWORD, timeout=2.0)
    assert isinstance(probe, Probe)
    assert probe.background
    assert probe.interval == 60
    first = probe.collect()
    got = values(first)
    assert got["mariadb_up"] == {"up": 1.0}
    assert set(got["mariadb_connections"]) == {
        "threads_connected",
        "max_used_connections",
        "aborted_connects",
    }
    assert got["mariadb_connections"]["threads_connected"] == 1.0  # the probe itself
    conns = first[1].graph
    assert conns.fields[0].warning == ":120"  # 80 % of the default max_connections (151)
    conn = pymysql.connect(unix_socket=str(server.socket), user="root", password=PASSWORD)
    with conn.cursor() as cur:
        cur.execute("SELECT SLEEP(0.1)")
    conn.close()
    again = values(probe.collect())["mariadb_queries"]
    assert again["questions"] is not None
    assert got["mariadb_queries"]["questions"] is not None
    assert again["questions"] > got["mariadb_queries"]["questions"]
    assert (again["slow_queries"] or 0) >= 1


@pytest.mark.system
def test_wrong_password_is_down_with_the_reason(server: Server) -> None:
    probe = MariaDBProbe(socket=server.socket, password="wrong", timeout=2.0)
    (up,) = probe.collect()
    assert dict(up.values) == {"up": 0.0}
    assert "Access denied" in up.graph.info
    assert up.graph.fields[0].critical == "1:"


@pytest.mark.system
def test_down_after_up_keeps_the_graphs_with_unknown_values(server: Server) -> None:
    link = server.directory / "link.sock"
    link.symlink_to(server.socket)
    probe = MariaDBProbe(socket=link, password=PASSWORD)
    assert values(probe.collect())["mariadb_up"] == {"up": 1.0}
    link.unlink()
    got = values(probe.collect())
    assert got["mariadb_up"] == {"up": 0.0}
    assert set(got["mariadb_queries"].values()) == {None}
    assert "does not exist" in probe.last_error


def test_no_socket(tmp_path: Path) -> None:
    (up,) = MariaDBProbe(root=tmp_path).collect()
    assert dict(up.values) == {"up": 0.0}
    assert "does not exist" in up.graph.info


def test_a_socket_that_refuses(tmp_path: Path) -> None:
    path = tmp_path / "refuse.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))  # bound, not listening: connect() is refused
        (up,) = MariaDBProbe(socket=path, timeout=1.0).collect()
    assert dict(up.values) == {"up": 0.0}
    assert "cannot connect" in up.graph.info


def test_a_server_that_never_answers_times_out(tmp_path: Path) -> None:
    path = tmp_path / "silent.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
        s.listen(1)
        start = time.monotonic()
        (up,) = MariaDBProbe(socket=path, timeout=0.3).collect()
        elapsed = time.monotonic() - start
    assert dict(up.values) == {"up": 0.0}
    assert elapsed < 2.0


def test_on_this_machine() -> None:
    series = MariaDBProbe().collect()
    assert series[0].graph.name == "mariadb_up"
    assert series[0].values["up"] in (0.0, 1.0)
