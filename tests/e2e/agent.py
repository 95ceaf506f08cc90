"""The rempart agent under test, run for real inside the victim namespace (part D).

:func:`write_config` writes the association's sshd rule (maxretry 5, findtime 10m,
``sshd[mode=aggressive]``) on the test ports, with a short bantime and one file source.
:class:`Agent` starts ``rempart agent --config CFG --firewall nftables --socket SOCK
--state-dir DIR`` through ``ip netns exec VICTIM``, kills it (``kill -9``) or stops it
(SIGTERM, exit 0), and asks it for its bans with ``rempart bans --json --socket SOCK``.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.sshd import wait_until
from tests.netns import Namespace

__all__ = ["Agent", "agent_available", "rempart_argv", "write_config"]

_CONFIG = """\
# e2e: the association's rule (rempart/config/default.toml) with a short bantime
[rempart]
state_dir = "{state_dir}"

[defaults]
maxretry = {maxretry}
findtime = "{findtime}"
bantime = "{bantime}s"
ignoreip = ["127.0.0.0/8", "::1"]

[jails.sshd]
filter = "sshd[mode=aggressive]"
ports = [{ports}]

[[jails.sshd.sources]]
type = "file"
path = "{log}"
"""


def write_config(
    path: Path,
    *,
    log: Path,
    state_dir: Path,
    bantime: float,
    ports: Sequence[int] = (22, 2200),
    maxretry: int = 5,
    findtime: str = "10m",
) -> Path:
    """A rempart TOML configuration with one sshd jail following ``log``."""
    text = _CONFIG.format(
        state_dir=state_dir,
        maxretry=maxretry,
        findtime=findtime,
        bantime=int(bantime),
        ports=", ".join(str(p) for p in ports),
        log=log,
    )
    path.write_text(text, encoding="utf-8")
    return path


def rempart_argv(*args: str) -> list[str]:
    """``.venv/bin/rempart ARGS`` (the script next to this interpreter), else ``-m rempart``."""
    script = Path(sys.executable).with_name("rempart")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "rempart", *args]


def agent_available() -> bool:
    """Whether this checkout has ``rempart agent`` (part D)."""
    result = subprocess.run(
        rempart_argv("agent", "--help"), check=False, capture_output=True, timeout=60
    )
    return result.returncode == 0


@dataclass
class Agent:
    """One agent's files, and its process while it runs."""

    ns: Namespace
    config: Path
    socket: Path
    state_dir: Path
    stderr: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def argv(self) -> list[str]:
        return self.ns.argv(
            *rempart_argv(
                "agent",
                "--config",
                str(self.config),
                "--firewall",
                "nftables",
                "--socket",
                str(self.socket),
                "--state-dir",
                str(self.state_dir),
                "--log-level",
                "info",
            )
        )

    def start(self, timeout: float = 20.0) -> None:
        """Starts the agent and waits until it answers on its socket."""
        assert self.process is None or self.process.poll() is not None
        self.starts += 1
        with self.stderr.open("ab") as err:
            err.write(f"--- start {self.starts} at {time.time():.3f}\n".encode())
            err.flush()
            self.process = subprocess.Popen(
                self.argv(), stdin=subprocess.DEVNULL, stdout=err, stderr=err
            )
        if not wait_until(self._answers, timeout, interval=0.05):
            raise AssertionError(f"the agent does not answer after {timeout} s:\n{self.log()}")

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"the agent exited ({self.process.returncode}):\n{self.log()}")
        if not self.socket.exists():
            return False
        result = subprocess.run(
            rempart_argv("status", "--socket", str(self.socket)),
            check=False,
            capture_output=True,
            timeout=30,
        )
        return result.returncode == 0

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        """SIGTERM; the exit code (0 expected)."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process is not None else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"the agent ignored SIGTERM for 15 s:\n{self.log()}") from None

    def bans(self) -> list[dict[str, Any]]:
        """``rempart bans --json --socket SOCK``."""
        result = subprocess.run(
            rempart_argv("bans", "--json", "--socket", str(self.socket)),
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if result.returncode != 0:
            raise AssertionError(f"rempart bans failed: {result.stderr}\n{self.log()}")
        bans = json.loads(result.stdout)
        assert isinstance(bans, list)
        return bans

    def history(self, address: str) -> list[dict[str, Any]]:
        """``rempart history ADDRESS --json --socket SOCK``."""
        result = subprocess.run(
            rempart_argv("history", address, "--json", "--socket", str(self.socket)),
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if result.returncode != 0:
            raise AssertionError(f"rempart history failed: {result.stderr}\n{self.log()}")
        history = json.loads(result.stdout)
        assert isinstance(history, list)
        return history

    def banned_addresses(self) -> set[str]:
        return {str(ban["address"]) for ban in self.bans()}

    def log(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")
