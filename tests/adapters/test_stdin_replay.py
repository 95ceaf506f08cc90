"""Standard input and whole-file replay reading (plain and gzip, progress)."""

from __future__ import annotations

import asyncio
import gzip
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rempart.adapters.sources.replay import open_replay_log
from rempart.adapters.sources.stdin import StdinSource
from rempart.clock import FrozenClock
from rempart.errors import SourceError
from rempart.model import LogLine


async def collect(source: StdinSource) -> list[list[LogLine]]:
    return [batch async for batch in source.follow()]


def test_stdin_from_an_in_memory_stream() -> None:
    stream = io.BytesIO(b"one\r\ntwo \xff\nlast without newline")
    batches = asyncio.run(collect(StdinSource(stream, clock=FrozenClock(5.0))))
    lines = [line for batch in batches for line in batch]
    assert [(line.text, line.source, line.arrival) for line in lines] == [
        ("one", "stdin", 5.0),
        ("two \\xff", "stdin", 5.0),
        ("last without newline", "stdin", 5.0),
    ]
    assert StdinSource(stream).position() is None


def test_stdin_from_a_pipe_written_slowly() -> None:
    read_fd, write_fd = os.pipe()

    async def scenario() -> list[str]:
        loop = asyncio.get_running_loop()

        def write(data: bytes) -> None:
            os.write(write_fd, data)

        loop.call_later(0.02, write, b"first\nsec")
        loop.call_later(0.05, write, b"ond\n")
        loop.call_later(0.08, os.close, write_fd)
        with os.fdopen(read_fd, "rb", buffering=0) as stream:
            batches = await collect(StdinSource(stream))  # type: ignore[arg-type]
        return [line.text for batch in batches for line in batch]

    assert asyncio.run(scenario()) == ["first", "second"]


def test_stdin_truncates_a_huge_line() -> None:
    stream = io.BytesIO(b"x" * 200_000 + b"\nok\n")
    lines = [line for b in asyncio.run(collect(StdinSource(stream))) for line in b]
    assert [(len(line.text), line.truncated) for line in lines] == [(65536, True), (2, False)]


LINES = [
    f"Nov 21 10:00:{i % 60:02} vm1 sshd[{i}]: Invalid user u{i} from 192.0.2.{i % 250}"
    for i in range(5000)
]


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    path = tmp_path / "auth.log"
    path.write_text("\r\n".join(LINES) + "\r\n")
    return path


def test_replay_plain_file_with_progress(plain: Path) -> None:
    seen: list[tuple[int, int]] = []
    log = open_replay_log(
        str(plain), chunk_size=16_384, on_progress=lambda d, t: seen.append((d, t))
    )
    try:
        assert list(log.lines()) == LINES
    finally:
        log.close()
    size = plain.stat().st_size
    assert (log.size, log.done, log.lines_read, log.compressed) == (size, size, 5000, False)
    assert len(seen) > 5
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1] == (size, size)


def test_replay_gzip_recognised_by_content(plain: Path, tmp_path: Path) -> None:
    packed = tmp_path / "auth.log.2"  # no .gz suffix: recognised by its magic bytes
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    log = open_replay_log(str(packed), chunk_size=16_384)
    try:
        lines = list(log.log_lines(arrival=1.0))
    finally:
        log.close()
    assert [line.text for line in lines] == LINES
    assert log.compressed
    assert log.done == log.size == packed.stat().st_size


def test_replay_reports_truncated_lines(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(b"a\n" + b"B" * 300_000 + b"\nc")
    log = open_replay_log(str(path), max_line=1000)
    lines = list(log.log_lines())
    log.close()
    assert [(line.text[:1], len(line.text), line.truncated) for line in lines] == [
        ("a", 1, False),
        ("B", 1000, True),
        ("c", 1, False),
    ]
    assert log.truncated == 1


def test_replay_stdin_and_a_damaged_gzip(tmp_path: Path) -> None:
    log = open_replay_log("-", stdin=io.BytesIO(gzip.compress(b"x\ny\n")))
    assert list(log.lines()) == ["x", "y"]
    log.close()
    damaged = tmp_path / "d.gz"
    whole = gzip.compress("".join(f"{i}\n" for i in range(100_000)).encode())
    damaged.write_bytes(whole[: len(whole) // 2])
    log = open_replay_log(str(damaged))
    with pytest.raises(SourceError, match="gzip"):
        list(log.lines())
    log.close()
    with pytest.raises(SourceError, match="No such file"):
        open_replay_log(str(tmp_path / "missing.log"))


def test_replay_from_real_standard_input(plain: Path) -> None:
    code = (
        "from rempart.adapters.sources.replay import open_replay_log\n"
        "log = open_replay_log('-')\n"
        "print(sum(1 for _ in log.lines()))\n"
    )
    with plain.open("rb") as stdin:
        out = subprocess.run(
            [sys.executable, "-c", code], stdin=stdin, capture_output=True, check=True, timeout=60
        )
    assert out.stdout.strip() == b"5000"
