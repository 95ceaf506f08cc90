"""fail2ban tag expansion, required literals and the ReDoS check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.guard.literals import contains_any, literal_factors, required_literals
from rempart.guard.redos import check_regex
from rempart.guard.regex import IP6, expand_tags, merge_special_groups, special_groups
from rempart.rules.fail2ban import load_fail2ban_filter

FILTERS = Path(__file__).resolve().parent.parent / "fixtures" / "fail2ban" / "filters"
# fail2ban's own IPv6 expression (with its look-behind), to compare ours with
F2B_IP6 = r"(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)"


@pytest.mark.parametrize(
    ("regex", "text", "groups"),
    [
        ("^from <HOST>$", "from 192.0.2.1", {"ip4": "192.0.2.1"}),
        ("^from <HOST>$", "from ::ffff:192.0.2.1", {"ip4": "192.0.2.1"}),
        ("^from <HOST>$", "from [2001:db8::1]", {"ip6": "2001:db8::1"}),
        ("^from <HOST>$", "from mail.example.org", {"dns": "mail.example.org"}),
        ("^from <ADDR>$", "from 2001:db8::", {"ip6": "2001:db8::"}),
        ("^net <SUBNET>$", "net 192.0.2.0/24", {"ip4": "192.0.2.0", "cidr": "24"}),
        ("^<F-ID/> on <F-PORT/>$", "bob on ssh", {"fid": "bob", "fport": "ssh"}),
        ("^u=<F-USER>.*</F-USER> id=<F-ID>\\d+</F-ID>$", "u=a b id=7", {"user": "a b", "fid": "7"}),
        ("^((?i)login) <HOST>$", "LOGIN 192.0.2.1", {"ip4": "192.0.2.1"}),
    ],
)
def test_expand_tags(regex: str, text: str, groups: dict[str, str]) -> None:
    m = re.search(expand_tags(regex), text)
    assert m is not None
    for name, value in groups.items():
        assert m.group(name) == value


def test_unknown_and_unopened_tags_stay() -> None:
    assert expand_tags("<NOTATAG> </F-USER> <F-lower>") == "<NOTATAG> </F-USER> <F-lower>"
    assert expand_tags("a<SKIPLINES>b<SKIPLINES>c").count("skiplines1") == 1


@given(st.text(alphabet="0123456789abcdefABCDEF:.[]g", max_size=24))
def test_ipv6_expression_equals_fail2bans(text: str) -> None:
    ours = re.fullmatch(IP6, text) is not None
    theirs = re.fullmatch(F2B_IP6, text) is not None
    assert ours == theirs


def test_alternative_and_tuple_groups() -> None:
    alternatives, tuples = special_groups(["user", "alt_user", "alt_user_2", "tuple_id", "x"])
    assert alternatives == (("alt_user", "user"), ("alt_user_2", "user"))
    assert tuples == (("tuple_id", "fid"),)
    groups = merge_special_groups(
        {"user": None, "alt_user": "", "alt_user_2": "bob", "fid": "a", "tuple_id": "b"},
        alternatives,
        tuples,
    )
    assert (groups["user"], groups["fid"]) == ("bob", ("a", "b"))


@pytest.mark.parametrize(
    ("regex", "literals"),
    [
        ("^Failed \\S+ for x", {"Failed "}),
        (
            "^[iI](?:llegal|nvalid) user ",
            {"Illegal user ", "illegal user ", "Invalid user ", "invalid user "},
        ),
        ("(?:error: )?foo bar", {"foo bar", "error: foo bar"}),
        ("(?i)case insensitive", None),
        ("^\\S+ \\d+$", None),
        ("a(?=bc)bcd", {"abcd"}),
    ],
)
def test_required_literals(regex: str, literals: set[str] | None) -> None:
    found = required_literals(regex)
    assert (set(found) if found is not None else None) == literals


def test_literal_factors_and_search() -> None:
    assert literal_factors("^Received disconnect from x:\\s*3: .*: Auth fail") == [
        frozenset({"Received disconnect from x:"}),
        frozenset({"3: "}),
        frozenset({": Auth fail"}),
    ]
    few, many = contains_any(("ab", "cd")), contains_any(tuple(f"word{i}" for i in range(20)))
    assert few("xxcdxx")
    assert not few("acbd")
    assert many("a word17 b")
    assert not many("a word b")


@pytest.mark.parametrize(
    ("regex", "fatal"),
    [
        ("^(a+)+$", True),
        ("(\\S+\\s*)+x", True),
        ("(?:x?a+)*y", True),
        ('"[^"]+(?:"+[^"]*(?="))*?"', True),  # exim, fail2ban 1.0.2: exponential on quotes
        ("(?:: (?:\\w+\\([^\\):]*\\) \\w+|[^\\(]+))* \\(", True),  # dovecot, fail2ban 1.0.2
        ("(?:, arg\\d+=\\S*)*, relay", False),  # a round starts with ', ': \S* cannot take it
        ("(?:a+)++b", False),  # possessive
        ("(?>(?:a+)+)b", False),  # atomic
        ("(?:[^ ]+ )+x", False),
        ("(?:a+){0,3}b", False),  # bounded and small
    ],
)
def test_redos_check(regex: str, fatal: bool) -> None:
    risks = check_regex(regex)
    assert any(r.fatal for r in risks) == fatal, risks
    for risk in risks:
        assert risk.reason
        assert risk.fix


def test_overlapping_alternation_in_repetition_is_flagged() -> None:
    risks = check_regex('(?:\\[(?:\\w+ "[^"]*"|[^\\]]*)\\]\\s*)*x')
    assert risks
    assert not any(r.fatal for r in risks)


def test_fixture_filters_have_no_fatal_regex_except_rfc5424_prefix() -> None:
    fatal = []
    for conf in sorted(FILTERS.glob("*.conf")):
        if conf.stem.endswith("common"):
            continue
        for options in ({}, {"mode": "aggressive"}, {"logtype": "rfc5424"}):
            definition = load_fail2ban_filter(conf, options)
            regexes = [definition.prefregex or "", *definition.failregex, *definition.ignoreregex]
            for regex in filter(None, regexes):
                if any(r.fatal for r in check_regex(expand_tags(regex))):
                    fatal.append((conf.stem, options.get("logtype", "file")))
    # fail2ban's common.conf [lt_rfc5424] prefix nests (?:[^\]"]*|"...")* in (…)+
    assert set(fatal) <= {(name, "rfc5424") for name, _ in fatal}
    assert ("sshd", "rfc5424") in fatal
