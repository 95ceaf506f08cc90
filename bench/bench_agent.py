"""Live agent benchmark: Debian's fail2ban-server against ``rempart agent``, banning in nftables.

Each program under test runs alone in a fresh network namespace (``rp-bagent-PID-N``;
nothing touches the host's firewall), follows one log file that this script appends to
with lines stamped with the current time, and bans in that namespace's nftables:

- **fail2ban-server** from Debian 12's package (``apt-get download`` + ``dpkg-deb -x`` into
  ``bench/cache/fail2ban``, never installed), run by ``/usr/bin/python3`` with its own
  configuration copy: jail ``sshd`` (mode aggressive, maxretry 5, findtime 10m, bantime
  15m, ports 22,2222,2200) on the file, backend ``pyinotify`` (Debian's package recommends
  python3-pyinotify; fetched the same way) or ``polling`` (``--f2b-backend``), banaction
  ``nftables-multiport``; socket, pid file and SQLite DB in a temp dir.
- **rempart agent** (issue 3, part D): the same rule, ``--firewall nftables``.

Bans are seen with ``nft -j monitor new elements`` running inside the namespace: a reader
thread stamps each element-added event with ``time.perf_counter()`` when it reads the line
(the pipe adds well under a millisecond).

Measured, per program:

(a) **ban latency**: from just before the ``write()`` of an address's 5th failure line to
    that address's element event; p50/p99/max over ``--addresses`` (≥ 200) addresses, one
    every ``--interval`` s (4 lines, then the 5th half an interval later);
(b) **highest sustained rate**: steps of ``--step-seconds`` at rising line rates (noise +
    ``--attackers-per-s`` attackers, 5 lines each over 50 ms); a step passes when every
    expected ban is made within 1 s of its 5th line; the ladder stops at the first failure;
(c) **RSS**: idle (after start and one ban) and under 20k lines/s for ``--rss-seconds``:
    VmRSS sampled every 0.2 s and VmHWM, from /proc/PID/status, summed over the process and
    its descendants (fail2ban's ``sh``/``nft`` children included);
(d) **restore**: N bans made through the log, the program stopped, its nftables table
    deleted (a reboot), the program started again; time from the start to all N elements
    in the set. rempart: N = 20,000; fail2ban: N = ``--f2b-restore`` (1,000) from its
    SQLite DB, extrapolated linearly to 20,000 (fail2ban restores one ``nft`` process per
    ban, issue #3088).

Noise lines come from bench/gen_authlog.py's log (seed 1): the lines about no address
and successful logins only (they can never make a ban in either program), re-stamped.

Results: a table and bench/results/agent-<time>.json. Needs root (namespaces).
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import itertools
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.e2e.agent
import gen_authlog
from bench_netns import scratch_namespace
from proctree import node_pids

from tests.e2e.agent import rempart_argv

__all__ = [
    "BanMonitor",
    "failure_line",
    "load_noise",
    "main",
    "parse_args",
    "parse_monitor_line",
    "percentile",
    "syslog_stamp",
]

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
CACHE = gen_authlog.CACHE_DIR
SYSTEM_PYTHON = "/usr/bin/python3"
NFT = shutil.which("nft") or "/usr/sbin/nft"
ATTACK_NET = ipaddress.ip_network("198.18.0.0/15")  # benchmarking range: set elements only
RULE = {"maxretry": 5, "findtime": 600, "bantime": 900, "ports": (22, 2222, 2200)}
DEFAULT_RATES = (
    1000,
    2000,
    5000,
    10_000,
    20_000,
    30_000,
    50_000,
    100_000,
    200_000,
    300_000,
    400_000,
)
BATCH_S = 0.01  # the writer appends every 10 ms
WITHIN_S = 1.0
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# ----------------------------------------------------------------------------- pure helpers
def syslog_stamp(t: float) -> str:
    """``Nov  5 09:43:12``: the classic syslog date of local time ``t``."""
    tm = time.localtime(t)
    return (
        f"{_MONTHS[tm.tm_mon - 1]} {tm.tm_mday:>2} {tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"
    )


def failure_line(stamp: str, address: str, n: int) -> str:
    """One sshd password failure of ``address`` (n picks pid, user and port)."""
    return (
        f"{stamp} bench sshd[{10_000 + n % 50_000}]: Failed password for invalid user "
        f"user{n % 97} from {address} port {1024 + n % 60_000} ssh2\n"
    )


def parse_monitor_line(line: str, table: str) -> list[str]:
    """Addresses added to a set of ``table`` by one ``nft -j monitor`` event line."""
    try:
        event = json.loads(line)
    except ValueError:
        return []
    element = event.get("add", {}).get("element") if isinstance(event, dict) else None
    if not isinstance(element, dict) or element.get("table") != table:
        return []
    items = element.get("elem", {})
    items = items.get("set", []) if isinstance(items, dict) else items
    out = []
    for item in items:
        value = item["elem"]["val"] if isinstance(item, dict) and "elem" in item else item
        if isinstance(value, dict) and "prefix" in value:
            value = f"{value['prefix']['addr']}/{value['prefix']['len']}"
        out.append(str(value))
    return out


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def latency_summary(latencies: Sequence[float], missing: int) -> dict[str, Any]:
    if not latencies:
        return {"n": 0, "missing": missing}
    return {
        "n": len(latencies),
        "missing": missing,
        "p50_ms": round(1000 * statistics.median(latencies), 2),
        "p99_ms": round(1000 * percentile(latencies, 99), 2),
        "max_ms": round(1000 * max(latencies), 2),
    }


def attack_addresses(start: int = 0) -> Iterator[str]:
    """Fresh attacker addresses in 198.18.0.0/15, never the same twice in a run."""
    base = int(ATTACK_NET.network_address)
    for i in itertools.count(start + 1):
        yield str(ipaddress.IPv4Address(base + i))


# ----------------------------------------------------------------------------- namespace
@dataclass(frozen=True)
class Netns:
    name: str

    def argv(self, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]

    def run(self, *argv: str, check: bool = True, timeout: float = 60) -> str:
        return subprocess.run(
            self.argv(*argv), check=check, capture_output=True, text=True, timeout=timeout
        ).stdout

    def pids(self) -> list[int]:
        out = subprocess.run(
            ["ip", "netns", "pids", self.name],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        return [int(p) for p in out.split()]


@contextlib.contextmanager
def bench_namespace() -> Iterator[Netns]:
    """A fresh namespace with loopback up; every process in it killed, then deleted."""
    with scratch_namespace("rp-bagent") as name:
        yield Netns(name)


# ----------------------------------------------------------------------------- nft monitor
class BanMonitor:
    """``nft -j monitor new elements`` in the namespace; first time each address was added
    to a set of ``table`` (perf_counter), and every event."""

    def __init__(self, ns: Netns, table: str) -> None:
        self.table = table
        self.first: dict[str, float] = {}
        self.events: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            ns.argv(NFT, "-j", "monitor", "new", "elements"),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        time.sleep(0.2)  # let nft subscribe before anything is banned

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            now = time.perf_counter()
            added = parse_monitor_line(line, self.table)
            with self._lock:
                for address in added:
                    self.first.setdefault(address, now)
                    self.events.append((now, address))

    def seen(self, address: str) -> float | None:
        with self._lock:
            return self.first.get(address)

    def wait_all(self, addresses: Iterable[str], timeout: float, since: float = 0.0) -> bool:
        """Waits until every address had an event at or after ``since``."""
        wanted = set(addresses)
        deadline = time.monotonic() + timeout
        done = 0
        while time.monotonic() < deadline:
            with self._lock:
                fresh = self.events[done:]
                done = len(self.events)
            wanted -= {a for t, a in fresh if t >= since}
            if not wanted:
                return True
            time.sleep(0.005)
        return False

    def wait_count(self, n: int, timeout: float, since: float) -> bool:
        """Waits until ``n`` distinct addresses had an event at or after ``since``."""
        deadline = time.monotonic() + timeout
        done, seen = 0, set()
        while time.monotonic() < deadline:
            with self._lock:
                fresh = self.events[done:]
                done = len(self.events)
            seen |= {a for t, a in fresh if t >= since}
            if len(seen) >= n:
                return True
            time.sleep(0.005)
        return False

    def close(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(5)
        self._thread.join(5)


# ----------------------------------------------------------------------------- log writing
class LogWriter:
    """Appends to the log with one ``write()`` per call (O_APPEND, unbuffered)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.lines = 0

    def write(self, text: str, lines: int) -> None:
        data = text.encode()
        while data:
            data = data[os.write(self.fd, data) :]
        self.lines += lines

    def close(self) -> None:
        os.close(self.fd)


