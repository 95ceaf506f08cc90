"""``rempart server`` serves the dashboard in its own event loop: /login answers on the
configured port; a port in use is logged with its fix and the server keeps polling; --no-web
serves nothing; SIGTERM stops both."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.munin_peers import free_port

CONFIG = """
[rempart]
state_dir = "{dir}"
[server]
database = "{dir}/server.db"
socket = "{dir}/server.sock"
timeout = "2s"
[server.groups.local]
n1 = "127.0.0.1:{dead}"
[server.web]
listen = "127.0.0.1:{port}"
auth_log = "{dir}/log/web-auth.log"
"""


@contextmanager
def _server(tmp_path: Path, port: int, *extra: str) -> Iterator[subprocess.Popen[str]]:
    config = tmp_path / "rempart.toml"
    config.write_text(CONFIG.format(dir=tmp_path, port=port, dead=free_port()))
    process = subprocess.Popen(
        [sys.executable, "-m", "rempart", "server", "--config", str(config), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "LANG": "C.UTF-8"},
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _wait_for(predicate: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def test_rempart_server_serves_the_dashboard(tmp_path: Path) -> None:
    port = free_port()
    with _server(tmp_path, port) as process:
        _wait_for(lambda: _answers(f"http://127.0.0.1:{port}/login"))
        answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=2.0)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=%2F"
        assert "content-security-policy" in answer.headers
        assert "server" not in answer.headers  # no uvicorn banner
        # X-Forwarded-For from an untrusted peer is not believed (uvicorn's proxy_headers off)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5.0) as client:
            client.get("/login")
            answer = client.post(
                "/login",
                data={"csrf": client.cookies["rempart_login"], "name": "x", "password": "y"},
                headers={"x-forwarded-for": "203.0.113.9"},
            )
            assert answer.status_code == 401
        line = (tmp_path / "log" / "web-auth.log").read_text()
        assert 'failed login from 127.0.0.1 for user "x"' in line
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=15)
    assert process.returncode == 0, out
    assert f"web: dashboard on http://127.0.0.1:{port}/" in out


def test_a_port_in_use_leaves_the_server_polling(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with _server(tmp_path, port) as process:
            _wait_for((tmp_path / "server.sock").exists)
            time.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            out, _ = process.communicate(timeout=15)
    assert process.returncode == 0, out
    assert f"cannot listen on 127.0.0.1:{port}" in out
    assert "Fix:" in out
    assert "server: round 1" in out


def test_no_web(tmp_path: Path) -> None:
    port = free_port()
    with _server(tmp_path, port, "--no-web") as process:
        _wait_for((tmp_path / "server.sock").exists)
        time.sleep(0.3)
        assert not _answers(f"http://127.0.0.1:{port}/login")
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=15)
    assert process.returncode == 0, out
    assert "dashboard" not in out
