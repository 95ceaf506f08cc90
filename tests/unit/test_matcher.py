"""LineFilter semantics, rule by rule, on literal lines (fail2ban server mode)."""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv6Address

import pytest

from rempart.errors import FilterError, UnsafeRegexError
from rempart.guard.connections import MAX_EVIDENCE, ConnectionCache
from rempart.guard.definition import FilterDefinition
from rempart.guard.matcher import SHORT_LINE_LIMIT, LineFilter, LineKind
from rempart.rules.engines import build_line_filter

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC).timestamp()
PREFIX = r"^\s*\S+ sshd\[\d+\]: "


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def make(*failregex: str, **fields: object) -> LineFilter:
    definition = FilterDefinition(name="t", origin="test", failregex=failregex, **fields)  # type: ignore[arg-type]
    return LineFilter(definition, tz=UTC)


def test_date_is_cut_out_and_parsed_for_failures() -> None:
    f = make(r"^ host sshd\[\d+\]: Failed for \S+ from <HOST>$")  # the space after the date stays
    result = f.process("Nov 21 09:43:12 host sshd[7]: Failed for root from 192.0.2.7", NOW)
    assert result.kind is LineKind.MATCHED
    (failure,) = result.failures
    assert failure.host == "192.0.2.7"
    assert failure.address == IPv4Address("192.0.2.7")
    assert failure.time == at("2026-11-21T09:43:12")
    assert failure.lines == ("Nov 21 09:43:12 host sshd[7]: Failed for root from 192.0.2.7",)
    assert failure.regex == 0


def test_no_date_means_now_and_journal_timestamp_wins() -> None:
    f = make(r"^x from <HOST>$")
    assert f.process("x from 192.0.2.1", NOW).failures[0].time == NOW
    journal = f.process("x from 192.0.2.1", NOW, timestamp=NOW - 5)
    assert journal.failures[0].time == NOW - 5


def test_line_without_date_reuses_a_recent_date() -> None:
    f = make(r"^x from <HOST>$", r"^tick$(?P<fid>)")
    recent = "Nov 21 11:59:30 tick"
    f.process(recent, NOW)
    assert f.process("x from 192.0.2.1", NOW).failures[0].time == at("2026-11-21T11:59:30")
    f.process("Nov 21 11:50:00 tick", NOW)  # ten minutes old: too old to lend its date
    assert f.process("x from 192.0.2.1", NOW).failures[0].time == NOW


def test_first_failregex_wins_and_ids() -> None:
    f = make(r"from <HOST>", r"^user <F-ID>\S+</F-ID> from <HOST>$")
    result = f.process("user bob from 192.0.2.9", NOW)
    assert (result.regex, result.failures[0].host) == (0, "192.0.2.9")
    g = make(r"^user <F-ID>\S+</F-ID> from <HOST>$")
    failure = g.process("user bob from 192.0.2.9", NOW).failures[0]
    assert (failure.host, failure.address) == ("bob", None)  # an <F-ID> wins over the address
    assert g.process("user bob from 192.0.2.9", NOW).captures[0]["ip"] == "192.0.2.9"


def test_host_names_are_kept_raw_and_never_resolved() -> None:
    f = make(r"^from <HOST>$")
    for host, address in [
        ("example.com", None),
        ("192.030.0.6", None),
        ("::ffff:192.0.2.4", IPv4Address("192.0.2.4")),
        ("[2001:db8::1]", IPv6Address("2001:db8::1")),
    ]:
        failure = f.process(f"from {host}", NOW).failures[0]
        assert failure.address == address, host
    assert f.process("from ::ffff:192.0.2.4", NOW).failures[0].host == "192.0.2.4"
    assert f.process("from [2001:db8::1]", NOW).failures[0].host == "2001:db8::1"
    assert f.process("from example.com", NOW).failures[0].host == "example.com"


def test_prefregex_content_and_groups() -> None:
    f = make(
        r"^Failed for <F-USER>\S+</F-USER> from <HOST>$",
        prefregex=PREFIX + r"(?:error: )?<F-CONTENT>.+</F-CONTENT>$",
    )
    ok = f.process("host sshd[1]: error: Failed for root from 192.0.2.1", NOW)
    assert ok.failures[0].user == "root"
    assert f.process("host cron[1]: Failed for root from 192.0.2.1", NOW).kind is LineKind.MISSED


