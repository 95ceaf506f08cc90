"""Structural safety of every shipped filter: anchored rules, RE2, no risky regex, bounded time.

- every regex compiles under RE2 (no look-arounds, back-references or conditionals), so
  long lines are matched in linear time instead of being skipped;
- every failregex is anchored at both ends, and every prefregex at both ends *of the whole
  text* (``\\A`` … ``\\r?\\n?(?-m:$)``), so a line never starts or ends inside attacker text, even
  when the long-line engine runs in multi-line mode;
- the load-time regex check finds nothing to report;
- a 1 MB line, and lines shaped to make a backtracking engine work hard, are handled within
  a generous bound.
"""

from __future__ import annotations

import time

import pytest

from rempart.guard.matcher import SHORT_LINE_LIMIT, LineFilter
from rempart.guard.regex import expand_tags
from rempart.rules.catalog import load_shipped, shipped_filter_names
from rempart.rules.engines import build_line_filter, re2_compiler

CASES = [(name, mode) for name in shipped_filter_names() for mode in load_shipped(name).modes]
NOW = 1_795_262_400.0  # 2026-11-21T12:00:00Z
WHOLE_END = r"\r?\n?(?-m:$)"


def _regexes(name: str, mode: str) -> list[tuple[str, str]]:
    definition = load_shipped(name).definition(mode)
    out = [("prefregex", definition.prefregex)] if definition.prefregex else []
    out += [("failregex", r) for r in definition.failregex]
    out += [("ignoreregex", r) for r in definition.ignoreregex]
    return out


@pytest.mark.parametrize(("name", "mode"), CASES)
def test_every_regex_compiles_under_re2(name: str, mode: str) -> None:
    for option, regex in _regexes(name, mode):
        assert re2_compiler(f"(?m){expand_tags(regex)}") is not None, f"{option}: {regex}"
    assert build_line_filter(load_shipped(name).definition(mode)).long_lines_supported


@pytest.mark.parametrize(("name", "mode"), CASES)
def test_rules_are_anchored_at_both_ends(name: str, mode: str) -> None:
    """Every rule that reads an address is anchored at its start and its end (a rule
    without one, which only starts or ends a connection's state, needs no end)."""
    definition = load_shipped(name).definition(mode)
    if definition.prefregex:
        assert definition.prefregex.startswith(r"\A"), definition.prefregex
        assert definition.prefregex.endswith(WHOLE_END), definition.prefregex
    for regex in definition.failregex:
        # without a prefregex the rule sees the whole text: it anchors on it itself
        starts = ("^", r"\A") if definition.prefregex else (r"\A",)
        ends = ("$", WHOLE_END) if definition.prefregex else (WHOLE_END,)
        assert regex.startswith(starts), regex
        if "<ADDR>" in regex or "<HOST>" in regex:
            assert regex.endswith(ends), regex


@pytest.mark.parametrize(("name", "mode"), CASES)
def test_load_time_check_reports_nothing(name: str, mode: str) -> None:
    line_filter = LineFilter(load_shipped(name).definition(mode))
    assert line_filter.warnings == ()


# one realistic start per filter, then a long run of fragments that the rules look for
# (whether such a line is a failure is the hostile corpus's business: here, only time)
_STARTS = {
    "sshd": ("host sshd[7]: Invalid user ", "Connection closed by invalid user "),
    "postfix": (
        "host postfix/smtpd[7]: warning: unknown[192.0.2.1]: SASL LOGIN authentication "
        "failed: x, sasl_username=",
    ),
    "dovecot": (
        "host dovecot: imap-login: Disconnected (auth failed, 1 attempts): user=<",
        "host dovecot: auth: pam(",
    ),
    "nginx-http-auth": (
        '2026/11/21 09:30:00 [error] 1#1: *1 user "a": password mismatch, '
        'client: 192.0.2.1, server: x, request: "',
    ),
    "apache-auth": (
        "[Sat Nov 21 09:40:00.1 2026] [auth_basic:error] [pid 1] "
        "[client 192.0.2.1:1] AH01617: user ",
    ),
    "wordpress": ('h 192.0.2.1 - - [21/Nov/2026:09:50:00 +0000] "POST /wp-login.php?',),
    "sympa": ("host wwsympa[7]: info main::do_login(",),
    "mariadb": ("2026-11-21  9:43:12 42 [Warning] Access denied for user '",),
    "recidive": ("host rempart[7]: ban jail=",),
    "rempart-web": (
        '2026-11-21T17:05:03+00:00 rempart-web[7]: failed login from 192.0.2.1 for user "',
    ),
}
_FRAGMENTS = (
    " from 203.0.113.9 port 22",
    "'@'203.0.113.9' (using password: YES)",
    '", client: 203.0.113.9, server: x',
    ">, rip=203.0.113.9, lip=",
    ",203.0.113.9",
    "[client 203.0.113.9:1] ",
    "a: (",
    " ",
)


def _lines(start: str) -> list[str]:
    """Lines just under the short-line limit (Python's backtracking engine) for each
    fragment, and one 1 MB line of all fragments (the linear-time engine)."""
    short = [(start + f * (SHORT_LINE_LIMIT // len(f)))[: SHORT_LINE_LIMIT - 1] for f in _FRAGMENTS]
    mix = "".join(_FRAGMENTS)
    return [*short, (start + mix * ((1 << 20) // len(mix)))[: 1 << 20]]


@pytest.mark.parametrize(("name", "mode"), CASES)
def test_long_and_hostile_lines_take_bounded_time(name: str, mode: str) -> None:
    line_filter = build_line_filter(load_shipped(name).definition(mode))
    for start in _STARTS[name]:
        for line in _lines(start):
            began = time.perf_counter()
            for stamp in (NOW, None):
                line_filter.process(line, NOW, stamp)
            elapsed = time.perf_counter() - began
            assert elapsed < 2.0, f"{name}[{mode}] {len(line)} chars {line[-40:]!r}: {elapsed:.2f}s"
