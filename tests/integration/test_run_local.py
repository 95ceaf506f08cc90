"""``rempart run`` (make run): agent, server and dashboard start together, the printed admin
password logs in, the overview shows the local node, SIGTERM stops both children.

The agent runs with ``--firewall dry-run``: this test never touches the host's firewall."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.munin_peers import free_port

pytestmark = pytest.mark.slow


def _read_until(process: subprocess.Popen[str], pattern: str, timeout: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found
    raise AssertionError("not printed: " + pattern + "\n" + "".join(seen[-30:]))


def test_rempart_run_starts_everything_and_stops_it(tmp_path: Path) -> None:
    web, munin = free_port(), free_port()
    argv = [
        sys.executable,
        "-m",
        "rempart",
        "run",
        "--dir",
        str(tmp_path / "d"),
        "--listen",
        f"127.0.0.1:{web}",
        "--munin-port",
        str(munin),
        "--firewall",
        "dry-run",
    ]
    env = {**os.environ, "REMPART_LANG": "en", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        address = _read_until(process, r"Dashboard:\s+(\S+)", 60).group(1)
        password = _read_until(process, r"Password:\s+(\S+)", 5).group(1)
        children = psutil.Process(process.pid).children()
        assert len(children) == 2
        assert (tmp_path / "d" / "admin-password").stat().st_mode & 0o777 == 0o600
        with httpx.Client(base_url=address.rstrip("/"), follow_redirects=False) as client:
            form = client.get("/login")
            csrf = client.cookies["rempart_login"]
            assert form.status_code == 200
            answer = client.post(
                "/login", data={"csrf": csrf, "name": "admin", "password": password}
            )
            assert answer.status_code == 303
            overview = client.get("/")
            assert overview.status_code == 200
            assert "localhost" in overview.text
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
        assert process.stdout is not None
        process.stdout.close()
    assert code == 0
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE


def test_the_saved_admin_password_goes_once_changed(tmp_path: Path) -> None:
    from rempart.cli.run_cmd import _first_admin
    from rempart.store.server_db import open_server_db
    from rempart.store.web_users import SqliteUserStore
    from rempart.web.passwords import hash_password

    db_path, saved = tmp_path / "server.db", tmp_path / "admin-password"
    password, created = _first_admin(db_path, saved)
    assert created
    assert _first_admin(db_path, saved) == (password, False)
    with open_server_db(db_path) as db:
        SqliteUserStore(db).set_password("admin", hash_password("another password"), 1.0)
    assert _first_admin(db_path, saved) == (None, False)
    assert not saved.exists()
