"""The Munin poll benchmark's pure parts (bench/bench_munin.py); the benchmark itself needs
root and Debian's munin-node, and is not run here (see bench/README.md)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.conftest import ROOT
from tests.munin_peers import Command, Poll

BENCH = ROOT / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


munin = _load("bench_munin")


def _poll(wall: float, fetch_load: float) -> Poll:
    commands = (
        Command("cap multigraph dirtyconfig", 0.001, ("cap multigraph dirtyconfig",)),
        Command("list", 0.002, ("load",)),
        Command("config load", 0.010, ("graph_title Load average", "load.label load")),
        Command("fetch load", fetch_load, ("load.value 0.5",)),
    )
    return Poll("# munin node at t", ("load",), commands, wall, 0.003)


def test_percentile_is_nearest_rank() -> None:
    assert munin.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 90) == 5.0
    assert munin.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert munin.percentile([0.5], 90) == 0.5


def test_summarise_gives_medians_per_command_and_sums_per_verb() -> None:
    s = munin.summarise([_poll(0.1, 0.04), _poll(0.3, 0.05), _poll(0.2, 0.06)])
    assert s["wall_ms"]["median"] == 200.0
    assert s["wall_ms"]["p90"] == 300.0
    assert s["command_median_ms"]["fetch load"] == 50.0
    assert s["sum_of_medians_ms"] == {"cap": 1.0, "config": 10.0, "fetch": 50.0, "list": 2.0}
    assert next(iter(s["slowest_ms"])) == "fetch load"
    assert s["plugins"] == 1


def test_poll_values_come_from_fetch_or_a_dirty_config() -> None:
    dirty = Poll(
        "# munin node at t",
        ("a", "b"),
        (
            Command("config a", 0.0, ("x.label x", "x.value 3")),
            Command("config b", 0.0, ("y.label y",)),
            Command("fetch b", 0.0, ("y.value U",)),
        ),
        0.0,
        0.0,
    )
    assert dirty.fetched() == {"a": {"x": 3.0}, "b": {"y": None}}


def test_parse_args_defaults_to_both_targets_and_run_all_knows_it() -> None:
    args = munin.parse_args([])
    assert args.munin_node
    assert args.rempart
    assert args.runs == 5
    assert munin.parse_args(["--munin-node", "--quick"]).runs == 2
    run_all = _load("run_all")
    plans = dict(run_all.plan(run_all.parse_args(["--quick", "--only", "munin"])))
    assert plans["munin"][-2:] == [str(BENCH / "bench_munin.py"), "--quick"]
