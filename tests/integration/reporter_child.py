"""A reporter process killed between "the server accepted" and "the outbox is marked".

``python -m tests.integration.reporter_child DB URL NOW ADDRESS``: queues one ban of
ADDRESS (jail sshd), sends it, and exits with ``os._exit(9)`` the moment the answer
arrives: like a SIGKILL, nothing after that point runs (no mark, no cleanup).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from ipaddress import ip_address, ip_network
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rempart.adapters.abuseipdb.client import AbuseIPDBClient
from rempart.clock import FrozenClock
from rempart.config.abuseipdb import AbuseIPDBConfig, ReportConfig
from rempart.config.schema import JailConfig
from rempart.model import Ban
from rempart.services.reporter import Reporter
from rempart.services.statewriter import StateWriter
from tests.fakes.abuseipdb import DEFAULT_KEY

__all__ = ["main"]


class _Killed(AbuseIPDBClient):
    async def report(
        self, ip: str, categories: Sequence[int], comment: str, timestamp: float | None
    ) -> Any:
        await super().report(ip, categories, comment, timestamp)
        os._exit(9)


async def _run(db: Path, url: str, now: float, address: str) -> None:
    clock = FrozenClock(now)
    log = logging.getLogger("reporter-child")
    writer = StateWriter(db, clock=clock, log=log)
    await writer.open()
    config = AbuseIPDBConfig(
        enabled=True,
        url=url,
        report=ReportConfig(categories=MappingProxyType({"sshd": (18, 22)})),
    )
    client = _Killed(key=DEFAULT_KEY, base_url=url, timeout=5.0)
    jails = {"sshd": JailConfig(name="sshd", filter="sshd")}
    reporter = Reporter(config, client, writer, clock, log, frozenset, jails)
    a = ip_address(address)
    reporter.enqueue([Ban("sshd", ip_network(a), a, now - 5, now + 600, 1, 5)], "detected")
    await reporter.flush()
    sys.exit("the process was not killed")


def main(argv: Sequence[str]) -> None:
    db, url, now, address = argv
    asyncio.run(_run(Path(db), url, float(now), address))


if __name__ == "__main__":
    main(sys.argv[1:])
