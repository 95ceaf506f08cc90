"""fail2ban ``filter.d/*.conf`` files -> :class:`FilterDefinition`.

INTERFACE STUB — replaced by the full loader (INI with ``[INCLUDES] before/after``,
``.local`` and ``.d/`` overrides, ``%(x)s`` interpolation, ``[Init]`` parameters and
``name[mode=…]`` arguments, ``known/`` values, multi-line values).

Contract: ``load_fail2ban_filter(path, options) -> FilterDefinition``; a file that
cannot be read or understood raises :class:`~rempart.errors.FilterError` naming the
file and the option at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rempart.errors import FilterError
from rempart.guard.definition import FilterDefinition

__all__ = ["load_fail2ban_filter"]


def load_fail2ban_filter(path: Path, options: Mapping[str, str] | None = None) -> FilterDefinition:
    raise FilterError("filter.invalid", filter=str(path), problem="fail2ban loader not built yet")