def load_noise(lines: int = 100_000, cache_dir: Path = CACHE) -> list[str]:
    """Bodies (after the 15-character date) of gen_authlog lines that never make a ban:
    lines about no address, and successful logins."""
    log, truth = gen_authlog.ensure(gen_authlog.Params(lines, "classic", 1), cache_dir)
    _header, records = gen_authlog.read_truth(truth)
    bodies = []
    with log.open(encoding="utf-8") as f:
        for text, record in zip(f, records, strict=True):
            if record["failure"]:
                continue
            if record["address"] is None or record["kind"] == "accepted":
                bodies.append(text[15:])
    return bodies


# ----------------------------------------------------------------------------- RSS
def _status(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])  # kB
    return out


def tree_memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (MB) summed over ``pid`` and its descendants."""
    rss = hwm = 0
    for p in node_pids(pid):
        status = _status(p)
        rss += status.get("VmRSS", 0)
        hwm += status.get("VmHWM", 0)
    main = _status(pid).get("VmRSS", 0)
    return {
        "rss_mb": round(rss / 1024, 1),
        "hwm_mb": round(hwm / 1024, 1),
        "main_rss_mb": round(main / 1024, 1),
    }


# ----------------------------------------------------------------------------- programs
@dataclass
class Program:
    """A program under test inside ``ns``, following ``log``."""

    ns: Netns
    work: Path
    log: Path
    name: str = ""
    label: str = ""
    table: str = ""
    set4: str = ""
    process: subprocess.Popen[bytes] | None = None
    notes: list[str] = field(default_factory=list)

    def argv(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def ready(self) -> bool:
        return True

    def start(self, timeout: float = 120) -> float:
        """Starts the program; seconds until it says it is ready."""
        t0 = time.perf_counter()
        err = (self.work / f"{self.name}.stderr").open("ab")
        with err:
            self.process = subprocess.Popen(
                self.ns.argv(*self.argv()),
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                env=self.env(),
            )
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited ({self.process.returncode}): {self.errors()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready after {timeout} s: {self.errors()}")
            time.sleep(0.05)
        return time.perf_counter() - t0

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            self.notes.append("did not stop within 120 s of SIGTERM: killed")

    def errors(self) -> str:
        path = self.work / f"{self.name}.stderr"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def delete_table(self) -> None:
        """What a reboot does to the kernel's state."""
        self.ns.run(NFT, "delete", "table", "inet", self.table, check=False)

    def set_size(self) -> int:
        out = self.ns.run(NFT, "-j", "list", "set", "inet", self.table, self.set4, check=False)
        if not out:
            return 0
        return sum(len(item.get("set", {}).get("elem", [])) for item in json.loads(out)["nftables"])


