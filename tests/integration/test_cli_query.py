"""``rempart query``: times as people write them, a table with each peak's time, --json,
exit 3 on a missing database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from rempart.cli import main
from rempart.cli.query_cmd import parse_when
from rempart.errors import UsageError
from rempart.metrics.series import SeriesKey
from rempart.store.server_db import open_server_db
from rempart.store.timeseries import SqliteMetricsStore

KEY = SeriesKey("web1", "df", "_dev_sda1")
DAY0 = int(datetime(2025, 3, 1, tzinfo=UTC).timestamp())
PEAK = DAY0 + 86400 + 14 * 3600 + 35 * 60  # 2 March 14:35 UTC
NOW = DAY0 + 10 * 86400
PARIS = timezone(timedelta(hours=1))


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "server.db"
    with open_server_db(path) as db:
        store = SqliteMetricsStore(db)
        for t in range(DAY0, DAY0 + 3 * 86400, 300):
            store.write(t, {KEY: 99.5 if t == PEAK else 40.0})
        store.compact(DAY0 + 3 * 86400 + 3600)
    return path


def test_times_as_people_write_them() -> None:
    assert parse_when("now", NOW, UTC) == NOW
    assert parse_when("-7d", NOW, UTC) == NOW - 7 * 86400
    assert parse_when("-1y", NOW, UTC) == NOW - 365 * 86400
    assert parse_when("2025-03-01", NOW, UTC) == DAY0
    assert parse_when("2025-03-01T10:00", NOW, PARIS) == DAY0 + 9 * 3600
    assert parse_when("2025-03-01T10:00+00:00", NOW, PARIS) == DAY0 + 10 * 3600
    for bad in ("yesterday", "-7x", "", "2025-13-01", "\x1b[2J"):
        with pytest.raises(UsageError):
            parse_when(bad, NOW, UTC)


def test_table_shows_the_peak_and_its_time(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    argv = ["--lang", "en", "query", "web1", "df", "_dev_sda1", "--database", str(database)]
    assert main([*argv, "--from", "2025-03-01", "--to", "2025-03-04", "--step", "1d"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["time", "avg", "min", "min", "at", "max", "max", "at"]
    assert len(lines) == 4
    assert "99.500" in lines[2]
    assert datetime.fromtimestamp(PEAK).strftime("%Y-%m-%d %H:%M") in lines[2]


def test_json_points(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["query", "web1", "df", "_dev_sda1", "--database", str(database), "--json"]
    assert main([*argv, "--from", "2025-03-02", "--to", "2025-03-03", "--step", "1h"]) == 0
    points = json.loads(capsys.readouterr().out)
    assert len(points) == 24
    peak = points[14]
    assert (peak["max"], peak["max_at"], peak["min"]) == (99.5, PEAK, 40.0)
    assert main([*argv, "--from", "2025-03-02T14:30+00:00", "--to", "2025-03-02T14:40+00:00"]) == 0
    assert [p["avg"] for p in json.loads(capsys.readouterr().out)] == [40.0, 99.5]


def test_unknown_series_and_errors(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--lang", "en", "query", "web1", "nope", "x"]
    assert main([*base, "--database", str(database)]) == 0
    assert "No such series" in capsys.readouterr().out
    assert main([*base, "--database", str(tmp_path / "missing.db")]) == 3
    assert "rempart server" in capsys.readouterr().err
    assert main([*base, "--database", str(database), "--from", "now", "--to=-1d"]) == 2
    assert main([*base, "--database", str(database), "--from", "soon"]) == 2
