"""Finding filters by name: rempart's shipped filters, fail2ban's, or a path.

Reference forms (see :mod:`rempart.rules.reference` for the ``[options]`` syntax):

- ``sshd[mode=aggressive]``              a filter shipped with rempart
- ``fail2ban:sshd[mode=aggressive]``     ``sshd.conf`` from fail2ban's ``filter.d``
- ``/path/to/name.conf[mode=…]``         a fail2ban filter file
- ``/path/to/name.toml[mode=…]``         a rempart filter file
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from rempart.errors import FilterError
from rempart.guard.definition import FilterDefinition
from rempart.rules.fail2ban import load_fail2ban_filter
from rempart.rules.native import NativeFilter, parse_native
from rempart.rules.reference import FilterRef, parse_filter_ref

__all__ = [
    "FAIL2BAN_DIRS",
    "load_native_file",
    "load_shipped",
    "resolve_filter",
    "shipped_filter_names",
]

FAIL2BAN_DIRS: tuple[Path, ...] = (Path("/etc/fail2ban/filter.d"),)
_PACKAGE = "rempart.filters"


def shipped_filter_names() -> list[str]:
    """Names of the filters shipped with rempart, sorted."""
    root = resources.files(_PACKAGE)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def load_shipped(name: str) -> NativeFilter:
    """A shipped filter by name; FilterError listing the available ones otherwise."""
    resource = resources.files(_PACKAGE) / f"{name}.toml"
    if not resource.is_file():
        raise FilterError(
            "filter.not_found",
            filter=name,
            searched="rempart",
            available=", ".join(shipped_filter_names()),
        )
    return parse_native(resource.read_text(encoding="utf-8"), f"rempart:{name}")


def load_native_file(path: Path) -> NativeFilter:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FilterError(
            "filter.invalid", filter=str(path), problem=exc.strerror or str(exc)
        ) from exc
    return parse_native(text, str(path))


def _mode(ref: FilterRef, native: NativeFilter) -> FilterDefinition:
    extra = sorted(set(ref.options) - {"mode"})
    if extra:
        raise FilterError(
            "filter.invalid",
            filter=native.name,
            problem=f"unknown option(s) {', '.join(extra)} (rempart filters take only mode=…)",
        )
    return native.definition(ref.options.get("mode"))


def resolve_filter(
    text: str | FilterRef, *, fail2ban_dirs: Sequence[Path] = FAIL2BAN_DIRS
) -> FilterDefinition:
    """The definition a reference names; FilterError saying where it looked otherwise."""
    try:
        ref = parse_filter_ref(text) if isinstance(text, str) else text
    except ValueError as exc:
        raise FilterError("filter.invalid", filter=str(text), problem=str(exc)) from exc
    name = ref.name
    if name.startswith("fail2ban:"):
        base = name.removeprefix("fail2ban:")
        for directory in fail2ban_dirs:
            candidate = directory / f"{base}.conf"
            if candidate.is_file():
                return load_fail2ban_filter(candidate, ref.options)
        raise FilterError(
            "filter.not_found",
            filter=name,
            searched=", ".join(map(str, fail2ban_dirs)),
            available=", ".join(shipped_filter_names()),
        )
    if "/" in name or name.endswith((".conf", ".toml", ".local")):
        path = Path(name)
        if path.suffix == ".toml":
            return _mode(ref, load_native_file(path))
        if not path.is_file():
            raise FilterError(
                "filter.not_found",
                filter=name,
                searched=str(path.parent),
                available=", ".join(shipped_filter_names()),
            )
        return load_fail2ban_filter(path, ref.options)
    return _mode(ref, load_shipped(name))
