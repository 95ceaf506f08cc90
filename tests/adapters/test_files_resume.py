"""Resuming from a saved position after a restart, in every rotation case, and a property:
any interleaving of writes, reads, rotations and restarts delivers every line once."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.adapters.sources.files import FileFollower, StartAt
from rempart.model import FilePosition
from tests.adapters.logfiles import LogFile, follower, read_all, texts


def stop(f: FileFollower) -> FilePosition:
    position = f.position()
    assert position is not None
    f.close()
    return position


def test_same_file_resumes_at_the_last_complete_line(log: LogFile) -> None:
    f = follower(log.path)
    log.write("a\nb\npartial")
    assert read_all(f) == ["a", "b"]
    saved = stop(f)
    assert saved.offset == 4
    log.write(" done\nc\n")
    assert read_all(follower(log.path, saved=saved)) == ["partial done", "c"]


@pytest.mark.parametrize("compress", [False, True])
def test_renamed_while_stopped(log: LogFile, compress: bool) -> None:
    f = follower(log.path)
    log.lines("a")
    assert read_all(f) == ["a"]
    saved = stop(f)
    log.lines("b")
    log.rename_create()
    if compress:
        log.compress(1)
    log.lines("c")
    assert read_all(follower(log.path, saved=saved)) == ["b", "c"]


@pytest.mark.parametrize("compress", [False, True])
def test_copied_and_truncated_while_stopped(log: LogFile, compress: bool) -> None:
    f = follower(log.path)
    log.lines("a")
    assert read_all(f) == ["a"]
    saved = stop(f)
    log.lines("b")
    log.copytruncate(compress=compress)
    log.lines("c", "d", "e")  # regrows past the saved offset
    assert read_all(follower(log.path, saved=saved)) == ["b", "c", "d", "e"]


def test_truncated_while_stopped_reads_from_zero(log: LogFile) -> None:
    f = follower(log.path)
    log.lines("a", "b")
    assert read_all(f) == ["a", "b"]
    saved = stop(f)
    log.truncate()
    log.lines("c")
    assert read_all(follower(log.path, saved=saved)) == ["c"]


def test_unknown_saved_position_reads_the_file_from_zero(log: LogFile, tmp_path: Path) -> None:
    other = LogFile(tmp_path / "other.log")
    other.lines("x" * 50)
    f = follower(other.path)
    read_all(f)
    saved = stop(f)
    log.lines("a", "b")
    assert read_all(follower(log.path, saved=saved)) == ["a", "b"]


def test_missing_file_keeps_its_saved_position(log: LogFile) -> None:
    f = follower(log.path)
    log.lines("a")
    read_all(f)
    saved = stop(f)
    log.path.unlink()
    g = follower(log.path, saved=saved)
    assert read_all(g) == []
    assert g.position() == saved


def test_no_saved_position_starts_at_the_end_or_the_beginning(log: LogFile) -> None:
    log.lines("old")
    live = follower(log.path, start=StartAt.END)
    assert read_all(live) == []
    full = follower(log.path, start=StartAt.BEGINNING)
    assert read_all(full) == ["old"]


def test_restart_while_finishing_a_copy(log: LogFile) -> None:
    lines = [f"line {i:04}" for i in range(2000)]
    f = follower(log.path, batch_bytes=4096)
    log.lines("first")
    assert read_all(f) == ["first"]
    log.lines(*lines)
    log.copytruncate()
    log.lines("new")
    got = texts(f.read())
    assert 0 < len(got) < len(lines)
    saved = stop(f)
    assert saved.inode == log.rotated(1).stat().st_ino
    assert got + read_all(follower(log.path, saved=saved)) == [*lines, "new"]


def test_restart_during_the_rename_grace_continues_the_new_file(log: LogFile) -> None:
    f = follower(log.path, rotate_grace=60.0)
    log.lines("a")
    assert read_all(f) == ["a"]
    log.rename_create()
    log.lines("b")
    assert read_all(f) == ["b"]
    saved = stop(f)
    assert saved.inode == log.path.stat().st_ino
    log.lines("c")
    assert read_all(follower(log.path, saved=saved)) == ["c"]


def test_position_survives_the_big_inode_and_digests(log: LogFile) -> None:
    f = follower(log.path)
    log.lines("a" * 5000, "b" * 5000)
    read_all(f)
    saved = stop(f)
    assert saved.fingerprint.head_size == 4096
    assert saved.fingerprint.tail_size == 4096
    assert saved.offset == 10002


# ---------------------------------------------------------------- the property

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.integers(1, 30)),
        st.tuples(st.just("partial"), st.integers(1, 3)),
        st.tuples(st.just("read"), st.just(0)),
        st.tuples(st.just("rename"), st.booleans()),
        st.tuples(st.just("copytruncate"), st.booleans()),
        st.tuples(st.just("restart"), st.just(0)),
    ),
    max_size=25,
)


class Scenario:
    def __init__(self, path: Path, batch_bytes: int) -> None:
        self.log = LogFile(path)
        self.log.path.touch()
        self.batch_bytes = batch_bytes
        self.f = follower(path, batch_bytes=batch_bytes)
        self.written: list[str] = []
        self.got: list[str] = []
        self.rotated_since_read = False
        self.read_this_file = False
        self.n = 0

    def write(self, count: int) -> None:
        # lines of varied length, some longer than the 4 KiB fingerprint windows
        new = [f"{self.n + i:05} " + "x" * ((self.n + i) * 397 % 6000) for i in range(count)]
        self.n += count
        self.written.extend(new)
        self.log.lines(*new)

    def partial(self, pieces: int) -> None:
        line = f"{self.n:05} in {pieces} pieces"
        self.n += 1
        self.written.append(line)
        step = max(1, len(line) // pieces)
        for at in range(0, len(line), step):
            self.log.write(line[at : at + step])
            self.read()
        self.log.write("\n")

    def read(self) -> None:
        self.got.extend(read_all(self.f))
        self.rotated_since_read = False
        self.read_this_file = self.log.path.stat().st_size > 0

    def rotate(self, kind: str, flag: bool) -> None:
        if self.rotated_since_read:
            self.read()  # two rotations between reads lose the middle file (documented)
        if kind == "copytruncate" and not self.read_this_file:
            self.read()  # copied before a byte of it was read: cannot be ours (documented)
        if kind == "rename":
            if flag and self.log.rotated(1).exists():
                self.log.compress(1)
            self.log.rename_create()
        else:
            self.log.copytruncate(compress=flag)
        self.rotated_since_read = True
        self.read_this_file = False

    def restart(self) -> None:
        saved = stop(self.f)
        self.f = follower(self.log.path, saved=saved, batch_bytes=self.batch_bytes)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=OPS, batch_bytes=st.sampled_from([4096, 1 << 20]))
def test_every_line_exactly_once(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int]], batch_bytes: int
) -> None:
    s = Scenario(tmp_path_factory.mktemp("prop") / "app.log", batch_bytes)
    for op, arg in ops:
        if op == "write":
            s.write(arg)
        elif op == "partial":
            s.partial(arg)
        elif op == "read":
            s.read()
        elif op in ("rename", "copytruncate"):
            s.rotate(op, bool(arg))
        else:
            s.restart()
    s.read()
    s.f.close()
    assert s.got == s.written
