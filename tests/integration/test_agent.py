"""The agent in-process: a real log file, a real state database, the dry-run firewall.

The firewall object is kept across "restarts" so that the restore's reconcile with what
the kernel (here: the dry-run backend) still holds can be checked. nftables itself is
exercised by tests/adapters (namespaces) and tests/e2e (a real sshd).
"""

from __future__ import annotations

import asyncio
import logging
import tomllib
from pathlib import Path

import pytest

from rempart.adapters.firewall import Firewall, open_firewall
from rempart.addresses import parse_address
from rempart.clock import SystemClock
from rempart.config import build_config
from rempart.errors import UsageError
from rempart.services.agent import AgentOptions
from rempart.services.agent_control import AgentControl
from tests.integration.agent_harness import running, until

LOG = logging.getLogger("rempart.test")


def _config(tmp: Path, log: Path, **extra: str) -> AgentOptions:
    keys = "\n".join(f"{k} = {v}" for k, v in extra.items())
    text = f"""
[rempart]
state_dir = "{tmp / "state"}"
{keys}
[jails.sshd]
filter = "sshd"
ports = [22, 2200]
maxretry = 3
findtime = "10m"
bantime = "15m"
[[jails.sshd.sources]]
type = "file"
path = "{log}"
"""
    config = build_config(tomllib.loads(text), tmp / "rempart.toml")
    return AgentOptions(config=config, firewall="dry-run", socket=None)


def _failed(address: str, user: str = "root") -> str:
    return f"Failed password for {user} from {address} port 4444 ssh2\r\n"


def _banned(firewall: Firewall, address: str) -> bool:
    wanted = parse_address(address)
    return any(e.jail and wanted in e.target for e in firewall.elements(SystemClock().now()))


def _append(path: Path, *lines: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write("".join(lines))


@pytest.fixture
def firewall() -> Firewall:
    return open_firewall("dry-run", log=LOG)


async def _bans_after_maxretry_and_restores_after_restart(
    tmp_path: Path, firewall: Firewall
) -> None:
    log = tmp_path / "auth.log"
    log.write_text("")
    options = _config(tmp_path, log)
    async with running(options, firewall, LOG) as agent:
        _append(log, _failed("192.0.2.7"), _failed("192.0.2.7"))
        await asyncio.sleep(0.3)
        assert not _banned(firewall, "192.0.2.7")
        _append(log, _failed("192.0.2.7"), _failed("198.51.100.1"))
        assert await until(lambda: _banned(firewall, "192.0.2.7"))
        assert not _banned(firewall, "198.51.100.1")
        control = AgentControl(agent)
        assert await until(lambda: agent.writer.errors == 0)
        bans = await control.bans(None)
        assert [(b["jail"], b["address"]) for b in bans] == [("sshd", "192.0.2.7")]
        status = await control.status()
        assert status["jails"]["sshd"]["bans"] == 1
        assert status["jails"]["sshd"]["failures"] == 4
        # two failures of 198.51.100.1 survive the restart in the saved windows
        _append(log, _failed("198.51.100.1"))
        await asyncio.sleep(0.3)
    async with running(options, firewall, LOG) as agent:
        assert _banned(firewall, "192.0.2.7")
        _append(log, _failed("198.51.100.1"))
        assert await until(lambda: _banned(firewall, "198.51.100.1"))
        history = await AgentControl(agent).history("192.0.2.7", 10)
        assert history[0]["evidence"]
        assert "192.0.2.7" in history[0]["evidence"][-1]


async def _never_bans_who_logged_in_nor_a_forged_address(
    tmp_path: Path, firewall: Firewall
) -> None:
    log = tmp_path / "auth.log"
    log.write_text("")
    async with running(_config(tmp_path, log), firewall, LOG) as agent:
        _append(log, "Accepted password for bob from 192.0.2.8 port 1 ssh2\r\n")
        hostile = "x from 203.0.113.5 port 22 ssh2"
        _append(log, *[_failed("192.0.2.8")] * 3)
        _append(log, *[_failed("192.0.2.9", f"invalid user {hostile}")] * 3)
        assert await until(lambda: _banned(firewall, "192.0.2.9"))
        assert not _banned(firewall, "192.0.2.8")
        assert not _banned(firewall, "203.0.113.5")
        assert agent.metrics.jails["sshd"].spared == 1


async def _manual_ban_unban_allow(tmp_path: Path, firewall: Firewall) -> None:
    log = tmp_path / "auth.log"
    log.write_text("")
    async with running(_config(tmp_path, log), firewall, LOG) as agent:
        control = AgentControl(agent)
        result = await control.ban("192.0.2.50", "sshd", 3600.0, "uid=0(root)")
        assert result["target"] == "192.0.2.50/32"
        assert _banned(firewall, "192.0.2.50")
        lifted = await control.unban("192.0.2.50", None, "uid=0(root)")
        assert lifted["lifted"] == [{"jail": "sshd", "target": "192.0.2.50/32"}]
        assert not _banned(firewall, "192.0.2.50")
        assert await control.allow("192.0.2.60", None, "uid=0(root)") == {
            "target": "192.0.2.60/32",
            "until": None,
        }
        # a manual ban goes through the never-banned rules too
        for protected in ("192.0.2.60", "127.0.0.1"):
            with pytest.raises(UsageError, match="never banned"):
                await control.ban(protected, "sshd", None, "uid=0(root)")
            assert not _banned(firewall, protected)
        _append(log, *[_failed("192.0.2.60")] * 3)
        await asyncio.sleep(0.3)
        assert not _banned(firewall, "192.0.2.60")
        assert agent.metrics.jails["sshd"].spared == 1


def test_bans_after_maxretry_and_restores_after_restart(tmp_path: Path, firewall: Firewall) -> None:
    asyncio.run(_bans_after_maxretry_and_restores_after_restart(tmp_path, firewall))


def test_never_bans_who_logged_in_nor_a_forged_address(tmp_path: Path, firewall: Firewall) -> None:
    asyncio.run(_never_bans_who_logged_in_nor_a_forged_address(tmp_path, firewall))


def test_manual_ban_unban_allow(tmp_path: Path, firewall: Firewall) -> None:
    asyncio.run(_manual_ban_unban_allow(tmp_path, firewall))
