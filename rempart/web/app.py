"""The dashboard application: routes of every page module, and the middleware order.

Outermost first: security headers → session (user, language, CSRF token; login redirect) →
CSRF check → routes. Errors render as pages in the user's language (never a stack trace).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from rempart.web import alerts, auth, bans, hosts, overview
from rempart.web.deps import WebDeps
from rempart.web.security import CsrfMiddleware, SecurityHeadersMiddleware
from rempart.web.templating import page

__all__ = ["PAGE_MODULES", "build_app"]

#: every page module exposes ``routes(deps) -> list[BaseRoute]``
PAGE_MODULES = (auth, overview, hosts, bans, alerts)


async def _healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if str(request.url.path).startswith("/api/"):
        detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
        return PlainTextResponse(str(detail), status)
    return page(request, "error.html", {"status": status}, status)


async def _favicon(request: Request) -> Response:
    return Response(status_code=204)  # no icon: spares a 404 on every page


def build_app(deps: WebDeps) -> Starlette:
    routes: list[BaseRoute] = [Route("/healthz", _healthz), Route("/favicon.ico", _favicon)]
    for module in PAGE_MODULES:
        routes.extend(module.routes(deps))
    routes.append(
        Mount("/static", StaticFiles(packages=[("rempart.web", "static")]), name="static")
    )
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeadersMiddleware, trusted_proxies=deps.config.trusted_proxies),
            Middleware(auth.SessionMiddleware, deps=deps),
            Middleware(CsrfMiddleware),
        ],
        exception_handlers={HTTPException: _http_error, 500: _http_error},
    )
    app.state.deps = deps
    app.state.secure_cookies = deps.config.secure_cookies
    return app
