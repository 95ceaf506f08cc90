"""Golden tests of the system probes: parse → values, collect on a fixture tree → exact series."""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.metrics.model import Series
from rempart.munin.format import config_lines
from rempart.probes.cpu import CpuProbe, parse_stat
from rempart.probes.df import DfProbe, FsUsage, parse_mounts
from rempart.probes.diskstats import DiskCounters, DiskstatsProbe, average_wait, parse_diskstats
from rempart.probes.load import LoadProbe, parse_loadavg
from rempart.probes.memory import MemoryProbe, memory_values, parse_meminfo
from rempart.probes.network import (
    NetCounters,
    NetworkProbe,
    capacity_for,
    parse_net_dev,
    parse_speed,
    utilisation,
)
from rempart.probes.processes import ProcessesProbe, parse_pid_stat
from rempart.probes.psi import PsiProbe, parse_pressure
from rempart.probes.swap import SwapProbe, parse_vmstat
from rempart.probes.uptime import UptimeProbe, parse_uptime

FIX = Path(__file__).parent.parent / "fixtures" / "probes"


def by_graph(series: tuple[Series, ...]) -> dict[str, dict[str, float | None]]:
    return {s.graph.name: dict(s.values) for s in series}


def test_cpu() -> None:
    times = parse_stat("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 1 1 1\ncpu1 x\nintr 5\n")
    assert times.ncpu == 2
    assert times.jiffies["guest"] == 9
    assert "guest_nice" not in times.jiffies
    (series,) = CpuProbe(root=FIX / "cpu").collect()
    assert dict(series.values) == {
        "user": 951876, "nice": 0, "system": 110560, "idle": 1480072, "iowait": 7489,
        "irq": 0, "softirq": 1365, "steal": 2627, "guest": 0,
    }  # fmt: skip
    graph = series.graph
    assert graph.name == "cpu"
    assert graph.args.endswith("--upper-limit 200")
    assert [f.name for f in graph.fields][:3] == ["system", "user", "nice"]
    assert all(f.type == "DERIVE" and f.min == 0 for f in graph.fields)


def test_load_and_uptime() -> None:
    assert parse_loadavg("0.52 0.95 0.89 1/111 8811") == (0.52, 0.95, 0.89)
    assert parse_loadavg("nan 1 2") is None
    assert parse_loadavg("") is None
    assert by_graph(LoadProbe(root=FIX / "load").collect()) == {"load": {"load": 0.95}}
    assert parse_uptime("12814.79 14800.72") == 12814.79
    assert parse_uptime("-1") is None
    assert by_graph(UptimeProbe(root=FIX / "uptime").collect()) == {"uptime": {"uptime": 0.15}}


def test_memory_like_munin() -> None:
    mem = parse_meminfo("MemTotal: 100 kB\nMemFree: 10 kB\nActive(anon): 5 kB\nShmem: 2 kB\n")
    assert mem == {"MemTotal": 102400, "MemFree": 10240, "Shmem": 2048}  # Munin's \w+ regex
    assert memory_values({}) == {}
    values = by_graph(MemoryProbe(root=FIX / "memory").collect())["memory"]
    kb = 1024
    assert values["apps"] == (24684096 - 23085276 - 26652 - 1069612 - 281804 - 2704 - 784) * kb
    assert values["cached"] == (1069612 - 8788) * kb
    assert values["swap"] == 0
    assert values["free"] == 23085276 * kb
    assert values["slab"] == 281804 * kb
    (series,) = MemoryProbe(root=FIX / "memory").collect()
    assert series.graph.order[:3] == ("apps", "page_tables", "per_cpu")
    assert series.graph.args == f"--base 1024 -l 0 --upper-limit {24684096 * kb}"


def test_swap() -> None:
    assert parse_vmstat("pswpin 3\nbad\npswpout x\n") == {"pswpin": 3}
    assert SwapProbe(root=FIX / "swap-none").collect() == ()
    values = by_graph(SwapProbe(root=FIX / "swap").collect())
    assert values["swap"] == {"swap_in": 1234, "swap_out": 5678}
    used = (2097148 - 1572860) * 1024
    assert values["swap_usage"] == {
        "used": used, "total": 2097148 * 1024, "percent": 100 * used / (2097148 * 1024)
    }  # fmt: skip


def test_psi(tmp_path: Path) -> None:
    assert parse_pressure("some avg10=1 total=12\nfull total=x\nbogus total=3") == {"some": 12}
    values = by_graph(PsiProbe(root=FIX / "psi").collect())
    assert values == {
        "psi_cpu": {"some": 770273357, "full": 0},
        "psi_memory": {"some": 0, "full": 0},
        "psi_io": {"some": 66897359, "full": 55187056},
    }
    (cpu, *_) = PsiProbe(root=FIX / "psi").collect()
    assert cpu.graph.fields[0].cdef == "some,10000,/"
    assert cpu.graph.fields[0].type == "DERIVE"
    assert PsiProbe(root=tmp_path).collect() == ()


