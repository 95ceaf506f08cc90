"""The live agent benchmark's pure parts (bench/bench_agent.py); the benchmark itself needs
root and minutes, and is not run here (see bench/README.md).

What its figures rest on: an attacker line is a failure of the attacker's address for
rempart's sshd filter (and 5 of them are what fail2ban bans too, measured by the bench);
the noise can never make a ban; ``nft -j monitor`` element events are read in every shape.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import time
from pathlib import Path
from types import ModuleType

from rempart.guard.matcher import LineFilter
from rempart.rules.catalog import load_shipped
from rempart.rules.engines import build_line_filter
from tests.conftest import ROOT

BENCH = ROOT / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


agent = _load("bench_agent")


def _filter() -> LineFilter:
    return build_line_filter(load_shipped("sshd").definition("aggressive"))


def test_attacker_lines_are_failures_of_the_attacker() -> None:
    now = time.time()
    stamp = agent.syslog_stamp(now)
    assert re.fullmatch(r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d", stamp)
    line_filter = _filter()
    addresses = [a for a, _ in zip(agent.attack_addresses(7), range(3), strict=False)]
    assert addresses == ["198.18.0.8", "198.18.0.9", "198.18.0.10"]
    for n, address in enumerate(addresses):
        line = agent.failure_line(stamp, address, n)
        assert line.endswith(" ssh2\n")
        failures = line_filter.process(line.rstrip("\n"), now).failures
        assert [f.host for f in failures] == [address]


def test_noise_never_makes_a_failure(tmp_path: Path) -> None:
    bodies = agent.load_noise(5000, cache_dir=tmp_path)
    assert len(bodies) > 2000
    stamp = agent.syslog_stamp(time.time())
    line_filter = _filter()
    assert any("Accepted " in body for body in bodies)
    for body in bodies:
        assert body.startswith(" ")
        line = stamp + body
        assert not line_filter.process(line.rstrip("\n"), time.time()).failures, line


def test_monitor_lines_in_every_shape() -> None:
    # real `nft -j monitor new elements` lines (nftables 1.0.6)
    timeout = (
        '{"add": {"element": {"family": "inet", "table": "rempart", "name": "sshd_v4", '
        '"elem": {"set": [{"elem": {"val": "198.18.0.2", "timeout": 900, "expires": 900}}]}}}}'
    )
    plain = (
        '{"add": {"element": {"family": "inet", "table": "f2b-table", "name": "addr-set-sshd",'
        ' "elem": {"set": ["198.18.0.3"]}}}}'
    )
    prefix = (
        '{"add": {"element": {"family": "inet", "table": "rempart", "name": "sshd_v6", "elem":'
        ' {"set": [{"elem": {"val": {"prefix": {"addr": "2001:db8::", "len": 64}}}}]}}}}'
    )
    assert agent.parse_monitor_line(timeout, "rempart") == ["198.18.0.2"]
    assert agent.parse_monitor_line(plain, "f2b-table") == ["198.18.0.3"]
    assert agent.parse_monitor_line(plain, "rempart") == []
    assert agent.parse_monitor_line(prefix, "rempart") == ["2001:db8::/64"]
    assert agent.parse_monitor_line('{"delete": {"element": {}}}', "rempart") == []
    assert agent.parse_monitor_line("not json", "rempart") == []


def test_percentiles_and_summary() -> None:
    values = [i / 1000 for i in range(1, 201)]  # 1..200 ms
    assert agent.percentile(values, 50) == 0.1
    assert agent.percentile(values, 99) == 0.198
    assert agent.percentile([0.5], 99) == 0.5
    summary = agent.latency_summary(values, 2)
    assert summary == {"n": 200, "missing": 2, "p50_ms": 100.5, "p99_ms": 198.0, "max_ms": 200.0}


def test_run_all_runs_the_agent_bench_quick() -> None:
    run_all = _load("run_all")
    plans = dict(run_all.plan(run_all.parse_args(["--quick", "--only", "agent"])))
    assert plans["agent"][-2:] == [str(BENCH / "bench_agent.py"), "--quick"]
    args = agent.parse_args(["--quick"])
    assert args.addresses >= 200
    assert max(args.rates) <= 50_000
