"""bench/bench_web.py runs (tiny sizes): the overview and a year graph answer."""

from __future__ import annotations

import importlib.util
import sys

from tests.conftest import ROOT, need_program


def test_bench_web_runs() -> None:
    path = ROOT / "bench" / "bench_web.py"
    spec = importlib.util.spec_from_file_location("_bench_web", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    result = module.run(hosts=2, graphs=2, runs=2, fine_hours=1)
    assert result["database"]["series"] == 2 * 2 * 3
    assert result["overview"]["median_ms"] > 0
    assert result["year_graph"]["median_ms"] > 0
    assert result["overview_sql"]["median_ms"] > 0


def test_bench_munin_graph_runs() -> None:
    """The same year graph through Munin's rrdtool (xport and graph), tiny."""
    need_program("rrdtool", "rrdtool")
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        path = ROOT / "bench" / "bench_munin_graph.py"
        spec = importlib.util.spec_from_file_location("_bench_munin_graph", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        result = module.run(2)
    finally:
        sys.path.remove(str(ROOT / "bench"))
    assert result["rrdtool_graph"]["median_ms"] > 0
    assert result["ratio_xport_over_rempart"] > 0
