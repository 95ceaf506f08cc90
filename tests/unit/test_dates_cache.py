"""The date caches (by second, by minute, by hour) never change a reading.

A detector that reads a stream of dates (and so fills its caches) must give, for every
line, exactly what a fresh detector gives for that line alone — across DST changes,
New Year, and every `now`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.guard.dates import DateDetector

PARIS = ZoneInfo("Europe/Paris")
# around the spring and autumn changes of 2026, and New Year
ANCHORS = [
    datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 10, tzinfo=UTC),
    datetime(2026, 12, 31, 22, 0, tzinfo=UTC),
]


def syslog(moment: datetime) -> str:
    local = moment.astimezone(PARIS)
    return f"{local:%b} {local.day:2d} {local:%H:%M:%S} host sshd[1]: x"


def iso(moment: datetime) -> str:
    return f"{moment.astimezone(PARIS).isoformat()} host sshd[1]: x"


def fresh(line: str, now: float, pattern: str | None) -> float | None:
    detector = DateDetector(pattern, tz=PARIS)
    hit = detector.find(line)
    return None if hit is None else detector.epoch(line, hit, now)


@settings(max_examples=60, deadline=None)
@given(
    anchor=st.sampled_from(ANCHORS),
    offsets=st.lists(st.integers(min_value=0, max_value=4 * 3600), min_size=1, max_size=80),
    lag=st.integers(min_value=-2 * 86400, max_value=2 * 86400),
    form=st.sampled_from(["syslog", "iso"]),
)
def test_cached_readings_equal_fresh_ones(
    anchor: datetime, offsets: list[int], lag: int, form: str
) -> None:
    pattern = "{^LN-BEG}"
    detector = DateDetector(pattern, tz=PARIS)
    make = syslog if form == "syslog" else iso
    now = (anchor + timedelta(seconds=lag)).timestamp()
    for offset in sorted(offsets):
        line = make(anchor + timedelta(seconds=offset))
        hit = detector.find(line)
        assert hit is not None
        assert detector.epoch(line, hit, now) == fresh(line, now, pattern), line


def test_a_stream_through_the_autumn_change() -> None:
    """Every second of the repeated hour, in order, read like a fresh detector reads it."""
    detector = DateDetector("{^LN-BEG}", tz=PARIS)
    start = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    now = (start + timedelta(hours=3)).timestamp()
    for second in range(0, 3 * 3600, 7):
        line = syslog(start + timedelta(seconds=second))
        hit = detector.find(line)
        assert hit is not None
        assert detector.epoch(line, hit, now) == fresh(line, now, "{^LN-BEG}")
