"""Replay benchmark: Debian's fail2ban-regex against ``rempart replay`` on the same log.

In one run, for each timestamp form (classic syslog, RFC 3339) of the same generated log:

1. Debian 12's ``fail2ban-regex`` (package fail2ban, fetched with ``apt-get download`` into
   ``bench/cache/fail2ban`` and unpacked with ``dpkg-deb -x``: never installed, so no service
   starts), run by ``/usr/bin/python3`` with Debian's ``filter.d/sshd.conf[mode=aggressive]``;
2. ``rempart replay --filter /…/sshd.conf[mode=aggressive]`` (the same Debian file, through
   rempart's fail2ban loader);
3. ``rempart replay --filter sshd[mode=aggressive]`` (rempart's own filter).

Each is run ``--runs`` times, interleaved; wall time, CPU time and peak RSS come from
``os.wait4`` on the child (its own ``ru_maxrss``, not the maximum over all children).

fail2ban-regex prints one record per failure with ``-o`` (an ``-o`` format also stops it
from keeping statistics and from counting the IP-less ``kex_exchange_identification``
lines twice: see shared/notes/fail2ban-performance.md). The format used here prints the
address, the time and the matched lines; a failure's line is the last of its matched lines.
rempart writes one JSON object per failure with ``--failures-out``.

The failures are then compared per line (line, address): fail2ban-regex against rempart
with the same filter (the differences are listed with their lines), and every tool against
the generator's truth (per kind), plus the bans a 5-in-10-minutes rule draws from each
tool's failures (and the bans rempart reports itself).

Results: a printed table and ``bench/out/replay.json``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_authlog

__all__ = ["main", "parse_args"]

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
F2B_CACHE = gen_authlog.CACHE_DIR / "fail2ban"
# One record per failure: a record separator, address and time, then the matched lines.
F2B_FORMAT = "\x1e<ip>\t<time>\n<matches>"
SYSTEM_PYTHON = "/usr/bin/python3"
TIMEZONE = "Europe/Paris"  # the generator's zone (+01:00 in November)
DEFAULT_CONFIG = ROOT / "rempart/config/default.toml"  # maxretry 5, findtime 10m


# ----------------------------------------------------------------------------- fail2ban
@dataclass(frozen=True, slots=True)
class Fail2ban:
    root: Path
    version: str

    @property
    def regex(self) -> Path:
        return self.root / "usr/bin/fail2ban-regex"

    @property
    def sshd_conf(self) -> Path:
        return self.root / "etc/fail2ban/filter.d/sshd.conf"

    @property
    def pythonpath(self) -> Path:
        return self.root / "usr/lib/python3/dist-packages"


def fetch_fail2ban(cache: Path = F2B_CACHE) -> Fail2ban:
    """Debian's fail2ban package, downloaded once and unpacked (never installed)."""
    cache.mkdir(parents=True, exist_ok=True)
    debs = sorted(cache.glob("fail2ban_*.deb"))
    if not debs:
        for program in ("apt-get", "dpkg-deb"):
            if shutil.which(program) is None:
                raise SystemExit(f"bench_replay: {program} not found (a Debian machine is needed)")
        subprocess.run(["apt-get", "download", "fail2ban"], cwd=cache, check=True, timeout=600)
        debs = sorted(cache.glob("fail2ban_*.deb"))
    deb = debs[-1]
    root = cache / "root"
    if not (root / "usr/bin/fail2ban-regex").exists():
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True, timeout=300)
    version = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version"],
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return Fail2ban(root, version)


# ----------------------------------------------------------------------------- measuring
@dataclass(slots=True)
class Measure:
    wall_s: float
    cpu_s: float
    rss_mb: float
    returncode: int


