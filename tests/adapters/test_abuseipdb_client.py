"""The AbuseIPDB client against FakeAbuseIPDB, a real HTTP server (tests/fakes/abuseipdb.py)."""

from __future__ import annotations

import asyncio

from rempart.adapters.abuseipdb.client import Outcome
from tests.fakes.abuseipdb import FakeAbuseIPDB, Fault


def test_report_then_duplicate(fake_abuseipdb: FakeAbuseIPDB) -> None:
    async def run() -> list[Outcome]:
        async with fake_abuseipdb.client() as client:
            first = await client.report("192.0.2.7", [18, 22], "ssh", None)
            fake_abuseipdb.fault("report", Fault.drop())
            second = await client.report("192.0.2.8", [18, 22], "ssh", None)
            third = await client.report("192.0.2.7", [18, 22], "ssh", None)
            return [first.outcome, second.outcome, third.outcome]

    assert asyncio.run(run()) == [Outcome.OK, Outcome.NETWORK, Outcome.DUPLICATE]
    assert [r.ip for r in fake_abuseipdb.reports] == ["192.0.2.7", "192.0.2.8"]
