"""Sessions and login.

A session is a random cookie token (``rempart_session``: HttpOnly, SameSite=Strict, Secure
over https); the database keeps its SHA-256, the user, the CSRF token and when it was opened
and last seen. A request without a valid session is sent to ``/login`` (pages) or refused
(401, everything else). Before login, the form's CSRF token is the ``rempart_login`` cookie's.
"""

from __future__ import annotations

import asyncio
import secrets
from urllib.parse import quote

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from rempart.store.web_users import SqliteUserStore, StoredSession
from rempart.web.deps import WebDeps, WebUser
from rempart.web.passwords import DUMMY_HASH, verify_password
from rempart.web.security import client_address, is_https
from rempart.web.templating import page, pick_language

__all__ = [
    "LANG_COOKIE",
    "LOGIN_COOKIE",
    "PUBLIC_PATHS",
    "SESSION_COOKIE",
    "SessionMiddleware",
    "require_admin",
    "routes",
    "safe_next",
]

SESSION_COOKIE = "rempart_session"
LOGIN_COOKIE = "rempart_login"  # the login form's CSRF token, before any session
LANG_COOKIE = "rempart_lang"  # the language chosen before login
PUBLIC_PATHS = frozenset({"/login", "/favicon.ico", "/healthz"})
TOUCH_EVERY = 60.0  # seconds between two updates of a session's "seen"


def require_admin(request: Request) -> WebUser:
    """The request's user when an admin; HTTPException 403 otherwise (read-only account)."""
    user = getattr(request.state, "user", None)
    if not isinstance(user, WebUser) or not user.admin:
        raise HTTPException(403)
    return user


def safe_next(target: str | None) -> str:
    """Where to go after login: a path of this site only (never //host or a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:512]


class SessionMiddleware:
    """Puts ``user`` (WebUser or None), ``csrf``, ``lang`` and ``client`` in the request's
    state; sends requests without a session to the login page."""

    def __init__(self, app: ASGIApp, deps: WebDeps) -> None:
        self.app = app
        self.deps = deps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deps = self.deps
        headers = Headers(scope=scope)
        cookies = _cookies(headers)
        state = scope.setdefault("state", {})
        state["client"] = client_address(scope, deps.config.trusted_proxies)
        state["https"] = is_https(scope, deps.config.trusted_proxies)
        session = await self._session(cookies.get(SESSION_COOKIE))
        user = None
        if session is not None:
            stored = session.user
            user = WebUser(stored.name, stored.role, stored.language)
            state["csrf"] = session.csrf
        else:
            state["csrf"] = cookies.get(LOGIN_COOKIE, "")
        state["user"] = user
        state["lang"] = pick_language(
            user.language if user else None,
            cookies.get(LANG_COOKIE),
            headers.get("accept-language"),
            deps.config.language,
        )
        path = str(scope.get("path", ""))
        if user is None and not (path in PUBLIC_PATHS or path.startswith("/static/")):
            response: Response
            if scope["method"] in ("GET", "HEAD") and not path.startswith("/api/"):
                query = scope.get("query_string", b"").decode("latin-1")
                target = path + (f"?{query}" if query else "")
                response = RedirectResponse(f"/login?next={quote(target, safe='')}", 303)
            else:
                response = PlainTextResponse("log in first", 401)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _session(self, token: str | None) -> StoredSession | None:
        if not token or len(token) > 128:
            return None
        deps = self.deps
        session = await deps.read.run(lambda db: SqliteUserStore(db).session(token))
        if session is None:
            return None
        now = deps.clock.now()
        config = deps.config
        if now - session.seen > config.session_idle or now - session.created > config.session_max:
            await deps.write.run(lambda db: SqliteUserStore(db).close_session(token))
            return None
        if now - session.seen > TOUCH_EVERY:
            await deps.write.run(lambda db: SqliteUserStore(db).touch_session(token, now))
        return session


def _cookies(headers: Headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in headers.get("cookie", "")[:8192].split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            out.setdefault(name, value)
    return out


def _set_cookie(response: Response, request: Request, name: str, value: str, **kw: object) -> None:
    secure = {
        "always": True,
        "never": False,
        "auto": bool(request.state.https),
    }[getattr(request.app.state, "secure_cookies", "auto")]
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
        **kw,  # type: ignore[arg-type]
    )


def routes(deps: WebDeps) -> list[BaseRoute]:
    async def login_form(request: Request) -> Response:
        if request.state.user is not None:
            return RedirectResponse(safe_next(request.query_params.get("next")), 303)
        token = request.state.csrf or secrets.token_urlsafe(32)
        request.state.csrf = token
        response = page(
            request,
            "login.html",
            {"next": safe_next(request.query_params.get("next")), "error": None},
        )
        _set_cookie(response, request, LOGIN_COOKIE, token, max_age=3600)
        return response

    async def login(request: Request) -> Response:
        form = await request.form(max_fields=10)
        name = str(form.get("name", ""))[:64]
        password = str(form.get("password", ""))[:1024]
        target = safe_next(str(form.get("next", "/")))
        stored = await deps.read.run(lambda db: SqliteUserStore(db).user(name))
        ok = await asyncio.to_thread(
            verify_password, stored.password_hash if stored else DUMMY_HASH, password
        )
        if stored is None or not ok:
            deps.log.warning("web: failed login from %s", request.state.client)
            return page(request, "login.html", {"next": target, "error": "web.login.failed"}, 401)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now, client = deps.clock.now(), str(request.state.client)
        await deps.write.run(
            lambda db: SqliteUserStore(db).open_session(stored.name, token, csrf, now, client)
        )
        deps.log.info("web: %s logged in from %s", stored.name, client)
        response = RedirectResponse(target, 303)
        _set_cookie(response, request, SESSION_COOKIE, token)
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return response

    async def logout(request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await deps.write.run(lambda db: SqliteUserStore(db).close_session(token))
        response = RedirectResponse("/login", 303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
