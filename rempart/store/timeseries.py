"""Time series of the supervision server in SQLite (implements :class:`MetricsStore`).

Three forms, one per age (tables in ``server_migrations/0001_series.sql``):

- ``samples``: the recent 5-minute values, one row each (``series, t, value``, WITHOUT ROWID,
  primary key ``(series, t)``): a round of 10,000 values is one ``executemany``;
- ``chunks``: once a UTC day is closed, :meth:`SqliteMetricsStore.compact` packs each series'
  day into one blob (288 float64 slots, :mod:`rempart.metrics.chunks`) — lossless, a year of
  one field is 365 rows;
- ``rollups``: at the same time, the day's rollup (count, average, minimum, maximum and the
  time of each extreme) and its 24 hourly rollups (one blob), so a year at 1 hour or 1 day
  keeps every peak's value and hour even after the 5-minute data expired.

Reads merge the forms: chunks, then the rows written since (a late write replaces the packed
value); rollups of days not packed yet are computed from the 5-minute data. Retention
(:class:`RetentionConfig`) drops chunks, then hourly blobs, then daily rows (0: forever).

Every method runs in the one writer thread (or, for reads, on a read-only connection of
the CLI); every statement is parameterised.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import sqlite3
from array import array
from collections.abc import Mapping, Sequence
from typing import Any

from rempart.config.server import RetentionConfig
from rempart.errors import StateError
from rempart.metrics.chunks import DAY, SLOTS, decode_day, decode_hours, encode_day, encode_hours
from rempart.metrics.model import Field, Graph
from rempart.metrics.rollup import Bucket, merge_all, roll_up
from rempart.metrics.series import STEP, SeriesData, SeriesKey, StoreStats
from rempart.store.db import Database

__all__ = ["GRACE", "MAX_POINTS", "STEPS", "SqliteMetricsStore", "pick_step"]

STEPS = (STEP, 3600, DAY)  # the resolutions a read can ask for
MAX_POINTS = 1500  # read(step=None) picks the finest step giving at most about this many
GRACE = 2 * STEP  # a day is closed (packed) this long after it ends: late rounds still land
_NAN = math.nan
_DEFAULT_RETENTION = RetentionConfig()
_DAY_BITS = 20  # day numbers up to 2^20 (year 4840)
_DAYS = (1 << _DAY_BITS) - 1
_BATCH = 2000  # packed days written per executemany
_GRAPH_KEYS = {f.name for f in dataclasses.fields(Graph)}
_FIELD_KEYS = {f.name for f in dataclasses.fields(Field)}


def pick_step(span: float) -> int:
    """The finest step giving at most about :data:`MAX_POINTS` points over ``span`` seconds:
    300 up to about 5 days, 3600 up to about 62 days, 86400 beyond."""
    for step in STEPS[:-1]:
        if span / step <= MAX_POINTS:
            return step
    return DAY


class SqliteMetricsStore:
    """The :class:`~rempart.metrics.storage.MetricsStore` of ``server.db``."""

    def __init__(self, db: Database, retention: RetentionConfig = _DEFAULT_RETENTION) -> None:
        self._db = db
        self._retention = retention
        self._ids: dict[SeriesKey, int] = {
            SeriesKey(h, g, f): int(i)
            for i, h, g, f in db.tuples("SELECT id, host, graph, field FROM series")
        }
        self._packed_until = -1  # boundary of the last packing (-1: not since start)
        self._late = False  # a write landed before that boundary since
        self._expired_day = -1  # the day of the last retention pass

    # ------------------------------------------------------------------ graphs

    def save_graphs(self, host: str, group: str, graphs: Sequence[Graph], at: float) -> None:
        rows = [
            (host, g.name, group, json.dumps(dataclasses.asdict(g), ensure_ascii=False), at)
            for g in graphs
        ]
        with self._db.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO graphs VALUES (?, ?, ?, ?, ?)", rows)
            c.execute("UPDATE graphs SET grp = ? WHERE host = ? AND grp != ?", (group, host, group))

    def hosts(self) -> list[tuple[str, str]]:
        rows = self._db.tuples("SELECT DISTINCT host, grp FROM graphs ORDER BY host, grp")
        return [(str(h), str(g)) for h, g in rows]

    def graphs(self, host: str) -> list[Graph]:
        rows = self._db.tuples(
            "SELECT description FROM graphs WHERE host = ? ORDER BY graph", (host,)
        )
        return [_graph(json.loads(text)) for (text,) in rows]

    # ------------------------------------------------------------------ writing

    def write(self, at: int, values: Mapping[SeriesKey, float | None]) -> int:
        t = int(at) - int(at) % STEP
        new: dict[SeriesKey, int] = {}
        rows = []
        with self._db.transaction() as c:
            for key, value in values.items():
                sid = self._ids.get(key) or new.get(key) or self._create(c, key, new)
                known = value is not None and math.isfinite(value)
                rows.append((sid, t, float(value) if known else None))  # type: ignore[arg-type]
            c.executemany("INSERT OR REPLACE INTO samples VALUES (?, ?, ?)", rows)
        self._ids.update(new)
        if t < self._packed_until:
            self._late = True
        return len(rows)

    @staticmethod
    def _create(c: sqlite3.Connection, key: SeriesKey, new: dict[SeriesKey, int]) -> int:
        cursor = c.execute(
            "INSERT INTO series (host, graph, field) VALUES (?, ?, ?)",
            (key.host, key.graph, key.field),
        )
        new[key] = int(cursor.lastrowid or 0)
        return new[key]

    # ------------------------------------------------------------------ housekeeping

    def compact(self, now: float) -> int:
        boundary = int(now - GRACE) // DAY * DAY
        moved = 0
        with self._db.transaction() as c:
            if boundary != self._packed_until or self._late:
                moved = self._pack(c, boundary)
            today = int(now) // DAY * DAY
            if today != self._expired_day:
                self._expire(c, now)
        self._packed_until, self._late = boundary, False
        self._expired_day = int(now) // DAY * DAY
        return moved

    def _pack(self, c: sqlite3.Connection, boundary: int) -> int:
        """Move the samples of days before ``boundary`` into chunks and rollups."""
        cursor = c.cursor()
        cursor.row_factory = None
        cursor.execute(
            "SELECT series, t, value FROM samples WHERE t < ? ORDER BY series, t", (boundary,)
        )
        moved, chunks, rollups, empty = 0, [], [], []
        for (sid, day), group in itertools.groupby(cursor, key=lambda r: (r[0], r[1] // DAY * DAY)):
            values = self._day_values(c, sid, day)
            for _, t, value in group:
                values[(t - day) // STEP] = _NAN if value is None else value
                moved += 1
            count = sum(1 for v in values if not math.isnan(v))
            if count == 0:
                empty.append((sid, day))
                continue
            hours = roll_up(values, day, STEP, 3600)
            daily = merge_all(day, hours)
            assert daily is not None
            chunks.append((_chunk_id(sid, day), count, encode_day(values)))
            rollups.append((sid, day, *_columns(daily), encode_hours(hours)))
            if len(chunks) >= _BATCH:
                _flush(c, chunks, rollups, empty)
        _flush(c, chunks, rollups, empty)
        c.execute("DELETE FROM samples WHERE t < ?", (boundary,))
        return moved

    def _day_values(self, c: sqlite3.Connection, sid: int, day: int) -> array[float]:
        row = c.execute("SELECT data FROM chunks WHERE id = ?", (_chunk_id(sid, day),)).fetchone()
        if row is None:
            return array("d", [_NAN]) * SLOTS
        return self._decode(row[0], sid, day)

    def _expire(self, c: sqlite3.Connection, now: float) -> None:
        keep = self._retention
        if keep.samples > 0:
            cutoff = int(now - keep.samples)
            c.execute("DELETE FROM chunks WHERE (id & ?) * ? + ? <= ?", (_DAYS, DAY, DAY, cutoff))
            c.execute("DELETE FROM samples WHERE t < ?", (cutoff,))
        if keep.hourly > 0:
            c.execute(
                "UPDATE rollups SET hourly = NULL WHERE hourly IS NOT NULL AND day + ? <= ?",
                (DAY, int(now - keep.hourly)),
            )
        if keep.daily > 0:
            c.execute("DELETE FROM rollups WHERE day + ? <= ?", (DAY, int(now - keep.daily)))

    # ------------------------------------------------------------------ reading

    def series(self, host: str | None = None) -> list[SeriesKey]:
        if host is None:
            rows = self._db.tuples("SELECT host, graph, field FROM series")
        else:
            rows = self._db.tuples("SELECT host, graph, field FROM series WHERE host = ?", (host,))
        return sorted(SeriesKey(str(h), str(g), str(f)) for h, g, f in rows)

    def read(self, key: SeriesKey, start: float, end: float, step: int | None = None) -> SeriesData:
        step = pick_step(end - start) if step is None else step
        if step not in STEPS:
            raise ValueError(f"step must be one of {STEPS}, not {step}")
        first = int(start) // step * step
        last = max(first, -(-math.ceil(end) // step) * step)
        sid = self._sid(key)
        if sid is None:
            return SeriesData(key, first, step, array("d"))
        if step == STEP:
            return SeriesData(key, first, step, self._fine(sid, first, last))
        return self._rolled(key, sid, first, last, step)

    def _sid(self, key: SeriesKey) -> int | None:
        sid = self._ids.get(key)
        if sid is None:  # written by the server since this (read-only) store opened?
            rows = self._db.tuples(
                "SELECT id FROM series WHERE host = ? AND graph = ? AND field = ?",
                (key.host, key.graph, key.field),
            )
            sid = int(rows[0][0]) if rows else None
        return sid

    def _fine(self, sid: int, first: int, last: int) -> array[float]:
        """5-minute values of ``[first, last)`` (both multiples of 300): chunks, then rows."""
        n = (last - first) // STEP
        out = array("d", [_NAN]) * n
        rows = self._db.tuples(
            "SELECT id, data FROM chunks WHERE id >= ? AND id < ? ORDER BY id",
            (_chunk_id(sid, first - first % DAY), _chunk_id(sid, last + DAY - 1)),
        )
        for cid, blob in rows:
            day = (cid & _DAYS) * DAY
            offset = (day - first) // STEP
            lo, hi = max(0, -offset), min(SLOTS, n - offset)
            out[offset + lo : offset + hi] = self._decode(blob, sid, day)[lo:hi]
        for t, value in self._db.tuples(
            "SELECT t, value FROM samples WHERE series = ? AND t >= ? AND t < ?", (sid, first, last)
        ):
            out[(t - first) // STEP] = _NAN if value is None else value
        return out

    def _rolled(self, key: SeriesKey, sid: int, first: int, last: int, step: int) -> SeriesData:
        n = (last - first) // step
        grid = _Grid(n)
        day0 = first - first % DAY
        rows = self._db.tuples(
            "SELECT day, count, avg, min, min_at, max, max_at, hourly FROM rollups "
            "WHERE series = ? AND day >= ? AND day < ? ORDER BY day",
            (sid, day0, last),
        )
        done = set()
        for day, count, avg, low, low_at, high, high_at, hourly in rows:
            if step == DAY:
                grid.put(
                    (day - first) // step,
                    Bucket(day, count, avg * count, low, low_at, high, high_at),
                )
            elif hourly is not None:
                block = self._decode_hours(hourly, sid, day)
                for hour in range(24):
                    grid.put((day + hour * 3600 - first) // step, block.bucket(hour))
            else:
                continue
            done.add(day)
        self._recent(sid, first, last, step, grid, done)
        return grid.data(key, first, step)

    def _recent(
        self, sid: int, first: int, last: int, step: int, grid: _Grid, done: set[int]
    ) -> None:
        """Buckets of days not rolled up yet (not packed): from the 5-minute data."""
        rows = self._db.tuples("SELECT min(t) FROM samples WHERE series = ?", (sid,))
        oldest = rows[0][0] if rows else None
        if oldest is None:
            return
        begin = max(first, int(oldest) // step * step)
        if begin >= last:
            return
        buckets = roll_up(self._fine(sid, begin, last), begin, STEP, step)
        for bucket in buckets:
            if bucket is not None and bucket.start - bucket.start % DAY not in done:
                grid.put((bucket.start - first) // step, bucket)

    def _decode(self, blob: bytes, sid: int, day: int) -> array[float]:
        try:
            return decode_day(blob)
        except ValueError as exc:
            raise _damaged(self._db, sid, day, exc) from exc

    def _decode_hours(self, blob: bytes, sid: int, day: int) -> Any:
        try:
            return decode_hours(blob, day)
        except ValueError as exc:
            raise _damaged(self._db, sid, day, exc) from exc

    def stats(self) -> StoreStats:
        series = self._db.tuples("SELECT count(*) FROM series")[0][0]
        rows = self._db.tuples("SELECT count(value) FROM samples")[0][0]
        packed = self._db.tuples("SELECT total(count) FROM chunks")[0][0]
        pages = self._db.tuples("PRAGMA page_count")[0][0]
        size = self._db.tuples("PRAGMA page_size")[0][0]
        return StoreStats(int(series), int(rows) + int(packed), int(pages) * int(size))


class _Grid:
    """The arrays of a rollup read being filled."""

    def __init__(self, n: int) -> None:
        self.avg = array("d", [_NAN]) * n
        self.low = array("d", [_NAN]) * n
        self.high = array("d", [_NAN]) * n
        self.low_at = array("q", [0]) * n
        self.high_at = array("q", [0]) * n

    def put(self, index: int, bucket: Bucket | None) -> None:
        if bucket is None or not 0 <= index < len(self.avg):
            return
        self.avg[index] = bucket.avg
        self.low[index], self.low_at[index] = bucket.low, bucket.low_at
        self.high[index], self.high_at[index] = bucket.high, bucket.high_at

    def data(self, key: SeriesKey, first: int, step: int) -> SeriesData:
        return SeriesData(
            key, first, step, self.avg, self.low, self.high, self.low_at, self.high_at
        )


def _chunk_id(sid: int, day: int) -> int:
    """The key of a series' day in ``chunks``: ``sid << 20 | day number``."""
    return sid << _DAY_BITS | day // DAY


