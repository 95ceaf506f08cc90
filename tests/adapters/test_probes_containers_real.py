"""The containers probe against the real kernel: a "container" made of a network namespace.

Creating cgroups on the test machine is not allowed, so the cgroup tree is a fixture whose
``cgroup.procs`` holds a real process (``sleep``) started in the container namespace with
``ip netns exec``; ``proc`` and ``sys/class/net`` of the probe's root point at the real ones.
The container is joined to a second test namespace, the "host", by a veth pair; the probe
runs inside the host namespace. Traffic goes over the veth (UDP from the host), and the test
checks the bytes show in the container's own ``/proc/<pid>/net/dev`` (the probe's values)
and, swapped, on the paired host veth, which the probe names in its label.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from rempart.munin.names import clean_fieldname
from tests.netns import namespace, veth_pair

DOCKER_ID = "0123456789ab" + "c" * 52

SCRIPT = r"""
import json, socket, sys, time
from pathlib import Path
from rempart.probes.containers import ContainersProbe

root, target = Path(sys.argv[1]), sys.argv[2]
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    for _ in range(200):
        s.sendto(b"x" * 1000, (target, 9))
        time.sleep(0.0005)
time.sleep(0.2)
series = {s.graph.name: s for s in ContainersProbe(root=root).collect()}
net = Path("/sys/class/net")
host = {
    d.name: {k: int((d / "statistics" / k).read_text()) for k in ("rx_bytes", "tx_bytes")}
    for d in net.iterdir()
}
print(json.dumps({
    "values": {n: dict(s.values) for n, s in series.items()},
    "labels": {n: {f.name: f.label for f in s.graph.fields} for n, s in series.items()},
    "host": host,
}))
"""


def _fixture_root(tmp: Path, pid: int) -> Path:
    root = tmp / "root"
    cgroup = root / "sys/fs/cgroup"
    scope = cgroup / f"system.slice/docker-{DOCKER_ID}.scope"
    scope.mkdir(parents=True)
    (cgroup / "cgroup.controllers").write_text("cpu memory pids\n")
    (scope / "cgroup.procs").write_text(f"{pid}\n")
    (scope / "cpu.stat").write_text("usage_usec 4242\nuser_usec 4000\nsystem_usec 242\n")
    (scope / "memory.current").write_text("8192\n")
    os.symlink("/proc", root / "proc")
    (root / "sys/class").mkdir(parents=True)
    os.symlink("/sys/class/net", root / "sys/class/net")  # the host namespace's, once inside
    return root


def _wait_for_exec(pid: int, comm: str) -> None:
    """``ip netns exec`` becomes the program (exec): wait until it has."""
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}/comm").read_text().strip() != comm:
        assert time.monotonic() < deadline, f"{pid} never became {comm}"
        time.sleep(0.01)


def test_container_traffic_seen_inside_and_on_the_paired_host_veth(tmp_path: Path) -> None:
    with namespace("ctr") as container, namespace("hst") as host:
        veth_pair(container, host, ["10.77.0.2/24"], ["10.77.0.1/24"])
        sleeper = subprocess.Popen(container.argv("sleep", "60"))
        try:
            _wait_for_exec(sleeper.pid, "sleep")
            root = _fixture_root(tmp_path, sleeper.pid)
            python = str(Path(sys.executable))
            done = host.run(python, "-c", SCRIPT, str(root), "10.77.0.2", timeout=60)
        finally:
            sleeper.kill()
            sleeper.wait(10)
    result = json.loads(done.stdout)
    field = clean_fieldname(DOCKER_ID[:12])  # "_123456789ab": Munin's rule for a digit first
    received = result["values"]["containers_net_in"][field]
    sent = result["values"]["containers_net_out"][field]
    assert received >= 200 * 1000  # 200 datagrams of 1000 bytes (plus headers)
    label = result["labels"]["containers_net_in"][field]
    veth = label.removeprefix(f"{DOCKER_ID[:12]} (").removesuffix(")")
    assert veth.startswith("rpv")  # the host side of the pair, found by iflink/ifindex
    peer = result["host"][veth]
    # the same bytes on both sides, rx and tx swapped (a few bytes of IPv6 chatter aside)
    assert abs(peer["tx_bytes"] - received) < 2000
    assert abs(peer["rx_bytes"] - sent) < 2000
    assert result["values"]["containers_cpu"][field] == 4242
    assert result["values"]["containers_memory"][field] == 8192
