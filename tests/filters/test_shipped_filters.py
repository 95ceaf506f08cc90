"""Every shipped filter's samples, walked in order through every mode they name.

Samples of one filter share one LineFilter per mode, in file order, so multi-line
rules (a failure completed by a later line of the same connection) are tested too.
A sample with ``source_time`` is fed as a journal entry (the time comes with the line).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from rempart.guard.matcher import LineFilter, LineKind, LineResult
from rempart.rules.catalog import load_shipped, shipped_filter_names
from rempart.rules.engines import build_line_filter, build_success_filter
from rempart.rules.native import NativeFilter, Sample

CASES = [(name, mode) for name in shipped_filter_names() for mode in load_shipped(name).modes]


def _epoch(text: str, tz: ZoneInfo) -> float:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (dt if dt.tzinfo else dt.replace(tzinfo=tz)).timestamp()


def _results(native: NativeFilter, mode: str) -> list[tuple[int, Sample, LineResult]]:
    """(index, sample, result) for the samples of ``mode``, fed in file order."""
    tz = ZoneInfo(native.sample_timezone)
    now = _epoch(native.sample_now, tz) if native.sample_now else 1_795_000_000.0
    line_filter: LineFilter = build_line_filter(native.definition(mode), tz)
    out = []
    for i, sample in enumerate(native.samples):
        if mode in sample.modes:
            stamp = _epoch(sample.source_time, tz) if sample.source_time else None
            out.append((i, sample, line_filter.process(sample.line, now, stamp)))
    return out


def _problems(native: NativeFilter, mode: str) -> list[str]:
    tz = ZoneInfo(native.sample_timezone)
    problems = []
    for i, sample, result in _results(native, mode):
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
    problems = _problems(native, mode)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("name", "mode"), CASES)
def test_every_rule_has_a_matching_sample(name: str, mode: str) -> None:
    """Each failregex of each mode matches at least one sample line of that mode: as a
    failure, or as a helper (a success, the end of a connection, a pending failure)."""
    native = load_shipped(name)
    hit = {
        result.regex
        for _i, _sample, result in _results(native, mode)
        if result.kind in (LineKind.MATCHED, LineKind.HELPER)
    }
    missing = set(range(len(native.definition(mode).failregex))) - hit
    assert not missing, f"{name}[mode={mode}]: rules without a matching sample: {sorted(missing)}"


@pytest.mark.parametrize("name", shipped_filter_names())
def test_every_mode_has_positive_and_negative_samples(name: str) -> None:
    native = load_shipped(name)
    for mode in native.modes:
        kinds = {s.match for s in native.samples if mode in s.modes}
        assert kinds == {True, False}, f"{name}[mode={mode}]: needs samples that match and not"


def test_wordpress_names_the_attacked_site() -> None:
    """The virtual host is captured (F-VHOST) so the admin knows which member's site it is."""
    native = load_shipped("wordpress")
    line_filter = build_line_filter(native.definition("aggressive"))
    now = _epoch("2026-11-21T12:00:00Z", ZoneInfo("UTC"))
    line = (
        'blog.example.org:443 192.0.2.7 - - [21/Nov/2026:09:50:02 +0000] "POST /xmlrpc.php '
        'HTTP/1.1" 200 512 "-" "-"'
    )
    result = line_filter.process(line, now)
    assert [f.host for f in result.failures] == ["192.0.2.7"]
    assert result.captures[0]["vhost"] == "blog.example.org:443"
    plain = line_filter.process(line.split(" ", 1)[1], now)
    assert [f.host for f in plain.failures] == ["192.0.2.7"]
    assert plain.captures[0]["vhost"] is None


@pytest.mark.parametrize("name", shipped_filter_names())
def test_samples_cover_ipv4_and_ipv6(name: str) -> None:
    hosts = {s.host for s in load_shipped(name).samples if s.match and s.host}
    assert any(":" in h for h in hosts), f"{name}: no IPv6 failure sample"
    assert any("." in h and ":" not in h for h in hosts), f"{name}: no IPv4 failure sample"


def _success_results(native: NativeFilter, mode: str) -> list[tuple[int, Sample, LineResult]]:
    """(index, sample, result) of the success filter of ``mode``, samples fed in order."""
    tz = ZoneInfo(native.sample_timezone)
    now = _epoch(native.sample_now, tz) if native.sample_now else 1_795_000_000.0
    success = build_success_filter(native.definition(mode), tz)
    assert success is not None
    out = []
    for i, sample in enumerate(native.samples):
        if mode in sample.modes:
            stamp = _epoch(sample.source_time, tz) if sample.source_time else None
            out.append((i, sample, success.process(sample.line, now, stamp)))
    return out


@pytest.mark.parametrize(("name", "mode"), CASES)
def test_success_samples(name: str, mode: str) -> None:
    """``success = true`` samples are exactly one login (of ``host``, ``user``, at
    ``time``); every other sample line, failures included, is none."""
    native = load_shipped(name)
    if not native.definition(mode).successregex:
        assert not [s for s in native.samples if s.success], f"{name}: no success rule"
        assert build_success_filter(native.definition(mode)) is None
        return
    tz = ZoneInfo(native.sample_timezone)
    problems = []
    for i, sample, result in _success_results(native, mode):
        where = f"samples[{i}] {sample.line[:90]!r}"
        logins = [(f.host, f.user) for f in result.failures]
        if not sample.success:
            if logins:
                problems.append(f"{where}: expected no login, got {logins}")
            continue
        assert not sample.match, f"{where}: a sample is a failure or a login, not both"
        if len(logins) != 1:
            problems.append(f"{where}: expected one login, got {logins}")
            continue
        login = result.failures[0]
        if sample.host is not None and login.host != sample.host:
            problems.append(f"{where}: host {login.host!r} != {sample.host!r}")
        if sample.user is not None and login.user != sample.user:
            problems.append(f"{where}: user {login.user!r} != {sample.user!r}")
        if sample.time is not None and int(login.time) != int(_epoch(sample.time, tz)):
            problems.append(f"{where}: time {login.time} != {sample.time}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("name", "mode"), CASES)
def test_every_success_rule_has_a_sample(name: str, mode: str) -> None:
    native = load_shipped(name)
    rules = native.definition(mode).successregex
    if not rules:
        return
    hit = {r.regex for _i, _s, r in _success_results(native, mode) if r.kind is LineKind.MATCHED}
    assert hit == set(range(len(rules)))
