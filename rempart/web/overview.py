"""The overview ``GET /``: groups in configuration order, each host's state and key figures.

State: ``unreachable`` when the server's last poll of the node failed, else the worst firing
alert (``critical``, ``warning``), else ``ok`` (``unknown`` before the first poll). Figures:
:mod:`rempart.store.dashboard` (disk %, load, traffic, active bans), read in three queries
whatever the number of hosts.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rempart.store.dashboard import DashboardReader, HostFigures, HostHealth
from rempart.store.db import Database
from rempart.web.deps import WebDeps
from rempart.web.templating import page

__all__ = ["FRESH", "HostRow", "overview_rows", "routes"]

#: figures older than this (seconds) are not shown: the host's values stopped coming
FRESH = 3600.0


@dataclass(frozen=True, slots=True)
class HostRow:
    """One line of the overview."""

    name: str
    health: HostHealth
    figures: HostFigures


def overview_rows(
    db: Database, groups: dict[str, list[str]], now: float
) -> list[tuple[str, list[HostRow]]]:
    """``[(group, [HostRow...])]`` in the order of ``groups`` (group → host names)."""
    reader = DashboardReader(db)
    figures = reader.figures(now - FRESH)
    health = reader.health()
    unknown, blank = HostHealth("unknown"), HostFigures()
    return [
        (
            group,
            [HostRow(h, health.get(h, unknown), figures.get(h, blank)) for h in hosts],
        )
        for group, hosts in groups.items()
    ]


def routes(deps: WebDeps) -> list[BaseRoute]:
    groups = {g: [n.name for n in nodes] for g, nodes in deps.server.groups().items()}

    async def overview(request: Request) -> Response:
        now = deps.clock.now()
        rows = await deps.read.run(lambda db: overview_rows(db, groups, now))
        return page(request, "overview.html", {"groups": rows})

    return [Route("/", overview, methods=["GET"])]
