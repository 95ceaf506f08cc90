"""A filter definition: the data a filter file describes, ready to compile.

Both loaders produce it: :mod:`rempart.rules.fail2ban` (fail2ban ``filter.d/*.conf``)
and :mod:`rempart.rules.native` (rempart's own TOML filters). The regexes still hold
fail2ban's tags (``<HOST>``, ``<F-USER>…</F-USER>``, …); :mod:`rempart.guard.matcher`
expands and compiles them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["FilterDefinition"]


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class FilterDefinition:
    """Everything needed to turn log lines into failures.

    name         the filter's name as users refer to it (``sshd``)
    origin       where it came from, for messages (a path, or ``rempart:sshd``)
    failregex    the failure regexes, in order (the first that matches wins)
    prefregex    optional pre-filter; its ``<F-CONTENT>`` part is what failregexes see
    ignoreregex  lines (or matches) these match are not failures
    datepattern  fail2ban ``datepattern`` value, or None for the default date templates
    maxlines     how many lines a multi-line regex may span (1 = single lines)
    journalmatch systemd journal matches (``_SYSTEMD_UNIT=ssh.service``, ``+`` for OR)
    options      the options it was loaded with (``mode``…), for display
    successregex successful logins (rempart's TOML filters only): what matches is not a
                 failure but a login, whose address the agent trusts for a while
                 (``trust_logins``); same tags, same prefregex as the failregexes
    """

    name: str
    origin: str
    failregex: tuple[str, ...]
    prefregex: str | None = None
    ignoreregex: tuple[str, ...] = ()
    datepattern: str | None = None
    maxlines: int = 1
    journalmatch: tuple[str, ...] = ()
    options: Mapping[str, str] = field(default_factory=_empty)
    successregex: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``name[mode=aggressive]`` style label."""
        if not self.options:
            return self.name
        args = ",".join(f"{k}={v}" for k, v in sorted(self.options.items()))
        return f"{self.name}[{args}]"
