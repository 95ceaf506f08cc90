"""Checking one TOML table: it is a table, and it holds only known keys."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rempart.errors import ConfigError

__all__ = ["Error", "check_table"]

#: error(key, problem, fix) -> the ConfigError naming the file (see config/load.py)
Error = Callable[[str, str, str], ConfigError]


def check_table(error: Error, value: Any, key: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    """``value`` as the table ``[key]``; a ConfigError when it is not a table or holds a key not
    in ``allowed`` (a hostile or mistyped key is shown cut to 40 characters)."""
    if not isinstance(value, dict):
        raise error(key, "expected a table", f"write [{key}] followed by its keys")
    for name in value:
        if name not in allowed:
            raise error(
                f"{key}.{str(name)[:40]}",
                "unknown key",
                f"remove it or use one of: {', '.join(sorted(allowed)) or 'none'}",
            )
    return value
