"""Debian's Munin master against the rempart agent's munin-node server (issue 5).

Uses tests/munin_peers.py: ``rempart_agent_node`` starts ``rempart agent`` with no jails,
``--firewall dry-run``, state and control socket in a private directory and ``[metrics.munin]``
on a free loopback port; ``debian_munin_node`` starts Debian's munin-node 2.0.73 the same way;
``munin_update`` runs Debian's munin-update as the munin user.

1. munin-update polls the agent and writes one RRD per field of every built-in graph (load,
   cpu, memory, if_*…), with the type letter the config announced, holding the values a
   direct ``fetch`` returned just before and just after (within tolerance).
2. The agent runs a real core plugin (``entropy`` from munin-plugins-core) through its plugin
   runner (``[metrics.munin] plugins = <dir with a link to it>``) and munin-update stores it;
   its ``config`` is the very text Debian's munin-node gives for the same plugin.
3. ``config load`` (and the cpu fields) of Debian's munin-node and of rempart agree on field
   names and types: a master that polled munin-node keeps writing the same RRD files.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rempart.munin.names import clean_fieldname
from tests.munin_peers import (
    MuninClient,
    Poll,
    RunningNode,
    debian_munin_node,
    expected_rrds,
    full_poll,
    munin_update,
    need_munin,
    rempart_agent_node,
    rrd_last,
    rrd_names,
)

pytestmark = [pytest.mark.system]

PLUGINS = Path("/usr/share/munin/plugins")
GROUP, HOST = "peers", "rempart"


def _expected(poll: Poll) -> set[str]:
    out: set[str] = set()
    for name in poll.plugins:
        rrds = expected_rrds(name, poll.reply(f"config {name}"))
        out |= {f"{rrd}-{letter}" for rrd, letter in rrds.items()}
    return out


def _errors(log: str) -> list[str]:
    # A first munin-update run "tunes" every RRD before creating it and logs an ERROR per
    # field (the files are then created fine): expected noise, nothing else is.
    return [
        line
        for line in log.splitlines()
        if ("[ERROR]" in line or "[FATAL]" in line) and "] Tuning " not in line
    ]


def _types(config: list[str]) -> dict[str, str]:
    """{field: type} of one config reply (GAUGE when not given)."""
    out: dict[str, str] = {}
    for line in config:
        key, _, value = line.partition(" ")
        if "." not in key or key.startswith("graph_"):
            continue
        name, _, attr = key.rpartition(".")
        out.setdefault(name, "GAUGE")
        if attr == "type":
            out[name] = value.strip()
    return out


def _has_nic() -> bool:
    """A network interface other than loopback with a device (virtio, e1000…)."""
    return any((p / "device").exists() for p in Path("/sys/class/net").iterdir() if p.name != "lo")


def _wait_for_plugin(node: RunningNode, name: str, timeout: float = 30.0) -> None:
    """The plugin runner discovers in the background: wait until ``list`` shows ``name``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with MuninClient(node.address, node.port) as client:
            client.single("cap multigraph dirtyconfig")
            if name in client.single("list").split():
                return
        time.sleep(0.2)
    raise AssertionError(f"{name} not listed by the agent after {timeout} s:\n{node.log()}")


def _check_stored(dbdir: Path, before: Poll, after: Poll) -> int:
    """Every value fetched directly is what munin-update stored, within tolerance; returns
    how many values were compared."""
    first, last = before.fetched(), after.fetched()
    letters: dict[str, str] = {}
    for name in before.plugins:
        letters.update(expected_rrds(name, before.reply(f"config {name}")))
    compared = 0
    for plugin, values in first.items():
        for key, a in values.items():
            graph, _, field = key.rpartition("/")
            rrd = f"{(graph or plugin).replace('.', '-')}-{clean_fieldname(field)}"
            b = last.get(plugin, {}).get(key)
            letter = letters.get(rrd, "g")
            stored = rrd_last(
                dbdir, GROUP, HOST, rrd.rsplit("-", 1)[0], rrd.rsplit("-", 1)[1], letter
            )
            if a is None or b is None:
                continue  # U (e.g. a utilisation on the first collection)
            assert stored is not None, (plugin, key, "not stored")
            low, high = min(a, b), max(a, b)
            if letter in "dc":  # counters: the stored one was fetched between the two polls
                slack = 0.0
            elif plugin == "memory":  # bytes; other tests run meanwhile
                slack = 0.1 * high + 256 * 2**20
            else:
                slack = 0.25 * max(abs(low), abs(high)) + 1.0
            assert low - slack <= stored <= high + slack, (plugin, key, low, stored, high)
            compared += 1
    return compared


