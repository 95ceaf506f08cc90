"""The poll benchmark's parts (bench/bench_poll.py), on a few nodes: recorded bodies, the
simulated nodes in child processes, one round each way."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.conftest import ROOT


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_bench_poll", ROOT / "bench" / "bench_poll.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load()


def test_plugin_bodies_are_the_recorded_ones() -> None:
    replies = bench.plugin_bodies(40)
    names = replies["list"][0].decode().split()
    assert len(names) == 40
    assert len(set(names)) == 40
    assert b"graph_title" in replies["config load"][0]
    assert replies["fetch load"][1] == b".\n"


def test_a_small_round_with_and_without_quickack() -> None:
    ports, children = bench.start_nodes(6, 5, 2)
    try:
        for quickack in (True, False):
            result = bench.poll_round(ports, quickack=quickack, concurrency=4, timeout=20)
            assert result["ok"] == 6, result["failed"]
            assert result["commands"] == 6 * (3 + 2 * 5)
    finally:
        bench.stop_nodes(children)
