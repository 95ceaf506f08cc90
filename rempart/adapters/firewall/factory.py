"""Choosing the firewall backend: ``auto``, ``nftables`` or ``dry-run``."""

from __future__ import annotations

import logging

from rempart.adapters.firewall.base import Firewall
from rempart.adapters.firewall.dryrun import DryRunFirewall
from rempart.adapters.firewall.libnftables import LibNftables
from rempart.adapters.firewall.nftables import NftablesFirewall
from rempart.adapters.firewall.runner import NftRunner
from rempart.clock import Clock, SystemClock
from rempart.errors import FirewallError

__all__ = ["KINDS", "open_firewall"]

KINDS = ("auto", "nftables", "dry-run")


def _nftables(runner: NftRunner | None) -> NftablesFirewall:
    firewall = NftablesFirewall(runner if runner is not None else LibNftables())
    try:
        firewall.check()
    except FirewallError:
        firewall.close()
        raise
    return firewall


def open_firewall(
    kind: str = "auto",
    *,
    runner: NftRunner | None = None,
    log: logging.Logger | None = None,
    clock: Clock | None = None,
) -> Firewall:
    """The firewall for ``kind``, checked.

    ``nftables`` raises FirewallError (with the fix) when nftables cannot be used;
    ``auto`` then falls back to ``dry-run`` with a warning on ``log`` that says nothing
    will be banned and why. ``runner`` defaults to :class:`LibNftables` in rempart's own
    network namespace.
    """
    log = log or logging.getLogger("rempart.firewall")
    if kind not in KINDS:
        raise FirewallError("firewall.unknown_kind", kind=kind)
    if kind == "dry-run":
        return DryRunFirewall(log, clock or SystemClock())
    if kind == "nftables":
        return _nftables(runner)
    try:
        return _nftables(runner)
    except FirewallError as exc:
        log.warning("%s", FirewallError("firewall.fallback", reason=str(exc)))
        return DryRunFirewall(log, clock or SystemClock())
