"""The read-only role (403 on every state-changing request but log out, language and own
password), the login limiter and the auth log's escaping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from rempart.web.auth import require_admin
from rempart.web.authlog import MAX_NAME, auth_line, escape_name
from rempart.web.ratelimit import LoginLimiter
from tests.web.harness import login, web_env


def test_a_reader_gets_403_on_every_action(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, env.client() as client:
        csrf = login(client, env, "rita", "reader")
        for path in ("/alerts/3/ack", "/bans/web1/192.0.2.7/unban", "/anything", "/"):
            answer = client.post(path, data={"csrf": csrf})
            assert answer.status_code == 403, path
            assert "read-only" in answer.text
        assert client.delete("/bans", headers={"x-csrf-token": csrf}).status_code == 403
        assert client.get("/account").status_code == 200
        answer = client.post("/language", data={"csrf": csrf, "language": "fr"})
        assert answer.status_code == 303
        assert client.post("/logout", data={"csrf": csrf}).status_code == 303


def test_an_admin_passes_the_central_check(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, env.client() as client:
        csrf = login(client, env, "alice", "admin")
        # no such route: the router answers, not the read-only check
        assert client.post("/anything", data={"csrf": csrf}).status_code in (404, 405)


def test_require_admin_for_pages(tmp_path: Path) -> None:
    async def action(request: Request) -> Response:
        return PlainTextResponse(require_admin(request).by)

    with web_env(tmp_path) as env:
        env.app.router.routes.insert(0, Route("/try", action, methods=["GET"]))
        with env.client() as client:
            login(client, env, "rita", "reader")
            assert client.get("/try").status_code == 403
        with env.client() as client:
            login(client, env, "alice", "admin")
            assert client.get("/try").text == "web:alice"


def test_limiter_counts_per_address_and_per_name() -> None:
    limiter = LoginLimiter(3, 100.0)
    for t in (0.0, 10.0, 20.0):
        assert limiter.retry_after("192.0.2.1", "alice", t) == 0
        limiter.failed("192.0.2.1", "alice", t)
    assert limiter.retry_after("192.0.2.1", "bob", 21.0) == pytest.approx(79.0)
    assert limiter.retry_after("192.0.2.2", "ALICE", 21.0) == pytest.approx(79.0)
    assert limiter.retry_after("192.0.2.2", "bob", 21.0) == 0
    assert limiter.retry_after("192.0.2.1", "bob", 100.0) == 0  # the first one left
    limiter.succeeded("alice")
    assert limiter.retry_after("192.0.2.9", "alice", 50.0) == 0


def test_limiter_memory_is_bounded() -> None:
    limiter = LoginLimiter(5, 600.0, max_keys=100)
    for i in range(1000):
        limiter.failed(f"192.0.2.{i % 250}", f"user{i}", float(i))
    assert len(tuple(limiter.tracked())) <= 100


LINE = re.compile(
    r"^\S+ rempart-web\[\d+\]: failed login from (\S+) for user "
    r'"([^"\\\x00-\x1f]|\\x..|\\u....|\\U........)*"$'
)


@pytest.mark.parametrize(
    "name",
    [
        'x" from 203.0.113.9 for user "y',
        "a\nb\rc\x00d\u2028e\x1b[31m",
        '"' * 200,
        "é" * 100,
        "\\x22",
        "😀 for user",
    ],
)
def test_the_auth_line_keeps_the_real_address_first(name: str) -> None:
    line = auth_line(1_790_000_000.0, 42, "192.0.2.7", name)
    assert line.endswith("\n")
    assert line.count("\n") == 1
    match = LINE.match(line[:-1])
    assert match is not None, line
    assert match.group(1) == "192.0.2.7"
    assert len(escape_name(name)) <= MAX_NAME
    assert line.isascii()
