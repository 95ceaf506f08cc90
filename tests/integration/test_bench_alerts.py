"""bench/bench_alerts.py runs (tiny sizes): alerts are raised and saved."""

from __future__ import annotations

import importlib.util
import sys

from tests.conftest import ROOT


def test_bench_alerts_runs() -> None:
    path = ROOT / "bench" / "bench_alerts.py"
    spec = importlib.util.spec_from_file_location("_bench_alerts", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    result = module.run(nodes=20, graphs=3, fields=2, rounds=4, bad=0.05)
    assert result["evaluate_median_s"] > 0
    assert result["transitions"] > 0
    assert result["alerts_stored"] > 0
    # refitted every 15 minutes (rounds 0 and 3), not each round; a node down is not read
    assert 150 <= result["df_reads"] <= 20 * 5 * 2
