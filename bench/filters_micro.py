"""Micro-benchmark of the shipped filters through the production line filter.

For each shipped filter and mode, a realistic stream is built: the filter's own sample
lines (failures, helpers and near-misses; the sshd filter also gets its two real OpenSSH
captures) mixed with lines of other programs that share the same log (cron, systemd,
sudo, other daemons, web requests), 60 % noise as in the fail2ban notes, repeated and
shuffled to ``--lines`` lines. Each line goes through ``LineFilter.process`` exactly as a
log source would feed it (journal-form samples with their timestamp). Reports lines/s,
min / median / max over ``--repeat`` runs, and the failures found.

    .venv/bin/python bench/filters_micro.py [--lines N] [--repeat R] [--filter NAME] [--json]
    .venv/bin/python bench/filters_micro.py --sshd-compare   # vs fail2ban's sshd.conf

``--sshd-compare`` runs rempart's sshd filter and fail2ban's ``sshd.conf`` (the fixture copy),
mode by mode, through the same matcher on the same generated auth log (bench/matcher_micro.py's
seeded generator: 30 % failures of every kind, 10 % successes, 60 % other daemons), and
reports lines/s and failures found by each.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import datetime
from pathlib import Path

from rempart.rules.catalog import load_shipped, shipped_filter_names
from rempart.rules.engines import build_line_filter

ROOT = Path(__file__).resolve().parent.parent
NOW = 1_795_262_400.0  # 2026-11-21T12:00:00Z

NOISE = (
    "Nov 21 10:00:01 host CRON[4242]: pam_unix(cron:session): session opened for user root(uid=0)",
    "Nov 21 10:00:02 host systemd[1]: Started session-42.scope - Session 42 of User rp.",
    "Nov 21 10:00:03 host sudo[4243]:       rp : TTY=pts/0 ; PWD=/home/rp ; USER=root ; "
    "COMMAND=/usr/bin/apt update",
    "Nov 21 10:00:04 host systemd-logind[600]: New session 42 of user rp.",
    "Nov 21 10:00:05 host kernel: [12345.678901] nft: IN=ens3 OUT= SRC=192.0.2.9 DST=198.51.100.1",
    "Nov 21 10:00:06 host postfix/qmgr[900]: 4ABC123: from=<a@example.org>, size=1234, nrcpt=1",
    "Nov 21 10:00:07 host dovecot: imap(alice)<1234><abc>: Logged out in=12 out=345",
    '192.0.2.50 - - [21/Nov/2026:10:00:08 +0000] "GET /index.php HTTP/1.1" 200 5120 "-" "curl/8"',
    '2026/11/21 10:00:09 [error] 7#7: *8 open() "/var/www/favicon.ico" failed (2: No such file)',
    "Nov 21 10:00:10 host sshd[4244]: pam_unix(sshd:session): session opened for user rp(uid=1000)",
)


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _stream(name: str, lines: int, rng: random.Random) -> list[tuple[str, float | None]]:
    native = load_shipped(name)
    relevant = [(s.line, _epoch(s.source_time) if s.source_time else None) for s in native.samples]
    if name == "sshd":
        fixtures = ROOT / "tests" / "fixtures" / "sshd"
        for path, stamp in (("sshd-real-syslog.log", None), ("sshd-real.log", NOW)):
            raw = (fixtures / path).read_bytes().decode()
            relevant += [(ln.removesuffix("\r"), stamp) for ln in raw.split("\n") if ln]
    n_relevant = int(lines * 0.4)
    out = [relevant[i % len(relevant)] for i in range(n_relevant)]
    out += [(NOISE[i % len(NOISE)], None) for i in range(lines - n_relevant)]
    rng.shuffle(out)
    return out


def _run(name: str, mode: str, stream: list[tuple[str, float | None]]) -> tuple[float, int]:
    line_filter = build_line_filter(load_shipped(name).definition(mode))
    process = line_filter.process
    found = 0
    began = time.perf_counter()
    for text, stamp in stream:
        found += len(process(text, NOW, stamp).failures)
    return time.perf_counter() - began, found


def _sshd_compare(lines: int, repeat: int) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from matcher_micro import generate  # the seeded realistic auth log

    from rempart.rules.fail2ban import load_fail2ban_filter

    conf = ROOT / "tests" / "fixtures" / "fail2ban" / "filters" / "sshd.conf"
    stream: list[tuple[str, float | None]] = [(line, None) for line in generate(lines)]
    print(f"{'filter':<32} {'lines':>8} {'failures':>9}  k lines/s min/median/max")
    for mode in ("normal", "ddos", "extra", "aggressive"):
        for label, definition in (
            (f"rempart:sshd[mode={mode}]", load_shipped("sshd").definition(mode)),
            (f"fail2ban:sshd[mode={mode}]", load_fail2ban_filter(conf, {"mode": mode})),
        ):
            runs = []
            for _ in range(repeat):
                line_filter = build_line_filter(definition)
                began = time.perf_counter()
                found = sum(len(line_filter.process(t, NOW, s).failures) for t, s in stream)
                runs.append((time.perf_counter() - began, found))
            rates = sorted(len(stream) / seconds / 1000 for seconds, _found in runs)
            print(
                f"{label:<32} {len(stream):>8} {runs[0][1]:>9}  "
                f"{rates[0]:.1f} / {statistics.median(rates):.1f} / {rates[-1]:.1f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--filter", action="append", help="only this filter (repeatable)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--sshd-compare", action="store_true", help="sshd vs fail2ban's")
    args = parser.parse_args()
    if args.sshd_compare:
        _sshd_compare(args.lines, args.repeat)
        return
    rng = random.Random(20261121)
    results = []
    for name in args.filter or shipped_filter_names():
        stream = _stream(name, args.lines, rng)
        for mode in load_shipped(name).modes:
            runs = [_run(name, mode, stream) for _ in range(args.repeat)]
            rates = sorted(len(stream) / seconds for seconds, _found in runs)
            results.append(
                {
                    "filter": name,
                    "mode": mode,
                    "lines": len(stream),
                    "failures": runs[0][1],
                    "klines_per_s": [
                        round(rates[0] / 1000, 1),
                        round(statistics.median(rates) / 1000, 1),
                        round(rates[-1] / 1000, 1),
                    ],
                }
            )
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'filter':<16} {'mode':<11} {'lines':>8} {'failures':>9}  k lines/s min/median/max")
    for r in results:
        lo, mid, hi = r["klines_per_s"]
        print(
            f"{r['filter']:<16} {r['mode']:<11} {r['lines']:>8} {r['failures']:>9}  "
            f"{lo:.1f} / {mid:.1f} / {hi:.1f}"
        )


if __name__ == "__main__":
    main()
