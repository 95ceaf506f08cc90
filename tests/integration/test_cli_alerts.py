"""``rempart alerts``: table, --json, --all, exit codes, hostile text, missing database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from rempart.alerting.values import Alert, AlertKey
from rempart.cli import main
from rempart.store.alerts import SqliteAlertStore
from rempart.store.server_db import open_server_db

if TYPE_CHECKING:
    import pytest

T0 = 1_767_225_600.0


def make_db(path: Path, *, firing: bool = True) -> None:
    with open_server_db(path) as db:
        store = SqliteAlertStore(db)
        key = AlertKey("threshold", "web1", "df", "_dev_sda1")
        status = "firing" if firing else "pending"
        store.save_alerts(
            [
                Alert(0, key, "Gandi", "critical", status, T0, T0 if firing else None,
                      value=98.5, title="Disk usage in percent: /\x1b[31m", detail="98.5 (…)"),
                Alert(0, AlertKey("unreachable", "db1"), "TTN", "critical", "resolved", T0,
                      T0 + 600, T0 + 1200, title="db1 (192.0.2.9:4949)"),
            ]
        )  # fmt: skip
        store.ack(1, "alice", T0 + 60)


def test_table_and_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "server.db"
    make_db(db)
    assert main(["--lang", "en", "alerts", "--database", str(db)]) == 1
    out = capsys.readouterr().out
    assert "CRITICAL" in out
    assert "web1" in out
    assert "alice" in out
    assert "98.50" in out
    assert "\x1b" not in out
    assert "\\x1b" in out
    assert "db1" not in out  # resolved: only with --all
    assert main(["--lang", "fr", "alerts", "--all", "--database", str(db)]) == 1
    out = capsys.readouterr().out
    assert "CRITIQUE" in out
    assert "résolue" in out
    assert "98,50" in out
    assert "db1" in out


def test_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "server.db"
    make_db(db, firing=False)
    assert main(["alerts", "--all", "--json", "--database", str(db)]) == 0  # none firing
    doc = json.loads(capsys.readouterr().out)
    assert [(a["id"], a["kind"], a["status"]) for a in doc] == [
        (1, "threshold", "pending"),
        (2, "unreachable", "resolved"),
    ]
    assert doc[0]["ack_by"] == "alice"
    assert doc[0]["since_iso"] == "2026-01-01T00:00:00Z"


def test_no_alert_and_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "server.db"
    open_server_db(db).close()
    assert main(["--lang", "en", "alerts", "--database", str(db)]) == 0
    assert "No alert." in capsys.readouterr().out
    assert main(["--lang", "en", "alerts", "--database", str(tmp_path / "nope.db")]) == 3
    assert "rempart server" in capsys.readouterr().err
