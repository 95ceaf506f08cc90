"""Hostile lines for every shipped filter: attacker text never chooses the banned address.

Each template is a genuine line of the service with its attacker-controlled fields (user
names, SSH idents and client texts, URLs, referers, user agents, SASL and SQL user names,
e-mail addresses) as slots. The slots are filled with hostile text carrying forged
addresses in the shapes each service uses (``from 203.0.113.9 port 22 ssh2``,
``rhost=…``, ``client=[…]``, ``'root'@'…'``, ``[client …]``, ``, client: …``, ``rip=…``),
line breaks, carriage returns, very long fields and unicode, by hand and by hypothesis.

Two properties:

1. **never the forged address**: in every mode, no failure ever names an injected address,
   whatever the slots hold (raw, as if the service escaped nothing);
2. **still the real address**: a genuine failure line whose slots hold hostile text, escaped
   the way the service really escapes it, still gives exactly one failure naming the real
   client, unless the template documents why such a field is not counted (a double quote in
   an nginx user name, a parenthesis in a Dovecot auth-process user name…).

Multi-line filters are also checked for the other way to blame someone: state carried from
an attacker's connection (or request) to a legitimate one.

Success rules (logins the agent then trusts) get the same treatment the other way round: no
failure line ever reads as a login, and a login line whose account name is hostile never
names a forged address (see the end of this file).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.guard.matcher import LineFilter
from rempart.rules.catalog import load_shipped, shipped_filter_names
from rempart.rules.engines import build_line_filter, build_success_filter
from rempart.web.authlog import escape_name

NOW = 1_795_262_400.0  # 2026-11-21T12:00:00Z
INJECTED = ("203.0.113.9", "2001:db8:bad::9", "198.51.100.66")
REAL = ("192.0.2.7", "2001:db8::7")

# ------------------------------------------------------------------ hostile field text

FORGED = (
    "from 203.0.113.9 port 22 ssh2",
    " from 203.0.113.9 port 22",
    " from 2001:db8:bad::9 port 22 ssh2",
    "203.0.113.9 port 22 [preauth]",
    ": Too many authentication failures [preauth] 203.0.113.9 port 22",
    "rhost=203.0.113.9",
    "ruser= rhost=203.0.113.9  user=root",
    "client=[203.0.113.9]",
    "unknown[203.0.113.9]: SASL LOGIN authentication failed: x",
    "'root'@'203.0.113.9' (using password: YES)",
    "x'@'203.0.113.9",
    "[client 203.0.113.9:22] AH01618: user x not found: /",
    "[client 203.0.113.9]",
    '", client: 203.0.113.9, server: x, request: "GET / HTTP/1.1", host: "x',
    ", client: 203.0.113.9",
    ">, method=PLAIN, rip=203.0.113.9, lip=198.51.100.1, TLS",
    "x,203.0.113.9",
    "x,203.0.113.9): unknown user",
    'x" 200 1 "-" "-"\n203.0.113.9 - - [21/Nov/2026:09:50:00 +0000] "POST /wp-login.php HTTP/1.1',
    "ban jail=sshd address=203.0.113.9 target=203.0.113.9/32 bantime=900 offence=1 failures=5",
    "x) [robot r] [session 1] [client 203.0.113.9] (",
    "\nFailed password for root from 203.0.113.9 port 22 ssh2",
    "\r\nInvalid user x from 203.0.113.9 port 22",
    "\rrip=203.0.113.9",
    "admin\u202e from 198.51.100.66 port 22",
    "ädmin✓ from 2001:db8:bad::9 port 22",
    "A" * 5000 + " from 203.0.113.9 port 22 ssh2",
    "Accepted password for root from 203.0.113.9 port 22 ssh2",
    "x\nAccepted publickey for root from 203.0.113.9 port 22 ssh2: ED25519 SHA256:abc",
    'root from 203.0.113.9 port 22 ssh2: RSA SHA256:x, client user "u", client host "h"',
)
BENIGN = ("root", "admin", "", " ", "o'brien", 'say "hi"', "a(b)c", "<x@example.org>", "日本")
FIELDS = FORGED + BENIGN


def _vis(text: str) -> str:
    """OpenSSH's log escaping (strnvis VIS_SAFE|VIS_OCTAL): octal for every byte that is
    not printable ASCII."""
    out = []
    for byte in text.encode():
        out.append(chr(byte) if 0x20 <= byte < 0x7F else f"\\{byte:03o}")
    return "".join(out)


def _no_controls(text: str) -> str:
    """Postfix, Dovecot, MariaDB and Apache replace or escape control characters."""
    return "".join("?" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in text)


def _nginx_access(text: str) -> str:
    """nginx access-log escaping of variables: \\xHH for '"', '\\' and bytes outside 0x20-0x7e."""
    out = []
    for byte in text.encode():
        printable = 0x20 <= byte < 0x7F and byte not in (0x22, 0x5C)
        out.append(chr(byte) if printable else f"\\x{byte:02X}")
    return "".join(out)


def _apache_access(text: str) -> str:
    """Apache access-log escaping: backslash before '"' and '\\', \\xhh for control bytes."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return "".join(out)


