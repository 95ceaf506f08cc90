"""rempart's own filter format: one TOML file per service, rules and evidence together.

A filter file looks like this (the full reference is docs/reference/filters.md)::

    name = "sshd"
    description = { en = "OpenSSH server", fr = "Serveur OpenSSH" }
    modes = ["normal", "ddos", "extra", "aggressive"]   # first = default
    datepattern = "{^LN-BEG}"                           # optional, fail2ban syntax
    journalmatch = ["_SYSTEMD_UNIT=ssh.service", "+", "_COMM=sshd"]
    maxlines = 1
    sample_now = "2026-11-21T12:00:00Z"   # the clock the samples are read with
    sample_timezone = "UTC"
    prefregex = '^%(prefix)s<F-CONTENT>.+</F-CONTENT>$'   # top-level keys before any [table]

    [vars]                                # %(name)s pieces, expanded everywhere
    daemon = 'sshd(?:-session)?'

    [[rules]]                             # failregexes, in order
    regex = '^Failed password for <F-USER>.*</F-USER> from <HOST> port \\d+(?: ssh2)?$'
    modes = ["normal", "aggressive"]      # default: every mode

    [[ignore]]                            # ignoreregexes
    regex = '...'

    [[success]]                           # successful logins (trusted for a while)
    regex = '^Accepted password for <F-USER>\\S+</F-USER> from <ADDR> port \\d+ ssh2$'

    [[samples]]                           # evidence, walked by tests/filters
    line = "..."
    match = true                          # the line completes exactly one failure
    host = "192.0.2.1"                    # optional checks: host, user, time (ISO 8601)
    modes = ["ddos", "aggressive"]        # default: every mode
    source_time = "2026-11-21T09:43:12Z"  # optional: fed as a journal entry with this time
                                          # (for date-less lines: journal, ``sshd -E``)
    success = true                        # the line is a successful login (one, of ``host``);
                                          # default false: the success rules find none in it

Regexes use fail2ban's tags (``<HOST>``, ``<ADDR>``, ``<F-USER>``…). Unknown keys
are errors, so a typo never silently disables a rule.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from rempart.errors import FilterError
from rempart.guard.definition import FilterDefinition

__all__ = ["NativeFilter", "Sample", "parse_native"]

_TOP_KEYS = {
    "name",
    "description",
    "modes",
    "datepattern",
    "journalmatch",
    "maxlines",
    "vars",
    "prefregex",
    "rules",
    "ignore",
    "samples",
    "success",
    "sample_now",
    "sample_timezone",
}
_RULE_KEYS = {"regex", "modes", "description"}
_SAMPLE_KEYS = {
    "line",
    "match",
    "host",
    "time",
    "user",
    "modes",
    "description",
    "source_time",
    "success",
}
_VAR = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True, slots=True)
class Sample:
    """A sample line and what the filter must make of it."""

    line: str
    match: bool
    host: str | None = None
    time: str | None = None
    user: str | None = None
    modes: tuple[str, ...] = ()
    description: str = ""
    source_time: str | None = None
    success: bool = False


@dataclass(frozen=True, slots=True)
class NativeFilter:
    """A parsed TOML filter: one definition per mode, plus its samples."""

    name: str
    origin: str
    modes: tuple[str, ...]
    description: Mapping[str, str]
    definitions: Mapping[str, FilterDefinition]
    samples: tuple[Sample, ...]
    sample_now: str | None = None
    sample_timezone: str = "UTC"
    raw: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def default_mode(self) -> str:
        return self.modes[0]

    def definition(self, mode: str | None = None) -> FilterDefinition:
        key = mode or self.default_mode
        try:
            return self.definitions[key]
        except KeyError:
            raise FilterError(
                "filter.invalid",
                filter=self.name,
                problem=f"unknown mode {key!r} (modes: {', '.join(self.modes)})",
            ) from None


def _fail(origin: str, problem: str) -> FilterError:
    return FilterError("filter.invalid", filter=origin, problem=problem)


def _expand(text: str, variables: Mapping[str, str], origin: str, where: str) -> str:
    seen: list[str] = []

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in variables:
            raise _fail(origin, f"{where}: unknown variable %({name})s")
        if name in seen:
            raise _fail(origin, f"{where}: variable %({name})s refers to itself")
        seen.append(name)
        try:
            return _VAR.sub(sub, variables[name])
        finally:
            seen.pop()

    return _VAR.sub(sub, text)


def _check_keys(table: Mapping[str, Any], allowed: set[str], origin: str, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _fail(
            origin,
            f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})",
        )


def _str_list(value: Any, origin: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(origin, f"{where}: expected a list of strings")
    return tuple(value)


def _rules(
    data: Mapping[str, Any],
    key: str,
    modes: tuple[str, ...],
    variables: Mapping[str, str],
    origin: str,
) -> list[tuple[str, tuple[str, ...]]]:
    out = []
    for i, rule in enumerate(data.get(key, [])):
        where = f"{key}[{i}]"
        if not isinstance(rule, dict) or not isinstance(rule.get("regex"), str):
            raise _fail(origin, f"{where}: expected a table with a 'regex' string")
        _check_keys(rule, _RULE_KEYS, origin, where)
        rule_modes = _str_list(rule.get("modes", list(modes)), origin, f"{where}.modes")
        bad = [m for m in rule_modes if m not in modes]
        if bad:
            raise _fail(origin, f"{where}.modes: unknown mode(s) {', '.join(bad)}")
        out.append((_expand(rule["regex"], variables, origin, where), rule_modes))
    return out


def _samples(data: Mapping[str, Any], modes: tuple[str, ...], origin: str) -> tuple[Sample, ...]:
    samples = []
    for i, raw in enumerate(data.get("samples", [])):
        where = f"samples[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("line"), str):
            raise _fail(origin, f"{where}: expected a table with a 'line' string")
        _check_keys(raw, _SAMPLE_KEYS, origin, where)
        sample_modes = _str_list(raw.get("modes", list(modes)), origin, f"{where}.modes")
        samples.append(
            Sample(
                line=raw["line"],
                match=bool(raw.get("match", False)),
                host=raw.get("host"),
                time=raw.get("time"),
                user=raw.get("user"),
                modes=sample_modes,
                description=str(raw.get("description", "")),
                source_time=raw.get("source_time"),
                success=bool(raw.get("success", False)),
            )
        )
    return tuple(samples)


def parse_native(text: str, origin: str) -> NativeFilter:
    """Parse a TOML filter; raises FilterError naming ``origin`` and the key at fault."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(origin, f"not valid TOML ({exc})") from exc
    _check_keys(data, _TOP_KEYS, origin, "top level")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(origin, 'name: missing (a short name such as "sshd")')
    modes = _str_list(data.get("modes", ["normal"]), origin, "modes")
    if not modes:
        raise _fail(origin, "modes: needs at least one mode")
    variables = {k: str(v) for k, v in dict(data.get("vars", {})).items()}
    misplaced = sorted(set(variables) & _TOP_KEYS)
    if misplaced:
        raise _fail(
            origin,
            f"vars.{misplaced[0]}: a top-level key ended up inside [vars]; "
            "in TOML, top-level keys must come before the first [table]",
        )
    pref = data.get("prefregex")
    prefregex = _expand(pref, variables, origin, "prefregex") if isinstance(pref, str) else None
    fail_rules = _rules(data, "rules", modes, variables, origin)
    ignore_rules = _rules(data, "ignore", modes, variables, origin)
    success_rules = _rules(data, "success", modes, variables, origin)
    datepattern = data.get("datepattern")
    if datepattern is not None:
        datepattern = _expand(str(datepattern), variables, origin, "datepattern")
    journalmatch = _str_list(data.get("journalmatch", []), origin, "journalmatch")
    maxlines = data.get("maxlines", 1)
    if not isinstance(maxlines, int) or maxlines < 1:
        raise _fail(origin, "maxlines: expected a whole number >= 1")
    definitions = {}
    for mode in modes:
        failregex = tuple(r for r, m in fail_rules if mode in m)
        if not failregex:
            raise _fail(origin, f"mode {mode!r} has no rules")
        definitions[mode] = FilterDefinition(
            name=name,
            origin=origin,
            failregex=failregex,
            prefregex=prefregex,
            ignoreregex=tuple(r for r, m in ignore_rules if mode in m),
            datepattern=datepattern,
            maxlines=maxlines,
            journalmatch=journalmatch,
            options=MappingProxyType({"mode": mode}),
            successregex=tuple(r for r, m in success_rules if mode in m),
        )
    description = data.get("description", {})
    if isinstance(description, str):
        description = {"en": description, "fr": description}
    return NativeFilter(
        name=name,
        origin=origin,
        modes=modes,
        description=MappingProxyType(dict(description)),
        definitions=MappingProxyType(definitions),
        samples=_samples(data, modes, origin),
        sample_now=data.get("sample_now"),
        sample_timezone=str(data.get("sample_timezone", "UTC")),
        raw=MappingProxyType(data),
    )
