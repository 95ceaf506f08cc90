"""Multi-line failures: what earlier lines of one connection (``<F-MLFID>``) said.

Services such as sshd log one connection over several lines; the prefix captured as
``<F-MLFID>`` (``host sshd[1234]:``) ties them together. A :class:`ConnectionCache`
remembers, per connection, the groups its lines captured so far and decides, as
fail2ban does, what a new line of that connection means:

- a ``<F-NOFAIL>`` line is a helper: it only records groups (the address, the user);
- a failure line whose own text has no address takes the connection's address; with
  none known yet the failure is *pending* until a later line of the connection names it;
- ``<F-MLFGAINED>`` (a successful login) cancels the pending failure and helper state;
- ``<F-MLFFORGET>`` (disconnect) forgets the connection after this line;
- when more than one user name was tried on one connection, helper lines count as
  failures (someone is guessing accounts).

Entries live ``ttl`` seconds from their first line, at most ``size`` of them (oldest
dropped first), like fail2ban's cache (100 connections, 5 minutes).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

__all__ = ["MAX_EVIDENCE", "ConnectionCache", "Groups"]

Groups = dict[str, Any]

# matched lines kept per failure (and per connection): the most recent ones
MAX_EVIDENCE = 10

_MATCHES = "matches"
_NOFAIL_MATCHES = "nofail-matches"
_USERS = "users"


class ConnectionCache:
    """The groups each open connection has captured so far."""

    __slots__ = ("_entries", "size", "ttl")

    def __init__(self, size: int = 100, ttl: float = 300.0) -> None:
        self.size = size
        self.ttl = ttl
        self._entries: OrderedDict[str, tuple[float, Groups]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str, now: float) -> Groups | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] > now:
            return entry[1]
        del self._entries[key]
        return None

    def put(self, key: str, groups: Groups, now: float) -> None:
        entries = self._entries
        if len(entries) >= self.size:
            # drop the oldest, and any expired ones behind it, until there is room
            while entries:
                _key, (expires, _groups) = entries.popitem(last=False)
                if expires > now and len(entries) < self.size:
                    break
        entries[key] = (now + self.ttl, groups)

    def drop(self, key: str) -> None:
        self._entries.pop(key, None)

    def merge(self, key: str, groups: Groups, lines: list[str], now: float) -> Groups:
        """Merge one matched line's ``groups`` into connection ``key``; returns the state
        to judge the line by (``nofail`` set: no failure on this line)."""
        gained = bool(groups.get("mlfgained"))
        nofail = gained or bool(groups.get("nofail"))
        if gained and not groups.get("nofail"):
            groups["nofail"] = groups["mlfgained"]
        forget = bool(groups.pop("mlfforget", None))
        known = self.get(key, now)
        users: set[str] | None
        if known is not None:
            users = _add_user(known, groups.get("user"))
            had_nofail = bool(known.pop("nofail", None))
            had_nofail = bool(known.pop("mlfgained", None)) or had_nofail
            if gained:
                known.pop("mlfpending", None)
            if not had_nofail and not known.get("mlfpending"):
                known.pop(_MATCHES, None)  # already reported with an earlier failure
            for name, value in groups.items():
                if value is not None:
                    known[name] = value
            groups = known
            if forget:
                self.drop(key)
        elif not forget:
            users = _add_user(groups, groups.get("user"))
            self.put(key, groups, now)
        else:
            users = None
        if groups.pop("mlfpending", None) or (users and len(users) > 1):
            groups.pop("nofail", None)
            groups.pop("mlfgained", None)
            nofail = False
        if not nofail:
            merged = groups.pop(_NOFAIL_MATCHES, []) + groups.get(_MATCHES, []) + lines
            groups[_MATCHES] = merged[-MAX_EVIDENCE:]
        elif not forget:
            helper = groups.get(_NOFAIL_MATCHES, []) + lines
            groups[_NOFAIL_MATCHES] = helper[-MAX_EVIDENCE:]
        return groups


def _add_user(groups: Groups, user: Any) -> set[str] | None:
    users: set[str] | None = groups.get(_USERS)
    if not user:
        return users
    if users is None:
        users = groups[_USERS] = set()
    users.add(user)
    return users
