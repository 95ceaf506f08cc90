"""The SQLite time-series store: a synthetic year with planted peaks keeps each peak's exact
value and time at every resolution; retention; rewrites; no data; restart."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rempart.config.server import RetentionConfig
from rempart.metrics.model import Field, Graph
from rempart.metrics.series import SeriesKey
from rempart.store.db import Database
from rempart.store.server_db import open_server_db, open_server_db_readonly
from rempart.store.timeseries import SqliteMetricsStore, pick_step

DAY = 86400
LOAD = SeriesKey("web1", "load", "load")
DISK = SeriesKey("web1", "df", "_dev_sda1")
FIRST = int(datetime(2024, 12, 1, tzinfo=UTC).timestamp())
END = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp())


# one peak a month at a known minute, and one dip
PEAKS = {at(2025, m, 10 + m, m + 5, 35): 90.0 + m for m in range(1, 13)}
DIP = (at(2025, 7, 4, 3, 15), -5.0)


def load(t: int) -> float:
    if t in PEAKS:
        return PEAKS[t]
    if t == DIP[0]:
        return DIP[1]
    return 50.0 + 10.0 * math.sin(2 * math.pi * (t % DAY) / DAY)


def fill(store: SqliteMetricsStore, start: int, end: int) -> None:
    for t in range(start, end, 300):
        store.write(t, {LOAD: load(t), DISK: float(t // DAY % 100)})
        if (t + 300) % DAY == 0:
            store.compact(t + 300 + 700)


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("year") / "server.db"
    with open_server_db(path) as db:
        fill(SqliteMetricsStore(db), FIRST, END)
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteMetricsStore]:
    with open_server_db(tmp_path / "server.db") as db:
        yield SqliteMetricsStore(db)


def test_a_year_by_day_keeps_each_peaks_value_and_time(year: Path) -> None:
    with open_server_db_readonly(year) as db:
        data = SqliteMetricsStore(db).read(LOAD, at(2025, 1, 1), at(2026, 1, 1), DAY)
    assert data.step == DAY
    assert len(data) == 365
    assert data.start == at(2025, 1, 1)
    assert data.high is not None
    assert data.high_at is not None
    assert data.low is not None
    assert data.low_at is not None
    for when, value in PEAKS.items():
        slot = (when - data.start) // DAY
        assert (data.high[slot], data.high_at[slot]) == (value, when)
        assert data.low[slot] == pytest.approx(40.0)
        assert data.avg[slot] == pytest.approx(50.0 + 40 / 288, abs=0.2)
    slot = (DIP[0] - data.start) // DAY
    assert (data.low[slot], data.low_at[slot]) == (DIP[1], DIP[0])


def test_a_year_by_hour_keeps_each_peaks_hour(year: Path) -> None:
    with open_server_db_readonly(year) as db:
        data = SqliteMetricsStore(db).read(LOAD, at(2025, 1, 1), at(2026, 1, 1), 3600)
    assert len(data) == 8760
    assert data.high is not None
    assert data.high_at is not None
    for when, value in PEAKS.items():
        slot = (when - data.start) // 3600
        assert (data.high[slot], data.high_at[slot]) == (value, when)
        assert data.high[slot - 1] < 61.0  # the hour before is ordinary
    highest = max(range(len(data)), key=lambda i: data.high[i])  # type: ignore[index]
    assert data.high_at[highest] == at(2025, 12, 22, 17, 35)


def test_a_year_at_full_resolution_is_exact(year: Path) -> None:
    with open_server_db_readonly(year) as db:
        data = SqliteMetricsStore(db).read(LOAD, at(2025, 1, 1), at(2026, 1, 1), 300)
    assert len(data) == 105_120
    assert data.high is None
    assert [data.avg[(w - data.start) // 300] for w in PEAKS] == list(PEAKS.values())
    assert data.avg[(DIP[0] - data.start) // 300] == DIP[1]
    assert all(data.avg[i] == load(data.start + 300 * i) for i in range(0, 105_120, 97))


def test_december_to_december_picks_days_and_spans_the_new_year(year: Path) -> None:
    with open_server_db_readonly(year) as db:
        data = SqliteMetricsStore(db).read(LOAD, at(2024, 12, 1), at(2025, 12, 1))
    assert data.step == DAY
    assert len(data) == 365
    assert not any(math.isnan(v) for v in data.avg)
    assert data.high is not None
    assert max(data.high) == 101.0  # November's peak; December 2025's is outside


def test_restart_keeps_everything(year: Path) -> None:
    with open_server_db(year) as db:
        store = SqliteMetricsStore(db)
        assert store.series() == sorted([LOAD, DISK])
        assert store.stats().samples == 2 * (END - FIRST) // 300
        data = store.read(DISK, at(2025, 3, 1), at(2025, 3, 2), 300)
    assert set(data.avg) == {float(at(2025, 3, 1) // DAY % 100)}


def test_pick_step_bounds_the_number_of_points() -> None:
    assert pick_step(DAY) == 300
    assert pick_step(5 * DAY) == 300
    assert pick_step(30 * DAY) == 3600
    assert pick_step(365 * DAY) == DAY


def test_retention_drops_old_data_resolution_by_resolution(tmp_path: Path) -> None:
    keep = RetentionConfig(samples=10 * DAY, hourly=20 * DAY, daily=30 * DAY)
    start = at(2025, 1, 1)
    with open_server_db(tmp_path / "s.db") as db:
        store = SqliteMetricsStore(db, keep)
        fill(store, start, start + 40 * DAY)
        now = start + 40 * DAY
        store.compact(now + 3600)

        def known(step: int, day: int) -> int:
            data = store.read(LOAD, start + day * DAY, start + (day + 1) * DAY, step)
            return sum(1 for v in data.avg if not math.isnan(v))

        assert known(300, 35) == 288
        assert known(3600, 35) == 24
        assert known(DAY, 35) == 1
        assert known(300, 25) == 0
        assert known(3600, 25) == 24
        assert known(DAY, 25) == 1
        assert known(300, 15) == 0
        assert known(3600, 15) == 0
        assert known(DAY, 15) == 1
        assert known(300, 5) == 0
        assert known(3600, 5) == 0
        assert known(DAY, 5) == 0


def test_a_rewrite_replaces_before_and_after_packing(store: SqliteMetricsStore) -> None:
    t = at(2025, 5, 1, 12, 0)
    store.write(t, {LOAD: 1.0})
    store.write(t, {LOAD: 2.0})
    assert list(store.read(LOAD, t, t + 300, 300).avg) == [2.0]
    store.compact(t + 2 * DAY)
    store.write(t, {LOAD: 3.0})  # a late write into a packed day
    assert list(store.read(LOAD, t, t + 300, 300).avg) == [3.0]
    store.compact(t + 2 * DAY + 3600)
    assert list(store.read(LOAD, t, t + 300, 300).avg) == [3.0]
    day = store.read(LOAD, t, t + 1, DAY)
    assert day.high is not None
    assert day.high_at is not None
    assert (day.avg[0], day.high[0], day.high_at[0]) == (3.0, 3.0, t)


def test_none_nan_and_infinities_are_no_data(store: SqliteMetricsStore) -> None:
    t = at(2025, 5, 1)
    store.write(t, {LOAD: 1.0})
    store.write(t, {LOAD: None})  # replaces with "no data"
    store.write(t + 300, {LOAD: math.nan})
    store.write(t + 600, {LOAD: math.inf})
    assert all(math.isnan(v) for v in store.read(LOAD, t, t + 900, 300).avg)
    store.compact(t + 2 * DAY)
    assert all(math.isnan(v) for v in store.read(LOAD, t, t + 900, 300).avg)
    assert list(store.read(LOAD, t, t + DAY, DAY).high_at or [1]) == [0]


def test_unknown_series_is_empty_not_an_error(store: SqliteMetricsStore) -> None:
    data = store.read(SeriesKey("nope", "x", "y"), 0, DAY)
    assert len(data) == 0
    with pytest.raises(ValueError, match="step"):
        store.read(LOAD, 0, DAY, 60)


def test_recent_and_packed_days_merge_in_rollups(store: SqliteMetricsStore) -> None:
    start = at(2025, 2, 1)
    fill(store, start, start + 2 * DAY + 6 * 3600)  # two packed days and six hours of rows
    data = store.read(LOAD, start, start + 3 * DAY, 3600)
    known = [i for i, v in enumerate(data.avg) if not math.isnan(v)]
    assert known == list(range(48 + 6))
    days = store.read(LOAD, start, start + 3 * DAY, DAY)
    assert days.low_at is not None
    assert list(days.low_at) == [start + 18 * 3600, start + DAY + 18 * 3600, start + 2 * DAY]


def test_graph_descriptions_round_trip(tmp_path: Path) -> None:
    graph = Graph(
        "df",
        "Disk usage in percent",
        "disk",
        (Field("_dev_sda1", "/", warning="92", critical="98", min=0.0), Field("x", "été")),
        vlabel="%",
        order=("x", "_dev_sda1"),
    )
    path = tmp_path / "s.db"
    with open_server_db(path) as db:
        store = SqliteMetricsStore(db)
        store.save_graphs("web1", "Gandi", [graph, Graph("load", "Load", "system", ())], 1.0)
        store.save_graphs("mail", "TTN", [graph], 2.0)
        store.save_graphs("web1", "TTN", [graph], 3.0)  # moved to another group
    with open_server_db_readonly(path) as db:
        store = SqliteMetricsStore(db)
        assert store.hosts() == [("mail", "TTN"), ("web1", "TTN")]
        assert store.graphs("web1") == [graph, Graph("load", "Load", "system", ())]
        assert store.graphs("nobody") == []


def test_stats_count_samples_and_bytes(store: SqliteMetricsStore) -> None:
    start = at(2025, 2, 1)
    fill(store, start, start + DAY + 3600)
    stats = store.stats()
    assert stats.series == 2
    assert stats.samples == 2 * (288 + 12)
    assert stats.bytes > 0


def test_a_damaged_chunk_is_a_state_error(tmp_path: Path) -> None:
    from rempart.errors import StateError

    path = tmp_path / "s.db"
    with open_server_db(path) as db:
        store = SqliteMetricsStore(db)
        fill(store, at(2025, 2, 1), at(2025, 2, 2))
        with db.transaction() as c:
            c.execute("UPDATE chunks SET data = x'02deadbeef'")
        with pytest.raises(StateError, match="series"):
            store.read(LOAD, at(2025, 2, 1), at(2025, 2, 2), 300)
    assert isinstance(db, Database)