def test_ignoreregex_before_and_after() -> None:
    fails = [rf"^rule{i} <HOST>$" for i in range(5)]
    early = make(*fails, ignoreregex=(r"192\.0\.2\.1",))  # few ignores: tried first
    assert early.process("rule0 192.0.2.1", NOW).kind is LineKind.IGNORED
    assert early.process("unrelated 192.0.2.1", NOW).kind is LineKind.IGNORED
    late = make(fails[0], ignoreregex=(r"192\.0\.2\.1",))  # only after a rule matched
    assert late.process("rule0 192.0.2.1", NOW).kind is LineKind.IGNORED
    assert late.process("unrelated 192.0.2.1", NOW).kind is LineKind.MISSED
    assert late.process("rule0 192.0.2.2", NOW).kind is LineKind.MATCHED


def test_nofail_is_a_helper_not_a_failure() -> None:
    f = make(r"^<F-NOFAIL>Connection from</F-NOFAIL> <HOST>$")
    result = f.process("Connection from 192.0.2.3", NOW)
    assert (result.kind, result.failures) == (LineKind.HELPER, ())


SSHD_LIKE = {
    "prefregex": r"^<F-MLFID>\S+ sshd\[\d+\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$",
}
SSHD_RULES = (
    r"^Failed password for <F-USER>\S+</F-USER> from <HOST> port \d+$",
    r"^<F-NOFAIL>Connection from</F-NOFAIL> <HOST> port \d+$",
    r"^kex_exchange_identification: Connection closed by remote host$",
    r"^<F-MLFFORGET><F-MLFGAINED>Accepted \w+</F-MLFGAINED></F-MLFFORGET> for <F-USER>\S+"
    r"</F-USER> from <HOST>",
    r"^<F-NOFAIL><F-MLFFORGET>Connection closed</F-MLFFORGET></F-NOFAIL> by <HOST> port \d+$",
)


def test_multi_line_pending_failure_takes_the_connection_address() -> None:
    f = make(*SSHD_RULES, **SSHD_LIKE)
    helper = f.process("h sshd[5]: Connection from 192.0.2.5 port 22", NOW)
    assert helper.kind is LineKind.HELPER
    result = f.process(
        "h sshd[5]: kex_exchange_identification: Connection closed by remote host", NOW
    )
    assert result.kind is LineKind.MATCHED
    assert result.failures[0].host == "192.0.2.5"
    assert len(result.failures[0].lines) == 2  # the helper line is evidence too
    # without an address known for the connection the failure waits for one
    pending = f.process(
        "h sshd[6]: kex_exchange_identification: Connection closed by remote host", NOW
    )
    assert pending.kind is LineKind.HELPER
    closed = f.process("h sshd[6]: Connection closed by 192.0.2.6 port 22", NOW)
    assert closed.kind is LineKind.MATCHED
    assert closed.failures[0].host == "192.0.2.6"


def test_success_cancels_and_several_users_count() -> None:
    f = make(*SSHD_RULES, **SSHD_LIKE)
    f.process("h sshd[7]: kex_exchange_identification: Connection closed by remote host", NOW)
    accepted = f.process("h sshd[7]: Accepted publickey for bob from 192.0.2.7", NOW)
    assert accepted.kind is LineKind.HELPER  # a login succeeded: the pending failure is dropped
    assert f.process("h sshd[7]: Connection closed by 192.0.2.7 port 22", NOW).failures == ()


def test_connection_cache_is_bounded() -> None:
    cache = ConnectionCache(size=3, ttl=10)
    for i in range(5):
        cache.put(f"c{i}", {}, NOW)
    assert len(cache) == 3
    assert cache.get("c0", NOW) is None
    assert cache.get("c4", NOW) == {}
    assert cache.get("c4", NOW + 11) is None  # expired


def test_evidence_is_bounded() -> None:
    f = make(*SSHD_RULES, **SSHD_LIKE)
    for _ in range(3 * MAX_EVIDENCE):
        f.process("h sshd[9]: Connection from 192.0.2.9 port 22", NOW)
    result = f.process(
        "h sshd[9]: kex_exchange_identification: Connection closed by remote host", NOW
    )
    assert len(result.failures[0].lines) == MAX_EVIDENCE