# ------------------------------------------------------------------ templates


@dataclass(frozen=True)
class Template:
    """A genuine failure line; ``{a}``, ``{b}``: attacker slots, ``{addr}``: the real client."""

    filter: str
    text: str
    modes: tuple[str, ...]  # the modes in which the line is a failure
    escape: Callable[[str], str] = _no_controls  # what the service does to attacker text
    counted: Callable[[str], bool] = field(default=lambda _s: True)  # given the escaped text
    journal: bool = False  # a journal line: the time comes with it

    def line(self, slot: str, addr: str, pid: int, *, escaped: bool) -> str:
        value = self.escape(slot) if escaped else slot
        return self.text.format(a=value, b=value, addr=addr, pid=pid)


ALL = ("normal", "ddos", "extra", "aggressive")
PREAUTH = ("ddos", "extra", "aggressive")


def _no(*chars: str) -> Callable[[str], bool]:
    return lambda s: not any(c in s for c in chars)


TEMPLATES = (
    # sshd: syslog, journal and bare `sshd -E` forms; idents and names escaped by OpenSSH
    Template(
        "sshd",
        "Nov 21 10:00:00 host sshd[{pid}]: Invalid user {a} from {addr} port 4242",
        ALL,
        _vis,
    ),
    Template(
        "sshd",
        "Nov 21 10:00:00 host sshd[{pid}]: Failed password for invalid user {a} "
        "from {addr} port 4242 ssh2",
        ALL,
        _vis,
    ),
    Template(
        "sshd",
        "Nov 21 10:00:00 host sshd[{pid}]: Failed publickey for invalid user {a} "
        "from {addr} port 4242 ssh2: ED25519 SHA256:M73JdV3HcFtzRP7Pg2Fbx3p9mMRI1FknL4aqXNC4WG0",
        ALL,
        _vis,
    ),
    Template(
        "sshd",
        "host sshd-session[{pid}]: Failed keyboard-interactive/pam for {a} from "
        "{addr} port 4242 ssh2",
        ALL,
        _vis,
        journal=True,
    ),
    Template(
        "sshd",
        "Failed none for invalid user {a} from {addr} port 4242 ssh2",
        ALL,
        _vis,
        journal=True,
    ),
    Template(
        "sshd",
        "Nov 21 10:00:00 host sshd[{pid}]: User {a} from {addr} not allowed because "
        "listed in DenyUsers",
        ALL,
        _vis,
    ),
    Template(
        "sshd",
        "Disconnecting invalid user {a} {addr} port 4242: Too many authentication "
        "failures [preauth]",
        ALL,
        _vis,
        journal=True,
    ),
    Template(
        "sshd",
        "host sshd[{pid}]: Connection closed by invalid user {a} {addr} port 4242 [preauth]",
        PREAUTH,
        _vis,
        journal=True,
    ),
    Template(
        "sshd",
        "Disconnected from authenticating user {a} {addr} port 4242 [preauth]",
        PREAUTH,
        _vis,
        journal=True,
    ),
    Template(
        "sshd",
        "Nov 21 10:00:00 host sshd[{pid}]: Bad protocol version identification "
        "'{a}' from {addr} port 4242",
        ("ddos", "aggressive"),
        _vis,
    ),
    Template(
        "sshd",
        "Nov 21 10:00:00 host sshd[{pid}]: Unable to negotiate with {addr} port "
        "4242: no matching key exchange method found. Their offer: {a} [preauth]",
        ("extra", "aggressive"),
        _vis,
    ),
    Template(
        "sshd",
        "Received disconnect from {addr} port 4242:3: {a}: Auth fail [preauth]",
        ALL,
        _vis,
        journal=True,
    ),
    # postfix: name and everything attacker-controlled after the address
    Template(
        "postfix",
        "Nov 21 10:00:00 mail postfix/submission/smtpd[{pid}]: warning: "
        "unknown[{addr}]: SASL LOGIN authentication failed: authentication failure, "
        "sasl_username={a}",
        ("auth", "aggressive"),
    ),
    Template(
        "postfix",
        "mail postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from unknown[{addr}]: "
        "554 5.7.1 <{a}>: Relay access denied; from=<{b}> to=<{a}> proto=ESMTP helo=<{b}>",
        ("normal", "aggressive"),
        counted=_no("<", ">"),
        journal=True,
    ),
    # dovecot: the login name before rip=, and inside the auth process's parentheses
    Template(
        "dovecot",
        "Nov 21 10:00:00 mail dovecot: imap-login: Disconnected (auth failed, 1 "
        "attempts in 2 secs): user=<{a}>, method=PLAIN, rip={addr}, lip=198.51.100.1, TLS, "
        "session=<abc>",
        ("normal", "aggressive"),
    ),
    Template(
        "dovecot",
        "mail dovecot[7]: pop3-login: Aborted login (auth failed, 1 attempts): "
        "user=<{a}>, rip={addr}",
        ("normal", "aggressive"),
        journal=True,
    ),
    Template(
        "dovecot",
        "Nov 21 10:00:00 mail dovecot: auth-worker(304): pam({a},{addr}): "
        "pam_authenticate() failed: Authentication failure (password mismatch?)",
        ("normal", "aggressive"),
        counted=_no("(", ")"),
    ),
    Template(
        "dovecot",
        "Nov 21 10:00:00 auth({a},{addr},sasl:login)<CvN+E95U>: Info: sql: Password mismatch",
        ("normal", "aggressive"),
        counted=_no("(", ")"),
    ),
    # nginx error log: user name before the client, request and referer after, all raw
    Template(
        "nginx-http-auth",
        '2026/11/21 10:00:00 [error] 7#7: *{pid} user "{a}" was not '
        'found in "/etc/nginx/.htpasswd", client: {addr}, server: example.org, request: '
        '"GET /admin/ HTTP/1.1", host: "example.org", referrer: "{b}"',
        ("normal",),
        counted=_no('"'),
    ),
    Template(
        "nginx-http-auth",
        '2026/11/21 10:00:00 [error] 7#7: *{pid} user "{a}": password '
        'mismatch, client: {addr}, server: example.org, request: "GET /admin/ HTTP/1.1", '
        'host: "example.org"',
        ("normal",),
        counted=_no('"'),
    ),
    # rempart's own dashboard: the address first, the name last, escaped by rempart.web.authlog
    Template(
        "rempart-web",
        '2026-11-21T10:00:00+00:00 rempart-web[{pid}]: failed login from {addr} for user "{a}"',
        ("normal",),
        escape_name,
    ),
    # apache error log: the client first
    Template(
        "apache-auth",
        "[Sat Nov 21 10:00:00.000001 2026] [auth_basic:error] [pid 7] "
        '[client {addr}:4242] AH01617: user {a}: authentication failure for "/{b}": '
        "Password Mismatch, referer: {b}",
        ("normal", "aggressive"),
    ),
    Template(
        "apache-auth",
        "[Sat Nov 21 10:00:00.000001 2026] [auth_basic:error] [pid 7] "
        "[client {addr}:4242] AH01618: user {a} not found: /private/",
        ("normal", "aggressive"),
    ),
    # wordpress access logs: remote user, query, referer and agent escaped by the server
    Template(
        "wordpress",
        '{addr} - {a} [21/Nov/2026:10:00:00 +0000] "POST /wp-login.php?'
        'redirect_to={b} HTTP/1.1" 200 4523 "{b}" "{a}"',
        ("normal", "aggressive"),
        _nginx_access,
        counted=_no(" "),
    ),
    Template(
        "wordpress",
        'blog.example.org:443 {addr} - - [21/Nov/2026:10:00:00 +0000] "POST '
        '/xmlrpc.php HTTP/1.1" 200 512 "{a}" "{b}"',
        ("xmlrpc", "aggressive"),
        _apache_access,
    ),
    Template(
        "wordpress",
        'web wp-asso[{pid}]: {addr} - {a} [21/Nov/2026:10:00:00 +0000] "POST /blog/wp-login.php '
        'HTTP/1.1" 200 4523 "{b}" "{b}"',
        ("normal", "aggressive"),
        _nginx_access,
        journal=True,
    ),
    # sympa: the typed e-mail before the client (the failure line follows, same process)
    # -> see test_sympa_failure_takes_the_client_of_its_own_request
    # mariadb: the user name before the address
    Template(
        "mariadb",
        "2026-11-21 10:00:00 7 [Warning] Access denied for user '{a}'@'{addr}' "
        "(using password: YES)",
        ("normal",),
    ),
    Template(
        "mariadb",
        "db mariadbd[{pid}]: 2026-11-21 10:00:00 7 [Warning] Access denied for "
        "user '{a}'@'{addr}' (using password: NO)",
        ("normal",),
        journal=True,
    ),
)

