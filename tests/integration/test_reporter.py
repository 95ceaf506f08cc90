"""The Reporter against FakeAbuseIPDB (a real HTTP server) with a real state database.

One clock for both sides: the fake's clock is the reporter's FrozenClock, so the
15-minute rule and the 00:00 UTC reset are crossed by moving it, not by waiting.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from ipaddress import ip_address, ip_network
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from rempart.adapters.abuseipdb.client import AbuseIPDBClient, Outcome
from rempart.addresses import Address
from rempart.clock import FrozenClock
from rempart.config.abuseipdb import AbuseIPDBConfig, ReportConfig, SecretRef
from rempart.config.schema import JailConfig, PortRange
from rempart.guard.quota import RESET_MARGIN, next_reset
from rempart.guard.reporting import MAX_AGE
from rempart.model import Ban
from rempart.services.reporter import Reporter
from rempart.services.statewriter import StateWriter
from rempart.store.db import Database
from rempart.store.reports import ReportStore
from tests.conftest import ROOT
from tests.fakes.abuseipdb import FAKE_T0, FakeAbuseIPDB, Fault

LOG = logging.getLogger("rempart.test.reporter")
OWN = ip_address("91.198.174.192")
HIDDEN = ("mail.example.org", "example.org", "alice")
JAILS = MappingProxyType(
    {
        "sshd": JailConfig(
            name="sshd",
            filter="sshd",
            ports=(PortRange(22, 22), PortRange(2200, 2200)),
            findtime=600.0,
        ),
        "postfix": JailConfig(name="postfix", filter="postfix", ports=None, findtime=3600.0),
        "recidive": JailConfig(name="recidive", filter="recidive"),
    }
)


def _config(url: str, **report: Any) -> AbuseIPDBConfig:
    settings: dict[str, Any] = {
        "categories": MappingProxyType({"sshd": (18, 22), "postfix": (11, 18)}),
        "cooldown": 86400.0,
        "bulk": False,
    }
    settings.update(report)
    return AbuseIPDBConfig(
        enabled=True,
        key=SecretRef("env", "ABUSEIPDB_KEY"),
        url=url,
        hide=HIDDEN,
        report=ReportConfig(**settings),
    )


def addr(i: int) -> Address:
    """A global address (never contacted: the fake server only records it)."""
    return ip_address(f"45.{10 + i // 250}.{i % 250}.9")


def ban(i: int, at: float, jail: str = "sshd", failures: int = 5) -> Ban:
    a = addr(i)
    return Ban(jail, ip_network(a), a, at, at + 600, 1, failures, ("user alice from x",))


@dataclass
class World:
    fake: FakeAbuseIPDB
    clock: FrozenClock
    path: Path

    @asynccontextmanager
    async def reporter(
        self,
        config: AbuseIPDBConfig | None = None,
        *,
        key: str | None = None,
        timeout: float = 2.0,
        client: AbuseIPDBClient | None = None,
    ) -> AsyncIterator[Reporter]:
        writer = StateWriter(self.path, clock=self.clock, log=LOG)
        await writer.open()
        client = client or AbuseIPDBClient(
            key=key or self.fake.key, base_url=self.fake.url, timeout=timeout, clock=self.clock
        )
        reporter = Reporter(
            config or _config(self.fake.url),
            client,
            writer,
            self.clock,
            LOG,
            lambda: frozenset({OWN}),
            JAILS,
            rng=random.Random(7).random,
        )
        try:
            await reporter.start()
            yield reporter
        finally:
            await client.aclose()
            await writer.close()

    def outbox(self) -> list[tuple[str, str, str | None, int]]:
        """(address, state, outcome, attempts) of every report, by id."""
        with Database.open(self.path) as db:
            rows = db.tuples("SELECT address, state, outcome, attempts FROM reports ORDER BY id")
        return [(str(a), str(s), o, int(n)) for a, s, o, n in rows]

    def accepted(self) -> Counter[str]:
        return Counter(r.ip for r in self.fake.reports)


@pytest.fixture
def world(fake_abuseipdb: FakeAbuseIPDB, tmp_path: Path) -> World:
    clock = FrozenClock(FAKE_T0)
    fake_abuseipdb.now = clock.now
    return World(fake_abuseipdb, clock, tmp_path / "state.db")


async def drain(reporter: Reporter, world: World, step: float = 30.0, rounds: int = 200) -> None:
    """Flush, move the clock on, until nothing waits."""
    for _ in range(rounds):
        await reporter.flush()
        queue = reporter.status()["queue"]
        if queue["queued"] == 0 and queue["sending"] == 0:
            return
        world.clock.advance(step)
    raise AssertionError(f"the queue did not drain: {reporter.status()}")


def _exactly_once(world: World, addresses: list[Address]) -> None:
    accepted = world.accepted()
    assert {str(a): 1 for a in addresses} == dict(accepted)
    assert {state for _, state, _, _ in world.outbox()} == {"sent"}


# ---------------------------------------------------------------------- the happy path


def test_each_ban_is_reported_once_with_a_clean_comment(world: World) -> None:
    t = world.clock.now()

    async def scenario() -> dict[str, Any]:
        async with world.reporter() as reporter:
            reporter.enqueue([ban(1, t - 30), ban(2, t - 20, "postfix", 1)], "detected")
            reporter.enqueue([ban(3, t - 10)], "manual")  # made by hand
            reporter.enqueue([ban(4, t - 10)], "restored")  # restored at start
            reporter.enqueue([ban(5, t - 10, "recidive")], "detected")  # jail not reporting
            private = Ban("sshd", ip_network("10.0.0.7/32"), ip_address("10.0.0.7"), t, t + 9, 1, 5)
            ours = Ban("sshd", ip_network(OWN), OWN, t, t + 9, 1, 5)
            old = ban(6, t - MAX_AGE - 1)
            reporter.enqueue([private, ours, old], "detected")
            await reporter.flush()
            # the same bans again (a replay, a second call): queued once, reported once
            reporter.enqueue([ban(1, t - 30)], "detected")
            await reporter.flush()
            return reporter.status()

    status = asyncio.run(scenario())
    _exactly_once(world, [addr(1), addr(2)])
    first, second = world.fake.reports
    assert first.categories == (18, 22)
    assert second.categories == (11, 18)
    assert first.timestamp == "2025-06-01T11:59:30+00:00"
    assert first.comment == (
        "SSH, brute force: 5 failed attempts on ports 22, 2200 between "
        "2025-06-01T11:49:30Z and 2025-06-01T11:59:30Z (rempart)"
    )
    assert (
        second.comment
        == "E-mail spam, brute force: 1 failed attempt at 2025-06-01T11:59:40Z (rempart)"
    )
    for report in world.fake.reports:
        assert "alice" not in report.comment
        assert "example" not in report.comment
        assert str(OWN) not in report.comment
    assert status["queue"] == {"queued": 0, "sending": 0, "sent": 2, "dropped": 0}
    assert status["today"] == {"sent": 2}
    assert status["skipped"] == {
        "not-detected": 2,
        "jail-not-reporting": 1,
        "not-global": 1,
        "own-address": 1,
        "too-old": 1,
        "cooldown": 1,  # ban 1 again: reported a moment ago
    }
    assert status["quota"]["report"]["used"] == 2
    assert status["quota"]["report"]["remaining"] == 998
    assert status["last_error"] is None
    assert len(world.fake.calls("report")) == 2


def test_cooldown_and_one_report_per_address(world: World) -> None:
    t = world.clock.now()

    async def scenario() -> Counter[str]:
        async with world.reporter() as reporter:
            # two jails ban the same address at once: one report
            reporter.enqueue([ban(1, t), ban(1, t, "postfix")], "detected")
            await reporter.flush()
            world.clock.advance(3600)
            reporter.enqueue([ban(1, world.clock.now())], "detected")  # within the cooldown
            await reporter.flush()
            world.clock.advance(86400)
            reporter.enqueue([ban(1, world.clock.now())], "detected")  # after it
            await reporter.flush()
            return reporter.skipped

    skipped = asyncio.run(scenario())
    assert world.accepted() == {str(addr(1)): 2}
    assert skipped == {"pending": 1, "cooldown": 1}


# ---------------------------------------------------------------------- faults


def test_server_faults_lose_and_duplicate_nothing(world: World) -> None:
    """5xx, timeouts (a slow answer processed after the client gave up), dropped
    connections after processing, truncated and non-JSON answers: every ban is reported
    exactly once, and the unsure ones are confirmed by AbuseIPDB's duplicate refusal."""
    world.fake.fault(
        "report",
        Fault.error(500),
        Fault.drop(),  # processed, the answer lost
        Fault.error(503),
        Fault.slow(0.6),  # processed after the client's timeout
        Fault.truncated(),  # processed, half an answer
        Fault.not_json(processed=True),  # a proxy's page after processing
        Fault.not_json(processed=False),  # a proxy's page, nothing processed
        Fault.drop(processed=False),
        Fault.error(502),
        Fault.drop(),
    )
    t = world.clock.now()
    bans = [ban(i, t - 5) for i in range(12)]

    async def scenario() -> Counter[str]:
        async with world.reporter(timeout=0.3) as reporter:
            reporter.enqueue(bans, "detected")
            await drain(reporter, world, step=20.0)
            await asyncio.sleep(0.7)  # the slow answer's processing is over
            return reporter.outcomes

    outcomes = asyncio.run(scenario())
    _exactly_once(world, [b.address for b in bans])
    assert world.fake.pending_faults("report") == 0
    assert outcomes["sent"] + outcomes["confirmed"] == 12
    assert outcomes["confirmed"] >= 3  # drop, truncated, not_json(processed) at least
    assert outcomes["retried"] >= 10  # one per fault (more if a loaded machine times out)
    # every retry happened within 15 minutes of the first try
    assert world.clock.now() - t < 900


