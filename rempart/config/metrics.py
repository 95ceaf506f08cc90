"""The ``[metrics]`` and ``[probes.*]`` tables: which probes run, the munin-node service, the
Prometheus endpoint and each probe's options, as frozen values validated once.

::

    [metrics]
    disabled = ["psi", "processes"]     # probe names switched off (see `rempart probes`)

    [metrics.munin]
    listen = ["0.0.0.0"]
    allow = ["127.0.0.1", "192.0.2.10"] # the Munin master

    [probes.network]
    capacity = { eth0 = "1Gbit" }       # virtio NICs have no speed: declare it

    [probes.mariadb]
    password = "file:/etc/rempart/mariadb.pass"

A probe option left out keeps the probe's own default (``None`` here); the probe catalog
(:mod:`rempart.services.probe_catalog`) passes only what was written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rempart.addresses import Network, parse_network
from rempart.config.abuseipdb import SecretRef, parse_secret
from rempart.config.durations import parse_duration
from rempart.config.tables import Error, check_table

__all__ = [
    "PROBE_NAMES",
    "PROBE_OPTIONS",
    "ContainersConfig",
    "DfConfig",
    "DiskstatsConfig",
    "HttpConfig",
    "HttpSiteConfig",
    "MariaDBConfig",
    "MetricsConfig",
    "MuninConfig",
    "NetworkConfig",
    "PostfixConfig",
    "ProbesConfig",
    "PrometheusConfig",
    "ServicesConfig",
    "SympaConfig",
    "TlsConfig",
    "build_metrics",
    "parse_listen",
    "parse_rate",
]

#: every probe rempart knows, in the order `rempart probes` lists them
PROBE_NAMES = (
    "cpu",
    "load",
    "memory",
    "swap",
    "psi",
    "df",
    "diskstats",
    "network",
    "containers",
    "services",
    "processes",
    "uptime",
    "postfix",
    "sympa",
    "mariadb",
    "tls",
    "http",
    "rempart",
)

#: the probes that take options, and the keys of their ``[probes.NAME]`` table
PROBE_OPTIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "df": frozenset({"exclude_types", "exclude"}),
        "diskstats": frozenset({"exclude"}),
        "network": frozenset({"capacity", "exclude"}),
        "containers": frozenset({"docker_socket", "podman_socket", "lxc_path", "expected"}),
        "services": frozenset({"processes", "tcp", "units"}),
        "postfix": frozenset({"spool", "log"}),
        "sympa": frozenset({"list_data", "spool", "log"}),
        "mariadb": frozenset({"socket", "user", "password", "timeout"}),
        "tls": frozenset({"targets", "warning_days", "critical_days", "timeout", "interval"}),
        "http": frozenset({"sites", "timeout", "interval"}),
    }
)

_PLUGIN_CONF = Path("/etc/munin/plugin-conf.d")
_EMPTY: Mapping[str, str] = MappingProxyType({})
_RATE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]?)(bit/s|bits/s|bit|bps)?", re.IGNORECASE)
_RATE_UNITS = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}
_HOST_NAME = re.compile(r"[A-Za-z0-9._-]{1,253}")
_ENTITY = re.compile(r"[A-Za-z0-9_.:@*?\[\]/-]{1,128}")


# ------------------------------------------------------------------ values


@dataclass(frozen=True, slots=True)
class MuninConfig:
    """The munin-node service (port 4949) and the Munin plugins it runs."""

    enabled: bool = True
    listen: tuple[str, ...] = ("127.0.0.1",)
    port: int = 4949
    allow: tuple[Network, ...] = (parse_network("127.0.0.1"), parse_network("::1"))
    host_name: str = ""  # "" = this machine's FQDN
    plugins: Path | None = None  # a plugin directory to run; None = none
    plugin_conf: Path | None = _PLUGIN_CONF
    plugin_timeout: float = 10.0
    plugin_user: str | None = "nobody"  # None ("" in the file): the agent's own user


@dataclass(frozen=True, slots=True)
class PrometheusConfig:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 9749


@dataclass(frozen=True, slots=True)
class DfConfig:
    exclude_types: tuple[str, ...] | None = None  # None: the probe's pseudo filesystems
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DiskstatsConfig:
    exclude: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    capacity: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    exclude: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class ContainersConfig:
    # None: the probe's default; "" in the file: do not ask that API (passed as None)
    docker_socket: str | None = None
    podman_socket: str | None = None
    lxc_path: Path | None = None
    expected: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServicesConfig:
    processes: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    tcp: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    units: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class PostfixConfig:
    spool: Path | None = None
    log: Path | None = None


@dataclass(frozen=True, slots=True)
class SympaConfig:
    list_data: Path | None = None
    spool: Path | None = None
    log: Path | None = None


@dataclass(frozen=True, slots=True)
class MariaDBConfig:
    socket: Path | None = None
    user: str | None = None
    password: SecretRef | None = None  # a reference, read when the probe is built
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class TlsConfig:
    targets: tuple[str, ...] = ()
    warning_days: float | None = None
    critical_days: float | None = None
    timeout: float | None = None
    interval: float | None = None


@dataclass(frozen=True, slots=True)
class HttpSiteConfig:
    url: str
    name: str = ""
    expect: tuple[int, ...] = ()
    contains: str = ""


@dataclass(frozen=True, slots=True)
class HttpConfig:
    sites: tuple[HttpSiteConfig, ...] = ()
    timeout: float | None = None
    interval: float | None = None


@dataclass(frozen=True, slots=True)
class ProbesConfig:
    """Each probe's options (``[probes.NAME]``)."""

    df: DfConfig = field(default_factory=DfConfig)
    diskstats: DiskstatsConfig = field(default_factory=DiskstatsConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    containers: ContainersConfig = field(default_factory=ContainersConfig)
    services: ServicesConfig = field(default_factory=ServicesConfig)
    postfix: PostfixConfig = field(default_factory=PostfixConfig)
    sympa: SympaConfig = field(default_factory=SympaConfig)
    mariadb: MariaDBConfig = field(default_factory=MariaDBConfig)
    tls: TlsConfig = field(default_factory=TlsConfig)
    http: HttpConfig = field(default_factory=HttpConfig)


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    enabled: bool = True
    disabled: frozenset[str] = frozenset()
    fresh: float = 5.0
    munin: MuninConfig = field(default_factory=MuninConfig)
    prometheus: PrometheusConfig = field(default_factory=PrometheusConfig)
    probes: ProbesConfig = field(default_factory=ProbesConfig)

    def probe_on(self, name: str) -> bool:
        return self.enabled and name not in self.disabled


# ------------------------------------------------------------------ pure parsers


def parse_rate(value: object) -> float:
    """Bits per second in ``value``: ``1000000``, ``"1Gbit"``, ``"100M"``, ``"2.5 Gbit/s"``
    (k, M, G, T are powers of 1000); ValueError saying the accepted forms otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a rate, got a boolean")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and (m := _RATE.fullmatch(value.strip())):
        number = float(m.group(1)) * _RATE_UNITS[m.group(2).lower()]
    else:
        raise ValueError(
            f'{str(value)[:40]!r} is not a rate in bits per second (examples: "1Gbit", '
            '"100Mbit", "1G", 1000000000)'
        )
    if not 0 < number < 1e15:
        raise ValueError("a capacity must be more than 0 bit/s")
    return number


def parse_listen(value: str) -> tuple[str, int]:
    """``"127.0.0.1:9749"``, ``"[::1]:9749"`` or ``":9749"`` (every address) as (host, port);
    port 0 picks a free port (tests)."""
    host, sep, port_text = value.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 <= int(port_text) < 65536:
        raise ValueError(f"{value[:60]!r} is not ADDRESS:PORT")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError("write an IPv6 address in brackets, e.g. [::1]:9749")
    if host:
        parse_network(host)  # ValueError for anything but an address
    return host, int(port_text)


# ------------------------------------------------------------------ checking the tables


class _Reader:
    """One table being read: its key for messages and the error builder."""

    def __init__(self, error: Error, value: Any, key: str, allowed: frozenset[str]) -> None:
        self.error = error
        self.key = key
        self.table: Mapping[str, Any] = check_table(error, value, key, allowed)

    def flag(self, name: str, default: bool) -> bool:
        value = self.table.get(name, default)
        if not isinstance(value, bool):
            raise self.error(
                f"{self.key}.{name}", f"expected true or false, got {value!r}", f"{name} = true"
            )
        return value

    def text(self, name: str, example: str) -> str | None:
        value = self.table.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > 4096 or "\x00" in value:
            raise self.error(f"{self.key}.{name}", "expected a text", f"write {name} = {example}")
        return value

    def path(self, name: str, example: str, empty_ok: bool = False) -> Path | None:
        value = self.text(name, example)
        if value is None or (empty_ok and value == ""):
            return None
        if not value.startswith("/"):
            raise self.error(
                f"{self.key}.{name}", "expected an absolute path", f"write {name} = {example}"
            )
        return Path(value)

    def duration(self, name: str, example: str, low: float, high: float) -> float | None:
        if name not in self.table:
            return None
        key = f"{self.key}.{name}"
        try:
            seconds = parse_duration(self.table[name])
        except ValueError as exc:
            raise self.error(key, str(exc), f"write {name} = {example}") from exc
        if not low <= seconds <= high:
            raise self.error(
                key, f"expected {low:g} s to {high:g} s, got {seconds:g} s", f"{name} = {example}"
            )
        return seconds

    def number(self, name: str, example: str, low: float, high: float) -> float | None:
        if name not in self.table:
            return None
        value = self.table[name]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not low <= value <= high:
            raise self.error(
                f"{self.key}.{name}",
                f"expected a number from {low:g} to {high:g}, got {value!r}",
                f"write {name} = {example}",
            )
        return float(value)

    def names(self, name: str, example: str, pattern: re.Pattern[str] = _ENTITY) -> tuple[str, ...]:
        value = self.table.get(name, [])
        key = f"{self.key}.{name}"
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, "expected a list of texts", f"write {name} = {example}")
        for item in value:
            if not pattern.fullmatch(item):
                raise self.error(
                    key, f"{item[:60]!r} is not a valid name or pattern", f"{name} = {example}"
                )
        return tuple(dict.fromkeys(value))

    def mapping(self, name: str, example: str, check: Callable[[str], bool]) -> Mapping[str, str]:
        value = self.table.get(name, {})
        key = f"{self.key}.{name}"
        if not isinstance(value, dict):
            raise self.error(key, "expected a table of name = text", f"write {name} = {example}")
        for entity, text in value.items():
            if not _ENTITY.fullmatch(entity):
                raise self.error(
                    f"{key}.{entity[:40]}", "not a valid name", f"write {name} = {example}"
                )
            if not isinstance(text, str) or not check(text):
                raise self.error(f"{key}.{entity}", f"{text!r:.60} is not valid", example)
        return MappingProxyType(dict(value))


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _disabled(error: Error, value: Any) -> frozenset[str]:
    fix = 'write disabled = ["psi", "processes"] (names from `rempart probes`)'
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise error("metrics.disabled", "expected a list of probe names", fix)
    for name in value:
        if name not in PROBE_NAMES:
            raise error(
                "metrics.disabled",
                f"no probe named {name[:40]!r}",
                f"use names among: {', '.join(PROBE_NAMES)}",
            )
    return frozenset(value)


def _munin(error: Error, value: Any) -> MuninConfig:
    keys = frozenset(
        {
            "enabled",
            "listen",
            "port",
            "allow",
            "host_name",
            "plugins",
            "plugin_conf",
            "plugin_timeout",
            "plugin_user",
        }
    )
    r = _Reader(error, value, "metrics.munin", keys)
    listen = r.table.get("listen", ["127.0.0.1"])
    fix = 'write listen = ["127.0.0.1"] (or ["0.0.0.0", "::"] for every address)'
    if not isinstance(listen, list) or not listen or not all(isinstance(v, str) for v in listen):
        raise error("metrics.munin.listen", "expected a non-empty list of addresses", fix)
    for item in listen:
        try:
            parse_network(item)
        except ValueError as exc:
            raise error("metrics.munin.listen", f"{item[:60]!r} is not an address", fix) from exc
    host_name = r.text("host_name", '"web1.example.org"') or ""
    if host_name and not _HOST_NAME.fullmatch(host_name):
        raise error(
            "metrics.munin.host_name",
            "a host name is letters, digits, dots and dashes",
            'host_name = "web1.example.org"',
        )
    user = r.text("plugin_user", '"nobody"')
    return MuninConfig(
        enabled=r.flag("enabled", True),
        listen=tuple(listen),
        port=_port(error, r.table.get("port", 4949)),
        allow=_allow(error, r.table.get("allow", ["127.0.0.1", "::1"])),
        host_name=host_name,
        plugins=r.path("plugins", '"/etc/munin/plugins"', empty_ok=True),
        plugin_conf=r.path("plugin_conf", '"/etc/munin/plugin-conf.d"', empty_ok=True)
        if "plugin_conf" in r.table
        else _PLUGIN_CONF,
        plugin_timeout=_or(r.duration("plugin_timeout", '"10s"', 1, 3600), 10.0),
        plugin_user="nobody" if user is None else (user or None),
    )


def _port(error: Error, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise error("metrics.munin.port", f"expected a port 1–65535, got {value!r}", "port = 4949")
    return value


def _allow(error: Error, value: Any) -> tuple[Network, ...]:
    fix = 'write allow = ["127.0.0.1", "::1", "192.0.2.10"] (the Munin master\'s address)'
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise error("metrics.munin.allow", "expected a list of addresses or networks", fix)
    out = []
    for item in value:
        try:
            out.append(parse_network(item))
        except ValueError as exc:
            raise error("metrics.munin.allow", f"{item[:60]!r}: {exc}", fix) from exc
    return tuple(out)


def _prometheus(error: Error, value: Any) -> PrometheusConfig:
    r = _Reader(error, value, "metrics.prometheus", frozenset({"enabled", "listen"}))
    listen = r.text("listen", '"127.0.0.1:9749"') or "127.0.0.1:9749"
    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        raise error(
            "metrics.prometheus.listen", str(exc), 'write listen = "127.0.0.1:9749"'
        ) from exc
    return PrometheusConfig(enabled=r.flag("enabled", False), host=host, port=port)


def _secret(error: Error, value: Any) -> SecretRef | None:
    fix = (
        'write password = "file:/etc/rempart/mariadb.pass" (a file readable by rempart only) '
        'or password = "env:MARIADB_PASSWORD"; leave it out for socket authentication'
    )
    return None if value is None else parse_secret(error, value, "probes.mariadb.password", fix)


def _capacity(error: Error, value: Any) -> Mapping[str, float]:
    key = "probes.network.capacity"
    fix = 'write capacity = { eth0 = "1Gbit", "ens*" = "100Mbit" }'
    if not isinstance(value, dict):
        raise error(key, "expected a table of interface = rate", fix)
    out: dict[str, float] = {}
    for name, rate in value.items():
        if not _ENTITY.fullmatch(name):
            raise error(f"{key}.{name[:40]}", "not an interface name or pattern", fix)
        try:
            out[name] = parse_rate(rate)
        except ValueError as exc:
            raise error(f"{key}.{name}", str(exc), fix) from exc
    return MappingProxyType(out)


def _tcp_target(text: str) -> bool:
    try:
        parse_listen(text)
    except ValueError:
        return bool(re.fullmatch(r"[A-Za-z0-9._-]{1,253}:\d{1,5}", text))
    return True


def _site(error: Error, value: Any, key: str) -> HttpSiteConfig:
    r = _Reader(error, value, key, frozenset({"url", "name", "expect", "contains"}))
    url = r.text("url", '"https://example.org/"')
    if url is None or not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
        raise error(f"{key}.url", "expected an http(s) URL", 'url = "https://example.org/"')
    name = r.text("name", '"site"') or ""
    if name and not _ENTITY.fullmatch(name):
        raise error(f"{key}.name", "letters, digits, '.', '-' and '_' only", 'name = "blog"')
    expect = r.table.get("expect", [])
    if not isinstance(expect, list) or not all(
        isinstance(c, int) and not isinstance(c, bool) and 100 <= c <= 599 for c in expect
    ):
        raise error(f"{key}.expect", "expected a list of HTTP status codes", "expect = [200]")
    contains = r.text("contains", '"Welcome"') or ""
    return HttpSiteConfig(url=url, name=name, expect=tuple(expect), contains=contains)


def _http(error: Error, value: Any) -> HttpConfig:
    r = _Reader(error, value, "probes.http", PROBE_OPTIONS["http"])
    sites = r.table.get("sites", [])
    if not isinstance(sites, list):
        raise error(
            "probes.http.sites",
            "expected a list of tables",
            'write sites = [{ url = "https://example.org/", expect = [200] }]',
        )
    return HttpConfig(
        sites=tuple(_site(error, s, f"probes.http.sites[{i}]") for i, s in enumerate(sites)),
        timeout=r.duration("timeout", '"10s"', 0.1, 300),
        interval=r.duration("interval", '"1m"', 5, 86400),
    )


def _tls(error: Error, value: Any) -> TlsConfig:
    r = _Reader(error, value, "probes.tls", PROBE_OPTIONS["tls"])
    targets = r.table.get("targets", [])
    fix = 'write targets = ["example.org:443", "/etc/ssl/certs/site.pem"]'
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise error("probes.tls.targets", "expected a list of host:port or file paths", fix)
    for target in targets:
        if not (target.startswith("/") or _tcp_target(target)):
            raise error("probes.tls.targets", f"{target[:60]!r} is not host:port nor a path", fix)
    return TlsConfig(
        targets=tuple(targets),
        warning_days=r.number("warning_days", "21", 0, 3650),
        critical_days=r.number("critical_days", "7", 0, 3650),
        timeout=r.duration("timeout", '"5s"', 0.1, 300),
        interval=r.duration("interval", '"1h"', 60, 7 * 86400),
    )


def _probes(error: Error, value: Any) -> ProbesConfig:
    if not isinstance(value, dict):
        raise error("probes", "expected a table", "write [probes.NAME] tables")
    for name in value:
        if name not in PROBE_OPTIONS:
            problem = (
                "this probe takes no options"
                if name in PROBE_NAMES
                else f"no probe named {name[:40]!r}"
            )
            raise error(
                f"probes.{name[:40]}",
                problem,
                f"remove the table; probes with options: {', '.join(PROBE_OPTIONS)}",
            )

    def reader(name: str) -> _Reader:
        return _Reader(error, value.get(name, {}), f"probes.{name}", PROBE_OPTIONS[name])

    df, disk, net, cont = reader("df"), reader("diskstats"), reader("network"), reader("containers")
    svc, pf, sy, db = reader("services"), reader("postfix"), reader("sympa"), reader("mariadb")
    return ProbesConfig(
        df=DfConfig(
            exclude_types=df.names("exclude_types", '["tmpfs", "overlay"]')
            if "exclude_types" in df.table
            else None,
            exclude=df.names("exclude", '["/snap/*", "/boot/efi"]'),
        ),
        diskstats=DiskstatsConfig(
            exclude=disk.names("exclude", '["loop*", "ram*"]') if "exclude" in disk.table else None
        ),
        network=NetworkConfig(
            capacity=_capacity(error, net.table.get("capacity", {})),
            exclude=net.names("exclude", '["lo"]') if "exclude" in net.table else None,
        ),
        containers=ContainersConfig(
            docker_socket=_socket_text(cont, "docker_socket", '"/run/docker.sock"'),
            podman_socket=_socket_text(cont, "podman_socket", '"/run/podman/podman.sock"'),
            lxc_path=cont.path("lxc_path", '"/var/lib/lxc"'),
            expected=cont.names("expected", '["wordpress", "spip"]'),
        ),
        services=ServicesConfig(
            processes=svc.mapping(
                "processes",
                '{ mariadb = "mariadbd" }',
                lambda t: bool(re.fullmatch(r"[^\x00-\x1f/]{1,64}", t)),
            ),
            tcp=svc.mapping("tcp", '{ smtp = "127.0.0.1:25" }', _tcp_target),
            units=svc.mapping(
                "units",
                '{ postfix = "postfix.service" }',
                lambda t: bool(re.fullmatch(r"[A-Za-z0-9:_.@\\-]{1,255}", t)),
            ),
        ),
        postfix=PostfixConfig(
            spool=pf.path("spool", '"/var/spool/postfix"'),
            log=pf.path("log", '"/var/log/mail.log"'),
        ),
        sympa=SympaConfig(
            list_data=sy.path("list_data", '"/var/lib/sympa/list_data"'),
            spool=sy.path("spool", '"/var/spool/sympa"'),
            log=sy.path("log", '"/var/log/sympa.log"'),
        ),
        mariadb=MariaDBConfig(
            socket=db.path("socket", '"/run/mysqld/mysqld.sock"'),
            user=_user(db),
            password=_secret(error, db.table.get("password")),
            timeout=db.duration("timeout", '"2s"', 0.1, 60),
        ),
        tls=_tls(error, value.get("tls", {})),
        http=_http(error, value.get("http", {})),
    )


def _socket_text(r: _Reader, name: str, example: str) -> str | None:
    if name not in r.table:
        return None
    path = r.path(name, example, empty_ok=True)
    return "" if path is None else str(path)


def _user(r: _Reader) -> str | None:
    user = r.text("user", '"rempart"')
    if user is not None and not re.fullmatch(r"[A-Za-z0-9_.@-]{1,80}", user):
        raise r.error("probes.mariadb.user", "not a MariaDB user name", 'user = "rempart"')
    return user


def build_metrics(metrics: Any, probes: Any, error: Error) -> MetricsConfig:
    """The ``[metrics]`` and ``[probes]`` tables as values; ``error(key, problem, fix)``
    builds the ConfigError naming the file."""
    keys = frozenset({"enabled", "disabled", "fresh", "munin", "prometheus"})
    r = _Reader(error, metrics, "metrics", keys)
    return MetricsConfig(
        enabled=r.flag("enabled", True),
        disabled=_disabled(error, r.table.get("disabled", [])),
        fresh=_or(r.duration("fresh", '"5s"', 0, 300), 5.0),
        munin=_munin(error, r.table.get("munin", {})),
        prometheus=_prometheus(error, r.table.get("prometheus", {})),
        probes=_probes(error, probes),
    )
