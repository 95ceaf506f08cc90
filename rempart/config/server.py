"""The ``[server]`` tables: the supervision server's nodes (in groups), polling, storage,
alerts and where notifications go, as frozen values validated once.

::

    [server]
    interval = "5m"
    timeout = "30s"                       # a node that takes longer fails this round

    [server.groups.Gandi]
    web1 = "192.0.2.10"                   # host[:port], port 4949 by default
    mail = "mail.example.org:4949"

    [server.groups.TTN]
    vm3 = "198.51.100.7"

    [server.alerts]
    language = "fr"
    for = "10m"

    [[server.alerts.rules]]
    match = "*/df/*"
    warning = "85"
    critical = "95"

    [server.mail]
    host = "localhost"
    from = "rempart@example.org"
    to = ["admins@example.org"]

    [[server.webhooks]]
    name = "mattermost"
    url = "https://chat.example.org/hooks/xxx"
    format = "slack"
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rempart.alerting.values import AlertRule
from rempart.config.abuseipdb import SecretRef, parse_secret
from rempart.config.durations import format_duration, parse_duration
from rempart.config.tables import Error, check_table
from rempart.munin.ranges import Range, parse_range

__all__ = [
    "DEFAULT_SERVER_SOCKET",
    "NODE_NAME",
    "WEBHOOK_NAME",
    "AlertsConfig",
    "IncidentConfig",
    "MailConfig",
    "NodeConfig",
    "RetentionConfig",
    "ServerConfig",
    "WebConfig",
    "WebhookConfig",
    "build_server",
    "check_range",
    "parse_node_address",
]

#: its own directory: systemd removes a RuntimeDirectory when its unit stops (the agent's is
#: /run/rempart), see packaging/rempart-server.service
DEFAULT_SERVER_SOCKET = Path("/run/rempart-server/server.sock")
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """One node to poll: a rempart agent or a plain munin-node."""

    name: str  # as written in the group table; unique across groups
    group: str
    address: str  # host name or IP address
    port: int = 4949


@dataclass(frozen=True, slots=True)
class RetentionConfig:
    """How long each resolution is kept, seconds (0: forever)."""

    samples: float = 800 * DAY  # 5-minute samples (more than 2 years)
    hourly: float = 1830 * DAY  # hourly min/avg/max (5 years)
    daily: float = 0.0  # daily min/avg/max (forever)


@dataclass(frozen=True, slots=True)
class MailConfig:
    """Notifications by e-mail over SMTP."""

    to: tuple[str, ...]
    sender: str  # the From address ("from" in the file)
    host: str = "localhost"
    port: int = 25
    security: Literal["none", "starttls", "tls"] = "none"
    username: str | None = None
    password: SecretRef | None = None
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """Notifications as a JSON POST (``json``: rempart's document; ``slack``: a payload
    Mattermost and Slack incoming webhooks accept)."""

    name: str
    url: str
    format: Literal["json", "slack"] = "json"
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class AlertsConfig:
    language: Literal["fr", "en"] = "en"
    for_: float = 600.0  # a condition must hold this long before it fires ("for")
    hysteresis: float = 0.05  # fraction of the bound a value must come back past to clear
    unreachable_for: float = 600.0  # a node down this long raises an alert
    no_data_for: float = 1800.0  # a field missing this long (its node up) raises an alert
    disk_full_days: float = 7.0  # warn when a filesystem will be full within this many days
    disk_full_window: float = DAY  # history the forecast fits its line on
    repeat: float = 0.0  # remind of a firing, unacknowledged alert this often (0: never)
    rules: tuple[AlertRule, ...] = ()


@dataclass(frozen=True, slots=True)
class IncidentConfig:
    """A provider incident: most hosts of one group degrade together."""

    enabled: bool = True
    fraction: float = 0.5  # share of the group's hosts degraded at once
    min_hosts: int = 2  # never fewer than this many hosts
    io_pressure: float = 10.0  # PSI io "full", % of time stalled, that counts as degraded
    steal: float = 20.0  # CPU steal, % of one CPU, that counts as degraded


@dataclass(frozen=True, slots=True)
class WebConfig:
    """The dashboard, served by ``rempart server`` (``[server.web]``)."""

    enabled: bool = True
    host: str = "127.0.0.1"  # behind the reverse proxy by default (docs/howto/dashboard.md)
    port: int = 8090
    # clients whose X-Forwarded-For / X-Forwarded-Proto are believed (the reverse proxy)
    trusted_proxies: tuple[str, ...] = ()  # addresses or networks, "127.0.0.1", "10.0.0.0/8"
    language: Literal["fr", "en"] = "en"  # when neither the user nor the browser chooses
    session_idle: float = 8 * 3600.0  # a session unused this long ends
    session_max: float = 7 * DAY  # a session ends this long after login whatever its use
    login_limit: int = 5  # failed logins per address (and per account) within login_window
    login_window: float = 600.0  # ...after which the address waits (HTTP 429)
    # failed logins, one line each, read by the agent's rempart-web jail
    auth_log: Path = Path("/var/log/rempart/web-auth.log")
    secure_cookies: Literal["auto", "always", "never"] = "auto"  # auto: when served over https
    # agents whose bans the dashboard shows and changes: host name → control socket
    agents: Mapping[str, Path] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ServerConfig:
    nodes: tuple[NodeConfig, ...] = ()
    interval: float = 300.0  # seconds between rounds
    timeout: float = 30.0  # seconds a node has to answer the whole round
    concurrency: int = 100  # nodes polled at once
    database: Path = Path("/var/lib/rempart/server.db")
    socket: Path = DEFAULT_SERVER_SOCKET
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    incident: IncidentConfig = field(default_factory=IncidentConfig)
    mail: MailConfig | None = None
    webhooks: tuple[WebhookConfig, ...] = ()
    web: WebConfig = field(default_factory=WebConfig)

    def groups(self) -> dict[str, tuple[NodeConfig, ...]]:
        """The nodes by group, groups in the order first written."""
        out: dict[str, list[NodeConfig]] = {}
        for node in self.nodes:
            out.setdefault(node.group, []).append(node)
        return {g: tuple(n) for g, n in out.items()}


#: a node's name as written in its group: it names the host in the store and in alerts
NODE_NAME = re.compile(r"[A-Za-z0-9._-]{1,128}", re.ASCII)
#: a webhook's name (it names the notification channel)
WEBHOOK_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}", re.ASCII)
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}\.?", re.ASCII)
_PORT = re.compile(r"\d{1,5}", re.ASCII)
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_RANGE = re.compile(rf"\s*(?:(?P<bare>{_NUMBER})|(?P<low>{_NUMBER})?:(?P<high>{_NUMBER})?)\s*")
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"\\]{1,64}@[A-Za-z0-9.-]{1,253}", re.ASCII)
_URL = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[\x21-\x7e]*)?|https?://\[[0-9A-Fa-f:.]+\](?::\d{1,5})?(?:/[\x21-\x7e]*)?",
    re.ASCII,
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_GRID = 300.0  # the store's step: rounds fall on this grid
_SERVER_KEYS = frozenset(
    {
        "interval",
        "timeout",
        "concurrency",
        "database",
        "socket",
        "groups",
        "retention",
        "alerts",
        "incident",
        "mail",
        "webhooks",
        "web",
    }
)
_ALERTS_KEYS = frozenset(
    {
        "language",
        "for",
        "hysteresis",
        "unreachable_for",
        "no_data_for",
        "disk_full_days",
        "disk_full_window",
        "repeat",
        "rules",
    }
)
_DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}


class _Table:
    """One table being read: its dotted key for messages and the error builder."""

    def __init__(self, error: Error, value: Any, key: str, allowed: frozenset[str]) -> None:
        self.error = error
        self.key = key
        self.data: Mapping[str, Any] = check_table(error, value, key, allowed)

    def at(self, name: str) -> str:
        return f"{self.key}.{name}"

    def flag(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise self.error(
                self.at(name), f"expected true or false, got {value!r:.40}", f"write {name} = true"
            )
        return value

    def text(self, name: str, example: str, limit: int = 255) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > limit or _CONTROL.search(value):
            raise self.error(
                self.at(name),
                f"expected a text of at most {limit} characters, without control characters",
                f"write {name} = {example}",
            )
        return value

    def duration(
        self, name: str, default: float, example: str, low: float, high: float, zero: bool = False
    ) -> float:
        """Seconds; ``zero``: 0 is accepted too (it means off or forever)."""
        if name not in self.data:
            return default
        try:
            seconds = parse_duration(self.data[name])
        except ValueError as exc:
            raise self.error(self.at(name), str(exc), f"write {name} = {example}") from exc
        if (zero and seconds == 0) or low <= seconds <= high:
            return seconds
        either = "0 or " if zero else ""
        raise self.error(
            self.at(name),
            f"expected {either}{format_duration(low)} to {format_duration(high)}, "
            f"got {format_duration(seconds)}",
            f"write {name} = {example}",
        )

    def number(self, name: str, default: float, example: str, low: float, high: float) -> float:
        value = self.data.get(name, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise self.error(
                self.at(name),
                f"expected a number from {low:g} to {high:g}, got {value!r:.40}",
                f"write {name} = {example}",
            )
        return float(value)

    def integer(self, name: str, default: int, example: str, low: int, high: int) -> int:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(
                self.at(name),
                f"expected a whole number from {low} to {high}, got {value!r:.40}",
                f"write {name} = {example}",
            )
        return value

    def path(self, name: str, default: Path, example: str, base: Path) -> Path:
        value = self.text(name, example, limit=4096)
        if value is None:
            return default
        if not value:
            raise self.error(self.at(name), "expected a path", f"write {name} = {example}")
        path = Path(value)
        return path if path.is_absolute() else (base / path).resolve()


def parse_node_address(text: str) -> tuple[str, int]:
    """``host``, ``host:port``, ``[2001:db8::1]:port`` or a bare IPv6 address → (address, port);
    ValueError with the accepted forms otherwise."""
    host, port = text, "4949"
    if text.startswith("["):
        inside, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError("an IPv6 address in brackets is written [2001:db8::1]:4949")
        host, port = inside, rest[1:] if rest else port
        _ipv6(inside)
    elif text.count(":") > 1:
        _ipv6(text)  # a bare IPv6 address, default port
    elif ":" in text:
        host, _, port = text.partition(":")
    if not _PORT.fullmatch(port) or not 0 < int(port) < 65536:
        raise ValueError(f"the port must be 1–65535, got {port[:10]!r}")
    if ":" not in host:
        _hostname(host)
    return host, int(port)


def _ipv6(text: str) -> None:
    try:
        ipaddress.IPv6Address(text)
    except ValueError as exc:
        raise ValueError(f"{text[:60]!r} is not an IPv6 address") from exc


def _hostname(text: str) -> None:
    if len(text) > 253 or not _HOST.fullmatch(text):
        raise ValueError(f"{text[:60]!r} is not a host name or an IP address")
    labels = text.rstrip(".").split(".")
    if all(label.isdigit() for label in labels):
        try:
            ipaddress.IPv4Address(text)
        except ValueError as exc:
            raise ValueError(f"{text[:60]!r} is not an IPv4 address") from exc


def check_range(text: str) -> str | None:
    """The problem with a warning/critical range text, or None when it is valid.

    rempart accepts Munin's two forms with real numbers only: ``N`` (upper bound), ``min:max``
    with either side left out, and ``""`` (no range). munin-limits reads anything else as
    ``0:0`` (every value but 0 alarms) and numbers the Perl way (``1.2.3`` is 1.2): the file
    refuses them instead of alarming on everything.
    """
    if text == "":
        return None
    m = _RANGE.fullmatch(text)
    if m is None:
        munin = parse_range(text)
        read = "0:0 and alarm on every value but 0" if munin == Range(0.0, 0.0) else str(munin)
        return (
            f"{text[:40]!r} is not a Munin range of numbers (munin-limits would read it as {read})"
        )
    if m.group("bare") is None and m.group("low") is None and m.group("high") is None:
        return '":" has no bound'
    low, high = m.group("low"), m.group("high")
    if low is not None and high is not None and float(low) > float(high):
        return f"{text!r}: the minimum is above the maximum (every value would alarm)"
    return None


def _groups(error: Error, value: Any) -> tuple[NodeConfig, ...]:
    fix = (
        'write [server.groups.Gandi] then web1 = "192.0.2.10" (host[:port], port 4949 if left out)'
    )
    if not isinstance(value, dict):
        raise error("server.groups", "expected tables of nodes, one per group", fix)
    nodes: list[NodeConfig] = []
    seen: dict[str, str] = {}
    where: dict[tuple[str, int], str] = {}
    for group, table in value.items():
        key = f"server.groups.{_plain(group[:64])}"
        if not 0 < len(group) <= 64 or not group.isprintable() or group != group.strip():
            raise error(key, "a group name is 1 to 64 printable characters", fix)
        if not isinstance(table, dict) or not table:
            raise error(key, 'expected a table of node = "host[:port]" with one node at least', fix)
        for name, text in table.items():
            node = _node(error, group, name, text)
            folded = name.lower()
            if folded in seen:
                raise error(
                    f"{key}.{name}",
                    f"node {name!r} is already declared (in group {seen[folded]!r}); node names "
                    "are unique across groups, whatever their case",
                    "rename one of them (the name is the host's name in graphs and alerts)",
                )
            endpoint = (node.address.lower(), node.port)
            if endpoint in where:
                raise error(
                    f"{key}.{name}",
                    f"{text!r} is already polled as node {where[endpoint]!r}",
                    "declare each munin-node once",
                )
            seen[folded], where[endpoint] = group, name
            nodes.append(node)
    return tuple(nodes)


def _plain(text: str) -> str:
    """``text`` for an error message: control characters shown as ``?``."""
    return _CONTROL.sub("?", text)


def _node(error: Error, group: str, name: str, text: Any) -> NodeConfig:
    key = f"server.groups.{_plain(group[:64])}.{_plain(name[:128])}"
    if not NODE_NAME.fullmatch(name):
        raise error(
            key,
            "a node name is 1 to 128 letters, digits, '.', '_' or '-'",
            'write web1 = "192.0.2.10" (quote nothing on the left: web1, mail.example.org)',
        )
    if not isinstance(text, str):
        raise error(
            key, f'expected "host[:port]", got {text!r:.40}', f'write {name} = "192.0.2.10"'
        )
    try:
        address, port = parse_node_address(text.strip())
    except ValueError as exc:
        raise error(
            key,
            str(exc),
            f'write {name} = "192.0.2.10", "{name}.example.org:4949" or "[2001:db8::1]:4949"',
        ) from exc
    return NodeConfig(name=name, group=group, address=address, port=port)


def _retention(error: Error, value: Any) -> RetentionConfig:
    t = _Table(error, value, "server.retention", frozenset({"samples", "hourly", "daily"}))
    base = RetentionConfig()
    samples = t.duration("samples", base.samples, '"800d"', 2 * DAY, 1e12, zero=True)
    hourly = t.duration("hourly", base.hourly, '"5y"', 2 * DAY, 1e12, zero=True)
    daily = t.duration("daily", base.daily, '"0" (forever)', 2 * DAY, 1e12, zero=True)
    forever = float("inf")
    for finer, coarser, name in ((samples, hourly, "hourly"), (hourly, daily, "daily")):
        if (coarser or forever) < (finer or forever):
            raise error(
                t.at(name),
                "a coarser resolution must be kept at least as long as a finer one",
                f'raise {name} (or write {name} = "0" to keep it forever)',
            )
    return RetentionConfig(samples=samples, hourly=hourly, daily=daily)


_WEB_KEYS = frozenset(
    {
        "enabled",
        "listen",
        "trusted_proxies",
        "language",
        "session_idle",
        "session_max",
        "login_limit",
        "login_window",
        "auth_log",
        "secure_cookies",
        "agents",
    }
)


def _web(error: Error, value: Any, base: Path, language: str | None) -> WebConfig:
    t = _Table(error, value, "server.web", _WEB_KEYS)
    d = WebConfig()
    host, port = d.host, d.port
    listen = t.text("listen", '"127.0.0.1:8090"')
    if listen is not None:
        try:
            host, port = parse_node_address(listen)
        except ValueError as exc:
            raise error(t.at("listen"), str(exc), 'write listen = "127.0.0.1:8090"') from exc
        if port == 4949 and ":" not in listen.rpartition("]")[2]:
            raise error(t.at("listen"), "no port given", 'write listen = "127.0.0.1:8090"')
    proxies = t.data.get("trusted_proxies", [])
    if not isinstance(proxies, list) or len(proxies) > 64:
        raise error(
            t.at("trusted_proxies"),
            "expected a list of addresses or networks",
            'write trusted_proxies = ["127.0.0.1", "::1"]',
        )
    trusted: list[str] = []
    for item in proxies:
        try:
            trusted.append(str(ipaddress.ip_network(str(item), strict=False)))
        except ValueError as exc:
            raise error(
                t.at("trusted_proxies"),
                f"{str(item)[:60]!r} is not an address or network",
                'write trusted_proxies = ["127.0.0.1", "10.0.0.0/8"]',
            ) from exc
    lang = t.text("language", '"fr"') or language or d.language
    if lang not in ("fr", "en"):
        raise error(
            t.at("language"), f"expected fr or en, got {lang[:20]!r}", 'write language = "fr"'
        )
    cookies = t.text("secure_cookies", '"auto"') or d.secure_cookies
    if cookies not in ("auto", "always", "never"):
        raise error(
            t.at("secure_cookies"),
            f"expected auto, always or never, got {cookies[:20]!r}",
            'write secure_cookies = "auto"',
        )
    agents_value = t.data.get("agents", {})
    agents_table = check_table(
        error,
        agents_value,
        "server.web.agents",
        frozenset(agents_value) if isinstance(agents_value, dict) else frozenset(),
    )
    agents: dict[str, Path] = {}
    for name, where in agents_table.items():
        if not NODE_NAME.fullmatch(str(name)) or not isinstance(where, str) or not where:
            raise error(
                f"server.web.agents.{str(name)[:40]}",
                "expected a node name and the path of its agent's control socket",
                'write web1 = "/run/rempart/agent.sock"',
            )
        path = Path(where)
        agents[str(name)] = path if path.is_absolute() else (base / path).resolve()
    return WebConfig(
        enabled=t.flag("enabled", d.enabled),
        host=host,
        port=port,
        trusted_proxies=tuple(trusted),
        language="fr" if lang == "fr" else "en",
        session_idle=t.duration("session_idle", d.session_idle, '"8h"', 300.0, 30 * DAY),
        session_max=t.duration("session_max", d.session_max, '"7d"', 300.0, 365 * DAY),
        login_limit=t.integer("login_limit", d.login_limit, "5", 1, 1000),
        login_window=t.duration("login_window", d.login_window, '"10m"', 10.0, DAY),
        auth_log=t.path("auth_log", d.auth_log, '"/var/log/rempart/web-auth.log"', base),
        secure_cookies="always"
        if cookies == "always"
        else "never"
        if cookies == "never"
        else "auto",
        agents=agents,
    )


def _rule(error: Error, value: Any, key: str) -> AlertRule:
    t = _Table(error, value, key, frozenset({"match", "warning", "critical", "for", "enabled"}))
    match = t.text("match", '"*/df/*" (host/graph/field, shell wildcards)')
    if not match or " " in match or match.count("/") > 2:
        raise error(
            t.at("match"),
            "expected a host/graph/field pattern",
            'write match = "*/df/*", "web1/load/load" or "web1/*"',
        )
    ranges: dict[str, str | None] = {}
    for name in ("warning", "critical"):
        text = t.text(name, '"90", "10:", "5:95" or "" (no range)', limit=64)
        problem = None if text is None else check_range(text)
        if problem:
            raise error(
                t.at(name),
                problem,
                f'write {name} = "90" (above 90), "10:" (below 10), "5:95" or "" (no range)',
            )
        ranges[name] = None if text is None else text.strip()
    delay = t.duration("for", -1.0, '"10m"', 0, DAY, zero=True)
    enabled = t.flag("enabled", True) if "enabled" in t.data else None
    if len(t.data) == 1:
        raise error(
            key, "this rule changes nothing", "add warning, critical, for or enabled = false"
        )
    return AlertRule(
        match=match,
        warning=ranges["warning"],
        critical=ranges["critical"],
        for_=None if delay < 0 else delay,
        enabled=enabled,
    )


def _alerts(error: Error, value: Any, language: str | None) -> AlertsConfig:
    t = _Table(error, value, "server.alerts", _ALERTS_KEYS)
    base = AlertsConfig()
    lang = t.data.get("language", language or base.language)
    if lang not in ("fr", "en"):
        raise error(t.at("language"), f'expected "fr" or "en", got {lang!r:.40}', 'language = "fr"')
    rules = t.data.get("rules", [])
    if not isinstance(rules, list):
        raise error(
            t.at("rules"),
            "expected an array of tables",
            'write [[server.alerts.rules]] then match = "*/df/*"',
        )
    return AlertsConfig(
        language="fr" if lang == "fr" else "en",
        for_=t.duration("for", base.for_, '"10m"', 0, DAY, zero=True),
        hysteresis=t.number("hysteresis", base.hysteresis, "0.05", 0, 0.5),
        unreachable_for=t.duration(
            "unreachable_for", base.unreachable_for, '"10m"', 0, DAY, zero=True
        ),
        no_data_for=t.duration("no_data_for", base.no_data_for, '"30m"', 0, 7 * DAY, zero=True),
        disk_full_days=t.number("disk_full_days", base.disk_full_days, "7", 0, 3650),
        disk_full_window=t.duration(
            "disk_full_window", base.disk_full_window, '"1d"', 3600, 90 * DAY
        ),
        repeat=t.duration("repeat", base.repeat, '"1d" (or "0": never)', 300, 90 * DAY, zero=True),
        rules=tuple(_rule(error, r, f"server.alerts.rules[{i}]") for i, r in enumerate(rules)),
    )


def _incident(error: Error, value: Any) -> IncidentConfig:
    keys = frozenset({"enabled", "fraction", "min_hosts", "io_pressure", "steal"})
    t = _Table(error, value, "server.incident", keys)
    base = IncidentConfig()
    fraction = t.number("fraction", base.fraction, "0.5", 0, 1)
    if fraction == 0:
        raise error(
            t.at("fraction"), "0 would make every round an incident", "write fraction = 0.5"
        )
    return IncidentConfig(
        enabled=t.flag("enabled", base.enabled),
        fraction=fraction,
        min_hosts=t.integer("min_hosts", base.min_hosts, "2", 2, 100_000),
        io_pressure=t.number("io_pressure", base.io_pressure, "10", 0, 100),
        steal=t.number("steal", base.steal, "20", 0, 100),
    )


def _addresses(error: Error, value: Any, key: str) -> tuple[str, ...]:
    fix = 'write to = ["admins@example.org", "oncall@example.org"]'
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise error(key, "expected a non-empty list of e-mail addresses", fix)
    for item in value:
        _address(error, item, key, fix)
    return tuple(dict.fromkeys(value))


def _address(error: Error, text: str, key: str, fix: str) -> str:
    if len(text) > 254 or not _ADDRESS.fullmatch(text) or ".." in text.partition("@")[2]:
        raise error(key, f"{text[:60]!r} is not a plain e-mail address (name@domain)", fix)
    return text


def _secret(error: Error, value: Any, key: str) -> SecretRef | None:
    fix = (
        'write password = "file:/etc/rempart/smtp.pass" (a file readable by rempart only) '
        'or password = "env:SMTP_PASSWORD"'
    )
    return None if value is None else parse_secret(error, value, key, fix)


def _mail(error: Error, value: Any) -> MailConfig:
    keys = frozenset({"to", "from", "host", "port", "security", "username", "password", "timeout"})
    t = _Table(error, value, "server.mail", keys)
    sender = t.text("from", '"rempart@example.org"')
    if sender is None:
        raise error(t.at("from"), "missing", 'write from = "rempart@example.org"')
    _address(error, sender, t.at("from"), 'write from = "rempart@example.org"')
    security = t.data.get("security", "none")
    if security not in ("none", "starttls", "tls"):
        raise error(
            t.at("security"),
            f'expected "none", "starttls" or "tls", got {security!r:.40}',
            'write security = "starttls" (port 587) or "tls" (port 465)',
        )
    host = t.text("host", '"smtp.example.org"') or "localhost"
    try:
        _hostname(host) if ":" not in host else _ipv6(host)
    except ValueError as exc:
        raise error(t.at("host"), str(exc), 'write host = "smtp.example.org"') from exc
    username = t.text("username", '"rempart"')
    password = _secret(error, t.data.get("password"), t.at("password"))
    _login(error, t, username, password, security, host)
    return MailConfig(
        to=_addresses(error, t.data.get("to"), t.at("to")),
        sender=sender,
        host=host,
        port=t.integer("port", _DEFAULT_PORTS[security], "587", 1, 65535),
        security=security,
        username=username or None,
        password=password,
        timeout=t.duration("timeout", 30.0, '"30s"', 1, 300),
    )


def _login(
    error: Error,
    t: _Table,
    username: str | None,
    password: SecretRef | None,
    security: str,
    host: str,
) -> None:
    if bool(username) != (password is not None):
        raise error(
            t.at("password" if username else "username"),
            "a login needs both username and password",
            'write username = "rempart" and password = "file:/etc/rempart/smtp.pass", or neither',
        )
    local = host in ("localhost", "127.0.0.1", "::1")
    if password is not None and security == "none" and not local:
        raise error(
            t.at("security"),
            f"the password would cross the network in clear to {host}",
            'write security = "starttls" (port 587) or "tls" (port 465)',
        )


def _webhooks(error: Error, value: Any) -> tuple[WebhookConfig, ...]:
    if not isinstance(value, list):
        raise error(
            "server.webhooks",
            "expected an array of tables",
            'write [[server.webhooks]] then name = "mattermost" and url = "https://…"',
        )
    out: list[WebhookConfig] = []
    for i, item in enumerate(value):
        hook = _webhook(error, item, f"server.webhooks[{i}]")
        if any(h.name == hook.name for h in out):
            raise error(
                f"server.webhooks[{i}].name",
                f"a webhook named {hook.name!r} is already declared",
                "give each webhook its own name",
            )
        out.append(hook)
    return tuple(out)


def _webhook(error: Error, value: Any, key: str) -> WebhookConfig:
    t = _Table(error, value, key, frozenset({"name", "url", "format", "timeout"}))
    name = t.text("name", '"mattermost"', limit=64)
    if name is None or not WEBHOOK_NAME.fullmatch(name) or name == "mail":
        raise error(
            t.at("name"),
            "a webhook name is 1 to 64 letters, digits, '.', '_' or '-', and not 'mail'",
            'write name = "mattermost"',
        )
    url = t.text("url", '"https://chat.example.org/hooks/xxx"', limit=2048)
    if url is None or not _URL.fullmatch(url):
        raise error(
            t.at("url"),
            "expected an http:// or https:// URL without spaces",
            'write url = "https://chat.example.org/hooks/xxx"',
        )
    fmt = t.data.get("format", "json")
    if fmt not in ("json", "slack"):
        raise error(
            t.at("format"),
            f'expected "json" or "slack", got {fmt!r:.40}',
            'write format = "slack" for Mattermost or Slack, "json" for rempart\'s document',
        )
    return WebhookConfig(
        name=name,
        url=url,
        format="slack" if fmt == "slack" else "json",
        timeout=t.duration("timeout", 10.0, '"10s"', 1, 300),
    )


def _interval(t: _Table) -> tuple[float, float]:
    interval = t.duration("interval", 300.0, '"5m"', _GRID, 3600)
    if interval % _GRID:
        raise t.error(
            t.at("interval"),
            "the store keeps one sample per 5 minutes: the interval must be a multiple of 5m",
            'write interval = "5m"',
        )
    timeout = t.duration("timeout", 30.0, '"30s"', 1, interval - 1)
    return interval, timeout


def build_server(
    data: object,
    error: Error,
    state_dir: Path,
    *,
    base: Path | None = None,
    language: str | None = None,
) -> ServerConfig:
    """Validate the ``[server]`` table (``error(key, problem, fix)`` makes the ConfigError).

    ``base`` is the configuration file's directory (relative ``database`` and ``socket`` paths
    are read from it; the state directory when None); ``language`` is ``[rempart] language``,
    the default of ``[server.alerts] language``.
    """
    t = _Table(error, data, "server", _SERVER_KEYS)
    interval, timeout = _interval(t)
    where = base or state_dir
    mail = t.data.get("mail")
    return ServerConfig(
        nodes=_groups(error, t.data.get("groups", {})),
        interval=interval,
        timeout=timeout,
        concurrency=t.integer("concurrency", 100, "100", 1, 100_000),
        database=t.path("database", state_dir / "server.db", '"/var/lib/rempart/server.db"', where),
        socket=t.path("socket", DEFAULT_SERVER_SOCKET, '"/run/rempart-server/server.sock"', where),
        retention=_retention(error, t.data.get("retention", {})),
        alerts=_alerts(error, t.data.get("alerts", {}), language),
        incident=_incident(error, t.data.get("incident", {})),
        mail=None if mail is None else _mail(error, mail),
        webhooks=_webhooks(error, t.data.get("webhooks", [])),
        web=_web(error, t.data.get("web", {}), where, language),
    )
