"""From configuration to working parts: filter definitions and policies for each jail.

A filter that cannot be found or compiled is reported as a configuration error that
names the file and the jail's ``filter`` key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from rempart.addresses import AddressSet
from rempart.config.schema import Config, JailConfig
from rempart.errors import ConfigError, FilterError
from rempart.guard.definition import FilterDefinition
from rempart.guard.matcher import LineFilter
from rempart.guard.policy import ALWAYS_IGNORED, JailPolicy
from rempart.rules.catalog import FAIL2BAN_DIRS, resolve_filter
from rempart.rules.engines import build_line_filter

__all__ = ["definition_for", "journal_match", "line_filter", "policy_for", "source_zone"]


def policy_for(jail: JailConfig) -> JailPolicy:
    return JailPolicy(
        name=jail.name,
        maxretry=jail.maxretry,
        findtime=jail.findtime,
        bantime=jail.bantime,
        escalation=jail.escalation,
        ignore=AddressSet((*ALWAYS_IGNORED, *jail.ignoreip)),
        ipv6_prefix=jail.ipv6_prefix,
    )


def definition_for(
    config: Config, jail: JailConfig, fail2ban_dirs: Sequence[Path] = FAIL2BAN_DIRS
) -> FilterDefinition:
    try:
        return resolve_filter(jail.filter, fail2ban_dirs=fail2ban_dirs)
    except FilterError as exc:
        raise ConfigError(
            "config.invalid",
            file=str(config.path),
            key=f"jails.{jail.name}.filter",
            problem=exc.render("en"),
            fix="name a shipped filter (`rempart filters`), "
            "fail2ban:NAME, or the path of a filter file",
        ) from exc


def source_zone(jail: JailConfig, log: str, default: tzinfo) -> tzinfo:
    """The zone of ``log``'s zone-less dates: its source's ``timezone``, else ``default``."""
    for source in jail.sources:
        if source.path is not None and source.timezone and str(source.path) == log:
            return ZoneInfo(source.timezone)
    return default


def line_filter(definition: FilterDefinition, tz: tzinfo) -> LineFilter:
    """A compiled filter for one (jail, source), with RE2 for long lines."""
    return build_line_filter(definition, tz, captures=False)


def journal_match(jail: JailConfig, definition: FilterDefinition) -> tuple[str, ...]:
    """The journal entries a jail reads: its journal source's ``match``, else the filter's
    ``journalmatch``."""
    for source in jail.sources:
        if source.kind == "journal" and source.match:
            return source.match
    return definition.journalmatch