def test_munin_update_polls_rempart_builtin_graphs(tmp_path: Path) -> None:
    need_munin()
    with rempart_agent_node(tmp_path, host_name="rempart-test") as agent:
        assert agent.banner == "# munin node at rempart-test"
        before = full_poll(agent.address, agent.port)
        update = munin_update(tmp_path, [agent.node(GROUP, HOST)])
        after = full_poll(agent.address, agent.port)
        compared = _check_stored(update.dbdir, before, after)
    assert update.returncode == 0, update.output + update.log
    assert _errors(update.log) == [], update.log
    assert {"load", "cpu", "memory"} <= set(before.plugins), before.plugins
    if _has_nic():
        assert any(p.startswith("if_") for p in before.plugins), before.plugins
    assert rrd_names(update.dbdir, GROUP, HOST) == _expected(before)
    assert compared >= 10
    assert rrd_last(update.dbdir, GROUP, HOST, "load", "load", "g") is not None
    for field in ("user", "system", "idle"):
        assert rrd_last(update.dbdir, GROUP, HOST, "cpu", field, "d") is not None


def test_munin_update_stores_a_core_plugin_run_by_rempart(tmp_path: Path) -> None:
    need_munin()
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    # not a built-in graph name: a plugin named like one (uptime, load...) is shadowed by it
    (plugins / "entropy").symlink_to(PLUGINS / "entropy")
    with (
        rempart_agent_node(tmp_path, plugins_dir=plugins) as agent,
        debian_munin_node(tmp_path, plugins_dir=plugins) as node,
    ):
        _wait_for_plugin(agent, "entropy")
        with MuninClient(agent.address, agent.port) as client:
            client.single("cap multigraph dirtyconfig")
            config = client.multi("config entropy")
            a = client.multi("fetch entropy")
        with MuninClient(node.address, node.port) as client:
            client.single("cap multigraph dirtyconfig")
            assert client.multi("config entropy") == config  # the same script, the same text
        update = munin_update(tmp_path, [agent.node(GROUP, HOST)])
        with MuninClient(agent.address, agent.port) as client:
            b = client.multi("fetch entropy")
    assert update.returncode == 0, update.output + update.log
    assert _errors(update.log) == [], update.log
    assert "entropy-entropy-g" in rrd_names(update.dbdir, GROUP, HOST)
    low, high = sorted(float(r[0].split()[1]) for r in (a, b))
    stored = rrd_last(update.dbdir, GROUP, HOST, "entropy", "entropy", "g")
    assert stored is not None
    assert low - 0.001 <= stored <= high + 0.001


def test_config_load_and_cpu_fields_match_debian_munin_node(tmp_path: Path) -> None:
    need_munin()
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    for name in ("load", "cpu"):
        (plugins / name).symlink_to(PLUGINS / name)
    with (
        rempart_agent_node(tmp_path) as agent,
        debian_munin_node(tmp_path, plugins_dir=plugins) as node,
    ):
        replies = {}
        for who, peer in (("rempart", agent), ("munin-node", node)):
            with MuninClient(peer.address, peer.port) as client:
                client.single("cap multigraph dirtyconfig")
                replies[who] = {p: client.multi(f"config {p}") for p in ("load", "cpu")}
    ours, theirs = replies["rempart"], replies["munin-node"]
    assert _types(ours["load"]) == _types(theirs["load"]) == {"load": "GAUGE"}
    for line in ("graph_category system",):
        assert line in ours["load"]
        assert line in theirs["load"]
    cpu_ours, cpu_theirs = _types(ours["cpu"]), _types(theirs["cpu"])
    for field, kind in cpu_theirs.items():  # Debian's fields, all DERIVE
        assert cpu_ours.get(field) == kind, (field, cpu_ours)