def test_maxlines_buffer_and_skiplines() -> None:
    f = make(r"^login attempt<SKIPLINES>^failed from <HOST>$", maxlines=3)
    assert f.process("login attempt", NOW).kind is LineKind.MISSED
    assert f.process("noise", NOW).kind is LineKind.MISSED
    result = f.process("failed from 192.0.2.10", NOW)
    assert result.failures[0].host == "192.0.2.10"
    assert result.failures[0].lines == ("login attempt", "failed from 192.0.2.10")


def test_bad_regexes_are_refused() -> None:
    with pytest.raises(FilterError, match=r"failregex #0.*invalid regular expression"):
        make(r"^(unclosed <HOST>")
    with pytest.raises(FilterError, match="no failure id"):
        make(r"^no id here$")


def test_catastrophic_regex_refused_without_linear_engine_else_bounded() -> None:
    definition = FilterDefinition(name="t", origin="test", failregex=(r"^(a+)+ <HOST>$",))
    with pytest.raises(UnsafeRegexError, match=r"failregex #0.*Fix:"):
        LineFilter(definition, tz=UTC)
    bounded = build_line_filter(definition, UTC)
    assert bounded.warnings
    assert bounded.process("aaaa 192.0.2.1", NOW).failures[0].host == "192.0.2.1"
    assert bounded.process("a" * 5000 + "!", NOW).kind is LineKind.MISSED


def test_long_lines_without_linear_engine_are_too_long() -> None:
    f = make(r"^x+ from <HOST>$")
    long_line = "x" * SHORT_LINE_LIMIT + " from 192.0.2.1"
    assert f.process(long_line, NOW).kind is LineKind.TOO_LONG
    with_engine = build_line_filter(f.definition, UTC)
    assert with_engine.long_lines_supported
    assert with_engine.process(long_line, NOW).failures[0].host == "192.0.2.1"
    lookaround = build_line_filter(make(r"^(?!y)x+ from <HOST>$").definition, UTC)
    assert not lookaround.long_lines_supported  # RE2 has no look-arounds
    assert lookaround.process(long_line, NOW).kind is LineKind.TOO_LONG


def test_captures_of_custom_groups() -> None:
    f = make(
        r"^x <F-PORT/> <F-USER>\S*</F-USER> <F-ALT_USER>\S+</F-ALT_USER> "
        r"<F-RIGHT>\w+</F-RIGHT> <HOST>$"
    )
    result = f.process("x 22 bob alice admin 192.0.2.4", NOW)
    captures = result.captures[0]
    assert (captures["fport"], captures["right"], captures["alt_user"]) == ("22", "admin", "alice")
    assert result.failures[0].user == "bob"
    fallback = f.process("x 22  alice admin 192.0.2.4", NOW)  # no user: the alternative fills in
    assert fallback.failures[0].user == "alice"


@pytest.mark.parametrize(
    ("datepattern", "at_start"),
    [
        ("{^LN-BEG}", True),
        ("{^LN-BEG}%ExY(?P<_sep>[-/.])%m(?P=_sep)%d", True),
        ("{NONE}", True),
        ("{^LN-BEG}TAI64N\n{^LN-BEG}", True),
        ("{^LN-BEG}x({DATE})", False),  # the date is the group, after "x"
        ("^[^\\[]*\\[({DATE})", False),
        (None, False),  # default templates search the whole line
    ],
)
def test_raw_line_prefilter_only_when_dates_are_prefixes(datepattern: str, at_start: bool) -> None:
    from rempart.guard.matcher import _dates_at_line_start

    assert _dates_at_line_start(datepattern) is at_start


def test_literal_split_by_a_date_is_still_seen() -> None:
    # fail2ban's idiom: a bracketed date leaves "[]"; the required "[] " spans the cut
    f = make(r"^<HOST> - \S+ \[\] \"GET ", datepattern=r"^[^\[]*\[({DATE})")
    line = '192.0.2.8 - - [21/Nov/2026:09:43:12 +0000] "GET / HTTP/1.1" 401'
    assert f.process(line, NOW).failures[0].host == "192.0.2.8"