_pids = itertools.count(20_000)


@cache
def _filter(name: str, mode: str) -> LineFilter:
    return build_line_filter(load_shipped(name).definition(mode))


def _hosts(name: str, mode: str, line: str, journal: bool) -> list[str]:
    result = _filter(name, mode).process(line, NOW, NOW if journal else None)
    return [f.host for f in result.failures]


def _check(template: Template, slot: str) -> None:
    for mode in load_shipped(template.filter).modes:
        for addr in REAL:
            raw = template.line(slot, addr, next(_pids), escaped=False)
            hosts = _hosts(template.filter, mode, raw, template.journal)
            assert not set(hosts) & set(INJECTED), (template.filter, mode, raw)
            escaped = template.line(slot, addr, next(_pids), escaped=True)
            hosts = _hosts(template.filter, mode, escaped, template.journal)
            assert not set(hosts) & set(INJECTED), (template.filter, mode, escaped)
            value = template.escape(slot)
            if mode in template.modes and template.counted(value):
                assert hosts == [addr], (template.filter, mode, escaped, hosts)
            elif mode not in template.modes:
                assert hosts == [], (template.filter, mode, escaped, hosts)


def test_every_filter_has_a_hostile_corpus() -> None:
    covered = {t.filter for t in TEMPLATES} | {"sympa", "recidive"}
    assert covered == set(shipped_filter_names())


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: f"{t.filter}:{t.text[:40]}")
@pytest.mark.parametrize("slot", FIELDS, ids=lambda s: repr(s[:30]))
def test_hand_written_hostile_fields(template: Template, slot: str) -> None:
    _check(template, slot)


