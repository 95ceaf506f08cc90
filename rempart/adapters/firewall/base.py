"""What the agent asks of a firewall backend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rempart.guard.blocklist import AddressList
from rempart.guard.firewall import BanOp, Element, FirewallLayout

__all__ = ["Firewall"]


class Firewall(Protocol):
    """A place where bans take effect: nftables, or a dry run that only logs."""

    @property
    def name(self) -> str:
        """``"nftables"`` or ``"dry-run"``."""
        ...

    @property
    def detail(self) -> str:
        """How it works, for people (``rempart status``)."""
        ...

    def check(self) -> None:
        """Raise FirewallError saying what is missing and how to fix it."""
        ...

    def setup(self, layout: FirewallLayout) -> None:
        """Idempotent, one transaction: table, sets, chains; keeps existing elements."""
        ...

    def apply(self, ops: Sequence[BanOp], now: float) -> None:
        """Carry out the whole batch in ONE transaction."""
        ...

    def elements(self, now: float) -> list[Element]:
        """What the firewall holds in rempart's allow and jail sets (never the blocklist
        sets: cheap enough to call every minute)."""
        ...

    def replace_blocklist(self, v4: AddressList, v6: AddressList) -> None:
        """ONE transaction that empties the blocklist sets and loads ``v4`` and ``v6``
        (no moment with an empty set). Needs a layout with ``blocklist=True``."""
        ...

    def blocklist_size(self) -> tuple[int, int]:
        """(IPv4, IPv6) addresses loaded by the last :meth:`replace_blocklist`."""
        ...

    def close(self) -> None: ...
