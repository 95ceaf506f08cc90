"""``GET /api/series?host=&graph=&from=&to=``: one graph's data for the browser's charts.

The answer (``application/json``)::

    {"step": 3600, "start": 1790000000, "title": "...", "vlabel": "...",
     "fields": [{"name", "label", "draw", "negative", "min", "max"}],
     "t": [...], "avg": {field: [...]}, "low": {field: [...]}, "high": {field: [...]}}

``step`` is the finest the store keeps giving at most about 1,500 points over the range
(:func:`rempart.store.timeseries.pick_step`): 300 s up to about 5 days, 1 hour up to about two
months, 1 day beyond. ``low``/``high`` (each slot's minimum and maximum) are filled only at
the coarse steps; ``null`` marks a gap. Values are what the store keeps (DERIVE as
per-second rates) with Munin's display rules applied: a ``graph_period`` of minute or hour,
and a simple ``cdef`` (``field,N,*`` or ``field,N,/``: bits from bytes, bans per day).
Fields drawn are those Munin draws plus those another field names as its ``negative``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from rempart.metrics.model import Field, Graph
from rempart.metrics.series import STEP, SeriesKey
from rempart.store.db import Database
from rempart.store.timeseries import SqliteMetricsStore, pick_step
from rempart.web.deps import WebDeps

__all__ = [
    "MAX_SPAN",
    "MIN_SPAN",
    "StoreCache",
    "drawn_fields",
    "field_scale",
    "routes",
    "series_document",
]

MIN_SPAN = 600.0  # a zoom narrower than two samples shows nothing
MAX_SPAN = 20 * 366 * 86400.0
_PERIODS = {"minute": 60.0, "hour": 3600.0}
_CDEF = re.compile(r"([A-Za-z_][A-Za-z0-9_]*),([0-9]+(?:\.[0-9]+)?),([*/])")


class StoreCache:
    """One :class:`SqliteMetricsStore` per read connection (it caches the series ids, which
    never change: a series not cached yet is looked up by the store itself)."""

    def __init__(self) -> None:
        self._stores: dict[Database, SqliteMetricsStore] = {}

    def store(self, db: Database) -> SqliteMetricsStore:
        store = self._stores.get(db)
        if store is None:
            store = self._stores[db] = SqliteMetricsStore(db)
        return store


def field_scale(graph: Graph, field: Field) -> float:
    """The factor Munin would display ``field`` with (period, then a ``x,N,*|/`` cdef)."""
    scale = 1.0
    if field.type != "GAUGE":
        scale = _PERIODS.get(graph.period, 1.0)
    match = _CDEF.fullmatch(field.cdef or "")
    if match and match.group(1) == field.name:
        number = float(match.group(2))
        if match.group(3) == "*":
            scale *= number
        elif number:
            scale /= number
    return scale


def drawn_fields(graph: Graph) -> list[Field]:
    """The fields Munin draws: ``graph`` not "no", or drawn below the axis by another."""
    negatives = {f.negative for f in graph.fields if f.negative}
    return [f for f in graph.fields if f.graph or f.name in negatives]


def _values(data: Sequence[float] | None, scale: float) -> list[float | None]:
    if data is None:
        return []
    return [None if math.isnan(v) else v * scale for v in data]


def series_document(
    store: SqliteMetricsStore, host: str, graph: Graph, start: float, end: float
) -> dict[str, Any]:
    """The JSON document of ``graph`` of ``host`` over ``[start, end)``."""
    step = pick_step(end - start)
    fields = drawn_fields(graph)
    doc: dict[str, Any] = {
        "step": step,
        "start": int(start) // step * step,
        "title": graph.title,
        "vlabel": graph.vlabel.replace("${graph_period}", graph.period or "second"),
        "fields": [_field_doc(f) for f in fields],
        "t": [],
        "avg": {},
        "low": {},
        "high": {},
    }
    for f in fields:
        data = store.read(SeriesKey(host, graph.name, f.name), start, end, step)
        scale = field_scale(graph, f)
        doc["start"] = data.start
        doc["avg"][f.name] = _values(data.avg, scale)
        if step > STEP:
            doc["low"][f.name] = _values(data.low, scale)
            doc["high"][f.name] = _values(data.high, scale)
        if not doc["t"]:
            doc["t"] = list(range(data.start, data.start + len(data) * step, step))
    return doc


def _field_doc(f: Field) -> dict[str, Any]:
    return {
        "name": f.name,
        "label": f.label,
        "draw": f.draw or "LINE1",
        "negative": f.negative or "",
        "min": f.min,
        "max": f.max,
    }


def _number(request: Request, name: str) -> float:
    try:
        value = float(request.query_params.get(name, ""))
    except ValueError:
        raise HTTPException(400, f"{name}: a number of seconds since the epoch") from None
    if not math.isfinite(value):
        raise HTTPException(400, f"{name}: a number of seconds since the epoch")
    return value


def _graph(store: SqliteMetricsStore, host: str, name: str) -> Graph | None:
    return next((g for g in store.graphs(host) if g.name == name), None)


def routes(deps: WebDeps, cache: StoreCache | None = None) -> list[BaseRoute]:
    stores = cache or StoreCache()

    async def series(request: Request) -> Response:
        host = request.query_params.get("host", "")
        name = request.query_params.get("graph", "")
        start, end = _number(request, "from"), _number(request, "to")
        if not MIN_SPAN <= end - start <= MAX_SPAN:
            raise HTTPException(400, "to - from: between 600 seconds and 20 years")

        def read(db: Database) -> dict[str, Any] | None:
            store = stores.store(db)
            graph = _graph(store, host, name)
            return None if graph is None else series_document(store, host, graph, start, end)

        doc = await deps.read.run(read)
        if doc is None:
            raise HTTPException(404, "no such graph for this host")
        return JSONResponse(doc)

    return [Route("/api/series", series, methods=["GET"])]