_F2B_JAIL = """\
[DEFAULT]
banaction = nftables-multiport
banaction_allports = nftables-allports
ignoreself = true
ignoreip = 127.0.0.1/8 ::1

[sshd]
enabled = true
mode = aggressive
port = {ports}
logpath = {log}
backend = {backend}
maxretry = {maxretry}
findtime = {findtime}
bantime = {bantime}
"""
_F2B_LOCAL = """\
[Definition]
loglevel = INFO
logtarget = {work}/fail2ban.log
socket = {work}/fail2ban.sock
pidfile = {work}/fail2ban.pid
dbfile = {work}/fail2ban.sqlite3
"""


def _fetch_deb(package: str, cache: Path) -> Path:
    """``apt-get download PACKAGE`` once into ``cache``, unpacked with ``dpkg-deb -x``."""
    cache.mkdir(parents=True, exist_ok=True)
    debs = sorted(cache.glob(f"{package}_*.deb"))
    if not debs:
        subprocess.run(["apt-get", "download", package], cwd=cache, check=True, timeout=600)
        debs = sorted(cache.glob(f"{package}_*.deb"))
    root = cache / "root"
    stamp = cache / f".{debs[-1].name}.unpacked"
    if not stamp.exists():
        subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(root)], check=True, timeout=300)
        stamp.touch()
    return root


