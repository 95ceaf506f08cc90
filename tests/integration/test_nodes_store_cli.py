"""The node store (server.db table ``nodes``) and ``rempart nodes`` reading it."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC
from io import StringIO
from pathlib import Path

import pytest

from rempart.cli import main
from rempart.cli.nodes_cmd import print_nodes
from rempart.clock import FrozenClock
from rempart.config.server import NodeConfig
from rempart.metrics.model import Field, Graph
from rempart.metrics.series import NodeRound, NodeStatus
from rempart.services.poller import Poller
from rempart.store.nodes import SqliteNodeStore
from rempart.store.server_db import open_server_db

GRAPH = Graph("load", "Load", "system", (Field("load", "load"),))
NODES = [
    NodeConfig("web1", "Gandi", "192.0.2.10", 4949),
    NodeConfig("mail", "Gandi", "192.0.2.11", 4949),
    NodeConfig("vm3", "TTN", "2001:db8::3", 4950),
]


def _statuses() -> list[NodeStatus]:
    poller = Poller(
        NODES, timeout=5, concurrency=2, clock=FrozenClock(0), log=logging.getLogger("t")
    )
    rounds = [
        NodeRound("web1", "Gandi", 600, ok=True, duration=0.25, graphs=(GRAPH,), version="2.0.73"),
        NodeRound("mail", "Gandi", 600, ok=False, duration=2.0, error="no answer \x1b[2J"),
    ]
    poller.statuses([NodeRound("mail", "Gandi", 300, ok=False, duration=2.0, error="x")])
    return poller.statuses(rounds)


def test_statuses_count_failures_and_keep_last_ok() -> None:
    web1, mail, vm3 = _statuses()
    assert (web1.state, web1.last_ok, web1.graphs, web1.fields, web1.version) == (
        "up",
        600.0,
        1,
        1,
        "2.0.73",
    )
    assert (mail.state, mail.failures, mail.last_ok) == ("down", 2, 0.0)
    assert vm3.state == "unknown"


def test_store_round_trip_and_restart(tmp_path: Path) -> None:
    path = tmp_path / "server.db"
    statuses = _statuses()
    with open_server_db(path) as db:
        store = SqliteNodeStore(db)
        store.save_nodes(statuses)
        store.save_nodes(statuses[:1])  # replacing is idempotent
    with open_server_db(path) as db:
        back = SqliteNodeStore(db).nodes()
        assert back == sorted(statuses, key=lambda s: (s.group, s.node))
        assert SqliteNodeStore(db).forget(["vm3", "nosuch"]) == 1
        assert [n.node for n in SqliteNodeStore(db).nodes()] == ["mail", "web1"]
    # STRICT table: a wrong type is refused
    with sqlite3.connect(path) as raw, pytest.raises(sqlite3.Error):
        raw.execute("UPDATE nodes SET port = 'x' WHERE node = 'web1'")


def test_restore_carries_failures_over() -> None:
    poller = Poller(
        NODES, timeout=5, concurrency=2, clock=FrozenClock(0), log=logging.getLogger("t")
    )
    poller.restore(_statuses())
    (_, mail, _) = poller.statuses(
        [NodeRound("mail", "Gandi", 900, ok=False, duration=1, error="e")]
    )
    assert mail.failures == 3


def test_cli_nodes_table_json_and_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "server.db"
    with open_server_db(path) as db:
        SqliteNodeStore(db).save_nodes(_statuses())
    assert main(["--lang", "en", "nodes", "--database", str(path)]) == 1  # mail is down
    out = capsys.readouterr().out
    assert "group Gandi: 1 of 2 up" in out
    assert "DOWN (2×)" in out
    assert "\x1b" not in out  # the node's error text is shown escaped
    assert "not polled yet" in out
    assert "[2001:db8::3]:4950" in out
    assert main(["--lang", "fr", "nodes", "--database", str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [d["node"] for d in data] == ["mail", "web1", "vm3"]
    assert data[0]["failures"] == 2


def test_cli_nodes_all_up_and_missing_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "server.db"
    with open_server_db(path) as db:
        SqliteNodeStore(db).save_nodes(_statuses()[:1])
    assert main(["nodes", "--database", str(path)]) == 0
    assert main(["nodes", "--database", str(tmp_path / "none.db")]) == 3
    assert "rempart server" in capsys.readouterr().err


def test_french_table() -> None:
    out = StringIO()
    print_nodes(_statuses(), "fr", UTC, out)
    text = out.getvalue()
    assert "groupe Gandi : 1 sur 2 répondent" in text
    assert "INJOIGNABLE (2×)" in text
    assert "pas encore interrogé" in text
    out = StringIO()
    print_nodes([], "fr", UTC, out)
    assert "Aucun nœud" in out.getvalue()
