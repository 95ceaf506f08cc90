"""A real agent for the bans page's tests: in a thread of its own, with its control socket,
a file source and the dry-run firewall (tests/browser/test_bans_e2e.py runs one in a
network namespace with nftables)."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rempart.adapters.control import ControlClient
from rempart.adapters.firewall import open_firewall
from rempart.clock import SystemClock
from rempart.config import build_config
from rempart.services.agent import Agent, AgentOptions

__all__ = ["HOSTILE_USERS", "RunningAgent", "agent_thread", "hostile_lines"]

LOG = logging.getLogger("rempart.test.bans")

# user names an attacker chooses: markup, quotes, and a very long one
HOSTILE_USERS = (
    "<script>alert(1)</script>",
    'x" onmouseover="alert(2)\' <img src=x onerror=alert(3)>',
    "A" * 5000,
)


def hostile_lines(address: str) -> list[str]:
    """sshd lines (``sshd -E`` form) of failed logins from ``address`` with hostile names."""
    return [
        f"Invalid user {user} from {address} port {4000 + i}\r\n"
        for i, user in enumerate(HOSTILE_USERS)
    ]


def config_text(state: Path, log: Path) -> str:
    return f"""
[rempart]
state_dir = "{state}"
[jails.sshd]
filter = "sshd"
ports = [22]
maxretry = 3
findtime = "10m"
bantime = "1h"
[[jails.sshd.sources]]
type = "file"
path = "{log}"
"""


@dataclass
class RunningAgent:
    socket: Path
    log: Path
    agent: Agent

    def call(self, command: str, **args: Any) -> Any:
        return ControlClient(self.socket, timeout=10).call(command, **args)

    def append(self, *lines: str) -> None:
        with self.log.open("a", encoding="utf-8") as f:
            f.write("".join(lines))

    def wait_banned(self, address: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(b["address"] == address for b in self.call("bans")):
                return
            time.sleep(0.05)
        raise AssertionError(f"{address} was not banned within {timeout} s")


@contextmanager
def agent_thread(tmp_path: Path) -> Iterator[RunningAgent]:
    """The agent running (every source open) until the block ends."""
    short = Path(tempfile.mkdtemp(prefix="rp-bans-"))  # AF_UNIX paths are short
    log = tmp_path / "auth.log"
    log.write_text("", encoding="utf-8")
    config = build_config(
        tomllib.loads(config_text(tmp_path / "state", log)), tmp_path / "rempart.toml"
    )
    options = AgentOptions(config=config, firewall="dry-run", socket=short / "agent.sock")
    agent = Agent(options, clock=SystemClock(), log=LOG, firewall=open_firewall("dry-run", log=LOG))
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(target=loop.run_until_complete, args=(agent.run(stop),))
    thread.start()
    try:
        running = RunningAgent(short / "agent.sock", log, agent)
        deadline = time.monotonic() + 20
        while True:
            try:
                running.call("status")
                break
            except Exception:
                if time.monotonic() > deadline or not thread.is_alive():
                    raise
                time.sleep(0.05)
        time.sleep(0.2)  # the file source opened
        yield running
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(20)
        loop.close()
        for path in short.iterdir():
            path.unlink()
        short.rmdir()