def test_restart_mid_queue_with_a_call_accepted_but_not_marked(world: World) -> None:
    """The reporter is stopped mid-queue while a call is in flight: the server accepts
    that report after the stop; the next reporter sends it again, AbuseIPDB's duplicate
    refusal confirms it, and nothing is lost or reported twice."""
    t = world.clock.now()
    bans = [ban(i, t - 5) for i in range(20)]

    async def first_run() -> None:
        async with world.reporter() as reporter:
            reporter.enqueue(bans, "detected")
            world.fake.fault("report", *([Fault.slow(0)] * 6), Fault.slow(0.4))
            task = asyncio.create_task(reporter.run())
            while len(world.fake.calls("report")) < 7:
                await asyncio.sleep(0.01)
            task.cancel()  # the 7th call is in flight
            with pytest.raises(asyncio.CancelledError):
                await task
            while len(world.fake.reports) < 7:  # the server accepts it after the stop
                await asyncio.sleep(0.01)

    asyncio.run(first_run())
    states = Counter(state for _, state, _, _ in world.outbox())
    assert states == {"sent": 6, "sending": 1, "queued": 13}
    world.clock.advance(60)

    async def second_run() -> Counter[str]:
        async with world.reporter() as reporter:
            await drain(reporter, world)
            return reporter.outcomes

    outcomes = asyncio.run(second_run())
    _exactly_once(world, [b.address for b in bans])
    assert outcomes == {"sent": 13, "confirmed": 1}
    assert [o for a, _, o, _ in world.outbox() if o == "confirmed"] == ["confirmed"]


