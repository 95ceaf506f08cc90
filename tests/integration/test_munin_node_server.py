"""rempart's munin-node server for real, over TCP on 127.0.0.1 (port 0).

Every recorded session of Debian's munin-node 2.0.73 (tests/fixtures/munin/transcripts) is
replayed against the server, whose backend serves the recorded bodies; the replies must be
the same bytes, except where rempart differs on purpose:

- ``list`` before ``cap``: munin-node sorted it there (hash order after); compared as sets;
- ``nodes``: munin-node's hash order; compared as sets (rempart: this node first);
- ``version``: rempart announces ``2.0 (rempart X.Y.Z)`` instead of ``2.0.73``.

Then what a client can do wrong: unknown commands, a 1 MB line, a refused source address,
a silent client, a session that lasts too long, a backend that hangs or raises, too many
sessions — each answered or closed within bounds while another client is served.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import time
from collections.abc import Sequence
from ipaddress import ip_network
from pathlib import Path

import pytest

from rempart import __version__
from rempart.errors import MuninError
from rempart.munin.values import PluginInfo, PluginOutput
from rempart.services.munin_node import MuninNodeServer, _bind_error
from tests.integration.munin_transcripts import (
    HOST,
    Client,
    ServerThread,
    TranscriptBackend,
    all_bodies,
    exchanges,
    load,
)

ONLY_127_0_0_1 = (ip_network("127.0.0.1/32"),)  # the recorded node's `allow ^127\.0\.0\.1$`
UNKNOWN = "# Unknown command. Try cap, list, nodes, config, fetch, version or quit"
LOG = logging.getLogger("rempart.test.munin")


def _backend_for(path: Path) -> TranscriptBackend:
    bodies = all_bodies()
    bodies.add(load(path))  # this session's own bodies win
    return TranscriptBackend(bodies)


def _compare(name: str, command: str, expected: list[str], actual: list[str]) -> None:
    verb = command.split(maxsplit=1)[0].lower() if command.strip() else ""
    if verb == "list" and name.startswith("03-"):
        assert len(actual) == 1
        assert sorted(actual[0].split()) == sorted(expected[0].split())
    elif verb == "nodes":
        assert actual[-1] == "."
        assert sorted(actual) == sorted(expected)
        assert actual[0] == HOST
    elif verb == "version":
        assert expected == ["munins node on vm version: 2.0.73"]
        assert actual == [f"munins node on vm version: 2.0 (rempart {__version__})"]
    else:
        assert actual == expected, f"{name}: reply to {command!r}"


def _replay(path: Path, port: int) -> None:
    steps = load(path)
    source = "127.0.0.2" if path.name.startswith("14-") else None
    with Client(port, source=source) as client:
        command = "(banner)"
        i = 0
        while i < len(steps):
            kind, text = steps[i]
            if kind == "C":
                client.send(text)
                command = text
                i += 1
                continue
            if kind == "closed":
                assert client.closed(), f"{path.name}: the server should close after {command!r}"
                i += 1
                continue
            expected = []
            while i < len(steps) and steps[i][0] == "S":
                expected.append(steps[i][1])
                i += 1
            actual = [client.line() for _ in expected]
            assert None not in actual, f"{path.name}: closed early after {command!r}"
            _compare(path.name, command, expected, [a for a in actual if a is not None])


@pytest.mark.parametrize("path", exchanges(), ids=lambda p: p.name)
def test_every_recorded_session_is_replayed(path: Path) -> None:
    with ServerThread(_backend_for(path), allow=ONLY_127_0_0_1) as server:
        _replay(path, server.port)


def test_the_backend_gets_dirtyconfig_and_the_peer() -> None:
    backend = TranscriptBackend(all_bodies())
    with ServerThread(backend) as server, Client(server.port) as client:
        client.line()
        client.send("config zz_research_dirty")
        nocap = client.until_dot()
        client.send("cap multigraph dirtyconfig")
        client.line()
        client.send("config zz_research_dirty")
        withcap = client.until_dot()
    assert [c[2] for c in backend.calls] == [
        {"dirtyconfig": False, "peer": "127.0.0.1"},
        {"dirtyconfig": True, "peer": "127.0.0.1"},
    ]
    assert "hits_per_vhost.value 42" in withcap
    assert not any(".value" in line for line in nocap)


def test_each_reply_arrives_in_one_read() -> None:
    """One write per reply (and TCP_NODELAY): a whole reply comes in one recv on loopback.
    munin-node writes line by line; there the first recv gets only part of a reply."""
    backend = TranscriptBackend(all_bodies())
    commands = ["cap multigraph dirtyconfig", "list", "nodes", "version", "fetch nosuch"]
    commands += [f"{verb} {p.name}" for p in backend._plugins[:20] for verb in ("config", "fetch")]
    with ServerThread(backend) as server, Client(server.port) as client:
        assert client.recv() == b"# munin node at vm\n"
        for command in commands:
            client.send(command)
            data = client.recv()
            if command.split()[0] in ("config", "fetch", "nodes"):
                assert data.endswith(b"\n.\n"), command
            else:
                assert data.endswith(b"\n"), command
                assert data.count(b"\n") == 1, command


def test_pipelined_commands_and_a_line_in_pieces() -> None:
    with ServerThread(TranscriptBackend(all_bodies())) as server, Client(server.port) as client:
        client.line()
        client.sock.sendall(b"cap multigraph dirtyconfig\nfetch load\nver")
        assert client.line() == "cap multigraph dirtyconfig"
        assert client.until_dot() == ["load.value 1.14"]
        time.sleep(0.05)
        client.sock.sendall(b"sion\r\n")
        assert client.line().startswith("munins node on vm version: ")  # type: ignore[union-attr]


def test_a_last_line_without_lf_is_served_then_the_session_ends() -> None:
    with ServerThread(TranscriptBackend(all_bodies())) as server, Client(server.port) as client:
        client.line()
        client.sock.sendall(b"fetch load")
        client.sock.shutdown(socket.SHUT_WR)
        assert client.until_dot() == ["load.value 1.14"]
        assert client.closed()


def test_unknown_commands_are_answered_and_the_session_goes_on() -> None:
    lines = ["help", "spoolfetch 0", "starttls", "", "   list", "\x00\xff", "Capitaine", "fetch"]
    with ServerThread(TranscriptBackend(all_bodies())) as server, Client(server.port) as client:
        client.line()
        for line in lines[:-2]:
            client.send(line)
            assert client.line() == UNKNOWN, repr(line)
        client.send("Capitaine")  # starts with "cap": munin-node takes it as `cap itaine`
        assert client.line() == "cap multigraph dirtyconfig"
        client.send("FETCH")
        assert client.until_dot() == ["# Unknown service"]
        client.send("QUIT")
        assert client.closed()


def _served(port: int) -> None:
    with Client(port) as other:
        assert other.line() == "# munin node at vm"
        other.send("fetch load")
        assert other.until_dot() == ["load.value 1.14"]


def test_a_1mb_line_closes_the_session_and_others_are_served() -> None:
    backend = TranscriptBackend(all_bodies())
    with ServerThread(backend, max_line=4096) as server, Client(server.port) as bad:
        bad.line()
        start = time.monotonic()
        sent = _send_all(bad.sock, b"x" * (1 << 20))
        assert sent > 4096
        _served(server.port)
        assert bad.closed()
        assert time.monotonic() - start < 3


def _send_all(sock: socket.socket, data: bytes) -> int:
    """Bytes sent before the server closed (it may close while we are still sending)."""
    sent = 0
    try:
        while sent < len(data):
            sent += sock.send(data[sent:])
    except (BrokenPipeError, ConnectionResetError):
        pass
    return sent


def test_a_peer_outside_allow_is_closed_without_banner(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="rempart.test.munin")
    with ServerThread(TranscriptBackend(all_bodies()), allow=ONLY_127_0_0_1) as server:
        for _ in range(3):
            with Client(server.port, source="127.0.0.2") as denied:
                assert denied.closed()
                assert denied.buf == b""
        _served(server.port)
    denials = [r for r in caplog.records if "denying connection from 127.0.0.2" in r.message]
    assert len(denials) == 1  # rate-limited


def test_a_silent_client_is_closed_after_the_idle_timeout() -> None:
    backend = TranscriptBackend(all_bodies())
    with ServerThread(backend, idle_timeout=0.3) as server, Client(server.port) as silent:
        silent.line()
        start = time.monotonic()
        _served(server.port)
        assert silent.closed()
        assert 0.2 < time.monotonic() - start < 2


def test_a_session_lasts_at_most_session_timeout() -> None:
    backend = TranscriptBackend(all_bodies())
    with ServerThread(backend, session_timeout=0.5) as server, Client(server.port) as chatty:
        chatty.line()
        start = time.monotonic()
        answered = 0
        while time.monotonic() - start < 3 and _ask(chatty, "version"):
            answered += 1
            time.sleep(0.05)
        assert answered > 3
        assert time.monotonic() - start < 2.5


def _ask(client: Client, command: str) -> bool:
    try:
        client.send(command)
        return client.line() is not None
    except (BrokenPipeError, ConnectionResetError):
        return False


class TroubledBackend(TranscriptBackend):
    """Recorded bodies, except `fetch hang` that never returns and `fetch boom` that raises."""

    def __init__(self) -> None:
        super().__init__(all_bodies())
        self.plugins_fail = False

    async def plugins(self) -> Sequence[PluginInfo]:
        if self.plugins_fail:
            raise RuntimeError("plugin directory vanished")
        return [*await super().plugins(), PluginInfo("hang"), PluginInfo("boom")]

    async def fetch(self, name: str, *, peer: str) -> PluginOutput:
        if name == "hang":
            await asyncio.sleep(3600)
        if name == "boom":
            raise RuntimeError("backend bug")
        return await super().fetch(name, peer=peer)


def test_a_hanging_or_failing_backend_is_bounded() -> None:
    backend = TroubledBackend()
    with ServerThread(backend, call_timeout=1.5) as server, Client(server.port) as client:
        client.line()
        start = time.monotonic()
        client.send("fetch hang")
        _served(server.port)  # while the hang goes on
        assert time.monotonic() - start < 1.2
        assert client.until_dot() == ["# Timed out"]
        assert 1.4 < time.monotonic() - start < 4
        client.send("fetch boom")
        assert client.until_dot() == ["# Bad exit"]
        backend.plugins_fail = True
        client.send("list")
        assert client.line() == ""
        client.send("nodes")
        assert client.until_dot() == ["vm"]
        client.send("fetch load")
        assert client.until_dot() == ["load.value 1.14"]


def test_too_many_sessions_new_ones_are_closed() -> None:
    with ServerThread(TranscriptBackend(all_bodies()), max_sessions=3) as server:
        clients = [Client(server.port) for _ in range(3)]
        try:
            for c in clients:
                assert c.line() == "# munin node at vm"
            with Client(server.port) as extra:
                assert extra.closed()
            clients.pop().close()
            deadline = time.monotonic() + 2
            while server.sessions() >= 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            _served(server.port)
            clients[0].send("fetch load")
            assert clients[0].until_dot() == ["load.value 1.14"]
        finally:
            for c in clients:
                c.close()


def test_a_used_port_is_a_munin_error_with_a_fix() -> None:
    with ServerThread(TranscriptBackend(all_bodies())) as server:
        second = MuninNodeServer(TranscriptBackend(all_bodies()), port=server.port, log=LOG)
        with pytest.raises(MuninError) as caught:
            asyncio.run(second.start())
    assert caught.value.key == "munin.bind_in_use"
    assert "Fix:" in str(caught.value)
    assert "Correction" in caught.value.render("fr")


def test_an_address_not_of_this_machine_is_a_munin_error() -> None:
    server = MuninNodeServer(
        TranscriptBackend(all_bodies()), listen=("192.0.2.1",), port=0, log=LOG
    )
    with pytest.raises(MuninError) as caught:
        asyncio.run(server.start())
    assert caught.value.key == "munin.bind_address"


def test_bind_errors_name_the_fix() -> None:
    denied = _bind_error("127.0.0.1", 80, OSError(errno.EACCES, "Permission denied"))
    assert denied.key == "munin.bind_denied"
    assert "1024" in str(denied)
    assert "1024" in denied.render("fr")
    other = _bind_error("127.0.0.1", 4949, OSError(errno.EMFILE, "Too many open files"))
    assert other.key == "munin.bind_failed"
    assert "Too many open files" in str(other)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may bind ports below 1024")
def test_a_low_port_without_privilege_is_a_munin_error() -> None:
    server = MuninNodeServer(TranscriptBackend(all_bodies()), port=1, log=LOG)
    with pytest.raises(MuninError) as caught:
        asyncio.run(server.start())
    assert caught.value.key == "munin.bind_denied"
