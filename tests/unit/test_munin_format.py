"""config/fetch bodies: a Graph built like Debian's Munin plugins gives the lines they print.

The recorded bodies are in tests/fixtures/munin/transcripts (munin-node 2.0.73). The master
reads attributes by name, so the comparison is of lines with blanks collapsed, in any order
(Munin's plugins each have their own order), except ``df`` whose order rempart's matches.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.metrics.model import Field, Graph, Series
from rempart.munin.format import config_lines, fetch_lines, format_number, one_line
from tests.conftest import FIXTURES

TRANSCRIPTS = FIXTURES / "munin" / "transcripts"


def body(name: str, verb: str = "config|fetch") -> list[str]:
    """The lines a recorded `config`/`fetch` printed (between the command and ".")."""
    lines = (TRANSCRIPTS / name).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"C: ({verb}) ", line))
    out = []
    for line in lines[start + 1 :]:
        if line == "S: .":
            return out
        out.append(line[3:])
    raise AssertionError(name)


def same_lines(ours: list[str], theirs: list[str]) -> None:
    def norm(lines: list[str]) -> list[str]:
        return sorted(" ".join(line.split()) for line in lines)

    assert norm(ours) == norm(theirs)


LOAD = Graph(
    name="load",
    title="Load average",
    category="system",
    args="--base 1000 -l 0",
    vlabel="load",
    scale=False,
    info="The load average of the machine describes how many processes are in the run-queue "
    '(scheduled to run "immediately").',
    fields=(Field("load", "load", info="5 minute load average"),),
)

_CPU_INFO = {
    "system": "CPU time spent by the kernel in system activities",
    "user": "CPU time spent by normal programs and daemons",
    "nice": "CPU time spent by nice(1)d programs",
    "idle": "Idle CPU time",
    "iowait": "CPU time spent waiting for I/O operations to finish when there is nothing else "
    "to do.",
    "irq": "CPU time spent handling interrupts",
    "softirq": 'CPU time spent handling "batched" interrupts',
    "steal": "The time that a virtual CPU had runnable tasks, but the virtual CPU itself was not "
    "running",
    "guest": "The time spent running a virtual CPU for guest operating systems under the control "
    "of the Linux kernel.",
}
CPU = Graph(
    name="cpu",
    title="CPU usage",
    category="system",
    order=("system", "user", "nice", "idle", "iowait", "irq", "softirq"),
    args="--base 1000 -r --lower-limit 0 --upper-limit 200",
    vlabel="%",
    scale=False,
    info="This graph shows how CPU time is spent.",
    period="second",
    fields=tuple(
        Field(n, n, type="DERIVE", min=0, draw="AREA" if n == "system" else "STACK", info=i)
        for n, i in _CPU_INFO.items()
    ),
)

DF = Graph(
    name="df",
    title="Disk usage in percent",
    category="disk",
    args="--upper-limit 100 -l 0",
    vlabel="%",
    scale=False,
    fields=tuple(
        Field(n, label, warning="92", critical="98")
        for n, label in (
            ("_dev_shm", "/dev/shm"),
            ("_dev_vda", "/"),
            ("_sys_fs_cgroup", "/sys/fs/cgroup"),
        )
    ),
)

SWAP = Graph(
    name="swap",
    title="Swap in/out",
    category="system",
    args="-l 0 --base 1000",
    vlabel="pages per ${graph_period} in (-) / out (+)",
    fields=(
        Field("swap_in", "swap", type="DERIVE", max=100000, min=0, graph=False),
        Field("swap_out", "swap", type="DERIVE", max=100000, min=0, negative="swap_in"),
    ),
)

_IF_INFO = (
    "This graph shows the traffic of the eth0 network interface. Please note that the traffic "
    "is shown in bits per second, not bytes. IMPORTANT: On 32-bit systems the data source for "
    "this plugin uses 32-bit counters, which makes the plugin unreliable and unsuitable for most "
    "100-Mb/s (or faster) interfaces, where traffic is expected to exceed 50 Mb/s over a 5 "
    "minute period.  This means that this plugin is unsuitable for most 32-bit production "
    "environments. To avoid this problem, use the ip_ plugin instead.  There should be no "
    "problems on 64-bit systems running 64-bit kernels."
)
IF_ETH0 = Graph(
    name="if_eth0",
    title="eth0 traffic",
    category="network",
    order=("down", "up"),
    args="--base 1000",
    vlabel="bits in (-) / out (+) per ${graph_period}",
    info=_IF_INFO,
    fields=(
        Field("down", "received", type="DERIVE", graph=False, cdef="down,8,*", min=0),
        Field(
            "up",
            "bps",
            type="DERIVE",
            negative="down",
            cdef="up,8,*",
            min=0,
            info="Traffic of the eth0 interface. Unable to determine interface speed. Please "
            "install ethtool, wireless-tools, mii-tool or whatever is appropriate for the "
            "interface.",
        ),
    ),
)

FAIL2BAN = Graph(
    name="fail2ban",
    title="Hosts blacklisted by fail2ban",
    info="This graph shows the number of host blacklisted by fail2ban",
    category="network",
    vlabel="Number of hosts",
    args="--base 1000 -l 0",
    total="total",
    fields=(Field("sshd_test", "sshd-test"), Field("wordpress_test", "wordpress-test")),
)


@pytest.mark.parametrize(
    ("graph", "recorded"),
    [
        (LOAD, "config-load.txt"),
        (CPU, "config-cpu.txt"),
        (DF, "config-df.txt"),
        (SWAP, "config-swap.txt"),
        (IF_ETH0, "config-if_eth0.txt"),
        (FAIL2BAN, "config-fail2ban.txt"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_a_graph_built_like_munins_plugin_gives_its_lines(graph: Graph, recorded: str) -> None:
    same_lines(config_lines(graph), body(recorded))


def test_df_comes_out_in_the_plugins_order() -> None:
    assert config_lines(DF) == body("config-df.txt")


def test_graph_lines_order_and_field_lines_order() -> None:
    lines = config_lines(CPU)
    assert [line.split()[0] for line in lines[:8]] == [
        "graph_title",
        "graph_order",
        "graph_args",
        "graph_vlabel",
        "graph_scale",
        "graph_category",
        "graph_info",
        "graph_period",
    ]
    assert lines[8:13] == [
        "system.label system",
        "system.type DERIVE",
        "system.draw AREA",
        "system.min 0",
        "system.info CPU time spent by the kernel in system activities",
    ]


@pytest.mark.parametrize(
    ("series", "recorded"),
    [
        (Series(LOAD, {"load": 1.14}), "fetch-load.txt"),
        (Series(FAIL2BAN, {"sshd_test": 2, "wordpress_test": 1}), "fetch-fail2ban-active-bans.txt"),
    ],
)
def test_fetch_lines_match_the_plugins(series: Series, recorded: str) -> None:
    assert fetch_lines(series) == body(recorded, "fetch")


def test_fetch_unknowns_and_integer_counters() -> None:
    series = Series(IF_ETH0, {"down": 123456789.9, "up": None})
    assert fetch_lines(series) == ["down.value 123456789", "up.value U"]
    gauge = Series(LOAD, {"load": math.nan})
    assert fetch_lines(gauge) == ["load.value U"]
    assert fetch_lines(Series(LOAD, {})) == ["load.value U"]


def test_labels_and_texts_stay_on_one_line_without_hash_or_backslash() -> None:
    graph = Graph(
        name="x",
        title="evil\ntitle",
        category="other",
        info="line\r\nbreak\x1b[31m",
        fields=(Field("a", "C:\\#1 \x00site"),),
    )
    lines = config_lines(graph)
    assert lines == [
        "graph_title evil title",
        "graph_category other",
        "graph_info line break [31m",
        "a.label C:/ 1  site",
    ]
    assert one_line("  a\tb  ") == "a b"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "U"),
        (math.nan, "U"),
        (math.inf, "U"),
        (-math.inf, "U"),
        (0, "0"),
        (-0.0, "0"),
        (3.0, "3"),
        (1.14, "1.14"),
        (25276502016, "25276502016"),
        (1e-07, "0.0000001"),
        (1.5e16, "15000000000000000"),
        (-2.5e-05, "-0.000025"),
    ],
)
def test_format_number(value: float | None, text: str) -> None:
    assert format_number(value) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_are_never_scientific_and_read_back(value: float) -> None:
    text = format_number(value)
    assert "e" not in text.lower()
    assert float(text) == value