# hypothesis: hostile text assembled from forged fragments, separators and unicode
_PIECES = st.one_of(
    st.sampled_from(FORGED),
    st.sampled_from(
        [
            " ",
            "'",
            '"',
            "`",
            "<",
            ">",
            "(",
            ")",
            "[",
            "]",
            ",",
            ":",
            "@",
            "=",
            "\n",
            "\r",
            "\t",
            "\\",
            "\x00",
            "\u2028",
            "port",
            "from",
            "user",
            "client",
            "rip=",
            "lip=",
            "ssh2",
            "[preauth]",
            "203.0.113.9",
            "2001:db8:bad::9",
            "::ffff:203.0.113.9",
        ]
    ),
    st.text(max_size=8),
)
HOSTILE = st.lists(_PIECES, max_size=12).map("".join)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(slot=HOSTILE, template=st.sampled_from(TEMPLATES))
def test_generated_hostile_fields(template: Template, slot: str) -> None:
    _check(template, slot)


# ------------------------------------------------------------------ multi-line state


def test_sshd_pending_failure_never_reaches_another_connection() -> None:
    """An address-less kex line is completed only by its own process; a legitimate user's
    lines in between, and a bare `sshd -E` close, are never blamed."""
    for mode in ("ddos", "aggressive"):
        lf = build_line_filter(load_shipped("sshd").definition(mode))
        lines = [
            (
                "host sshd[501]: error: kex_exchange_identification: Connection closed by "
                "remote host",
                [],
            ),
            ("host sshd[502]: Connection closed by 192.0.2.7 port 5000", []),
            (
                "host sshd[503]: Accepted publickey for rp from 192.0.2.7 port 5001 ssh2: ED25519 "
                "SHA256:abc",
                [],
            ),
            ("kex_exchange_identification: Connection closed by remote host", []),
            ("Connection closed by 192.0.2.7 port 5002", []),
            ("host sshd[503]: Disconnected from user rp 192.0.2.7 port 5001", []),
            ("host sshd[501]: Connection closed by 203.0.113.9 port 6000", ["203.0.113.9"]),
        ]
        for line, expected in lines:
            result = lf.process(line, NOW, NOW)
            assert [f.host for f in result.failures] == expected, (mode, line)


