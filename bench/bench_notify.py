"""Benchmark of notifications: composing a storm, the outbox, and delivery to a real SMTP
server (aiosmtpd on 127.0.0.1) and a local webhook.

A storm: ``--hosts`` hosts each with ``--per-host`` alerts firing in the same round (a
provider outage). Measured: :func:`rempart.alerting.messages.compose` for three channels
(mail, json, slack), the outbox's ``enqueue`` and a full ``drain`` through
:class:`rempart.services.notifier.Notifier` (messages/s, per channel), the size of the
largest message, and how many messages went out (one per host per channel: grouping).

    .venv/bin/python bench/bench_notify.py [--hosts N] [--per-host K] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from rempart.adapters.smtp import SmtpSender
from rempart.adapters.webhook import WebhookSender
from rempart.alerting.messages import Channel, compose
from rempart.alerting.values import Alert, AlertKey, AlertTransition
from rempart.clock import SystemClock
from rempart.config.server import MailConfig, WebhookConfig
from rempart.services.notifier import Notifier, Sender
from rempart.store.outbox import SqliteOutbox
from rempart.store.server_db import open_server_db

T0 = 1_764_583_200.0
CHANNELS = [Channel("mail", "mail"), Channel("webhook:j", "json"), Channel("webhook:s", "slack")]


def storm(hosts: int, per_host: int) -> list[AlertTransition]:
    out = []
    for h in range(hosts):
        for k in range(per_host):
            key = AlertKey("threshold", f"vm{h:04d}", "df", f"_dev_sd{k}")
            alert = Alert(h * per_host + k + 1, key, "Gandi", "critical", "firing", T0,
                          value=96.0 + k / 10, title=f"Disk usage in percent /srv{k}",
                          detail="warning 85, critical 95")  # fmt: skip
            out.append(AlertTransition(alert, "fired", T0 + 300))
    return out


class _Count:
    def __init__(self) -> None:
        self.n = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.n += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _webhook_server() -> tuple[ThreadingHTTPServer, list[int]]:
    got = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            got[0] += 1
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, got


async def _drain(
    db_path: Path, senders: dict[str, Sender], transitions: list[Any]
) -> dict[str, Any]:
    with open_server_db(db_path) as db:
        box = SqliteOutbox(db)
        notifier = Notifier(box, senders, clock=SystemClock(), log=logging.getLogger("bench"),
                            language="fr")  # fmt: skip
        start = time.perf_counter()
        queued = await notifier.notify(transitions)
        enqueue = time.perf_counter() - start
        start = time.perf_counter()
        result = await notifier.drain()
        drain = time.perf_counter() - start
        return {"queued": queued, "enqueue_s": enqueue, "drain_s": drain, "sent": result.sent,
                "failed": result.failed, "pending_after": box.pending()}  # fmt: skip


def run(hosts: int, per_host: int) -> dict[str, Any]:
    transitions = storm(hosts, per_host)
    start = time.perf_counter()
    messages = compose(transitions, CHANNELS, language="fr")
    compose_s = time.perf_counter() - start
    biggest = max(max(len(m.body), len(m.payload)) for m in messages)
    counter, port = _Count(), _free_port()
    smtp = Controller(counter, hostname="127.0.0.1", port=port)
    smtp.start()
    http, got = _webhook_server()
    url = f"http://127.0.0.1:{http.server_address[1]}/hooks/x"
    senders: dict[str, Sender] = {
        "mail": SmtpSender(MailConfig(("a@example.org",), "r@example.org", "127.0.0.1", port)),
        "webhook:j": WebhookSender(WebhookConfig("j", url, "json")),
        "webhook:s": WebhookSender(WebhookConfig("s", url, "slack")),
    }
    try:
        with tempfile.TemporaryDirectory() as tmp:
            drained = asyncio.run(_drain(Path(tmp) / "server.db", senders, transitions))
    finally:
        smtp.stop()
        http.shutdown()
        http.server_close()
    return {
        "hosts": hosts,
        "alerts_per_host": per_host,
        "transitions": len(transitions),
        "messages": len(messages),
        "compose_s": round(compose_s, 4),
        "largest_message_chars": biggest,
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in drained.items()},
        "messages_per_s": round(drained["sent"] / drained["drain_s"], 1),
        "smtp_received": counter.n,
        "webhook_received": got[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--per-host", type=int, default=10)
    parser.add_argument("--json", type=Path, help="also write the result there")
    args = parser.parse_args()
    result = run(args.hosts, args.per_host)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
