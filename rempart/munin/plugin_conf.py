"""plugin-conf.d and plugin names, as munin-node 2.0 reads them (pure: text in, values out).

Munin's code (Debian 2.0.73, ``Munin::Node::Config`` and ``Munin::Node::Service``):

- a file is read line by line (``\\n`` only); ``#`` starts a comment unless written ``\\#``;
  blanks around a line are dropped; ``[name]`` opens a section; ``key value`` lines before any
  section, malformed lines, unknown keys and the old ``env VAR=value`` form are errors that stop
  the *rest of that file* (what was read before stays), never the other files;
- keys: ``user``, ``group a, b, (optional)``, ``command … %c …``, ``host_name``, ``timeout``,
  ``update_rate``, ``env.VAR value``; a later line or file overrides an earlier one key by key
  (``env.*`` variable by variable);
- ``[prefix*]`` and ``[*suffix]`` sections only fill in what a plugin's own section lacks; they
  are applied in descending name order, so ``[if_err_*]`` wins over ``[if_*]``. Munin uses the
  text around ``*`` as a regular expression (``^prefix``, ``suffix$``); so does this module, and
  when the text is not a valid expression it is matched literally.

Where rempart is stricter, it says so: ``command`` is split with :func:`shlex.split` (Munin
splits on blanks; the two agree unless the line has quotes), ``timeout`` must be a number
(``0`` means the default, as Munin's ``||``), an ``env.`` key needs a name, and NUL
characters are refused. Each problem names the file and the line.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

__all__ = [
    "DEFAULT_IGNORE",
    "ConfProblem",
    "PluginConf",
    "PluginSettings",
    "Section",
    "is_conf_file_name",
    "is_runnable_name",
    "parse_plugin_conf",
    "settings_for",
]

# munin-node.conf's ignore_file lines as Debian ships them (/etc/munin/munin-node.conf).
DEFAULT_IGNORE: tuple[str, ...] = (
    r"[\#~]$",
    r"DEADJOE$",
    r"\.bak$",
    r"%$",
    r"\.dpkg-(tmp|new|old|dist)$",
    r"\.rpm(save|new)$",
    r"\.pod$",
)

# Perl reads these files as bytes: \w and \s are ASCII there.
_PLUGIN_NAME = re.compile(r"[-A-Za-z0-9_@.:]+")
_CONF_NAME = re.compile(r"[-A-Za-z0-9_.:]+")
_SPACE = " \t\n\r\f\v"
_COMMENT = re.compile(r"(?<!\\)#.*")
_SECTION = re.compile(r"[ \t\n\r\f\v]*\[([^\]]+)\][ \t\n\r\f\v]*")
_OLD_ENV = re.compile(r"[ \t\n\r\f\v]*env[ \t\n\r\f\v]+([^=\s]+)[ \t\n\r\f\v]*=[ \t\n\r\f\v]*(.+)")
_KEY_VALUE = re.compile(r"[ \t\n\r\f\v]*([A-Za-z0-9_.]+)[ \t\n\r\f\v]+(.+)")
_GROUP_SPLIT = re.compile(r"[ \t\n\r\f\v,]+")
_MAX_TIMEOUT = 86400.0


def _ignored(name: str, ignore: Sequence[str]) -> bool:
    return any(re.search(pattern, name) for pattern in ignore)


def is_runnable_name(name: str, ignore: Sequence[str] = DEFAULT_IGNORE) -> bool:
    """Whether munin-node would run a plugin file called ``name`` (``is_a_runnable_service``).

    Not hidden, not ``*.conf``, only ``[-\\w@.:]``, and no ``ignore`` pattern matches
    (``re.search``, like Perl's ``=~``). The file must also be executable: the caller checks.
    """
    if name.startswith(".") or name.endswith(".conf"):
        return False
    return _PLUGIN_NAME.fullmatch(name) is not None and not _ignored(name, ignore)


def is_conf_file_name(name: str, ignore: Sequence[str] = DEFAULT_IGNORE) -> bool:
    """Whether munin-node reads a plugin-conf.d file called ``name``."""
    if name.startswith("."):
        return False
    return _CONF_NAME.fullmatch(name) is not None and not _ignored(name, ignore)


@dataclass(frozen=True, slots=True)
class ConfProblem:
    """A line munin-node would refuse; the rest of its file was not read."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Section:
    """One ``[name]`` section after every file was read; ``None`` = key not given."""

    name: str
    user: str | None = None
    groups: tuple[str, ...] | None = None
    command: tuple[str, ...] | None = None
    host_name: str | None = None
    timeout: float | None = None  # 0 = the default
    update_rate: str | None = None
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class PluginConf:
    """Every section of a plugin-conf.d directory, and the lines that were refused."""

    sections: Mapping[str, Section] = field(default_factory=lambda: MappingProxyType({}))
    problems: tuple[ConfProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class PluginSettings:
    """What applies to one plugin. ``groups`` keep Munin's ``(optional)`` parentheses."""

    user: str | None = None
    groups: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    timeout: float | None = None
    command: tuple[str, ...] | None = None
    host_name: str | None = None


class _LineError(ValueError):
    """A line Munin refuses (``croak``)."""


def _strip(line: str) -> str:
    line = _COMMENT.sub("", line, count=1).replace("\\#", "#")
    return line.strip(_SPACE)


def _timeout(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise _LineError(f"timeout must be a number of seconds, not {value!r}") from None
    if not math.isfinite(number) or number < 0 or number > _MAX_TIMEOUT:
        raise _LineError(f"timeout must be between 0 and {_MAX_TIMEOUT:g} seconds, not {value!r}")
    return number


def _command(value: str) -> tuple[str, ...]:
    try:
        words = tuple(shlex.split(value))
    except ValueError as exc:
        raise _LineError(f"command cannot be split into words ({exc})") from None
    if not words:
        raise _LineError("command is empty")
    return words


def _key_value(line: str) -> tuple[str, str | tuple[str, ...] | float]:
    """``(key, value)`` of one line inside a section (Munin's ``_parse_plugin_line``)."""
    if "\0" in line:
        raise _LineError("a NUL character is not allowed")
    old = _OLD_ENV.fullmatch(line)
    if old:
        name, value = old.groups()
        raise _LineError(f"deprecated format: 'env {name}={value}' should be 'env.{name} {value}'")
    match = _KEY_VALUE.fullmatch(line)
    if match is None:
        raise _LineError(f"line is not well formed ({line})")
    key, value = match.groups()
    if key in ("user", "host_name", "update_rate"):
        return key, value
    if key == "group":
        return key, tuple(g for g in _GROUP_SPLIT.split(value) if g)
    if key == "command":
        return key, _command(value)
    if key == "timeout":
        return key, _timeout(value)
    if key.startswith("env."):
        if key == "env.":
            raise _LineError("env. needs a variable name: env.NAME value")
        return key, value
    raise _LineError(f"failed to parse line: {line}. Should it have been 'env.{key} {value}'?")


def _parse_file(
    file: str, text: str, raw: dict[str, dict[str, object]], env: dict[str, dict[str, str]]
) -> ConfProblem | None:
    section: str | None = None
    for number, raw_line in enumerate(text.split("\n"), start=1):
        line = _strip(raw_line)
        if not line:
            continue
        header = _SECTION.fullmatch(line)
        try:
            if header:
                section = header.group(1)
                if "\0" in section:
                    raise _LineError("a NUL character is not allowed")
                continue
            if section is None:
                raise _LineError("clutter before section start: every line belongs to a [section]")
            key, value = _key_value(line)
        except _LineError as exc:
            return ConfProblem(file, number, str(exc))
        if key.startswith("env."):
            env.setdefault(section, {})[key[4:]] = str(value)
        else:
            raw.setdefault(section, {})[key] = value
    return None


def _section(name: str, raw: Mapping[str, object], env: Mapping[str, str]) -> Section:
    def text(key: str) -> str | None:
        value = raw.get(key)
        return value if isinstance(value, str) else None

    def words(key: str) -> tuple[str, ...] | None:
        value = raw.get(key)
        return value if isinstance(value, tuple) else None

    timeout = raw.get("timeout")
    return Section(
        name=name,
        user=text("user"),
        groups=words("group"),
        command=words("command"),
        host_name=text("host_name"),
        timeout=timeout if isinstance(timeout, float) else None,
        update_rate=text("update_rate"),
        env=MappingProxyType(dict(env)),
    )


def parse_plugin_conf(files: Iterable[tuple[str, str]]) -> PluginConf:
    """Read ``(file name, text)`` pairs in the order munin-node reads them (sorted names).

    Never raises on content: a refused line becomes a :class:`ConfProblem` and ends its file.
    """
    raw: dict[str, dict[str, object]] = {}
    env: dict[str, dict[str, str]] = {}
    problems: list[ConfProblem] = []
    for file, text in files:
        problem = _parse_file(file, text, raw, env)
        if problem is not None:
            problems.append(problem)
    names = sorted(raw.keys() | env.keys())
    sections = {n: _section(n, raw.get(n, {}), env.get(n, {})) for n in names}
    return PluginConf(MappingProxyType(sections), tuple(problems))


def _wildcard_matches(wildcard: str, name: str) -> bool:
    """Munin's ``apply_wildcards`` test: ``^prefix`` (``prefix*``), ``suffix$`` (``*suffix``)."""
    if wildcard.endswith("*"):
        prefix = wildcard[:-1]
        try:
            return re.search("^" + prefix, name) is not None
        except re.error:
            return name.startswith(prefix)
    suffix = wildcard[1:]
    try:
        return re.search(suffix + "$", name) is not None
    except re.error:
        return name.endswith(suffix)


_KEYS = ("user", "groups", "command", "host_name", "timeout", "update_rate")


def _merged(name: str, sections: Mapping[str, Section]) -> Section:
    own = None if _is_wildcard(name) else sections.get(name)
    values: dict[str, Any] = {key: getattr(own, key) if own else None for key in _KEYS}
    env = dict(own.env) if own else {}
    for wildcard in sorted((n for n in sections if _is_wildcard(n)), reverse=True):
        if not _wildcard_matches(wildcard, name):
            continue
        other = sections[wildcard]
        for var, value in other.env.items():
            env.setdefault(var, value)
        for key in _KEYS:
            if values[key] is None:
                values[key] = getattr(other, key)
    return replace(Section(name), env=MappingProxyType(env), **values)


def _is_wildcard(name: str) -> bool:
    return name.startswith("*") or name.endswith("*")


def settings_for(name: str, conf: PluginConf | Mapping[str, Section]) -> PluginSettings:
    """The settings munin-node applies to plugin ``name``: its own section, then the
    matching wildcard sections (most specific first) for what it lacks."""
    sections = conf.sections if isinstance(conf, PluginConf) else conf
    merged = _merged(name, sections)
    timeout = merged.timeout if merged.timeout else None  # Munin: `timeout || default`
    return PluginSettings(
        user=merged.user,
        groups=merged.groups or (),
        env=merged.env,
        timeout=timeout,
        command=merged.command,
        host_name=merged.host_name or None,
    )
