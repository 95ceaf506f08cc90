"""The bans page: active bans of every agent, their history with evidence, bans per day and
jail, AbuseIPDB status and report queue; unban, allow and ban by hand.

Everything comes from the agents' control sockets (:class:`~rempart.web.agents.AgentLinks`),
the commands ``rempart bans|history|ban|unban|allow`` use; actions pass ``for_user`` so the
agent records "<its peer> for web:<name>". An agent that does not answer is shown as such,
and the page renders the others. Log text (evidence, user names) is rendered by Jinja,
escaped, with control characters made visible.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rempart.addresses import parse_address
from rempart.web.agents import AgentFailure, AgentLinks
from rempart.web.auth import require_admin
from rempart.web.deps import WebDeps
from rempart.web.templating import page

__all__ = [
    "DURATIONS",
    "HostView",
    "display_line",
    "matches",
    "per_day_table",
    "routes",
]

#: the durations offered for "allow" and "ban" (form value → seconds)
DURATIONS: Mapping[str, float] = {
    "1h": 3600.0,
    "1d": 86400.0,
    "7d": 7 * 86400.0,
    "30d": 30 * 86400.0,
}
HISTORY_LIMIT = 50
DAYS = 14
QUEUE_LIMIT = 20
MAX_LINE = 4096  # evidence characters shown per line (the rest is counted)


@dataclass(slots=True)
class HostView:
    """What one agent answered (each part may be an AgentFailure)."""

    host: str
    status: Any = None
    bans: Any = None
    recent: Any = None
    days: Any = None
    queue: Any = None
    failures: list[AgentFailure] = field(default_factory=list)

    def ok(self, part: Any) -> bool:
        if isinstance(part, AgentFailure):
            if part not in self.failures:
                self.failures.append(part)
            return False
        return part is not None

    @property
    def jails(self) -> list[str]:
        status = self.status if isinstance(self.status, dict) else {}
        return sorted(status.get("jails") or {})

    @property
    def abuse(self) -> dict[str, Any] | None:
        status = self.status if isinstance(self.status, dict) else {}
        abuse = status.get("abuseipdb")
        return abuse if isinstance(abuse, dict) else None


# ------------------------------------------------------------------ pure helpers


def display_line(line: str) -> str:
    """An evidence line for people: control characters shown as ``\\xNN`` (a log line can
    hold escape sequences or a CR that would fake another line), cut to MAX_LINE."""
    shown = "".join(
        f"\\x{ord(c):02x}" if (ord(c) < 32 and c != "\t") or 127 <= ord(c) < 160 else c
        for c in line[:MAX_LINE]
    )
    if len(line) > MAX_LINE:
        shown += f" […+{len(line) - MAX_LINE}]"
    return shown


def matches(ban: Mapping[str, Any], query: str) -> bool:
    """Whether an active ban fits the search: an address (its target contains it), a
    network (they overlap), else a part of its address or target."""
    query = query.strip()
    if not query:
        return True
    try:
        target = ipaddress.ip_network(str(ban.get("target", "")), strict=False)
    except ValueError:
        target = None
    address = parse_address(query)
    if address is not None:
        return target is not None and address in target
    if "/" in query:
        try:
            wanted = ipaddress.ip_network(query, strict=False)
        except ValueError:
            wanted = None
        if wanted is not None:
            same = target is not None and target.version == wanted.version
            return same and target is not None and target.overlaps(wanted)
    text = query.lower()
    return text in str(ban.get("address", "")).lower() or text in str(ban.get("target", ""))


def per_day_table(
    answers: Iterable[Sequence[Mapping[str, Any]]],
) -> tuple[list[str], list[tuple[str, list[int], int]]]:
    """Bans per day per jail summed over hosts: (jails, [(day, counts per jail, total)]),
    newest day first."""
    counts: dict[tuple[str, str], int] = {}
    for rows in answers:
        for row in rows:
            key = (str(row.get("day")), str(row.get("jail")))
            counts[key] = counts.get(key, 0) + int(row.get("bans") or 0)
    jails = sorted({jail for _day, jail in counts})
    days = sorted({day for day, _jail in counts}, reverse=True)
    table = []
    for day in days:
        line = [counts.get((day, jail), 0) for jail in jails]
        table.append((day, line, sum(line)))
    return jails, table


def _evidence(records: Sequence[Mapping[str, Any]], host: str) -> list[dict[str, Any]]:
    return [
        {**r, "host": host, "lines": [display_line(str(x)) for x in r.get("evidence") or ()]}
        for r in records
    ]


# ------------------------------------------------------------------ gathering


async def _gather(links: AgentLinks, hosts: list[str], q: str, jail: str | None) -> list[HostView]:
    search = q.strip() or None

    async def one(host: str) -> HostView:
        status, bans, recent, days, queue = await asyncio.gather(
            links.call(host, "status"),
            links.call(host, "bans"),
            links.call(host, "recent", limit=HISTORY_LIMIT, jail=jail, address=search),
            links.call(host, "ban_days", days=DAYS),
            links.call(host, "abuseipdb_queue", limit=QUEUE_LIMIT),
        )
        return HostView(host, status, bans, recent, days, queue)

    return list(await asyncio.gather(*(one(h) for h in hosts)))


def _context(views: list[HostView], q: str, jail: str | None) -> dict[str, Any]:
    active: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    day_answers: list[list[dict[str, Any]]] = []
    for view in views:
        if view.ok(view.bans):
            active += [
                {**b, "host": view.host}
                for b in view.bans
                if (jail is None or b.get("jail") == jail) and matches(b, q)
            ]
        if view.ok(view.recent):
            history += _evidence(view.recent, view.host)
        if view.ok(view.days):
            day_answers.append(view.days)
        view.ok(view.status)
        view.ok(view.queue)
    active.sort(key=lambda b: (-float(b.get("start") or 0), b["host"]))
    history.sort(key=lambda b: -float(b.get("start") or 0))
    jails, days = per_day_table(day_answers)
    return {
        "views": views,
        "active": active,
        "history": history[:HISTORY_LIMIT],
        "day_jails": jails,
        "days": days,
        "all_jails": sorted({j for v in views for j in v.jails}),
    }


# ------------------------------------------------------------------ pages


def _filters(request: Request, links: AgentLinks) -> tuple[str, str | None, list[str], str]:
    params = request.query_params
    q = params.get("q", "")[:256]
    jail = params.get("jail") or None
    host = params.get("host", "")
    hosts = [host] if host in links.agents else links.hosts
    return q, (jail[:64] if jail else None), hosts, (host if host in links.agents else "")


def _done(request: Request, links: AgentLinks) -> dict[str, Any] | None:
    """The notice after an action (Post/Redirect/Get), from values checked here."""
    params = request.query_params
    action, address = params.get("done"), params.get("address", "")
    if action not in ("unban", "allow", "ban") or parse_address(address) is None:
        return None
    host = params.get("on", "")
    count = params.get("n", "")
    return {
        "key": f"web.bans.done.{action}",
        "address": address,
        "host": host if host in links.agents else "?",
        "count": int(count) if count.isdigit() and len(count) < 7 else 0,
    }


async def _bans_page(
    request: Request,
    links: AgentLinks,
    problem: AgentFailure | None = None,
    status: int = 200,
) -> Response:
    q, jail, hosts, host = _filters(request, links)
    views = await _gather(links, hosts, q, jail)
    context = _context(views, q, jail)
    context |= {
        "q": q,
        "jail": jail or "",
        "host": host,
        "hosts": links.hosts,
        "durations": list(DURATIONS),
        "done": _done(request, links),
        "problem": problem,
        "back": _back(request),
    }
    return page(request, "bans.html", context, status)


async def _address_page(request: Request, links: AgentLinks) -> Response:
    host = request.path_params["host"]
    address = request.path_params["address"]
    if host not in links.agents or parse_address(address) is None:
        raise HTTPException(404)
    history = await links.call(host, "history", address=address, limit=HISTORY_LIMIT)
    status = await links.call(host, "status")
    failure = next((a for a in (history, status) if isinstance(a, AgentFailure)), None)
    context = {
        "host": host,
        "address": address,
        "history": [] if failure else _evidence(history, host),
        "failure": failure,
        "jails": [] if failure else sorted(status.get("jails") or {}),
        "durations": list(DURATIONS),
        "done": _done(request, links),
        "back": _back(request),
    }
    return page(request, "ban_history.html", context)


def _back(request: Request) -> str:
    """Where an action's form returns (this page, as a GET)."""
    if request.method != "GET":
        return "/bans"
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


