"""bench/state_micro.py runs (tiny sizes): its assertions check what it measures."""

from __future__ import annotations

import importlib.util
import sys

from tests.conftest import ROOT


def test_state_micro_runs() -> None:
    path = ROOT / "bench" / "state_micro.py"
    spec = importlib.util.spec_from_file_location("_bench_state_micro", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    results = module.run(bans=50, windows=20, repeat=1)
    assert set(results) >= {"add_many_ms", "active_ms", "history_ms", "lift_ms"}
    assert all(ms >= 0 for ms in results.values())
