"""SMTP notifications against a real SMTP server (aiosmtpd): plain, STARTTLS, TLS, AUTH,
refusals, and a server down then back with no alert lost."""

from __future__ import annotations

import asyncio
import logging
import ssl
from pathlib import Path

import pytest

from rempart.adapters.smtp import SmtpSender
from rempart.alerting.messages import Channel, compose
from rempart.alerting.storage import OutgoingMessage
from rempart.alerting.values import Alert, AlertKey, AlertTransition
from rempart.clock import FrozenClock
from rempart.config.abuseipdb import SecretRef
from rempart.config.server import MailConfig
from rempart.errors import NotifyError
from rempart.services.notifier import Notifier
from rempart.store.outbox import SqliteOutbox
from rempart.store.server_db import open_server_db
from tests.adapters.smtpserver import mail_server
from tests.adapters.tlscerts import Certs, make_certs
from tests.munin_peers import free_port

T0 = 1764583200.0
LOG = logging.getLogger("test.smtp")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


def config(port: int, **kw: object) -> MailConfig:
    base: dict[str, object] = {
        "to": ("admins@example.org", "oncall@example.org"),
        "sender": "rempart@example.org",
        "host": "127.0.0.1",
        "port": port,
        "timeout": 5.0,
    }
    base.update(kw)
    return MailConfig(**base)  # type: ignore[arg-type]


def client_context(certs: Certs) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certs.ca))


MESSAGE = OutgoingMessage("mail", "[rempart] web1: critique déclenchée", "Hôte web1\nvaleur 96\n")


def test_plain_smtp_message_headers() -> None:
    port = free_port()
    with mail_server(port) as got:
        asyncio.run(SmtpSender(config(port), clock=FrozenClock(T0)).send(MESSAGE))
    (mail,) = got.messages
    assert got.envelopes == [("rempart@example.org", ["admins@example.org", "oncall@example.org"])]
    assert mail["Subject"] == MESSAGE.subject
    assert mail["From"] == "rempart@example.org"
    assert mail["Date"] == "Mon, 01 Dec 2025 10:00:00 -0000"
    assert str(mail["Message-ID"]).endswith("@example.org>")
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content().replace("\r\n", "\n") == MESSAGE.body


def test_starttls_with_auth(certs: Certs, tmp_path: Path) -> None:
    port = free_port()
    secret = tmp_path / "smtp.pass"
    secret.write_text("s3cret\n")
    cfg = config(port, security="starttls", username="alice",
                 password=SecretRef("file", str(secret)))  # fmt: skip
    with mail_server(port, security="starttls", cert=certs.pair("good"),
                     users={"alice": "s3cret"}) as got:  # fmt: skip
        asyncio.run(SmtpSender(cfg, ssl_context=client_context(certs)).send(MESSAGE))
    assert got.logins == ["alice"]
    assert got.subjects == [MESSAGE.subject]


def test_implicit_tls_with_auth_from_environment(certs: Certs) -> None:
    port = free_port()
    cfg = config(port, security="tls", username="bob", password=SecretRef("env", "SMTP_PASS"))
    sender = SmtpSender(cfg, ssl_context=client_context(certs), environ={"SMTP_PASS": "pw"})
    with mail_server(port, security="tls", cert=certs.pair("good"), users={"bob": "pw"}) as got:
        asyncio.run(sender.send(MESSAGE))
    assert got.logins == ["bob"]
    assert len(got.messages) == 1


def test_wrong_password_is_a_notify_error_without_the_password(certs: Certs) -> None:
    port = free_port()
    cfg = config(port, security="tls", username="bob", password=SecretRef("env", "SMTP_PASS"))
    sender = SmtpSender(cfg, ssl_context=client_context(certs), environ={"SMTP_PASS": "wrong"})
    server = mail_server(port, security="tls", cert=certs.pair("good"), users={"bob": "pw"})
    with server as got, pytest.raises(NotifyError) as err:
        asyncio.run(sender.send(MESSAGE))
    assert err.value.key == "notify.smtp_auth"
    assert "wrong" not in str(err.value)
    assert "535" in str(err.value)
    assert got.messages == []


def test_untrusted_certificate_is_refused(certs: Certs) -> None:
    port = free_port()
    sender = SmtpSender(config(port, security="tls"), ssl_context=client_context(certs))
    with (
        mail_server(port, security="tls", cert=certs.pair("self")) as got,
        pytest.raises(NotifyError) as err,
    ):
        asyncio.run(sender.send(MESSAGE))
    assert "CERTIFICATE_VERIFY_FAILED" in str(err.value)
    assert got.messages == []


def test_starttls_asked_but_not_offered_sends_nothing_in_clear() -> None:
    port = free_port()
    with mail_server(port) as got, pytest.raises(NotifyError) as err:
        asyncio.run(SmtpSender(config(port, security="starttls")).send(MESSAGE))
    assert "STARTTLS" in str(err.value)
    assert got.messages == []


def test_missing_password_file_is_a_notify_error(tmp_path: Path) -> None:
    cfg = config(free_port(), username="a", password=SecretRef("file", str(tmp_path / "none")))
    with pytest.raises(NotifyError) as err:
        asyncio.run(SmtpSender(cfg).send(MESSAGE))
    assert err.value.key == "notify.smtp_password"
    assert "no file" in str(err.value)


def test_server_down_is_a_notify_error() -> None:
    with pytest.raises(NotifyError) as err:
        asyncio.run(SmtpSender(config(free_port())).send(MESSAGE))
    assert err.value.key == "notify.smtp"
    assert "ConnectionRefusedError" in str(err.value)


def round_of(n: int) -> list[AlertTransition]:
    key = AlertKey("threshold", f"web{n}", "df", "_var")
    alert = Alert(n, key, "Gandi", "critical", "firing", T0, title=f"Disk /var of web{n}")
    return [AlertTransition(alert, "fired", T0 + 300 * n)]


def test_smtp_down_then_back_loses_no_alert(tmp_path: Path) -> None:
    port = free_port()
    clock = FrozenClock(T0)

    async def scenario() -> list[str]:
        with open_server_db(tmp_path / "server.db") as db:
            notifier = Notifier(SqliteOutbox(db), {"mail": SmtpSender(config(port), clock=clock)},
                                clock=clock, log=LOG, language="en")  # fmt: skip
            for n in (1, 2, 3):  # three rounds while the server is down
                await notifier.notify(round_of(n))
                result = await notifier.drain()
                assert (result.sent, result.failed) == (0, 1)  # the oldest tried, in vain
                assert (await notifier.drain()).failed == 0  # backing off: not tried again
                clock.advance(300)  # past the back-off (60 s, then 120 s)
            clock.advance(3600)
            with mail_server(port) as got:
                result = await notifier.drain()
                assert (result.sent, result.failed) == (3, 0)
                assert (await notifier.drain()).sent == 0  # once
            assert SqliteOutbox(db).pending() == 0
            return got.subjects

    subjects = asyncio.run(scenario())
    expected = [compose(round_of(n), [Channel("mail", "mail")], language="en")[0].subject
                for n in (1, 2, 3)]  # fmt: skip
    assert (
        subjects
        == expected
        == [f"[rempart] web{n}: critical fired: Disk /var of web{n}" for n in (1, 2, 3)]
    )