def _columns(b: Bucket) -> tuple[int, float, float, int, float, int]:
    return (b.count, b.avg, b.low, b.low_at, b.high, b.high_at)


def _flush(
    c: sqlite3.Connection,
    chunks: list[tuple[Any, ...]],
    rollups: list[tuple[Any, ...]],
    empty: list[tuple[int, int]],
) -> None:
    c.executemany("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?)", chunks)
    c.executemany("INSERT OR REPLACE INTO rollups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rollups)
    c.executemany("DELETE FROM chunks WHERE id = ?", [(_chunk_id(s, d),) for s, d in empty])
    c.executemany("DELETE FROM rollups WHERE series = ? AND day = ?", empty)
    for batch in (chunks, rollups, empty):
        batch.clear()


def _damaged(db: Database, sid: int, day: int, exc: ValueError) -> StateError:
    return StateError(
        "state.unusable",
        path=db.path,
        reason=f"series {sid}, day {day}: {exc}",
        fix="restore a backup of the server database",
    )


def _graph(data: Any) -> Graph:
    fields = tuple(_field(f) for f in data.get("fields", ()))
    values = {k: v for k, v in data.items() if k in _GRAPH_KEYS and k != "fields"}
    values["order"] = tuple(values.get("order", ()))
    return Graph(**values, fields=fields)


def _field(data: Any) -> Field:
    return Field(**{k: v for k, v in data.items() if k in _FIELD_KEYS})
