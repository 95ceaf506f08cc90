"""Failed dashboard logins feed rempart's own detection: the auth log, replayed through the
default configuration's ``rempart-web`` jail, bans the clients that failed — and a crafted
user name never makes it ban the address written inside the name."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rempart.cli import main
from rempart.config import build_config, default_config_text
from rempart.config.server import WebConfig
from rempart.web.auth import LOGIN_COOKIE
from tests.web.harness import make_user, web_env

CRAFTED = (
    'x" from 203.0.113.9 for user "y',
    'a\n2026-09-21T00:00:00+00:00 rempart-web[1]: failed login from 203.0.113.9 for user "b',
    "203.0.113.9",
    ' for user "" from 203.0.113.9',
    "z" * 300 + " from 203.0.113.9",
)


def _fail(app: object, address: str, name: str) -> int:
    with TestClient(app, base_url="http://127.0.0.1", client=(address, 1)) as client:  # type: ignore[arg-type]
        client.get("/login")
        csrf = client.cookies[LOGIN_COOKIE]
        answer = client.post("/login", data={"csrf": csrf, "name": name, "password": "no"})
        return answer.status_code


def test_the_default_jail_reads_the_default_auth_log() -> None:
    config = build_config(tomllib.loads(default_config_text()), Path("/etc/rempart/r.toml"))
    jail = config.jails["rempart-web"]
    assert jail.filter == "rempart-web"
    assert [s.path for s in jail.sources] == [WebConfig().auth_log]


def test_crafted_names_never_ban_the_address_inside_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "web-auth.log"
    web = WebConfig(auth_log=log, login_limit=1000)
    with web_env(tmp_path, web=web) as env:
        make_user(env, "alice")
        for name in CRAFTED:
            assert _fail(env.app, "192.0.2.7", name) == 401
        for _ in range(5):
            assert _fail(env.app, "2001:db8::7", "alice") == 401
        assert _fail(env.app, "198.51.100.4", CRAFTED[0]) == 401  # one failure: no ban
    assert len(log.read_text().splitlines()) == len(CRAFTED) + 6
    config = tmp_path / "rempart.toml"
    config.write_text(default_config_text())
    capsys.readouterr()
    failures = tmp_path / "failures.jsonl"
    code = main(
        [
            "replay",
            "--config",
            str(config),
            "--jail",
            "rempart-web",
            "--json",
            "--no-progress",
            "--timezone",
            "UTC",
            "--failures-out",
            str(failures),
            str(log),
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    hosts = [json.loads(line) for line in failures.read_text().splitlines()]
    assert len(hosts) == len(CRAFTED) + 6  # every line counted, each for its real client
    assert {str(h.get("host", h.get("address"))) for h in hosts} == {
        "192.0.2.7",
        "2001:db8::7",
        "198.51.100.4",
    }
    banned = {b["address"] for b in _bans(report)}
    assert banned == {"192.0.2.7", "2001:db8::7"}


def _bans(report: object) -> list[dict[str, object]]:
    if isinstance(report, dict):
        if "bans" in report and isinstance(report["bans"], list):
            return list(report["bans"])
        return [b for v in report.values() for b in _bans(v)]
    if isinstance(report, list):
        return [b for v in report for b in _bans(v)]
    return []
