"""A real OpenSSH sshd under attack, inside two test network namespaces.

:func:`sshd_lab` builds namespaces "victim" and "attacker" joined by a veth that exists
only inside them (v4 + v6, no DAD). The attacker holds two addresses per family: the
attacker's own and a second client's (which must stay unaffected by the attacker's ban).
A real ``/usr/sbin/sshd -D -E LOG -f CFG`` listens in the victim on ports 22 and 2200,
with an ephemeral host key, a private ``sshd_config`` (LogLevel VERBOSE, UsePAM yes) and a
test user with a known password. The user lives in private copies of passwd/shadow/group
that ``sshd_launch.py`` bind-mounts in the victim's private mount namespace: the host's
user database, ``/etc/ssh`` and sshd are never used or changed. The one host-visible side
effect is ``/run/sshd`` (created when missing and left in place: removing it could break
another sshd; see shared notes, netns-e2e.md pitfall 1).

Attack helpers run real clients in the attacker namespace, argv lists only:
:func:`attack` (sshpass + ssh, one password try per connection, all in parallel to beat the
2 s PAM delay) and :func:`probe`/:func:`can_connect` (a Python TCP connect from a chosen
source address).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import need_program
from tests.netns import Namespace, namespace, need_netns, veth_pair

__all__ = [
    "ATTACKER_V4",
    "ATTACKER_V6",
    "HOSTILE_USER",
    "PASSWORD",
    "PORTS",
    "SECOND_V4",
    "SECOND_V6",
    "SSHD",
    "USER",
    "VICTIM_V4",
    "VICTIM_V6",
    "Attempt",
    "SshdLab",
    "Try",
    "attack",
    "can_connect",
    "nft_set_addresses",
    "parse_set_elements",
    "probe",
    "sshd_lab",
    "wait_until",
]

SSHD = "/usr/sbin/sshd"  # absolute: sshd re-execs itself per connection (pitfall 3)
VICTIM_V4, ATTACKER_V4, SECOND_V4 = "10.203.0.1", "10.203.0.2", "10.203.0.3"
VICTIM_V6, ATTACKER_V6, SECOND_V6 = "fd03:203::1", "fd03:203::2", "fd03:203::3"
PORTS = (22, 2200)
_CLOSED = 9  # nothing listens there
USER = "rp-e2e"
PASSWORD = "rp-e2e-right-pw"  # the throw-away test user's, in private copies only
# openssl passwd -6 -salt rempartE2E rp-e2e-right-pw
_PASSWORD_HASH = (
    "$6$rempartE2E$UBx2ojzz.sjm2ViX57lGdoRBdjiHz4g.795DRq3coIjbu2qiaiVdlxvv66LQTEZg."
    "68pDCucpD9BWM6qnnqQz1"
)
WRONG_PASSWORD = "not-the-password"
_UID = 64203
# A user name that carries the second client's address: a naive filter would blame it.
HOSTILE_USER = f"x from {SECOND_V4} port 22 ssh2"

_LAUNCHER = Path(__file__).with_name("sshd_launch.py")
_SSHD_CONFIG = """\
Port 22
Port 2200
ListenAddress {v4}
ListenAddress {v6}
HostKey {key}
PidFile none
LogLevel VERBOSE
UsePAM yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
AuthorizedKeysFile none
PermitRootLogin no
MaxAuthTries 3
LoginGraceTime 6
MaxStartups 200
UseDNS no
"""
_PROBE = """\
import socket, sys
address, port, timeout, source = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
family = socket.AF_INET6 if ":" in address else socket.AF_INET
s = socket.socket(family, socket.SOCK_STREAM)
s.settimeout(timeout)
try:
    if source:
        s.bind((source, 0))
    s.connect((address, port))
    print("open")
except TimeoutError:
    print("timeout")
except ConnectionRefusedError:
    print("refused")
except OSError as exc:
    print("error " + str(exc.errno))
finally:
    s.close()
