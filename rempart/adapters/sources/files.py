"""Following a log file without losing or repeating a line, across rotations and restarts.

:class:`FileFollower` has a synchronous core, :meth:`FileFollower.read`, that returns the
lines written since the last call (at most ``batch_bytes`` per call), and an async
:meth:`FileFollower.follow` that calls it whenever inotify (or, without it, a polling
timer) says the file may have changed.

Each call first checks that the file at ``path`` is still the one being read:

- **rename + create** (logrotate's default): ``path`` has a new inode. The old file is
  read to its end first, and kept open ``rotate_grace`` seconds after its last write
  (a daemon keeps writing to it until it reopens its log); then the new file is read
  from offset 0.
- **copytruncate**: the same inode holds fewer bytes than were read, or other bytes
  (its first bytes, or the bytes before the offset, changed: it was truncated and
  regrew). The lines written between the last read and the copy are in the copy
  (``path.1``, ``path-20240101``, ``path.1.gz``…, the one whose content matches what
  was read): read from there to its end, then the truncated file from 0.
- **truncation** (no copy has our content): restart at 0.
- **deleted** (no file at ``path`` and the open one has no link left): finish it.

:meth:`FileFollower.position` is the :class:`~rempart.model.FilePosition` to save; given
back as ``saved``, a new follower resumes there: same file, it seeks; the file was
rotated while rempart was down, it finishes the rotated copy from the saved offset, then
reads the new file from 0; nothing matches, it reads the file from 0. Without a saved
position it starts at the end (``StartAt.END``, for a live agent) or at the beginning.

Known limits: two rotations while rempart is stopped (or between two reads) lose the
middle file; lines written and copied by ``copytruncate`` before the first byte of the
file was ever read cannot be recognised as ours, and are not read.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from rempart.adapters.sources.fingerprint import matches_fd, pread_exact
from rempart.adapters.sources.rotated import RotatedCopy, find_copy
from rempart.adapters.sources.segment import Segment, open_regular
from rempart.adapters.sources.splitter import DEFAULT_MAX_LINE, Lines, LineSplitter
from rempart.adapters.sources.wakeup import Wakeup
from rempart.clock import Clock, SystemClock
from rempart.errors import SourceError
from rempart.model import FilePosition, LogLine

__all__ = ["FileFollower", "FollowOptions", "StartAt"]

_LOG = logging.getLogger(__name__)


class StartAt(Enum):
    """Where to start a file rempart has no saved position for."""

    END = "end"  # a live agent: only what is written from now on
    BEGINNING = "beginning"


@dataclass(frozen=True, slots=True)
class FollowOptions:
    """How a file is followed. Sizes in bytes, times in seconds."""

    start: StartAt = StartAt.END
    max_line: int = DEFAULT_MAX_LINE
    chunk_size: int = 64 * 1024  # bytes per read(2)
    batch_bytes: int = 1 << 20  # most bytes read by one read() call
    inotify: bool = True
    poll_interval: float = 1.0  # without inotify
    rescan_interval: float = 30.0  # with inotify: a check even when no event came
    rotate_grace: float = 5.0  # a rotated file is read this long after its last write


@dataclass(slots=True)
class _Old:
    """A file being finished: rotated away (``linger`` = grace) or a copy (0)."""

    segment: Segment
    linger: float


class _Batch:
    __slots__ = ("arrival", "lines", "source")

    def __init__(self, source: str, arrival: float) -> None:
        self.source = source
        self.arrival = arrival
        self.lines: list[LogLine] = []

    def add(self, lines: Lines) -> None:
        source, arrival = self.source, self.arrival
        start = len(self.lines)
        self.lines.extend(LogLine(text, source, arrival) for text in lines.texts)
        for index in lines.truncated:
            line = self.lines[start + index]
            self.lines[start + index] = LogLine(line.text, source, arrival, truncated=True)


class FileFollower:
    """Follows the log file at ``path``; see the module documentation."""

    def __init__(
        self,
        path: Path,
        *,
        name: str | None = None,
        saved: FilePosition | None = None,
        clock: Clock | None = None,
        options: FollowOptions | None = None,
    ) -> None:
        self.path = Path(path)
        self.name = name or str(path)
        self._saved = saved
        self._clock: Clock = clock or SystemClock()
        self._options = options or FollowOptions()
        self._current: Segment | None = None
        self._old: list[_Old] = []
        self._started = False

    # ------------------------------------------------------------------ the sync core

    def start(self) -> None:
        """Open the file and decide where reading starts, now (``read`` does it first
        when it was not done). Raises SourceError."""
        if not self._started:
            self._start(self._clock.monotonic())

    def read(self) -> list[LogLine]:
        """The lines written since the last call, about ``batch_bytes`` of them at most:
        call again at once when the result is not empty; empty means everything was
        read. Raises SourceError."""
        batch = _Batch(self.name, self._clock.now())
        mono = self._clock.monotonic()
        if not self._started:
            self._start(mono)
        budget = self._options.batch_bytes
        for _ in range(4):  # each pass handles at most one rotation
            budget = self._read_old(batch, budget, mono)
            if budget <= 0 and batch.lines:
                break
            if not self._check(batch, mono):
                if self._current is not None:
                    self._read_segment(self._current, batch, budget, mono)
                break
        return batch.lines

    def position(self) -> FilePosition | None:
        """Where to resume after a restart: the file being read and the byte after its
        last complete line (None before anything was seen and without a saved one)."""
        if not self._started:
            return self._saved
        current = self._current
        if current is not None and (current.offset > 0 or not self._old):
            return current.position(self.path)
        if self._old:
            return self._old[0].segment.position(self.path)
        return self._saved

    def close(self) -> None:
        """Close every open file (idempotent)."""
        for old in self._old:
            old.segment.close()
        self._old.clear()
        if self._current is not None:
            self._current.close()
            self._current = None

    async def aclose(self) -> None:
        self.close()

    # ------------------------------------------------------------------ async follow

    async def follow(self) -> AsyncIterator[list[LogLine]]:
        """Batches of new lines, forever. Woken by inotify on the file's directory when
        available (no timer involved: a write is seen at once), else every
        ``poll_interval`` seconds."""
        options = self._options
        wakeup = Wakeup(
            self.path,
            inotify=options.inotify,
            poll_interval=options.poll_interval,
            rescan_interval=options.rescan_interval,
        )
        try:
            while True:
                wakeup.clear()  # before reading: a write during read() wakes the next wait
                batch = self.read()
                if batch:
                    yield batch
                    continue
                await wakeup.wait(self._grace_left())
        finally:
            wakeup.close()

    def _grace_left(self) -> float | None:
        """Seconds until a rotated file's grace ends (to finish it then), or None."""
        if not self._old:
            return None
        now = self._clock.monotonic()
        return max(0.01, min(old.segment.last_data + old.linger - now for old in self._old))

    # ------------------------------------------------------------------ start, resume

    def _start(self, mono: float) -> None:
        self._started = True
        if self._saved is not None:
            self._resume(self._saved, mono)
            return
        fd = self._open(self.path)
        if fd is None:
            return
        if self._options.start is StartAt.BEGINNING:
            self._current = Segment.at(fd, 0, self._splitter())
        else:
            self._current = self._at_end(fd)

    def _at_end(self, fd: int) -> Segment:
        """A segment after the file's last complete line (a partial last line is being
        written: it is delivered once complete)."""
        size = os.fstat(fd).st_size
        window = min(size, self._options.max_line + 1)
        tail = pread_exact(fd, window, size - window)
        newline = tail.rfind(b"\n")
        if newline >= 0:
            return Segment.at(fd, size - window + newline + 1, self._splitter())
        if window == size:
            return Segment.at(fd, 0, self._splitter())
        splitter = LineSplitter(self._options.max_line, skip_first=True)
        return Segment.at(fd, size, splitter)

    def _resume(self, saved: FilePosition, mono: float) -> None:
        fd = self._open(self.path)
        if fd is not None:
            st = os.fstat(fd)
            same = (st.st_dev, st.st_ino) == (saved.device, saved.inode)
            if same and matches_fd(fd, saved.offset, saved.fingerprint):
                self._current = Segment.at(fd, saved.offset, self._splitter())
                return
        copy = find_copy(self.path, saved.offset, saved.fingerprint, (saved.device, saved.inode))
        if copy is not None:
            _LOG.info(
                "%s: rotated while stopped: finishing %s from byte %d",
                self.name,
                copy.path,
                saved.offset,
            )
            self._old.append(_Old(self._copy_segment(copy, saved.offset), 0.0))
            self._old[-1].segment.last_data = mono
        elif fd is not None:
            _LOG.warning("%s: saved position not found: reading the file from its start", self.name)
        if fd is not None:
            self._current = Segment.at(fd, 0, self._splitter())

    def _copy_segment(self, copy: RotatedCopy, offset: int) -> Segment:
        return Segment(
            copy.fd,
            offset=offset,
            splitter=self._splitter(),
            head=copy.head,
            tail=copy.tail,
            stream=copy.stream,
        )

    # ------------------------------------------------------------------ rotation

    def _check(self, batch: _Batch, mono: float) -> bool:
        """Detect a rotation of the current file; True when something changed."""
        current = self._current
        if current is None:
            fd = self._open(self.path)
            if fd is not None:
                _LOG.info("%s: file appeared: reading it from its start", self.name)
                self._current = Segment.at(fd, 0, self._splitter())
            return False
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if os.fstat(current.fd).st_nlink == 0:
                _LOG.info("%s: file deleted: finishing it", self.name)
                self._retire(current, mono)
                self._current = None
                return True
            return False  # renamed away, the new file is not there yet: keep reading
        except OSError as exc:
            raise self._error(exc) from exc
        if (st.st_dev, st.st_ino) != (current.device, current.inode):
            _LOG.info("%s: rotated (new file): finishing the old one first", self.name)
            self._retire(current, mono)
            fd = self._open(self.path)
            self._current = Segment.at(fd, 0, self._splitter()) if fd is not None else None
            return True
        if current.still_holds():
            return False
        self._truncated(current, batch, mono)
        return True

    def _truncated(self, current: Segment, batch: _Batch, mono: float) -> None:
        copy = find_copy(
            self.path, current.offset, current.fingerprint(), (current.device, current.inode)
        )
        if copy is not None:
            _LOG.info("%s: copied and truncated: finishing the copy %s", self.name, copy.path)
            moved = current.continued_in(copy.fd, copy.stream)
            moved.last_data = mono
            self._old.append(_Old(moved, 0.0))
        else:
            _LOG.warning("%s: truncated: reading it again from its start", self.name)
            batch.add(current.splitter.flush())
        current.restart()

    def _retire(self, segment: Segment, mono: float) -> None:
        segment.last_data = mono
        self._old.append(_Old(segment, self._options.rotate_grace))

    def _read_old(self, batch: _Batch, budget: int, mono: float) -> int:
        for old in list(self._old):
            budget, at_end = self._read_segment(old.segment, batch, budget, mono)
            if not at_end:
                return min(budget, 0)
            if mono - old.segment.last_data >= old.linger:
                batch.add(old.segment.splitter.flush())
                self._saved = old.segment.position(self.path)  # in case no file follows
                old.segment.close()
                self._old.remove(old)
        return budget

    def _read_segment(
        self, segment: Segment, batch: _Batch, budget: int, mono: float
    ) -> tuple[int, bool]:
        """Read ``segment`` until its end, or ``budget`` bytes once some line was found
        (a long line without its end yet costs no memory); (budget left, at end)."""
        chunk = self._options.chunk_size
        while budget > 0 or not batch.lines:
            before = segment.offset
            try:
                lines = segment.read(max(min(chunk, budget), 4096))
            except OSError as exc:
                raise self._error(exc) from exc
            if lines is None:
                return budget, True
            budget -= segment.offset - before
            segment.last_data = mono
            batch.add(lines)
        return budget, False

    # ------------------------------------------------------------------ helpers

    def _splitter(self) -> LineSplitter:
        return LineSplitter(self._options.max_line)

    def _open(self, path: Path) -> int | None:
        """A descriptor on ``path``; None when it does not exist. Raises SourceError."""
        try:
            return open_regular(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._error(exc) from exc

    def _error(self, exc: OSError) -> SourceError:
        fix = (
            "let rempart read it (run it as root, or in the file's group, often adm)"
            if isinstance(exc, PermissionError)
            else "check that the path names a regular log file"
        )
        return SourceError(
            "source.unreadable", source=self.name, reason=exc.strerror or str(exc), fix=fix
        )
