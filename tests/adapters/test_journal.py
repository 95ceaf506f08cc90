"""The journal source on real journal files, read by the real journalctl."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rempart.adapters.sources.journal import JournalSource, check_match
from rempart.errors import SourceError
from rempart.model import JournalCursor, LogLine
from tests.adapters.journalfiles import write_journal
from tests.conftest import need_program

pytestmark = pytest.mark.system

T0 = 1_700_000_000.0


def sshd(message: str | bytes, pid: int = 100) -> dict[str, str | bytes]:
    return {"_HOSTNAME": "vm1", "_COMM": "sshd", "_PID": str(pid), "MESSAGE": message}


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    need_program("journalctl", "systemd")
    path = tmp_path / "test.journal"
    write_journal(
        path,
        [
            sshd("Invalid user admin from 192.0.2.1 port 22"),
            {**sshd(b"Invalid user \xff\xfe from 192.0.2.2 port 22"), "SYSLOG_IDENTIFIER": "sshd"},
            {"_HOSTNAME": "vm1", "_COMM": "cron", "_PID": "5", "MESSAGE": "not sshd"},
        ],
        T0,
    )
    return path


async def collect(source: JournalSource) -> list[LogLine]:
    out: list[LogLine] = []
    async for batch in source.follow():
        out.extend(batch)
    return out


async def take(stream: AsyncIterator[list[LogLine]], count: int, timeout: float = 20) -> list[str]:
    got: list[str] = []
    while len(got) < count:
        got += [line.text for line in await asyncio.wait_for(anext(stream), timeout)]
    return got


def test_reads_a_real_journal_file(journal: Path) -> None:
    source = JournalSource(name="journal:sshd", files=[journal], follow=False)
    lines = asyncio.run(collect(source))
    assert [(line.text, line.timestamp, line.source) for line in lines] == [
        ("vm1 sshd[100]: Invalid user admin from 192.0.2.1 port 22", T0, "journal:sshd"),
        ("vm1 sshd[100]: Invalid user \\xff\\xfe from 192.0.2.2 port 22", T0 + 1, "journal:sshd"),
        ("vm1 cron[5]: not sshd", T0 + 2, "journal:sshd"),
    ]
    cursor = source.position()
    assert cursor is not None
    assert cursor.timestamp == T0 + 2
    assert cursor.cursor.startswith("s=")


def test_matches_select_entries(journal: Path) -> None:
    source = JournalSource(files=[journal], follow=False, matches=["_COMM=sshd"])
    assert len(asyncio.run(collect(source))) == 2


def test_resumes_after_the_cursor(journal: Path) -> None:
    first = JournalSource(files=[journal], follow=False, matches=["_COMM=sshd"])
    lines = asyncio.run(collect(first))
    cursor = first.position()
    assert cursor is not None
    write_journal(journal, [sshd("Invalid user later from 192.0.2.3 port 22")], T0 + 10)
    again = JournalSource(files=[journal], follow=False, cursor=cursor, matches=["_COMM=sshd"])
    assert [line.text for line in asyncio.run(collect(again))] == [
        "vm1 sshd[100]: Invalid user later from 192.0.2.3 port 22"
    ]
    assert len(lines) == 2


def test_since_a_time(journal: Path) -> None:
    source = JournalSource(files=[journal], follow=False, since=T0 + 1)
    assert len(asyncio.run(collect(source))) == 2


def test_follow_sees_entries_appended_later(journal: Path) -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        source = JournalSource(files=[journal], since=T0)
        stream = source.follow()
        try:
            old = await take(stream, 3)
            write_journal(journal, [sshd("appended", pid=101)], T0 + 10)
            new = await take(stream, 1)
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
        assert source.pid is None  # journalctl stopped with the stream
        return old, new

    old, new = asyncio.run(scenario())
    assert len(old) == 3
    assert new == ["vm1 sshd[101]: appended"]


def test_a_dead_journalctl_is_restarted_after_the_cursor(
    journal: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> list[str]:
        source = JournalSource(files=[journal], since=T0, restart_delay=0.05)
        stream = source.follow()
        try:
            got = await take(stream, 3)
            pid = source.pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)  # the journalctl this test's source started
            write_journal(journal, [sshd("after the crash", pid=102)], T0 + 10)
            got += await take(stream, 1)
            assert source.pid not in (None, pid)
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
        return got

    with caplog.at_level(logging.WARNING):
        got = asyncio.run(scenario())
    assert got[3:] == ["vm1 sshd[102]: after the crash"]  # nothing twice
    assert "killed by signal 9" in caplog.text
    assert "restarting" in caplog.text


def test_an_unknown_cursor_falls_back_to_its_time(
    journal: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> list[str]:
        bogus = JournalCursor("not-a-cursor", timestamp=T0 + 2)
        source = JournalSource(files=[journal], cursor=bogus, restart_delay=0.01)
        stream = source.follow()
        try:
            return await take(stream, 1)
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    with caplog.at_level(logging.WARNING):
        assert asyncio.run(scenario()) == ["vm1 cron[5]: not sshd"]
    assert "Failed to seek to cursor" in caplog.text


def test_a_failing_journalctl_without_follow_is_an_error(tmp_path: Path) -> None:
    need_program("journalctl", "systemd")
    source = JournalSource(files=[tmp_path], follow=False, cursor=JournalCursor("bad"))
    with pytest.raises(SourceError, match="journalctl failed"):
        asyncio.run(collect(source))


def test_a_missing_journalctl_names_the_package(tmp_path: Path) -> None:
    source = JournalSource(journalctl=str(tmp_path / "journalctl"))
    with pytest.raises(SourceError, match="apt-get install systemd"):
        asyncio.run(collect(source))


def test_argv_is_a_list_and_matches_are_checked() -> None:
    source = JournalSource(
        matches=["_SYSTEMD_UNIT=ssh.service", "+", "_COMM=sshd"],
        cursor=JournalCursor("s=1;i=2"),
        directory=Path("/var/log/journal"),
    )
    assert source.argv() == [
        "journalctl",
        "--output=json",
        "--all",
        "--no-pager",
        "--quiet",
        "--directory=/var/log/journal",
        "--after-cursor=s=1;i=2",
        "--follow",
        "--no-tail",
        "_SYSTEMD_UNIT=ssh.service",
        "+",
        "_COMM=sshd",
    ]
    assert JournalSource().argv()[-2:] == ["--lines=0", "--follow"]
    assert check_match("/usr/sbin/sshd") == "/usr/sbin/sshd"
    for bad in ["--file=/etc/shadow", "-f", "sshd", "_comm=sshd", "X=a\0b"]:
        with pytest.raises(SourceError, match="journal match"):
            check_match(bad)