# ------------------------------------------------------------------ actions


def _safe_back(value: object) -> str:
    text = str(value or "")
    if not text.startswith("/bans") or "//" in text or "\\" in text:
        return "/bans"
    return text[:512]


def _redirect(back: str, action: str, host: str, address: str, count: int = 0) -> Response:
    """303 to the page the form was on, with the notice's values (``done``, ``address``,
    ``on`` the host, ``n`` bans lifted) replacing earlier ones."""
    path, _, query = back.partition("?")
    kept = [
        p for p in query.split("&") if p and not p.startswith(("done=", "n=", "address=", "on="))
    ]
    extra = urlencode({"done": action, "address": address, "on": host, "n": count})
    return RedirectResponse(f"{path}?{'&'.join([*kept, extra])}", 303)


def _duration(form: Mapping[str, Any], required: bool) -> float | None:
    choice = str(form.get("duration") or "")
    if not choice and not required:
        return None
    if choice not in DURATIONS:
        raise HTTPException(400)
    return DURATIONS[choice]


async def _act(request: Request, links: AgentLinks, action: str) -> Response:
    user = require_admin(request)
    form = await request.form()
    host = str(form.get("host") or "")[:80]
    address = str(form.get("address") or "").strip()[:256]
    jail = str(form.get("jail") or "").strip()[:64] or None
    if not address:
        raise HTTPException(400)
    args: dict[str, object] = {"address": address, "for_user": user.by}
    if action == "unban":
        args["jail"] = jail
    elif action == "allow":
        args["duration"] = _duration(form, required=True)
    else:
        if jail is None:
            raise HTTPException(400)
        args |= {"jail": jail, "duration": _duration(form, required=False)}
    answer = await links.call(host, action, **args)
    if isinstance(answer, AgentFailure):
        return await _bans_page(request, links, answer, 502 if answer.unreachable else 400)
    count = len(answer.get("lifted") or ()) if isinstance(answer, dict) else 0
    shown = str(parse_address(address) or address)
    return _redirect(_safe_back(form.get("back")), action, host, shown, count)


def routes(deps: WebDeps) -> list[BaseRoute]:
    links = AgentLinks(deps.config.agents)

    async def bans(request: Request) -> Response:
        return await _bans_page(request, links)

    async def address(request: Request) -> Response:
        return await _address_page(request, links)

    async def unban(request: Request) -> Response:
        return await _act(request, links, "unban")

    async def allow(request: Request) -> Response:
        return await _act(request, links, "allow")

    async def ban(request: Request) -> Response:
        return await _act(request, links, "ban")

    return [
        Route("/bans", bans, methods=["GET"]),
        Route("/bans/unban", unban, methods=["POST"]),
        Route("/bans/allow", allow, methods=["POST"]),
        Route("/bans/ban", ban, methods=["POST"]),
        Route("/bans/{host}/{address}", address, methods=["GET"]),
    ]
