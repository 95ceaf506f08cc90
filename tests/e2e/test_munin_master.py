"""The Munin peers harness (tests/munin_peers.py) against the real programs.

Debian's munin-node (2.0.73) runs on loopback on a free port; Debian's munin-update polls it
as the munin user and writes RRD files; what those files hold is compared with ``fetch``
replies read directly from the node just before and just after the update. This validates the
harness that the rempart agent's munin-node server is then tested with.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.munin_peers import (
    DEFAULT_PLUGINS,
    Poll,
    debian_munin_node,
    expected_rrds,
    full_poll,
    munin_update,
    need_munin,
    parse_values,
    rrd_last,
    rrd_names,
)

pytestmark = [pytest.mark.system]

PLUGINS = Path("/usr/share/munin/plugins")
SMALL = {"load": "load", "uptime": "uptime", "cpu": "cpu", "memory": "memory", "if_lo": "if_"}


def _plugin_dir(tmp_path: Path, plugins: Mapping[str, str]) -> Path:
    directory = tmp_path / "plugins"
    directory.mkdir()
    for name, target in plugins.items():
        (directory / name).symlink_to(PLUGINS / target)
    return directory


def _expected(poll: Poll) -> set[str]:
    out: set[str] = set()
    for name in poll.plugins:
        rrds = expected_rrds(name, poll.reply(f"config {name}"))
        out |= {f"{rrd}-{letter}" for rrd, letter in rrds.items()}
    return out


def _errors(log: str, *, first_run: bool) -> list[str]:
    # On a first run munin-update tries to "tune" every RRD before creating it and logs an
    # ERROR per field (the files are then created fine): expected noise, nothing else is.
    lines = [line for line in log.splitlines() if "[ERROR]" in line or "[FATAL]" in line]
    if first_run:
        lines = [line for line in lines if "] Tuning " not in line]
    return lines


def test_parse_values_reads_plain_dated_unknown_and_multigraph_values() -> None:
    lines = [
        "load.value 0.25",
        "uptime.value 1795253610:7",
        "down.value U",
        "multigraph diskstats_iops.vda",
        "rdio.value 3",
        "graph_title ignored",
    ]
    assert parse_values(lines) == {
        "load": 0.25,
        "uptime": 7.0,
        "down": None,
        "diskstats_iops.vda/rdio": 3.0,
    }


def test_munin_update_stores_what_the_node_fetches(tmp_path: Path) -> None:
    need_munin()
    plugins = _plugin_dir(tmp_path, SMALL)
    with debian_munin_node(tmp_path, plugins_dir=plugins) as node:
        assert node.banner.startswith("# munin node at ")
        before = full_poll(node.address, node.port)
        update = munin_update(tmp_path, [node.node("peers", "debian-node")])
        after = full_poll(node.address, node.port)
        _check_values(update.dbdir, before, after)
        again = munin_update(tmp_path, [node.node("peers", "debian-node")])

    assert sorted(before.plugins) == sorted(SMALL)
    assert update.returncode == 0, update.output + update.log
    assert _errors(update.log, first_run=True) == [], update.log
    assert again.returncode == 0, again.output + again.log
    assert _errors(again.log, first_run=False) == [], again.log
    assert rrd_names(update.dbdir, "peers", "debian-node") == _expected(before)
    assert rrd_last(update.dbdir, "peers", "debian-node", "load", "nosuch", "g") is None


def _check_values(dbdir: Path, before: Poll, after: Poll) -> None:
    """The last values stored lie between the direct fetches done before and after."""
    first, last = before.fetched(), after.fetched()

    def stored(plugin: str, field: str, letter: str) -> float:
        value = rrd_last(dbdir, "peers", "debian-node", plugin, field, letter)
        assert value is not None, (plugin, field)
        return value

    def between(plugin: str, field: str, letter: str, slack: float) -> None:
        low, high = sorted((first[plugin][field] or 0.0, last[plugin][field] or 0.0))
        value = stored(plugin, field, letter)
        assert low - slack <= value <= high + slack, (plugin, field, low, value, high)

    between("load", "load", "g", 0.5)  # a 5-minute average: moves slowly
    between("uptime", "uptime", "g", 0.001)  # days
    for field in ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"):
        between("cpu", field, "d", 0.0)  # counters (jiffies): fetched between the two polls
    for field in ("down", "up"):
        between("if_lo", field, "d", 0.0)
    for field, value in first["memory"].items():
        if value is not None:  # bytes: other tests run meanwhile, so a loose bound
            between("memory", field, "g", 0.1 * value + 256 * 2**20)


@pytest.mark.slow
def test_munin_update_of_debian_default_plugins(tmp_path: Path) -> None:
    """Every plugin Debian enables (multigraph diskstats and netstat included): one RRD per
    field of every graph, named as the note §3.1 says."""
    need_munin()
    with debian_munin_node(tmp_path, plugins_dir=DEFAULT_PLUGINS) as node:
        poll = full_poll(node.address, node.port)
        update = munin_update(tmp_path, [node.node("Gandi", "vm1")])
    assert update.returncode == 0, update.output + update.log
    assert _errors(update.log, first_run=True) == [], update.log
    assert len(poll.plugins) >= 10
    assert rrd_names(update.dbdir, "Gandi", "vm1") == _expected(poll)
    assert rrd_last(update.dbdir, "Gandi", "vm1", "load", "load", "g") is not None
