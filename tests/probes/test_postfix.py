"""Postfix probe: line parser (golden and hostile), counters, the fixture tree, Munin's names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.metrics.model import Series
from rempart.munin.format import config_lines, fetch_lines
from rempart.probes.base import Probe
from rempart.probes.postfix import (
    QUEUES,
    MailCounters,
    MailEvent,
    PostfixProbe,
    parse_mail_line,
)
from tests.conftest import FIXTURES

HERE = FIXTURES / "probes" / "postfix"
SYNTHETIC = (HERE / "appended.log").read_text().splitlines()[:10]


def test_synthetic_mail_log_lines() -> None:
    assert [parse_mail_line(line) for line in SYNTHETIC] == [
        None,
        MailEvent("reject", reason="554"),
        None,
        MailEvent("size", "4ABC123DEF", size=4096),
        MailEvent("sent", "4ABC123DEF"),
        MailEvent("deferred", "4ABC123DEF"),
        MailEvent("size", "5DEF456ABC", size=2048),
        MailEvent("sent", "5DEF456ABC"),
        MailEvent("reject", reason="550"),
        MailEvent("sent", "6AAA789BBB"),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Mar  7 02:09:33 server postfix/smtpd[27246]: 1D8CC1CA0A7F: milter-reject: DATA from"
            " x.example.com[192.0.2.151]: 550 5.7.1 Command rejected; from=<a@b> to=<c@d>",
            MailEvent("reject", reason="550"),
        ),
        (
            "May  5 15:51:11 xxx postfix/postscreen[1148]: NOQUEUE: reject: RCPT from"
            " [216.245.194.173]:60591: 550 5.7.1 Service unavailable; client blocked",
            MailEvent("reject", reason="550"),
        ),
        (
            "Apr 12 02:24:11 xxx postfix/smtps/smtpd[42]: NOQUEUE: reject: EHLO from"
            " a.example.de[62.138.2.143]: 504 5.5.2 <User>: Helo command rejected",
            MailEvent("reject", reason="504"),
        ),
        (
            "Jan 10 10:11:00 vm postfix/cleanup[1310]: 1A2B3C4D5E: reject: header Subject: win"
            " from unknown[203.0.113.50]; from=<x@example.com>: 5.7.1 message content rejected",
            MailEvent("reject", reason="header"),
        ),
        (
            "Jan 10 10:11:01 vm postfix/cleanup[1311]: 2B3C4D5E6F: milter-reject: END-OF-MESSAGE"
            " from unknown[203.0.113.51]: 5.7.1 Spam message rejected; from=<x@example.com>",
            MailEvent("reject", reason="5.7.1"),
        ),
        (
            "Jan 10 10:11:02 vm postfix/smtpd[1312]: 3C4D5E6F7A: proxy-reject: END-OF-MESSAGE:"
            " 554 5.7.0 Reject, id=12345 - spam",
            MailEvent("reject", reason="554"),
        ),
        (  # a reject reason that is not a code: counted, as "other"
            "Jan 10 10:11:02 vm postfix/smtpd[1312]: NOQUEUE: reject: RCPT from h[192.0.2.1]:"
            " Evil<script> 5.7.0",
            MailEvent("reject", reason="other"),
        ),
        (
            "Jan 10 10:11:03 vm postfix/smtpd[1313]: NOQUEUE: reject_warning: RCPT from"
            " unknown[203.0.113.52]: 450 4.7.1 Client host rejected",
            None,
        ),
        (
            "2024-01-10T10:12:00.123456+01:00 vm postfix/smtp[1320]: 4D5E6F7A8B:"
            " to=<carol@example.net>, relay=mx.example.net[198.51.100.25]:25, delay=301,"
            " delays=300/0/1/0, dsn=4.4.1, status=deferred (connect to mx: Connection timed out)",
            MailEvent("deferred", "4D5E6F7A8B"),
        ),
        (
            "Jan 10 10:10:02 vm postfix/smtp[1301]: 3F2A1C0F3B: to=<alice@example.com>,"
            " orig_to=<alice@lists.example.org>, relay=mx.example.com[192.0.2.25]:25, conn_use=2,"
            " delay=0.6, delays=0.1/0/0.2/0.3, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
            MailEvent("sent", "3F2A1C0F3B"),
        ),
        (  # another program quoting Postfix's words: nothing
            "Jan 10 10:13:00 vm sshd[4242]: Invalid user x postfix/smtp[1]: ABCDE12345: to=<a@b>,"
            " relay=x, delay=1, delays=1, dsn=2.0.0, status=sent (ok)",
            None,
        ),
        (  # a sender address holding a fake size: the real (last) size wins
            'Jan 10 10:00:03 vm postfix/qmgr[900]: 4ABC123DEF: from=<"a>, size=999999,'
            ' nrcpt=1 (x"@example.org>, size=4096, nrcpt=2 (queue active)',
            MailEvent("size", "4ABC123DEF", size=4096),
        ),
        ("", None),
        ("garbage", None),
    ],
)
def test_real_and_hostile_lines(line: str, expected: MailEvent | None) -> None:
    assert parse_mail_line(line) == expected


def test_a_reject_line_dressed_as_a_delivery_counts_only_as_a_reject() -> None:
    line = (HERE / "appended.log").read_text().splitlines()[-1]
    assert "status=sent" in line
    assert parse_mail_line(line) == MailEvent("reject", reason="550")


_PREFIXES = st.sampled_from(
    [
        "Jan 10 10:00:01 vm postfix/smtpd[1]: ",
        "Jan 10 10:00:01 vm postfix/smtp[1]: ABCDE12345: to=<",
        "Jan 10 10:00:01 vm postfix/qmgr[1]: ABCDE12345: from=<",
        "Jan 10 10:00:01 vm postfix/cleanup[1]: ABCDE12345: reject: ",
        "Jan 10 10:00:01 vm postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[1.2.3.4]: ",
        "",
    ]
)


@settings(max_examples=300, deadline=None)
@given(_PREFIXES, st.text(max_size=300))
def test_garbage_never_crashes_and_only_counts(prefix: str, tail: str) -> None:
    line = prefix + tail
    event = parse_mail_line(line)
    counters = MailCounters(max_reasons=4)
    counters.feed(line)
    if event is None:
        assert counters.delivered + counters.deferred + counters.bounced + counters.rejected == 0
        return
    assert event.kind in {"sent", "deferred", "bounced", "reject", "size"}
    if event.kind == "reject":
        assert all(c.isalnum() or c in ".-" for c in event.reason)
        assert len(event.reason) <= 13
    assert 0 <= event.size <= 1 << 40


def test_reject_reasons_are_bounded() -> None:
    counters = MailCounters(max_reasons=3)
    for code in ("550", "551", "552", "553", "554"):
        counters.add(MailEvent("reject", reason=code))
    assert counters.rejects == {"550": 1, "551": 1, "552": 1, "other": 2}
    assert counters.rejected == 5


def test_queue_sizes_are_bounded() -> None:
    counters = MailCounters(max_queue_ids=2)
    for qid, size in (("AAAAA1", 10), ("AAAAA2", 20), ("AAAAA3", 30)):
        counters.add(MailEvent("size", qid, size=size))
    for qid in ("AAAAA1", "AAAAA2", "AAAAA3"):
        counters.add(MailEvent("sent", qid))
    assert counters.volume == 50
    assert counters.delivered == 3


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    shutil.copytree(HERE / "root", root, symlinks=True)
    return root


def values(series: tuple[Series, ...]) -> dict[str, dict[str, float | None]]:
    return {s.graph.name: dict(s.values) for s in series}


def test_collect_on_the_fixture_tree(tree: Path) -> None:
    probe = PostfixProbe(root=tree)
    assert isinstance(probe, Probe)
    assert probe.name == "postfix"
    assert not probe.background
    first = values(probe.collect())
    queue = {"active": 1, "deferred": 3, "maildrop": 0, "incoming": 0, "corrupt": 1, "hold": 1}
    assert first == {
        "postfix_mailqueue": queue,
        "postfix_mailstats": {"delivered": 0, "deferred": 0, "bounced": 0, "rejected": 0},
        "postfix_mailvolume": {"volume": 0},
    }  # started at the end of the log: the old lines are not counted
    with (tree / "var/log/mail.log").open("a") as log:
        log.write((HERE / "appended.log").read_text())
    second = values(probe.collect())
    assert second["postfix_mailstats"] == {
        "delivered": 5,
        "deferred": 2,
        "bounced": 1,
        "r450": 8,
        "r504": 4,
        "r550": 9,
        "r554": 7,
        "r454": 2,
        "rheader": 1,
        "r5_7_1": 1,
        "rejected": 32,
    }
    assert second["postfix_mailvolume"] == {"volume": 4096 + 2048 + 2 * 10240}
    stats = next(s for s in probe.collect() if s.graph.name == "postfix_mailstats")
    assert [f.name for f in stats.graph.fields][:4] == ["delivered", "deferred", "bounced", "r450"]
    assert set(stats.values) == {f.name for f in stats.graph.fields}
    assert len(fetch_lines(stats)) == len(stats.values)


def test_the_log_rotating_between_collections(tree: Path) -> None:
    probe = PostfixProbe(root=tree)
    probe.collect()
    log = tree / "var/log/mail.log"
    with log.open("a") as f:
        f.write(SYNTHETIC[4] + "\n")
    log.rename(tree / "var/log/mail.log.1")
    log.write_text(SYNTHETIC[7] + "\n" + SYNTHETIC[9] + "\n")
    stats = values(probe.collect())["postfix_mailstats"]
    assert stats["delivered"] == 3


def test_nothing_there_gives_no_series(tmp_path: Path) -> None:
    assert PostfixProbe(root=tmp_path).collect() == ()


def test_log_only_and_spool_only(tree: Path, tmp_path: Path) -> None:
    shutil.rmtree(tree / "var/spool")
    assert [s.graph.name for s in PostfixProbe(root=tree).collect()] == [
        "postfix_mailstats",
        "postfix_mailvolume",
    ]
    probe = PostfixProbe(root=tree, spool=Path("/nonexistent"), log=Path("/var/log/none.log"))
    assert probe.collect() == ()


def _transcript_fields(name: str) -> tuple[dict[str, str], set[str]]:
    """Graph and field attributes of a recorded Munin `config`, and its field names."""
    attrs: dict[str, str] = {}
    fields: set[str] = set()
    for line in (HERE / "munin" / f"config-{name}.txt").read_text().splitlines():
        if not line.startswith("S: ") or line in ("S: .",) or line.startswith("S: #"):
            continue
        key, _, value = line[3:].partition(" ")
        attrs[key] = " ".join(value.split())
        if key.endswith(".label"):
            fields.add(key.removesuffix(".label"))
    return attrs, fields


@pytest.mark.parametrize("name", ["postfix_mailqueue", "postfix_mailstats", "postfix_mailvolume"])
def test_same_graphs_and_fields_as_munins_plugins(tree: Path, name: str) -> None:
    probe = PostfixProbe(root=tree)
    probe.collect()
    with (tree / "var/log/mail.log").open("a") as log:
        log.write("\n".join(SYNTHETIC) + "\n")
    graph = next(s.graph for s in probe.collect() if s.graph.name == name)
    attrs, fields = _transcript_fields(name)
    ours = dict(line.split(" ", 1) for line in config_lines(graph))
    for key in ("graph_title", "graph_vlabel", "graph_category", "graph_period", "graph_args"):
        assert ours.get(key) == attrs.get(key), key
    assert fields <= {f.name for f in graph.fields}
    for field in fields:
        for attr in ("label", "type", "min", "draw"):
            key = f"{field}.{attr}"
            assert ours.get(key) == attrs.get(key) or attr == "min", key


def test_count_of_a_big_deferred_queue(tmp_path: Path) -> None:
    deferred = tmp_path / "var/spool/postfix/deferred"
    for i in range(16):
        (deferred / f"{i:X}").mkdir(parents=True)
    for i in range(2000):
        (deferred / f"{i % 16:X}" / f"Q{i:08d}").touch()
    queue = values(PostfixProbe(root=tmp_path).collect())["postfix_mailqueue"]
    assert queue == {q: (2000 if q == "deferred" else 0) for q in QUEUES}


def test_on_this_machine() -> None:
    probe = PostfixProbe()
    series = probe.collect()
    names = [s.graph.name for s in series]
    spool = Path("/var/spool/postfix")
    assert ("postfix_mailqueue" in names) == spool.is_dir()
    assert ("postfix_mailstats" in names) == Path("/var/log/mail.log").is_file()
    for s in series:
        assert set(s.values) == {f.name for f in s.graph.fields}
        assert all(v is None or v >= 0 for v in s.values.values())
