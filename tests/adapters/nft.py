"""Helpers for the nftables tests: runners that only ever reach a test namespace."""

from __future__ import annotations

import ctypes.util
from pathlib import Path

from rempart.adapters.firewall import LibNftables, NftCommand, NftRunner
from tests.conftest import missing_dependency, need_program
from tests.netns import Namespace

__all__ = ["RUNNERS", "need_libnftables", "netns_path", "runner_in"]

RUNNERS = ("libnftables", "nft-command")


def netns_path(ns: Namespace) -> Path:
    return Path("/run/netns") / ns.name


def need_libnftables() -> None:
    if ctypes.util.find_library("nftables"):
        return
    missing_dependency("libnftables not found: install Debian package libnftables1")


def runner_in(ns: Namespace, kind: str) -> NftRunner:
    """A runner of ``kind`` (one of RUNNERS) working inside ``ns`` only."""
    if kind == "libnftables":
        need_libnftables()
        return LibNftables(netns_path(ns))
    need_program("nft", "nftables")
    return NftCommand(ns.argv("nft"))
