"""The overview: groups in configuration order, each host's state and key figures."""

from __future__ import annotations

import re
from pathlib import Path

from rempart.config.server import NodeConfig
from tests.web.graphs_seed import alert, seed_host, seed_node
from tests.web.harness import T0, login, run_sync, web_env

NODES = (
    NodeConfig("web1", "Gandi", "192.0.2.1"),
    NodeConfig("db1", "Gandi", "192.0.2.2"),
    NodeConfig("mail1", "TTN", "192.0.2.3"),
    NodeConfig("new1", "TTN", "192.0.2.4"),
)


def _seed(env: object) -> None:
    def fill(db: object) -> None:
        seed_host(db, "web1", "Gandi", T0, days=2)  # type: ignore[arg-type]
        seed_node(db, "web1", "Gandi", "up", T0)  # type: ignore[arg-type]
        seed_node(db, "db1", "Gandi", "up", T0)  # type: ignore[arg-type]
        alert(db, "db1", "critical", T0)  # type: ignore[arg-type]
        seed_node(db, "mail1", "TTN", "down", T0)  # type: ignore[arg-type]

    run_sync(env.server.writer.run(fill))  # type: ignore[attr-defined]


def test_groups_hosts_states_in_configuration_order(tmp_path: Path) -> None:
    with web_env(tmp_path, nodes=NODES) as env, env.client() as client:
        _seed(env)
        login(client, env)
        answer = client.get("/")
        assert answer.status_code == 200
        text = answer.text
        assert text.index('data-testid="group-Gandi"') < text.index('data-testid="group-TTN"')
        assert text.index('data-testid="host-web1"') < text.index('data-testid="host-db1"')
        states = dict(re.findall(r'data-testid="state-([^"]+)" data-state="([^"]+)"', text))
        assert states == {
            "web1": "ok",
            "db1": "critical",
            "mail1": "unreachable",
            "new1": "unknown",
        }
        assert 'href="/hosts/web1"' in text


def test_key_figures_of_a_host(tmp_path: Path) -> None:
    with web_env(tmp_path, nodes=NODES) as env, env.client() as client:
        _seed(env)
        login(client, env)
        text = client.get("/", headers={"Accept-Language": "en"}).text

        def cell(name: str) -> str:
            found = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', text)
            assert found, name
            return found.group(1).strip()

        assert cell("disk-web1") == "88 %"  # the fullest filesystem, /srv at 87.5 %
        assert cell("load-web1") == "0.5"
        assert cell("rx-web1") == "1,000 B/s"  # eth0 only: the veth is not added
        assert cell("tx-web1") == "250 B/s"
        assert cell("bans-web1") == "7"  # both jails
        assert cell("disk-new1") == "—"


def test_figures_stop_when_values_are_old(tmp_path: Path) -> None:
    with web_env(tmp_path, nodes=NODES, now=T0 + 2 * 3600) as env, env.client() as client:
        _seed(env)
        login(client, env)
        assert 'data-testid="load-web1">—<' in client.get("/").text


def test_french_overview(tmp_path: Path) -> None:
    with web_env(tmp_path, nodes=NODES) as env, env.client() as client:
        _seed(env)
        login(client, env)
        text = client.get("/", headers={"Accept-Language": "fr"}).text
        assert "injoignable" in text
        assert "critique" in text
        assert "Vue d'ensemble" in text or "Vue d&#39;ensemble" in text


def test_no_node_configured_says_how_to_add_one(tmp_path: Path) -> None:
    with web_env(tmp_path) as env, env.client() as client:
        login(client, env)
        assert 'data-testid="overview-empty"' in client.get("/").text
