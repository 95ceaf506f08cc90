"""fail2ban's configuration files: reading, include order, merging and ``%(x)s`` interpolation.

fail2ban reads a configuration name ``X`` as ``X.conf``, ``X.d/*.conf``, ``X.local`` and
``X.d/*.local`` (sorted, later files win). Each file may pull others with
``[INCLUDES] before = …`` / ``after = …`` (paths relative to the including file; an included
``Y.conf`` brings its ``Y.local`` along). Sections merge key by key; the value a key had
before a later file overrode it stays reachable as ``%(known/key)s`` (and ``<known/key>``).
A section named ``[Name?key=value]`` is *conditional*: its keys are stored as
``key?key=value`` in section ``Name``.

Reading is separated from parsing (:class:`ConfigFiles` is the only part that touches the
disk); :func:`read_config` builds a :class:`MergedConfig` from whatever ``files`` returns.

Interpolation follows Python's ``configparser.BasicInterpolation`` as fail2ban extends it:
``%%`` is a percent sign, ``%(name)s`` looks in the call's ``extra`` values, then the
section, then ``[DEFAULT]`` (then ``[Init]``), ``%(section/name)s`` reads another section,
``%(known/name)s`` the overridden value and ``%(__name__)s`` is the section's name.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Protocol

from rempart.errors import FilterError

__all__ = [
    "ConfigFiles",
    "DiskFiles",
    "MergedConfig",
    "parse_ini",
    "read_config",
]

_INCLUDES = "INCLUDES"
_DEFAULT = "DEFAULT"
_KNOWN = "KNOWN/"
_CONDITIONAL = re.compile(r"^(\w+)(\?.+)$")
_REFERENCE = re.compile(r"%\(([^)]+)\)s")
_SECTION_OPTION = re.compile(r"^([\w\-]+)/([^\s>]+)$")
_MAX_DEPTH = 10


class ConfigFiles(Protocol):
    """Where configuration text comes from (the disk, or a dict in tests)."""

    def read(self, path: PurePath) -> str | None:
        """The file's text, or None when it does not exist."""

    def list(self, directory: PurePath) -> Sequence[str]:
        """Names of the files in ``directory`` (empty when it does not exist)."""


class DiskFiles:
    """The real file system, read as UTF-8."""

    def read(self, path: PurePath) -> str | None:
        try:
            return Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise FilterError("filter.invalid", filter=str(path), problem=str(exc)) from exc

    def list(self, directory: PurePath) -> Sequence[str]:
        try:
            return [p.name for p in Path(directory).iterdir() if p.is_file()]
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise FilterError("filter.invalid", filter=str(directory), problem=str(exc)) from exc


@dataclass(frozen=True, slots=True)
class _IniFile:
    path: PurePath
    defaults: dict[str, str]
    sections: dict[str, dict[str, str]]