def measure(
    argv: Sequence[str], env: dict[str, str], stdout: Path, stderr: Path, timeout: float
) -> Measure:
    """Runs argv once through the small launcher; wall, CPU time and peak RSS of argv alone."""
    result = stdout.with_name(stdout.name + ".measure.json")
    python = SYSTEM_PYTHON if Path(SYSTEM_PYTHON).exists() else sys.executable
    launcher = [
        python,
        "-I",
        "-S",
        str(BENCH_DIR / "spawn_measured.py"),
        str(result),
        str(timeout),
        "--",
        *argv,
    ]
    with stdout.open("wb") as out, stderr.open("wb") as err:
        subprocess.run(launcher, stdout=out, stderr=err, env=env, check=True, timeout=timeout + 60)
    m = json.loads(result.read_text(encoding="utf-8"))
    result.unlink()
    return Measure(m["wall_s"], m["cpu_s"], m["rss_mb"], m["returncode"])


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
    }


# ----------------------------------------------------------------------------- contenders
@dataclass(slots=True)
class Contender:
    name: str
    label: str
    argv: list[str]
    env: dict[str, str]
    kind: str  # "fail2ban" or "rempart"
    runs: list[Measure] = field(default_factory=list)
    stdout: Path = Path()
    stderr: Path = Path()
    failures_out: Path | None = None
    error: str | None = None


def _base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": TIMEZONE})
    return env


def contenders(f2b: Fail2ban | None, log: Path, out: Path, tag: str) -> list[Contender]:
    items: list[Contender] = []
    if f2b is not None:
        env = _base_env() | {"PYTHONPATH": str(f2b.pythonpath)}
        argv = [
            SYSTEM_PYTHON,
            str(f2b.regex),
            "-o",
            F2B_FORMAT,
            str(log),
            f"{f2b.sshd_conf}[mode=aggressive]",
        ]
        items.append(Contender("fail2ban", f"fail2ban-regex {f2b.version}", argv, env, "fail2ban"))
    conf = f2b.sshd_conf if f2b is not None else Path("/etc/fail2ban/filter.d/sshd.conf")
    for name, label, ref in (
        ("rempart_f2b_conf", "rempart, Debian sshd.conf", f"{conf}[mode=aggressive]"),
        ("rempart_own", "rempart, own sshd filter", "sshd[mode=aggressive]"),
    ):
        failures = out / f"{tag}-{name}.failures.jsonl"
        argv = [
            sys.executable,
            "-m",
            "rempart",
            "replay",
            "--config",
            str(DEFAULT_CONFIG),
            "--filter",
            ref,
            "--timezone",
            TIMEZONE,
            "--json",
            "--failures-out",
            str(failures),
            "--no-progress",
            str(log),
        ]
        c = Contender(name, label, argv, _base_env(), "rempart", failures_out=failures)
        items.append(c)
    for c in items:
        c.stdout = out / f"{tag}-{c.name}.stdout"
        c.stderr = out / f"{tag}-{c.name}.stderr"
    return items