def test_killed_between_accepted_and_marked(world: World, tmp_path: Path) -> None:
    """A real process killed (os._exit) right after the server accepted its report and
    before the outbox was marked: the next start sends it again and counts it once."""
    t = world.clock.now()
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.integration.reporter_child",
            str(world.path),
            world.fake.url,
            repr(t),
            str(addr(3)),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == 9, child.stderr
    assert world.accepted() == {str(addr(3)): 1}
    assert [(a, s) for a, s, _, _ in world.outbox()] == [(str(addr(3)), "sending")]
    world.clock.advance(120)

    async def restart() -> Counter[str]:
        async with world.reporter() as reporter:
            await drain(reporter, world)
            return reporter.outcomes

    assert asyncio.run(restart()) == {"confirmed": 1}
    _exactly_once(world, [addr(3)])
    assert world.fake.used("report") == 2  # the refused duplicate counts at AbuseIPDB too


# ---------------------------------------------------------------------- quota


def test_daily_limit_pauses_keeps_the_queue_and_resumes_after_the_reset(world: World) -> None:
    world.fake.exhaust("report")  # another machine with the same key used it all
    t = world.clock.now()
    reset = next_reset(t)
    bans = [ban(i, t - 5) for i in range(5)]

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with world.reporter() as reporter:
            reporter.enqueue(bans, "detected")
            flushed = await reporter.flush()
            assert flushed["outcomes"] == {}
            assert flushed["queue"]["queued"] == 5
            assert flushed["paused_reason"] == "daily-limit"
            paused = reporter.status()
            world.clock.advance(3600)
            await reporter.flush()  # still paused: no call
            calls = len(world.fake.calls("report"))
            assert calls == 1
            world.clock.at = reset + RESET_MARGIN
            await drain(reporter, world)
            return paused, reporter.status()

    paused, done = asyncio.run(scenario())
    assert paused["queue"]["queued"] == 5
    assert paused["paused_reason"] == "daily-limit"
    assert paused["paused_until"] == reset + RESET_MARGIN
    assert paused["last_error"]["key"] == "abuseipdb.report.daily_limit"
    assert paused["quota"]["report"]["left"] == 0
    _exactly_once(world, [b.address for b in bans])
    assert len(world.fake.calls("report")) == 6
    assert done["paused_until"] is None
    assert done["quota"]["report"]["used"] == 5


