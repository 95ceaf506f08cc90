"""The nftables firewall: layouts and ban operations as JSON batches through a runner."""

from __future__ import annotations

from collections.abc import Sequence

from rempart.adapters.firewall import documents as doc
from rempart.adapters.firewall.runner import NftRunner
from rempart.errors import FirewallError
from rempart.guard.blocklist import AddressList
from rempart.guard.firewall import BanOp, Element, FirewallLayout

__all__ = ["NftablesFirewall"]


class NftablesFirewall:
    """Bans in nftables sets (table ``inet rempart``) through ``runner``.

    ``setup`` costs three calls (terse list of sets, list of chains, one transaction);
    ``apply`` is one call whatever the number of operations; ``elements`` one terse
    listing plus one listing per ban set; ``replace_blocklist`` one call. Nothing here
    ever lists the blocklist sets or a whole table: with 500,000 blocklist addresses
    that costs nft 5 s and 270 MB, because it then fetches every element of the table.
    Until ``setup`` is called, ``layout`` (default: no jails, table ``rempart``) names
    the table and tells which sets hold networks.
    """

    name = "nftables"

    def __init__(self, runner: NftRunner, *, layout: FirewallLayout | None = None) -> None:
        self._runner = runner
        self._layout = layout or FirewallLayout(())
        self._blocklist_size = (0, 0)
        self._set_up = False

    @property
    def detail(self) -> str:
        return self._runner.detail

    @property
    def layout(self) -> FirewallLayout:
        return self._layout

    def check(self) -> None:
        """A cheap read-only listing (chains): fails with the fix when nftables cannot
        be used."""
        self._runner.run(doc.list_chains())

    def setup(self, layout: FirewallLayout) -> None:
        state = self._state(layout.table)
        self._runner.run(doc.setup_commands(layout, state))
        self._layout = layout
        self._set_up = True
        if not layout.blocklist:
            self._blocklist_size = (0, 0)

    def _state(self, table: str) -> doc.TableState | None:
        sets = self._runner.run(doc.list_sets(), terse=True)
        chains = self._runner.run(doc.list_chains())
        try:
            state = doc.parse_state([*sets, *chains], table)
        except (KeyError, TypeError, ValueError) as exc:
            raise FirewallError("firewall.bad_output", reason=repr(exc), table=table) from exc
        return state if state.sets or state.chains else None

    def apply(self, ops: Sequence[BanOp], now: float) -> None:
        if not ops:
            return
        try:
            commands = doc.apply_commands(self._layout, ops, now)
        except ValueError as exc:
            raise FirewallError("firewall.refused", action="add", error=str(exc)) from exc
        self._runner.run(commands)

    def elements(self, now: float) -> list[Element]:
        """The elements of the allow and jail sets that exist (one listing each); never
        those of the blocklist sets."""
        table = self._layout.table
        out: list[Element] = []
        try:
            names = doc.parse_set_names(self._runner.run(doc.list_sets(), terse=True), table)
            self._check_present(names)
            for name in names:
                if FirewallLayout.jail_of(name) is None:
                    continue  # the blocklist sets, or a set rempart did not make
                output = self._runner.run(doc.list_set(table, name))
                out += doc.parse_elements(output, table, now)
        except (KeyError, TypeError, ValueError) as exc:
            raise FirewallError("firewall.bad_output", reason=repr(exc), table=table) from exc
        return out

    def _check_present(self, names: Sequence[str] | set[str]) -> None:
        """FirewallError when sets of the layout set up are gone: someone emptied the
        ruleset (``nft flush ruleset``, ``systemctl restart nftables``); the agent then
        sets the table up again and puts everything back."""
        if not self._set_up:
            return
        missing = sorted(set(self._layout.set_names()) - set(names))
        if missing:
            raise FirewallError(
                "firewall.drifted", table=self._layout.table, missing=", ".join(missing[:6])
            )

    def replace_blocklist(self, v4: AddressList, v6: AddressList) -> None:
        """Empty both blocklist sets and load ``v4`` and ``v6``, in ONE transaction (an
        nft text batch): the kernel switches from the old content to the new at commit.
        Raises FirewallError when the layout has no blocklist or nftables refuses."""
        try:
            text = doc.blocklist_batch(self._layout, v4, v6)
        except ValueError as exc:
            raise FirewallError("blocklist.no_sets", table=self._layout.table) from exc
        self._runner.run_text(text)
        self._blocklist_size = (len(v4), len(v6))

    def blocklist_size(self) -> tuple[int, int]:
        """(IPv4, IPv6) addresses of the last :meth:`replace_blocklist` through this
        object ((0, 0) before one). Counted here, not in the kernel: listing the sets
        would cost seconds."""
        return self._blocklist_size

    def close(self) -> None:
        self._runner.close()
