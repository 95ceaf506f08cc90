"""A firewall that changes nothing: it logs what it would do and remembers the elements."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from rempart.addresses import Network
from rempart.clock import Clock
from rempart.errors import FirewallError
from rempart.guard.blocklist import AddressList
from rempart.guard.firewall import AddElement, BanOp, Element, FirewallLayout

__all__ = ["DryRunFirewall"]

_DETAIL_OPS = 20  # larger batches are logged as one summary line


class DryRunFirewall:
    """Keeps elements in memory (dropping them when they expire) and logs every change
    it would make. Used when nftables cannot be, and by ``--firewall dry-run``."""

    name = "dry-run"
    detail = "dry run: nothing is banned, changes are only logged"

    def __init__(self, log: logging.Logger, clock: Clock) -> None:
        self._log, self._clock = log, clock
        self._elements: dict[tuple[str, Network], Element] = {}
        self._layout = FirewallLayout(())
        self._blocklist: tuple[AddressList, AddressList] = (AddressList(4), AddressList(6))

    def check(self) -> None:
        """Always usable."""

    def setup(self, layout: FirewallLayout) -> None:
        jails = {rule.name for rule in layout.rules} | {""}
        gone = [key for key in self._elements if key[0] not in jails]
        for key in gone:
            del self._elements[key]
        self.elements(self._clock.now())  # forget what expired
        self._layout = layout
        if not layout.blocklist:
            self._blocklist = (AddressList(4), AddressList(6))
        self._log.info(
            "dry-run: would set up table inet %s with sets %s",
            layout.table,
            ", ".join(layout.set_names()),
        )

    def apply(self, ops: Sequence[BanOp], now: float) -> None:
        for op in ops:
            element = op.element
            if isinstance(op, AddElement):
                self._elements[element.key] = element
            else:
                self._elements.pop(element.key, None)
            if len(ops) <= _DETAIL_OPS:
                self._log.info("dry-run: would %s", self._describe(op, now))
        if len(ops) > _DETAIL_OPS:
            adds = sum(isinstance(op, AddElement) for op in ops)
            self._log.info(
                "dry-run: would add %d and delete %d elements in one batch",
                adds,
                len(ops) - adds,
            )

    def _describe(self, op: BanOp, now: float) -> str:
        element = op.element
        name = self._layout.set_name(element.jail, element.target.version)
        if not isinstance(op, AddElement):
            return f"delete {element.target} from {name}"
        left = "no timeout" if element.expires is None else f"timeout {element.expires - now:.0f}s"
        return f"add {element.target} to {name} ({left})"

    def elements(self, now: float) -> list[Element]:
        expired = [
            k for k, e in self._elements.items() if e.expires is not None and e.expires <= now
        ]
        for key in expired:
            del self._elements[key]
        return list(self._elements.values())

    def replace_blocklist(self, v4: AddressList, v6: AddressList) -> None:
        if not self._layout.blocklist:
            raise FirewallError("blocklist.no_sets", table=self._layout.table)
        self._blocklist = (v4, v6)
        self._log.info(
            "dry-run: would replace the content of %s and %s with %d and %d addresses "
            "in one transaction",
            *self._layout.blocklist_sets,
            len(v4),
            len(v6),
        )

    def blocklist_size(self) -> tuple[int, int]:
        return len(self._blocklist[0]), len(self._blocklist[1])

    def blocklist(self) -> tuple[AddressList, AddressList]:
        """What the blocklist sets would hold (tests and ``--firewall dry-run``)."""
        return self._blocklist

    def close(self) -> None:
        """Nothing to release."""
