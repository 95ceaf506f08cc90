"""``rempart user``: add (generated, file, stdin passwords), list, passwd, role, remove —
and the accounts it writes log in on the dashboard."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rempart.cli import main
from rempart.web.auth import LOGIN_COOKIE
from tests.web.harness import web_env


def _login(client: TestClient, name: str, password: str) -> int:
    client.get("/login")
    csrf = client.cookies[LOGIN_COOKIE]
    return client.post(
        "/login", data={"csrf": csrf, "name": name, "password": password}
    ).status_code


def test_accounts_from_the_command_line_log_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with web_env(tmp_path) as env:
        db = ["--database", str(env.path)]
        assert main(["user", "add", "alice", *db]) == 0
        out = capsys.readouterr().out
        generated = re.search(r": (\S+)$", out.strip())
        assert generated is not None
        secret = tmp_path / "pw"
        secret.write_text("bob's long password\nignored\n")
        assert (
            main(["user", "add", "bob", "--role", "reader", "--password-file", str(secret), *db])
            == 0
        )
        monkeypatch.setattr("sys.stdin", io.StringIO("carol's password\n"))
        assert main(["user", "add", "carol", "--password-stdin", *db]) == 0
        capsys.readouterr()
        assert main(["user", "list", "--json", *db]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert [(u["name"], u["role"]) for u in listed] == [
            ("alice", "admin"),
            ("bob", "reader"),
            ("carol", "admin"),
        ]
        assert "hash" not in json.dumps(listed)
        with env.client() as client:
            assert _login(client, "alice", generated.group(1)) == 303
        with env.client() as client:
            assert _login(client, "bob", "bob's long password") == 303
            assert client.get("/account").status_code == 200
            # a new password ends bob's sessions
            assert main(["user", "passwd", "bob", "--password-file", str(secret), *db]) == 0
            assert client.get("/account").status_code == 303
        assert main(["user", "role", "bob", "admin", *db]) == 0
        assert main(["user", "remove", "carol", *db]) == 0
        capsys.readouterr()
        assert main(["user", "list", *db]) == 0
        table = capsys.readouterr().out
        assert "carol" not in table
        assert re.search(r"^bob\s+admin", table, re.M)


def test_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--database", str(tmp_path / "server.db")]
    assert main(["user", "add", "a b", *db]) == 2
    assert main(["user", "add", "x" * 65, *db]) == 2
    assert main(["user", "add", "ok", *db]) == 0
    assert main(["user", "add", "ok", *db]) == 2
    assert main(["user", "passwd", "nobody", *db]) == 2
    assert main(["user", "remove", "nobody", *db]) == 2
    short = tmp_path / "short"
    short.write_text("short\n")
    assert main(["user", "add", "s", "--password-file", str(short), *db]) == 2
    assert main(["user", "add", "s", "--password-file", str(tmp_path / "missing"), *db]) == 2
    capsys.readouterr()
    assert main(["--lang", "fr", "user", "role", "ok", "reader", *db]) == 0
    assert "plus aucun compte admin" in capsys.readouterr().err
    assert main(["user", "list", "--database", str(tmp_path / "none.db")]) == 3
