"""BlocklistService against the fake AbuseIPDB server (a real HTTP server on 127.0.0.1).

The firewall is a dry run here (what the sets would hold), and real nftables in a test
namespace for the import itself: after a download the sets hold exactly the expected
addresses, the protected and non-global ones absent; a failed download (500, cut short,
not a list, 429) leaves the last good list in force with a visible warning; the plan's
daily limit holds across a restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import pytest

from rempart.adapters.firewall import DryRunFirewall, Firewall, NftablesFirewall
from rempart.addresses import Address, Network
from rempart.clock import FrozenClock
from rempart.config.abuseipdb import FREE_PLAN, AbuseIPDBConfig, BlocklistConfig
from rempart.config.schema import Config, JailConfig
from rempart.guard.blocklist_schedule import RESET_MARGIN, RETRY_FIRST
from rempart.guard.firewall import FirewallLayout, JailRule
from rempart.services.blocklist import BlocklistService, judge, protected_networks
from rempart.store.blocklist import BlocklistFile
from tests.adapters.nft import RUNNERS, runner_in
from tests.fakes.abuseipdb import FAKE_T0, FakeAbuseIPDB, Fault
from tests.netns import Namespace, namespace

T = TypeVar("T")

LAYOUT = FirewallLayout((JailRule("sshd", ((22, 22),), "tcp"),), blocklist=True)
CONFIG = AbuseIPDBConfig(enabled=True)
OWN = ip_network("185.220.101.0/24")  # protected: "our" network
LIST_A = [
    "45.155.205.233",
    "185.220.101.45",  # protected
    "2a03:2880:f10c:83:face:b00c:0:25de",
    "10.1.2.3",  # not global
    "45.155.205.233",  # repeated
    "2A03:2880:F10C:0083:FACE:B00C:0000:0001",  # written long
    "193.32.162.7",
]
EXPECTED_A = {
    ip_address(a)
    for a in (
        "45.155.205.233",
        "2a03:2880:f10c:83:face:b00c:0:25de",
        "2a03:2880:f10c:83:face:b00c::1",
        "193.32.162.7",
    )
}
LIST_B = ["8.8.4.4", "2a00:1450:4007:80e::200e", "45.155.205.233"]
EXPECTED_B = {ip_address(a) for a in LIST_B}


class World:
    """A fake AbuseIPDB, a frozen clock both share, a state directory and a dry run."""

    def __init__(self, fake: FakeAbuseIPDB, state: Path, caplog: pytest.LogCaptureFixture):
        self.fake, self.state, self.caplog = fake, state, caplog
        self.clock = FrozenClock(FAKE_T0)
        fake.now = lambda: self.clock.at
        fake.blacklist_addresses = LIST_A
        self.log = logging.getLogger("test.blocklist")
        self.firewall: Firewall = self.dry_run()

    def dry_run(self) -> DryRunFirewall:
        dry = DryRunFirewall(self.log, self.clock)
        dry.setup(LAYOUT)
        return dry

    def service(
        self, firewall: Firewall | None = None, config: AbuseIPDBConfig = CONFIG
    ) -> BlocklistService:
        return BlocklistService(
            config,
            self.fake.client(),
            firewall or self.firewall,
            self.state,
            lambda: [OWN],
            self.clock,
            self.log,
        )

    def held(self, firewall: Firewall | None = None) -> set[Address]:
        fw = firewall or self.firewall
        assert isinstance(fw, DryRunFirewall)
        v4, v6 = fw.blocklist()
        return {*v4, *v6}

    def calls(self) -> int:
        return len(self.fake.calls("blacklist"))

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)


@pytest.fixture
def world(fake_abuseipdb: FakeAbuseIPDB, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> World:
    caplog.set_level(logging.INFO, logger="test.blocklist")
    return World(fake_abuseipdb, tmp_path / "state", caplog)


def run(work: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(work())  # type: ignore[arg-type]


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


def idle(service: BlocklistService) -> bool:
    """The service is done with its download (its failure is recorded): only then may a test
    move the clock, or the retry is scheduled from the moved clock and the wake is lost."""
    return not service._busy.locked()


async def started(service: BlocklistService) -> BlocklistService:
    await service.start()
    return service


async def stop(service: BlocklistService, task: asyncio.Task[None] | None = None) -> None:
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    await service._client.aclose()


# ------------------------------------------------------------------ downloads


def test_a_download_is_validated_saved_and_loaded(world: World) -> None:
    async def go() -> dict[str, Any]:
        service = await started(world.service())
        result = await service.refresh_now()
        await stop(service)
        return result

    result = run(go)
    assert result["done"] is True
    assert world.held() == EXPECTED_A
    request = world.fake.calls("blacklist")[0]
    assert request.headers["accept"] == "text/plain"
    assert request.query["confidenceMinimum"] == ["100"]
    assert request.query["limit"] == ["10000"]
    assert "ipVersion" not in request.query
    status = result["status"]
    assert status["size"] == {"v4": 2, "v6": 2}
    assert status["removed"] == {"not_global": 1, "protected": 1}
    assert status["fetched_at"] == FAKE_T0
    assert status["generated_at"] == FAKE_T0 - 3600
    assert status["age"] == 3600
    assert status["warning"] is None
    assert status["downloads_today"] == 1
    assert status["next_download"] == FAKE_T0 + 86400
    saved = BlocklistFile(world.state).load()
    assert saved is not None
    assert set(saved.blocklist) == EXPECTED_A | {ip_address("185.220.101.45")}  # unprotected
    assert not (world.state / ".abuseipdb-blocklist.download").exists()
    assert "2 IPv4 and 2 IPv6 addresses in force" in world.caplog.text


def test_ip_version_and_limits_are_sent(world: World) -> None:
    settings = BlocklistConfig(confidence_minimum=90, limit=2, ip_version=6)

    async def go() -> bool:
        service = await started(world.service(config=replace(CONFIG, blocklist=settings)))
        done = (await service.refresh_now())["done"]
        await stop(service)
        return bool(done)

    assert run(go)
    query = world.fake.calls("blacklist")[0].query
    assert (query["confidenceMinimum"], query["limit"], query["ipVersion"]) == (
        ["90"],
        ["2"],
        ["6"],
    )
    assert world.held() == {a for a in EXPECTED_A if a.version == 6}


def test_start_loads_the_last_good_list_without_a_call(world: World) -> None:
    firewall = world.dry_run()

    async def go() -> BlocklistService:
        first = await started(world.service())
        assert (await first.refresh_now())["done"]
        await stop(first)
        second = await started(world.service(firewall))
        await stop(second)
        return second

    service = run(go)
    assert world.held(firewall) == EXPECTED_A
    assert world.calls() == 1
    assert service.status()["size"] == {"v4": 2, "v6": 2}
    assert service.status()["next_download"] == FAKE_T0 + 86400
    assert "last good list loaded (2 IPv4, 2 IPv6" in world.caplog.text


@pytest.mark.parametrize(
    ("fault", "content_length", "why"),
    [
        (Fault.error(500), False, "server_error, HTTP 500"),
        (Fault.error(503), False, "server_error, HTTP 503"),
        (Fault.truncated(), False, "network"),
        (Fault.truncated(), True, "complete message body"),
        (Fault.not_json(), False, "bad_answer, HTTP 200"),
        (Fault.drop(), False, "network"),
    ],
)
def test_a_failed_download_keeps_the_last_good_list(
    world: World, fault: Fault, content_length: bool, why: str
) -> None:
    async def go() -> None:
        service = await started(world.service())
        assert (await service.refresh_now())["done"]
        world.fake.blacklist_addresses = LIST_B
        world.fake.blacklist_content_length = content_length
        world.fake.fault("blacklist", fault)
        world.advance(60)
        result = await service.refresh_now()
        assert result["done"] is False
        assert world.held() == EXPECTED_A
        status = result["status"]
        assert why in status["last_error"]
        assert "the last good list stays in force (4 addresses" in status["warning"]
        assert "la dernière bonne liste reste en vigueur" in status["warning_fr"]
        assert status["failures_total"] == 1
        assert status["next_download"] == FAKE_T0 + 60 + RETRY_FIRST
        assert "the last good list stays in force" in world.caplog.text
        assert not list(world.state.glob(".abuseipdb-blocklist.download*"))
        # the next download works and clears the warning
        world.advance(RETRY_FIRST)
        assert (await service.refresh_now())["done"]
        assert world.held() == EXPECTED_B
        assert service.status()["warning"] is None
        await stop(service)

    run(go)


@pytest.mark.parametrize(
    "body",
    [
        ["<html><body>Bad gateway</body></html>"],
        [f"<p>{n}</p>" for n in range(50)] + ["8.8.8.8"],
        [],
    ],
)
def test_a_list_that_is_not_a_list_keeps_the_last_good_one(world: World, body: list[str]) -> None:
    async def go() -> dict[str, Any]:
        service = await started(world.service())
        assert (await service.refresh_now())["done"]
        world.fake.blacklist_addresses = body
        result = await service.refresh_now()
        await stop(service)
        return result

    result = run(go)
    assert result["done"] is False
    assert world.held() == EXPECTED_A
    assert "address" in result["status"]["last_error"]


def test_a_daily_limit_429_waits_for_the_reset_and_counts(world: World) -> None:
    async def go() -> None:
        service = await started(world.service())
        world.fake.exhaust("blacklist")
        result = await service.refresh_now()
        assert result["done"] is False
        status = result["status"]
        assert "daily_limit, HTTP 429" in status["last_error"]
        assert "00:00 UTC" in status["warning"]
        assert "no list in force yet" in status["warning"]
        assert status["next_download"] == world.fake.reset_at() + RESET_MARGIN
        assert status["downloads_today"] == 5
        again = await service.refresh_now()
        assert again["refused"] == "daily_limit"
        assert world.calls() == 1  # the refusal cost no call
        world.advance(world.fake.reset_at() + RESET_MARGIN - world.clock.at)
        assert (await service.refresh_now())["done"]
        await stop(service)

    run(go)


def test_other_refusals_say_what_to_fix(world: World) -> None:
    async def go() -> None:
        service = await started(world.service())
        world.fake.keys = {"another"}
        assert "abuseipdb.key" in (await service.refresh_now())["status"]["warning"]
        world.fake.keys = {world.fake.key}
        world.fake.payment_required.add("blacklist")
        world.advance(RETRY_FIRST)
        assert "paid plan" in (await service.refresh_now())["status"]["warning"]
        await stop(service)

    run(go)


def test_the_plan_limit_holds_across_restarts(world: World) -> None:
    limited = replace(CONFIG, daily_limits=MappingProxyType({**FREE_PLAN, "blacklist": 2}))
    world.fake.fault("blacklist", Fault.error(500), Fault.error(502), Fault.error(503))

    async def first() -> None:
        service = await started(world.service(config=limited))
        task = asyncio.create_task(service.run())
        await until(lambda: world.calls() == 1 and idle(service))
        world.advance(RETRY_FIRST)
        service.wake()
        await until(lambda: world.calls() == 2 and idle(service))
        world.advance(4 * RETRY_FIRST)
        service.wake()
        await asyncio.sleep(0.2)
        assert world.calls() == 2  # the day's 2 attempts are used
        assert (await service.refresh_now())["refused"] == "daily_limit"
        await stop(service, task)

    async def second() -> None:
        service = await started(world.service(config=limited))
        task = asyncio.create_task(service.run())
        await asyncio.sleep(0.2)
        assert world.calls() == 2  # a restart did not download early
        assert service.status()["downloads_today"] == 2
        world.advance(world.fake.reset_at() + RESET_MARGIN - world.clock.at)
        service.wake()
        await until(lambda: world.calls() == 3 and idle(service))  # the third fault: next day
        world.advance(4 * RETRY_FIRST)  # the third failure in a row: 1 h
        service.wake()
        # idle: the success is saved too (the size shows before the schedule is written)
        await until(lambda: service.status()["size"] == {"v4": 2, "v6": 2} and idle(service))
        assert world.calls() == 4
        await stop(service, task)

    run(first)
    run(second)
    saved = json.loads((world.state / "abuseipdb-blocklist.state.json").read_text())
    assert saved["failures"] == 0
    assert saved["attempts"] == 2


def test_a_success_is_not_repeated_after_a_restart(world: World) -> None:
    async def go() -> None:
        first = await started(world.service())
        assert (await first.refresh_now())["done"]
        await stop(first)
        world.advance(3600)
        service = await started(world.service())
        task = asyncio.create_task(service.run())
        await asyncio.sleep(0.2)
        assert world.calls() == 1
        world.advance(86400 - 3600)
        service.wake()
        await until(lambda: world.calls() == 2)
        await stop(service, task)

    run(go)


def test_status_and_metrics(world: World) -> None:
    async def go() -> BlocklistService:
        service = await started(world.service())
        before = {s.name for s in service.samples()}
        assert before == {
            "rempart_abuseipdb_blocklist_size",
            "rempart_abuseipdb_blocklist_download_failures_total",
        }
        assert (await service.refresh_now())["done"]
        await stop(service)
        return service

    service = run(go)
    world.advance(100)
    samples = {(s.name, s.labels): s.value for s in service.samples()}
    assert samples == {
        ("rempart_abuseipdb_blocklist_size", (("version", "4"),)): 2,
        ("rempart_abuseipdb_blocklist_size", (("version", "6"),)): 2,
        ("rempart_abuseipdb_blocklist_age_seconds", ()): 3700,
        ("rempart_abuseipdb_blocklist_last_success_timestamp_seconds", ()): FAKE_T0,
        ("rempart_abuseipdb_blocklist_download_failures_total", ()): 0,
    }
    json.dumps(service.status())  # JSON-ready


def test_disabled_does_nothing(world: World) -> None:
    async def go() -> dict[str, Any]:
        service = await started(world.service(config=replace(CONFIG, enabled=False)))
        await service.run()  # returns at once
        result = await service.refresh_now()
        await stop(service)
        return result

    assert run(go)["refused"] == "disabled"
    assert world.calls() == 0


def test_a_corrupt_saved_list_is_ignored_with_a_warning(world: World) -> None:
    world.state.mkdir()
    (world.state / "abuseipdb-blocklist.txt").write_text("garbage\n")

    async def go() -> bool:
        service = await started(world.service())
        done = bool((await service.refresh_now())["done"])
        await stop(service)
        return done

    assert run(go)
    assert "Fix: delete the file" in world.caplog.text
    assert world.held() == EXPECTED_A


def test_protected_networks_and_judge() -> None:
    jail = JailConfig("sshd", "sshd", ignoreip=(ip_network("192.0.2.0/24"),))
    config = Config(
        Path("/x"),
        jails=MappingProxyType({"sshd": jail}),
        defaults=JailConfig("", "", ignoreip=(ip_network("2001:db8::/32"),)),
    )
    own: Sequence[Address] = [IPv4Address("198.51.100.7"), IPv6Address("2001:db8::1")]
    allowed: Sequence[Network] = [ip_network("203.0.113.0/24"), ip_network("192.0.2.0/24")]
    assert protected_networks(config, own, allowed) == [
        ip_network("127.0.0.0/8"),
        ip_network("::1/128"),
        ip_network("2001:db8::/32"),
        ip_network("192.0.2.0/24"),
        ip_network("198.51.100.7/32"),
        ip_network("2001:db8::1/128"),
        ip_network("203.0.113.0/24"),
    ]
    from rempart.guard.blocklist import ParseStats

    assert judge(ParseStats(lines=1000, entries=990, invalid=10)) is None
    assert judge(ParseStats(lines=100, entries=89, invalid=11)) is not None
    assert judge(ParseStats(lines=0)) is not None


# ------------------------------------------------------------------ real nftables


@pytest.fixture(scope="module")
def ns() -> Iterator[Namespace]:
    with namespace("blsvc") as ns:
        yield ns


def kernel(ns: Namespace) -> set[Address]:
    out: set[Address] = set()
    for name in ("blocklist_v4", "blocklist_v6"):
        text = ns.run("nft", "-j", "list", "set", "inet", "rempart", name).stdout
        (body,) = [i["set"] for i in json.loads(text)["nftables"] if "set" in i]
        out |= {ip_address(e) for e in body.get("elem", ())}
    return out


@pytest.mark.system
@pytest.mark.parametrize("kind", RUNNERS)
def test_the_sets_hold_exactly_the_list_after_each_import(
    world: World, ns: Namespace, kind: str
) -> None:
    ns.run("nft", "flush", "ruleset")
    firewall = NftablesFirewall(runner_in(ns, kind))

    async def go() -> None:
        service = await started(world.service(firewall))
        assert (await service.refresh_now())["done"]
        assert kernel(ns) == EXPECTED_A
        world.fake.blacklist_addresses = LIST_B
        world.fake.fault("blacklist", Fault.error(500))
        world.advance(60)
        assert not (await service.refresh_now())["done"]
        assert kernel(ns) == EXPECTED_A  # the last good list, still in force
        world.advance(RETRY_FIRST)
        assert (await service.refresh_now())["done"]
        assert kernel(ns) == EXPECTED_B
        await stop(service)
        # a restart: the sets are loaded again from the saved list
        firewall.setup(LAYOUT)
        ns.run("nft", "flush", "set", "inet", "rempart", "blocklist_v4")
        await stop(await started(world.service(firewall)))
        assert kernel(ns) == EXPECTED_B
        assert world.calls() == 3

    try:
        firewall.setup(LAYOUT)
        run(go)
    finally:
        firewall.close()
