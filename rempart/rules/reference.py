"""Filter references as users write them: ``sshd``, ``sshd[mode=aggressive]``,
``fail2ban:sshd[mode=ddos]``, ``/etc/fail2ban/filter.d/postfix.conf[mode=auth]``.

The argument syntax is fail2ban's: ``name[key=value, key2="quoted, value"]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["FilterRef", "parse_filter_ref", "parse_options"]

_OPTION = re.compile(
    r"""\s*(?P<key>[\w.\-]+)\s*=\s*(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^,]*?)\s*(?:,|$)"""
)


@dataclass(frozen=True, slots=True)
class FilterRef:
    """A parsed reference: ``name`` (a name or a path) and its ``options``."""

    name: str
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def parse_options(text: str) -> dict[str, str]:
    """``mode=aggressive, x="a, b"`` -> ``{"mode": "aggressive", "x": "a, b"}``.

    Raises ValueError when the text is not a list of ``key=value``.
    """
    options: dict[str, str] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _OPTION.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"expected key=value at {text[pos:]!r}")
        value = m.group("value")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        options[m.group("key")] = value
        pos = m.end()
    return options


def parse_filter_ref(text: str) -> FilterRef:
    """Split ``name[options]``; raises ValueError with a readable message."""
    text = text.strip()
    if not text:
        raise ValueError("empty filter reference")
    bracket = text.find("[")
    if bracket < 0:
        return FilterRef(text)
    if not text.endswith("]"):
        raise ValueError(f"{text!r}: options must end with ']'")
    name = text[:bracket].strip()
    if not name:
        raise ValueError(f"{text!r}: missing filter name before '['")
    return FilterRef(name, MappingProxyType(parse_options(text[bracket + 1 : -1])))
