"""``rempart replay --journal`` on a real journal file (written by systemd-journal-remote,
read back by the real journalctl)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from rempart.cli import main
from tests.adapters.journalfiles import write_journal
from tests.conftest import need_program


def sshd(pid: int, message: str) -> dict[str, str]:
    return {
        "_HOSTNAME": "web1",
        "SYSLOG_IDENTIFIER": "sshd",
        "_COMM": "sshd",
        "_SYSTEMD_UNIT": "ssh.service",
        "_PID": str(pid),
        "MESSAGE": message,
    }


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    need_program("journalctl", "systemd")
    entries = []
    for i in range(5):
        entries.append(
            sshd(100 + i, f"Failed password for root from 192.0.2.7 port {4000 + i} ssh2")
        )
        entries.append(
            {
                "_HOSTNAME": "web1",
                "SYSLOG_IDENTIFIER": "CRON",
                "_COMM": "cron",
                "_PID": "9",
                "MESSAGE": "(root) CMD (true)",
            }
        )
    for i in range(3):
        entries.append(sshd(200 + i, f"Invalid user x from 198.51.100.4 port {5000 + i}"))
    path = tmp_path / "system.journal"
    write_journal(path, entries, first_time=time.time() - 3600)
    return path


def test_journal_replay_bans_with_the_journal_times(
    journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["replay", "--journal", "--journal-file", str(journal), "--json", "--no-progress"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    jail = report["jails"][0]
    assert [b["address"] for b in jail["bans"]] == ["192.0.2.7"]
    assert jail["failures"] == 8  # cron entries are not even read: the jail's match
    ban = jail["bans"][0]
    assert (
        ban["evidence"][0]
        == "web1 sshd[100]: Failed password for root from 192.0.2.7 port 4000 ssh2"
    )


def test_since_leaves_older_entries_out(journal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "replay",
                "--journal",
                "--journal-file",
                str(journal),
                "--since",
                "10m",
                "--json",
                "--no-progress",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["jails"][0]["failures"] == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["replay"], ["LOG", "--journal"]),
        (["replay", "--journal", "auth.log"], ["not both"]),
        (["replay", "--journal-file", "x.journal", "auth.log"], ["--journal-file"]),
        (["replay", "--journal", "--since", "yesterday-ish"], ["--since", "6h"]),
    ],
)
def test_usage_errors(
    args: list[str], words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--lang", "en", *args]) == 2
    err = capsys.readouterr().err
    for word in words:
        assert word in err