def _deb_version(cache: Path, package: str) -> str:
    deb = sorted(cache.glob(f"{package}_*.deb"))[-1]
    return subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()


@dataclass
class Fail2banProgram(Program):
    backend: str = "pyinotify"
    root: Path = Path()
    pythonpath: str = ""

    def __post_init__(self) -> None:
        self.name, self.table, self.set4 = f"fail2ban-{self.backend}", "f2b-table", "addr-set-sshd"
        cache = CACHE / "fail2ban"
        self.root = _fetch_deb("fail2ban", cache)
        paths = [str(self.root / "usr/lib/python3/dist-packages")]
        if self.backend == "pyinotify":
            pyinotify = _fetch_deb("python3-pyinotify", CACHE / "pyinotify")
            paths.append(str(pyinotify / "usr/lib/python3/dist-packages"))
        self.pythonpath = os.pathsep.join(paths)
        self.label = f"fail2ban-server {_deb_version(cache, 'fail2ban')} ({self.backend})"
        conf = self.work / "fail2ban"
        if not conf.exists():
            shutil.copytree(self.root / "etc/fail2ban", conf)
            for debian_default in (conf / "jail.d").glob("*.conf"):
                debian_default.unlink()  # Debian's enables sshd on the journal
        (conf / "jail.local").write_text(
            _F2B_JAIL.format(
                ports=",".join(str(p) for p in RULE["ports"]),
                log=self.log,
                backend=self.backend,
                maxretry=RULE["maxretry"],
                findtime=RULE["findtime"],
                bantime=RULE["bantime"],
            )
        )
        (conf / "fail2ban.local").write_text(_F2B_LOCAL.format(work=self.work))

    def argv(self) -> list[str]:
        return [
            SYSTEM_PYTHON,
            str(self.root / "usr/bin/fail2ban-server"),
            "-f",
            "-x",
            "-c",
            str(self.work / "fail2ban"),
            "-s",
            str(self.work / "fail2ban.sock"),
            "-p",
            str(self.work / "fail2ban.pid"),
        ]

    def env(self) -> dict[str, str]:
        return dict(os.environ) | {"PYTHONPATH": self.pythonpath, "LANG": "C.UTF-8"}

    def ready(self) -> bool:
        log = self.work / "fail2ban.log"
        return log.exists() and "Jail 'sshd' started" in log.read_text(errors="replace")

    def stop(self) -> None:
        super().stop()
        # a restart must see the next "started" line, not this one
        log = self.work / "fail2ban.log"
        if log.exists():
            log.rename(log.with_name(f"fail2ban.log.{time.time():.0f}"))


_REMPART_CONFIG = """\
[rempart]
state_dir = "{state}"

[defaults]
maxretry = {maxretry}
findtime = "{findtime}s"
bantime = "{bantime}s"
ignoreip = ["127.0.0.0/8", "::1"]

[jails.sshd]
filter = "sshd[mode=aggressive]"
ports = [{ports}]

[[jails.sshd.sources]]
type = "file"
path = "{log}"
"""


