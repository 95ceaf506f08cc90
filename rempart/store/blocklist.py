"""The last good AbuseIPDB blocklist and its download schedule, kept in the state directory.

Two files, each replaced atomically (a temporary file in the same directory, written,
``fsync``-ed, renamed over the old one, the directory ``fsync``-ed; mode 0600): a crash
leaves the old file or the new one, never a mix.

- ``abuseipdb-blocklist.txt``: a header line ``# rempart abuseipdb blocklist {JSON}``
  (format, generated_at, fetched_at, counts) then one address per line. It holds the
  validated list (global addresses only) *before* the protected networks are taken out,
  so that a change of the allow list or of ignoreip applies at the next start. Loading
  validates every line again and checks the counts of the header.
- ``abuseipdb-blocklist.state.json``: the :class:`DownloadSchedule` (attempts per UTC
  day, last success, retry and server-given times), so that a restart never downloads
  again early.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rempart.errors import StateError
from rempart.guard.blocklist import Blocklist, ParseStats, parse_blocklist
from rempart.guard.blocklist_schedule import DownloadSchedule, json_time

__all__ = ["FORMAT", "LIST_NAME", "SCHEDULE_NAME", "BlocklistFile", "SavedBlocklist"]

LIST_NAME = "abuseipdb-blocklist.txt"
SCHEDULE_NAME = "abuseipdb-blocklist.state.json"
FORMAT = 1
_HEADER = "# rempart abuseipdb blocklist "
_MAX_HEADER = 4096


@dataclass(frozen=True, slots=True)
class SavedBlocklist:
    """A validated list and where it came from: ``generated_at`` (AbuseIPDB's
    X-Generated-At, if given), ``fetched_at`` (when rempart downloaded it), and what its
    parse set aside (``invalid`` lines, ``not_global`` addresses)."""

    blocklist: Blocklist
    generated_at: float | None
    fetched_at: float
    invalid: int = 0
    not_global: int = 0

    def header(self) -> dict[str, Any]:
        v4, v6 = self.blocklist.sizes
        return {
            "format": FORMAT,
            "generated_at": self.generated_at,
            "fetched_at": self.fetched_at,
            "v4": v4,
            "v6": v6,
            "invalid": self.invalid,
            "not_global": self.not_global,
        }


class BlocklistFile:
    """The blocklist files of ``state_dir`` (created with mode 0700 when missing)."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.path = state_dir / LIST_NAME
        self.schedule_path = state_dir / SCHEDULE_NAME

    # ---------------------------------------------------------------- the list

    def save(self, saved: SavedBlocklist) -> None:
        """Replace the last good list with ``saved``. Raises StateError."""
        header = _HEADER + json.dumps(saved.header(), separators=(",", ":")) + "\n"
        _atomic_write(self.path, _lines(header, saved.blocklist))

    def load(self) -> SavedBlocklist | None:
        """The last good list, or None when there is none. Raises StateError when the
        file cannot be read or is not a list saved by rempart (with the fix)."""
        try:
            with self.path.open(encoding="utf-8", errors="strict", newline="\n") as lines:
                meta = _header(lines.readline(_MAX_HEADER))
                blocklist, stats = parse_blocklist(lines)
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError("blocklist.unreadable", path=str(self.path), reason=exc) from exc
        except ValueError as exc:
            raise StateError("blocklist.corrupt", path=str(self.path), reason=exc) from exc
        _check(self.path, meta, blocklist, stats)
        return SavedBlocklist(
            blocklist,
            json_time(meta.get("generated_at")),
            json_time(meta["fetched_at"]) or 0.0,
            int(meta.get("invalid", 0)),
            int(meta.get("not_global", 0)),
        )

    # ---------------------------------------------------------------- the schedule

    def save_schedule(self, schedule: DownloadSchedule) -> None:
        """Replace the saved schedule. Raises StateError."""
        text = json.dumps(schedule.to_json(), separators=(",", ":")) + "\n"
        _atomic_write(self.schedule_path, [text.encode()])

    def load_schedule(self) -> DownloadSchedule | None:
        """The saved schedule, or None when there is none. Raises StateError."""
        try:
            text = self.schedule_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            path = str(self.schedule_path)
            raise StateError("blocklist.unreadable", path=path, reason=exc) from exc
        try:
            return DownloadSchedule.from_json(json.loads(text))
        except ValueError as exc:
            path = str(self.schedule_path)
            raise StateError("blocklist.corrupt", path=path, reason=exc) from exc


def _lines(header: str, blocklist: Blocklist) -> Iterator[bytes]:
    yield header.encode()
    for addresses in (blocklist.v4, blocklist.v6):
        texts = addresses.texts()
        while chunk := [t for _, t in zip(range(8192), texts, strict=False)]:
            yield ("\n".join(chunk) + "\n").encode()


def _header(line: str) -> dict[str, Any]:
    if not line.startswith(_HEADER) or not line.endswith("\n"):
        raise ValueError("no rempart header on the first line")
    meta = json.loads(line[len(_HEADER) :])
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"not format {FORMAT}")
    for key in ("v4", "v6", "invalid", "not_global"):
        if not isinstance(meta.get(key, 0), int):
            raise ValueError(f"{key} is not a count")
    if json_time(meta.get("fetched_at")) is None:
        raise ValueError("no fetched_at")
    json_time(meta.get("generated_at"))
    return meta


def _check(path: Path, meta: dict[str, Any], blocklist: Blocklist, stats: ParseStats) -> None:
    problems = []
    if stats.invalid or stats.duplicates or stats.not_global:
        problems.append(f"{stats.invalid} invalid, {stats.duplicates} repeated lines")
    if blocklist.sizes != (meta["v4"], meta["v6"]):
        problems.append(
            f"{blocklist.sizes} addresses, the header says ({meta['v4']}, {meta['v6']})"
        )
    if problems:
        raise StateError("blocklist.corrupt", path=str(path), reason="; ".join(problems))


def _atomic_write(path: Path, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to ``path`` atomically, mode 0600. Raises StateError."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()  # left by a crash of this very pid number
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        with open(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        _sync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StateError("blocklist.unwritable", path=str(path), reason=exc) from exc


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
