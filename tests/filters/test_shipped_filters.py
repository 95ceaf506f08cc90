"""Every shipped filter's samples, walked in order through every mode they name.

Samples of one filter share one LineFilter per mode, in file order, so multi-line
rules (a failure completed by a later line of the same connection) are tested too.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from rempart.guard.matcher import LineFilter
from rempart.rules.catalog import load_shipped, shipped_filter_names
from rempart.rules.native import NativeFilter

CASES = [(name, mode) for name in shipped_filter_names() for mode in load_shipped(name).modes]


def _epoch(text: str, tz: ZoneInfo) -> float:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (dt if dt.tzinfo else dt.replace(tzinfo=tz)).timestamp()


def _walk(native: NativeFilter, mode: str) -> list[str]:
    tz = ZoneInfo(native.sample_timezone)
    now = _epoch(native.sample_now, tz) if native.sample_now else 1_795_000_000.0
    line_filter = LineFilter(native.definition(mode), tz=tz)
    problems = []
    for i, sample in enumerate(native.samples):
        if mode not in sample.modes:
            continue
        stamp = _epoch(sample.source_time, tz) if sample.source_time else None
        result = line_filter.process(sample.line, now, stamp)
        where = f"samples[{i}] {sample.line[:90]!r}"
        if not sample.match:
            if result.failures:
                problems.append(f"{where}: expected no failure, got {result.failures[0].host}")
            continue
        if len(result.failures) != 1:
            problems.append(f"{where}: expected one failure, got {len(result.failures)}")
            continue
        failure = result.failures[0]
        if sample.host is not None and failure.host != sample.host:
            problems.append(f"{where}: host {failure.host!r} != {sample.host!r}")
        if sample.time is not None and int(failure.time) != int(_epoch(sample.time, tz)):
            problems.append(f"{where}: time {failure.time} != {sample.time}")
        if sample.user is not None and failure.user != sample.user:
            problems.append(f"{where}: user {failure.user!r} != {sample.user!r}")
    return problems


@pytest.mark.parametrize(("name", "mode"), CASES)
def test_samples(name: str, mode: str) -> None:
    native = load_shipped(name)
    assert native.samples, f"{name} has no samples"
    problems = _walk(native, mode)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", shipped_filter_names())
def test_every_rule_has_a_matching_sample(name: str) -> None:
    """Each failregex of each mode is exercised by at least one matching sample."""
    native = load_shipped(name)
    for mode in native.modes:
        tz = ZoneInfo(native.sample_timezone)
        now = _epoch(native.sample_now, tz) if native.sample_now else 1_795_000_000.0
        line_filter = LineFilter(native.definition(mode), tz=tz)
        hit = set()
        for sample in native.samples:
            if mode in sample.modes:
                result = line_filter.process(sample.line, now)
                hit.update(f.regex for f in result.failures)
        missing = set(range(len(native.definition(mode).failregex))) - hit
        assert not missing, (
            f"{name}[mode={mode}]: rules without a matching sample: {sorted(missing)}"
        )
