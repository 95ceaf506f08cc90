"""The agent with AbuseIPDB on, in-process, against the local fake AbuseIPDB server.

A real log file and state database, the dry-run firewall (nftables itself is exercised
in namespaces by tests/adapters/test_nftables_blocklist.py and the bench), the control
commands behind ``rempart abuseipdb status|check|flush``, and restarts: the blocklist is
not downloaded again early, a ban is reported once, restored bans never.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import tomllib
from datetime import UTC
from ipaddress import ip_address
from pathlib import Path

import pytest

from rempart.adapters.firewall import open_firewall
from rempart.adapters.firewall.dryrun import DryRunFirewall
from rempart.adapters.firewall.nftables import NftablesFirewall
from rempart.cli.abuseipdb_cmd import print_abuse_status, print_check, print_flush
from rempart.clock import SystemClock
from rempart.config import build_config
from rempart.errors import AbuseIPDBError
from rempart.services.agent import Agent, AgentOptions
from rempart.services.agent_control import AgentControl
from tests.adapters.nft import runner_in
from tests.e2e.sshd import nft_set_addresses
from tests.fakes.abuseipdb import FakeAbuseIPDB
from tests.integration.agent_harness import running, until
from tests.netns import Namespace, namespace, need_netns

LOG = logging.getLogger("rempart.test.abuseipdb")

ATTACKER = "45.155.205.10"  # a global address: it may be reported
OTHER = "45.155.205.11"
LISTED = ["203.0.113.9", "45.9.148.1", "45.9.148.2", "2a0e:97c0:3e3::1", "192.0.2.10", "45.9.148.3"]
# 203.0.113.9 and 192.0.2.10 are documentation ranges (not global); 45.9.148.2 is in
# ignoreip; 45.9.148.3 is allowed by hand during the test
IN_FORCE = {"45.9.148.1", "2a0e:97c0:3e3::1"}


def _options(tmp: Path, log: Path, fake: FakeAbuseIPDB, key_ref: str) -> AgentOptions:
    text = f"""
