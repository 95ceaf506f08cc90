"""The incremental log reader on real files: start at the end, append, partial lines, rotation,
truncation, the per-call bound, a file that appears later."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from rempart.probes.logtail import LogTail, split_lines


class Lines:
    def __init__(self) -> None:
        self.got: list[str] = []

    def __call__(self, line: str) -> None:
        self.got.append(line)

    def take(self) -> list[str]:
        out, self.got = self.got, []
        return out


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(text)


def test_split_lines_keeps_the_partial_tail() -> None:
    assert split_lines(b"a\nb\r\nc") == (["a", "b"], 5)
    assert split_lines(b"a\nb\r\nc", final=True) == (["a", "b", "c"], 6)
    assert split_lines(b"no newline") == ([], 0)
    assert split_lines(b"") == ([], 0)
    assert split_lines(b"\xff\xfe\n") == (["\ufffd\ufffd"], 3)


@given(st.binary(max_size=300))
def test_split_lines_never_fails_and_accounts_for_bytes(data: bytes) -> None:
    lines, used = split_lines(data)
    assert 0 <= used <= len(data)
    assert used == data.rfind(b"\n") + 1
    assert len(lines) == data[:used].count(b"\n")


def test_starts_at_the_end_then_reads_appended_lines(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("old 1\nold 2\n")
    tail, sink = LogTail(log), Lines()
    assert tail.read(sink) == 0
    assert sink.take() == []
    pos = tail.position
    assert pos is not None
    assert pos.offset == 12
    assert pos.inode == log.stat().st_ino
    append(log, "new 1\nnew ")
    tail.read(sink)
    assert sink.take() == ["new 1"]  # the partial line waits
    append(log, "2\n")
    tail.read(sink)
    assert sink.take() == ["new 2"]
    tail.read(sink)
    assert sink.take() == []


def test_rotation_finishes_the_old_file_then_reads_the_new_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("before\n")
    tail, sink = LogTail(log), Lines()
    tail.read(sink)
    append(log, "late in old\n")
    os.rename(log, tmp_path / "mail.log.1")
    tail.read(sink)  # renamed away, no new file yet: the old one is finished
    assert sink.take() == ["late in old"]
    append(tmp_path / "mail.log.1", "written after rename\n")  # a daemon not yet reopened
    log.write_text("first in new\nsecond in new\n")
    tail.read(sink)
    assert sink.take() == ["written after rename", "first in new", "second in new"]
    pos = tail.position
    assert pos is not None
    assert pos.inode == log.stat().st_ino
    assert pos.offset == log.stat().st_size


def test_truncation_in_place_restarts_at_zero(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("x" * 50 + "\n")
    tail, sink = LogTail(log), Lines()
    tail.read(sink)
    with log.open("r+") as f:  # copytruncate
        f.truncate(0)
    append(log, "after truncate\n")
    tail.read(sink)
    assert sink.take() == ["after truncate"]


def test_a_missing_file_is_read_from_its_start_when_it_appears(tmp_path: Path) -> None:
    log = tmp_path / "sympa.log"
    tail, sink = LogTail(log), Lines()
    assert not tail.exists()
    assert tail.read(sink) == 0
    assert tail.position is None
    log.write_text("one\ntwo\n")
    assert tail.exists()
    tail.read(sink)
    assert sink.take() == ["one", "two"]


def test_at_most_max_bytes_per_call_the_rest_next_time(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    tail, sink = LogTail(log, max_bytes=100, chunk=40), Lines()
    tail.read(sink)
    lines = [f"line {i:04d}" for i in range(30)]  # 10 bytes each + newline
    append(log, "".join(line + "\n" for line in lines))
    got: list[str] = []
    calls = 0
    while True:
        used = tail.read(sink)
        assert used <= 100
        got += sink.take()
        calls += 1
        if not used:
            break
    assert got == lines
    assert calls >= 4


def test_a_line_longer_than_a_chunk_is_cut_not_stuck(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    tail, sink = LogTail(log, max_bytes=1000, chunk=16), Lines()
    tail.read(sink)
    append(log, "y" * 40 + "\nshort\n")
    for _ in range(5):
        tail.read(sink)
    got = sink.take()
    assert "".join(got[:-1]) == "y" * 40
    assert got[-1] == "short"


def test_close_forgets_the_file(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("a\n")
    tail, sink = LogTail(log), Lines()
    tail.read(sink)
    tail.close()
    assert tail.position is None
    append(log, "b\n")
    tail.read(sink)  # starts at the end again
    assert sink.take() == []
