"""Firewall backends: nftables (through libnftables or the ``nft`` command) and a dry run.

See :mod:`rempart.adapters.firewall.documents` for what rempart writes into nftables.
"""

from __future__ import annotations

from rempart.adapters.firewall.base import Firewall
from rempart.adapters.firewall.command import NftCommand
from rempart.adapters.firewall.dryrun import DryRunFirewall
from rempart.adapters.firewall.factory import KINDS, open_firewall
from rempart.adapters.firewall.libnftables import LibNftables
from rempart.adapters.firewall.nftables import NftablesFirewall
from rempart.adapters.firewall.runner import NftRunner

__all__ = [
    "KINDS",
    "DryRunFirewall",
    "Firewall",
    "LibNftables",
    "NftCommand",
    "NftRunner",
    "NftablesFirewall",
    "open_firewall",
]
