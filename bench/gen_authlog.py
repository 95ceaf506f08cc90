"""Deterministic generator of realistic OpenSSH auth logs, with a per-line truth file.

The log mixes what a Debian host's ``auth.log``/``syslog`` really holds: every kind of failure
sshd writes (OpenSSH 9.x wording, checked against real lines), successful logins, sshd's
own helper lines (PAM, disconnects), and noise from other programs (CRON, systemd,
postfix, kernel, sudo). Sources are IPv4 and IPv6, tens of thousands of them at 1M lines.

Planted on purpose, and listed in the truth header:

- **attackers**: at least 5 failures within 10 minutes (banned by the default rule);
- **near-misses**: 4 failures in a burst, or 5 failures spread over far more than 10 minutes
  (never banned by a correct sliding-window count, nor by fail2ban's rescaled count);
- **log injection**: user names such as ``admin from 203.0.113.9 port 22 ssh2`` that name an
  address (sometimes a member's) which must never be blamed;
- hosts running OpenSSH >= 9.8, whose per-connection process is ``sshd-session``.

Every other failing source stays at 4 failures or fewer in any 10-minute window, so the
expected bans are exactly the attackers (the generator checks this).

Truth file (JSON lines): a header object (parameters, rule, counts per kind, attackers,
near-misses, injected addresses, expected bans), then one object per log line::

    {"line": 12, "kind": "failed_password_invalid", "failure": true, "address": "192.0.2.7"}

``address`` is the remote address the line is about (``null`` for lines about none); a line
counts as a failure when ``failure`` is true. ``kex_ident`` lines carry no address in their
text: sshd names it on a later line of the same process, given as ``"close": <line>``.

Usage::

    python bench/gen_authlog.py --lines 1000000 --format classic --seed 1
    python bench/gen_authlog.py --lines 3000 --seed 2026 --out rempart/samples/auth.log

Outputs are cached under ``bench/cache/``, keyed by every parameter and a hash of this file.
"""

from __future__ import annotations

import argparse
import base64
import calendar
import contextlib
import hashlib
import ipaddress
import json
import os
import random
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

__all__ = [
    "FAILURE_KINDS",
    "GENERATOR_VERSION",
    "Params",
    "ensure",
    "expected_bans",
    "generate",
    "main",
    "parse_args",
    "read_truth",
]

GENERATOR_VERSION = 1
BENCH_DIR = Path(__file__).resolve().parent
CACHE_DIR = BENCH_DIR / "cache"

# Europe/Paris in November: UTC+01:00 (no DST change inside the generated span).
TZ_OFFSET = 3600
TZ_SUFFIX = "+01:00"
START = calendar.timegm((2026, 11, 20, 0, 0, 0)) - TZ_OFFSET
LINES_PER_SECOND = 2.0
MIN_SPAN = 7200.0

MAXRETRY = 5
FINDTIME = 600.0
SOURCE_GAP = 900.0  # failing sessions of one non-attacker source are at least this far apart

# ----------------------------------------------------------------------------- kinds
FAILED_PASSWORD = "failed_password"
FAILED_PASSWORD_INVALID = "failed_password_invalid"
FAILED_PUBLICKEY = "failed_publickey"
FAILED_PUBLICKEY_INVALID = "failed_publickey_invalid"
FAILED_KBDINT = "failed_kbdint"
FAILED_KBDINT_INVALID = "failed_kbdint_invalid"
PAM_AUTH_ERROR = "pam_auth_error"
INVALID_USER = "invalid_user"
MAX_AUTH = "max_auth"
TOO_MANY = "too_many_auth"
CLOSED_PREAUTH = "closed_preauth"
DISCONNECTED_PREAUTH = "disconnected_preauth"
NO_AUTH_METHODS = "no_auth_methods"
NO_IDENT = "no_ident"
BANNER = "banner_exchange"
KEX_NOMATCH = "kex_nomatch"
KEX_IDENT = "kex_ident"
BARE_PREAUTH = "bare_preauth"

FAILURE_KINDS: tuple[str, ...] = (
    FAILED_PASSWORD,
    FAILED_PASSWORD_INVALID,
    FAILED_PUBLICKEY,
    FAILED_PUBLICKEY_INVALID,
    FAILED_KBDINT,
    FAILED_KBDINT_INVALID,
    PAM_AUTH_ERROR,
    INVALID_USER,
    MAX_AUTH,
    TOO_MANY,
    CLOSED_PREAUTH,
    DISCONNECTED_PREAUTH,
    NO_AUTH_METHODS,
    NO_IDENT,
    BANNER,
    KEX_NOMATCH,
    KEX_IDENT,
    BARE_PREAUTH,
)
_FAILURES = frozenset(FAILURE_KINDS)

# sshd lines that are not failures
ACCEPTED = "accepted"
PAM_CHECK_PASS = "pam_check_pass"
PAM_AUTH_FAILURE = "pam_auth_failure"  # pam_unix's own line: fail2ban treats it as a helper
PAM_MORE = "pam_more_failures"
RECEIVED_DISCONNECT = "received_disconnect"
KEX_CLOSE = "kex_close"  # "Connection closed by IP port N" after kex_exchange_identification
SESSION = "session"
NOISE = "noise"