[rempart]
state_dir = "{tmp / "state"}"
[defaults]
ignoreip = ["127.0.0.0/8", "::1", "45.9.148.2"]
[jails.sshd]
filter = "sshd"
ports = [22, 2200]
maxretry = 3
[[jails.sshd.sources]]
type = "file"
path = "{log}"
[abuseipdb]
enabled = true
key = "{key_ref}"
url = "{fake.url}"
timeout = "5s"
hide = ["chatons.example.org"]
[abuseipdb.report]
categories = {{ sshd = [18, 22] }}
"""
    config = build_config(tomllib.loads(text), tmp / "rempart.toml")
    return AgentOptions(config=config, firewall="dry-run", socket=None)


def _key_file(tmp: Path, key: str) -> str:
    path = tmp / "abuseipdb.key"
    path.write_text(key + "\n")
    os.chmod(path, 0o600)
    return f"file:{path}"


def _failed(address: str, user: str) -> str:
    return f"Failed password for invalid user {user} from {address} port 4444 ssh2\n"


def _texts(firewall: DryRunFirewall) -> set[str]:
    v4, v6 = firewall.blocklist()
    return {*v4.texts(), *v6.texts()}


async def _scenario(tmp: Path, fake: FakeAbuseIPDB) -> None:
    log = tmp / "auth.log"
    log.write_text("")
    options = _options(tmp, log, fake, _key_file(tmp, fake.key))
    firewall = open_firewall("dry-run", log=LOG)
    assert isinstance(firewall, DryRunFirewall)
    async with running(options, firewall, LOG) as agent:
        control = AgentControl(agent)
        # the blocklist: downloaded at start (no last good list yet), protected ones out
        assert await until(lambda: _texts(firewall) >= IN_FORCE)
        assert _texts(firewall) == IN_FORCE | {"45.9.148.3"}
        abuse = agent.abuse
        assert abuse is not None
        # allowed by hand: the allow set wins at once (its `return` comes before the
        # blocklist's drop), and the next load of the list leaves the address out
        await control.allow("45.9.148.3", None, "test")
        now = SystemClock().now()
        assert any(
            e.jail == "" and str(e.target) == "45.9.148.3/32" for e in firewall.elements(now)
        )
        await abuse.reload_blocklist()
        assert _texts(firewall) == IN_FORCE
        # the machine gets new addresses: the list is loaded again only when it lists one
        before = firewall.blocklist()
        agent.protection.local |= {ip_address("10.9.8.7")}
        await abuse.new_own(frozenset({ip_address("10.9.8.7")}))
        assert firewall.blocklist() is before
        agent.protection.local |= {ip_address("45.9.148.1")}
        await abuse.new_own(frozenset({ip_address("45.9.148.1")}))
        assert _texts(firewall) == IN_FORCE - {"45.9.148.1"}
        agent.protection.local -= {ip_address("45.9.148.1")}
        await abuse.reload_blocklist()
        assert _texts(firewall) == IN_FORCE
        # a brute force with a hostile user name: banned, then reported once
        with log.open("a") as f:
            f.writelines(_failed(ATTACKER, f"chatons.example.org-{OTHER}") for _ in range(3))
        assert await until(lambda: len(fake.reports) == 1), fake.requests[-3:]
        (report,) = fake.reports
        assert report.ip == ATTACKER
        assert report.categories == (18, 22)
        assert "chatons.example.org" not in report.comment
        assert OTHER not in report.comment
        assert len(report.comment.encode()) <= 1024
        # a ban by hand is never reported
        await control.ban(OTHER, "sshd", None, "test")
        status = await control.abuseipdb_status()
        assert status["problem"] is None
        assert status["blocklist"]["size"] == {"v4": 1, "v6": 1}
        assert status["reports"]["queue"]["queued"] == 0
        for lang in ("en", "fr"):
            out = io.StringIO()
            print_abuse_status(status, lang, UTC, SystemClock().now(), out)
            shown = out.getvalue()
            assert ("2 addresses in force" if lang == "en" else "2 adresses bloquées") in shown
            assert ("report" if lang == "en" else "point d'accès") in shown  # the quota table
        checked = await control.abuseipdb_check(ATTACKER, 30, True)
        assert checked["outcome"] == "ok"
        out = io.StringIO()
        print_check(checked, "fr", UTC, out)
        assert ATTACKER in out.getvalue()
        flushed = await control.abuseipdb_flush()
        assert flushed["queue"]["queued"] == 0
        out = io.StringIO()
        print_flush(flushed, "en", UTC, out)
        assert out.getvalue().startswith("Sent now: nothing was due\nStill queued: 0\n")
        everything = await control.status()
        names = {m["name"] for m in everything["metrics"]}
        assert "rempart_abuseipdb_blocklist_size" in names
        assert "rempart_abuseipdb_reports_total" in names
    downloads = fake.calls("blacklist")
    # restart: the ban is restored (not reported again), the list not downloaded again
    async with running(options, firewall, LOG) as agent:
        assert await until(lambda: _texts(firewall) == IN_FORCE)
        await asyncio.sleep(0.5)
        assert len(fake.reports) == 1
        assert fake.calls("blacklist") == downloads
        with log.open("a") as f:  # a new ban of another address is reported
            f.writelines(_failed("45.155.205.12", "admin") for _ in range(3))
        assert await until(lambda: len(fake.reports) == 2)
    assert [r.ip for r in fake.reports] == [ATTACKER, "45.155.205.12"]


def test_agent_blocklist_and_reports_across_a_restart(tmp_path: Path) -> None:
    with FakeAbuseIPDB(blacklist_addresses=LISTED) as fake:
        asyncio.run(_scenario(tmp_path, fake))


async def _without_key(tmp: Path, fake: FakeAbuseIPDB) -> None:
    log = tmp / "auth.log"
    log.write_text("")
    options = _options(tmp, log, fake, f"file:{tmp / 'missing.key'}")
    firewall = open_firewall("dry-run", log=LOG)
    assert isinstance(firewall, DryRunFirewall)
    async with running(options, firewall, LOG) as agent:
        control = AgentControl(agent)
        status = await control.abuseipdb_status()
        assert "missing.key" in status["problem"]
        assert "missing.key" in status["problem_fr"]
        out = io.StringIO()
        print_abuse_status(status, "en", UTC, SystemClock().now(), out)
        assert "NOT IN USE" in out.getvalue()
        with pytest.raises(AbuseIPDBError):
            await control.abuseipdb_flush()
        with log.open("a") as f:  # protection goes on without AbuseIPDB
            f.writelines(_failed(ATTACKER, "root") for _ in range(3))
        assert await until(
            lambda: any(e.jail == "sshd" for e in firewall.elements(SystemClock().now()))
        )
    assert fake.requests == []


def test_agent_without_a_key_still_bans_and_says_why(tmp_path: Path) -> None:
    with FakeAbuseIPDB(blacklist_addresses=LISTED) as fake:
        asyncio.run(_without_key(tmp_path, fake))


async def _drift(tmp: Path, fake: FakeAbuseIPDB, firewall: NftablesFirewall, ns: Namespace) -> None:
    log = tmp / "auth.log"
    log.write_text("")
    options = _options(tmp, log, fake, _key_file(tmp, fake.key))
    agent = Agent(options, clock=SystemClock(), log=LOG, firewall=firewall)
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    try:

        def listed() -> set[str]:
            v4 = nft_set_addresses(ns, "blocklist_v4") or set()
            return v4 | (nft_set_addresses(ns, "blocklist_v6") or set())

        assert await until(lambda: listed() == IN_FORCE | {"45.9.148.3"}, 10)
        assert await until(lambda: bool(agent._lanes) and agent._lanes[0].source is not None)
        await asyncio.sleep(0.1)
        with log.open("a") as f:
            f.writelines(_failed(ATTACKER, "root") for _ in range(3))
        assert await until(lambda: ATTACKER in (nft_set_addresses(ns, "sshd_v4") or set()))
        ns.run("nft", "flush", "ruleset")  # someone restarts nftables
        assert listed() == set()
        agent._reconcile_now()  # what the agent does every minute
        assert await until(lambda: ATTACKER in (nft_set_addresses(ns, "sshd_v4") or set()))
        assert await until(lambda: listed() == IN_FORCE | {"45.9.148.3"}, 10)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


@pytest.mark.system
def test_agent_puts_bans_and_blocklist_back_after_a_flushed_ruleset(tmp_path: Path) -> None:
    need_netns()
    with (
        namespace("abdrift") as ns,
        FakeAbuseIPDB(blacklist_addresses=LISTED) as fake,
    ):
        firewall = NftablesFirewall(runner_in(ns, "nft-command"))
        try:
            asyncio.run(_drift(tmp_path, fake, firewall, ns))
        finally:
            firewall.close()
