"""Metrics in the agent: AgentNode over real probes, the rempart probe, `rempart probes`
rendered in English and French, and the agent running with metrics on (control socket,
Prometheus endpoint, `rempart probes` through the socket)."""

from __future__ import annotations

import asyncio
import io
import logging
import tomllib
from pathlib import Path
from typing import Literal

import httpx
import pytest

from rempart.adapters.firewall import open_firewall
from rempart.cli import main
from rempart.cli.probes_cmd import print_probes
from rempart.clock import FrozenClock
from rempart.config import build_config
from rempart.munin.values import PluginInfo, PluginOutput
from rempart.services.agent import AgentOptions
from rempart.services.agent_control import AgentControl
from rempart.services.agent_metrics import AgentMetrics, JailCounters, Sample
from rempart.services.munin_backend import AgentNode
from rempart.services.probe_catalog import build_probes, probe_options
from rempart.services.probes import ProbeService
from rempart.services.rempart_probe import RempartProbe
from tests.integration.agent_harness import running
from tests.small_probes import LoadFileProbe

LOG = logging.getLogger("rempart.test.agent_metrics")


class StaticPlugins:
    """A plugin source serving fixed bodies (the runner itself is tested on its branch)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def plugins(self) -> list[PluginInfo]:
        return [PluginInfo("load"), PluginInfo("uptime")]

    async def run(
        self,
        name: str,
        action: Literal["config", "fetch"],
        *,
        peer: str,
        dirtyconfig: bool = False,
    ) -> PluginOutput:
        self.asked.append((name, action))
        return PluginOutput("ok", ("uptime.value 3.5",))


def test_agent_node_serves_builtin_graphs_then_plugins(caplog: pytest.LogCaptureFixture) -> None:
    async def main_() -> None:
        service = ProbeService([LoadFileProbe()], clock=FrozenClock(0.0), log=LOG)
        plugins = StaticPlugins()
        node = AgentNode(service, plugins, "web1.example.org", log=LOG)
        assert node.host_name == "web1.example.org"
        # config before any list: collected on the way
        config = await node.config("load", dirtyconfig=False, peer="127.0.0.1")
        assert config.outcome == "ok"
        assert config.lines[:3] == (
            "graph_title Load average",
            "graph_args --base 1000 -l 0",
            "graph_vlabel load",
        )
        assert "load.warning 8" in config.lines
        assert "load.value 1.22" not in config.lines
        dirty = await node.config("load", dirtyconfig=True, peer="127.0.0.1")
        assert dirty.lines[-1] == "load.value 1.22"
        assert [p.name for p in await node.plugins()] == ["load", "uptime"]  # built-in wins
        assert (await node.fetch("load", peer="127.0.0.1")).lines == ("load.value 1.22",)
        assert (await node.fetch("uptime", peer="127.0.0.1")).lines == ("uptime.value 3.5",)
        assert plugins.asked == [("uptime", "fetch")]
        assert (await node.fetch("nope", peer="127.0.0.1")).outcome == "unknown"
        assert (await node.config("nope", dirtyconfig=False, peer="x")).outcome == "unknown"
        lonely = AgentNode(service, None, "h", log=LOG)
        assert (await lonely.fetch("uptime", peer="127.0.0.1")).outcome == "unknown"
        await service.close()

    with caplog.at_level(logging.WARNING, logger=LOG.name):
        asyncio.run(main_())
    assert caplog.text.count("name of a built-in graph") == 1


def test_rempart_probe_graphs_the_agent_figures() -> None:
    metrics = AgentMetrics(
        jails={"sshd": JailCounters(failures=12, bans=3, active=2), "postfix-sasl": JailCounters()}
    )
    blocklist = [
        Sample("rempart_abuseipdb_blocklist_size", (("version", "4"),), 9000, ""),
        Sample("rempart_abuseipdb_blocklist_size", (("version", "6"),), 120, ""),
    ]
    series = {s.graph.name: s for s in RempartProbe(lambda: metrics, lambda: blocklist).collect()}
    assert list(series) == [
        "rempart_failures",
        "rempart_bans",
        "rempart_active_bans",
        "rempart_blocklist",
    ]
    bans = series["rempart_bans"]
    assert dict(bans.values) == {"postfix_sasl": 0.0, "sshd": 3.0}
    sshd = bans.graph.field("sshd")
    assert sshd is not None
    assert sshd.type == "DERIVE"
    assert sshd.cdef == "sshd,86400,*"
    assert dict(series["rempart_blocklist"].values) == {"v4": 9000, "v6": 120}
    assert dict(series["rempart_active_bans"].values)["sshd"] == 2.0
    assert RempartProbe(AgentMetrics).collect() == ()


ANSWER = {
    "enabled": True,
    "probes": [
        {
            "name": "cpu",
            "enabled": True,
            "background": False,
            "interval": 0.0,
            "runs": 3,
            "failures": 0,
            "last_duration": 0.0004,
            "mean_duration": 0.00042,
            "last_error": "",
            "graphs": ["cpu"],
            "series": 1,
            "fields": 9,
            "has_data": True,
            "last_at": 1.0,
        },
        {
            "name": "tls",
            "enabled": True,
            "background": True,
            "interval": 3600.0,
            "runs": 1,
            "failures": 1,
            "mean_duration": 5.0,
            "last_error": "timed out \x1b[31m",
            "graphs": [],
            "fields": 0,
            "has_data": False,
        },
        {"name": "psi", "enabled": False, "background": False, "interval": 0.0, "runs": 0},
    ],
    "plugins": [
        {"name": "if_eth0", "runs": 2, "failures": 0, "last_duration": 0.03, "last_outcome": "ok"}
    ],
    "services": {
        "munin": {"enabled": True, "listening": True, "port": 4949},
        "prometheus": {"enabled": False},
    },
}


def test_probes_table_in_english_and_french() -> None:
    out = io.StringIO()
    print_probes(ANSWER, "en", out)
    text = out.getvalue()
    lines = text.splitlines()
    assert lines[0].split() == [
        "probe",
        "on",
        "kind",
        "graphs",
        "fields",
        "ms",
        "data",
        "last",
        "error",
    ]
    assert lines[1].split() == ["cpu", "on", "on", "demand", "1", "9", "0.4", "yes", "-"]
    assert "every 1h" in lines[2]
    assert "5000.0" in lines[2]
    assert "\\x1b[31m" in lines[2]
    assert "\x1b" not in text
    assert lines[3].split()[:3] == ["psi", "off", "-"]
    assert "(rempart: only in the running agent)" in text
    assert "Munin plugins:" in text
    assert "if_eth0" in text
    assert "30.0" in text
    assert "munin-node: listening on 4949" in text
    assert "Prometheus: off" in text
    fr = io.StringIO()
    print_probes(ANSWER, "fr", fr)
    text = fr.getvalue()
    assert "sonde" in text
    assert "à la demande" in text
    assert "toutes les 1h" in text
    assert "0,4" in text
    assert "Greffons Munin" in text
    assert "Désactiver une sonde" in text
    off = io.StringIO()
    print_probes({"enabled": False}, "fr", off)
    assert "désactivées" in off.getvalue()


def test_catalog_passes_only_what_the_configuration_sets(tmp_path: Path) -> None:
    secret = tmp_path / "mariadb.pass"
    secret.write_text("p4ss\n")
    config = build_config(
        tomllib.loads(
            f"""
