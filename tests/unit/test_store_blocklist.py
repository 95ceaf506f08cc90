"""BlocklistFile: the last good list and the schedule, saved atomically with mode 0600."""

from __future__ import annotations

import os
import stat
from ipaddress import ip_address
from pathlib import Path

import pytest

from rempart.errors import StateError
from rempart.guard.blocklist import Blocklist
from rempart.guard.blocklist_schedule import DownloadSchedule
from rempart.store.blocklist import LIST_NAME, BlocklistFile, SavedBlocklist

LIST = Blocklist.of(
    ip_address(a) for a in ("185.220.101.45", "45.155.205.233", "2a03:2880:f10c:83::25de")
)
SAVED = SavedBlocklist(LIST, 1_748_775_600.0, 1_748_779_200.5, invalid=2, not_global=3)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_round_trip_mode_and_no_leftovers(tmp_path: Path) -> None:
    state = tmp_path / "state"
    files = BlocklistFile(state)
    assert files.load() is None
    assert files.load_schedule() is None
    files.save(SAVED)
    assert files.load() == SAVED
    assert mode(files.path) == 0o600
    assert mode(state) == 0o700
    text = files.path.read_text()
    assert text.splitlines()[1:] == ["45.155.205.233", "185.220.101.45", "2a03:2880:f10c:83::25de"]
    schedule = DownloadSchedule().started(10.0).failed(10.0, 86400, "server_error")
    files.save_schedule(schedule)
    assert files.load_schedule() == schedule
    assert mode(files.schedule_path) == 0o600
    assert sorted(p.name for p in state.iterdir()) == [
        "abuseipdb-blocklist.state.json",
        "abuseipdb-blocklist.txt",
    ]


def test_an_empty_list_and_a_replace(tmp_path: Path) -> None:
    files = BlocklistFile(tmp_path)
    empty = SavedBlocklist(Blocklist(), None, 5.0)
    files.save(empty)
    assert files.load() == empty
    files.save(SAVED)
    assert files.load() == SAVED


def test_a_large_list(tmp_path: Path) -> None:
    addresses = (ip_address(0x2D000000 + 3 * n) for n in range(50_000))
    saved = SavedBlocklist(Blocklist.of(addresses), None, 7.0)
    files = BlocklistFile(tmp_path)
    files.save(saved)
    assert files.load() == saved


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1.2.3.4\n",
        "# rempart abuseipdb blocklist {}\n",
        '# rempart abuseipdb blocklist {"format":2,"fetched_at":1,"v4":0,"v6":0}\n',
        '# rempart abuseipdb blocklist {"format":1,"v4":0,"v6":0}\n',
        '# rempart abuseipdb blocklist {"format":1,"fetched_at":1,"v4":2,"v6":0}\n8.8.8.8\n',
        '# rempart abuseipdb blocklist {"format":1,"fetched_at":1,"v4":1,"v6":0}\n8.8.8.8\nx\n',
        '# rempart abuseipdb blocklist {"format":1,"fetched_at":1,"v4":1,"v6":0}\n10.0.0.1\n',
        '# rempart abuseipdb blocklist {"format":1,"fetched_at":"x","v4":0,"v6":0}\n',
        "# rempart abuseipdb blocklist not json\n",
    ],
)
def test_what_is_not_a_saved_list_is_refused_with_the_fix(tmp_path: Path, text: str) -> None:
    (tmp_path / LIST_NAME).write_text(text)
    with pytest.raises(StateError, match="Fix: delete the file"):
        BlocklistFile(tmp_path).load()


def test_a_corrupt_schedule_and_unreadable_files(tmp_path: Path) -> None:
    files = BlocklistFile(tmp_path)
    files.schedule_path.write_text("{")
    with pytest.raises(StateError, match="Fix: delete the file"):
        files.load_schedule()
    files.path.write_bytes(b"\xff\xfe")
    with pytest.raises(StateError, match="cannot read"):
        files.load()


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    files = BlocklistFile(tmp_path)
    files.save(SAVED)
    if os.geteuid() == 0:  # root writes anywhere: make the temporary name a directory
        blocker = tmp_path / f".{LIST_NAME}.{os.getpid()}.tmp"
        blocker.mkdir()
        (blocker / "x").touch()
    else:
        tmp_path.chmod(0o500)
    try:
        with pytest.raises(StateError, match="Fix: check the state directory"):
            files.save(SavedBlocklist(Blocklist(), None, 9.0))
    finally:
        tmp_path.chmod(0o700)
    assert files.load() == SAVED