def test_sshd_injected_user_names_do_not_blame_the_next_connection() -> None:
    """Crafted user names on one connection never turn another connection's lines into
    failures, in any mode."""
    for mode in ALL:
        lf = build_line_filter(load_shipped("sshd").definition(mode))
        attacker = [
            "host sshd[601]: Invalid user a from 192.0.2.7 port 22 from 203.0.113.9 port 7000",
            "host sshd[601]: Failed password for invalid user b from 192.0.2.7 port 22 ssh2 from "
            "203.0.113.9 port 7000 ssh2",
        ]
        for line in attacker:
            assert [f.host for f in lf.process(line, NOW, NOW).failures] == ["203.0.113.9"]
        legit = [
            "host sshd[602]: Accepted password for rp from 192.0.2.7 port 7001 ssh2",
            "host sshd[602]: Received disconnect from 192.0.2.7 port 7001:11: disconnected by user",
            "host sshd[602]: Disconnected from user rp 192.0.2.7 port 7001",
            "host sshd[603]: Connection closed by 192.0.2.7 port 7002",
        ]
        for line in legit:
            assert lf.process(line, NOW, NOW).failures == (), (mode, line)


def test_sympa_failure_takes_the_client_of_its_own_request() -> None:
    """Two FastCGI processes interleaved; a forged [client] in the typed e-mail; an orphan
    failure: the failure always names the client of the same process's last login line."""
    lf = build_line_filter(load_shipped("sympa").definition("normal"))
    forged = _vis("x) [robot r] [session 1] [client 203.0.113.9] (") + "@example.org"
    steps = [
        (
            f"host wwsympa[701]: info main::do_login({forged}) [robot lists.example.org] "
            "[session 1] [client 192.0.2.7] ",
            [],
        ),
        (
            "host wwsympa[702]: info main::do_login(bob@example.org) [robot lists.example.org] "
            "[session 2] [client 2001:db8::7] ",
            [],
        ),
        ("host wwsympa[701]: notice main::do_login() Authentication failed", ["192.0.2.7"]),
        ("host wwsympa[703]: notice main::do_login() Authentication failed", []),
        (
            "host wwsympa[703]: info main::do_login(carol@example.org) [robot lists.example.org] "
            "[session 3] [client 198.51.100.7] ",
            [],
        ),
        ("host wwsympa[702]: notice main::do_login() Authentication failed", ["2001:db8::7"]),
        (
            "host wwsympa[701]: info main::do_login(y@example.org\n) [robot r] [session 1] "
            "[client 203.0.113.9] ",
            [],
        ),
        ("host wwsympa[701]: notice main::do_login() Authentication failed", []),
    ]
    for line, expected in steps:
        assert [f.host for f in lf.process(line, NOW, NOW).failures] == expected, line