def test_budget_corrected_by_remaining_never_calls_past_the_quota(world: World) -> None:
    """The server's X-RateLimit-Remaining lowers the budget: rempart stops calling when
    it says 0 and never gets the daily 429; the rest goes after the reset."""
    world.fake.limits["report"] = 3
    t = world.clock.now()
    bans = [ban(i, t - 5) for i in range(5)]

    async def scenario() -> dict[str, Any]:
        async with world.reporter() as reporter:
            reporter.enqueue(bans, "detected")
            await reporter.flush()
            await reporter.flush()
            return reporter.status()

    status = asyncio.run(scenario())
    assert len(world.fake.calls("report")) == 3
    assert status["quota"]["report"]["remaining"] == 0
    assert status["queue"]["queued"] == 2
    assert status["last_error"] is None  # no 429 was needed

    world.clock.at = next_reset(t) + 10

    async def after_reset() -> None:
        async with world.reporter() as reporter:
            await drain(reporter, world)

    asyncio.run(after_reset())
    _exactly_once(world, [b.address for b in bans])


def test_local_budget_holds_across_restarts(world: World) -> None:
    config = _config(world.fake.url)
    config = replace(config, daily_limits=MappingProxyType({**config.daily_limits, "report": 2}))
    t = world.clock.now()

    async def run_once(first: int) -> None:
        async with world.reporter(config) as reporter:
            reporter.enqueue([ban(first, t), ban(first + 1, t)], "detected")
            await reporter.flush()

    asyncio.run(run_once(0))
    asyncio.run(run_once(10))  # restarted the same UTC day: nothing more
    assert len(world.fake.calls("report")) == 2
    world.clock.at = next_reset(t) + 1
    asyncio.run(run_once(20))
    assert len(world.fake.calls("report")) == 4


def test_bulk_csv_after_the_reset(world: World) -> None:
    world.fake.exhaust("report")
    t = world.clock.now()
    bans = [ban(i, t - 5) for i in range(6)]
    config = _config(world.fake.url, bulk=True)

    async def scenario() -> dict[str, Any]:
        async with world.reporter(config) as reporter:
            reporter.enqueue(bans, "detected")
            await reporter.flush()  # the daily 429: paused, spilled
            world.clock.at = next_reset(t) + RESET_MARGIN
            await reporter.flush()
            return reporter.status()

    status = asyncio.run(scenario())
    _exactly_once(world, [b.address for b in bans])
    assert {r.via for r in world.fake.reports} == {"bulk-report"}
    assert len(world.fake.calls("bulk-report")) == 1
    assert len(world.fake.calls("report")) == 1  # the refused one only
    assert status["quota"]["bulk-report"]["used"] == 1
    assert world.fake.reports[0].timestamp == "2025-06-01T11:59:55+00:00"
    assert world.fake.reports[0].comment.startswith("SSH, brute force: 5 failed attempts")


def test_bulk_refused_by_the_plan_falls_back_to_single_reports(world: World) -> None:
    world.fake.exhaust("report")
    world.fake.payment_required.add("bulk-report")
    t = world.clock.now()
    bans = [ban(i, t - 5) for i in range(3)]

    async def scenario() -> dict[str, Any]:
        async with world.reporter(_config(world.fake.url, bulk=True)) as reporter:
            reporter.enqueue(bans, "detected")
            await reporter.flush()
            world.clock.at = next_reset(t) + RESET_MARGIN
            await drain(reporter, world)
            return reporter.status()

    status = asyncio.run(scenario())
    _exactly_once(world, [b.address for b in bans])
    assert {r.via for r in world.fake.reports} == {"report"}
    assert status["bulk"] is False
    assert status["halted"] is None


# ---------------------------------------------------------------------- refusals


