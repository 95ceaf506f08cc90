"""The pure journal entry parser, with literal journalctl JSON lines.

Expected lines checked against fail2ban 1.0.2's ``FilterSystemd.formatJournalEntry``
on the same entries (the text rempart builds must be the one fail2ban filters expect).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.adapters.sources.journal_entry import field_values, format_entry, parse_entry
from rempart.errors import SourceError

REAL = (
    '{"_HOSTNAME":"vm1","__CURSOR":"s=94ac;i=1;b=0123;m=3e8;t=60a24181e4000;x=259d",'
    '"MESSAGE":"Invalid user a from 192.0.2.1 port 22","_BOOT_ID":"0123",'
    '"__MONOTONIC_TIMESTAMP":"1000","__REALTIME_TIMESTAMP":"1700000000000000",'
    '"_PID":"123","SYSLOG_IDENTIFIER":"sshd"}'
)
BYTES = (
    '{"MESSAGE":[73,110,118,97,108,105,100,32,117,115,101,114,32,255,254],'
    '"__CURSOR":"c2","_HOSTNAME":"vm1","__REALTIME_TIMESTAMP":"1700000001000000",'
    '"_COMM":"sshd","_PID":"124"}'
)


def test_a_real_entry() -> None:
    entry = parse_entry(REAL)
    assert entry.text == "vm1 sshd[123]: Invalid user a from 192.0.2.1 port 22"
    assert entry.timestamp == 1_700_000_000.0
    assert entry.cursor == "s=94ac;i=1;b=0123;m=3e8;t=60a24181e4000;x=259d"


def test_a_non_utf8_message_given_as_bytes() -> None:
    entry = parse_entry(BYTES.encode())
    assert entry.text == "vm1 sshd[124]: Invalid user \\xff\\xfe"
    assert entry.cursor == "c2"


@pytest.mark.parametrize(
    ("fields", "line"),
    [
        ({"_HOSTNAME": "vm1", "_COMM": "sshd", "SYSLOG_PID": "7", "_PID": "123"}, "vm1 sshd[7]: m"),
        (
            {"_HOSTNAME": "vm1", "SYSLOG_IDENTIFIER": "", "_COMM": "sshd-session", "_PID": "0x10"},
            "vm1 sshd-session[16]: m",
        ),
        ({"_HOSTNAME": "vm1", "SYSLOG_IDENTIFIER": "x", "_PID": "012"}, "vm1 x[012]: m"),
        ({"_HOSTNAME": "vm1", "SYSLOG_IDENTIFIER": "x", "_PID": " 42 "}, "vm1 x[42]: m"),
        ({"_HOSTNAME": "", "SYSLOG_IDENTIFIER": "x"}, "x: m"),
        ({"_HOSTNAME": "h"}, "h m"),
        ({}, "m"),
        (
            {
                "_HOSTNAME": "h",
                "SYSLOG_IDENTIFIER": "kernel",
                "_SOURCE_MONOTONIC_TIMESTAMP": "12345678",
            },
            "h kernel: [   12.345678] m",
        ),
        (
            {"SYSLOG_IDENTIFIER": "kernel", "__MONOTONIC_TIMESTAMP": "1500000"},
            "kernel: [    1.500000] m",
        ),
    ],
)
def test_the_line_fail2ban_builds(fields: dict[str, str], line: str) -> None:
    assert format_entry({**fields, "MESSAGE": "m"}) == line


def test_several_values_and_newlines() -> None:
    assert format_entry({"SYSLOG_IDENTIFIER": "x", "MESSAGE": ["a", [98]]}) == "x: a b"
    assert format_entry({"MESSAGE": "two\nlines"}) == "two\\nlines"
    assert format_entry({"MESSAGE": None}) == ""
    assert field_values([[], "b"]) == ["", "b"]


def test_source_time_wins_over_reception_time() -> None:
    entry = parse_entry(
        json.dumps(
            {
                "MESSAGE": "m",
                "_SOURCE_REALTIME_TIMESTAMP": "1699999999500000",
                "__REALTIME_TIMESTAMP": "1700000000000000",
            }
        )
    )
    assert entry.timestamp == 1_699_999_999.5
    assert parse_entry('{"MESSAGE":"m"}').timestamp is None


@pytest.mark.parametrize(
    "raw", ["", "not json", "[1, 2]", '{"MESSAGE": 5}', '{"MESSAGE": [1, 300]}', "[" * 100_000]
)
def test_malformed_entries_are_source_errors(raw: str) -> None:
    with pytest.raises(SourceError, match="journal entry not understood"):
        parse_entry(raw, "journal:sshd")


@given(st.dictionaries(st.sampled_from(["MESSAGE", "_HOSTNAME", "_PID", "_COMM"]), st.text()))
def test_never_a_raw_newline(fields: dict[str, str]) -> None:
    assert "\n" not in parse_entry(json.dumps(fields)).text
