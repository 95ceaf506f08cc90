"""Trust of recent logins: an address that logged in successfully is not banned.

A member who mistypes a password a few times from the address they logged in from an
hour ago must not be locked out. :class:`RecentLogins` remembers the last successful
login of each address (fed by each jail's success rules, see
:func:`rempart.rules.engines.build_success_filter`) and says whether an address logged
in within ``keep`` seconds. Exact addresses only: a login from one address of an IPv6
/64 does not vouch for its neighbours. Pure: times are arguments.
"""

from __future__ import annotations

from collections.abc import Iterable

from rempart.addresses import Address

__all__ = ["RecentLogins"]


class RecentLogins:
    """The last login time of each address, kept ``keep`` seconds (0: trust nobody)."""

    __slots__ = ("_last", "keep")

    def __init__(self, keep: float = 86400.0, logins: Iterable[tuple[Address, float]] = ()) -> None:
        self.keep = keep
        self._last: dict[Address, float] = {}
        for address, at in logins:
            self.record(address, at)

    def record(self, address: Address, at: float) -> None:
        """``address`` logged in at ``at`` (an earlier time than the one known changes nothing)."""
        last = self._last.get(address)
        if last is None or at > last:
            self._last[address] = at

    def trusted(self, address: Address, now: float) -> bool:
        """Whether ``address`` logged in within ``keep`` seconds before ``now`` (a login
        stamped after ``now``, from a log read out of order, counts too)."""
        last = self._last.get(address)
        return last is not None and self.keep > 0 and last >= now - self.keep

    def last(self, address: Address) -> float | None:
        """The last login time known for ``address``."""
        return self._last.get(address)

    def forget_before(self, horizon: float) -> int:
        """Drop logins older than ``horizon``; how many."""
        old = [address for address, at in self._last.items() if at < horizon]
        for address in old:
            del self._last[address]
        return len(old)

    def __len__(self) -> int:
        return len(self._last)