@dataclass
class RempartProgram(Program):
    def __post_init__(self) -> None:
        self.name, self.table, self.set4 = "rempart", "rempart", "sshd_v4"
        from rempart import __version__

        self.label = f"rempart agent {__version__}"
        (self.work / "state").mkdir(exist_ok=True)
        (self.work / "rempart.toml").write_text(
            _REMPART_CONFIG.format(
                state=self.work / "state",
                maxretry=RULE["maxretry"],
                findtime=RULE["findtime"],
                bantime=RULE["bantime"],
                ports=", ".join(str(p) for p in RULE["ports"]),
                log=self.log,
            )
        )

    @staticmethod
    def available() -> bool:
        return _rempart("agent", "--help").returncode == 0

    def argv(self) -> list[str]:
        return rempart_argv(
            "agent",
            "--config",
            str(self.work / "rempart.toml"),
            "--firewall",
            "nftables",
            "--socket",
            str(self.work / "agent.sock"),
            "--state-dir",
            str(self.work / "state"),
            "--log-level",
            "warning",
        )

    def ready(self) -> bool:
        sock = self.work / "agent.sock"
        return sock.exists() and _rempart("status", "--socket", str(sock)).returncode == 0


def _rempart(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        rempart_argv(*args), capture_output=True, text=True, timeout=60, check=False
    )


# ----------------------------------------------------------------------------- phases
@dataclass
class Run:
    """One program's run: its monitor, writer, fresh addresses and noise."""

    program: Program
    monitor: BanMonitor
    writer: LogWriter
    addresses: Iterator[str]
    noise: list[str]
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def failures(self, address: str, n: int, stamp: str) -> str:
        return "".join(failure_line(stamp, address, next(self.counter)) for _ in range(n))


def warm_up(run: Run, timeout: float = 60) -> float:
    """One ban (not counted) proves the chain; the seconds it took."""
    address = next(run.addresses)
    t0 = time.perf_counter()
    run.writer.write(run.failures(address, 5, syslog_stamp(time.time())), 5)
    if not run.monitor.wait_all([address], timeout):
        raise RuntimeError(
            f"{run.program.name}: no warm-up ban in {timeout} s: {run.program.errors()}"
        )
    return time.perf_counter() - t0


def phase_latency(run: Run, n: int, interval: float) -> dict[str, Any]:
    """(a): n addresses, one every ``interval`` s: 4 lines, then the 5th half an interval later."""
    fifth: dict[str, float] = {}
    start = time.perf_counter()
    for i in range(n):
        address = next(run.addresses)
        _sleep_until(start + i * interval)
        run.writer.write(run.failures(address, 4, syslog_stamp(time.time())), 4)
        _sleep_until(start + (i + 0.5) * interval)
        line = run.failures(address, 1, syslog_stamp(time.time()))
        fifth[address] = time.perf_counter()
        run.writer.write(line, 1)
    run.monitor.wait_all(fifth, 30)
    return _latencies(run, fifth) | {"interval_s": interval}


def _latencies(run: Run, fifth: dict[str, float]) -> dict[str, Any]:
    latencies, missing = [], 0
    for address, t in fifth.items():
        seen = run.monitor.seen(address)
        if seen is None:
            missing += 1
        else:
            latencies.append(max(0.0, seen - t))
    return latency_summary(latencies, missing) | {"_values": latencies}


def _sleep_until(t: float) -> None:
    delay = t - time.perf_counter()
    if delay > 0:
        time.sleep(delay)


def load_step(run: Run, rate: int, seconds: float, attackers_per_s: float) -> dict[str, Any]:
    """Noise at ``rate`` lines/s for ``seconds`` with attackers mixed in (5 lines each, one
    per batch every 5 batches); the 5th-line times of the expected bans."""
    batches = round(seconds / BATCH_S)
    per_batch = max(1, round(rate * BATCH_S))
    every = max(1, round(1 / (attackers_per_s * BATCH_S)))  # batches between two attackers
    pending: list[tuple[str, int]] = []  # (address, lines still to write)
    fifth: dict[str, float] = {}
    noise = run.noise
    cursor = 0
    start = time.perf_counter()
    lines_before = run.writer.lines
    for b in range(batches):
        _sleep_until(start + b * BATCH_S)
        stamp = syslog_stamp(time.time())
        if b % every == 0 and b + 5 * 5 < batches:
            pending.append((next(run.addresses), 5))
        attack, still, fifths = [], [], []
        if b % 5 == 0:
            for address, left in pending:
                attack.append(run.failures(address, 1, stamp))
                if left == 1:
                    fifths.append(address)
                else:
                    still.append((address, left - 1))
            pending = still
        count = max(0, per_batch - len(attack))
        if cursor + count > len(noise):
            cursor = 0
        text = "".join(stamp + body for body in noise[cursor : cursor + count])
        cursor += count
        now = time.perf_counter()
        for address in fifths:
            fifth[address] = now
        run.writer.write(text + "".join(attack), count + len(attack))
    elapsed = time.perf_counter() - start
    written = run.writer.lines - lines_before
    return {
        "rate": rate,
        "written": written,
        "achieved_rate": round(written / elapsed),
        "seconds": round(elapsed, 2),
        "_fifth": fifth,
    }