def test_duplicate_429_drops_that_one_and_goes_on(world: World) -> None:
    t = world.clock.now()

    async def other_machine() -> None:  # same key, same address, minutes before
        async with world.fake.client() as client:
            answer = await client.report(str(addr(2)), [18], "from another machine", None)
            assert answer.outcome is Outcome.OK

    asyncio.run(other_machine())

    async def scenario() -> Counter[str]:
        async with world.reporter() as reporter:
            reporter.enqueue([ban(1, t), ban(2, t), ban(3, t)], "detected")
            await reporter.flush()
            world.clock.advance(1800)
            reporter.enqueue([ban(2, world.clock.now())], "detected")  # cooldown holds
            await reporter.flush()
            return reporter.outcomes

    outcomes = asyncio.run(scenario())
    assert outcomes == {"sent": 2, "duplicate": 1}
    assert world.accepted() == {str(addr(1)): 1, str(addr(2)): 1, str(addr(3)): 1}
    assert [(s, o) for _, s, o, _ in world.outbox()] == [
        ("sent", "sent"),
        ("dropped", "duplicate"),
        ("sent", "sent"),
    ]


def test_401_pauses_reporting_and_keeps_the_queue(world: World) -> None:
    t = world.clock.now()

    async def wrong_key() -> dict[str, Any]:
        async with world.reporter(key="not-the-key") as reporter:
            reporter.enqueue([ban(1, t), ban(2, t)], "detected")
            await reporter.flush()
            await reporter.flush()
            return reporter.status()

    status = asyncio.run(wrong_key())
    assert len(world.fake.calls("report")) == 1
    assert status["halted"] == "unauthorized"
    assert status["queue"]["queued"] == 2
    assert status["last_error"]["key"] == "abuseipdb.report.unauthorized"
    assert "Fix:" in status["last_error"]["message"]

    async def fixed() -> None:
        async with world.reporter() as reporter:
            await drain(reporter, world)

    asyncio.run(fixed())
    _exactly_once(world, [addr(1), addr(2)])


def test_422_drops_with_the_reason(world: World) -> None:
    world.fake.fault("report", Fault.error(422))
    t = world.clock.now()

    async def scenario() -> dict[str, Any]:
        async with world.reporter() as reporter:
            reporter.enqueue([ban(1, t), ban(2, t)], "detected")
            await reporter.flush()
            return reporter.status()

    status = asyncio.run(scenario())
    assert [(s, o) for _, s, o, _ in world.outbox()] == [("dropped", "invalid"), ("sent", "sent")]
    assert status["last_error"]["key"] == "abuseipdb.report.invalid"
    assert "422" in status["last_error"]["message"]
    with Database.open(world.path) as db:
        detail = ReportStore(db).history(addr(1))[0]["detail"]
    assert "422" in detail


def test_a_report_waiting_past_60_days_is_dropped(world: World) -> None:
    t = world.clock.now()

    async def scenario() -> Counter[str]:
        async with world.reporter(key="not-the-key") as reporter:
            reporter.enqueue([ban(1, t)], "detected")
            await reporter.flush()  # 401: waits
        world.clock.advance(MAX_AGE + 1)
        async with world.reporter() as reporter:
            await reporter.flush()
            return reporter.outcomes

    assert asyncio.run(scenario()) == {"too-old": 1}
    assert world.accepted() == {}


# ---------------------------------------------------------------------- check, metrics


def test_check_within_its_budget(world: World) -> None:
    config = _config(world.fake.url)
    config = replace(config, daily_limits=MappingProxyType({**config.daily_limits, "check": 2}))

    async def scenario() -> list[Outcome]:
        async with world.reporter(config) as reporter:
            out = [(await reporter.check("8.8.8.8")).outcome for _ in range(3)]
            out.append((await reporter.check("not an address")).outcome)
            return out

    assert asyncio.run(scenario()) == [
        Outcome.OK,
        Outcome.OK,
        Outcome.DAILY_LIMIT,
        Outcome.INVALID,
    ]
    assert len(world.fake.calls("check")) == 2


def test_run_sends_in_the_background_and_samples(world: World) -> None:
    t = world.clock.now()

    async def scenario() -> list[tuple[str, tuple[tuple[str, str], ...], float]]:
        async with world.reporter() as reporter:
            task = asyncio.create_task(reporter.run())
            reporter.enqueue([ban(1, t), ban(2, t)], "detected")
            while len(world.fake.reports) < 2:
                await asyncio.sleep(0.01)
            for _ in range(100):
                if reporter.status()["queue"]["sent"] == 2:
                    break
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return [(s.name, s.labels, s.value) for s in reporter.samples()]

    samples = asyncio.run(scenario())
    assert ("rempart_abuseipdb_reports_total", (("outcome", "sent"),), 2) in samples
    assert ("rempart_abuseipdb_queue", (("state", "sent"),), 2) in samples
    assert ("rempart_abuseipdb_quota_remaining", (("endpoint", "report"),), 998) in samples
