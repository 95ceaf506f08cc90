"""A real SMTP server for tests (aiosmtpd, in its own thread): plain, STARTTLS or TLS, with
AUTH when users are given; it keeps what it received, in order."""

from __future__ import annotations

import email
import email.policy
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

__all__ = ["Received", "mail_server"]


@dataclass
class Received:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    @property
    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]


class _Handler:
    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.messages.append(parsed)
        self.received.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def _authenticator(users: Mapping[str, str], received: Received) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        ok = users.get(user) == password
        if ok:
            received.logins.append(user)
        return AuthResult(success=ok, handled=False)

    return check


@contextmanager
def mail_server(
    port: int,
    *,
    security: Literal["none", "starttls", "tls"] = "none",
    cert: tuple[Any, Any] | None = None,
    users: Mapping[str, str] | None = None,
) -> Iterator[Received]:
    received = Received()
    kwargs: dict[str, Any] = {}
    if security != "none":
        assert cert is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*map(str, cert))
        if security == "tls":
            kwargs["ssl_context"] = context
        else:
            kwargs["tls_context"] = context
            kwargs["require_starttls"] = True
    if users is not None:
        kwargs["authenticator"] = _authenticator(users, received)
        # with implicit TLS aiosmtpd does not know the session is encrypted: let it offer AUTH
        # (and not require it, which it would warn about)
        kwargs["auth_required"] = security != "tls"
        kwargs["auth_require_tls"] = security != "tls"
    controller = Controller(_Handler(received), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield received
    finally:
        controller.stop()
