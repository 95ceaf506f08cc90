"""The systemd journal, read through ``journalctl -o json --follow``.

``journalctl`` is run with an argv list (never a shell), its JSON output read without
blocking the event loop and without threads, and each entry turned into a
:class:`~rempart.model.LogLine` by :mod:`rempart.adapters.sources.journal_entry`, with
the entry's time as ``timestamp``.

Where reading starts: after the saved cursor (``--after-cursor``); on a first start,
``--since`` a given time, or only new entries (``--lines=0``). :meth:`position` is the
cursor of the last entry delivered, to save. A journalctl that dies is restarted after
that cursor, with the reason logged; when it keeps failing without delivering anything
while a cursor is given (a cursor the journal no longer knows), the cursor is dropped
for ``--since`` its entry's time. ``journalctl --file``/``--directory`` can be given, so
tests (and replays) read journal files of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import subprocess
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from rempart.adapters.sources.journal_entry import parse_entry
from rempart.adapters.sources.readable import wait_readable
from rempart.adapters.sources.splitter import Lines, LineSplitter
from rempart.clock import Clock, SystemClock
from rempart.errors import SourceError
from rempart.model import JournalCursor, LogLine

__all__ = ["JOURNALCTL", "JournalSource", "check_match"]

_LOG = logging.getLogger(__name__)
JOURNALCTL = "journalctl"
_MATCH = re.compile(r"[A-Z0-9_]+=.*|\+|/.*", re.DOTALL)
_STDERR_KEEP = 2048


def check_match(match: str, source: str = "journal") -> str:
    """``match`` when it is a journalctl match (``FIELD=value``, ``+``, or an absolute
    path of a program); raises SourceError otherwise (it could be taken for an option)."""
    if "\0" in match or not _MATCH.fullmatch(match):
        raise SourceError("source.bad_match", source=source, match=match)
    return match


class JournalSource:
    """Entries of the systemd journal; see the module documentation."""

    def __init__(
        self,
        *,
        name: str = "journal",
        matches: Sequence[str] = (),
        cursor: JournalCursor | None = None,
        since: float | None = None,
        files: Sequence[Path] = (),
        directory: Path | None = None,
        follow: bool = True,
        journalctl: str = JOURNALCTL,
        clock: Clock | None = None,
        restart_delay: float = 1.0,
        max_entry: int = 1 << 20,
    ) -> None:
        self.name = name
        self._matches = tuple(check_match(m, name) for m in matches)
        self._cursor = cursor
        self._since = since
        self._files = tuple(files)
        self._directory = directory
        self._follow = follow
        self._journalctl = journalctl
        self._clock: Clock = clock or SystemClock()
        self._restart_delay = restart_delay
        self._max_entry = max_entry
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr = b""

    @property
    def pid(self) -> int | None:
        """Process id of the running journalctl, if any."""
        return self._process.pid if self._process is not None else None

    def position(self) -> JournalCursor | None:
        """The cursor of the last entry delivered (or the one given at start)."""
        return self._cursor

    def argv(self) -> list[str]:
        """The journalctl command for the current cursor or start time."""
        argv = [self._journalctl, "--output=json", "--all", "--no-pager", "--quiet"]
        argv += [f"--file={f}" for f in self._files]
        if self._directory is not None:
            argv.append(f"--directory={self._directory}")
        if self._cursor is not None:
            argv.append(f"--after-cursor={self._cursor.cursor}")
        elif self._since is not None:
            argv.append(f"--since=@{self._since:.6f}")
        elif self._follow:
            argv.append("--lines=0")
        if self._follow:
            argv.append("--follow")
            if self._cursor is not None or self._since is not None:
                argv.append("--no-tail")
        return [*argv, *self._matches]

    async def follow(self) -> AsyncIterator[list[LogLine]]:
        """Batches of lines, one per entry. With ``follow=False`` it ends after the last
        entry (a failing journalctl is then a SourceError); otherwise it never ends.
        Raises SourceError when journalctl is missing."""
        failures = 0
        while True:
            process = self._spawn()
            delivered = False
            try:
                async for batch in self._batches(process):
                    delivered = True
                    yield batch
            finally:
                await self._stop(process)
            reason = self._reason(process)
            if not self._follow:
                if process.returncode:
                    raise SourceError("source.journal_failed", source=self.name, reason=reason)
                return
            failures = 0 if delivered else failures + 1
            self._recover(failures, reason)
            await asyncio.sleep(self._restart_delay)

    async def aclose(self) -> None:
        if self._process is not None:
            await self._stop(self._process)

    # ------------------------------------------------------------------ internals

    def _recover(self, failures: int, reason: str) -> None:
        cursor = self._cursor
        if failures >= 2 and cursor is not None:
            _LOG.warning(
                "%s: journalctl fails after cursor %s (%s): starting from the entry's time",
                self.name,
                cursor.cursor,
                reason,
            )
            self._since, self._cursor = cursor.timestamp, None
            return
        _LOG.warning(
            "%s: journalctl stopped (%s); restarting in %.1f s after cursor %s",
            self.name,
            reason,
            self._restart_delay,
            cursor.cursor if cursor else None,
        )

    def _spawn(self) -> subprocess.Popen[bytes]:
        argv = self.argv()
        try:
            process = subprocess.Popen(  # noqa: S603 - argv list, no shell
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                close_fds=True,
            )
        except FileNotFoundError as exc:
            raise SourceError(
                "source.missing_program", source=self.name, program=argv[0], package="systemd"
            ) from exc
        except OSError as exc:
            raise SourceError(
                "source.unreadable",
                source=self.name,
                reason=f"{argv[0]}: {exc.strerror or exc}",
                fix="check that journalctl can be run",
            ) from exc
        assert process.stdout is not None
        assert process.stderr is not None
        os.set_blocking(process.stdout.fileno(), False)
        os.set_blocking(process.stderr.fileno(), False)
        self._stderr = b""
        asyncio.get_running_loop().add_reader(process.stderr.fileno(), self._drain_stderr)
        self._process = process
        return process

    def _drain_stderr(self) -> None:
        process = self._process
        if process is None or process.stderr is None:
            return
        with contextlib.suppress(BlockingIOError):
            while data := os.read(process.stderr.fileno(), 65536):
                self._stderr = (self._stderr + data)[-_STDERR_KEEP:]
            asyncio.get_running_loop().remove_reader(process.stderr.fileno())  # at EOF

    async def _batches(self, process: subprocess.Popen[bytes]) -> AsyncIterator[list[LogLine]]:
        assert process.stdout is not None
        fd = process.stdout.fileno()
        splitter = LineSplitter(self._max_entry)
        while data := await _read(fd):
            batch = self._lines(splitter.feed(data))
            if batch:
                yield batch
        batch = self._lines(splitter.flush())
        if batch:
            yield batch

    def _lines(self, lines: Lines) -> list[LogLine]:
        arrival = self._clock.now()
        out = []
        cut = set(lines.truncated)
        for index, raw in enumerate(lines.texts):
            if index in cut:
                _LOG.warning("%s: journal entry over %d bytes skipped", self.name, self._max_entry)
                continue
            try:
                entry = parse_entry(raw, self.name)
            except SourceError as exc:
                _LOG.warning("%s", exc)
                continue
            out.append(LogLine(entry.text, self.name, arrival, timestamp=entry.timestamp))
            if entry.cursor is not None:
                self._cursor = JournalCursor(entry.cursor, entry.timestamp)
        return out

    async def _stop(self, process: subprocess.Popen[bytes]) -> None:
        loop = asyncio.get_running_loop()
        if process.poll() is None:
            process.terminate()
        for _ in range(100):
            if process.poll() is not None:
                break
            await asyncio.sleep(0.02)
        else:
            process.kill()
            process.wait(timeout=5)
        for stream in (process.stdout, process.stderr):
            if stream is not None and not stream.closed:
                loop.remove_reader(stream.fileno())
                if stream is process.stderr:
                    self._drain_stderr()
                stream.close()
        if self._process is process:
            self._process = None

    def _reason(self, process: subprocess.Popen[bytes]) -> str:
        code = process.returncode
        status = f"killed by signal {-code}" if code is not None and code < 0 else f"exit {code}"
        detail = self._stderr.decode("utf-8", "backslashreplace").strip().splitlines()
        return f"{status}: {detail[-1]}" if detail else status


async def _read(fd: int, size: int = 64 * 1024) -> bytes:
    """The next bytes of the non-blocking pipe ``fd`` (empty at end of file)."""
    while True:
        try:
            return os.read(fd, size)
        except BlockingIOError:
            await wait_readable(fd)
