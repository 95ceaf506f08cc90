"""Following a real log file through writes, rotations, truncations and restarts.

Every test asserts the exact sequence of lines delivered: none lost, none twice.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from rempart.adapters.sources.files import FileFollower, FollowOptions, StartAt
from rempart.clock import FrozenClock
from rempart.errors import SourceError
from tests.adapters.logfiles import LogFile, follower, read_all, texts


def test_lines_partial_lines_crlf_and_invalid_utf8(log: LogFile) -> None:
    f = follower(log.path)
    log.write(b"Accepted publickey for alice\r\nInvalid user \xff\xfe from 192.0.2.1\npart")
    assert read_all(f) == ["Accepted publickey for alice", "Invalid user \\xff\\xfe from 192.0.2.1"]
    assert read_all(f) == []
    log.write("ial line\n")
    assert read_all(f) == ["partial line"]


def test_lines_carry_source_and_arrival(log: LogFile) -> None:
    clock = FrozenClock(1_700_000_000.0)
    f = follower(log.path, clock=clock)
    log.lines("one")
    [line] = f.read()
    assert (line.source, line.arrival, line.timestamp, line.truncated) == (
        "test",
        1_700_000_000.0,
        None,
        False,
    )


def test_real_sshd_lines_with_crlf(log: LogFile, fixtures: Path) -> None:
    raw = (fixtures / "sshd" / "sshd-real.log").read_bytes()
    f = follower(log.path)
    log.write(raw)
    lines = read_all(f)
    assert lines == raw.decode().split("\r\n")[:-1]
    assert all("\r" not in line for line in lines)


def test_start_at_end_skips_old_lines_but_not_a_partial_last_one(log: LogFile) -> None:
    log.write("old 1\nold 2\nbeing writ")
    f = follower(log.path, start=StartAt.END)
    assert read_all(f) == []
    log.write("ten\nnew\n")
    assert read_all(f) == ["being written", "new"]


def test_start_at_end_inside_a_huge_line_skips_its_rest(log: LogFile) -> None:
    log.write("old\n" + "x" * 100)
    f = follower(log.path, start=StartAt.END, max_line=10)
    log.write("yyy\nnew\n")
    assert read_all(f) == ["new"]


def test_batches_are_bounded(log: LogFile) -> None:
    log.lines(*(f"line {i:05}" for i in range(20_000)))
    f = follower(log.path, batch_bytes=64 * 1024)
    sizes = []
    out: list[str] = []
    while batch := f.read():
        sizes.append(len(batch))
        out.extend(texts(batch))
    assert out == [f"line {i:05}" for i in range(20_000)]
    assert len(sizes) > 1
    assert max(sizes) <= 64 * 1024 // 11 + 1


def test_a_huge_line_is_truncated_with_bounded_memory(log: LogFile) -> None:
    f = follower(log.path)
    log.write("before\n" + "A" * 8_000_000 + "\nafter\n")
    tracemalloc.start()
    try:
        lines = []
        while batch := f.read():
            lines.extend(batch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(line.text[:6], len(line.text), line.truncated) for line in lines] == [
        ("before", 6, False),
        ("AAAAAA", 64 * 1024, True),
        ("after", 5, False),
    ]
    assert peak < 1_000_000, peak  # an 8 MB line, under 1 MB of memory


def test_rename_and_create_drains_the_old_file_first(log: LogFile) -> None:
    f = follower(log.path)
    log.lines("a", "b")
    assert read_all(f) == ["a", "b"]
    log.lines("c")
    log.rename_create()
    log.write("late\n", log.rotated(1))  # the daemon still writes to the renamed file
    log.lines("d")
    assert read_all(f) == ["c", "late", "d"]
    log.lines("e")
    assert read_all(f) == ["e"]


def test_renamed_file_is_followed_during_the_grace_period(log: LogFile) -> None:
    clock = FrozenClock(1e9)
    f = FileFollower(log.path, name="t", clock=clock, options=_opts(rotate_grace=5.0))
    f.start()
    log.lines("a")
    assert read_all(f) == ["a"]
    log.rename_create()
    log.lines("new 1")
    assert read_all(f) == ["new 1"]
    clock.advance(3)
    log.write("late\n", log.rotated(1))
    assert read_all(f) == ["late"]
    clock.advance(4)  # the grace counts from the last write
    log.write("partial", log.rotated(1))
    assert read_all(f) == []
    clock.advance(5)
    assert read_all(f) == ["partial"]  # grace over: finished, its partial line delivered
    log.write(" more\n", log.rotated(1))
    assert read_all(f) == []


def test_renamed_away_without_a_new_file_keeps_reading(log: LogFile) -> None:
    f = follower(log.path)
    log.lines("a")
    log.rename_create(create=False)
    log.write("b\n", log.rotated(1))
    assert read_all(f) == ["a", "b"]
    log.lines("c")  # the new file appears
    assert read_all(f) == ["c"]


def test_deleted_file_is_finished_then_a_new_one_read(log: LogFile) -> None:
    f = follower(log.path)
    log.lines("a")
    assert read_all(f) == ["a"]
    log.write("last")
    log.path.unlink()
    assert read_all(f) == ["last"]
    log.lines("b")
    assert read_all(f) == ["b"]


def test_after_a_deleted_file_the_position_is_its_end(log: LogFile) -> None:
    f = follower(log.path)
    log.lines("a")
    read_all(f)
    log.path.unlink()
    assert read_all(f) == []
    saved = f.position()
    f.close()
    assert saved is not None
    assert saved.offset == 2
    log.lines("b")
    assert read_all(follower(log.path, saved=saved)) == ["b"]


def test_a_damaged_gzip_copy_ends_that_copy_not_the_follower(
    log: LogFile, caplog: pytest.LogCaptureFixture
) -> None:
    f = follower(log.path)
    log.lines("a")
    assert read_all(f) == ["a"]
    lines = [f"{i:06} {i * 7919 % 104729}" for i in range(50_000)]
    log.lines(*lines)
    log.copytruncate(compress=True)
    packed = Path(f"{log.rotated(1)}.gz")
    packed.write_bytes(packed.read_bytes()[: packed.stat().st_size // 2])
    log.lines("after")
    got = read_all(f)
    assert got[-1] == "after"
    assert 0 < len(got) - 1 < len(lines)
    assert got[:-2] == lines[: len(got) - 2]  # a prefix (the last piece may be partial)
    assert "damaged gzip copy" in caplog.text


def test_file_missing_at_start_is_read_from_its_start_when_it_appears(tmp_path: Path) -> None:
    log = LogFile(tmp_path / "later.log")
    f = follower(log.path, start=StartAt.END)
    assert read_all(f) == []
    assert f.position() is None
    log.lines("first", "second")
    assert read_all(f) == ["first", "second"]


@pytest.mark.parametrize("compress", [False, True])
def test_copytruncate_reads_the_missing_tail_from_the_copy(log: LogFile, compress: bool) -> None:
    f = follower(log.path)
    log.lines("a", "b")
    assert read_all(f) == ["a", "b"]
    log.lines("c", "d")  # between our last read and the copy
    log.write("e without its end yet")
    log.copytruncate(compress=compress)
    log.lines("f")
    assert read_all(f) == ["c", "d", "e without its end yet", "f"]


def test_copytruncate_with_regrowth_past_the_offset(log: LogFile) -> None:
    f = follower(log.path)
    log.lines("a")
    assert read_all(f) == ["a"]
    log.lines("b")
    log.copytruncate()
    log.lines("new one", "new two", "new three")
    assert read_all(f) == ["b", "new one", "new two", "new three"]


def test_copytruncate_identical_head_is_told_by_the_bytes_before_the_offset(
    log: LogFile,
) -> None:
    """sshd -E logs have no timestamps: a new file may start with the same lines."""
    f = follower(log.path)
    log.lines("Server listening on 0.0.0.0 port 22.", "Connection from 192.0.2.1")
    assert len(read_all(f)) == 2
    log.lines("Connection from 192.0.2.2")
    log.copytruncate()
    log.lines("Server listening on 0.0.0.0 port 22.", "Connection from 192.0.2.9", "x" * 40)
    assert read_all(f) == [
        "Connection from 192.0.2.2",
        "Server listening on 0.0.0.0 port 22.",
        "Connection from 192.0.2.9",
        "x" * 40,
    ]


def test_truncation_without_copy_restarts_at_zero(log: LogFile) -> None:
    f = follower(log.path)
    log.lines("a", "b")
    assert read_all(f) == ["a", "b"]
    log.truncate()
    log.lines("c")
    assert read_all(f) == ["c"]


def test_truncated_and_regrown_past_the_offset_is_a_new_file(log: LogFile) -> None:
    f = follower(log.path)
    log.lines("short")
    assert read_all(f) == ["short"]
    log.truncate()
    log.lines("a much longer first line", "and another")
    assert read_all(f) == ["a much longer first line", "and another"]


def test_unreadable_file_is_a_source_error(log: LogFile) -> None:
    log.path.unlink()
    log.path.mkdir()
    f = FileFollower(log.path)
    with pytest.raises(SourceError, match="regular log file"):
        f.read()


def _opts(**kw: object) -> FollowOptions:
    return FollowOptions(start=StartAt.BEGINNING, **kw)  # type: ignore[arg-type]
