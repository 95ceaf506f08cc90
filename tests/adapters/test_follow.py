"""follow(): woken at once by inotify, or by the polling timer without it."""

from __future__ import annotations

import asyncio
import os
import struct
import time
from collections.abc import AsyncIterator
from pathlib import Path

from rempart.adapters.sources.files import FileFollower, FollowOptions, StartAt
from rempart.adapters.sources.inotify import (
    IN_CREATE,
    IN_MODIFY,
    Inotify,
    InotifyEvent,
    parse_events,
)
from rempart.model import LogLine
from tests.adapters.logfiles import LogFile


def test_parse_events_from_literal_bytes() -> None:
    raw = struct.pack("iIII", 1, IN_MODIFY, 0, 16) + b"auth.log\0\0\0\0\0\0\0\0"
    raw += struct.pack("iIII", 1, IN_CREATE, 7, 0)
    assert parse_events(raw) == [
        InotifyEvent(1, IN_MODIFY, 0, "auth.log"),
        InotifyEvent(1, IN_CREATE, 7, ""),
    ]
    assert parse_events(raw[:10]) == []


def test_inotify_sees_a_write_in_the_watched_directory(tmp_path: Path) -> None:
    notifier = Inotify()
    try:
        wd = notifier.watch(tmp_path)
        assert notifier.read_events() == []
        (tmp_path / "auth.log").write_text("x\n")
        events = notifier.read_events()
    finally:
        notifier.close()
    assert {(e.wd, e.name) for e in events} == {(wd, "auth.log")}
    assert any(e.mask & IN_CREATE for e in events)


async def _next(stream: AsyncIterator[list[LogLine]], timeout: float) -> list[LogLine]:
    return await asyncio.wait_for(anext(stream), timeout)


async def _latencies(f: FileFollower, log: LogFile, count: int) -> tuple[list[float], list[str]]:
    stream = f.follow()
    first = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.05)  # follow() has read the empty file and waits
    latencies, got = [], []
    try:
        for i in range(count):
            start = time.monotonic()
            log.lines(f"line {i}")
            batch = await asyncio.wait_for(first, 10) if i == 0 else await _next(stream, 10)
            latencies.append(time.monotonic() - start)
            got.extend(line.text for line in batch)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    return latencies, got


def test_follow_with_inotify_wakes_at_once(tmp_path: Path) -> None:
    log = LogFile(tmp_path / "auth.log")
    log.path.touch()
    # timers far away: only inotify can wake the follower in time
    options = FollowOptions(start=StartAt.BEGINNING, poll_interval=60, rescan_interval=60)
    f = FileFollower(log.path, options=options)
    latencies, got = asyncio.run(_latencies(f, log, 20))
    f.close()
    assert got == [f"line {i}" for i in range(20)]
    assert max(latencies) < 2.0, latencies  # generous: proves "no timer", not speed


def test_follow_without_inotify_polls(tmp_path: Path) -> None:
    log = LogFile(tmp_path / "auth.log")
    log.path.touch()
    options = FollowOptions(start=StartAt.BEGINNING, inotify=False, poll_interval=0.02)
    f = FileFollower(log.path, options=options)
    latencies, got = asyncio.run(_latencies(f, log, 5))
    f.close()
    assert got == [f"line {i}" for i in range(5)]
    assert max(latencies) < 2.0, latencies


def test_follow_sees_rotation_and_a_directory_created_later(tmp_path: Path) -> None:
    log = LogFile(tmp_path / "later" / "auth.log")
    options = FollowOptions(start=StartAt.BEGINNING, poll_interval=0.02, rotate_grace=0.0)
    f = FileFollower(log.path, options=options)

    async def scenario() -> list[str]:
        stream = f.follow()
        got: list[str] = []
        try:
            pending = asyncio.ensure_future(anext(stream))
            await asyncio.sleep(0.05)
            log.path.parent.mkdir()  # no directory to watch at first: polling, then inotify
            log.lines("a")
            got += [line.text for line in await asyncio.wait_for(pending, 10)]
            log.rename_create()
            log.lines("b")
            while len(got) < 2:
                got += [line.text for line in await _next(stream, 10)]
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
        return got

    assert asyncio.run(scenario()) == ["a", "b"]
    f.close()
    assert sorted(os.listdir(log.path.parent)) == ["auth.log", "auth.log.1"]
