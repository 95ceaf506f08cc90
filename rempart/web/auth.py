"""Sessions, login, logout, the language choice, the account page and the read-only role.

A session is a random cookie token (``rempart_session``: HttpOnly, SameSite=Strict, Secure
over https or per ``secure_cookies``); the database keeps its SHA-256, the user, the CSRF token
and when it was opened and last seen. A request without a valid session is sent to ``/login``
(pages) or refused (401, everything else). Before login, the form's CSRF token is the
``rempart_login`` cookie's. Every login opens a new session (a token the browser had before
is closed: no fixation) and drops expired sessions.

Failed logins are rate-limited per address and per account name (:mod:`rempart.web.ratelimit`:
beyond ``login_limit`` within ``login_window``, HTTP 429 and no password check) and written to
the auth log (:mod:`rempart.web.authlog`) that the agent's ``rempart-web`` jail reads.

A read-only account (role ``reader``) gets 403 on every state-changing request except
:data:`READER_POSTS` (log out, language, own password) — checked here, centrally, whatever the
page; pages also call :func:`require_admin` before acting.
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

from rempart.store.db import Database
from rempart.store.web_users import SqliteUserStore, StoredSession
from rempart.web.authlog import AuthLog
from rempart.web.deps import WebDeps, WebUser
from rempart.web.passwords import (
    DUMMY_HASH,
    MIN_PASSWORD,
    hash_password,
    verify_password,
)
from rempart.web.ratelimit import LoginLimiter
from rempart.web.security import client_address, is_https
from rempart.web.templating import page, pick_language

__all__ = [
    "LANG_COOKIE",
    "LOGIN_COOKIE",
    "PUBLIC_PATHS",
    "READER_POSTS",
    "SESSION_COOKIE",
    "SessionMiddleware",
    "password_problem",
    "require_admin",
    "routes",
    "safe_next",
    "secure_cookie",
]

SESSION_COOKIE = "rempart_session"
LOGIN_COOKIE = "rempart_login"  # the login form's CSRF token, before any session
LANG_COOKIE = "rempart_lang"  # the language chosen before login
PUBLIC_PATHS = frozenset({"/login", "/language", "/favicon.ico", "/healthz"})
TOUCH_EVERY = 60.0  # seconds between two updates of a session's "seen"
#: the state-changing requests a read-only account may make
READER_POSTS = frozenset({"/login", "/logout", "/language", "/account/password"})
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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
        if scope["type"] != "http" or str(scope.get("path", "")).startswith("/static/"):
            # static files need no user: no session read for each stylesheet and script
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
        if _read_only(user, str(scope["method"]), path):
            forbidden = page(Request(scope), "error.html", {"status": 403}, 403)
            await forbidden(scope, receive, send)
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


def _read_only(user: WebUser | None, method: str, path: str) -> bool:
    """True when a read-only account tries to change something it may not."""
    return user is not None and not user.admin and method in _UNSAFE and path not in READER_POSTS


def _cookies(headers: Headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in headers.get("cookie", "")[:8192].split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            out.setdefault(name, value)
    return out


def secure_cookie(request: Request) -> bool:
    """Whether cookies get the Secure flag: ``secure_cookies`` always/never, or (auto) when
    the request came over https (directly or from a trusted proxy's X-Forwarded-Proto)."""
    return {
        "always": True,
        "never": False,
        "auto": bool(getattr(request.state, "https", False)),
    }[getattr(request.app.state, "secure_cookies", "auto")]


def _set_cookie(response: Response, request: Request, name: str, value: str, **kw: object) -> None:
    secure = secure_cookie(request)
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
        **kw,  # type: ignore[arg-type]
    )


def _delete_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        name, path="/", secure=secure_cookie(request), httponly=True, samesite="strict"
    )


