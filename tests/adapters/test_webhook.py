"""Webhook notifications against a real local HTTP server: 2xx sent, 500 then 200 delivered
once through the notifier, redirects not followed, timeouts, the token never shown."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rempart.adapters.webhook import WebhookSender, url_host
from rempart.alerting.storage import OutgoingMessage
from rempart.alerting.values import Alert, AlertKey, AlertTransition
from rempart.clock import FrozenClock
from rempart.config.server import WebhookConfig
from rempart.errors import NotifyError
from rempart.services.notifier import Notifier
from rempart.store.outbox import SqliteOutbox
from rempart.store.server_db import open_server_db

T0 = 1764583200.0
LOG = logging.getLogger("test.webhook")
TOKEN = "hooks/s3cr3t-t0ken"


@dataclass
class Hook:
    """What the server answers next (status, then 200 when the list runs out) and what it
    received."""

    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    bodies: list[bytes] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    port: int = 0

    def url(self, path: str = TOKEN) -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token=abc"


@contextmanager
def hook_server(hook: Hook) -> Iterator[Hook]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hook.bodies.append(body)
            hook.paths.append(self.path)
            hook.content_types.append(self.headers.get("Content-Type", ""))
            if hook.delay:
                time.sleep(hook.delay)
            status = hook.statuses.pop(0) if hook.statuses else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    hook.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


MESSAGE = OutgoingMessage("webhook:chat", "s", "b", '{"text": "hello"}')


async def send(config: WebhookConfig, message: OutgoingMessage = MESSAGE) -> None:
    sender = WebhookSender(config)
    try:
        await sender.send(message)
    finally:
        await sender.aclose()


def test_2xx_is_sent_as_json() -> None:
    with hook_server(Hook(statuses=[204])) as hook:
        asyncio.run(send(WebhookConfig("chat", hook.url())))
    assert hook.bodies == [b'{"text": "hello"}']
    assert hook.paths == [f"/{TOKEN}?token=abc"]
    assert hook.content_types == ["application/json; charset=utf-8"]


def test_500_is_a_notify_error_that_never_shows_the_token() -> None:
    with hook_server(Hook(statuses=[500])) as hook, pytest.raises(NotifyError) as err:
        asyncio.run(send(WebhookConfig("chat", hook.url())))
    text = str(err.value)
    assert err.value.key == "notify.webhook_status"
    assert "HTTP 500" in text
    assert f"127.0.0.1:{hook.port}" in text
    assert "s3cr3t" not in text
    assert "token" not in text


def test_redirect_is_not_followed() -> None:
    with hook_server(Hook(statuses=[301])) as hook, pytest.raises(NotifyError) as err:
        asyncio.run(send(WebhookConfig("chat", hook.url())))
    assert err.value.key == "notify.webhook_redirect"
    assert "301" in str(err.value)
    assert len(hook.bodies) == 1  # posted once, to the configured address only


def test_timeout() -> None:
    with hook_server(Hook(delay=1.0)) as hook:
        started = time.monotonic()
        with pytest.raises(NotifyError) as err:
            asyncio.run(send(WebhookConfig("chat", hook.url(), timeout=0.2)))
        assert time.monotonic() - started < 0.9
    assert "timed out" in str(err.value)


def test_refused_connection() -> None:
    with hook_server(Hook()) as hook:
        url = hook.url()
    with pytest.raises(NotifyError) as err:
        asyncio.run(send(WebhookConfig("chat", url)))
    assert err.value.key == "notify.webhook_network"
    assert "s3cr3t" not in str(err.value)


def test_url_host_hides_credentials_path_and_query() -> None:
    assert url_host("https://user:pw@chat.example.org:8443/hooks/xyz?a=b") == (
        "chat.example.org:8443"
    )
    assert url_host("not a url") == "?"


def fired(host: str, n: int) -> AlertTransition:
    key = AlertKey("threshold", host, "load", "load")
    alert = Alert(n, key, "TTN", "warning", "firing", T0, value=9.5, title="Load average")
    return AlertTransition(alert, "fired", T0)


def test_500_then_200_is_delivered_once_in_order(tmp_path: Path) -> None:
    clock = FrozenClock(T0)

    async def scenario(hook: Hook) -> None:
        sender = WebhookSender(WebhookConfig("chat", hook.url(), format="slack"))
        with open_server_db(tmp_path / "server.db") as db:
            box = SqliteOutbox(db)
            notifier = Notifier(box, {"webhook:chat": sender}, clock=clock, log=LOG,
                                language="en")  # fmt: skip
            assert await notifier.notify([fired("web1", 1), fired("web2", 2)]) == 2
            result = await notifier.drain()
            assert (result.sent, result.failed) == (0, 1)  # web2's waits behind web1's
            clock.advance(59)
            assert (await notifier.drain()).sent == 0  # backing off
            clock.advance(1)
            result = await notifier.drain()
            assert (result.sent, result.failed) == (2, 0)
            assert box.pending() == 0
        await sender.aclose()

    with hook_server(Hook(statuses=[500])) as hook:
        asyncio.run(scenario(hook))
    texts = [json.loads(b)["text"] for b in hook.bodies]
    assert len(texts) == 3
    assert texts[0] == texts[1]
    assert "web1" in texts[1]
    assert "web2" in texts[2]