"""


@dataclass(frozen=True)
class SshdLab:
    """The running lab: namespaces, work directory, sshd's log and process."""

    victim: Namespace
    attacker: Namespace
    work: Path
    log: Path
    sshd: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log.read_bytes().decode("utf-8", "replace")

    def log_lines(self) -> list[str]:
        """sshd's lines without their ``\\r\\n`` ends (``sshd -E`` writes CRLF)."""
        return [line.removesuffix("\r") for line in self.log_text().split("\n") if line]

    def wait_log(self, pattern: str, count: int, timeout: float = 15.0) -> list[str]:
        """The log lines matching ``pattern`` once there are at least ``count`` of them."""
        regex = re.compile(pattern)
        found: list[str] = []

        def enough() -> bool:
            nonlocal found
            found = [line for line in self.log_lines() if regex.search(line)]
            return len(found) >= count

        if not wait_until(enough, timeout):
            raise AssertionError(
                f"{len(found)} < {count} sshd log lines match {pattern!r} after {timeout} s;"
                f" log:\n{self.log_text()}"
            )
        return found


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Polls ``condition()`` until it is true (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


# ----------------------------------------------------------------------------- the lab
def _user_db(work: Path) -> list[tuple[Path, str]]:
    """Private copies of passwd/shadow/group with the test user; (copy, target) pairs."""
    entries = {
        "passwd": f"{USER}:x:{_UID}:{_UID}:rempart e2e:/nonexistent:/usr/sbin/nologin\n",
        "shadow": f"{USER}:{_PASSWORD_HASH}:19000:0:99999:7:::\n",
        "group": f"{USER}:x:{_UID}:\n",
    }
    pairs = []
    for name, entry in entries.items():
        original = Path("/etc") / name
        copy = work / name
        text = original.read_text(encoding="utf-8")
        copy.write_text(text + ("" if text.endswith("\n") else "\n") + entry, encoding="utf-8")
        copy.chmod(original.stat().st_mode & 0o777)
        pairs.append((copy, str(original)))
    return pairs


def _write_config(work: Path, victim: Namespace, key: Path, launch: list[str]) -> Path:
    """The private sshd_config, checked with ``sshd -t``; ``PerSourcePenalties no`` when
    this sshd knows it (OpenSSH >= 9.8 would refuse repeat offenders itself)."""
    config = work / "sshd_config"
    base = _SSHD_CONFIG.format(v4=VICTIM_V4, v6=VICTIM_V6, key=key)
    config.write_text(base + "PerSourcePenalties no\n", encoding="utf-8")
    checked = victim.run(*launch, SSHD, "-t", "-f", str(config), check=False)
    if checked.returncode != 0 and "PerSourcePenalties" in checked.stderr:
        config.write_text(base, encoding="utf-8")
        checked = victim.run(*launch, SSHD, "-t", "-f", str(config), check=False)
    if checked.returncode != 0:
        raise AssertionError(f"sshd -t rejects {config}: {checked.stderr}")
    return config


def _start_sshd(work: Path, victim: Namespace) -> tuple[subprocess.Popen[bytes], Path]:
    key = work / "ssh_host_ed25519_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "rempart-e2e", "-f", str(key)],
        check=True,
        timeout=30,
        capture_output=True,
    )
    launch = [sys.executable, "-I", "-S", str(_LAUNCHER)]
    for copy, target in _user_db(work):
        launch += ["--bind", str(copy), target]
    launch.append("--")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # pitfall 1; left in place
    config = _write_config(work, victim, key, launch)
    log = work / "sshd.log"
    log.touch()
    errors = (work / "sshd.stderr").open("wb")
    with errors:
        sshd = subprocess.Popen(
            victim.argv(*launch, SSHD, "-D", "-E", str(log), "-f", str(config)),
            stdin=subprocess.DEVNULL,
            stdout=errors,
            stderr=errors,
        )
    return sshd, log


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@contextlib.contextmanager
def sshd_lab(work: Path) -> Iterator[SshdLab]:
    """The lab, torn down on exit (sshd stopped, every process of both namespaces killed,
    namespaces deleted). ``work`` is an empty private directory (the test's tmp_path)."""
    need_netns()
    for program, package in (
        ("sshd", "openssh-server"),
        ("ssh", "openssh-client"),
        ("ssh-keygen", "openssh-client"),
        ("sshpass", "sshpass"),
        ("mount", "mount"),
    ):
        need_program(program, package)
    work.mkdir(mode=0o700, parents=True, exist_ok=True)
    work.chmod(0o700)
    with namespace("victim") as victim, namespace("attacker") as attacker:
        veth_pair(
            victim,
            attacker,
            [f"{VICTIM_V4}/24", f"{VICTIM_V6}/64"],
            [f"{ATTACKER_V4}/24", f"{SECOND_V4}/24", f"{ATTACKER_V6}/64", f"{SECOND_V6}/64"],
        )
        sshd, log = _start_sshd(work, victim)
        try:
            lab = SshdLab(victim, attacker, work, log, sshd)
            _warm_up(lab)
            _wait_listening(lab)
            yield lab
        finally:
            _stop(sshd)


def _warm_up(lab: SshdLab) -> None:
    """One connection from each attacker address to a closed port (a RST, nothing reaches
    sshd): it settles neighbour discovery, without which the first SYN from a second v6
    address was lost here (1 s more, a false "dropped")."""
    sources = ((VICTIM_V4, ATTACKER_V4), (VICTIM_V4, SECOND_V4))
    sources += ((VICTIM_V6, ATTACKER_V6), (VICTIM_V6, SECOND_V6))
    with ThreadPoolExecutor(len(sources)) as pool:
        outcomes = list(pool.map(lambda c: probe(lab.attacker, c[0], _CLOSED, 5.0, c[1]), sources))
    assert outcomes == ["refused"] * len(sources), outcomes


