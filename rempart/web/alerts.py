"""The alerts page: firing and pending alerts first, then the ones resolved lately; filters by
host and severity; acknowledge (admins) through the server's command table — the ``ack`` that
``rempart ack`` sends to the control socket."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rempart.alerting.values import Alert
from rempart.errors import RempartError
from rempart.store.alerts import SqliteAlertStore
from rempart.web.auth import require_admin
from rempart.web.deps import WebDeps
from rempart.web.templating import page

__all__ = ["pick", "routes"]

DAY = 86400.0
MAX_DAYS = 90
LIMIT = 2000  # alerts read at most (open ones first)
SEVERITIES = ("critical", "warning")


def pick(
    alerts: Sequence[Alert], *, now: float, days: int, host: str, severity: str
) -> tuple[list[Alert], list[Alert]]:
    """(open alerts, alerts resolved within ``days``), filtered by host and severity; the
    open ones critical first, then the newest."""
    since = now - days * DAY

    def keep(a: Alert) -> bool:
        return (not host or a.key.host == host) and (not severity or a.severity == severity)

    active = [a for a in alerts if a.status != "resolved" and keep(a)]
    active.sort(key=lambda a: (a.severity != "critical", -(a.fired_at or a.since), -a.id))
    resolved = [
        a for a in alerts if a.status == "resolved" and (a.resolved_at or 0.0) >= since and keep(a)
    ]
    return active, resolved


def _days(text: str | None) -> int:
    try:
        value = int(text or "7")
    except ValueError:
        return 7
    return min(max(value, 1), MAX_DAYS)


def routes(deps: WebDeps) -> list[BaseRoute]:
    async def alerts_page(request: Request) -> Response:
        q = request.query_params
        days = _days(q.get("days"))
        host = q.get("host", "")[:128]
        severity = q.get("severity", "")
        severity = severity if severity in SEVERITIES else ""
        stored = await deps.read.run(
            lambda db: SqliteAlertStore(db).alerts(active=False, limit=LIMIT)
        )
        active, resolved = pick(
            stored, now=deps.clock.now(), days=days, host=host, severity=severity
        )
        hosts = sorted({a.key.host for a in stored})
        done = q.get("done", "")
        return page(
            request,
            "alerts.html",
            {
                "active": active,
                "resolved": resolved,
                "days": days,
                "host": host,
                "hosts": hosts,
                "severity": severity,
                "severities": SEVERITIES,
                "done": done if done.isdigit() else "",
                "problem": q.get("problem", "")[:300],
            },
        )

    async def ack(request: Request) -> Response:
        user = require_admin(request)
        alert_id = request.path_params["alert_id"]
        try:
            await deps.commands.call("ack", {"id": alert_id}, by=user.by)
        except RempartError as exc:
            lang = str(request.state.lang)
            query = urlencode({"problem": exc.render(lang)})
            return RedirectResponse(f"/alerts?{query}", 303)
        return RedirectResponse(f"/alerts?done={alert_id}", 303)

    return [
        Route("/alerts", alerts_page, methods=["GET"]),
        Route("/alerts/{alert_id:int}/ack", ack, methods=["POST"]),
    ]
