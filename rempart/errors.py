"""The one exception tree of rempart.

::

    RempartError                      base of everything rempart raises on purpose
    ├── ConfigError                   the configuration file is wrong (file, key, fix)
    ├── FilterError                   a filter definition cannot be loaded or compiled
    │   └── UnsafeRegexError          a regex could take super-linear time on hostile input
    ├── SourceError                   a log source cannot be opened or read
    ├── StateError                    the state database is unusable
    ├── FirewallError                 nftables is missing, refused a change, or cannot be read
    ├── ControlError                  the agent cannot be reached, or refused a command
    ├── AbuseIPDBError                AbuseIPDB cannot be used (no key, refused key, bad answer)
    ├── ProbeError                    a metric probe cannot collect (a failed collection, no crash)
    ├── MuninError                    the munin-node server or a Munin plugin cannot be used
    ├── NotifyError                   a notification (mail, webhook) cannot be sent now
    └── UsageError                    the command line asks for something impossible

Every error carries a message key and parameters (see :mod:`rempart.i18n`) so the
command line can render it in French or English; ``str(error)`` is the English text.
Outside errors are translated at the seam with ``raise ... from exc``.
"""

from __future__ import annotations

from typing import Any

from rempart.i18n import render

__all__ = [
    "AbuseIPDBError",
    "ConfigError",
    "ControlError",
    "FilterError",
    "FirewallError",
    "MuninError",
    "NotifyError",
    "ProbeError",
    "RempartError",
    "SourceError",
    "StateError",
    "UnsafeRegexError",
    "UsageError",
]


class RempartError(Exception):
    """Base class: a message key plus parameters, rendered per language."""

    key: str = "error.generic"

    def __init__(self, key: str | None = None, /, **params: Any) -> None:
        self.key = key or type(self).key
        self.params = params
        super().__init__(self.render("en"))

    def render(self, lang: str) -> str:
        """The message in ``lang`` ("en" or "fr")."""
        return render(self.key, lang, **self.params)


class ConfigError(RempartError):
    """The configuration is invalid. ``params`` holds ``file``, ``key`` and ``fix``."""

    key = "config.invalid"


class FilterError(RempartError):
    """A filter definition cannot be loaded or compiled."""

    key = "filter.invalid"


class UnsafeRegexError(FilterError):
    """A regex was refused because hostile input could make it run for a very long time."""

    key = "filter.unsafe_regex"


class SourceError(RempartError):
    """A log source cannot be opened or read."""

    key = "source.unreadable"


class StateError(RempartError):
    """The state database cannot be opened, migrated or written."""

    key = "state.unusable"


class UsageError(RempartError):
    """The command line asks for something that cannot be done."""

    key = "usage.invalid"


class FirewallError(RempartError):
    """nftables is missing, refused a change, or its state cannot be read."""

    key = "firewall.failed"


class ControlError(RempartError):
    """The agent cannot be reached over its control socket, or refused a command."""

    key = "control.failed"


class AbuseIPDBError(RempartError):
    """AbuseIPDB cannot be used: no key, a key refused, an answer that makes no sense."""

    key = "abuseipdb.failed"


class ProbeError(RempartError):
    """A metric probe cannot collect: the caller records a failed collection and goes on."""

    key = "probe.failed"


class MuninError(RempartError):
    """The munin-node server cannot listen, or a Munin plugin directory cannot be used."""

    key = "munin.failed"


class NotifyError(RempartError):
    """A notification cannot be sent now (SMTP or webhook refused or unreachable): it stays
    in the outbox and is tried again later."""

    key = "notify.failed"
