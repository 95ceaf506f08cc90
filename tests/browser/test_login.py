"""Login in Debian's Chromium: every page sends a visitor without a session to the login
form, a wrong password says so, the right one opens the page asked for, the language can be
chosen before login, logging out ends the session; no CSP error on the way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.routing import Route

from rempart.web.app import build_app
from tests.browser.harness import chromium, log_in, serve, shot
from tests.web.harness import PASSWORD, make_user, web_env

pytestmark = pytest.mark.system

PUBLIC = {"/login", "/healthz", "/language", "/favicon.ico"}


def _pages(app: object) -> list[str]:
    paths = []
    for route in app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, Route) or "GET" not in (route.methods or ()):
            continue
        if route.path in PUBLIC or route.path.startswith("/api/"):
            continue
        paths.append(re.sub(r"\{[^}]+\}", "x", route.path))
    return sorted(set(paths))


def test_every_page_without_a_session_lands_on_login(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, serve(env.app) as base, chromium() as browser:
        pages = sorted({"/", "/bans", "/alerts", *_pages(build_app(env.deps))})
        assert "/account" in pages
        page = browser.new_page()  # type: ignore[attr-defined]
        for path in pages:
            page.goto(f"{base}{path}")
            assert page.url.startswith(f"{base}/login?next="), (path, page.url)
            assert page.locator("[data-testid=login-form]").is_visible()


def test_log_in_and_out(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, serve(env.app) as base, chromium() as browser:
        make_user(env, "alice")
        page = browser.new_page(locale="en-GB")  # type: ignore[attr-defined]
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/account")
        shot(page, "login")
        page.fill("input[name=name]", "alice")
        page.fill("input[name=password]", "not the password")
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.locator("[data-testid=login-error]").is_visible()
        shot(page, "login-failed")
        # the failed form kept where to go: the right password opens /account
        page.fill("input[name=name]", "alice")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.url == f"{base}/account"
        assert page.locator("[data-testid=user]").inner_text().startswith("alice")
        shot(page, "account")
        with page.expect_navigation():
            page.click("[data-testid=logout]")
        assert page.url.startswith(f"{base}/login")
        page.goto(f"{base}/")
        assert page.url.startswith(f"{base}/login?next=")
        assert not [e for e in errors if "Content Security Policy" in e], errors


def test_choose_french_before_login_then_log_in(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, serve(env.app) as base, chromium() as browser:
        make_user(env, "alice")
        page = browser.new_page(locale="en-GB")  # type: ignore[attr-defined]
        page.goto(f"{base}/login")
        assert page.locator("button[type=submit]").inner_text() == "Log in"
        with page.expect_navigation():
            page.select_option("[data-testid=login-language] select", "fr")
        assert page.locator("button[type=submit]").inner_text() == "Se connecter"
        shot(page, "login-fr")
        log_in(page, base, "alice", PASSWORD)
        assert page.locator("[data-testid=logout]").inner_text() == "Se déconnecter"