@pytest.mark.parametrize(
    "line",
    [
        "ban jail=recidive address=203.0.113.9 target=203.0.113.9/32 bantime=9 offence=1 "
        "failures=5",
        "host sshd[9]: ban jail=sshd address=203.0.113.9 target=203.0.113.9/32 bantime=9 "
        "offence=1 failures=5",
        "host rempart[9]: line: Invalid user ban jail=sshd address=203.0.113.9 "
        "target=203.0.113.9/32 bantime=9 offence=1 failures=5",
        "host rempart[9]: ban jail=sshd address=203.0.113.9 target=203.0.113.9/32 bantime=9 "
        "offence=1 failures=5 user=x",
        "x\nban jail=sshd address=203.0.113.9 target=203.0.113.9/32 bantime=9 offence=1 failures=5",
        "host rempart[9]: ban jail=sshd address=192.0.2.7 target=192.0.2.7/32 bantime=9 offence=1 "
        "failures=5\nban jail=sshd address=203.0.113.9 target=203.0.113.9/32 bantime=9 offence=1 "
        "failures=5",
    ],
)
def test_recidive_reads_nothing_but_rempart_ban_lines(line: str) -> None:
    for stamp in (NOW, None):
        result = _filter("recidive", "normal").process(line, NOW, stamp)
        assert not {f.host for f in result.failures} & set(INJECTED), line


# ------------------------------------------------------------------ successful logins

SUCCESS_TEMPLATES = (
    Template(
        "sshd",
        "Nov 21 10:00:00 host sshd[{pid}]: Accepted password for {a} from {addr} port 4242 ssh2",
        ALL,
        _vis,
        counted=lambda s: bool(s) and " " not in s,
    ),
    Template(
        "sshd",
        "host sshd-session[{pid}]: Accepted publickey for {a} from {addr} port 4242 ssh2: "
        "ED25519 SHA256:M73JdV3HcFtzRP7Pg2Fbx3p9mMRI1FknL4aqXNC4WG0",
        ALL,
        _vis,
        counted=lambda s: bool(s) and " " not in s,
        journal=True,
    ),
    Template(
        "sshd",
        "Accepted keyboard-interactive/pam for {a} from {addr} port 4242 ssh2\r",
        ALL,
        _vis,
        counted=lambda s: bool(s) and " " not in s,
        journal=True,
    ),
    Template(
        "sshd",
        "Nov 21 10:00:00 host sshd[{pid}]: Accepted hostbased for root from {addr} port 4242 "
        'ssh2: ECDSA SHA256:Fo1Rn3vEUoPV5Xq1OUSdKYjS4Pz6ZWMxfQh8Sy7tfsU, client user "{a}", '
        'client host "{b}"',
        ALL,
        _vis,
    ),
)


@cache
def _success_filter(name: str, mode: str) -> LineFilter:
    success = build_success_filter(load_shipped(name).definition(mode))
    assert success is not None
    return success


def _logins(name: str, mode: str, line: str, journal: bool) -> list[str]:
    result = _success_filter(name, mode).process(line, NOW, NOW if journal else None)
    return [f.host for f in result.failures]


def _check_logins(slot: str) -> None:
    """No failure line is a login; a login never names a forged address."""
    for mode in load_shipped("sshd").modes:
        for addr in REAL:
            for template in (t for t in TEMPLATES if t.filter == "sshd"):
                for escaped in (False, True):
                    line = template.line(slot, addr, next(_pids), escaped=escaped)
                    assert _logins("sshd", mode, line, template.journal) == [], (mode, line)
            for template in SUCCESS_TEMPLATES:
                raw = template.line(slot, addr, next(_pids), escaped=False)
                logins = _logins("sshd", mode, raw, template.journal)
                assert not set(logins) & set(INJECTED), (mode, raw)
                escaped_line = template.line(slot, addr, next(_pids), escaped=True)
                logins = _logins("sshd", mode, escaped_line, template.journal)
                assert not set(logins) & set(INJECTED), (mode, escaped_line)
                expected = [addr] if template.counted(template.escape(slot)) else []
                assert logins == expected, (mode, escaped_line, logins)


@pytest.mark.parametrize("slot", FIELDS, ids=lambda s: repr(s[:30]))
def test_hostile_fields_never_make_a_login(slot: str) -> None:
    _check_logins(slot)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(slot=HOSTILE)
def test_generated_hostile_fields_never_make_a_login(slot: str) -> None:
    _check_logins(slot)
