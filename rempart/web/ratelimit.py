"""The login rate limit: failed logins counted per client address and per account name.

Within ``window`` seconds, ``limit`` failures from one address — or against one account name,
whatever the address — make further attempts wait (HTTP 429 with Retry-After) until the oldest
of them leaves the window; the password is then not checked at all. The counts live in memory
(a restart forgets them: the ``rempart-web`` jail, fed by the auth log, is the lasting
defence) and are bounded: past ``max_keys`` tracked keys, the stalest are dropped.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable

__all__ = ["LoginLimiter"]


class LoginLimiter:
    """Failed-login counts per key ("addr:<address>", "user:<name>")."""

    def __init__(self, limit: int, window: float, *, max_keys: int = 10_000) -> None:
        self.limit = max(1, limit)
        self.window = window
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    @staticmethod
    def keys(address: str, name: str) -> tuple[str, str]:
        return (f"addr:{address}", f"user:{name.casefold()}")

    def retry_after(self, address: str, name: str, now: float) -> float:
        """Seconds to wait before the next attempt (0: go ahead)."""
        return max(self._wait(key, now) for key in self.keys(address, name))

    def failed(self, address: str, name: str, now: float) -> None:
        for key in self.keys(address, name):
            times = self._failures.pop(key, None) or deque()
            self._prune(times, now)
            times.append(now)
            while len(times) > self.limit:
                times.popleft()
            self._failures[key] = times  # most recent last
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, name: str) -> None:
        """A successful login clears its account's count (not its address's: one valid
        account must not reset the count of an address guessing others)."""
        self._failures.pop(self.keys("", name)[1], None)

    def tracked(self) -> Iterable[str]:
        return tuple(self._failures)

    def _wait(self, key: str, now: float) -> float:
        times = self._failures.get(key)
        if not times:
            return 0.0
        self._prune(times, now)
        if len(times) < self.limit:
            return 0.0
        return max(0.0, times[0] + self.window - now)

    def _prune(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self.window:
            times.popleft()
