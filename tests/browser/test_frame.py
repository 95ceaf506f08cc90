"""The dashboard's frame in Debian's Chromium: log in, CSP holds (no console error)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.harness import chromium, log_in, serve, shot
from tests.web.harness import PASSWORD, make_user, web_env

pytestmark = pytest.mark.system


def test_log_in_in_chromium(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, serve(env.app) as base, chromium() as browser:
        make_user(env, "alice")
        page = browser.new_page()  # type: ignore[attr-defined]
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/")
        assert page.url.startswith(f"{base}/login?next=")
        shot(page, "login")
        log_in(page, base, "alice", PASSWORD)
        assert page.locator("[data-testid=user]").inner_text().startswith("alice")
        assert not [e for e in errors if "Content Security Policy" in e]
