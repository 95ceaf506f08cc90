"""Saved reading positions of the log sources: file positions and journal cursors.

Keyed by a source key the agent chooses (stable across restarts, e.g. the jail and the
source name). A key holds one kind of position: saving a cursor under a key that held
a file position replaces it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path

from rempart.clock import Clock, SystemClock
from rempart.model import FilePosition, Fingerprint, JournalCursor, SavedPosition
from rempart.store.db import Database

__all__ = ["PositionStore"]

_U64 = 1 << 64
_I64_MAX = (1 << 63) - 1


def _to_sql(number: int) -> int:
    """An unsigned 64-bit number (st_dev, st_ino) as SQLite's signed integer."""
    return number - _U64 if number > _I64_MAX else number


def _from_sql(number: int) -> int:
    return number + _U64 if number < 0 else number


_SAVE_FILE = """INSERT INTO file_positions
    (source, path, device, inode, offset, head_size, head_digest, tail_size, tail_digest,
     saved_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (source) DO UPDATE SET
        path = excluded.path, device = excluded.device, inode = excluded.inode,
        offset = excluded.offset, head_size = excluded.head_size,
        head_digest = excluded.head_digest, tail_size = excluded.tail_size,
        tail_digest = excluded.tail_digest, saved_at = excluded.saved_at"""

_SAVE_CURSOR = """INSERT INTO journal_cursors (source, cursor, timestamp, saved_at)
    VALUES (?, ?, ?, ?)
    ON CONFLICT (source) DO UPDATE SET
        cursor = excluded.cursor, timestamp = excluded.timestamp, saved_at = excluded.saved_at"""

_LOAD_FILE = """SELECT path, device, inode, offset, head_size, head_digest, tail_size,
    tail_digest FROM file_positions WHERE source = ?"""


class PositionStore:
    """Positions saved in ``database``."""

    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        self._db = database
        self._clock: Clock = clock or SystemClock()

    def save(self, source: str, position: SavedPosition) -> None:
        """Save ``position`` as the one of ``source``. Raises StateError."""
        self.save_all({source: position})

    def save_all(self, positions: Mapping[str, SavedPosition]) -> None:
        """Save several positions in one transaction. Raises StateError."""
        now = self._clock.now()
        with self._db.transaction() as sql:
            for source, position in positions.items():
                if isinstance(position, FilePosition):
                    sql.execute("DELETE FROM journal_cursors WHERE source = ?", (source,))
                    sql.execute(_SAVE_FILE, (source, *_file_row(position), now))
                else:
                    sql.execute("DELETE FROM file_positions WHERE source = ?", (source,))
                    sql.execute(_SAVE_CURSOR, (source, position.cursor, position.timestamp, now))

    def load(self, source: str) -> SavedPosition | None:
        """The position saved for ``source``, if any. Raises StateError."""
        rows = self._db.query(_LOAD_FILE, (source,))
        if rows:
            return _file_position(rows[0])
        rows = self._db.query(
            "SELECT cursor, timestamp FROM journal_cursors WHERE source = ?", (source,)
        )
        if rows:
            return JournalCursor(rows[0]["cursor"], rows[0]["timestamp"])
        return None

    def sources(self) -> list[str]:
        """Every source key with a saved position, sorted."""
        rows = self._db.query(
            "SELECT source FROM file_positions UNION SELECT source FROM journal_cursors "
            "ORDER BY source"
        )
        return [row["source"] for row in rows]

    def forget(self, source: str) -> None:
        """Drop what was saved for ``source``. Raises StateError."""
        with self._db.transaction() as sql:
            sql.execute("DELETE FROM file_positions WHERE source = ?", (source,))
            sql.execute("DELETE FROM journal_cursors WHERE source = ?", (source,))


def _file_row(p: FilePosition) -> tuple[object, ...]:
    f = p.fingerprint
    return (
        str(p.path),
        _to_sql(p.device),
        _to_sql(p.inode),
        p.offset,
        f.head_size,
        f.head,
        f.tail_size,
        f.tail,
    )


def _file_position(row: sqlite3.Row) -> FilePosition:
    return FilePosition(
        path=Path(str(row["path"])),
        device=_from_sql(int(row["device"])),
        inode=_from_sql(int(row["inode"])),
        offset=int(row["offset"]),
        fingerprint=Fingerprint(
            head_size=int(row["head_size"]),
            head=str(row["head_digest"]),
            tail_size=int(row["tail_size"]),
            tail=str(row["tail_digest"]),
        ),
    )
