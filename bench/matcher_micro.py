"""Lines per second of ``LineFilter.process`` on a realistic OpenSSH auth log.

    .venv/bin/python bench/matcher_micro.py                    # sshd[mode=aggressive]
    .venv/bin/python bench/matcher_micro.py --lines 500000 --runs 5
    .venv/bin/python bench/matcher_micro.py --log /var/log/auth.log
    .venv/bin/python bench/matcher_micro.py --worst            # hostile lines at the limit

The log is generated (seeded): 30 % failure lines of every kind sshd writes, 10 %
successful sessions, 60 % other daemons (cron, systemd, sudo, postfix, kernel), IPv4 and
IPv6, in syslog format; ``--log`` files are mixed in. The filter is fail2ban's own
``sshd.conf`` (tests/fixtures/fail2ban/filters) with ``--options``. Reported: min / median
/ max lines per second over ``--runs`` passes (each pass on a fresh LineFilter), and the
counts of each line kind.

``--worst`` times the slowest hostile line (repeated fragments, long runs of spaces,
words and separators, just under the short-line limit) through every fixture fail2ban
filter and every shipped rempart filter: the figure that bounds SHORT_LINE_LIMIT.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rempart.guard.matcher import SHORT_LINE_LIMIT, LineFilter  # noqa: E402
from rempart.rules.catalog import load_shipped, shipped_filter_names  # noqa: E402
from rempart.rules.engines import build_line_filter  # noqa: E402
from rempart.rules.fail2ban import load_fail2ban_filter  # noqa: E402
from rempart.rules.reference import parse_options  # noqa: E402

FILTERS = ROOT / "tests" / "fixtures" / "fail2ban" / "filters"
NOW = 1795262400.0  # 2026-11-21T12:00:00Z
TZ = ZoneInfo("UTC")

USERS = ["root", "admin", "test", "oracle", "ubuntu", "git", "postgres", "user", "pi", "ftp"]
FAILURES = [
    "Failed password for {user} from {ip} port {port} ssh2",
    "Failed password for invalid user {user} from {ip} port {port} ssh2",
    "Invalid user {user} from {ip} port {port}",
    "Connection closed by authenticating user {user} {ip} port {port} [preauth]",
    "Connection closed by invalid user {user} {ip} port {port} [preauth]",
    "Disconnected from invalid user {user} {ip} port {port} [preauth]",
    "Received disconnect from {ip} port {port}:11: Bye Bye [preauth]",
    "Did not receive identification string from {ip} port {port}",
    "banner exchange: Connection from {ip} port {port}: invalid format",
    "Unable to negotiate with {ip} port {port}: no matching key exchange method found. "
    "Their offer: diffie-hellman-group1-sha1 [preauth]",
    "error: kex_exchange_identification: Connection closed by remote host",
    "Connection closed by {ip} port {port} [preauth]",
    "error: maximum authentication attempts exceeded for {user} from {ip} port {port} ssh2 "
    "[preauth]",
    "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
    "rhost={ip}  user={user}",
]
SUCCESSES = [
    "Accepted publickey for deploy from {ip} port {port} ssh2: ED25519 SHA256:"
    "hZy1Qz0f5sJ9m7sY2x8Kc3Ue4Wq6Tt1Rr0Pp9Oo8Nn7",
    "pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)",
    "Received disconnect from {ip} port {port}:11: disconnected by user",
    "Disconnected from user deploy {ip} port {port}",
    "pam_unix(sshd:session): session closed for user deploy",
]
NOISE = [
    "CRON[{pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
    "CRON[{pid}]: (root) CMD (   test -x /etc/cron.daily/popularity-contest && "
    "/etc/cron.daily/popularity-contest --crond)",
    "CRON[{pid}]: pam_unix(cron:session): session closed for user root",
    "systemd[1]: Started session-{pid}.scope - Session {pid} of User deploy.",
    "systemd-logind[412]: New session {pid} of user deploy.",
    "systemd-logind[412]: Removed session {pid}.",
    "sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/apt update",
    "postfix/smtpd[{pid}]: connect from unknown[{ip}]",
    "postfix/smtpd[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 quit=1 commands=2/3",
    "kernel: [{pid}.123456] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC={ip} "
    "DST=192.0.2.1 LEN=44 TOS=0x00 PREC=0x00 TTL=238 ID=54321 PROTO=TCP SPT=41234 DPT=23",
    "dovecot: imap-login: Login: user=<anne>, method=PLAIN, rip={ip}, lip=192.0.2.1, "
    "mpid={pid}, TLS",
]


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return f"2001:db8:{rng.randrange(65536):x}::{rng.randrange(65536):x}"
    return (
        f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    )


def _fields(rng: random.Random, ip: str) -> dict[str, object]:
    return {
        "user": rng.choice(USERS),
        "ip": ip,
        "port": rng.randrange(1024, 65536),
        "pid": rng.randrange(1000, 99999),
    }


def _session(rng: random.Random, attackers: list[str]) -> tuple[list[str], bool]:
    """The messages of one sshd connection, or one line of another daemon; is it sshd?"""
    roll = rng.random()
    if roll < 0.3:
        fields = _fields(rng, rng.choice(attackers))
        return [m.format(**fields) for m in rng.sample(FAILURES, rng.randrange(1, 4))], True
    if roll < 0.4:
        fields = _fields(rng, _ip(rng))
        return [m.format(**fields) for m in SUCCESSES], True
    return [rng.choice(NOISE).format(**_fields(rng, _ip(rng)))], False


def _fresh(rng: random.Random) -> tuple[list[str], bool]:
    roll = rng.random()
    pool = FAILURES if roll < 0.3 else SUCCESSES if roll < 0.4 else NOISE
    return [rng.choice(pool).format(**_fields(rng, _ip(rng)))], pool is not NOISE


def generate(count: int, seed: int = 42, fresh: bool = False) -> list[str]:
    """``count`` syslog lines, mixed like a busy internet-facing host's auth.log.

    About 30 % failure lines (connections of a pool of attackers, one to three failure
    lines each), 10 % successful sessions, 60 % other daemons; several lines per second.
    ``fresh``: every line from a new address, pid and second (the worst case for caches).
    """
    rng = random.Random(seed)
    attackers = [_ip(rng) for _ in range(max(10, count // 100))]
    lines: list[str] = []
    clock = NOW - count / (1 if fresh else 5)
    while len(lines) < count:
        messages, sshd = _fresh(rng) if fresh else _session(rng, attackers)
        prefix = f"sshd[{rng.randrange(1000, 99999)}]: " if sshd else ""
        for message in messages:
            clock += 1 if fresh else rng.expovariate(5.0)
            stamp = time.strftime("%b %d %H:%M:%S", time.gmtime(clock))
            lines.append(f"{stamp} host {prefix}{message}")
    return lines[:count]


def _run(line_filter: LineFilter, lines: list[str]) -> tuple[float, Counter[str]]:
    process = line_filter.process
    kinds: Counter[str] = Counter()
    started = time.process_time()  # CPU time: other processes on the machine do not count
    for text in lines:
        kinds[process(text, NOW).kind.value] += 1
    return time.process_time() - started, kinds


def throughput(args: argparse.Namespace) -> None:
    lines = generate(args.lines, args.seed, args.fresh)
    for log in args.log:
        extra = Path(log).read_text(encoding="utf-8", errors="replace").splitlines()
        lines = [*lines, *extra * max(1, args.lines // 10 // max(1, len(extra)))]
        random.Random(args.seed).shuffle(lines)
    definition = load_fail2ban_filter(FILTERS / "sshd.conf", parse_options(args.options))
    rates = []
    kinds: Counter[str] = Counter()
    for _ in range(args.runs):
        elapsed, kinds = _run(build_line_filter(definition, TZ), lines)
        rates.append(len(lines) / elapsed)
    print(f"filter: fail2ban sshd[{args.options}], {len(lines)} lines, {args.runs} runs")
    print(
        f"lines/s: min {min(rates):,.0f} / median {statistics.median(rates):,.0f} / "
        f"max {max(rates):,.0f}  ({1e6 / statistics.median(rates):.2f} µs/line)"
    )
    print("kinds:", dict(sorted(kinds.items())))


def hostile_lines(sample: str, limit: int) -> Iterator[str]:
    """Lines shaped to make backtracking regexes work hard, just under ``limit``."""
    half = limit // 2
    words = sample.split(" ")
    for filler in (" ", "a", "a ", "1.", "::", ":1", "[a] ", '"a" ', "x=", "\t", "%", "for "):
        run = filler * (half // len(filler))
        yield (sample[: limit - len(run) - 1] + run)[: limit - 1]
        yield (run + sample)[: limit - 1]
        cut = len(words) // 2
        yield (" ".join(words[:cut]) + " " + run + " ".join(words[cut:]))[: limit - 1]
    for i in range(1, len(words)):
        middle = " ".join(words[i - 1 : i + 1]) + " "
        yield (" ".join(words[:i]) + " " + middle * (half // len(middle)) + "!")[: limit - 1]


def _filters() -> Iterator[tuple[str, LineFilter, list[str]]]:
    logs = ROOT / "tests" / "fixtures" / "fail2ban" / "logs"
    for conf in sorted(FILTERS.glob("*.conf")):
        if conf.stem.endswith("common"):
            continue
        log = logs / conf.stem
        samples = [
            line
            for line in (log.read_text(encoding="utf-8").splitlines() if log.exists() else [])
            if line and not line.startswith("#")
        ][:20]
        yield f"fail2ban:{conf.stem}", build_line_filter(load_fail2ban_filter(conf), TZ), samples
    for name in shipped_filter_names():
        native = load_shipped(name)
        samples = [s.line for s in native.samples][:20]
        for mode in native.modes:
            yield f"rempart:{name}[{mode}]", build_line_filter(native.definition(mode)), samples


def _time_line(line_filter: LineFilter, line: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        line_filter.process(line, NOW)
        best = min(best, time.process_time() - started)
    return best


def worst(args: argparse.Namespace) -> None:
    limit = args.limit
    results = []
    for label, line_filter, samples in _filters():
        slowest, slowest_line = 0.0, ""
        timed = []
        for sample in samples or ["x"]:
            for line in hostile_lines(sample, limit):
                timed.append((_time_line(line_filter, line, 1), line))
        # re-time the slowest few (the machine's noise makes single timings jumpy)
        for _elapsed, line in sorted(timed, reverse=True)[:5]:
            elapsed = _time_line(line_filter, line, 3)
            if elapsed > slowest:
                slowest, slowest_line = elapsed, line
        results.append((slowest, label, slowest_line))
    results.sort(reverse=True)
    print(f"slowest hostile line (< {limit} characters) per filter, CPU time:")
    for slowest, label, line in results[: args.top]:
        print(f"  {slowest * 1000:9.2f} ms  {label:40s} {line[:60]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=300_000, help="generated lines")
    parser.add_argument("--runs", type=int, default=5, help="passes to time")
    parser.add_argument("--seed", type=int, default=42, help="generator seed")
    parser.add_argument("--options", default="mode=aggressive", help="sshd filter options")
    parser.add_argument("--log", action="append", default=[], help="extra log file to mix")
    parser.add_argument(
        "--fresh", action="store_true", help="every line a new address, pid and second"
    )
    parser.add_argument("--worst", action="store_true", help="time hostile lines instead")
    parser.add_argument("--limit", type=int, default=SHORT_LINE_LIMIT, help="--worst length")
    parser.add_argument("--top", type=int, default=15, help="--worst: filters to show")
    args = parser.parse_args()
    worst(args) if args.worst else throughput(args)


if __name__ == "__main__":
    main()
