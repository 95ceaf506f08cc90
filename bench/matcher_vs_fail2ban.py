"""Compare rempart's matcher with fail2ban's own Filter (server mode) on a log, line by line.

    .venv/bin/python bench/matcher_vs_fail2ban.py --fail2ban /tmp/f2b/usr/lib/python3/dist-packages
    .venv/bin/python bench/matcher_vs_fail2ban.py --log /var/log/auth.log --options mode=normal

fail2ban is not a dependency: its installed package (``--fail2ban``, the directory that
holds ``fail2ban/``) is run by the system Python in a subprocess, reading the filter with
its own FilterReader and feeding every line to a ``Filter`` with the server's settings
(first matching rule wins, pending and helper matches are not failures, host names kept
raw, no findtime cut) and the clock frozen at ``--now``. Every failure is compared as
(line number, failure id, whole-second time, rule index). Without ``--log`` a generated
auth.log is used (bench/matcher_micro.py's generator).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from matcher_micro import NOW, TZ, generate  # noqa: E402

from rempart.rules.engines import build_line_filter  # noqa: E402
from rempart.rules.fail2ban import load_fail2ban_filter  # noqa: E402
from rempart.rules.reference import parse_options  # noqa: E402

FILTERS = ROOT / "tests" / "fixtures" / "fail2ban" / "filters"

# run by fail2ban's Python: prints [[lineno, id, time, rule], ...]
FAIL2BAN_SIDE = """
import json, sys
from fail2ban.client.filterreader import FilterReader
from fail2ban.server.filter import Filter
from fail2ban.server.mytime import MyTime
log, base, name, options, now = sys.argv[1:6]
MyTime.setTime(float(now))
flt = Filter(None)
flt.returnRawHost, flt.checkAllRegex, flt.checkFindTime, flt.active = True, False, False, True
reader = FilterReader(name, "jail", json.loads(options), basedir=base)
reader.read()
reader.getOptions({})
setters = {"prefregex": lambda v: setattr(flt, "prefRegex", v), "addfailregex": flt.addFailRegex,
           "addignoreregex": flt.addIgnoreRegex, "maxlines": flt.setMaxLines,
           "datepattern": flt.setDatePattern}
for op in reader.convert():
    for value in (op[3] if op[0] == "multi-set" else [op[3]]):
        if op[2] in setters:
            setters[op[2]](value)
out = []
with open(log, encoding="utf-8") as handle:
    for lineno, line in enumerate(handle, 1):
        for rule, fid, when, fail in flt.processLine(line.rstrip("\\n")):
            if fid is not None and not fail.get("nofail"):
                out.append([lineno, str(fid), int(when), rule])
json.dump(out, sys.stdout)
"""


def fail2ban_failures(args: argparse.Namespace, log: Path, base: Path) -> set[tuple[object, ...]]:
    env = {**os.environ, "PYTHONPATH": args.fail2ban, "TZ": "UTC"}
    argv = [args.python, "-c", FAIL2BAN_SIDE, str(log), str(base), args.filter,
            json.dumps(parse_options(args.options)), str(NOW)]  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600, check=True)
    return {tuple(item) for item in json.loads(done.stdout)}


def rempart_failures(args: argparse.Namespace, log: Path) -> set[tuple[object, ...]]:
    definition = load_fail2ban_filter(FILTERS / f"{args.filter}.conf", parse_options(args.options))
    line_filter = build_line_filter(definition, TZ)
    out = set()
    with log.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            for failure in line_filter.process(line.rstrip("\n"), NOW).failures:
                out.add((lineno, failure.host, int(failure.time), failure.regex))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fail2ban", default="/usr/lib/python3/dist-packages",
                        help="directory holding fail2ban's Python package")  # fmt: skip
    parser.add_argument("--python", default="/usr/bin/python3", help="Python to run it with")
    parser.add_argument("--filter", default="sshd", help="filter name (tests/fixtures copy)")
    parser.add_argument("--options", default="mode=aggressive", help="filter options")
    parser.add_argument("--log", type=Path, help="log file (default: generated)")
    parser.add_argument("--lines", type=int, default=100_000, help="generated lines")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "filter.d").mkdir()
        for conf in FILTERS.glob("*.conf"):
            (base / "filter.d" / conf.name).write_bytes(conf.read_bytes())
        log = args.log
        if log is None:
            log = base / "generated.log"
            log.write_text("\n".join(generate(args.lines)) + "\n", encoding="utf-8")
        theirs = fail2ban_failures(args, log, base)
        ours = rempart_failures(args, log)
    print(f"fail2ban: {len(theirs)} failures, rempart: {len(ours)}")
    print(f"only fail2ban: {len(theirs - ours)}, only rempart: {len(ours - theirs)}")
    for item in sorted(theirs ^ ours)[:20]:
        print("  ", "fail2ban" if item in theirs else "rempart ", item)
    sys.exit(1 if theirs != ours else 0)


if __name__ == "__main__":
    main()
