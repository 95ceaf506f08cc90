"""The dashboard's frame: login redirect, security headers, CSRF, sessions."""

from __future__ import annotations

from pathlib import Path

from rempart.web.security import CSP
from tests.web.harness import PASSWORD, login, make_user, web_env


def test_pages_redirect_to_login_without_a_session(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, env.client() as client:
        answer = client.get("/bans?q=1")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=%2Fbans%3Fq%3D1"
        assert client.get("/api/anything").status_code == 401
        assert client.get("/static/rempart.css").status_code == 200


def test_every_answer_has_the_security_headers(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, env.client() as client:
        answer = client.get("/login")
        assert answer.headers["content-security-policy"] == CSP
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["cache-control"] == "no-store"
        assert "unsafe-inline" not in CSP


def test_login_with_the_form_opens_a_session(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, env.client() as client:
        make_user(env, "alice")
        form = client.get("/login")
        csrf = client.cookies["rempart_login"]
        assert csrf in form.text
        wrong = client.post("/login", data={"csrf": csrf, "name": "alice", "password": "x"})
        assert wrong.status_code == 401
        ok = client.post(
            "/login", data={"csrf": csrf, "name": "alice", "password": PASSWORD, "next": "/bans"}
        )
        assert ok.status_code == 303
        assert ok.headers["location"] == "/bans"
        assert "rempart_session" in client.cookies


def test_a_post_without_the_csrf_token_is_refused(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, env.client() as client:
        csrf = login(client, env)
        assert client.post("/logout", data={}).status_code == 403
        assert client.post("/logout", data={"csrf": "nope"}).status_code == 403
        assert client.post("/logout", data={"csrf": csrf}).status_code == 303
        assert client.get("/").status_code == 303  # the session is gone


def test_static_files_read_no_session(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, env.client() as client:
        login(client, env)
        calls: list[object] = []
        real = env.deps.read.run

        async def counting(fn):  # type: ignore[no-untyped-def]
            calls.append(fn)
            return await real(fn)

        env.deps.read.run = counting  # type: ignore[method-assign]
        assert client.get("/static/rempart.css").status_code == 200
        assert calls == []
        assert client.get("/alerts").status_code == 200
        assert calls