def _wait_listening(lab: SshdLab) -> None:
    def listening() -> bool:
        if lab.sshd.poll() is not None:
            errors = (lab.work / "sshd.stderr").read_text(encoding="utf-8", errors="replace")
            raise AssertionError(f"sshd exited ({lab.sshd.returncode}): {errors}{lab.log_text()}")
        return lab.log_text().count("Server listening on ") >= 4

    if not wait_until(listening, 10.0):
        raise AssertionError(f"sshd is not listening after 10 s; log:\n{lab.log_text()}")


# ----------------------------------------------------------------------------- attacks
@dataclass(frozen=True)
class Try:
    """One connection that tries one password."""

    source: str
    target: str
    port: int = 22
    user: str = USER
    password: str = WRONG_PASSWORD


@dataclass(frozen=True)
class Attempt:
    attempt: Try
    returncode: int
    stderr: str


def _ssh_argv(attempt: Try) -> list[str]:
    return [
        "sshpass",
        "-e",  # the password from $SSHPASS, not argv
        "ssh",
        "-F",
        "/dev/null",
        "-o",
        "BatchMode=no",
        "-o",
        "NumberOfPasswordPrompts=1",
        "-o",
        "PreferredAuthentications=password",
        "-o",
        "PubkeyAuthentication=no",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "ConnectTimeout=5",
        "-o",
        "LogLevel=ERROR",
        "-b",
        attempt.source,
        "-p",
        str(attempt.port),
        "-l",
        attempt.user,
        attempt.target,
        "true",
    ]


def attack(lab: SshdLab, tries: Sequence[Try], timeout: float = 30.0) -> list[Attempt]:
    """Runs every try at once from the attacker namespace (one sshpass + ssh each) and
    waits for all. A wrong password makes ssh exit 255 (pitfall 11)."""
    processes = []
    for attempt in tries:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SSHPASS": attempt.password}
        processes.append(
            subprocess.Popen(
                lab.attacker.argv(*_ssh_argv(attempt)),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
            )
        )
    deadline = time.monotonic() + timeout
    results = []
    for attempt, process in zip(tries, processes, strict=True):
        try:
            _out, err = process.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            _out, err = process.communicate()
        results.append(Attempt(attempt, process.returncode, err.decode("utf-8", "replace")))
    return results


def probe(ns: Namespace, address: str, port: int, timeout: float = 1.0, source: str = "") -> str:
    """A new TCP connection from ``ns`` (bound to ``source`` when given): "open",
    "refused", "timeout" (dropped) or "error ERRNO"."""
    result = ns.run(
        sys.executable,
        "-I",
        "-S",
        "-c",
        _PROBE,
        address,
        str(port),
        str(timeout),
        source,
        timeout=timeout + 10,
    )
    return result.stdout.strip()


def can_connect(
    ns: Namespace, address: str, port: int, timeout: float = 1.0, source: str = ""
) -> bool:
    return probe(ns, address, port, timeout, source) == "open"


# ----------------------------------------------------------------------------- nftables
def nft_set_addresses(ns: Namespace, set_name: str, table: str = "rempart") -> set[str] | None:
    """The elements of ``inet TABLE SET`` in ``ns`` as text (addresses or prefixes), or
    None when the set does not exist (yet)."""
    nft = shutil.which("nft") or "/usr/sbin/nft"
    result = ns.run(nft, "-j", "list", "set", "inet", table, set_name, check=False, timeout=10)
    if result.returncode != 0:
        return None
    return set(parse_set_elements(result.stdout))


def parse_set_elements(text: str) -> list[str]:
    """Element keys of the sets in ``nft -j list set`` output: ``"10.0.0.1"``,
    ``{"elem": {"val": …, "timeout": …}}``, ``{"prefix": {"addr", "len"}}``, ``{"range": …}``."""
    out: list[str] = []
    for item in json.loads(text).get("nftables", []):
        for element in item.get("set", {}).get("elem", []):
            out.append(_element_text(element))
    return out


def _element_text(element: object) -> str:
    if isinstance(element, dict) and "elem" in element:
        return _element_text(element["elem"]["val"])
    if isinstance(element, dict) and "prefix" in element:
        prefix = element["prefix"]
        return f"{prefix['addr']}/{prefix['len']}"
    if isinstance(element, dict) and "range" in element:
        first, last = element["range"]
        return f"{first}-{last}"
    return str(element)
