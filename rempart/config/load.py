"""TOML -> :class:`~rempart.config.schema.Config`, validated once, with errors that
name the file, the key and the fix."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rempart.addresses import Network, parse_network
from rempart.config.abuseipdb import build_abuseipdb
from rempart.config.durations import parse_duration
from rempart.config.metrics import build_metrics
from rempart.config.schema import (
    KEYS,
    Config,
    Escalation,
    JailConfig,
    PortRange,
    SourceConfig,
)
from rempart.config.server import build_server
from rempart.errors import ConfigError
from rempart.guard.firewall import JAIL_NAME, RESERVED_NAMES

__all__ = ["build_config", "default_config_text", "load_config"]

_ALLOWED_TOP = {"rempart", "defaults", "jails", "abuseipdb", "metrics", "probes", "server"}


class _Ctx:
    """The file being read, for error messages."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, key: str, problem: str, fix: str) -> ConfigError:
        return ConfigError("config.invalid", file=str(self.path), key=key, problem=problem, fix=fix)

    def table(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.error(key, "expected a table", f"write [{key}] followed by its keys")
        return value

    def known(
        self, table: Mapping[str, Any], key: str, spec: str, extra: frozenset[str] = frozenset()
    ) -> None:
        allowed = {k.name.split(".")[0] for k in KEYS[spec]} | extra
        for name in table:
            if name not in allowed:
                raise self.error(
                    f"{key}.{name}" if key else name,
                    "unknown key",
                    f"remove it or use one of: {', '.join(sorted(allowed))}",
                )


def _int(ctx: _Ctx, value: Any, key: str, low: int, high: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ctx.error(
            key,
            f"expected a whole number from {low} to {high}, got {value!r}",
            f"write {key.rsplit('.', 1)[-1]} = {example}",
        )
    return value


def _duration(ctx: _Ctx, value: Any, key: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ctx.error(
            key, str(exc), f'write {key.rsplit(".", 1)[-1]} = "10m" (s, m, h, d, w)'
        ) from exc


def _networks(ctx: _Ctx, value: Any, key: str) -> tuple[Network, ...]:
    if not isinstance(value, list):
        raise ctx.error(
            key,
            "expected a list",
            f'write {key.rsplit(".", 1)[-1]} = ["192.0.2.10", "2001:db8::/48"]',
        )
    out = []
    for item in value:
        try:
            out.append(parse_network(str(item)))
        except ValueError as exc:
            raise ctx.error(
                key, str(exc), "give addresses or CIDR networks such as 192.0.2.0/24"
            ) from exc
    return tuple(out)


def _ports(ctx: _Ctx, value: Any, key: str) -> tuple[PortRange, ...] | None:
    if value == "all":
        return None
    fix = 'write ports = [22, 2222, 2200], ports = ["8000-8080"] or ports = "all"'
    if not isinstance(value, list) or not value:
        raise ctx.error(key, f'expected a list of ports or "all", got {value!r}', fix)
    out = []
    for item in value:
        text = str(item)
        first, _, last = text.partition("-")
        try:
            lo, hi = int(first), int(last or first)
        except ValueError:
            raise ctx.error(key, f"{item!r} is not a port or a range", fix) from None
        if isinstance(item, bool) or not 1 <= lo <= hi <= 65535:
            raise ctx.error(key, f"{item!r} is outside 1–65535", fix)
        out.append(PortRange(lo, hi))
    return tuple(out)


def _escalation(ctx: _Ctx, value: Any, key: str, base: Escalation) -> Escalation:
    table = ctx.table(value, key)
    for name in table:
        if name not in {"factor", "max", "window"}:
            raise ctx.error(f"{key}.{name}", "unknown key", "use factor, max or window")
    factor = table.get("factor", base.factor)
    if isinstance(factor, bool) or not isinstance(factor, int | float) or factor < 1:
        raise ctx.error(
            f"{key}.factor",
            f"expected a number ≥ 1, got {factor!r}",
            "write factor = 2 (or 1 to turn escalation off)",
        )
    return Escalation(
        factor=float(factor),
        max=_duration(ctx, table["max"], f"{key}.max") if "max" in table else base.max,
        window=_duration(ctx, table["window"], f"{key}.window")
        if "window" in table
        else base.window,
    )


def _jail_fields(ctx: _Ctx, table: Mapping[str, Any], key: str, base: JailConfig) -> dict[str, Any]:
    """The keys jails share with [defaults], over ``base``."""
    out: dict[str, Any] = {}
    if "maxretry" in table:
        out["maxretry"] = _int(ctx, table["maxretry"], f"{key}.maxretry", 1, 10000, "5")
    for name in ("findtime", "bantime"):
        if name in table:
            out[name] = _duration(ctx, table[name], f"{key}.{name}")
    if "ignoreip" in table:
        out["ignoreip"] = _networks(ctx, table["ignoreip"], f"{key}.ignoreip")
    if "ipv6_prefix" in table:
        out["ipv6_prefix"] = _int(ctx, table["ipv6_prefix"], f"{key}.ipv6_prefix", 32, 128, "64")
    if "escalation" in table:
        out["escalation"] = _escalation(
            ctx, table["escalation"], f"{key}.escalation", base.escalation
        )
    return out


def _source(ctx: _Ctx, value: Any, key: str) -> SourceConfig:
    table = ctx.table(value, key)
    ctx.known(table, key, "jails.NAME.sources[]")
    kind = table.get("type")
    if kind not in ("file", "journal", "stdin"):
        raise ctx.error(
            f"{key}.type",
            f'expected "file", "journal" or "stdin", got {kind!r}',
            'write type = "journal" (or "file" with a path)',
        )
    path = None
    if kind == "file":
        if not isinstance(table.get("path"), str) or not table["path"]:
            raise ctx.error(
                f"{key}.path", "a file source needs a path", 'write path = "/var/log/auth.log"'
            )
        path = Path(table["path"])
    match = table.get("match", [])
    if not isinstance(match, list) or not all(isinstance(m, str) for m in match):
        raise ctx.error(
            f"{key}.match",
            "expected a list of strings",
            'write match = ["_SYSTEMD_UNIT=ssh.service", "+", "_COMM=sshd"]',
        )
    timezone = table.get("timezone")
    if timezone is not None:
        try:
            ZoneInfo(str(timezone))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ctx.error(
                f"{key}.timezone",
                f"unknown time zone {timezone!r}",
                'use an IANA name such as "Europe/Paris" or "UTC"',
            ) from exc
    name = str(path) if path else ("journal" if kind == "journal" else "stdin")
    return SourceConfig(kind=kind, path=path, match=tuple(match), timezone=timezone, name=name)


def _jail_name(ctx: _Ctx, name: str) -> None:
    """Jail names become nftables set names (``NAME_v4``): keep them plain."""
    if not JAIL_NAME.fullmatch(name) or name in RESERVED_NAMES:
        raise ctx.error(
            f"jails.{name}",
            "a jail name is 1 to 32 letters, digits, _ or -, and not 'allow' or 'blocklist' "
            "(rempart's nftables sets are named after it)",
            "rename the table, e.g. [jails.sshd] or [jails.postfix-sasl]",
        )


def _jail(ctx: _Ctx, name: str, value: Any, defaults: JailConfig) -> JailConfig:
    _jail_name(ctx, name)
    key = f"jails.{name}"
    table = ctx.table(value, key)
    ctx.known(table, key, "jails.NAME", frozenset({"sources"}))
    filt = table.get("filter")
    if not isinstance(filt, str) or not filt.strip():
        raise ctx.error(f"{key}.filter", "missing", 'write filter = "sshd" (see `rempart filters`)')
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ctx.error(
            f"{key}.enabled", f"expected true or false, got {enabled!r}", "write enabled = true"
        )
    protocol = table.get("protocol", "tcp")
    if protocol not in ("tcp", "udp", "tcp+udp"):
        raise ctx.error(
            f"{key}.protocol", f"unknown protocol {protocol!r}", 'write protocol = "tcp"'
        )
    sources = table.get("sources", [])
    if not isinstance(sources, list):
        raise ctx.error(
            f"{key}.sources",
            "expected an array of tables",
            f'write [[{key}.sources]] then type = "journal"',
        )
    fields = _jail_fields(ctx, table, key, defaults)
    return JailConfig(
        name=name,
        filter=filt.strip(),
        enabled=enabled,
        sources=tuple(_source(ctx, s, f"{key}.sources[{i}]") for i, s in enumerate(sources)),
        ports=_ports(ctx, table["ports"], f"{key}.ports") if "ports" in table else None,
        protocol=protocol,
        maxretry=fields.get("maxretry", defaults.maxretry),
        findtime=fields.get("findtime", defaults.findtime),
        bantime=fields.get("bantime", defaults.bantime),
        escalation=fields.get("escalation", defaults.escalation),
        ignoreip=fields.get("ignoreip", defaults.ignoreip),
        ipv6_prefix=fields.get("ipv6_prefix", defaults.ipv6_prefix),
    )


def build_config(data: Mapping[str, Any], path: Path) -> Config:
    """Validate parsed TOML ``data`` read from ``path`` into a :class:`Config`."""
    ctx = _Ctx(path)
    for name in data:
        if name not in _ALLOWED_TOP:
            raise ctx.error(name, "unknown table", f"use one of: {', '.join(sorted(_ALLOWED_TOP))}")
    top = ctx.table(data.get("rempart", {}), "rempart")
    ctx.known(top, "rempart", "rempart")
    language = top.get("language")
    if language is not None and language not in ("fr", "en"):
        raise ctx.error(
            "rempart.language", f'expected "fr" or "en", got {language!r}', 'write language = "fr"'
        )
    state_dir = top.get("state_dir", "/var/lib/rempart")
    if not isinstance(state_dir, str) or not state_dir:
        raise ctx.error(
            "rempart.state_dir", "expected a path", 'write state_dir = "/var/lib/rempart"'
        )
    dtable = ctx.table(data.get("defaults", {}), "defaults")
    ctx.known(dtable, "defaults", "defaults")
    base = JailConfig(name="", filter="")
    defaults = JailConfig(name="", filter="", **_jail_fields(ctx, dtable, "defaults", base))
    jails = ctx.table(data.get("jails", {}), "jails")
    built = {name: _jail(ctx, name, value, defaults) for name, value in jails.items()}
    state = _path(path, state_dir)
    socket = top.get("socket", "/run/rempart/agent.sock")
    if not isinstance(socket, str) or not socket:
        raise ctx.error(
            "rempart.socket", "expected a path", 'write socket = "/run/rempart/agent.sock"'
        )
    firewall = top.get("firewall", "auto")
    if firewall not in ("auto", "nftables", "dry-run"):
        raise ctx.error(
            "rempart.firewall",
            f'expected "auto", "nftables" or "dry-run", got {firewall!r}',
            'write firewall = "auto"',
        )
    trust = top.get("trust_logins", "24h")
    trust_logins = 0.0 if trust in (0, "0") else _duration(ctx, trust, "rempart.trust_logins")
    return Config(
        path=path,
        state_dir=state,
        language=language,
        socket=_path(path, socket),
        firewall=firewall,
        trust_logins=trust_logins,
        jails=MappingProxyType(built),
        defaults=defaults,
        abuseipdb=build_abuseipdb(data.get("abuseipdb", {}), frozenset(built), ctx.error),
        metrics=build_metrics(data.get("metrics", {}), data.get("probes", {}), ctx.error),
        server=build_server(
            data.get("server", {}), ctx.error, state, base=path.parent, language=language
        ),
    )


def _path(config: Path, value: str) -> Path:
    """``value`` as a path; a relative one is read from the configuration file's directory."""
    result = Path(value)
    return result if result.is_absolute() else (config.parent / result).resolve()


def default_config_text() -> str:
    """The shipped default configuration (the association's sshd rule)."""
    return (resources.files("rempart.config") / "default.toml").read_text(encoding="utf-8")


def load_config(path: Path) -> Config:
    """Read and validate ``path``; ConfigError says what is wrong and how to fix it."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(
            "config.unreadable",
            file=str(path),
            reason="no such file",
            fix="create it (`rempart config init`) or give another path with --config",
        ) from exc
    except OSError as exc:
        raise ConfigError(
            "config.unreadable",
            file=str(path),
            reason=exc.strerror or str(exc),
            fix="check the file's permissions",
        ) from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError("config.syntax", file=str(path), reason="not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config.syntax", file=str(path), reason=str(exc)) from exc
    return build_config(data, path)
