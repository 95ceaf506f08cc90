"""When to look at a log file again: inotify events on its directory, or a timer.

With inotify, a write, a creation or a rename of the file (or of its rotated copies)
wakes the waiter at once; a slow ``rescan_interval`` timer remains as a safety net.
Without inotify (not available, or the directory cannot be watched) the waiter wakes
every ``poll_interval`` seconds, and tries again to watch the directory each time (it
may have been created since).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from rempart.adapters.sources.inotify import (
    IN_DELETE_SELF,
    IN_IGNORED,
    IN_MOVE_SELF,
    IN_Q_OVERFLOW,
    Inotify,
)

__all__ = ["Wakeup"]

_LOG = logging.getLogger(__name__)
_ALWAYS = IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF


class Wakeup:
    """Wakes a follower of ``path``. Create it inside the running event loop."""

    def __init__(
        self,
        path: Path,
        *,
        inotify: bool = True,
        poll_interval: float = 1.0,
        rescan_interval: float = 30.0,
    ) -> None:
        self._path = path
        self._poll = poll_interval
        self._rescan = rescan_interval
        self._event = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._inotify: Inotify | None = None
        self._wd: int | None = None
        self._warned = False
        if inotify:
            try:
                self._inotify = Inotify()
            except OSError as exc:
                _LOG.warning("%s: inotify unavailable (%s): polling instead", path, exc)
                return
            self._loop.add_reader(self._inotify.fileno(), self._on_readable)
            self._watch()

    @property
    def watching(self) -> bool:
        """True when inotify watches the file's directory."""
        return self._wd is not None

    def clear(self) -> None:
        """Forget past wake-ups (call before looking at the file)."""
        self._event.clear()

    async def wait(self, limit: float | None = None) -> None:
        """Until an event about the file, or the timer (at most ``limit`` seconds)."""
        if self._inotify is not None and self._wd is None:
            self._watch()
        timeout = self._rescan if self.watching else self._poll
        if limit is not None:
            timeout = min(timeout, limit)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)

    def close(self) -> None:
        if self._inotify is not None:
            self._loop.remove_reader(self._inotify.fileno())
            self._inotify.close()
            self._inotify = None
            self._wd = None

    def _watch(self) -> None:
        assert self._inotify is not None
        try:
            self._wd = self._inotify.watch(self._path.parent)
        except OSError as exc:
            if not self._warned:
                _LOG.warning("%s: cannot watch its directory (%s): polling", self._path, exc)
                self._warned = True
            return
        self._warned = False

    def _on_readable(self) -> None:
        assert self._inotify is not None
        base = self._path.name
        for event in self._inotify.read_events():
            if event.mask & IN_IGNORED and event.wd == self._wd:
                self._wd = None  # the directory went away: poll until it is back
            if event.mask & _ALWAYS or event.name.startswith(base):
                self._event.set()
