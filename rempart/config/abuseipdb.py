"""The ``[abuseipdb]`` tables: the key (a reference, never the key itself), the daily
blocklist and the reporting of bans, as frozen values, validated once.

::

    [abuseipdb]
    enabled = true
    key = "file:/etc/rempart/abuseipdb.key"     # or "env:ABUSEIPDB_KEY"
    hide = ["example.org"]                      # never written in a report's comment

    [abuseipdb.blocklist]
    every = "1d"
    confidence_minimum = 100

    [abuseipdb.report]
    categories = { sshd = [18, 22], postfix-sasl = [18] }
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from rempart.config.durations import parse_duration
from rempart.errors import ConfigError

__all__ = [
    "CATEGORIES",
    "DEFAULT_URL",
    "ENDPOINTS",
    "FREE_PLAN",
    "AbuseIPDBConfig",
    "BlocklistConfig",
    "ReportConfig",
    "SecretRef",
    "build_abuseipdb",
    "parse_secret",
]

DEFAULT_URL = "https://api.abuseipdb.com/api/v2/"

#: endpoints whose calls are counted per UTC day
ENDPOINTS = ("report", "check", "blacklist", "bulk-report")

#: daily calls per endpoint on AbuseIPDB's free ("Individual") plan
FREE_PLAN: Mapping[str, int] = MappingProxyType(
    {"report": 1000, "check": 1000, "blacklist": 5, "bulk-report": 5}
)

#: AbuseIPDB's categories (ids 1–23); 13 and 22 must come with another one
CATEGORIES: Mapping[int, str] = MappingProxyType(
    {
        1: "DNS Compromise",
        2: "DNS Poisoning",
        3: "Fraud Orders",
        4: "DDoS Attack",
        5: "FTP Brute-Force",
        6: "Ping of Death",
        7: "Phishing",
        8: "Fraud VoIP",
        9: "Open Proxy",
        10: "Web Spam",
        11: "Email Spam",
        12: "Blog Spam",
        13: "VPN IP",
        14: "Port Scan",
        15: "Hacking",
        16: "SQL Injection",
        17: "Spoofing",
        18: "Brute-Force",
        19: "Bad Web Bot",
        20: "Exploited Host",
        21: "Web App Attack",
        22: "SSH",
        23: "IoT Targeted",
    }
)
_NOT_ALONE = frozenset({13, 22})
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_HIDE = re.compile(r"[A-Za-z0-9._-]{2,253}")
QUARTER_HOUR = 900.0


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Where a secret is read: ``env`` (a variable's name) or ``file`` (a path)."""

    kind: Literal["env", "file"]
    where: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.where}"


@dataclass(frozen=True, slots=True)
class BlocklistConfig:
    """The daily blocklist: how often, which entries. ``ip_version`` None: both."""

    enabled: bool = True
    every: float = 86400.0
    confidence_minimum: int = 100
    limit: int = 10_000
    ip_version: int | None = None


@dataclass(frozen=True, slots=True)
class ReportConfig:
    """Reporting our bans: per jail its categories (a jail not listed never reports)."""

    enabled: bool = True
    categories: Mapping[str, tuple[int, ...]] = field(default_factory=lambda: MappingProxyType({}))
    cooldown: float = 86400.0
    bulk: bool = False


@dataclass(frozen=True, slots=True)
class AbuseIPDBConfig:
    enabled: bool = False
    key: SecretRef = SecretRef("env", "ABUSEIPDB_KEY")
    url: str = DEFAULT_URL
    timeout: float = 15.0
    hide: tuple[str, ...] = ()
    daily_limits: Mapping[str, int] = field(default_factory=lambda: FREE_PLAN)
    blocklist: BlocklistConfig = field(default_factory=BlocklistConfig)
    report: ReportConfig = field(default_factory=ReportConfig)

    @property
    def blocklist_on(self) -> bool:
        return self.enabled and self.blocklist.enabled

    @property
    def report_on(self) -> bool:
        return self.enabled and self.report.enabled and bool(self.report.categories)


Error = Callable[[str, str, str], ConfigError]


