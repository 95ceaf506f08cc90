"""Login, logout, sessions (rotation, expiry, housekeeping), the rate limit and its 429, the
auth log, the language choice, the account page, open redirects and Secure cookies."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from rempart.config.server import WebConfig
from rempart.store.web_users import SqliteUserStore
from rempart.web.auth import LANG_COOKIE, LOGIN_COOKIE, SESSION_COOKIE, safe_next
from tests.web.harness import PASSWORD, WebEnv, login, make_user, run_sync, web_env


def _client(env: WebEnv, address: str = "192.0.2.7") -> TestClient:
    return TestClient(
        env.app, base_url="http://127.0.0.1", follow_redirects=False, client=(address, 40000)
    )


def _form_login(client: TestClient, name: str, password: str, **extra: str) -> Any:
    client.get("/login")
    csrf = client.cookies[LOGIN_COOKIE]
    return client.post("/login", data={"csrf": csrf, "name": name, "password": password, **extra})


def _sessions(env: WebEnv) -> int:
    rows = run_sync(env.deps.read.run(lambda db: db.tuples("SELECT count(*) FROM web_sessions")))
    return int(rows[0][0])


def _csrf(client: TestClient) -> str:
    return client.get("/account").text.split('name="csrf" value="')[1].split('"')[0]


def test_login_opens_a_new_session_and_logout_ends_it(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, _client(env) as client:
        make_user(env, "alice")
        client.cookies.set(SESSION_COOKIE, "token-planted-by-an-attacker")
        answer = _form_login(client, "alice", PASSWORD)
        assert answer.status_code == 303
        issued = answer.cookies[SESSION_COOKIE]
        assert issued
        assert issued != "token-planted-by-an-attacker"
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, issued)
        assert client.get("/account").status_code == 200
        assert _sessions(env) == 1
        assert client.post("/logout", data={"csrf": _csrf(client)}).status_code == 303
        assert _sessions(env) == 0
        assert client.get("/account").status_code == 303


def test_logging_in_again_closes_the_previous_session(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, _client(env) as client:
        make_user(env, "alice")
        _form_login(client, "alice", PASSWORD)
        first = client.cookies[SESSION_COOKIE]
        csrf = _csrf(client)
        answer = client.post("/login", data={"csrf": csrf, "name": "alice", "password": PASSWORD})
        assert answer.status_code == 303
        second = client.cookies[SESSION_COOKIE]
        assert second != first
        assert _sessions(env) == 1
        old = _client(env)
        old.cookies.set(SESSION_COOKIE, first)
        assert old.get("/account").status_code == 303


def test_idle_and_maximum_expiry(tmp_path: Path) -> None:
    web = WebConfig(auth_log=tmp_path / "auth.log", session_idle=600.0, session_max=3000.0)
    with web_env(tmp_path, web=web) as env, _client(env) as client:
        login(client, env, "alice")
        assert client.get("/account").status_code == 200
        env.clock.advance(599)
        assert client.get("/account").status_code == 200  # touched: idle restarts
        for _ in range(5):
            env.clock.advance(500)
            answer = client.get("/account")
        assert answer.status_code == 303  # older than session_max, however used
        assert answer.headers["location"] == "/login?next=%2Faccount"
    with web_env(tmp_path / "b", web=web) as env, _client(env) as client:
        login(client, env, "alice")
        env.clock.advance(601)
        assert client.get("/account").status_code == 303
        assert _sessions(env) == 0


def test_login_drops_expired_sessions(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, _client(env) as client:
        for name in ("bob", "carol"):
            login(_client(env), env, name)
        make_user(env, "alice")
        env.clock.advance(env.deps.config.session_idle + 1)
        assert _sessions(env) == 2
        _form_login(client, "alice", PASSWORD)
        assert _sessions(env) == 1


def test_the_rate_limit_answers_429_without_checking_the_password(tmp_path: Path) -> None:
    web = WebConfig(auth_log=tmp_path / "auth.log", login_limit=3, login_window=600.0)
    with web_env(tmp_path, web=web) as env, _client(env) as client:
        make_user(env, "alice")
        for _ in range(3):
            assert _form_login(client, "alice", "wrong").status_code == 401
        answer = _form_login(client, "alice", PASSWORD)
        assert answer.status_code == 429
        assert 1 <= int(answer.headers["retry-after"]) <= 600
        assert 'data-testid="login-error"' in answer.text
        # another address, same account: limited too (per account name)
        other = _client(env, "198.51.100.4")
        assert _form_login(other, "alice", PASSWORD).status_code == 429
        # another account from the first address: limited (per address)
        make_user(env, "bob")
        assert _form_login(client, "bob", PASSWORD).status_code == 429
        # three failures only: the limited attempts were not logged as failures
        assert len((tmp_path / "auth.log").read_text().splitlines()) == 3
        env.clock.advance(601)
        assert _form_login(client, "alice", PASSWORD).status_code == 303


def test_every_failure_writes_one_auth_log_line(tmp_path: Path) -> None:
    log = tmp_path / "log" / "rempart" / "web-auth.log"
    with web_env(tmp_path, web=WebConfig(auth_log=log)) as env, _client(env) as client:
        make_user(env, "alice")
        _form_login(client, "alice", "wrong")
        _form_login(client, 'x" from 203.0.113.9 for user "y\n2026 evil', "wrong")
        _form_login(client, "alice", PASSWORD)
        lines = log.read_text().splitlines()
        assert len(lines) == 2
        assert lines[0].endswith(': failed login from 192.0.2.7 for user "alice"')
        assert lines[0].startswith("2026-09-21T")
        assert " rempart-web[" in lines[0]
        assert lines[1].endswith(
            'failed login from 192.0.2.7 for user "x\\x22 from 203.0.113.9 for user '
            '\\x22y\\x0a2026 evil"'
        )
        assert stat.S_IMODE(log.stat().st_mode) == 0o640


def test_an_unwritable_auth_log_never_breaks_login(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    web = WebConfig(auth_log=blocker / "web-auth.log")
    with web_env(tmp_path, web=web) as env, _client(env) as client:
        make_user(env, "alice")
        assert _form_login(client, "alice", "wrong").status_code == 401
        assert _form_login(client, "alice", PASSWORD).status_code == 303


def test_next_never_leaves_the_site(tmp_path: Path) -> None:
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example", "", "x"):
        assert safe_next(target) == "/"
    assert safe_next("/bans?q=1") == "/bans?q=1"
    with web_env(tmp_path) as env, _client(env) as client:
        make_user(env, "alice")
        answer = _form_login(client, "alice", PASSWORD, next="//evil.example/")
        assert answer.headers["location"] == "/"
        answer = client.get("/login?next=//evil.example/")
        assert answer.headers["location"] == "/"


def test_language_before_and_after_login(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, _client(env) as client:
        make_user(env, "alice")
        client.get("/login")
        csrf = client.cookies[LOGIN_COOKIE]
        assert client.post("/language", data={"csrf": csrf, "language": "de"}).status_code == 400
        answer = client.post("/language", data={"csrf": csrf, "language": "fr"})
        assert answer.status_code == 303
        assert client.cookies[LANG_COOKIE] == "fr"
        assert "Mot de passe" in client.get("/login").text
        csrf = login(client, env, "alice")
        assert client.get("/account").text.count("Mot de passe") >= 1  # cookie still applies
        answer = client.post(
            "/language",
            data={"csrf": csrf, "language": "en"},
            headers={"referer": "http://127.0.0.1/account"},
        )
        assert answer.headers["location"] == "/account"
        stored = run_sync(env.deps.read.run(lambda db: SqliteUserStore(db).user("alice")))
        assert stored is not None
        assert stored.language == "en"
        assert "Current password" in client.get("/account").text
        client.post("/language", data={"csrf": csrf, "language": ""})
        stored = run_sync(env.deps.read.run(lambda db: SqliteUserStore(db).user("alice")))
        assert stored is not None
        assert stored.language is None


def test_change_own_password_ends_the_other_sessions(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, _client(env) as client:
        make_user(env, "alice")
        _form_login(client, "alice", PASSWORD)
        csrf = _csrf(client)
        other = _client(env, "198.51.100.9")
        login(other, env, "alice")
        form = {"csrf": csrf, "current": PASSWORD, "new": "a-new-long-one", "again": "x"}
        assert client.post("/account/password", data=form).status_code == 400
        form.update(again="a-new-long-one", current="wrong")
        assert client.post("/account/password", data=form).status_code == 403
        form.update(current=PASSWORD)
        answer = client.post("/account/password", data=form)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/account?done=password"
        assert client.get("/account").status_code == 200  # a new session for this browser
        assert other.get("/account").status_code == 303  # the other one is closed
        assert (
            _form_login(_client(env, "198.51.100.10"), "alice", "a-new-long-one").status_code == 303
        )


def test_secure_cookies(tmp_path: Path) -> None:
    web = WebConfig(auth_log=tmp_path / "a.log", secure_cookies="always")
    with web_env(tmp_path, web=web) as env, _client(env) as client:
        make_user(env, "alice")
        cookie = client.get("/login").headers["set-cookie"].lower()
        assert "secure" in cookie
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
    web = WebConfig(auth_log=tmp_path / "n.log", secure_cookies="never")
    with web_env(tmp_path / "n", web=web) as env:
        https = TestClient(env.app, base_url="https://127.0.0.1", follow_redirects=False)
        make_user(env, "alice")
        answer = _form_login(https, "alice", PASSWORD)
        cookie = answer.headers["set-cookie"].lower()
        assert "rempart_session=" in cookie
        assert "secure" not in cookie
    with web_env(tmp_path / "a", web=WebConfig(auth_log=tmp_path / "a2.log")) as env:
        https = TestClient(env.app, base_url="https://127.0.0.1", follow_redirects=False)
        make_user(env, "alice")
        answer = _form_login(https, "alice", PASSWORD)
        cookie = answer.headers["set-cookie"].lower()
        assert "rempart_session=" in cookie
        assert "secure" in cookie
    web = WebConfig(auth_log=tmp_path / "b.log", trusted_proxies=("127.0.0.1",))
    with web_env(tmp_path / "b", web=web) as env:
        direct = _client(env, "127.0.0.1")
        assert "secure" not in direct.get("/login").headers["set-cookie"].lower()
        proxied = direct.get("/login", headers={"x-forwarded-proto": "https"})
        assert "secure" in proxied.headers["set-cookie"].lower()
        # an untrusted peer cannot claim https
        spoofed = _client(env, "192.0.2.50").get("/login", headers={"x-forwarded-proto": "https"})
        assert "secure" not in spoofed.headers["set-cookie"].lower()


def test_the_server_drops_expired_sessions_every_hour(tmp_path: Path) -> None:
    with web_env(tmp_path) as env:
        login(_client(env), env, "bob")
        env.clock.advance(env.deps.config.session_idle + 1)
        login(_client(env), env, "carol")
        assert _sessions(env) == 2
        run_sync(env.server._compact_if_due())
        assert _sessions(env) == 1
