"""The decision engine: failures in, ban decisions out. No I/O.

:class:`Guard` holds one :class:`JailGuard` per jail and the shared
:class:`Offenders` history used to escalate bans of repeat offenders across jails.
Each failure gets a :class:`~rempart.model.FailureOutcome`; a ban is a
:class:`~rempart.model.Ban` value for an adapter to carry out.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network

from rempart.addresses import Address, Network, address_key, ban_target
from rempart.guard.policy import JailPolicy
from rempart.guard.window import FailureWindow
from rempart.model import Ban, Failure, FailureOutcome, FailureVerdict, WindowSnapshot

__all__ = ["Guard", "JailGuard", "Offenders"]

_IGNORED = FailureOutcome(FailureVerdict.IGNORED)
_NOT_AN_ADDRESS = FailureOutcome(FailureVerdict.NOT_AN_ADDRESS)
_ALREADY = FailureOutcome(FailureVerdict.ALREADY_BANNED)
_COUNTED = FailureOutcome(FailureVerdict.COUNTED)

# host texts remembered per jail with their key (cleared when full)
_KEY_CACHE = 65536
_IGNORED_KEY = -1  # address keys are never negative
_V6_TAG = 1 << 129  # as in rempart.addresses.address_key


def _key_target(key: int, ipv6_prefix: int) -> Network:
    """The ban target an :func:`~rempart.addresses.address_key` names."""
    if key & _V6_TAG:
        return IPv6Network(((key ^ _V6_TAG) << (128 - ipv6_prefix), ipv6_prefix))
    return IPv4Network(key)


class Offenders:
    """Start times of past bans per target, across jails, for escalation."""

    __slots__ = ("_starts", "keep")

    def __init__(
        self, history: Iterable[tuple[Network, float]] = (), keep: float = 604800.0
    ) -> None:
        self.keep = keep  # how long a ban still counts (the longest escalation window)
        self._starts: dict[Network, list[float]] = {}
        for target, start in history:
            self.record(target, start)

    def record(self, target: Network, start: float) -> None:
        starts = self._starts.setdefault(target, [])
        if not starts or start >= starts[-1]:
            starts.append(start)
        else:
            starts.insert(bisect_left(starts, start), start)

    def count(self, target: Network, since: float, until: float) -> int:
        """Bans of ``target`` that started in [since, until)."""
        starts = self._starts.get(target)
        if not starts:
            return 0
        return bisect_left(starts, until) - bisect_left(starts, since)

    def forget_before(self, horizon: float) -> None:
        """Drop bans that started before ``horizon``."""
        for target in [t for t, s in self._starts.items() if s[-1] < horizon]:
            del self._starts[target]
        for starts in self._starts.values():
            if starts[0] < horizon:
                del starts[: bisect_left(starts, horizon)]


class JailGuard:
    """Counting and banning for one jail."""

    def __init__(self, policy: JailPolicy, offenders: Offenders | None = None) -> None:
        self.policy = policy
        self.offenders = (
            offenders if offenders is not None else Offenders(keep=policy.escalation.window)
        )
        # keyed by address_key(): an int per ban target, cheap to compute per failure
        self._windows: dict[int, FailureWindow] = {}
        self._bans: dict[int, tuple[float, float]] = {}  # key -> (start, end) of its ban
        # host text -> its key, or _IGNORED_KEY: attackers repeat themselves, and a str
        # hashes in C where an ipaddress object hashes in Python
        self._keys: dict[str, int] = {}
        self._last_sweep = float("-inf")

    def add(self, failure: Failure) -> FailureOutcome:
        """Count ``failure``; a ban when it completes ``maxretry`` within ``findtime``."""
        address = failure.address
        if address is None:
            return _NOT_AN_ADDRESS
        policy = self.policy
        key = self._keys.get(failure.host)
        if key is None:
            key = self._key(failure.host, address)
        if key == _IGNORED_KEY:
            return _IGNORED
        time = failure.time
        ban = self._bans.get(key)
        if ban is not None and ban[0] <= time < ban[1]:
            return _ALREADY
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = FailureWindow()
        window.add(time, failure.lines, policy.findtime, policy.evidence_lines)
        if abs(time - self._last_sweep) > policy.findtime:
            self.sweep(time)
        at = window.completes(failure.time, policy.maxretry, policy.findtime)
        if at is None:
            return _COUNTED
        return FailureOutcome(FailureVerdict.BANNED, self._ban(key, address, at, window))

    def _key(self, host: str, address: Address) -> int:
        policy = self.policy
        key = _IGNORED_KEY if address in policy.ignore else address_key(address, policy.ipv6_prefix)
        if len(self._keys) >= _KEY_CACHE:
            self._keys.clear()
        self._keys[host] = key
        return key

    def _ban(self, key: int, address: Address, at: float, window: FailureWindow) -> Ban:
        policy = self.policy
        target = ban_target(address, policy.ipv6_prefix)
        esc = policy.escalation
        offence = 1 + self.offenders.count(target, at - esc.window, at)
        end = at + esc.bantime(policy.bantime, offence)
        ban = Ban(
            jail=policy.name,
            target=target,
            address=address,
            start=at,
            end=end,
            offence=offence,
            failures=len(window),
            evidence=window.lines(policy.evidence_lines),
        )
        self.offenders.record(target, at)
        self._bans[key] = (at, end)
        del self._windows[key]
        return ban

    def restore(self, ban: Ban) -> None:
        """Take a ban made earlier (state at start-up) into account."""
        key = address_key(ban.target.network_address, self.policy.ipv6_prefix)
        known = self._bans.get(key)
        if known is None or ban.end > known[1]:
            self._bans[key] = (ban.start, ban.end)

    def lift(self, target: Network) -> None:
        """Forget a ban lifted by hand: new failures count again from zero."""
        key = address_key(target.network_address, self.policy.ipv6_prefix)
        self._bans.pop(key, None)
        self._windows.pop(key, None)

    def snapshot(self) -> list[WindowSnapshot]:
        """The failures still counted, per target (to save across a restart), in
        no particular order."""
        policy = self.policy
        return [
            WindowSnapshot(
                _key_target(key, policy.ipv6_prefix),
                tuple(window.times),
                window.lines(policy.evidence_lines),
            )
            for key, window in self._windows.items()
            if window.times
        ]

    def load(self, snapshots: Iterable[WindowSnapshot]) -> None:
        """Take back windows saved by :meth:`snapshot` (before a restart): their failures
        count with the next ones. Targets the policy now ignores are dropped; with a
        different ``ipv6_prefix`` a window goes to the target of its first address."""
        policy = self.policy
        for snap in snapshots:
            address = snap.target.network_address
            if address in policy.ignore or not snap.times:
                continue
            key = address_key(address, policy.ipv6_prefix)
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = FailureWindow()
            window.restore(snap.times, snap.lines, policy.findtime, policy.evidence_lines)

    def sweep(self, now: float) -> None:
        """Drop windows and ban marks that can no longer matter at ``now`` (done by
        :meth:`add` once per ``findtime`` of log time: memory follows the attack rate)."""
        self._last_sweep = now
        findtime = self.policy.findtime
        horizon, future = now - findtime, now + findtime
        # a window can still combine with a failure at `now` only if its newest failure is
        # within findtime of it, on either side (time may jump: a log read out of order)
        stale = [t for t, w in self._windows.items() if not horizon <= w.newest() <= future]
        for target in stale:
            del self._windows[target]
        self.offenders.forget_before(now - self.offenders.keep)
        for target in [
            t for t, (start, end) in self._bans.items() if not start - findtime <= now < end
        ]:
            del self._bans[target]

    @property
    def tracked(self) -> int:
        """Addresses with failures still in their window."""
        return len(self._windows)


class Guard:
    """Every jail's guard, sharing one offender history."""

    def __init__(self, policies: Iterable[JailPolicy], offenders: Offenders | None = None) -> None:
        policies = list(policies)
        keep = max((p.escalation.window for p in policies), default=604800.0)
        self.offenders = offenders if offenders is not None else Offenders(keep=keep)
        self._jails = {p.name: JailGuard(p, self.offenders) for p in policies}

    def jail(self, name: str) -> JailGuard:
        return self._jails[name]

    def add(self, jail: str, failure: Failure) -> FailureOutcome:
        return self._jails[jail].add(failure)
