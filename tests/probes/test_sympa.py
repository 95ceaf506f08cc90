"""Sympa probe: log wording (golden and hostile), lists per robot, spools, the fixture tree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.metrics.model import Series
from rempart.probes.base import Probe
from rempart.probes.sympa import SympaCounters, SympaProbe, count_lists, parse_sympa_line
from tests.conftest import FIXTURES

HERE = FIXTURES / "probes" / "sympa"
APPENDED = (HERE / "appended.log").read_text().splitlines()


def test_the_log_lines() -> None:
    assert [parse_sympa_line(line) for line in APPENDED] == [
        None,  # another spindle with the same words
        "distributed",
        None,  # bulk's "Done sending"
        "distributed",
        "bounce",
        "bounced_address",
        "bounced_address",
        "bounce",  # RFC 3339 syslog time
        None,  # "No address found"
        None,  # a message-id quoting the distribution wording
        None,  # an error line naming ToList::_twist
        None,  # a Postfix line quoting it
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        [
            "Jan 10 10:20:00 lists sympa_msg[2345]: info Sympa::Spindle::ToList::_twist() Message ",
            "Jan 10 10:22:00 lists bounced[1]: notice Sympa::Spindle::ProcessBounce::_twist() ",
            "Jan 10 10:22:00 lists bounced[1]: notice ",
            "",
        ]
    ),
    st.text(max_size=300),
)
def test_garbage_never_crashes_and_counts_at_most_once(prefix: str, tail: str) -> None:
    counters = SympaCounters()
    counters.feed(prefix + tail)
    assert sum(counters.counts.values()) <= 1
    assert parse_sympa_line(tail) in (None, "distributed", "bounce", "bounced_address")


def test_count_lists_per_robot() -> None:
    lists = count_lists(HERE / "root/var/lib/sympa/list_data")
    assert lists == {"": 1, "lists.example.org": 2, "other.example.net": 1}
    assert count_lists(HERE / "missing") == {}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    shutil.copytree(HERE / "root", root)
    return root


def values(series: tuple[Series, ...]) -> dict[str, dict[str, float | None]]:
    return {s.graph.name: dict(s.values) for s in series}


def test_collect_on_the_fixture_tree(tree: Path) -> None:
    (tree / "var/spool/sympa/outgoing").mkdir()
    probe = SympaProbe(root=tree)
    assert isinstance(probe, Probe)
    assert probe.name == "sympa"
    assert not probe.background
    series = probe.collect()
    assert values(series) == {
        "sympa_lists": {"total": 4, "main": 1, "lists_example_org": 2, "other_example_net": 1},
        "sympa_spool": {"auth": 1, "bounce": 1, "bulk": 3, "msg": 2, "outgoing": 0},
        "sympa_messages": {"distributed": 0, "bounces": 0, "bounced_addresses": 0},
    }
    lists = series[0].graph
    assert [f.label for f in lists.fields][1:] == [
        "main robot (lists directly in list_data)",
        "lists.example.org",
        "other.example.net",
    ]
    with (tree / "var/log/sympa.log").open("a") as log:
        log.write("\n".join(APPENDED) + "\n")
    assert values(probe.collect())["sympa_messages"] == {
        "distributed": 2,
        "bounces": 2,
        "bounced_addresses": 2,
    }
    messages = next(s.graph for s in probe.collect() if s.graph.name == "sympa_messages")
    assert messages.period == "minute"
    assert all(f.type == "DERIVE" for f in messages.fields)


def test_nothing_there_gives_no_series(tmp_path: Path) -> None:
    assert SympaProbe(root=tmp_path).collect() == ()


def test_on_this_machine() -> None:
    series = SympaProbe().collect()
    names = {s.graph.name for s in series}
    assert ("sympa_lists" in names) == Path("/var/lib/sympa/list_data").is_dir()
    for s in series:
        assert set(s.values) == {f.name for f in s.graph.fields}
