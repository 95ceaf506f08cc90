"""The bans page in Debian's Chromium against an agent in a test network namespace with
real nftables: log lines whose user names hold markup, quotes and 5,000 characters get an
address banned; the page finds it by address, shows its evidence as plain text (no
dialog, no extra script), unbans it, and the address leaves the nft set.

Safety: nftables changes happen only inside the namespace this test creates
(tests/netns.py); the dashboard talks to the agent over its Unix socket.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.config.server import WebConfig
from tests.browser.harness import chromium, log_in, serve, shot
from tests.conftest import need_program
from tests.e2e.agent import Agent, write_config
from tests.e2e.sshd import nft_set_addresses, wait_until
from tests.netns import namespace
from tests.web.bans_agent import HOSTILE_USERS, hostile_lines
from tests.web.harness import PASSWORD, make_user, web_env

pytestmark = pytest.mark.system

ATTACKER = "203.0.113.9"
SET = "sshd_v4"


def _in_set(ns: object, address: str) -> bool:
    return address in (nft_set_addresses(ns, SET) or set())  # type: ignore[arg-type]


def test_find_and_unban_in_chromium(tmp_path: Path) -> None:
    need_program("nft", "nftables")
    with namespace("bans") as ns:
        log = tmp_path / "auth.log"
        log.write_text("", encoding="utf-8")
        state = tmp_path / "state"
        state.mkdir()
        config = write_config(tmp_path / "rempart.toml", log=log, state_dir=state, bantime=3600)
        agent = Agent(ns, config, tmp_path / "agent.sock", state, tmp_path / "agent.log")
        agent.start()
        try:
            lines = hostile_lines(ATTACKER) + [
                f"Invalid user admin from {ATTACKER} port {5000 + i}\r\n" for i in range(3)
            ]
            with log.open("a", encoding="utf-8") as f:
                f.write("".join(lines))
            assert wait_until(lambda: _in_set(ns, ATTACKER), 15.0), agent.log()
            _browse(tmp_path, agent, ns)
        finally:
            assert agent.stop() == 0, agent.log()


def _browse(tmp_path: Path, agent: Agent, ns: object) -> None:
    web = WebConfig(auth_log=tmp_path / "web-auth.log", agents={"web1": agent.socket})
    with web_env(tmp_path / "web", web=web) as env, serve(env.app) as base, chromium() as browser:
        make_user(env, "alice")
        page = browser.new_page()  # type: ignore[attr-defined]
        dialogs: list[str] = []
        errors: list[str] = []

        def on_dialog(dialog: object) -> None:
            dialogs.append(dialog.type)  # type: ignore[attr-defined]
            dialog.accept()  # type: ignore[attr-defined]

        page.on("dialog", on_dialog)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        log_in(page, base, "alice", PASSWORD)
        page.goto(f"{base}/bans")
        shot(page, "bans")

        page.fill("[data-testid=ban-search]", ATTACKER)
        with page.expect_navigation():
            page.click("[data-testid=ban-search-submit]")
        assert page.locator(f"[data-testid='ban-row-{ATTACKER}']").count() == 1
        evidence = page.locator("[data-testid=evidence]").first.inner_text()
        assert HOSTILE_USERS[0] in evidence  # the <script> text, visible as text
        assert HOSTILE_USERS[1] in evidence
        assert "A" * 4000 in evidence
        assert page.evaluate("document.scripts.length") == 1  # rempart.js only
        assert page.evaluate("document.querySelectorAll('main img').length") == 0

        page.click(f"[data-testid='history-{ATTACKER}']")
        page.wait_for_url(f"**/bans/web1/{ATTACKER}")
        assert HOSTILE_USERS[0] in page.locator("[data-testid=evidence]").first.inner_text()
        shot(page, "ban-history")

        page.go_back()
        assert _in_set(ns, ATTACKER)
        with page.expect_navigation():
            page.click(f"[data-testid='unban-{ATTACKER}']")  # confirm() accepted
        assert page.locator("[data-testid=done]").count() == 1
        assert page.locator(f"[data-testid='ban-row-{ATTACKER}']").count() == 0
        shot(page, "bans-after-unban")

        assert not _in_set(ns, ATTACKER)
        assert dialogs == ["confirm"]  # the unban's question, and no alert() ever
        assert not [e for e in errors if "Content Security Policy" in e]
        lifted = agent.history(ATTACKER)[0]["lifted_by"]
        assert lifted.endswith(" for web:alice")
