"""The blocklist benchmark (bench/bench_blocklist.py) runs end to end on a small list.

The real run (500,000 addresses, 3 runs) takes about a minute and is in bench/README.md;
here 3,000 addresses, one run of each method, in fresh namespaces: every method must
fill the sets with exactly the list, and the figures must be there.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from ipaddress import ip_address
from pathlib import Path
from types import ModuleType

import pytest

from rempart.guard.blocklist import blockable
from tests.conftest import ROOT, need_program
from tests.netns import need_netns

BENCH = ROOT / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load("bench_blocklist")


def test_the_generated_list_is_distinct_global_and_mixed() -> None:
    addresses = bench.generate(5000, 0.15)
    assert len(set(addresses)) == 5000
    assert all(blockable(ip_address(a)) and str(ip_address(a)) == a for a in addresses)
    assert 500 < sum(":" in a for a in addresses) < 1000
    assert bench.generate(10, 0.5) == bench.generate(10, 0.5)  # seeded


def test_run_all_knows_the_blocklist_bench() -> None:
    run_all = _load("run_all")
    plans = dict(run_all.plan(run_all.parse_args(["--quick", "--only", "blocklist"])))
    assert plans["blocklist"][-2:] == [str(BENCH / "bench_blocklist.py"), "--quick"]
    args = bench.parse_args(["--quick"])
    assert (args.addresses, args.runs) == (50_000, 1)


@pytest.mark.system
def test_a_small_run_end_to_end(tmp_path: Path) -> None:
    need_netns()
    need_program("nft", "nftables")
    need_program("curl", "curl")
    out = tmp_path / "blocklist.json"
    assert bench.main(["--addresses", "3000", "--runs", "1", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["addresses"] == 3000
    assert results["v4"] + results["v6"] == 3000
    summary = results["summary"]
    assert set(summary) == {"rempart", "rempart_nft_command", "cron_lines", "cron_one"}
    for method, runs in results["runs"].items():
        assert [r["sizes"] for r in runs] == [[results["v4"], results["v6"]]], method
        assert summary[method]["rss_mb"] > 1
        assert summary[method]["tree_rss_mb"] > 1
    rempart = results["runs"]["rempart"][0]
    assert rempart["status"]["size"] == {"v4": results["v4"], "v6": results["v6"]}
    assert rempart["total_s"] >= rempart["load_s"] > 0
    assert set(rempart["with_full_sets"]) == {"elements_ms", "check_ms", "setup_ms"}
    assert summary["cron_one"]["time_ratio_vs_rempart"] > 0
