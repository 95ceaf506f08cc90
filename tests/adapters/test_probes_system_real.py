"""The system probes on this machine (shape only), and the network probe inside a namespace."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rempart.metrics.model import Series
from rempart.munin.format import config_lines, fetch_lines
from rempart.probes.base import Probe
from rempart.probes.cpu import CpuProbe
from rempart.probes.df import DfProbe
from rempart.probes.diskstats import DiskstatsProbe
from rempart.probes.load import LoadProbe
from rempart.probes.memory import MemoryProbe
from rempart.probes.network import NetworkProbe
from rempart.probes.processes import ProcessesProbe
from rempart.probes.psi import PsiProbe
from rempart.probes.swap import SwapProbe
from rempart.probes.uptime import UptimeProbe
from tests.netns import namespace, veth_pair

FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
GRAPH = re.compile(r"^[a-z0-9_]+$")
EXPECTED: dict[str, set[str]] = {
    "cpu": {"cpu"},
    "load": {"load"},
    "memory": {"memory"},
    "uptime": {"uptime"},
    "processes": {"processes", "threads"},
}


def _check_shape(series: tuple[Series, ...]) -> None:
    for s in series:
        assert GRAPH.match(s.graph.name), s.graph.name
        names = [f.name for f in s.graph.fields]
        assert len(names) == len(set(names))
        assert set(s.values) == set(names)
        assert all(FIELD.match(n) and n != "root" for n in names)
        assert all(v is None or v >= 0 for v in s.values.values())
        assert config_lines(s.graph)
        assert fetch_lines(s)


@pytest.mark.parametrize(
    "probe",
    [CpuProbe(), LoadProbe(), MemoryProbe(), SwapProbe(), PsiProbe(), DfProbe(), DiskstatsProbe(),
     NetworkProbe(), ProcessesProbe(), UptimeProbe()],
    ids=lambda p: p.name,
)  # fmt: skip
def test_real_machine_shape(probe: Probe) -> None:
    assert isinstance(probe, Probe)
    assert not probe.background
    series = probe.collect()
    _check_shape(series)
    graphs = {s.graph.name for s in series}
    if probe.name in EXPECTED:
        assert graphs == EXPECTED[probe.name]
    if probe.name == "swap" and "SwapTotal:              0 kB" in Path("/proc/meminfo").read_text():
        assert series == ()
    if probe.name == "psi" and Path("/proc/pressure/cpu").exists():
        assert "psi_cpu" in graphs
    if probe.name == "df":
        assert {"df", "df_abs"} <= graphs
    if probe.name == "network":
        assert not any(g.endswith("_lo") for g in graphs)


_SEND = """
import socket, time
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    for _ in range(3):
        s.sendto(b"x" * 1000, ("10.77.0.2", 9))
        time.sleep(0.05)
"""
_CHILD = """
import json
from rempart.probes.network import NetworkProbe
out = {}
for s in NetworkProbe(capacity={"rpv*": 1e9}).collect():
    out[s.graph.name] = dict(s.values)
print(json.dumps(out))
"""


@pytest.mark.system
def test_network_probe_counts_namespace_traffic() -> None:
    with namespace("netp") as left, namespace("netq") as right:
        veth_pair(left, right, ["10.77.0.1/24"], ["10.77.0.2/24"])
        left.run(sys.executable, "-c", _SEND, timeout=30)
        raw = left.run(sys.executable, "-c", _CHILD, timeout=30).stdout
    graphs = json.loads(raw)
    (name,) = [g for g in graphs if re.match(r"if_rpv\d+a$", g)]
    iface = name.removeprefix("if_")
    assert graphs[name]["up"] >= 3 * 1000
    assert graphs[name]["down"] > 0
    assert graphs[f"if_packets_{iface}"]["up"] >= 3
    assert graphs[f"if_util_{iface}"] == {"down": None, "up": None}
    assert not any(g.endswith("_lo") for g in graphs)


def test_child_runs_outside_namespaces_too() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=30, check=True
    )
    assert isinstance(json.loads(out.stdout), dict)
