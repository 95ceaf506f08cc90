"""`rempart server` end to end: real peers, a real SMTP server, the real command line.

In one run: Debian's munin-node and a rempart agent (group "Gandi") and a node that refuses
connections (group "TTN") are polled by the supervision server running in this process; the
dead node raises an `unreachable` alert, mailed to a real SMTP server (aiosmtpd); then the
command line — a separate process, reading the database read-only or talking to the server's
control socket — shows the nodes, the alert, acknowledges it, and reads a stored series.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path

import pytest

from rempart.clock import SystemClock
from rempart.config import load_config
from rempart.services.server import SupervisionServer
from tests.adapters.smtpserver import Received, mail_server
from tests.e2e.agent import rempart_argv
from tests.munin_peers import debian_munin_node, free_port, need_munin, rempart_agent_node

pytestmark = [pytest.mark.system]

_CONFIG = """
[rempart]
state_dir = "{state}"
language = "en"

[server]
timeout = "20s"
database = "{state}/server.db"
socket = "{state}/server.sock"

[server.groups.Gandi]
debian = "127.0.0.1:{debian}"
agent = "127.0.0.1:{agent}"

[server.groups.TTN]
dead = "127.0.0.1:{dead}"

[server.alerts]
unreachable_for = "0s"

[server.mail]
host = "127.0.0.1"
port = {smtp}
from = "rempart@example.org"
to = ["admins@example.org"]
"""


async def _cli(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *rempart_argv(*args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def _scenario(config: Path, received: Received) -> dict[str, object]:
    server = SupervisionServer(
        load_config(config).server, clock=SystemClock(), log=logging.getLogger("rempart.test")
    )
    stop = asyncio.Event()
    running = asyncio.create_task(server.run(stop))
    try:
        for _ in range(600):
            if server.state.rounds and received.messages:
                break
            await asyncio.sleep(0.1)
        db = ["--config", str(config)]
        nodes = await _cli("nodes", "--json", *db)
        alerts = await _cli("alerts", "--json", *db)
        listed = json.loads(alerts[1])
        dead = [a for a in listed if a["host"] == "dead"]
        ack = await _cli("ack", str(dead[0]["id"]), *db) if dead else (9, "", "no alert")
        after = await _cli("alerts", "--json", *db)
        query = await _cli("query", "debian", "load", "load", "--from=-1h", "--json", *db)
        status = await server.server_status()
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
    return {
        "nodes": nodes,
        "alerts": alerts,
        "ack": ack,
        "after": after,
        "query": query,
        "status": status,
    }


def test_server_polls_stores_alerts_mails_and_answers_the_cli(tmp_path: Path) -> None:
    need_munin()
    smtp = free_port()
    with (
        debian_munin_node(tmp_path) as debian,
        rempart_agent_node(tmp_path) as agent,
        mail_server(smtp) as received,
    ):
        state = tmp_path / "state"
        config = tmp_path / "rempart.toml"
        config.write_text(
            _CONFIG.format(
                state=state, debian=debian.port, agent=agent.port, dead=free_port(), smtp=smtp
            ),
            encoding="utf-8",
        )
        result = asyncio.run(_scenario(config, received))

    code, out, err = result["nodes"]  # type: ignore[misc]
    assert code == 1, err  # a node is down
    nodes = {n["node"]: n for n in json.loads(out)}
    assert (nodes["debian"]["state"], nodes["debian"]["group"]) == ("up", "Gandi")
    assert nodes["agent"]["state"] == "up"
    assert nodes["agent"]["graphs"] > 10
    assert (nodes["dead"]["state"], nodes["dead"]["group"]) == ("down", "TTN")
    assert nodes["dead"]["error"]

    code, out, err = result["alerts"]  # type: ignore[misc]
    assert code == 1, err  # an alert fires
    dead = [a for a in json.loads(out) if a["host"] == "dead"]
    assert [a["kind"] for a in dead] == ["unreachable"]
    assert dead[0]["status"] == "firing"
    assert not dead[0]["ack_by"]

    assert any("dead" in s for s in received.subjects), received.subjects
    envelope = received.envelopes[0]
    assert envelope == ("rempart@example.org", ["admins@example.org"])

    code, out, err = result["ack"]  # type: ignore[misc]
    assert code == 0, (out, err)
    after = [a for a in json.loads(result["after"][1]) if a["host"] == "dead"]  # type: ignore[index]
    assert after[0]["ack_by"].startswith("uid=")

    code, out, err = result["query"]  # type: ignore[misc]
    assert code == 0, err
    points = json.loads(out)
    assert any(p["avg"] is not None for p in points), points

    status = result["status"]
    assert isinstance(status, dict)
    assert status["rounds"] >= 1
    assert status["store"]["series"] > 50
    print(json.dumps(status), file=sys.stderr)