[metrics]
disabled = ["cpu"]
[probes.network]
capacity = {{ eth0 = "1Gbit" }}
[probes.containers]
docker_socket = ""
[probes.mariadb]
password = "file:{secret}"
"""
        ),
        tmp_path / "rempart.toml",
    )
    m = config.metrics
    assert probe_options(m, "network") == {"capacity": {"eth0": 1e9}}
    assert probe_options(m, "containers") == {"docker_socket": None}
    assert probe_options(m, "mariadb") == {"password": "p4ss"}
    assert probe_options(m, "df") == {}
    assert probe_options(m, "cpu") == {}
    secret.unlink()
    with pytest.raises(Exception, match="mariadb"):
        probe_options(m, "mariadb")
    extra = [LoadFileProbe(name="rempart"), LoadFileProbe(name="cpu")]
    names = [p.name for p in build_probes(config, extra=extra, log=LOG)]
    assert "rempart" in names
    assert "cpu" not in names


# ------------------------------------------------------------------ the running agent


def _options(tmp: Path) -> AgentOptions:
    log = tmp / "auth.log"
    log.write_text("")
    text = f"""
[rempart]
state_dir = "{tmp / "state"}"
[jails.sshd]
filter = "sshd"
[[jails.sshd.sources]]
type = "file"
path = "{log}"
[metrics.prometheus]
enabled = true
listen = "127.0.0.1:0"
"""
    config = build_config(tomllib.loads(text), tmp / "rempart.toml")
    return AgentOptions(config=config, firewall="dry-run", socket=tmp / "run" / "agent.sock")


def test_agent_with_metrics_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async def scenario() -> None:
        options = _options(tmp_path)
        firewall = open_firewall("dry-run", log=LOG)
        async with running(options, firewall, LOG) as agent:
            agent.metrics.jails["sshd"].failures = 4
            answer = await AgentControl(agent).probes_status()
            own = next(p for p in answer["probes"] if p["name"] == "rempart")
            assert own["has_data"]
            assert "rempart_bans" in own["graphs"]
            assert answer["services"]["prometheus"]["listening"]
            assert agent.probes is not None
            assert agent.probes.prometheus is not None
            port = agent.probes.prometheus.port
            async with httpx.AsyncClient(timeout=5) as client:
                scraped = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            assert 'rempart_failures_total{jail="sshd"} 4' in scraped
            assert 'rempart_probe_success{probe="rempart"}' not in scraped
            code = await asyncio.to_thread(
                main, ["--lang", "en", "probes", "--socket", str(options.socket)]
            )
            assert code in (0, 1)  # 1 when a probe of this machine failed
        assert agent.probes.prometheus is None  # closed with the agent

    asyncio.run(scenario())
    out = capsys.readouterr().out
    assert out.startswith("probe ")
    assert "\nrempart " in out
