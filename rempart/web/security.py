"""Security headers, the client's address behind a trusted proxy, and the CSRF check.

Every response carries a CSP that allows no inline script or style and nothing from another
origin; pages are not cached. Every request that changes something (POST, PUT, PATCH,
DELETE) must carry the session's CSRF token — form field ``csrf`` or header
``X-CSRF-Token`` — and, when the browser sends one, an Origin of this site.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
from collections.abc import Sequence
from urllib.parse import parse_qs

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSP",
    "CsrfMiddleware",
    "SecurityHeadersMiddleware",
    "client_address",
    "is_https",
]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
_HEADERS = (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FORM = 64 * 1024  # bytes of a form the CSRF check reads


@functools.lru_cache(maxsize=8)
def _networks(names: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The configured proxies, parsed once (not at every request)."""
    return tuple(ipaddress.ip_network(n) for n in names)


def _trusted(peer: str, networks: Sequence[str]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in n for n in _networks(tuple(networks)))


def client_address(scope: Scope, trusted_proxies: Sequence[str]) -> str:
    """The client's address: the peer's, or — when the peer is a trusted proxy — the last
    address of X-Forwarded-For that is not itself a trusted proxy."""
    client = scope.get("client")
    peer = str(client[0]) if client else ""
    if not trusted_proxies or not _trusted(peer, trusted_proxies):
        return peer
    forwarded = Headers(scope=scope).get("x-forwarded-for", "")
    for hop in reversed([h.strip() for h in forwarded[:1024].split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # garbled: blame the proxy rather than a made-up address
        if not _trusted(hop, trusted_proxies):
            return hop
    return peer


def is_https(scope: Scope, trusted_proxies: Sequence[str]) -> bool:
    if scope.get("scheme") == "https":
        return True
    client = scope.get("client")
    if client and trusted_proxies and _trusted(str(client[0]), trusted_proxies):
        proto = Headers(scope=scope).get("x-forwarded-proto", "")
        return proto.strip().lower() == "https"
    return False


class SecurityHeadersMiddleware:
    """Adds the security headers (and no-store for everything but static files)."""

    def __init__(self, app: ASGIApp, *, trusted_proxies: Sequence[str] = ()) -> None:
        self.app = app
        self.trusted_proxies = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")
        https = is_https(scope, self.trusted_proxies)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS:
                    headers[name] = value
                if not static:
                    headers["cache-control"] = "no-store"
                if https:
                    headers["strict-transport-security"] = "max-age=31536000"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


class CsrfMiddleware:
    """Refuses (403) a state-changing request without the expected token.

    The expected token is ``scope["state"]["csrf"]`` (set by the session middleware; for the
    login form, the pre-session token of the ``rempart_login`` cookie). The form body is read
    here (at most :data:`MAX_FORM` bytes) and replayed to the application unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _UNSAFE:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        expected = str(scope.get("state", {}).get("csrf", ""))
        origin = headers.get("origin")
        host = headers.get("host", "")
        if origin is not None and origin.split("://", 1)[-1] != host:
            await PlainTextResponse("cross-site request refused", 403)(scope, receive, send)
            return
        given = headers.get("x-csrf-token", "")
        messages: list[Message] = []
        if not given and headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            body = b""
            more = True
            while more:
                message = await receive()
                messages.append(message)
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > MAX_FORM:
                    await PlainTextResponse("form too large", 413)(scope, receive, send)
                    return
            given = parse_qs(body.decode("latin-1"), max_num_fields=200).get("csrf", [""])[0]
        if not _same(given, expected):
            await PlainTextResponse("missing or wrong CSRF token; reload the page", 403)(
                scope, receive, send
            )
            return
        if not messages:
            await self.app(scope, receive, send)
            return

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)