# ----------------------------------------------------------------------------- world
HOSTS: tuple[tuple[str, str, float], ...] = (
    # name, per-connection process, share of sshd traffic
    ("web1", "sshd", 0.30),
    ("web2", "sshd", 0.20),
    ("mail", "sshd", 0.20),
    ("lists", "sshd-session", 0.15),  # upgraded to OpenSSH 9.8+: sshd-session
    ("db", "sshd", 0.15),
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


MEMBERS = _words(
    "alice bruno chloe david emma farid gaelle hugo ines jules karim lea marc nadia olivier "
    "pauline quentin rose samir theo ursula victor wassim xavier yasmine zoe sympa deploy "
    "backup web "
)
DICTIONARY = _words(
    "admin test user ubuntu oracle postgres git guest ftpuser pi hadoop support ubnt nagios "
    "minecraft steam dev jenkins ansible debian centos mysql tomcat elastic solana sol "
    "validator node test1 user1 administrator webmaster www ftp demo odoo gitlab docker "
    "kafka zabbix es vagrant ec2-user azureuser teamspeak bot server student info sales "
    "mother default 0 1234 Admin root1 "
)
VALID_TARGETS = ("root", "root", "root", "www-data", "backup", "alice", "deploy")
KEY_TYPES = ("RSA", "RSA", "ED25519", "ECDSA")
NOMATCH = (
    ("key exchange method", "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1"),
    ("key exchange method", "diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1"),
    ("host key type", "ssh-rsa,ssh-dss"),
    ("host key type", "ssh-dss"),
    ("cipher", "aes128-cbc,3des-cbc,aes256-cbc"),
    ("MAC", "hmac-sha1,hmac-md5"),
)
CRON_JOBS = (
    ("root", 0, "command -v debian-sa1 > /dev/null && debian-sa1 1 1"),
    ("root", 0, "cd / && run-parts --report /etc/cron.hourly"),
    (
        "root",
        0,
        "[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then "
        "/usr/lib/php/sessionclean; fi",
    ),
    ("sympa", 112, "/usr/lib/sympa/bin/task_manager.pl --once"),
    ("www-data", 33, "php /var/www/spip/ecrire/cron.php > /dev/null"),
)
BYE_REASONS = ("Bye Bye", "Bye Bye", "Normal Shutdown, Thank you for playing", "")
IPV6_PREFIXES = (0x2A01E0A0, 0x200141D0, 0x2604A880, 0x2A03B0C0, 0x240E0000, 0x24098A00)

# Scanner connections: (template, kind, index of the line naming the address or -1);
# {a} address, {p} port, {x} a random pick (banner, algorithm and offer).
_KEX = "error: kex_exchange_identification: "
_BANNER_LINE = ("banner exchange: Connection from {a} port {p}: invalid format", BANNER, -1)
PROBES: dict[str, tuple[tuple[str, str, int], ...]] = {
    "kex_closed": (
        (_KEX + "Connection closed by remote host", KEX_IDENT, 1),
        ("Connection closed by {a} port {p}", KEX_CLOSE, -1),
    ),
    "kex_reset": (
        (_KEX + "read: Connection reset by peer", KEX_IDENT, 1),
        ("Connection reset by {a} port {p}", KEX_CLOSE, -1),
    ),
    "kex_http": (
        (_KEX + 'client sent invalid protocol identifier "{x}"', KEX_IDENT, 1),
        _BANNER_LINE,
    ),
    "kex_badchars": (
        (_KEX + "banner line contains invalid characters", KEX_IDENT, 1),
        _BANNER_LINE,
    ),
    "no_ident": (("Did not receive identification string from {a} port {p}", NO_IDENT, -1),),
    "kex_nomatch": (
        ("Unable to negotiate with {a} port {p}: no matching {x} [preauth]", KEX_NOMATCH, -1),
    ),
}
BARE_PREAUTH_LINES = (
    ("Connection closed by {a} port {p} [preauth]", BARE_PREAUTH, -1),
    ("Connection closed by {a} port {p} [preauth]", BARE_PREAUTH, -1),
    ("Connection reset by {a} port {p} [preauth]", BARE_PREAUTH, -1),
    ("Disconnected from {a} port {p} [preauth]", BARE_PREAUTH, -1),
)
HTTP_BANNERS = ("GET / HTTP/1.1", "GET / HTTP/1.0", "MGLNDD_203.0.113.10_22", "\\026\\003\\001")


@dataclass(frozen=True, slots=True)
class Params:
    """Everything that determines the generated bytes (and the cache key)."""

    lines: int = 1_000_000
    fmt: str = "classic"
    seed: int = 1
    attackers: int | None = None
    near_misses: int | None = None

    def attackers_n(self) -> int:
        return self.attackers if self.attackers is not None else max(3, self.lines // 2000)

    def near_misses_n(self) -> int:
        return self.near_misses if self.near_misses is not None else max(3, self.lines // 2000)

    def key(self) -> str:
        """Cache key: every parameter, and a hash of this file (any change regenerates)."""
        code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:10]
        base = f"authlog-{code}-{self.fmt}-{self.lines}-s{self.seed}"
        if self.attackers is not None or self.near_misses is not None:
            base += f"-a{self.attackers_n()}-n{self.near_misses_n()}"
        return base


class Prefix:
    """Host, program and pid of a line (sessions get their pid once sorted by time)."""

    __slots__ = ("host", "pid", "prefix", "prog")

    def __init__(self, host: int, prog: str, pid: int = 0) -> None:
        self.host, self.prog, self.pid = host, prog, pid
        self.prefix = f"{HOSTS[host][0]} {prog}[{pid}]:" if pid else ""

    def seal(self, pid: int) -> None:
        self.pid = pid
        self.prefix = f"{HOSTS[self.host][0]} {self.prog}[{pid}]:"


def _fixed(host: int, text: str) -> Prefix:
    p = Prefix(host, "")
    p.prefix = f"{HOSTS[host][0]} {text}:"
    return p


# (time, seq, prefix, message, kind, address, link-seq)
Line = tuple[float, int, Prefix, str, str, str | None, int]
# (offset, message, kind, address, link index within the session or -1)
Step = tuple[float, str, str, str | None, int]


@dataclass(slots=True)
class Role:
    address: str
    role: str
    style: str
    host: str
    failures: list[float] = field(default_factory=list)


@dataclass(slots=True)
class Generated:
    params: Params
    lines: list[Line]
    roles: list[Role]
    injected: list[str]


# ----------------------------------------------------------------------------- addresses
class Addresses:
    """Fresh, distinct source addresses (canonical text, RFC 5952 for IPv6)."""

    _BAD_V4 = frozenset({0, 10, 100, 127, 169, 172, 192, 198, 203})

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def fresh(self, v6: bool) -> str:
        while True:
            text = self._v6() if v6 else self._v4()
            if text not in self.used:
                self.used.add(text)
                return text

    def _v4(self) -> str:
        rng = self.rng
        first = rng.randint(1, 223)
        while first in self._BAD_V4:
            first = rng.randint(1, 223)
        return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"

    def _v6(self) -> str:
        rng = self.rng
        prefix = rng.choice(IPV6_PREFIXES) << 96
        subnet = rng.getrandbits(32) << 64
        iid = rng.randint(1, 0xFFFF) if rng.random() < 0.4 else rng.getrandbits(64)
        return str(ipaddress.IPv6Address(prefix | subnet | iid))


def _fingerprint(rng: random.Random) -> str:
    return base64.b64encode(rng.getrandbits(256).to_bytes(32, "big")).decode()[:43]


# ----------------------------------------------------------------------------- sessions
class Sessions:
    """Line sequences of one sshd connection, as OpenSSH 9.x writes them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def _tiny(self) -> float:
        return self.rng.uniform(0.00002, 0.0004)

    @staticmethod
    def _pam_tail(addr: str, user: str, valid: bool) -> str:
        # pam_unix writes "rhost=<addr> " then " user=<name>" when the user exists
        tail = f"logname= uid=0 euid=0 tty=ssh ruser= rhost={addr} "
        return tail + (f" user={user}" if valid else "")

    def _ending(
        self, steps: list[Step], t: float, ending: str, addr: str, port: int, user: str, valid: bool
    ) -> float:
        who = f"{'authenticating' if valid else 'invalid'} user {user} {addr} port {port}"
        inv = "" if valid else "invalid user "
        if ending == "closed":
            steps.append((t, f"Connection closed by {who} [preauth]", CLOSED_PREAUTH, addr, -1))
        elif ending == "reset":
            steps.append((t, f"Connection reset by {who} [preauth]", CLOSED_PREAUTH, addr, -1))
        elif ending == "bye":
            reason = self.rng.choice(BYE_REASONS)
            msg = f"Received disconnect from {addr} port {port}:11: {reason} [preauth]"
            steps.append((t, msg, RECEIVED_DISCONNECT, addr, -1))
            t += self._tiny()
            steps.append((t, f"Disconnected from {who} [preauth]", DISCONNECTED_PREAUTH, addr, -1))
        elif ending == "maxauth":
            msg = (
                f"error: maximum authentication attempts exceeded for {inv}{user} "
                f"from {addr} port {port} ssh2 [preauth]"
            )
            steps.append((t, msg, MAX_AUTH, addr, -1))
            t += self._tiny()
            msg = f"Disconnecting {who}: Too many authentication failures [preauth]"
            steps.append((t, msg, TOO_MANY, addr, -1))
        else:
            raise ValueError(ending)
        return t

    def _pam_more(self, steps: list[Step], t: float, n: int, addr: str, user: str, v: bool) -> None:
        if n >= 1:
            noun = "failure" if n == 1 else "failures"
            msg = f"PAM {n} more authentication {noun}; {self._pam_tail(addr, user, v)}"
            steps.append((t + self._tiny(), msg, PAM_MORE, addr, -1))

    def password(
        self, addr: str, port: int, user: str, valid: bool, attempts: int, ending: str
    ) -> list[Step]:
        rng, steps, t = self.rng, [], 0.0
        inv = "" if valid else "invalid user "
        kind = FAILED_PASSWORD if valid else FAILED_PASSWORD_INVALID
        if not valid:
            steps.append(
                (t, f"Invalid user {user} from {addr} port {port}", INVALID_USER, addr, -1)
            )
            t += rng.uniform(0.05, 0.4)
        for i in range(attempts):
            if not valid:
                steps.append(
                    (t, "pam_unix(sshd:auth): check pass; user unknown", PAM_CHECK_PASS, None, -1)
                )
                t += self._tiny()
            if i == 0:
                tail = self._pam_tail(addr, user, valid)
                msg = f"pam_unix(sshd:auth): authentication failure; {tail}"
                steps.append((t, msg, PAM_AUTH_FAILURE, addr, -1))
            t += rng.uniform(1.8, 3.2)  # pam_faildelay
            msg = f"Failed password for {inv}{user} from {addr} port {port} ssh2"
            steps.append((t, msg, kind, addr, -1))
            t += rng.uniform(0.1, 2.5)
        t = self._ending(steps, t, ending, addr, port, user, valid)
        self._pam_more(steps, t, attempts - 1, addr, user, valid)
        return steps

    def publickey(
        self, addr: str, port: int, user: str, valid: bool, attempts: int, ending: str
    ) -> list[Step]:
        rng, steps, t = self.rng, [], 0.0
        inv = "" if valid else "invalid user "
        kind = FAILED_PUBLICKEY if valid else FAILED_PUBLICKEY_INVALID
        if not valid:
            steps.append(
                (t, f"Invalid user {user} from {addr} port {port}", INVALID_USER, addr, -1)
            )
            t += rng.uniform(0.05, 0.3)
        for _ in range(attempts):
            key = f"{rng.choice(KEY_TYPES)} SHA256:{_fingerprint(rng)}"
            msg = f"Failed publickey for {inv}{user} from {addr} port {port} ssh2: {key}"
            steps.append((t, msg, kind, addr, -1))
            t += rng.uniform(0.05, 0.4)
        self._ending(steps, t, ending, addr, port, user, valid)
        return steps

    def kbdint(
        self, addr: str, port: int, user: str, valid: bool, attempts: int, ending: str
    ) -> list[Step]:
        rng, steps, t = self.rng, [], 0.0
        inv = "" if valid else "invalid user "
        kind = FAILED_KBDINT if valid else FAILED_KBDINT_INVALID
        if not valid:
            steps.append(
                (t, f"Invalid user {user} from {addr} port {port}", INVALID_USER, addr, -1)
            )
            t += rng.uniform(0.05, 0.3)
        for i in range(attempts):
            if not valid:
                steps.append(
                    (t, "pam_unix(sshd:auth): check pass; user unknown", PAM_CHECK_PASS, None, -1)
                )
                t += self._tiny()
            if i == 0:
                tail = self._pam_tail(addr, user, valid)
                msg = f"pam_unix(sshd:auth): authentication failure; {tail}"
                steps.append((t, msg, PAM_AUTH_FAILURE, addr, -1))
            t += rng.uniform(1.8, 3.2)
            illegal = "" if valid else "illegal user "
            msg = f"error: PAM: Authentication failure for {illegal}{user} from {addr}"
            steps.append((t, msg, PAM_AUTH_ERROR, addr, -1))
            t += self._tiny()
            msg = f"Failed keyboard-interactive/pam for {inv}{user} from {addr} port {port} ssh2"
            steps.append((t, msg, kind, addr, -1))
            t += rng.uniform(0.1, 2.0)
        t = self._ending(steps, t, ending, addr, port, user, valid)
        self._pam_more(steps, t, attempts - 1, addr, user, valid)
        return steps

    def probe(self, addr: str, port: int, what: str) -> list[Step]:
        """One connection of a protocol scanner (never reaches authentication)."""
        rng, d = self.rng, self._tiny()
        if what == "no_auth_methods":
            return self._no_auth_methods(addr, port, d)
        pick, templates = "", PROBES.get(what, ())
        if what == "kex_http":
            pick = rng.choice(HTTP_BANNERS)
        elif what == "kex_nomatch":
            pick = "{} found. Their offer: {}".format(*rng.choice(NOMATCH))
        elif what == "bare_preauth":
            templates = (rng.choice(BARE_PREAUTH_LINES),)
        if not templates:
            raise ValueError(what)
        return [
            (d if i else 0.0, template.format(a=addr, p=port, x=pick), kind, addr, link)
            for i, (template, kind, link) in enumerate(templates)
        ]

    def _no_auth_methods(self, addr: str, port: int, d: float) -> list[Step]:
        """A client that offers no method the server accepts (e.g. password-only bots)."""
        rng = self.rng
        user = rng.choice(("root", "root", "admin"))
        valid = user == "root"
        who = f"{'authenticating' if valid else 'invalid'} user {user} {addr} port {port}"
        steps: list[Step] = []
        if not valid:
            steps.append(
                (0.0, f"Invalid user {user} from {addr} port {port}", INVALID_USER, addr, -1)
            )
        msg = (
            f"error: Received disconnect from {addr} port {port}:14: "
            "No supported authentication methods available [preauth]"
        )
        t = rng.uniform(0.05, 0.3)
        steps.append((t, msg, NO_AUTH_METHODS, addr, -1))
        steps.append((t + d, f"Disconnected from {who} [preauth]", DISCONNECTED_PREAUTH, addr, -1))
        return steps

    def success(
        self, addr: str, port: int, user: str, uid: int, method: str, mistype: bool
    ) -> tuple[list[Step], float]:
        """A member's login: (steps, duration of the session)."""
        rng, steps, t = self.rng, [], 0.0
        if mistype:
            msg = f"pam_unix(sshd:auth): authentication failure; {self._pam_tail(addr, user, True)}"
            steps.append((t, msg, PAM_AUTH_FAILURE, addr, -1))
            t += rng.uniform(1.8, 3.2)
            steps.append(
                (
                    t,
                    f"Failed password for {user} from {addr} port {port} ssh2",
                    FAILED_PASSWORD,
                    addr,
                    -1,
                )
            )
            t += rng.uniform(1.0, 6.0)
        if method == "publickey":
            key = f"{rng.choice(KEY_TYPES)} SHA256:{_fingerprint(rng)}"
            msg = f"Accepted publickey for {user} from {addr} port {port} ssh2: {key}"
        else:
            msg = f"Accepted password for {user} from {addr} port {port} ssh2"
        steps.append((t, msg, ACCEPTED, addr, -1))
        t += self._tiny()
        steps.append(
            (
                t,
                f"pam_unix(sshd:session): session opened for user {user}(uid={uid}) by (uid=0)",
                SESSION,
                None,
                -1,
            )
        )
        duration = rng.choice((rng.uniform(1.0, 20.0), rng.uniform(30.0, 7200.0)))
        t += duration
        steps.append(
            (
                t,
                f"Received disconnect from {addr} port {port}:11: disconnected by user",
                SESSION,
                addr,
                -1,
            )
        )
        t += self._tiny()
        steps.append((t, f"Disconnected from user {user} {addr} port {port}", SESSION, addr, -1))
        t += self._tiny()
        steps.append(
            (t, f"pam_unix(sshd:session): session closed for user {user}", SESSION, None, -1)
        )
        return steps, t


# ----------------------------------------------------------------------------- builder
class Builder:
    """Collects lines; keeps counts used to hit the requested mix."""

    def __init__(self, params: Params) -> None:
        self.params = params
        self.rng = random.Random(params.seed)
        self.span = max(MIN_SPAN, params.lines / LINES_PER_SECOND)
        self.addresses = Addresses(self.rng)
        self.sessions = Sessions(self.rng)
        self.lines: list[Line] = []
        self.sshd: list[Prefix] = []  # sessions needing a pid
        self.roles: list[Role] = []
        self.injected: list[str] = []
        self.seq = 0
        self.failure_lines = 0
        self.success_lines = 0
        weights = [h[2] for h in HOSTS]
        self._host_weights = weights
        self.members = self._members()

    # -- helpers
    def host(self) -> int:
        return self.rng.choices(range(len(HOSTS)), self._host_weights)[0]

    def port(self) -> int:
        return self.rng.randint(1024, 65535)

    def add(self, start: float, host: int, steps: Sequence[Step]) -> int:
        """Adds one sshd connection; returns its number of failure lines."""
        prefix = Prefix(host, HOSTS[host][1])
        self.sshd.append(prefix)
        first = self.seq
        failures = 0
        for offset, msg, kind, addr, link in steps:
            ref = first + link if link >= 0 else -1
            self.lines.append((start + offset, self.seq, prefix, msg, kind, addr, ref))
            self.seq += 1
            if kind in _FAILURES:
                failures += 1
        self.failure_lines += failures
        return failures

    def add_fixed(self, t: float, prefix: Prefix, msg: str, kind: str = NOISE) -> None:
        self.lines.append((t, self.seq, prefix, msg, kind, None, -1))
        self.seq += 1

    def _members(self) -> list[tuple[str, int, list[str]]]:
        out = []
        for i, name in enumerate(MEMBERS):
            homes = [
                self.addresses.fresh(self.rng.random() < 0.3) for _ in range(self.rng.randint(1, 3))
            ]
            out.append((name, 1000 + i, homes))
        return out

    # -- attack sessions by style
    def attack_session(self, style: str, addr: str, user_hint: str | None = None) -> list[Step]:
        rng, s, port = self.rng, self.sessions, self.port()
        if style == "dictionary":
            user = user_hint or rng.choice(DICTIONARY)
            return s.password(
                addr,
                port,
                user,
                False,
                rng.randint(1, 3),
                rng.choice(("closed", "closed", "bye", "reset")),
            )
        if style == "root_password":
            if rng.random() < 0.5:
                return s.password(addr, port, "root", True, rng.randint(3, 6), "maxauth")
            return s.password(addr, port, "root", True, rng.randint(1, 3), "closed")
        if style == "key_prober":
            user = rng.choice(("root", "root", "git", "ubuntu"))
            valid = user == "root"
            ending = rng.choice(("maxauth", "closed")) if valid else "closed"
            return s.publickey(addr, port, user, valid, rng.randint(1, 3), ending)
        if style == "kbdint":
            valid = rng.random() < 0.4
            user = "root" if valid else rng.choice(DICTIONARY)
            return s.kbdint(
                addr, port, user, valid, rng.randint(1, 3), rng.choice(("closed", "bye", "maxauth"))
            )
        if style == "scanner":
            what = rng.choice(
                (
                    "kex_closed",
                    "kex_reset",
                    "kex_http",
                    "kex_badchars",
                    "no_ident",
                    "kex_nomatch",
                    "bare_preauth",
                    "no_auth_methods",
                )
            )
            return s.probe(addr, port, what)
        raise ValueError(style)

    def attacker(self, style: str, injection: bool) -> None:
        rng = self.rng
        addr = self.addresses.fresh(rng.random() < 0.2)
        host = self.host()
        role = Role(addr, "attacker", style + ("+injection" if injection else ""), HOSTS[host][0])
        self.roles.append(role)
        sessions = rng.randint(5, 30) if style in ("dictionary", "scanner") else rng.randint(2, 8)
        start = rng.uniform(0.0, self.span - 3600.0)
        t, done = start, 0
        hint = self._injected_user() if injection else None
        while done < sessions or len(role.failures) <= MAXRETRY:
            done += 1
            steps = self.attack_session(style, addr, hint)
            self.add(t, host, steps)
            role.failures.extend(t + st[0] for st in steps if st[2] in _FAILURES)
            t += rng.uniform(2.0, 25.0) if style != "scanner" else rng.uniform(5.0, 60.0)

    def _injected_user(self) -> str:
        """A user name that names another address (a member's, or a documentation one)."""
        rng = self.rng
        if rng.random() < 0.5:
            fake = rng.choice(rng.choice(self.members)[2])
        else:
            fake = rng.choice(("203.0.113.9", "198.51.100.23", "2001:db8::66", "203.0.113.77"))
        if fake not in self.injected:
            self.injected.append(fake)
        base = rng.choice(("admin", "root", "test", "x"))
        return rng.choice(
            (
                f"{base} from {fake} port 22 ssh2",
                f"{base} from {fake} port {self.port()}",
                f"{base} from {fake}",
            )
        )

    def near_miss(self, style: str) -> None:
        rng, s = self.rng, self.sessions
        addr = self.addresses.fresh(rng.random() < 0.2)
        host = self.host()
        role = Role(addr, "near_miss", style, HOSTS[host][0])
        self.roles.append(role)
        start = rng.uniform(0.0, self.span - 3600.0)
        if style == "burst4":
            choice = rng.randrange(3)
            if choice == 0:  # Invalid user + 2 Failed password + Connection closed = 4
                plans = [s.password(addr, self.port(), rng.choice(DICTIONARY), False, 2, "closed")]
            elif choice == 1:  # 3 Failed publickey + Connection closed = 4
                plans = [s.publickey(addr, self.port(), "root", True, 3, "closed")]
            else:  # 4 scanner probes of one failure each
                plans = [
                    s.probe(
                        addr, self.port(), rng.choice(("kex_closed", "kex_nomatch", "bare_preauth"))
                    )
                    for _ in range(4)
                ]
            gap = (3.0, 40.0)
        else:  # slow5: 5 one-failure probes, 4 to 5.5 minutes apart (span > 16 minutes)
            plans = [
                s.probe(
                    addr,
                    self.port(),
                    rng.choice(("kex_closed", "kex_nomatch", "bare_preauth", "no_ident")),
                )
                for _ in range(5)
            ]
            gap = (240.0, 330.0)
        t = start
        for steps in plans:
            self.add(t, host, steps)
            role.failures.extend(t + st[0] for st in steps if st[2] in _FAILURES)
            t += rng.uniform(*gap)

    # -- background: many sources, each at most 4 failures per 10 minutes
    _BACKGROUND: tuple[tuple[str, float], ...] = (
        ("pw_invalid_1", 22),
        ("pw_invalid_2", 6),
        ("pw_invalid_0", 5),
        ("pw_root", 10),
        ("pw_root_0", 6),
        ("pk_root", 6),
        ("pk_invalid", 4),
        ("kbd_invalid", 3),
        ("kbd_valid", 3),
        ("kex_closed", 12),
        ("kex_reset", 4),
        ("kex_http", 3),
        ("kex_badchars", 2),
        ("no_ident", 2),
        ("kex_nomatch", 6),
        ("bare_preauth", 6),
        ("no_auth_methods", 3),
    )

    def background_session(self, kind: str, addr: str) -> list[Step]:
        rng, s, port = self.rng, self.sessions, self.port()
        end3 = rng.choice(("closed", "closed", "bye", "reset"))
        if kind == "pw_invalid_1":
            return s.password(addr, port, rng.choice(DICTIONARY), False, 1, end3)
        if kind == "pw_invalid_2":
            return s.password(addr, port, rng.choice(DICTIONARY), False, 2, "closed")
        if kind == "pw_invalid_0":
            return s.password(
                addr, port, rng.choice(DICTIONARY), False, 0, rng.choice(("bye", "closed"))
            )
        if kind == "pw_root":
            return s.password(
                addr, port, rng.choice(VALID_TARGETS), True, rng.randint(1, 3), "closed"
            )
        if kind == "pw_root_0":
            return s.password(
                addr, port, rng.choice(VALID_TARGETS), True, 0, rng.choice(("closed", "bye"))
            )
        if kind == "pk_root":
            return s.publickey(addr, port, "root", True, rng.randint(1, 3), "closed")
        if kind == "pk_invalid":
            return s.publickey(
                addr, port, rng.choice(DICTIONARY), False, rng.randint(1, 2), "closed"
            )
        if kind == "kbd_invalid":
            return s.kbdint(addr, port, rng.choice(DICTIONARY), False, 1, "closed")
        if kind == "kbd_valid":
            return s.kbdint(addr, port, "root", True, 1, "closed")
        return s.probe(addr, port, kind)

    def background_source(self) -> None:
        rng = self.rng
        addr = self.addresses.fresh(rng.random() < 0.2)
        n = rng.choices((1, 2, 3, 4, 5), (55, 25, 12, 5, 3))[0]
        host = self.host()
        kinds, weights = zip(*self._BACKGROUND, strict=True)
        for start in self._spread(n):
            if rng.random() < 0.15:
                host = self.host()
            self.add(start, host, self.background_session(rng.choices(kinds, weights)[0], addr))

    def injection_background(self) -> None:
        """A lone injection attempt (3 failures): must not blame the named address."""
        addr = self.addresses.fresh(self.rng.random() < 0.2)
        user = self._injected_user()
        steps = self.sessions.password(addr, self.port(), user, False, 1, "closed")
        self.add(self.rng.uniform(0.0, self.span - 60.0), self.host(), steps)

    def _spread(self, n: int) -> list[float]:
        """n start times in the span, pairwise at least SOURCE_GAP apart (fewer if crowded)."""
        rng, out = self.rng, []
        for _ in range(n):
            for _attempt in range(8):
                t = rng.uniform(0.0, self.span - 60.0)
                if all(abs(t - o) >= SOURCE_GAP for o in out):
                    out.append(t)
                    break
        return sorted(out)

    # -- members (successes)
    def member_session(self, fails: dict[str, list[float]]) -> None:
        rng = self.rng
        name, uid, homes = rng.choice(self.members)
        addr = rng.choice(homes)
        start = rng.uniform(0.0, self.span - 60.0)
        method = "publickey" if rng.random() < 0.8 else "password"
        mistype = method == "password" and rng.random() < 0.15
        past = fails.setdefault(addr, [])
        if mistype and any(abs(start - t) < SOURCE_GAP for t in past):
            mistype = False
        if mistype:
            past.append(start)
        host = self.host()
        steps, duration = self.sessions.success(addr, self.port(), name, uid, method, mistype)
        before = len(self.lines)
        self.add(start, host, steps)
        self._logind(start + (steps[0][0] if not mistype else steps[2][0]), duration, host, name)
        self.success_lines += len(self.lines) - before

    def _logind(self, t: float, duration: float, host: int, user: str) -> None:
        logind = _fixed(host, f"systemd-logind[{400 + host * 7}]")
        n = self.rng.randint(1, 99999)
        self.add_fixed(t + 0.01, logind, f"New session {n} of user {user}.", SESSION)
        systemd = _fixed(host, "systemd[1]")
        self.add_fixed(
            t + 0.012, systemd, f"Started session-{n}.scope - Session {n} of User {user}.", SESSION
        )
        msg = f"Session {n} logged out. Waiting for processes to exit."
        self.add_fixed(t + duration + 0.01, logind, msg, SESSION)
        self.add_fixed(t + duration + 0.02, logind, f"Removed session {n}.", SESSION)

    # -- noise from other programs
    def noise(self, count: int) -> None:
        rng = self.rng
        makers = (self._cron, self._systemd, self._postfix, self._kernel, self._sudo)
        weights = (30, 25, 25, 15, 5)
        left = count
        while left > 0:
            t = rng.uniform(0.0, self.span)
            host = self.host()
            maker = rng.choices(makers, weights)[0] if left >= 3 else self._kernel
            left -= maker(t, host)

    def _cron(self, t: float, host: int) -> int:
        p = _fixed(host, f"CRON[{self.rng.randint(2000, 999999)}]")
        user, uid, cmd = self.rng.choice(CRON_JOBS)
        self.add_fixed(
            t, p, f"pam_unix(cron:session): session opened for user {user}(uid={uid}) by (uid=0)"
        )
        self.add_fixed(t + 0.001, p, f"({user}) CMD ({cmd})")
        self.add_fixed(t + 0.4, p, f"pam_unix(cron:session): session closed for user {user}")
        return 3

    def _systemd(self, t: float, host: int) -> int:
        p = _fixed(host, "systemd[1]")
        unit, desc = self.rng.choice(
            (
                ("sysstat-collect.service", "system activity accounting tool"),
                ("phpsessionclean.service", "Clean php session files"),
                ("logrotate.service", "Rotate log files"),
                ("apt-daily.service", "Daily apt download activities"),
            )
        )
        self.add_fixed(t, p, f"Starting {unit} - {desc}...")
        self.add_fixed(t + 0.05, p, f"{unit}: Deactivated successfully.")
        self.add_fixed(t + 0.051, p, f"Finished {unit} - {desc}.")
        return 3

    def _postfix(self, t: float, host: int) -> int:
        rng = self.rng
        p = _fixed(host, f"postfix/smtpd[{rng.randint(2000, 999999)}]")
        ip = (
            self.addresses.fresh(rng.random() < 0.1)
            if rng.random() < 0.5
            else rng.choice(("185.220.101.4", "45.148.10.81", "80.94.95.115"))
        )
        name = rng.choice(("unknown", "unknown", "mail.example.net"))
        self.add_fixed(t, p, f"connect from {name}[{ip}]")
        self.add_fixed(
            t + rng.uniform(1.0, 4.0),
            p,
            f"warning: {name}[{ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
        )
        self.add_fixed(
            t + rng.uniform(4.1, 6.0),
            p,
            f"disconnect from {name}[{ip}] ehlo=1 auth=0/1 quit=1 commands=2/3",
        )
        return 3

    def _kernel(self, t: float, host: int) -> int:
        rng = self.rng
        p = _fixed(host, "kernel")
        uptime = 86400.0 * 12 + t + host * 1000.0
        src = self.addresses.fresh(False) if rng.random() < 0.3 else "45.148.10.81"
        dpt = rng.choice((23, 445, 3389, 5900, 8080, 6379))
        msg = (
            f"[{uptime:12.6f}] nft-drop: IN=ens3 OUT= "
            "MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 "
            f"SRC={src} DST=203.0.113.{10 + host} LEN=44 TOS=0x00 PREC=0x00 TTL=243 "
            f"ID={rng.randint(1, 65535)} PROTO=TCP SPT={self.port()} DPT={dpt} WINDOW=1024 "
            "RES=0x00 SYN URGP=0"
        )
        self.add_fixed(t, p, msg)
        return 1

    def _sudo(self, t: float, host: int) -> int:
        rng = self.rng
        p = _fixed(host, "sudo")
        name, uid, _ = rng.choice(self.members[:8])
        cmd = rng.choice(
            (
                "/usr/bin/journalctl -u ssh",
                "/usr/bin/systemctl restart nginx",
                "/usr/bin/apt upgrade",
                "/usr/sbin/nft list ruleset",
            )
        )
        self.add_fixed(
            t, p, f"   {name} : TTY=pts/0 ; PWD=/home/{name} ; USER=root ; COMMAND={cmd}"
        )
        self.add_fixed(
            t + 0.001,
            p,
            f"pam_unix(sudo:session): session opened for user root(uid=0) by {name}(uid={uid})",
        )
        self.add_fixed(
            t + rng.uniform(0.5, 30.0), p, "pam_unix(sudo:session): session closed for user root"
        )
        return 3

    # -- finishing
    def assign_pids(self) -> None:
        """Pids grow with time on each host, as the kernel hands them out."""
        self.sshd.sort(key=lambda p: p.host)
        starts: dict[int, float] = {}
        for line in self.lines:
            prefix = line[2]
            if prefix.prog and id(prefix) not in starts:
                starts[id(prefix)] = line[0]
        by_host: dict[int, list[tuple[float, Prefix]]] = {}
        for prefix in self.sshd:
            by_host.setdefault(prefix.host, []).append((starts[id(prefix)], prefix))
        for host, items in sorted(by_host.items()):
            items.sort(key=lambda x: x[0])
            pid = 1000 + host * 5000
            for _, prefix in items:
                pid += self.rng.randint(1, 23)
                if pid > 4_194_000:
                    pid = 1000
                prefix.seal(pid)


ATTACK_STYLES = ("dictionary", "root_password", "key_prober", "scanner", "kbdint")
NEAR_MISS_STYLES = ("burst4", "slow5")


def generate(params: Params) -> Generated:
    """Builds the whole log in memory, sorted by time."""
    if params.fmt not in ("classic", "rfc3339"):
        raise ValueError(f"unknown format {params.fmt!r}")
    b = Builder(params)
    n_att = params.attackers_n()
    n_inj = max(1, n_att // 50)
    for i in range(n_att):
        b.attacker(ATTACK_STYLES[i % len(ATTACK_STYLES)] if i >= n_inj else "dictionary", i < n_inj)
    for i in range(params.near_misses_n()):
        b.near_miss(NEAR_MISS_STYLES[i % len(NEAR_MISS_STYLES)])
    for _ in range(params.lines // 20000):
        b.injection_background()
    target_fail = int(params.lines * 0.30)
    while b.failure_lines < target_fail:
        b.background_source()
    member_fails: dict[str, list[float]] = {}
    target_success = int(params.lines * 0.10)
    while b.success_lines < target_success:
        b.member_session(member_fails)
    left = params.lines - len(b.lines)
    if left < 0:
        raise ValueError(f"--lines {params.lines} is too small for the planted sources")
    b.noise(left)
    b.assign_pids()
    b.lines.sort()
    assert len(b.lines) == params.lines
    return Generated(params, b.lines, b.roles, b.injected)


# ----------------------------------------------------------------------------- truth
def expected_bans(
    failures: Iterable[tuple[str, float]], maxretry: int = MAXRETRY, findtime: float = FINDTIME
) -> dict[str, float]:
    """Address -> time of its first ban: ``maxretry`` failures within ``findtime`` seconds."""
    times: dict[str, list[float]] = {}
    for addr, t in failures:
        times.setdefault(addr, []).append(t)
    bans: dict[str, float] = {}
    for addr, ts in times.items():
        if len(ts) < maxretry:
            continue
        ts.sort()
        for i in range(maxretry - 1, len(ts)):
            if ts[i] - ts[i - maxretry + 1] < findtime:
                bans[addr] = ts[i]
                break
    return bans


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class _Clock:
    """Timestamp text per line, cached per second."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.second = -1
        self.text = ""

    def stamp(self, t: float) -> str:
        sec = int(t)
        if sec != self.second:
            self.second = sec
            tm = time.gmtime(sec + TZ_OFFSET)
            if self.fmt == "classic":
                month = MONTHS[tm.tm_mon - 1]
                self.text = (
                    f"{month} {tm.tm_mday:2d} {tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"
                )
            else:
                self.text = time.strftime("%Y-%m-%dT%H:%M:%S", tm)
        if self.fmt == "classic":
            return self.text
        return f"{self.text}.{int((t - sec) * 1_000_000):06d}{TZ_SUFFIX}"


def write(gen: Generated, log_path: Path, truth_path: Path) -> dict[str, object]:
    """Writes the log and its truth; returns the truth header."""
    lines = gen.lines
    targets = {line[6] for line in lines if line[6] >= 0}
    number = {line[1]: i for i, line in enumerate(lines, 1) if line[1] in targets}
    failures: list[tuple[str, float]] = []
    counts: dict[str, int] = dict.fromkeys(FAILURE_KINDS, 0)
    for t, _, _, _, kind, addr, _ in lines:
        if kind in _FAILURES and addr is not None:
            failures.append((addr, t + START))
            counts[kind] += 1
    bans = expected_bans(failures)
    header = _header(gen, counts, bans, len(failures))
    clock = _Clock(gen.params.fmt)
    with _atomic(log_path) as log, _atomic(truth_path) as truth:
        truth.write(json.dumps(header, sort_keys=True) + "\n")
        for i, (t, _, prefix, msg, kind, addr, ref) in enumerate(lines, 1):
            log.write(f"{clock.stamp(t + START)} {prefix.prefix} {msg}\n")
            a = f'"{addr}"' if addr is not None else "null"
            f = "true" if kind in _FAILURES else "false"
            extra = f',"close":{number[ref]}' if ref >= 0 else ""
            truth.write(f'{{"line":{i},"kind":"{kind}","failure":{f},"address":{a}{extra}}}\n')
    if lines:
        # a real log was last written when its last line was: readers (rempart replay)
        # resolve year-less syslog dates against the file's modification time
        last = lines[-1][0] + START
        os.utime(log_path, (last, last))
    return header


def _header(
    gen: Generated, counts: dict[str, int], bans: dict[str, float], n_failures: int
) -> dict[str, object]:
    p = gen.params
    attackers = sorted(r.address for r in gen.roles if r.role == "attacker")
    problems = sorted(set(bans) ^ set(attackers))
    if problems:
        raise AssertionError(f"generator bug: bans differ from planted attackers: {problems[:5]}")
    return {
        "type": "header",
        "generator": f"bench/gen_authlog.py v{GENERATOR_VERSION}",
        "params": {
            "lines": p.lines,
            "format": p.fmt,
            "seed": p.seed,
            "attackers": p.attackers_n(),
            "near_misses": p.near_misses_n(),
        },
        "timezone": TZ_SUFFIX,
        "rule": {"maxretry": MAXRETRY, "findtime": FINDTIME},
        "failure_kinds": list(FAILURE_KINDS),
        "failures": n_failures,
        "failures_by_kind": counts,
        "sources": len({a for a, _ in _addr_iter(gen)}),
        "roles": [
            {
                "address": r.address,
                "role": r.role,
                "style": r.style,
                "host": r.host,
                "failures": len(r.failures),
            }
            for r in gen.roles
        ],
        "injected_addresses": gen.injected,
        "bans": [{"address": a, "time": round(t, 6)} for a, t in sorted(bans.items())],
    }


def _addr_iter(gen: Generated) -> Iterable[tuple[str, float]]:
    for t, _, _, _, kind, addr, _ in gen.lines:
        if kind in _FAILURES and addr is not None:
            yield addr, t


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[TextIO]:
    """Writes to ``<path>.tmp`` and renames on success, so a killed run leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="\n", buffering=1 << 20) as f:
            yield f
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_truth(path: Path) -> tuple[dict[str, object], list[dict[str, object]]]:
    """The header and the per-line records of a truth file."""
    with path.open(encoding="utf-8") as f:
        header = json.loads(f.readline())
        return header, [json.loads(line) for line in f]


# ----------------------------------------------------------------------------- cache + CLI
def cached_paths(params: Params, cache_dir: Path = CACHE_DIR) -> tuple[Path, Path]:
    key = params.key()
    return cache_dir / f"{key}.log", cache_dir / f"{key}.truth.jsonl"


def ensure(params: Params, cache_dir: Path = CACHE_DIR, *, quiet: bool = True) -> tuple[Path, Path]:
    """The cached log and truth for ``params``, generated first if missing."""
    log_path, truth_path = cached_paths(params, cache_dir)
    if log_path.exists() and truth_path.exists():
        return log_path, truth_path
    t0 = time.perf_counter()
    gen = generate(params)
    write(gen, log_path, truth_path)
    if not quiet:
        print(
            f"generated {params.lines} lines in {time.perf_counter() - t0:.1f} s: {log_path}",
            file=sys.stderr,
        )
    return log_path, truth_path


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="gen_authlog.py",
        description="Generate a realistic, seeded OpenSSH auth log and its per-line truth.",
    )
    parser.add_argument(
        "--lines", type=int, default=1_000_000, help="number of lines (default 1000000)"
    )
    parser.add_argument(
        "--format",
        choices=("classic", "rfc3339"),
        default="classic",
        help="timestamp form: 'Nov 21 09:43:12', or RFC 3339 with microseconds",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--attackers", type=int, help="planted attackers (default lines/2000, at least 3)"
    )
    parser.add_argument(
        "--near-misses", type=int, help="planted near-misses (default lines/2000, at least 3)"
    )
    parser.add_argument("--out", type=Path, help="copy the log here (default: only the cache)")
    parser.add_argument("--truth", type=Path, help="copy the truth file here")
    parser.add_argument(
        "--cache-dir", type=Path, default=CACHE_DIR, help="cache folder (default bench/cache)"
    )
    parser.add_argument("--force", action="store_true", help="regenerate even when cached")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    params = Params(args.lines, args.format, args.seed, args.attackers, args.near_misses)
    if args.force:
        for path in cached_paths(params, args.cache_dir):
            path.unlink(missing_ok=True)
    log_path, truth_path = ensure(params, args.cache_dir, quiet=False)
    for src, dst in ((log_path, args.out), (truth_path, args.truth)):
        if dst is not None:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)  # keeps the modification time
    print(f"log:   {args.out or log_path}")
    print(f"truth: {args.truth or truth_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
