"""Notifications as JSON webhooks: :class:`WebhookSender` POSTs a message's payload.

One POST per message with ``Content-Type: application/json``, a timeout, redirects **not**
followed (a 3xx is a failure: the payload would otherwise go where the redirect says), the
answer's body never read (a hostile or broken receiver cannot make rempart read megabytes).
A 2xx is sent; anything else a :class:`NotifyError` (the message stays queued). The URL's
path and query hold the receiver's token: messages and logs name the webhook and the
URL's host only.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

import httpx

from rempart.alerting.storage import OutgoingMessage
from rempart.config.server import WebhookConfig
from rempart.errors import NotifyError

__all__ = ["WebhookSender", "url_host"]

USER_AGENT = "rempart-notify"


def url_host(url: str) -> str:
    """The host (and port) of ``url``, what may be shown of it; "?" when it has none."""
    try:
        return urlsplit(url).netloc.rpartition("@")[2] or "?"
    except ValueError:
        return "?"


class WebhookSender:
    """Sends messages of the channel ``webhook:<name>``; see the module documentation."""

    def __init__(
        self, config: WebhookConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self.format: Literal["json", "slack"] = config.format
        self.host = url_host(config.url)
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            timeout=httpx.Timeout(config.timeout),
            headers={"User-Agent": USER_AGENT},
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"WebhookSender({self.config.name}, {self.host})"

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, message: OutgoingMessage) -> None:
        """POST ``message.payload``. Raises NotifyError."""
        body = message.payload.encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        try:
            async with self._client.stream(
                "POST", self.config.url, content=body, headers=headers
            ) as response:
                status = response.status_code
        except httpx.TimeoutException as exc:
            raise self._error("notify.webhook_network", reason="timed out") from exc
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            raise self._error("notify.webhook_network", reason=type(exc).__name__) from exc
        if 200 <= status < 300:
            return
        key = "notify.webhook_redirect" if 300 <= status < 400 else "notify.webhook_status"
        raise self._error(key, status=status)

    def _error(self, key: str, **params: object) -> NotifyError:
        return NotifyError(key, name=self.config.name, host=self.host, **params)