def parse_ini(text: str, origin: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """``(defaults, sections)`` of one file, raw (no interpolation), keys lower-cased.

    The syntax is ``configparser``'s with ``;`` inline comments, as fail2ban reads it.
    """
    # no default section for the parser itself: [DEFAULT] is read like any other section
    parser = configparser.RawConfigParser(
        inline_comment_prefixes=(";",), strict=True, default_section="\x00"
    )
    try:
        parser.read_string(text, source=origin)
    except configparser.Error as exc:
        message = str(exc).replace("\n", " ")
        raise FilterError("filter.invalid", filter=origin, problem=message) from exc
    sections = {name: dict(parser.items(name, raw=True)) for name in parser.sections()}
    return sections.pop(_DEFAULT, {}), sections


@dataclass(slots=True)
class MergedConfig:
    """Sections of several files merged in read order, with the origin of every value."""

    files: list[PurePath] = field(default_factory=list)
    defaults: dict[str, str] = field(default_factory=dict)
    sections: dict[str, dict[str, str]] = field(default_factory=dict)
    origins: dict[tuple[str, str], PurePath] = field(default_factory=dict)

    def merge(self, ini: _IniFile) -> None:
        self.files.append(ini.path)
        self.defaults.update(ini.defaults)
        for key in ini.defaults:
            self.origins[(_DEFAULT, key)] = ini.path
        for raw_name, raw_values in ini.sections.items():
            name, values = raw_name, raw_values
            cond = _CONDITIONAL.match(raw_name)
            if cond:
                name = cond.group(1)
                values = {key + cond.group(2): value for key, value in raw_values.items()}
            current = self.sections.get(name)
            if current is None:
                self.sections[name] = dict(values)
            else:
                known = self.sections.setdefault(_KNOWN + name, {})
                known.update({k: v for k, v in current.items() if k in values})
                current.update(values)
            for key in values:
                self.origins[(name, key)] = ini.path

    def origin(self, section: str, key: str) -> str:
        """The file a value came from (the first file read when unknown)."""
        path = self.origins.get((section, key)) or self.origins.get((_DEFAULT, key))
        return str(path if path is not None else (self.files[0] if self.files else "?"))

    def has(self, section: str, key: str) -> bool:
        return key in self.sections.get(section, {}) or key in self.defaults

    def own_keys(self, section: str) -> list[str]:
        return list(self.sections.get(section, {}))

    def get(self, section: str, key: str, extra: Mapping[str, str] | None = None) -> str | None:
        """The interpolated value of ``key`` in ``section`` (``extra`` values win), or None.

        ``key`` may be ``other/key`` (read in section ``other``), ``known/key`` (the value
        before the last override, else the current one) or ``default/key``, as fail2ban's
        ``<tag>`` references allow.
        """
        pair = _SECTION_OPTION.match(key)
        key = key.lower()
        if pair is not None:
            other, option = pair.group(1), pair.group(2).lower()
            lowered = other.lower()
            if lowered == "known":
                candidates = [_KNOWN + section, section]
            elif lowered == "default":
                candidates = [_DEFAULT]
            else:
                candidates = [other]
            for candidate in candidates:
                value = self._get(candidate, option, {})
                if value is not None:
                    return value
        return self._get(section, key, extra or {})

    def _get(self, section: str, key: str, extra: Mapping[str, str]) -> str | None:
        if section != _DEFAULT and section not in self.sections:
            return None
        raw = self._lookup(section, key, extra)
        return None if raw is None else self.interpolate(section, key, raw, extra)

    def _lookup(self, section: str, key: str, extra: Mapping[str, str]) -> str | None:
        for name, value in extra.items():
            if name.lower() == key:
                return value
        if key == "__name__":
            return section
        own = self.sections.get(section, {})
        if key in own:
            return own[key]
        if key in self.defaults:
            return self.defaults[key]
        return self.sections.get("Init", {}).get(key)

    def _qualified(self, section: str, other: str, key: str) -> str | None:
        lowered = other.lower()
        if lowered == "known":
            value = self.sections.get(_KNOWN + section, {}).get(key)
            return value if value is not None else self.defaults.get(key)
        if lowered == "default":
            return self.defaults.get(key)
        values = self.sections.get(other)
        if values is None:
            return None
        return values.get(key, self.defaults.get(key))

    def interpolate(
        self, section: str, key: str, raw: str, extra: Mapping[str, str], depth: int = 1
    ) -> str:
        """Expand ``%%`` and ``%(name)s`` in ``raw`` as seen from ``section``."""
        if "%" not in raw:
            return raw
        if depth > _MAX_DEPTH:
            raise self._error(section, key, f"%(…)s references nest deeper than {_MAX_DEPTH}")
        out: list[str] = []
        rest = raw
        while rest:
            cut = rest.find("%")
            if cut < 0:
                out.append(rest)
                break
            out.append(rest[:cut])
            rest = rest[cut:]
            if rest[1:2] == "%":
                out.append("%")
                rest = rest[2:]
                continue
            ref = _REFERENCE.match(rest)
            if ref is None:
                raise self._error(
                    section, key, f"'%' must be followed by '%' or '(name)s', found {rest[:12]!r}"
                )
            rest = rest[ref.end() :]
            out.append(self._reference(section, key, ref.group(1), extra, depth))
        return "".join(out)

    def _reference(
        self, section: str, key: str, name: str, extra: Mapping[str, str], depth: int
    ) -> str:
        value = self._lookup(section, name.lower(), extra)
        if value is None and "/" in name:
            other, _, option = name.rpartition("/")
            value = self._qualified(section, other, option.lower())
        if value is None:
            raise self._error(section, key, f"%({name})s refers to an option that does not exist")
        return self.interpolate(section, key, value, extra, depth + 1)

    def _error(self, section: str, key: str, problem: str) -> FilterError:
        return FilterError(
            "filter.invalid",
            filter=self.origin(section, key),
            problem=f"[{section}] {key}: {problem}",
        )


def _with_local(path: PurePath, files: ConfigFiles) -> list[PurePath]:
    local = path.with_suffix(".local")
    if path.suffix != ".local" and files.read(local) is not None:
        return [path, local]
    return [path]


def _read(
    path: PurePath, files: ConfigFiles, cache: dict[PurePath, _IniFile | None]
) -> _IniFile | None:
    if path not in cache:
        text = files.read(path)
        if text is None:
            cache[path] = None
        else:
            defaults, sections = parse_ini(text, str(path))
            cache[path] = _IniFile(path, defaults, sections)
    return cache[path]


def _ordered(
    path: PurePath,
    files: ConfigFiles,
    cache: dict[PurePath, _IniFile | None],
    seen: tuple[PurePath, ...],
) -> list[_IniFile]:
    """``path`` with its includes, in read order (before…, path, after…)."""
    ini = _read(path, files, cache)
    if ini is None:
        return []
    parts: dict[str, list[_IniFile]] = {"before": [], "after": []}
    includes = ini.sections.get(_INCLUDES, {})
    for option, out in parts.items():
        for line in includes.get(option, "").split("\n"):
            if not line.strip():
                continue
            target = PurePath(line.strip())
            if not target.is_absolute():
                target = path.parent / target
            if target in seen:
                continue
            for each in _with_local(target, files):
                out.extend(_ordered(each, files, cache, (*seen, path)))
    return [*parts["before"], ini, *parts["after"]]


def read_config(path: PurePath, files: ConfigFiles | None = None) -> MergedConfig:
    """Read ``path`` (``X.conf``) with ``X.d/*.conf``, ``X.local``, ``X.d/*.local`` and includes.

    Raises FilterError when ``path`` itself does not exist or a file is not valid INI.
    """
    files = files or DiskFiles()
    base = path.with_suffix("") if path.suffix in (".conf", ".local") else path
    drop_in = PurePath(f"{base}.d")
    names = sorted(files.list(drop_in))
    candidates: list[PurePath] = [
        PurePath(f"{base}.conf"),
        *(drop_in / n for n in names if n.endswith(".conf")),
        PurePath(f"{base}.local"),
        *(drop_in / n for n in names if n.endswith(".local")),
    ]
    cache: dict[PurePath, _IniFile | None] = {}
    existing = [c for c in candidates if _read(c, files, cache) is not None]
    if PurePath(f"{base}.conf") not in existing and path not in existing:
        raise FilterError("filter.invalid", filter=str(path), problem="cannot read the file")
    merged = MergedConfig()
    order: list[_IniFile] = []
    for candidate in existing:
        order.extend(_ordered(candidate, files, cache, ()))
    for ini in order:
        merged.merge(ini)
    return merged
