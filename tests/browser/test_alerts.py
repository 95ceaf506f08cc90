"""The alerts page in Debian's Chromium: acknowledge one, hostile node text shown as text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.harness import chromium, log_in, serve, shot
from tests.web.harness import PASSWORD, make_user, web_env
from tests.web.test_alerts_page import HOSTILE, seed

pytestmark = pytest.mark.system


def test_acknowledge_an_alert_in_chromium(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, serve(env.app) as base, chromium() as browser:
        saved = seed(env)
        make_user(env, "alice")
        page = browser.new_page()  # type: ignore[attr-defined]
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        log_in(page, base, "alice", PASSWORD)
        page.goto(f"{base}/alerts")
        row = page.locator(f"[data-testid=alert-{saved[0].id}]")
        assert HOSTILE in row.inner_text()
        shot(page, "alerts")
        with page.expect_navigation():
            page.click(f"[data-testid=ack-{saved[0].id}]")
        assert page.locator("[data-testid=notice]").is_visible()
        assert (
            page.locator(f"[data-testid=acked-{saved[0].id}]")
            .inner_text()
            .startswith("acknowledged by web:alice")
        )
        shot(page, "alerts-acked")
        assert not dialogs
