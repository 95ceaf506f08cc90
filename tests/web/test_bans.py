"""The bans page in-process, with a real agent behind its control socket (dry-run firewall):
hostile log text renders as text, search, history with evidence, per-day table, the
actions (admin only, CSRF, recorded "for web:<name>"), an unreachable agent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from markupsafe import escape

from rempart.config.server import WebConfig
from tests.web.bans_agent import HOSTILE_USERS, RunningAgent, agent_thread, hostile_lines
from tests.web.harness import WebEnv, login, web_env

ATTACKER = "203.0.113.9"


@dataclass
class Setup:
    env: WebEnv
    agent: RunningAgent


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    with agent_thread(tmp_path) as agent:
        agent.append(*hostile_lines(ATTACKER))
        agent.wait_banned(ATTACKER)
        web = WebConfig(
            auth_log=tmp_path / "web-auth.log",
            agents={"web1": agent.socket, "dead": tmp_path / "nothing-here.sock"},
        )
        with web_env(tmp_path, web=web) as env:
            yield Setup(env, agent)


def test_the_page_shows_bans_with_hostile_text_escaped(setup: Setup) -> None:
    with setup.env.client() as client:
        login(client, setup.env)
        answer = client.get("/bans")
    assert answer.status_code == 200
    text = answer.text
    assert f'data-testid="ban-row-{ATTACKER}"' in text
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "onerror=alert(3)>" not in text
    assert str(escape(HOSTILE_USERS[1])) in text
    assert "A" * 4000 in text  # the long line, cut at 4096 characters
    assert len(re.findall(r"<script\b", text)) == 1  # rempart.js only
    assert 'data-testid="evidence"' in text
    assert 'data-testid="bans-per-day"' in text
    assert 'data-testid="abuseipdb-web1"' in text
    # the dead agent is a notice, the live one is shown
    assert 'data-testid="agent-error-dead"' in text
    assert "nothing-here.sock" in text


def test_search_by_address_network_substring_jail_and_host(setup: Setup) -> None:
    with setup.env.client() as client:
        login(client, setup.env)
        row = f'data-testid="ban-row-{ATTACKER}"'
        for found in (ATTACKER, "203.0.113.0/24", "113.9", f"{ATTACKER}&jail=sshd"):
            assert row in client.get(f"/bans?q={found}").text, found
        for missed in ("198.51.100.7", "198.51.100.0/24", "2001:db8::/32", "zzz"):
            assert row not in client.get(f"/bans?q={missed}").text, missed
        assert row not in client.get("/bans?jail=nginx").text
        only_dead = client.get("/bans?host=dead").text
        assert row not in only_dead
        assert "agent-error-dead" in only_dead
        assert "agent-error-dead" not in client.get("/bans?host=web1").text


def test_one_address_history(setup: Setup) -> None:
    with setup.env.client() as client:
        login(client, setup.env)
        answer = client.get(f"/bans/web1/{ATTACKER}")
        assert answer.status_code == 200
        assert "&lt;script&gt;" in answer.text
        assert 'data-testid="evidence"' in answer.text
        assert client.get("/bans/nowhere/203.0.113.9").status_code == 404
        assert client.get("/bans/web1/not-an-address").status_code == 404


def test_unban_goes_to_the_agent_for_the_user(setup: Setup) -> None:
    env, agent = setup.env, setup.agent
    with env.client() as client:
        csrf = login(client, env)
        form = {"host": "web1", "address": ATTACKER, "csrf": csrf, "back": "/bans?q=203.0.113"}
        assert client.post("/bans/unban", data={**form, "csrf": "x"}).status_code == 403
        answer = client.post("/bans/unban", data=form)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/bans?q=203.0.113&done=unban")
        after = client.get(answer.headers["location"]).text
    assert 'data-testid="done"' in after
    assert f'data-testid="ban-row-{ATTACKER}"' not in after
    assert agent.call("bans") == []
    lifted = agent.call("history", address=ATTACKER)[0]["lifted_by"]
    assert lifted.endswith(" for web:alice")
    assert lifted.startswith("uid=")


def test_a_reader_cannot_act(setup: Setup) -> None:
    with setup.env.client() as client:
        csrf = login(client, setup.env, "bob", "reader")
        page = client.get("/bans").text
        assert f'data-testid="unban-{ATTACKER}"' not in page
        form = {"host": "web1", "address": ATTACKER, "csrf": csrf}
        assert client.post("/bans/unban", data=form).status_code == 403
        assert client.post("/bans/ban", data={**form, "jail": "sshd"}).status_code == 403
    assert len(setup.agent.call("bans")) == 1


def test_allow_and_ban_by_hand(setup: Setup) -> None:
    env, agent = setup.env, setup.agent
    with env.client() as client:
        csrf = login(client, env)
        base = {"host": "web1", "csrf": csrf}
        allowed = client.post("/bans/allow", data={**base, "address": ATTACKER, "duration": "1d"})
        assert allowed.status_code == 303
        assert agent.call("bans") == []
        bad = client.post("/bans/allow", data={**base, "address": ATTACKER, "duration": "9y"})
        assert bad.status_code == 400
        banned = client.post(
            "/bans/ban",
            data={**base, "address": "198.51.100.7", "jail": "sshd", "duration": "1h"},
        )
        assert banned.status_code == 303
        assert "done=ban" in banned.headers["location"]
        bans = agent.call("bans")
        assert [b["address"] for b in bans] == ["198.51.100.7"]
        assert bans[0]["end"] - bans[0]["start"] == pytest.approx(3600)
        history = agent.call("history", address="198.51.100.7")
        assert history[0]["evidence"][0].endswith(" for web:alice")
        # the agent's refusals are notices, escaped
        refused = client.post("/bans/ban", data={**base, "address": "<b>nope</b>", "jail": "sshd"})
        assert refused.status_code == 400
        assert 'data-testid="action-error"' in refused.text
        assert "&lt;b&gt;nope&lt;/b&gt;" in refused.text
        assert "<b>nope" not in refused.text
        unknown = client.post("/bans/unban", data={**base, "host": "mars", "address": "1.2.3.4"})
        assert unknown.status_code == 502
        assert "[server.web.agents]" in unknown.text


def test_the_per_day_table_counts_todays_bans(setup: Setup) -> None:
    with setup.env.client() as client:
        login(client, setup.env)
        text = client.get("/bans").text
    table = text.split('data-testid="bans-per-day"', 1)[1].split("</table>", 1)[0]
    assert "<th>sshd</th>" in table
    assert '<td class="num">1</td>' in table


def test_french(setup: Setup) -> None:
    with setup.env.client() as client:
        login(client, setup.env)
        text = client.get("/bans", headers={"accept-language": "fr"}).text
    assert "Bannissements en cours (1)" in text
    assert "Débannir" in text
