"""Agreement with fail2ban on its own annotated sample logs.

The sample logs are fed the way fail2ban's ``samplestestcase.py`` feeds them: every
non-comment line in file order (annotated or not, since multi-line state depends on
all of them), ``# filterOptions:`` switching the set of filter instances (one
``LineFilter`` per option set, kept for the whole file), ``# fileOptions:`` merged into
them, ``# addFILE:`` continuing with another file, ``test.condition`` and
``constraint`` honoured. Each annotated result is then compared with the flattened
ground truth (``groundtruth.jsonl``): match, host, time (whole seconds) and captured
fields.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rempart.guard.matcher import LineFilter, LineKind, LineResult
from rempart.rules.engines import build_line_filter
from rempart.rules.fail2ban import load_fail2ban_filter

DATA = Path(__file__).resolve().parent.parent / "fixtures" / "fail2ban"
NOW = 1124013600.0
TZ = ZoneInfo("Europe/Zurich")
DIRECTIVE = re.compile(r"^#+ ?(failJSON|(?:file|filter)Options|addFILE):(.+)$")
# failJSON keys that are not captured groups
NOT_CAPTURES = {"match", "host", "time", "desc", "constraint", "filter", "attempts"}
RECORD_KEYS = {
    "filter", "file", "lineno", "options", "line", "match", "host", "time_local",
    "epoch_utc", "desc", "attempts",
}  # fmt: skip
REQUIRED_AGREEMENT = 0.99


@dataclass
class Outcome:
    """What rempart made of one annotated line under one option set."""

    result: LineResult


@dataclass
class Walk:
    """State of one pass over a filter's sample logs (fail2ban's test-case semantics)."""

    name: str
    filters: dict[str, LineFilter] = field(default_factory=dict)
    outcomes: dict[tuple[str, int, str], Outcome] = field(default_factory=dict)


def _condition(expression: str, name: str, opts: Mapping[str, Any]) -> bool:
    """The few Python expressions fail2ban's sample logs use, without eval."""
    m = re.fullmatch(r"\s*name\s*(==|!=)\s*'([^']*)'\s*", expression)
    if m:
        return (name == m.group(2)) == (m.group(1) == "==")
    m = re.fullmatch(r"\s*opts\.get\('([^']*)'\)\s*(==|!=)\s*'([^']*)'\s*", expression)
    if m:
        return (opts.get(m.group(1)) == m.group(3)) == (m.group(2) == "==")
    raise AssertionError(f"unsupported condition in a sample log: {expression!r}")


def _key(options: Mapping[str, Any]) -> str:
    return json.dumps(dict(sorted(options.items())))


def _filter(walk: Walk, options: dict[str, str]) -> LineFilter:
    label = walk.name + str(options) if options else walk.name
    if label not in walk.filters:
        definition = load_fail2ban_filter(DATA / "filters" / f"{walk.name}.conf", options)
        walk.filters[label] = build_line_filter(definition, TZ)
    return walk.filters[label]


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            yield lineno, line.rstrip("\r\n")


@dataclass
class Reader:
    """fail2ban's directive state while reading sample logs."""

    walk: Walk
    common: dict[str, Any] = field(default_factory=dict)
    tests: list[tuple[LineFilter, dict[str, Any]]] = field(default_factory=list)
    ignore_block: bool = False
    files: list[str] = field(default_factory=list)

    def directive(self, kind: str, data: Any) -> None:
        if kind == "fileOptions":
            self.common = data
        elif kind == "addFILE":
            self.files.append(data)
        else:  # filterOptions
            self.tests, self.ignore_block = [], False
            for each in data if isinstance(data, list) else [data]:
                opts = {**self.common, **each}
                if opts.get("test.condition"):
                    self.ignore_block = not _condition(opts["test.condition"], self.walk.name, opts)
                if not self.ignore_block:
                    real = {k: v for k, v in opts.items() if not k.startswith("test.")}
                    self.tests.append((_filter(self.walk, real), opts))

    def feed(self, filename: str, lineno: int, text: str, faildata: dict[str, Any]) -> None:
        if not self.tests:
            self.tests = [(_filter(self.walk, {}), {})]
        for line_filter, opts in self.tests:
            constraint = faildata.get("constraint")
            if constraint and not _condition(constraint, self.walk.name, opts):
                continue
            if opts.get("logtype") == "journal":
                line = opts.get("test.prefix-line", "") + text
                result = line_filter.process(line, NOW, NOW)
            else:
                result = line_filter.process(text, NOW)
            if faildata:
                real = {k: v for k, v in opts.items() if not k.startswith("test.")}
                self.walk.outcomes[(filename, lineno, _key(real))] = Outcome(result)