def phase_ladder(
    run: Run, rates: Sequence[int], seconds: float, attackers_per_s: float
) -> dict[str, Any]:
    """(b): rising rates until a step misses a ban or makes one later than 1 s."""
    steps, best = [], 0
    for rate in rates:
        step = load_step(run, rate, seconds, attackers_per_s)
        fifth = step.pop("_fifth")
        run.monitor.wait_all(fifth, 30)
        result = _latencies(run, fifth)
        values = result.pop("_values")
        late = sum(1 for v in values if v > WITHIN_S)
        ok = result["missing"] == 0 and late == 0 and step["achieved_rate"] >= 0.9 * rate
        step |= result | {"late": late, "ok": ok}
        steps.append(step)
        print(f"  {run.program.name}: {rate:>7,} lines/s → {_step_text(step)}", flush=True)
        if not ok:
            break
        best = rate
        time.sleep(1)
    return {"max_rate_within_1s": best, "steps": steps}


def _step_text(step: dict[str, Any]) -> str:
    if not step.get("n"):
        return f"no ban made ({step['missing']} missing)"
    return (
        f"{'ok' if step['ok'] else 'FAIL'} (achieved {step['achieved_rate']:,}/s, bans "
        f"{step['n']}, missing {step['missing']}, late {step['late']}, p99 {step['p99_ms']} ms)"
    )


def phase_rss(run: Run, rate: int, seconds: float, attackers_per_s: float) -> dict[str, Any]:
    """(c) under load: VmRSS sampled every 0.2 s while ``rate`` lines/s are written."""
    samples: list[float] = []
    main: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.2):
            memory = tree_memory(run.program.pid)
            samples.append(memory["rss_mb"])
            main.append(memory["main_rss_mb"])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    step = load_step(run, rate, seconds, attackers_per_s)
    fifth = step.pop("_fifth")
    run.monitor.wait_all(fifth, 30)
    stop.set()
    sampler.join()
    result = _latencies(run, fifth)
    result.pop("_values")
    return {
        "rate": rate,
        "achieved_rate": step["achieved_rate"],
        "rss_max_mb": max(samples, default=0.0),
        "main_rss_max_mb": max(main, default=0.0),
        "hwm_mb": tree_memory(run.program.pid)["hwm_mb"],
        "bans": result,
    }


