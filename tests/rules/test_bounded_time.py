"""A 1 MB line or a ReDoS-shaped line cannot stall the engine.

Every fixture fail2ban filter (each option set its sample logs use) and every shipped
rempart filter (each mode), built as production builds them (RE2 for long lines and
dangerous regexes), gets:

- 1 MB lines shaped like its sample lines: each completes within a generous bound;
- hostile lines just under ``SHORT_LINE_LIMIT`` (runs of spaces, words and separators
  inside a sample line, repeated fragments): each completes within a generous bound
  (``bench/matcher_micro.py --worst`` measures the real worst case, about 20 ms).

Shipped rempart filters must compile entirely under RE2 (no line is ever too long).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rempart.guard.definition import FilterDefinition
from rempart.guard.matcher import SHORT_LINE_LIMIT, LineFilter, LineKind
from rempart.rules.catalog import load_shipped, shipped_filter_names
from rempart.rules.engines import build_line_filter
from rempart.rules.fail2ban import load_fail2ban_filter

DATA = Path(__file__).resolve().parent.parent / "fixtures" / "fail2ban"
NOW = 1124013600.0
TZ = ZoneInfo("Europe/Zurich")
LONG_BOUND = 2.0  # seconds for a 1 MB line (RE2 takes milliseconds)
HOSTILE_BOUND = 1.0  # seconds for a line under the short-line limit
MEGABYTE = 1 << 20


def _fail2ban_cases() -> list[tuple[str, dict[str, str]]]:
    seen: dict[str, tuple[str, dict[str, str]]] = {}
    with (DATA / "groundtruth.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            seen[record["filter"] + json.dumps(record["options"], sort_keys=True)] = (
                record["filter"],
                record["options"],
            )
    return sorted(seen.values(), key=lambda case: (case[0], sorted(case[1].items())))


def _samples(name: str, count: int = 2) -> list[str]:
    path = DATA / "logs" / name
    lines = [t for t in path.read_text(encoding="utf-8").splitlines() if t and t[0] != "#"]
    step = max(1, len(lines) // count)
    return lines[::step][:count]


def _long_lines(sample: str) -> Iterator[str]:
    yield (sample + " ") * (MEGABYTE // (len(sample) + 1))
    yield sample[: len(sample) // 2] + "a" * MEGABYTE + sample[len(sample) // 2 :]
    yield sample + " " * MEGABYTE + "!"


def hostile_lines(sample: str, limit: int = SHORT_LINE_LIMIT) -> Iterator[str]:
    """Lines shaped to make backtracking regexes work hard, just under ``limit``."""
    half = limit // 2
    words = sample.split(" ")
    cut = len(words) // 2
    for filler in (" ", "\t", "a", "a ", "1.", "::", "[a] ", '"a" ', "x=", "for "):
        run = filler * (half // len(filler))
        yield (sample[: limit - len(run) - 1] + run)[: limit - 1]
        yield (" ".join(words[:cut]) + " " + run + " ".join(words[cut:]))[: limit - 1]
    for i in range(1, len(words), max(1, len(words) // 4)):
        middle = " ".join(words[i - 1 : i + 1]) + " "
        yield (" ".join(words[:i]) + " " + middle * (half // len(middle)) + "!")[: limit - 1]


def _timed(line_filter: LineFilter, line: str) -> tuple[float, LineKind]:
    started = time.process_time()
    kind = line_filter.process(line, NOW).kind
    return time.process_time() - started, kind


def _check(line_filter: LineFilter, samples: list[str]) -> list[str]:
    slow = []
    for sample in samples:
        for line in _long_lines(sample):
            elapsed, kind = _timed(line_filter, line)
            if elapsed > LONG_BOUND:
                slow.append(f"{elapsed:.2f} s for a 1 MB line ({kind.value}) {line[:60]!r}")
        for line in hostile_lines(sample):
            elapsed, _kind = _timed(line_filter, line)
            if elapsed > HOSTILE_BOUND:
                slow.append(f"{elapsed:.2f} s for {line[:60]!r}…")
    return slow


@pytest.mark.parametrize(("name", "options"), _fail2ban_cases())
def test_fail2ban_filters_are_bounded(name: str, options: dict[str, str]) -> None:
    definition = load_fail2ban_filter(DATA / "filters" / f"{name}.conf", options)
    slow = _check(build_line_filter(definition, TZ), _samples(name))
    assert not slow, "\n".join(slow)


def _shipped_cases() -> list[tuple[str, str]]:
    return [(name, mode) for name in shipped_filter_names() for mode in load_shipped(name).modes]


@pytest.mark.parametrize(("name", "mode"), _shipped_cases())
def test_shipped_filters_are_bounded_and_re2_compatible(name: str, mode: str) -> None:
    native = load_shipped(name)
    line_filter = build_line_filter(native.definition(mode), ZoneInfo(native.sample_timezone))
    assert line_filter.long_lines_supported, f"{name}[{mode}]: a regex does not compile in RE2"
    assert not line_filter.warnings, line_filter.warnings
    samples = [s.line for s in native.samples][:2]
    slow = _check(line_filter, samples)
    assert not slow, "\n".join(slow)
    for sample in samples:
        for line in _long_lines(sample):
            assert line_filter.process(line, NOW).kind is not LineKind.TOO_LONG


def test_one_megabyte_line_without_linear_engine_is_too_long_never_a_failure() -> None:
    definition = load_fail2ban_filter(DATA / "filters" / "sshd.conf", {"mode": "aggressive"})
    line_filter = LineFilter(definition, tz=TZ)
    sample = "Jun 21 16:47:48 host sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2"
    for line in _long_lines(sample):
        elapsed, kind = _timed(line_filter, line)
        assert kind is LineKind.TOO_LONG
        assert elapsed < LONG_BOUND


def test_catastrophic_user_regex_is_refused_or_bounded() -> None:
    definition = FilterDefinition(
        name="evil", origin="test", failregex=(r"^(a+)+ from <HOST>$", r"^(\S+\s*)+x <HOST>$")
    )
    bounded = build_line_filter(definition, TZ)
    for line in ("a" * 40 + "!", "a" * 4000 + "!", "a b " * 30 + "!", "a b " * 1000 + "!"):
        elapsed, kind = _timed(bounded, line)
        assert kind is LineKind.MISSED
        assert elapsed < HOSTILE_BOUND