class _Auth:
    """The handlers, with the login limiter and the auth log they share."""

    def __init__(self, deps: WebDeps) -> None:
        self.deps = deps
        self.limiter = LoginLimiter(deps.config.login_limit, deps.config.login_window)
        self.auth_log = AuthLog(deps.config.auth_log, deps.log)

    # ------------------------------------------------------------------ login / logout

    async def login_form(self, request: Request) -> Response:
        if request.state.user is not None:
            return RedirectResponse(safe_next(request.query_params.get("next")), 303)
        return self._login_page(request, safe_next(request.query_params.get("next")), None)

    def _login_page(
        self, request: Request, target: str, error: str | None, status: int = 200
    ) -> Response:
        token = request.state.csrf or secrets.token_urlsafe(32)
        request.state.csrf = token
        response = page(request, "login.html", {"next": target, "error": error}, status)
        _set_cookie(response, request, LOGIN_COOKIE, token, max_age=3600)
        return response

    async def login(self, request: Request) -> Response:
        deps = self.deps
        form = await request.form(max_fields=10)
        name = str(form.get("name", ""))[:256]
        password = str(form.get("password", ""))[:1024]
        target = safe_next(str(form.get("next", "/")))
        client, now = str(request.state.client), deps.clock.now()
        wait = self.limiter.retry_after(client, name, now)
        if wait > 0:
            deps.log.warning("web: login refused (too many failures) from %s", client)
            response = self._login_page(request, target, "web.login.limited", 429)
            response.headers["retry-after"] = str(max(1, round(wait)))
            return response
        stored = await deps.read.run(lambda db: SqliteUserStore(db).user(name[:64]))
        ok = await asyncio.to_thread(
            verify_password, stored.password_hash if stored else DUMMY_HASH, password
        )
        if stored is None or not ok or len(name) > 64:
            await self._failed(client, name, now)
            return self._login_page(request, target, "web.login.failed", 401)
        self.limiter.succeeded(name)
        response = RedirectResponse(target, 303)
        await self._open_session(request, response, stored.name)
        _delete_cookie(response, request, LOGIN_COOKIE)
        deps.log.info("web: %s logged in from %s", stored.name, client)
        return response

    async def _failed(self, client: str, name: str, now: float) -> None:
        self.limiter.failed(client, name, now)
        await asyncio.to_thread(self.auth_log.failed, now, client, name)
        self.deps.log.warning("web: failed login from %s", client)

    async def _open_session(self, request: Request, response: Response, name: str) -> None:
        """A new session for ``name`` (the browser's previous one, if any, is closed), and
        the expired sessions of everybody dropped."""
        deps, config = self.deps, self.deps.config
        old = request.cookies.get(SESSION_COOKIE)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now, client = deps.clock.now(), str(request.state.client)

        def write(db: Database) -> None:
            store = SqliteUserStore(db)
            if old:
                store.close_session(old)
            store.expire_sessions(now - config.session_idle, now - config.session_max)
            store.open_session(name, token, csrf, now, client)

        await deps.write.run(write)
        _set_cookie(response, request, SESSION_COOKIE, token)

    async def logout(self, request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await self.deps.write.run(lambda db: SqliteUserStore(db).close_session(token))
        response = RedirectResponse("/login", 303)
        _delete_cookie(response, request, SESSION_COOKIE)
        return response

    # ------------------------------------------------------------------ language

    async def language(self, request: Request) -> Response:
        form = await request.form(max_fields=10)
        choice = str(form.get("language", ""))
        if choice not in ("", "fr", "en"):
            raise HTTPException(400)
        user = request.state.user
        back = _back(request)
        response = RedirectResponse(back, 303)
        if isinstance(user, WebUser):
            name, value = user.name, choice or None
            await self.deps.write.run(lambda db: SqliteUserStore(db).set_language(name, value))
        elif choice:
            _set_cookie(response, request, LANG_COOKIE, choice, max_age=365 * 86400)
        else:
            _delete_cookie(response, request, LANG_COOKIE)
        return response

    # ------------------------------------------------------------------ own password

    async def account(self, request: Request) -> Response:
        done = request.query_params.get("done")
        return page(request, "account.html", {"error": None, "done": done == "password"})

    async def change_password(self, request: Request) -> Response:
        deps, user = self.deps, request.state.user
        assert isinstance(user, WebUser)  # the session middleware let only users in
        form = await request.form(max_fields=10)
        current = str(form.get("current", ""))[:1024]
        new, again = str(form.get("new", ""))[:1024], str(form.get("again", ""))[:1024]
        client, now = str(request.state.client), deps.clock.now()
        if self.limiter.retry_after(client, user.name, now) > 0:
            return self._account_error(request, "web.login.limited", 429)
        stored = await deps.read.run(lambda db: SqliteUserStore(db).user(user.name))
        ok = stored is not None and await asyncio.to_thread(
            verify_password, stored.password_hash, current
        )
        if not ok:
            await self._failed(client, user.name, now)
            return self._account_error(request, "web.account.wrong", 403)
        problem = password_problem(new, again)
        if problem:
            return self._account_error(request, problem, 400)
        hashed = await asyncio.to_thread(hash_password, new)
        name = user.name
        await deps.write.run(lambda db: SqliteUserStore(db).set_password(name, hashed, now))
        response = RedirectResponse("/account?done=password", 303)
        await self._open_session(request, response, name)  # the others were all closed
        deps.log.info("web: %s changed their password from %s", name, client)
        return response

    def _account_error(self, request: Request, error: str, status: int) -> Response:
        return page(request, "account.html", {"error": error, "done": False}, status)


def password_problem(new: str, again: str) -> str | None:
    """The message key of what is wrong with a new password, or None."""
    if new != again:
        return "web.account.mismatch"
    if len(new) < MIN_PASSWORD:
        return "web.account.short"
    return None


def _back(request: Request) -> str:
    """The page a form came from (same site only), for Post/Redirect/Get."""
    referer = request.headers.get("referer", "")
    base = str(request.base_url)
    if referer.startswith(base):
        return safe_next("/" + referer[len(base) :])
    return "/"


def routes(deps: WebDeps) -> list[BaseRoute]:
    auth = _Auth(deps)
    return [
        Route("/login", auth.login_form, methods=["GET"]),
        Route("/login", auth.login, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/language", auth.language, methods=["POST"]),
        Route("/account", auth.account, methods=["GET"]),
        Route("/account/password", auth.change_password, methods=["POST"]),
    ]
