"""The nftables firewall: layouts and ban operations as JSON batches through a runner."""

from __future__ import annotations

from collections.abc import Sequence

from rempart.adapters.firewall import documents as doc
from rempart.adapters.firewall.runner import NftRunner
from rempart.errors import FirewallError
from rempart.guard.firewall import BanOp, Element, FirewallLayout

__all__ = ["NftablesFirewall"]


class NftablesFirewall:
    """Bans in nftables sets (table ``inet rempart``) through ``runner``.

    ``setup`` costs three calls (list tables, list ours tersely, one transaction);
    ``apply`` is one call whatever the number of operations; ``elements`` two listings.
    Until ``setup`` is called, ``layout`` (default: no jails, table ``rempart``) names
    the table and tells which sets hold networks.
    """

    name = "nftables"

    def __init__(self, runner: NftRunner, *, layout: FirewallLayout | None = None) -> None:
        self._runner = runner
        self._layout = layout or FirewallLayout(())

    @property
    def detail(self) -> str:
        return self._runner.detail

    @property
    def layout(self) -> FirewallLayout:
        return self._layout

    def check(self) -> None:
        """A read-only listing: fails with the fix when nftables cannot be used."""
        self._runner.run(doc.list_tables())

    def setup(self, layout: FirewallLayout) -> None:
        state = self._state(layout.table)
        self._runner.run(doc.setup_commands(layout, state))
        self._layout = layout

    def _exists(self, table: str) -> bool:
        return table in doc.parse_table_names(self._runner.run(doc.list_tables()))

    def _state(self, table: str) -> doc.TableState | None:
        if not self._exists(table):
            return None
        output = self._runner.run(doc.list_table(table), terse=True)
        try:
            return doc.parse_state(output, table)
        except (KeyError, TypeError, ValueError) as exc:
            raise FirewallError("firewall.bad_output", reason=repr(exc), table=table) from exc

    def apply(self, ops: Sequence[BanOp], now: float) -> None:
        if not ops:
            return
        try:
            commands = doc.apply_commands(self._layout, ops, now)
        except ValueError as exc:
            raise FirewallError("firewall.refused", action="add", error=str(exc)) from exc
        self._runner.run(commands)

    def elements(self, now: float) -> list[Element]:
        table = self._layout.table
        if not self._exists(table):
            return []
        output = self._runner.run(doc.list_table(table))
        try:
            return doc.parse_elements(output, table, now)
        except (KeyError, TypeError, ValueError) as exc:
            raise FirewallError("firewall.bad_output", reason=repr(exc), table=table) from exc

    def close(self) -> None:
        self._runner.close()
