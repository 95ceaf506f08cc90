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


def test_nodes_answer_the_list_of_their_banner_host_name() -> None:
    replies = bench.plugin_bodies(3)
    assert replies[f"list {bench.HOST}"] == replies["list"]


def test_munin_update_stores_every_value_of_the_simulated_nodes() -> None:
    from tests.munin_peers import need_munin

    need_munin()
    ports, children = bench.start_nodes(2, 3, 1)
    try:
        result = bench.compare_munin_update(ports, concurrency=4)
    finally:
        bench.stop_nodes(children)
    assert result["rrd_files_expected"] > 0
    assert result["valid"], result["munin_update"]
    assert result["per_node_ratio"] is not None