def test_diskstats_whole_disks_only() -> None:
    disks = parse_diskstats((FIX / "diskstats/proc/diskstats").read_text())
    assert disks["vda1"].reads == 1000
    assert disks["vda"].io_ms == 122716
    probe = DiskstatsProbe(root=FIX / "diskstats")
    first = by_graph(probe.collect())
    assert first == {
        "diskstats_iops": {"vda_rdio": 678044, "vda_wrio": 254225},
        "diskstats_throughput": {"vda_rdbytes": 28185658 * 512, "vda_wrbytes": 46903080 * 512},
        "diskstats_utilization": {"vda_util": 122716},
        "diskstats_latency": {"vda_avgwait": None},
    }
    assert by_graph(probe.collect())["diskstats_latency"] == {"vda_avgwait": 0.0}
    old = DiskCounters(10, 0, 100, 10, 0, 300, 0)
    assert average_wait(old, DiskCounters(20, 0, 200, 20, 0, 500, 0)) == 0.015
    assert average_wait(old, DiskCounters(0, 0, 0, 0, 0, 0, 0)) is None


def test_df_fields_like_munin() -> None:
    mounts = parse_mounts((FIX / "df/proc/self/mounts").read_text())
    assert mounts[5].mountpoint == "/srv/my data"
    sizes = {
        "": FsUsage(1000, 750, 700, 100, 90, 90),
        "srv/my data": FsUsage(2000, 2000, 1900, 10, 10, 10),
        "var/lib/docker": FsUsage(4000, 1000, 1000, 0, 0, 0),  # btrfs: no inode figures
    }

    def statvfs(path: Path) -> FsUsage:
        return sizes[str(path.relative_to(FIX / "df")).removeprefix(".")]

    series = DfProbe(root=FIX / "df", statvfs=statvfs).collect()
    values = by_graph(series)
    assert values["df"] == {
        "_dev_vda": 100 * 250 / (250 + 700), "_dev_vdb1": 0.0, "_dev_vdc": 100 * 3000 / 4000
    }  # fmt: skip
    assert values["df_inode"] == {"_dev_vda": 100 * 10 / (10 + 90), "_dev_vdb1": 0.0}
    assert values["df_abs"]["_dev_vda"] == 250
    assert values["df_abs"]["_dev_vda_size"] == 1000
    df = series[0].graph
    first = df.fields[0]
    assert (first.label, first.warning, first.critical) == ("/", "92", "98")
    assert config_lines(df)[:2] == ["graph_title Disk usage in percent",
                                    "graph_args --upper-limit 100 -l 0"]  # fmt: skip
    excluded = DfProbe(root=FIX / "df", statvfs=statvfs, exclude=("/srv/*", "/var/*")).collect()
    assert list(by_graph(excluded)["df"]) == ["_dev_vda"]


def test_network_fixture() -> None:
    counters = parse_net_dev((FIX / "network/proc/net/dev").read_text())
    assert counters["eth1"] == NetCounters(1000000, 2000, 3, 4, 5000000, 6000, 7, 8, 9)
    assert parse_speed("-1") is None
    assert parse_speed(None) is None
    assert parse_speed("1000") == 1e9
    assert capacity_for("eth3", {"eth*": 1e8}, 1e9) == 1e8
    assert capacity_for("x", {}, None) is None
    now = [100.0]
    probe = NetworkProbe(root=FIX / "network", capacity={"docker*": 1e8}, clock=lambda: now[0])
    series = probe.collect()
    names = [s.graph.name for s in series]
    assert "if_lo" not in names
    assert not any("vethab12" in n for n in names)
    assert [n for n in names if n.startswith("if_util")] == ["if_util_eth1", "if_util_docker0"]
    values = by_graph(series)
    assert values["if_eth1"] == {"down": 1000000, "up": 5000000}
    assert values["if_err_eth1"] == {
        "rcvd": 3, "trans": 7, "rxdrop": 4, "txdrop": 8, "collisions": 9
    }  # fmt: skip
    assert values["if_packets_eth1"] == {"down": 2000, "up": 6000}
    assert values["if_util_eth1"] == {"down": None, "up": None}
    graphs = {s.graph.name: s.graph for s in series}
    eth0_up = graphs["if_eth0"].field("up")
    assert eth0_up is not None
    assert eth0_up.max is None
    assert "capacity" in (eth0_up.info or "")
    eth1_up = graphs["if_eth1"].field("up")
    assert eth1_up is not None
    assert eth1_up.max == 1e9
    assert eth1_up.cdef == "up,8,*"
    now[0] = 110.0
    assert by_graph(probe.collect())["if_util_eth1"] == {"down": 0.0, "up": 0.0}
    old, new = NetCounters(0, 0, 0, 0, 0, 0, 0, 0, 0), NetCounters(1250, 0, 0, 0, 0, 0, 0, 0, 0)
    assert utilisation(old, new, 10, 1000) == (100.0, 0.0)
    assert utilisation(new, old, 10, 1000) == (None, 0.0)


def test_processes() -> None:
    assert parse_pid_stat("7 (a) b) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 4") == ("R", 4)
    assert parse_pid_stat("7 (a") is None
    values = by_graph(ProcessesProbe(root=FIX / "processes").collect())
    assert values["processes"] == {
        "sleeping": 2, "idle": 1, "stopped": 0, "zombie": 1, "dead": 0, "paging": 0,
        "uninterruptible": 1, "runnable": 0, "processes": 5,
    }  # fmt: skip
    assert values["threads"] == {"threads": 13 + 1 + 1 + 1 + 35}


@pytest.mark.parametrize(
    "probe", [CpuProbe, LoadProbe, MemoryProbe, SwapProbe, UptimeProbe, DiskstatsProbe]
)
def test_missing_file_is_an_oserror(probe: type, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe(root=tmp_path).collect()
