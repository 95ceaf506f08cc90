"""A host's page ``GET /hosts/{name}``: every graph by category, over a chosen time range.

Ranges: ``?range=day|week|month|year`` (default day) or a custom ``?from=&to=`` (dates
``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM``, the server's local time; ``to`` as a date includes
that day). The page holds no data: each graph is a ``<figure data-graph>`` whose data
``static/graphs.js`` fetches from ``/api/series`` when it scrolls into view (so a host with
60 graphs stays fast), and draws with uPlot; dragging across a graph zooms every graph of the
page to that range at a finer step, "reset zoom" goes back. Categories come from the graphs
(``graph_category``): the usual ones first (system, disk, network, containers, rempart),
the others by name — so the agent's ``containers`` graphs (CPU, memory, network in and out
per container) get their own section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rempart.metrics.model import Graph
from rempart.store.dashboard import DashboardReader, HostHealth
from rempart.store.db import Database
from rempart.web import series_api
from rempart.web.deps import WebDeps
from rempart.web.templating import page

__all__ = ["CATEGORY_ORDER", "RANGES", "TimeRange", "by_category", "parse_range", "routes"]

RANGES = {"day": 86400, "week": 7 * 86400, "month": 31 * 86400, "year": 365 * 86400}
CATEGORY_ORDER = ("system", "disk", "network", "containers", "rempart")


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: int
    end: int
    name: str  # day, week, month, year or custom
    text_from: str = ""  # what the custom form shows
    text_to: str = ""


def _moment(text: str, *, end: bool) -> float:
    moment = datetime.fromisoformat(text.strip()[:32])
    if end and len(text.strip()) <= 10:  # a date alone: the whole day
        moment += timedelta(days=1)
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.timestamp()


def parse_range(query: dict[str, str], now: float) -> TimeRange:
    """The range a query asks for; ValueError for an unreadable custom range."""
    start_text, end_text = query.get("from", ""), query.get("to", "")
    if start_text or end_text:
        start = _moment(start_text, end=False)
        end = _moment(end_text, end=True) if end_text else now
        if not series_api.MIN_SPAN <= end - start <= series_api.MAX_SPAN:
            raise ValueError("from must come before to")
        return TimeRange(int(start), int(end), "custom", start_text, end_text)
    name = query.get("range", "day")
    span = RANGES.get(name, RANGES["day"])
    return TimeRange(int(now) - span, int(now), name if name in RANGES else "day")


def by_category(graphs: list[Graph]) -> list[tuple[str, list[Graph]]]:
    """Graphs grouped by category, usual categories first, graphs by title."""
    out: dict[str, list[Graph]] = {}
    for g in graphs:
        out.setdefault(g.category or "other", []).append(g)

    def rank(category: str) -> tuple[int, str]:
        known = category in CATEGORY_ORDER
        return (CATEGORY_ORDER.index(category) if known else len(CATEGORY_ORDER), category)

    return [
        (c, sorted(out[c], key=lambda g: (g.title.lower(), g.name))) for c in sorted(out, key=rank)
    ]


def routes(deps: WebDeps) -> list[BaseRoute]:
    configured = {n.name for n in deps.server.nodes}
    cache = series_api.StoreCache()

    def read(db: Database, host: str) -> tuple[list[Graph], HostHealth | None]:
        graphs = cache.store(db).graphs(host)
        return graphs, DashboardReader(db).health().get(host)

    async def host_page(request: Request) -> Response:
        name = request.path_params["name"]
        graphs, health = await deps.read.run(lambda db: read(db, name))
        if not graphs and name not in configured:
            raise HTTPException(404)
        error = ""
        try:
            span = parse_range(dict(request.query_params), deps.clock.now())
        except ValueError:
            error = "web.range.bad"
            span = parse_range({}, deps.clock.now())
        context = {
            "host": name,
            "health": health or HostHealth("unknown"),
            "categories": by_category(graphs),
            "span": span,
            "ranges": list(RANGES),
            "range_error": error,
        }
        return page(request, "host.html", context)

    return [
        Route("/hosts/{name}", host_page, methods=["GET"]),
        *series_api.routes(deps, cache),
    ]
