"""Every system-probe parser takes any text without raising and returns what it can."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.probes.cpu import parse_stat
from rempart.probes.df import parse_mounts
from rempart.probes.diskstats import parse_diskstats
from rempart.probes.load import parse_loadavg
from rempart.probes.memory import memory_values, parse_meminfo
from rempart.probes.network import parse_net_dev, parse_speed
from rempart.probes.processes import parse_pid_stat
from rempart.probes.psi import parse_pressure
from rempart.probes.swap import parse_vmstat
from rempart.probes.uptime import parse_uptime

# Text that looks like /proc: words, digits, colons, parentheses, '=', newlines, and anything else.
_ALPHABET = st.sampled_from(list("0123456789 \t\n:()=/-.abcpuSZkB#\\\x00é"))
PROCISH = st.one_of(st.text(), st.text(alphabet=_ALPHABET, max_size=400))
PARSERS = (
    parse_stat, parse_mounts, parse_diskstats, parse_loadavg, parse_meminfo, parse_net_dev,
    parse_speed, parse_pid_stat, parse_pressure, parse_vmstat, parse_uptime,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(PROCISH)
def test_parsers_never_raise(text: str) -> None:
    for parse in PARSERS:
        parse(text)  # type: ignore[operator]
    memory_values(parse_meminfo(text))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**64), min_size=16, max_size=16))
def test_net_dev_line_round_trip(numbers: list[int]) -> None:
    line = "  eth0: " + " ".join(map(str, numbers))
    counters = parse_net_dev("header\nheader\n" + line)["eth0"]
    assert (counters.rx_bytes, counters.tx_bytes, counters.colls) == (
        numbers[0], numbers[8], numbers[13]
    )  # fmt: skip