def _bool(error: Error, table: Mapping[str, Any], key: str, name: str, default: bool) -> bool:
    value = table.get(name, default)
    if not isinstance(value, bool):
        raise error(f"{key}.{name}", f"expected true or false, got {value!r}", f"{name} = true")
    return value


def _int(error: Error, value: Any, key: str, low: int, high: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise error(
            key,
            f"expected a whole number from {low} to {high}, got {value!r}",
            f"write {key.rsplit('.', 1)[-1]} = {example}",
        )
    return value


def _duration(error: Error, value: Any, key: str, example: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise error(key, str(exc), f"write {key.rsplit('.', 1)[-1]} = {example}") from exc


def parse_secret(error: Error, value: Any, key: str, fix: str, what: str = "password") -> SecretRef:
    """A ``file:/path`` or ``env:NAME`` reference; a ConfigError for anything else — above all
    the secret written in clear (it would end up in backups and in `rempart config` outputs).
    The one check for every secret of the configuration (AbuseIPDB key, SMTP and MariaDB
    passwords)."""
    if not isinstance(value, str):
        raise error(key, f"expected a text, got {type(value).__name__}", fix)
    kind, sep, where = value.partition(":")
    if not sep or kind not in ("env", "file"):
        raise error(
            key,
            f"the {what} must be a reference, never the {what} itself (it would end up in "
            "backups and in `rempart config` outputs)",
            fix,
        )
    if kind == "env" and not _ENV_NAME.fullmatch(where):
        raise error(key, f"{where[:40]!r} is not an environment variable name", fix)
    if kind == "file" and not where.startswith("/"):
        raise error(key, f"the {what} file must be an absolute path", fix)
    return SecretRef("env" if kind == "env" else "file", where)


def _secret(error: Error, value: Any) -> SecretRef:
    fix = (
        'write key = "file:/etc/rempart/abuseipdb.key" (a file readable by rempart only) '
        'or key = "env:ABUSEIPDB_KEY"'
    )
    return parse_secret(error, value, "abuseipdb.key", fix, "key")


def _url(error: Error, value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", value):
        raise error(
            "abuseipdb.url", f"expected an http(s) URL, got {value!r}", f'url = "{DEFAULT_URL}"'
        )
    return value if value.endswith("/") else value + "/"


def _hide(error: Error, value: Any) -> tuple[str, ...]:
    fix = 'write hide = ["example.org", "mail.example.org"]'
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise error("abuseipdb.hide", "expected a list of names", fix)
    for name in value:
        if not _HIDE.fullmatch(name):
            raise error("abuseipdb.hide", f"{name[:60]!r} is not a host or domain name", fix)
    return tuple(value)


def _limits(error: Error, value: Any) -> Mapping[str, int]:
    fix = "write daily_limits = { report = 1000, check = 1000, blacklist = 5 }"
    if not isinstance(value, dict):
        raise error("abuseipdb.daily_limits", "expected a table", fix)
    out = dict(FREE_PLAN)
    for name, limit in value.items():
        if name not in ENDPOINTS:
            raise error(
                f"abuseipdb.daily_limits.{name}",
                "unknown endpoint",
                f"use one of: {', '.join(ENDPOINTS)}",
            )
        out[name] = _int(error, limit, f"abuseipdb.daily_limits.{name}", 1, 10_000_000, "1000")
    return MappingProxyType(out)


def _categories(error: Error, value: Any, jails: frozenset[str]) -> Mapping[str, tuple[int, ...]]:
    key = "abuseipdb.report.categories"
    fix = "write categories = { sshd = [18, 22] } (see docs/howto/abuseipdb.md for the ids)"
    if not isinstance(value, dict):
        raise error(key, "expected a table of jail = [categories]", fix)
    out: dict[str, tuple[int, ...]] = {}
    for jail, ids in value.items():
        if jail not in jails:
            known = ", ".join(sorted(jails)) or "none"
            raise error(f"{key}.{jail}", f"no jail named {jail!r} (jails: {known})", fix)
        if not isinstance(ids, list) or not ids:
            raise error(f"{key}.{jail}", "expected a non-empty list of category ids", fix)
        for cid in ids:
            if isinstance(cid, bool) or not isinstance(cid, int) or cid not in CATEGORIES:
                raise error(f"{key}.{jail}", f"{cid!r} is not a category id (1–23)", fix)
        if set(ids) <= _NOT_ALONE:
            raise error(
                f"{key}.{jail}",
                "categories 13 (VPN IP) and 22 (SSH) cannot be used alone",
                "add a specific category, e.g. [18, 22] for SSH brute force",
            )
        out[jail] = tuple(dict.fromkeys(ids))
    return MappingProxyType(out)


def _known(error: Error, table: Mapping[str, Any], key: str, names: set[str]) -> None:
    for name in table:
        if name not in names:
            raise error(f"{key}.{name}", "unknown key", f"use one of: {', '.join(sorted(names))}")


def _table(error: Error, value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise error(key, "expected a table", f"write [{key}] followed by its keys")
    return value


def _blocklist(error: Error, value: Any, limits: Mapping[str, int]) -> BlocklistConfig:
    key = "abuseipdb.blocklist"
    table = _table(error, value, key)
    _known(error, table, key, {"enabled", "every", "confidence_minimum", "limit", "ip_version"})
    every = _duration(error, table.get("every", "1d"), f"{key}.every", '"1d"')
    fastest = 86400.0 / limits["blacklist"]
    if every < fastest:
        raise error(
            f"{key}.every",
            f"downloading every {every:.0f} s is more than the plan's "
            f"{limits['blacklist']} downloads a day",
            f'write every = "1d" (at least {fastest:.0f} s), or raise '
            "daily_limits.blacklist if your plan allows more",
        )
    version = table.get("ip_version", "both")
    if version not in (4, 6, "both"):
        raise error(
            f"{key}.ip_version", f'expected 4, 6 or "both", got {version!r}', "ip_version = 4"
        )
    return BlocklistConfig(
        enabled=_bool(error, table, key, "enabled", True),
        every=every,
        confidence_minimum=_int(
            error, table.get("confidence_minimum", 100), f"{key}.confidence_minimum", 25, 100, "100"
        ),
        limit=_int(error, table.get("limit", 10_000), f"{key}.limit", 1, 10_000_000, "10000"),
        ip_version=None if version == "both" else int(version),
    )


def _report(error: Error, value: Any, jails: frozenset[str]) -> ReportConfig:
    key = "abuseipdb.report"
    table = _table(error, value, key)
    _known(error, table, key, {"enabled", "categories", "cooldown", "bulk"})
    cooldown = _duration(error, table.get("cooldown", "24h"), f"{key}.cooldown", '"24h"')
    if cooldown < QUARTER_HOUR:
        raise error(
            f"{key}.cooldown",
            "AbuseIPDB refuses a second report of an address within 15 minutes",
            'write cooldown = "24h" (at least "15m")',
        )
    return ReportConfig(
        enabled=_bool(error, table, key, "enabled", True),
        categories=_categories(error, table.get("categories", {}), jails),
        cooldown=cooldown,
        bulk=_bool(error, table, key, "bulk", False),
    )


def build_abuseipdb(value: Any, jails: frozenset[str], error: Error) -> AbuseIPDBConfig:
    """The ``[abuseipdb]`` table as values; ``error(key, problem, fix)`` builds the
    ConfigError naming the file."""
    table = _table(error, value, "abuseipdb")
    _known(
        error,
        table,
        "abuseipdb",
        {"enabled", "key", "url", "timeout", "hide", "daily_limits", "blocklist", "report"},
    )
    timeout = _duration(error, table.get("timeout", "15s"), "abuseipdb.timeout", '"15s"')
    if not 1 <= timeout <= 300:
        raise error("abuseipdb.timeout", "expected 1 s to 5 min", 'write timeout = "15s"')
    limits = _limits(error, table.get("daily_limits", {}))
    return AbuseIPDBConfig(
        enabled=_bool(error, table, "abuseipdb", "enabled", False),
        key=_secret(error, table.get("key", "env:ABUSEIPDB_KEY")),
        url=_url(error, table.get("url", DEFAULT_URL)),
        timeout=timeout,
        hide=_hide(error, table.get("hide", [])),
        daily_limits=limits,
        blocklist=_blocklist(error, table.get("blocklist", {}), limits),
        report=_report(error, table.get("report", {}), jails),
    )
