"""Runner that starts ``nft -j -f -`` once per batch (argv list, never a shell)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rempart.adapters.firewall.runner import decode_output, encode_batch, nft_error
from rempart.errors import FirewallError

__all__ = ["NftCommand"]


def _resolve(program: str) -> str:
    """``nft`` lives in /usr/sbin, which a user's PATH may not hold."""
    if "/" in program:
        return program
    found = shutil.which(program)
    if found:
        return found
    sbin = Path("/usr/sbin") / program
    return str(sbin) if sbin.exists() else program


class NftCommand:
    """Runs each batch as ``ARGV -j [-t] -f -`` with the JSON document on stdin.

    ``argv`` is the command that runs nft: ``("nft",)``, or in tests
    ``("ip", "netns", "exec", NAME, "nft")``. One process per batch costs about 2 ms
    (fork, exec, cache), so this suits batches; :class:`LibNftables` suits single bans.
    """

    def __init__(self, argv: Sequence[str] = ("nft",), *, timeout: float = 60.0) -> None:
        if not argv:
            raise ValueError("argv is empty")
        self._argv = [_resolve(argv[0]), *argv[1:]]
        self._timeout = timeout

    @property
    def detail(self) -> str:
        return "nft command: " + " ".join(self._argv)

    def run(self, commands: Sequence[dict[str, Any]], *, terse: bool = False) -> list[Any]:
        action = next(iter(commands[0]), "run") if commands else "run"
        argv = [*self._argv, "-j", *(["-t"] if terse else []), "-f", "-"]
        done = self._spawn(argv, encode_batch(commands))
        if done.returncode != 0:
            raise nft_error(action, done.stderr or done.stdout or f"exit {done.returncode}")
        return decode_output(done.stdout, action)

    def run_text(self, text: str) -> None:
        """``ARGV -f -`` with ``text`` on stdin: one transaction."""
        done = self._spawn([*self._argv, "-f", "-"], text)
        if done.returncode != 0:
            raise nft_error(
                "load", (done.stderr or done.stdout)[:4000] or f"exit {done.returncode}"
            )

    def _spawn(self, argv: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(  # noqa: S603 - argv list, no shell
                argv,
                input=stdin,
                capture_output=True,
                text=True,
                timeout=self._timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise FirewallError("firewall.missing_program", program=self._argv[0]) from exc
        except PermissionError as exc:
            raise FirewallError("firewall.permission", error=str(exc)) from exc
        except subprocess.TimeoutExpired as exc:
            raise FirewallError(
                "firewall.timeout", program=self._argv[0], timeout=self._timeout
            ) from exc

    def close(self) -> None:
        """Nothing to release: every batch is its own process."""