def rempart_available() -> str | None:
    """None when ``rempart replay`` exists, else why not."""
    proc = subprocess.run(
        [sys.executable, "-m", "rempart", "replay", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        return (
            "`rempart replay` is not available: " + (proc.stderr.strip().splitlines() or ["?"])[-1]
        )
    return None


# ----------------------------------------------------------------------------- truth
@dataclass(slots=True)
class Truth:
    header: dict[str, Any]
    failure: dict[int, tuple[str, str]]  # line -> (kind, address)
    kind: dict[int, str]  # line -> kind, every line
    address: dict[int, str]  # line -> address the line is about
    kex_by_close: dict[int, int]  # line naming the address -> IP-less kex_ident line

    @property
    def bans(self) -> set[str]:
        return {b["address"] for b in self.header["bans"]}

    @property
    def injected(self) -> set[str]:
        return set(self.header["injected_addresses"])


def load_truth(path: Path) -> Truth:
    header, records = gen_authlog.read_truth(path)
    failure, kind, address, kex = {}, {}, {}, {}
    for r in records:
        n = r["line"]
        kind[n] = r["kind"]
        if r["address"] is not None:
            address[n] = r["address"]
        if r["failure"]:
            failure[n] = (r["kind"], r["address"])
        if "close" in r:
            kex[r["close"]] = n
    return Truth(header, failure, kind, address, kex)


def line_texts(log: Path, wanted: Iterable[int]) -> dict[int, str]:
    want = set(wanted)
    out: dict[int, str] = {}
    with log.open(encoding="utf-8", errors="replace") as f:
        for n, raw in enumerate(f, 1):
            if n in want:
                out[n] = raw.rstrip("\n")
    return out


# ----------------------------------------------------------------------------- reading outputs
Found = list[tuple[int, str, float]]  # (line, address, epoch)


def canonical(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


def read_fail2ban(output: Path, log: Path) -> tuple[Found, dict[str, int]]:
    """fail2ban-regex records -> (line, address, time); a failure's line is its last match."""
    records: list[tuple[str, float, list[str]]] = []
    with output.open(encoding="utf-8", errors="replace") as f:
        for raw in f:
            text = raw.rstrip("\n")
            if text.startswith("\x1e"):
                ip, _, when = text[1:].partition("\t")
                records.append((canonical(ip), float(when), []))
            elif records and text:
                records[-1][2].append(text.rstrip())
    needed = {t for r in records for t in r[2]}
    where: dict[str, list[int]] = defaultdict(list)
    with log.open(encoding="utf-8", errors="replace") as f:
        for n, raw in enumerate(f, 1):
            text = raw.rstrip()
            if text in needed:
                where[text].append(n)
    found: Found = []
    stats = Counter[str]()
    for ip, when, matches in records:
        lines = [_pick(where.get(m, []), stats) for m in matches]
        lines = [n for n in lines if n > 0]
        if not lines:
            stats["records_without_line"] += 1
            continue
        found.append((max(lines), ip, when))
    stats["records"] = len(records)
    return found, dict(stats)


def _pick(candidates: list[int], stats: Counter[str]) -> int:
    if not candidates:
        stats["unresolved_match_lines"] += 1
        return 0
    if len(candidates) > 1:
        stats["ambiguous_match_lines"] += 1
    return candidates[0]


def read_rempart(failures_out: Path, stdout: Path) -> tuple[Found, dict[str, Any]]:
    found: Found = []
    with failures_out.open(encoding="utf-8") as f:
        for raw in f:
            if raw.strip():
                r = json.loads(raw)
                found.append((int(r["line"]), canonical(str(r["host"])), float(r["time"])))
    report = json.loads(stdout.read_text(encoding="utf-8"))
    return found, report


# ----------------------------------------------------------------------------- comparing
def normalise(found: Found, truth: Truth) -> Counter[tuple[int, str]]:
    """(line, address) multiset; a failure counted on the line that names the address of an
    IP-less kex_exchange_identification line is moved back to that kex line."""
    by_line: dict[int, list[str]] = defaultdict(list)
    for n, addr, _ in found:
        by_line[n].append(addr)
    out = Counter[tuple[int, str]]()
    for n, addrs in by_line.items():
        kex = truth.kex_by_close.get(n)
        if kex is not None and not by_line.get(kex):
            own = 1 if n in truth.failure else 0  # a banner line is a failure of its own
            moved = [a for a in addrs if a == truth.failure[kex][1]][: max(0, len(addrs) - own)]
            for a in moved:
                addrs.remove(a)
                out[(kex, a)] += 1
        for a in addrs:
            out[(n, a)] += 1
    return out


def score(found: Counter[tuple[int, str]], truth: Truth) -> dict[str, Any]:
    """Per-kind recall against the truth, and what was counted that the truth does not."""
    by_kind = Counter[str]()
    extra = Counter[str]()
    examples: dict[str, list[int]] = defaultdict(list)
    for (n, addr), count in sorted(found.items()):
        rec = truth.failure.get(n)
        left = count
        if rec is not None and rec[1] == addr:
            by_kind[rec[0]] += 1
            left -= 1
        if left:
            why = truth.kind.get(n, "?")
            if truth.address.get(n) not in (None, addr):
                why += " (other address)"
            if addr in truth.injected and truth.address.get(n) != addr:
                why += " [INJECTED ADDRESS]"
            extra[why] += left
            if len(examples[why]) < 3:
                examples[why].append(n)
    kinds = truth.header["failures_by_kind"]
    return {
        "found": sum(by_kind.values()),
        "truth": truth.header["failures"],
        "by_kind": {k: {"truth": kinds[k], "found": by_kind.get(k, 0)} for k in kinds},
        "extra": dict(extra.most_common()),
        "extra_example_lines": dict(examples),
    }


def bans(found: Found, truth: Truth, reported: set[str] | None = None) -> dict[str, Any]:
    derived = set(gen_authlog.expected_bans((a, t) for _, a, t in found))
    out = {"derived": _ban_sets(derived, truth)}
    if reported is not None:
        out["reported"] = _ban_sets(reported, truth)
    return out


def _ban_sets(got: set[str], truth: Truth) -> dict[str, Any]:
    want = truth.bans
    extra = sorted(got - want)
    roles = {r["address"]: r for r in truth.header["roles"]}
    missed = Counter(f"{roles[a]['style']} on {roles[a]['host']}" for a in want - got)
    return {
        "count": len(got),
        "expected_found": len(got & want),
        "expected": len(want),
        "missed": len(want - got),
        "missed_by_style_and_host": dict(missed.most_common()),
        "extra": len(extra),
        "extra_examples": extra[:10],
        "innocent_banned": sorted(got & truth.injected - want),
    }


def compare(
    a: Counter[tuple[int, str]], b: Counter[tuple[int, str]], truth: Truth, log: Path
) -> dict[str, Any]:
    """Differences between two tools' per-line failures, with their lines."""
    only_a, only_b = a - b, b - a
    texts = line_texts(log, [n for n, _ in list(only_a)[:20] + list(only_b)[:20]])

    def describe(diff: Counter[tuple[int, str]]) -> dict[str, Any]:
        kinds = Counter[str]()
        for (n, _), c in diff.items():
            kinds[truth.kind.get(n, "?")] += c
        examples = [
            {"line": n, "address": addr, "kind": truth.kind.get(n), "text": texts.get(n, "")}
            for n, addr in sorted(diff)[:20]
        ]
        return {
            "count": sum(diff.values()),
            "by_kind": dict(kinds.most_common()),
            "examples": examples,
        }

    return {
        "same": sum((a & b).values()),
        "only_first": describe(only_a),
        "only_second": describe(only_b),
    }


# ----------------------------------------------------------------------------- one format
def bench_format(
    fmt: str, args: argparse.Namespace, f2b: Fail2ban | None, rempart_error: str | None
) -> dict[str, Any]:
    params = gen_authlog.Params(args.lines, fmt, args.seed)
    log, truth_path = gen_authlog.ensure(params, quiet=False)
    truth = load_truth(truth_path)
    _warm(log)
    tag = f"replay-{fmt}-{args.lines}"
    items = contenders(f2b, log, OUT_DIR, tag)
    for c in items:
        if c.kind == "rempart" and rempart_error:
            c.error = rempart_error
    for run in range(args.runs):
        for c in items:
            if c.error:
                continue
            m = measure(c.argv, c.env, c.stdout, c.stderr, args.timeout)
            print(
                f"  {fmt} run {run + 1}/{args.runs} {c.label}: {m.wall_s:.2f} s, "
                f"{m.rss_mb:.0f} MB, rc {m.returncode}",
                file=sys.stderr,
            )
            c.runs.append(m)
            if m.returncode != 0:
                tail = c.stderr.read_text(errors="replace").strip().splitlines()[-3:]
                c.error = f"exit code {m.returncode}: {' | '.join(tail)}"
    return analyse(params, log, truth, items)


def _warm(log: Path) -> None:
    """Reads the log once so every contender finds it in the page cache."""
    with log.open("rb") as f:
        while f.read(1 << 22):
            pass


def analyse(
    params: gen_authlog.Params, log: Path, truth: Truth, items: list[Contender]
) -> dict[str, Any]:
    result: dict[str, Any] = {"log": str(log), "lines": params.lines, "tools": {}}
    normalised: dict[str, Counter[tuple[int, str]]] = {}
    for c in items:
        entry: dict[str, Any] = {"label": c.label, "argv": c.argv, "error": c.error}
        result["tools"][c.name] = entry
        if not c.runs or c.error:
            continue
        entry |= timings(c.runs, params.lines)
        found = _read_outputs(c, log, truth, entry)
        normalised[c.name] = normalise(found, truth)
        entry["truth"] = score(normalised[c.name], truth)
        _add_examples(entry["truth"], log)
        entry["failures"] = len(found)
    _speedups(result["tools"])
    if "fail2ban" in normalised and "rempart_f2b_conf" in normalised:
        result["agreement"] = compare(
            normalised["fail2ban"], normalised["rempart_f2b_conf"], truth, log
        )
    return result


def timings(runs: list[Measure], lines: int) -> dict[str, Any]:
    walls = [m.wall_s for m in runs]
    return {
        "runs": [asdict(m) for m in runs],
        "wall_s": summary(walls),
        "cpu_s": summary([m.cpu_s for m in runs]),
        "lines_per_s": summary([lines / w for w in walls]),
        "rss_mb": summary([m.rss_mb for m in runs]),
    }


def _read_outputs(c: Contender, log: Path, truth: Truth, entry: dict[str, Any]) -> Found:
    if c.kind == "fail2ban":
        found, stats = read_fail2ban(c.stdout, log)
        entry["output"] = stats
        entry["bans"] = bans(found, truth)
        return found
    assert c.failures_out is not None
    found, report = read_rempart(c.failures_out, c.stdout)
    jails = report.get("jails", [])
    reported = {canonical(b["address"]) for j in jails for b in j.get("bans", [])}
    entry["report"] = {k: jails[0][k] for k in ("lines", "failures") if jails}
    entry["bans"] = bans(found, truth, reported)
    return found


def _add_examples(scored: dict[str, Any], log: Path) -> None:
    lines = scored.pop("extra_example_lines")
    texts = line_texts(log, [n for ns in lines.values() for n in ns])
    scored["extra_examples"] = {
        why: [f"{n}: {texts.get(n, '')}" for n in ns] for why, ns in lines.items()
    }


def _speedups(tools: dict[str, dict[str, Any]]) -> None:
    """fail2ban's median wall (and CPU) time over each contender's: the speed-up."""
    base = tools.get("fail2ban", {})
    if "wall_s" not in base:
        return
    for entry in tools.values():
        if "wall_s" in entry:
            entry["speedup_vs_fail2ban"] = round(
                base["wall_s"]["median"] / entry["wall_s"]["median"], 2
            )
            entry["cpu_speedup_vs_fail2ban"] = round(
                base["cpu_s"]["median"] / entry["cpu_s"]["median"], 2
            )


# ----------------------------------------------------------------------------- printing
def print_report(report: dict[str, Any]) -> None:
    for fmt, res in report["formats"].items():
        print(f"\n== {fmt}: {res['lines']:,} lines ({res['log']})")
        print(
            f"{'tool':30} {'wall s min/med/max':>22} {'k lines/s':>10} {'RSS MB':>7} "
            f"{'x f2b':>6} {'x cpu':>6} {'failures':>9}"
        )
        for entry in res["tools"].values():
            if "wall_s" not in entry:
                print(f"{entry['label']:30} {'not run: ' + str(entry['error'])}")
                continue
            w = entry["wall_s"]
            print(
                f"{entry['label']:30} {w['min']:6.2f} /{w['median']:6.2f} /{w['max']:6.2f} "
                f"{entry['lines_per_s']['median'] / 1000:10.1f} {entry['rss_mb']['max']:7.0f} "
                f"{entry.get('speedup_vs_fail2ban', 0):6.1f} "
                f"{entry.get('cpu_speedup_vs_fail2ban', 0):6.1f} {entry['failures']:9,}"
            )
        _print_truth(res)
        _print_agreement(res)


def _print_truth(res: dict[str, Any]) -> None:
    tools = [(n, e) for n, e in res["tools"].items() if "truth" in e]
    if not tools:
        return
    print(
        f"\n{'truth: failures by kind':28} {'truth':>7} "
        + " ".join(f"{n[:16]:>16}" for n, _ in tools)
    )
    kinds = tools[0][1]["truth"]["by_kind"]
    for kind, row in kinds.items():
        cells = " ".join(f"{e['truth']['by_kind'][kind]['found']:16,}" for _, e in tools)
        print(f"  {kind:26} {row['truth']:7,} {cells}")
    total = tools[0][1]["truth"]["truth"]
    print(f"  {'all':26} {total:7,} " + " ".join(f"{e['truth']['found']:16,}" for _, e in tools))
    print(
        f"  {'counted, not in truth':26} {'':7} "
        + " ".join(f"{sum(e['truth']['extra'].values()):16,}" for _, e in tools)
    )
    for name, e in tools:
        b = e["bans"]["derived"]
        line = (
            f"  bans ({name}, 5 in 10 min over its failures): {b['expected_found']}/"
            f"{b['expected']} expected, {b['extra']} extra"
        )
        if "reported" in e["bans"]:
            r = e["bans"]["reported"]
            line += (
                f"; reported by rempart: {r['expected_found']}/{r['expected']}, {r['extra']} extra"
            )
        if b["innocent_banned"]:
            line += f"; INNOCENT (injected) banned: {b['innocent_banned']}"
        print(line)
        if b["missed"]:
            print(f"    missed attackers: {b['missed_by_style_and_host']}")
        for why, count in e["truth"]["extra"].items():
            example = e["truth"]["extra_examples"].get(why, [""])[0]
            print(f"    counted, not in truth: {count:,} on {why} lines, e.g. {example[:110]}")


def _print_agreement(res: dict[str, Any]) -> None:
    agree = res.get("agreement")
    if not agree:
        return
    a, b = agree["only_first"], agree["only_second"]
    print(
        f"\nsame filter, per line: {agree['same']:,} identical; only fail2ban-regex: "
        f"{a['count']:,} {a['by_kind']}; only rempart: {b['count']:,} {b['by_kind']}"
    )
    for title, d in (("only fail2ban-regex", a), ("only rempart", b)):
        for ex in d["examples"][:5]:
            print(f"  {title}: line {ex['line']} {ex['address']} [{ex['kind']}] {ex['text'][:140]}")


# ----------------------------------------------------------------------------- main
def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": model,
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "python_rempart": sys.version.split()[0],
        "python_fail2ban": subprocess.run(
            [SYSTEM_PYTHON, "-c", "import sys; print(sys.version.split()[0])"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        ).stdout.strip(),
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench_replay.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--lines", type=int, default=1_000_000, help="log size (default 1000000)")
    p.add_argument(
        "--formats",
        default="classic,rfc3339",
        help="comma-separated timestamp forms (default classic,rfc3339)",
    )
    p.add_argument("--runs", type=int, default=3, help="runs per tool and form (default 3)")
    p.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds per run (default 1800)")
    p.add_argument("--no-fail2ban", action="store_true", help="skip fail2ban-regex")
    p.add_argument("--out", type=Path, default=OUT_DIR / "replay.json", help="JSON results file")
    args = p.parse_args(argv)
    args.formats = [f for f in args.formats.split(",") if f]
    for f in args.formats:
        if f not in ("classic", "rfc3339"):
            p.error(f"unknown format {f!r}")
    if args.runs < 1:
        p.error("--runs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    f2b = None if args.no_fail2ban else fetch_fail2ban()
    rempart_error = rempart_available()
    if rempart_error:
        print(f"bench_replay: {rempart_error}; measuring fail2ban-regex only", file=sys.stderr)
    report: dict[str, Any] = {
        "benchmark": "replay",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "params": {
            "lines": args.lines,
            "seed": args.seed,
            "runs": args.runs,
            "generator": gen_authlog.GENERATOR_VERSION,
        },
        "fail2ban": {"version": f2b.version, "root": str(f2b.root)} if f2b else None,
        "formats": {},
    }
    for fmt in args.formats:
        report["formats"][fmt] = bench_format(fmt, args, f2b, rempart_error)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_report(report)
    print(f"\nresults: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
