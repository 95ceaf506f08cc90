"""A log file that tests write and rotate the ways real systems do."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

from rempart.adapters.sources.files import FileFollower, FollowOptions, StartAt
from rempart.clock import FrozenClock
from rempart.model import FilePosition, LogLine

__all__ = ["LogFile", "follower", "texts"]


class LogFile:
    """``path`` and its rotations. Writes append with O_APPEND, as syslog daemons do."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rotations = 0

    def write(self, data: bytes | str, path: Path | None = None) -> None:
        raw = data.encode() if isinstance(data, str) else data
        fd = os.open(path or self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, raw)
        finally:
            os.close(fd)

    def lines(self, *texts: str) -> None:
        self.write("".join(f"{t}\n" for t in texts))

    def rotated(self, n: int = 1) -> Path:
        return self.path.with_name(f"{self.path.name}.{n}")

    def _shift(self) -> None:
        """Make room for a new ``.1`` (``.1`` -> ``.2`` ...), as logrotate does."""
        for n in range(self.rotations, 0, -1):
            for suffix in ("", ".gz"):
                old = Path(f"{self.rotated(n)}{suffix}")
                if old.exists():
                    old.rename(f"{self.rotated(n + 1)}{suffix}")
        self.rotations += 1

    def rename_create(self, *, create: bool = True) -> None:
        self._shift()
        self.path.rename(self.rotated(1))
        if create:
            self.path.touch(0o640)

    def copytruncate(self, *, compress: bool = False) -> None:
        self._shift()
        shutil.copyfile(self.path, self.rotated(1))
        os.truncate(self.path, 0)
        if compress:
            self.compress(1)

    def compress(self, n: int) -> None:
        plain = self.rotated(n)
        with plain.open("rb") as src, gzip.open(f"{plain}.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
        plain.unlink()

    def truncate(self) -> None:
        os.truncate(self.path, 0)


def follower(
    path: Path,
    *,
    saved: FilePosition | None = None,
    start: StartAt = StartAt.BEGINNING,
    clock: FrozenClock | None = None,
    **options: object,
) -> FileFollower:
    options.setdefault("rotate_grace", 0.0)
    opts = FollowOptions(start=start, **options)  # type: ignore[arg-type]
    f = FileFollower(path, name="test", saved=saved, clock=clock or FrozenClock(1e9), options=opts)
    f.start()
    return f


def texts(lines: list[LogLine]) -> list[str]:
    return [line.text for line in lines]


def read_all(f: FileFollower) -> list[str]:
    """Every line a follower has for now."""
    out: list[str] = []
    while batch := f.read():
        out.extend(texts(batch))
    return out
