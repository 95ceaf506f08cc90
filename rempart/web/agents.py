"""The agents' control sockets, as the dashboard reaches them.

:class:`AgentLinks` holds one socket path per node name (``[server.web.agents]``) and sends
commands with the same client and protocol as the ``rempart`` command line, in a thread so
the event loop never blocks. An agent that cannot be reached, or refuses, gives an
:class:`AgentFailure` value — the page shows it for that host and renders the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rempart.adapters.control import UNREACHABLE_KEYS, ControlClient
from rempart.errors import ControlError, RempartError

__all__ = ["AgentFailure", "AgentLinks"]


@dataclass(frozen=True, slots=True)
class AgentFailure:
    """Why a command to ``host``'s agent gave no result: a message key of
    :mod:`rempart.i18n` and its parameters (rendered escaped, in the reader's language)."""

    host: str
    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    @property
    def unreachable(self) -> bool:
        """The agent could not be reached (as opposed to refusing what was asked)."""
        return self.key in UNREACHABLE_KEYS or self.key == "web.bans.unknown_host"

    @classmethod
    def of(cls, host: str, error: RempartError) -> AgentFailure:
        return cls(host, error.key, dict(error.params))


class AgentLinks:
    """Commands to the agents named in ``agents`` (node name → control socket path)."""

    def __init__(self, agents: Mapping[str, Path], timeout: float = 5.0) -> None:
        self.agents = dict(agents)
        self.timeout = timeout

    @property
    def hosts(self) -> list[str]:
        """The node names, in the configuration's order."""
        return list(self.agents)

    async def call(self, host: str, command: str, **args: object) -> Any:
        """``host``'s answer to ``command``, or an :class:`AgentFailure` (never raises for
        the agent's sake: an unknown host, a dead agent and a refusal are values)."""
        path = self.agents.get(host)
        if path is None:
            return AgentFailure(host, "web.bans.unknown_host", {"host": host[:80]})
        client = ControlClient(path, self.timeout)
        given = {k: v for k, v in args.items() if v is not None}
        try:
            return await asyncio.to_thread(client.call, command, **given)
        except ControlError as exc:
            return AgentFailure.of(host, exc)

    async def each(self, command: str, **args: object) -> dict[str, Any]:
        """Every agent's answer to ``command`` (asked all at once), by host."""
        hosts = self.hosts
        answers = await asyncio.gather(*(self.call(h, command, **args) for h in hosts))
        return dict(zip(hosts, answers, strict=True))
