"""Notifications by e-mail: :class:`SmtpSender` sends an :class:`OutgoingMessage` over SMTP.

:mod:`smtplib` runs in a worker thread (it blocks). ``security``: ``none`` (plain SMTP, for
a local relay), ``starttls`` (refuses to go on when the server does not offer STARTTLS: the
password and the mail never go out in clear by surprise), ``tls`` (implicit TLS, port 465).
Certificates are checked against the system's CAs (``ssl_context`` replaces them, for a
private CA or tests). The password is read from its ``file:``/``env:`` reference at each
send, so rotating it needs no restart. Every failure is a :class:`NotifyError` (the
message stays queued); the password never appears in a message.
"""

from __future__ import annotations

import asyncio
import email.utils
import smtplib
import ssl
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Literal

from rempart.adapters.abuseipdb.secrets import read_secret
from rempart.alerting.storage import OutgoingMessage
from rempart.clock import Clock, SystemClock
from rempart.config.server import MailConfig
from rempart.errors import AbuseIPDBError, NotifyError

__all__ = ["SmtpSender", "build_email"]


def build_email(config: MailConfig, message: OutgoingMessage, at: float) -> EmailMessage:
    """The mail of ``message``: From, To, Subject (one line), Date, Message-ID, UTF-8 text."""
    mail = EmailMessage()
    mail["From"] = config.sender
    mail["To"] = ", ".join(config.to)
    mail["Subject"] = " ".join(message.subject.split())[:998]
    mail["Date"] = email.utils.formatdate(at, localtime=False)
    mail["Message-ID"] = email.utils.make_msgid("rempart", domain=_domain(config.sender))
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.body, charset="utf-8")
    return mail


def _domain(address: str) -> str | None:
    try:
        return Address(addr_spec=address).domain or None
    except (ValueError, IndexError):
        return None


class SmtpSender:
    """Sends messages of the ``mail`` channel; see the module documentation."""

    format: Literal["mail"] = "mail"

    def __init__(
        self,
        config: MailConfig,
        *,
        ssl_context: ssl.SSLContext | None = None,
        clock: Clock | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self._context = ssl_context
        self._clock = clock or SystemClock()
        self._environ = environ
        self.server = f"{config.host}:{config.port}"

    def __repr__(self) -> str:
        return f"SmtpSender({self.server}, {self.config.security})"

    async def send(self, message: OutgoingMessage) -> None:
        """Send one message. Raises NotifyError."""
        mail = build_email(self.config, message, self._clock.now())
        await asyncio.to_thread(self.send_now, mail)

    def send_now(self, mail: EmailMessage) -> None:
        """Send ``mail`` (blocking). Raises NotifyError."""
        password = self._password()
        try:
            with self._connect() as smtp:
                if self.config.username:
                    smtp.login(self.config.username, password or "")
                smtp.send_message(mail, self.config.sender, list(self.config.to))
        except smtplib.SMTPAuthenticationError as exc:
            raise self._error("notify.smtp_auth", _reason(exc)) from exc
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
            raise self._error("notify.smtp_refused", _reason(exc)) from exc
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            raise self._error("notify.smtp", _reason(exc)) from exc

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        if cfg.security == "tls":
            return smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=self._ssl())
        smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        try:
            if cfg.security == "starttls":
                smtp.starttls(context=self._ssl())
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _ssl(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = ssl.create_default_context()
        return self._context

    def _password(self) -> str | None:
        ref = self.config.password
        if ref is None:
            return None
        try:
            return read_secret(ref, self._environ)
        except AbuseIPDBError as exc:
            what = exc.key.removeprefix("abuseipdb.secret_").replace("_", " ")
            raise NotifyError("notify.smtp_password", reason=f"{ref}: {what}") from exc

    def _error(self, key: str, reason: str) -> NotifyError:
        return NotifyError(key, server=self.server, reason=reason)


def _reason(exc: BaseException) -> str:
    """A short, one-line reason: the SMTP code and text, or the error's kind."""
    if isinstance(exc, smtplib.SMTPResponseException):
        raw = exc.smtp_error
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        return " ".join(f"{exc.smtp_code} {text}".split())[:200]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        return f"recipients refused ({', '.join(map(str, codes))})"
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