def phase_restore(run: Run, n: int, chunk: int = 20_000) -> dict[str, Any]:
    """(d): n bans made through the log; stop; delete the table; start; time to all n."""
    program = run.program
    addresses = [next(run.addresses) for _ in range(n)]
    t0 = time.perf_counter()
    stamp = syslog_stamp(time.time())
    for i in range(0, n, chunk // 5):
        part = addresses[i : i + chunk // 5]
        run.writer.write("".join(run.failures(a, 5, stamp) for a in part), 5 * len(part))
    if not run.monitor.wait_all(addresses, 1800):
        raise RuntimeError(f"{program.name}: the {n} bans to restore were not all made")
    made_s = time.perf_counter() - t0
    before = program.set_size()
    t_stop = time.perf_counter()
    program.stop()
    stop_s = time.perf_counter() - t_stop
    program.delete_table()
    t_start = time.perf_counter()
    ready_s = program.start(timeout=3600)
    restored = run.monitor.wait_count(before, 3600, since=t_start)
    restore_s = time.perf_counter() - t_start
    return {
        "n": n,
        "set_size_before": before,
        "bans_made_s": round(made_s, 2),
        "stop_s": round(stop_s, 2),
        "ready_s": round(ready_s, 2),
        "restore_s": round(restore_s, 3),
        "complete": restored,
        "set_size_after": program.set_size(),
        "per_ban_ms": round(1000 * restore_s / n, 3),
        "extrapolated_20k_s": round(restore_s * 20_000 / n, 1),
    }


# ----------------------------------------------------------------------------- driver
def bench_program(
    kind: str, args: argparse.Namespace, noise: list[str], seed: int
) -> dict[str, Any]:
    """Every phase for one program: (a)-(c) in one instance, (d) in a fresh one."""
    out = _in_namespace(kind, args, lambda p: _bench(p, args, noise, seed))
    n = args.f2b_restore if kind.startswith("fail2ban") else args.restore
    if n:
        out["restore"] = _in_namespace(
            kind, args, lambda p: _bench_restore(p, n, noise, seed + 500_000)
        )
        print(f"  restore: {out['restore']}", flush=True)
    return out


def _in_namespace(kind: str, args: argparse.Namespace, body: Any) -> dict[str, Any]:
    """``body(program)`` with the program set up in a fresh namespace and work directory."""
    with bench_namespace() as ns:
        work = Path(tempfile.mkdtemp(prefix="rp-bagent."))
        try:
            log = work / "auth.log"
            log.touch()
            program: Program
            if kind.startswith("fail2ban"):
                backend = kind.partition("-")[2] or args.f2b_backend
                program = Fail2banProgram(ns, work, log, backend=backend)
            else:
                program = RempartProgram(ns, work, log)
            result: dict[str, Any] = body(program)
            return result
        finally:
            if args.keep:
                print(f"  kept {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def _running(program: Program, noise: list[str], seed: int) -> Iterator[Run]:
    monitor = BanMonitor(program.ns, program.table)
    writer = LogWriter(program.log)
    try:
        yield Run(program, monitor, writer, attack_addresses(seed), noise)
    finally:
        program.stop()
        monitor.close()
        writer.close()


def _bench(
    program: Program, args: argparse.Namespace, noise: list[str], seed: int
) -> dict[str, Any]:
    out: dict[str, Any] = {"program": program.name, "label": program.label}
    print(f"\n## {program.label}", flush=True)
    with _running(program, noise, seed) as run:
        out["start_s"] = round(program.start(), 2)
        out["warm_up_ban_s"] = round(warm_up(run), 3)
        time.sleep(args.idle_seconds)
        out["idle"] = tree_memory(program.pid)
        print(f"  idle: {out['idle']}", flush=True)
        latency = phase_latency(run, args.addresses, args.interval)
        latency.pop("_values")
        out["latency"] = latency
        print(f"  latency: {latency}", flush=True)
        out["rss_20k"] = phase_rss(run, 20_000, args.rss_seconds, args.attackers_per_s)
        print(f"  under 20k lines/s: {out['rss_20k']}", flush=True)
        time.sleep(2)
        out["ladder"] = phase_ladder(run, args.rates, args.step_seconds, args.attackers_per_s)
        out["log_lines"] = run.writer.lines
    out["notes"] = program.notes
    return out


def _bench_restore(program: Program, n: int, noise: list[str], seed: int) -> dict[str, Any]:
    with _running(program, noise, seed) as run:
        program.start()
        return phase_restore(run, n) | {"notes": program.notes}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench_agent.py", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--programs",
        default="fail2ban,rempart",
        help="comma-separated: fail2ban (--f2b-backend), fail2ban-pyinotify, fail2ban-polling, "
        "rempart (skipped while `rempart agent` is missing)",
    )
    p.add_argument("--addresses", type=int, default=200, help="latency: addresses (default 200)")
    p.add_argument("--interval", type=float, default=0.05, help="latency: s between addresses")
    p.add_argument("--rates", type=lambda s: [int(x) for x in s.split(",")], default=DEFAULT_RATES)
    p.add_argument("--step-seconds", type=float, default=5.0, help="seconds per rate step")
    p.add_argument("--attackers-per-s", type=float, default=10.0)
    p.add_argument("--rss-seconds", type=float, default=10.0, help="seconds at 20k lines/s")
    p.add_argument("--idle-seconds", type=float, default=3.0)
    p.add_argument("--restore", type=int, default=20_000, help="rempart: bans to restore")
    p.add_argument("--f2b-restore", type=int, default=1000, help="fail2ban: bans to restore")
    p.add_argument("--f2b-backend", choices=("pyinotify", "polling"), default="pyinotify")
    p.add_argument("--quick", action="store_true", help="smoke run: fewer addresses, short steps")
    p.add_argument("--keep", action="store_true", help="keep the work directories")
    p.add_argument("--out", type=Path, help="JSON result (default bench/results/agent-TIME.json)")
    args = p.parse_args(argv)
    if args.quick:
        args.addresses, args.step_seconds, args.rss_seconds = 200, 2.0, 3.0
        args.rates = [r for r in args.rates if r <= 50_000]
        args.restore, args.f2b_restore = min(args.restore, 2000), min(args.f2b_restore, 200)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0 or shutil.which("ip") is None:
        print("bench_agent: skipped: needs root and iproute2 (network namespaces)")
        return 0
    noise = load_noise()
    results: dict[str, Any] = {"programs": {}, "skipped": {}}
    for i, kind in enumerate(k.strip() for k in args.programs.split(",")):
        if kind == "rempart" and not RempartProgram.available():
            results["skipped"]["rempart"] = "`rempart agent --help` fails: agent not merged yet"
            print("\n## rempart agent: skipped (agent not merged yet)", flush=True)
            continue
        results["programs"][kind] = bench_program(kind, args, noise, seed=i * 1_000_000)
    results["machine"] = {
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "args": {k: v for k, v in vars(args).items() if k != "out"},
        "ban_detection": "nft -j monitor new elements inside the namespace (reader thread)",
    }
    print_table(results)
    out = args.out or RESULTS_DIR / f"agent-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(f"\nresults: {out}")
    return 0


def print_table(results: dict[str, Any]) -> None:
    programs = results["programs"]
    rows = [
        ("ban latency p50 (ms)", lambda r: r["latency"].get("p50_ms")),
        ("ban latency p99 (ms)", lambda r: r["latency"].get("p99_ms")),
        ("ban latency max (ms)", lambda r: r["latency"].get("max_ms")),
        ("bans missing (latency)", lambda r: r["latency"].get("missing")),
        ("max rate, all bans < 1 s (lines/s)", lambda r: r["ladder"]["max_rate_within_1s"]),
        ("RSS idle (MB)", lambda r: r["idle"]["rss_mb"]),
        ("RSS max at 20k lines/s (MB)", lambda r: r["rss_20k"]["rss_max_mb"]),
        ("RSS max at 20k, main process only (MB)", lambda r: r["rss_20k"]["main_rss_max_mb"]),
        ("VmHWM after 20k lines/s (MB)", lambda r: r["rss_20k"]["hwm_mb"]),
        ("restore: bans", lambda r: r.get("restore", {}).get("n")),
        ("restore: seconds", lambda r: r.get("restore", {}).get("restore_s")),
        ("restore: 20k extrapolated (s)", lambda r: r.get("restore", {}).get("extrapolated_20k_s")),
    ]
    names = list(programs)
    header = " | ".join(programs[n]["label"] for n in names)
    print(f"\n| measure | {header} | ratio first/last |")
    print("|---|" + "---|" * (len(names) + 1))
    for title, get in rows:
        values = [_get(get, programs[n]) for n in names]
        ratio = ""
        ends = (values[0], values[-1])
        if len(values) >= 2 and all(isinstance(v, int | float) and v for v in ends):
            ratio = f"{ends[0] / ends[1]:.1f}x"
        print(f"| {title} | " + " | ".join(str(v) for v in values) + f" | {ratio} |")
    for name, why in results["skipped"].items():
        print(f"\n{name}: {why}")


def _get(get: Any, result: dict[str, Any]) -> Any:
    try:
        return get(result)
    except (KeyError, TypeError):
        return None


if __name__ == "__main__":
    raise SystemExit(main())