@functools.cache
def _walk(name: str) -> Walk:
    """Feed ``name``'s sample logs like fail2ban's samplestestcase.py does."""
    reader = Reader(Walk(name), files=[name])
    while reader.files:
        filename = reader.files.pop(0)
        reader.ignore_block = False
        lines = _lines(DATA / "logs" / filename)
        for number, text in lines:
            directive = DIRECTIVE.match(text)
            if directive and directive.group(1) != "failJSON":
                reader.directive(directive.group(1), json.loads(directive.group(2)))
                continue
            if directive:
                faildata = json.loads(directive.group(2))
                lineno, line = next(lines)
            elif reader.ignore_block or text.startswith("#") or not text.strip():
                continue
            else:
                faildata, lineno, line = {}, number, text
            if not reader.ignore_block:
                reader.feed(filename, lineno, line, faildata)
    return reader.walk


def _compare(record: dict[str, Any], outcome: Outcome | None) -> str | None:
    """Why rempart disagrees with the record, or None."""
    if outcome is None:
        return "line not evaluated"
    result = outcome.result
    failures = result.failures
    if not record["match"]:
        if failures:
            return f"unexpected failure host={failures[0].host!r} (regex {result.regex})"
        return None
    if len(failures) != 1:
        return f"expected one failure, got {result.kind.value} with {len(failures)}"
    failure, captures = failures[0], result.captures[0]
    if "host" in record and failure.host != record["host"]:
        return f"host {failure.host!r} != {record['host']!r}"
    expected = record.get("epoch_utc")
    if expected is not None and math.floor(failure.time) != math.floor(expected):
        return f"time {failure.time} != {expected} ({record.get('time_local', 'now')})"
    if "attempts" in record and len(failure.lines) != record["attempts"]:
        return f"attempts {len(failure.lines)} != {record['attempts']}"
    for key, expected_value in record.items():
        if key in RECORD_KEYS:
            continue
        got, want = captures.get(key), expected_value
        if isinstance(got, frozenset | set | tuple | list) and isinstance(want, list):
            got, want = sorted(got), sorted(want)
        if got != want:
            return f"{key} {got!r} != {want!r}"
    return None


@functools.cache
def _records() -> list[dict[str, Any]]:
    with (DATA / "groundtruth.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_agreement_with_fail2ban() -> None:
    records = _records()
    walks = {name: _walk(name) for name in sorted({r["filter"] for r in records})}
    disagreements = []
    for record in records:
        outcome = walks[record["filter"]].outcomes.get(
            (record["file"], record["lineno"], _key(record["options"]))
        )
        reason = _compare(record, outcome)
        if reason:
            where = (
                f"{record['filter']}{record['options'] or ''} {record['file']}:{record['lineno']}"
            )
            disagreements.append(f"{where}: {reason}\n    {record['line'][:150]}")
    agreed = len(records) - len(disagreements)
    print(f"\nagreement with fail2ban: {agreed}/{len(records)}")
    for line in disagreements:
        print(line)
    assert len(records) == 1011
    assert agreed / len(records) >= REQUIRED_AGREEMENT, "\n".join(disagreements)


@pytest.mark.parametrize("name", sorted({r["filter"] for r in _records()}))
def test_every_annotated_line_is_evaluated(name: str) -> None:
    walk = _walk(name)
    assert walk.outcomes, name
    kinds = {o.result.kind for o in walk.outcomes.values()}
    assert LineKind.TOO_LONG not in kinds
