"""The control socket for real: ControlServer and ControlClient over a Unix socket, the
``rempart`` commands in-process, other users in forked children.

The agent behind the socket is :class:`MemoryAgent`, written here: it is rempart's own
AgentCommands interface (the real agent implements it), not a stand-in for an outside system.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import json
import logging
import os
import pwd
import socket
import stat
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rempart.adapters.control import MAX_REQUEST, ControlClient
from rempart.cli import main
from rempart.errors import ControlError
from rempart.services.control import ControlServer
from tests.conftest import need_root

T0 = 1_795_262_400.0  # 2026-11-21T12:00:00Z
HOSTILE_EVIDENCE = (
    "Nov 21 09:00:00 web1 sshd[1]: Failed password for \x1b]0;pwned\x07\x1b[2J from 192.0.2.7"
)
LOG = logging.getLogger("rempart.test.control")


class MemoryAgent:
    """AgentCommands kept in memory, recording who asked what."""

    def __init__(self) -> None:
        self.active: list[dict[str, Any]] = [
            {
                "jail": "sshd",
                "target": "192.0.2.7/32",
                "address": "192.0.2.7",
                "start": T0,
                "end": T0 + 900,
                "offence": 1,
                "failures": 5,
                "reason": "detected\x1b[31m",
            }
        ]
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def status(self) -> dict[str, Any]:
        return {
            "version": "0.3.0",
            "started": T0 - 3600,
            "firewall": {"backend": "dry-run", "detail": "not root"},
            "jails": {"sshd": {"failures": 12, "bans": 3, "active": 1, "tracked": 4}},
            "sources": {"/var/log/auth.log": {"lines": 1234567, "lag": 0.002, "errors": 0}},
            "active_bans": len(self.active),
            "state_dir": "/var/lib/rempart",
        }

    async def bans(self, jail: str | None) -> list[dict[str, Any]]:
        self.calls.append(("bans", {"jail": jail}))
        return [b for b in self.active if jail in (None, b["jail"])]

    async def ban(self, address: str, jail: str, duration: float | None, by: str) -> dict[str, Any]:
        self.calls.append(
            ("ban", {"address": address, "jail": jail, "duration": duration, "by": by})
        )
        if jail != "sshd":
            raise ControlError("control.bad_request", reason=f"no jail {jail}")
        return {"jail": jail, "target": f"{address}/32", "start": T0, "end": T0 + (duration or 900)}

    async def unban(self, address: str, jail: str | None, by: str) -> dict[str, Any]:
        self.calls.append(("unban", {"address": address, "jail": jail, "by": by}))
        lifted = [b for b in self.active if b["address"] == address]
        self.active = [b for b in self.active if b not in lifted]
        return {"lifted": [{"jail": b["jail"], "target": b["target"]} for b in lifted]}

    async def allow(self, address: str, duration: float | None, by: str) -> dict[str, Any]:
        self.calls.append(("allow", {"address": address, "duration": duration, "by": by}))
        if address == "boom":
            raise RuntimeError("the agent tripped")
        return {"target": address, "until": None if duration is None else T0 + duration}

    async def history(self, address: str, limit: int) -> list[dict[str, Any]]:
        self.calls.append(("history", {"address": address, "limit": limit}))
        return [
            {
                "jail": "sshd",
                "target": "192.0.2.7/32",
                "address": "192.0.2.7",
                "start": T0,
                "end": T0 + 900,
                "lifted_at": T0 + 60,
                "lifted_by": "uid=0(root)",
                "reason": "detected",
                "offence": 1,
                "failures": 5,
                "evidence": [HOSTILE_EVIDENCE, "line two\r\nforged line"],
            }
        ]


@contextlib.contextmanager
def serving(path: Path, agent: MemoryAgent, **options: Any) -> Iterator[ControlServer]:
    """A ControlServer on ``path`` running on its own event loop thread."""
    loop = asyncio.new_event_loop()
    server = ControlServer(path, agent, log=LOG, **options)
    try:
        loop.run_until_complete(server.start())
    except BaseException:
        loop.close()
        raise
    thread = threading.Thread(target=loop.run_forever, name="control-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


@pytest.fixture(autouse=True)
def paris(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dates are printed in local time: make it the association's."""
    monkeypatch.setenv("TZ", "Europe/Paris")


@pytest.fixture
def agent() -> MemoryAgent:
    return MemoryAgent()


@pytest.fixture
def sock(tmp_path: Path, agent: MemoryAgent) -> Iterator[Path]:
    path = tmp_path / "run" / "agent.sock"
    with serving(path, agent, group=None):
        yield path


def raw(path: Path, data: bytes) -> dict[str, Any]:
    """Send bytes as they are, return the decoded answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(str(path))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    return json.loads(answer)  # type: ignore[no-any-return]


def cli(capsys: pytest.CaptureFixture[str], lang: str, *args: str) -> tuple[int, str, str]:
    code = main(["--lang", lang, *args])
    out, err = capsys.readouterr()
    return code, out, err


def me() -> str:
    uid = os.geteuid()
    return f"uid={uid}({pwd.getpwuid(uid).pw_name})"


# ------------------------------------------------------------------ round trips


def test_every_command_round_trips(sock: Path, agent: MemoryAgent) -> None:
    client = ControlClient(sock, timeout=5)
    assert client.call("status")["jails"]["sshd"]["tracked"] == 4
    assert [b["address"] for b in client.call("bans", jail="sshd")] == ["192.0.2.7"]
    assert client.call("bans", jail="postfix") == []
    assert client.call("ban", address="198.51.100.4", jail="sshd", duration=60)["end"] == T0 + 60
    assert client.call("allow", address="203.0.113.0/24", duration=None)["until"] is None
    assert (
        client.call("history", address="192.0.2.7", limit=5)[0]["evidence"][0] == HOSTILE_EVIDENCE
    )
    assert client.call("unban", address="192.0.2.7", jail=None)["lifted"] == [
        {"jail": "sshd", "target": "192.0.2.7/32"}
    ]
    by = {name: call.get("by") for name, call in agent.calls}
    assert by == {"bans": None, "ban": me(), "allow": me(), "history": None, "unban": me()}
    assert ("history", {"address": "192.0.2.7", "limit": 5}) in agent.calls


def test_agent_error_comes_back_with_its_key(sock: Path) -> None:
    with pytest.raises(ControlError) as caught:
        ControlClient(sock).call("ban", address="192.0.2.1", jail="nope", duration=None)
    assert caught.value.key == "control.bad_request"
    assert "no jail nope" in caught.value.render("fr")
    assert caught.value.render("fr").startswith("requête incomprise par l'agent")


def test_unexpected_agent_failure_is_an_error_answer(
    sock: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, LOG.name), pytest.raises(ControlError) as caught:
        ControlClient(sock).call("allow", address="boom", duration=None)
    assert caught.value.key == "control.internal"
    assert "the agent tripped" in caught.value.params["reason"]
    assert "allow failed" in caplog.text
    assert ControlClient(sock).call("status")["version"] == "0.3.0"  # still serving


# ------------------------------------------------------------------ malformed requests


@pytest.mark.parametrize(
    ("data", "key", "fragment"),
    [
        (b"hello\n", "control.bad_request", "not a JSON line"),
        (b"\xff\xfe\n", "control.bad_request", "not a JSON line"),
        (b"[1, 2]\n", "control.bad_request", "JSON object"),
        (b"[" * 20000 + b"\n", "control.bad_request", "not a JSON line"),
        (b'{"v": 2, "command": "status"}\n', "control.bad_request", "protocol version"),
        (b'{"v": 1, "command": "reboot"}\n', "control.unknown_command", "reboot"),
        (b'{"v": 1, "command": 7}\n', "control.unknown_command", "7"),
        (b'{"v": 1, "command": "status", "args": []}\n', "control.bad_request", "'args'"),
        (
            b'{"v": 1, "command": "ban", "args": {"address": "192.0.2.1", "jail": "sshd", '
            b'"by": "uid=0(root)"}}\n',
            "control.bad_request",
            "'by'",
        ),
        (
            b'{"v": 1, "command": "ban", "args": {"address": "192.0.2.1"}}\n',
            "control.bad_request",
            "'jail'",
        ),
        (
            b'{"v": 1, "command": "ban", "args": {"address": "192.0.2.1", "jail": "sshd", '
            b'"duration": "1h"}}\n',
            "control.bad_request",
            "'duration'",
        ),
        (
            b'{"v": 1, "command": "ban", "args": {"address": "192.0.2.1", "jail": "sshd", '
            b'"duration": NaN}}\n',
            "control.bad_request",
            "not a JSON line",
        ),
        (
            b'{"v": 1, "command": "allow", "args": {"address": "192.0.2.1", "duration": -5}}\n',
            "control.bad_request",
            "positive",
        ),
        (
            b'{"v": 1, "command": "history", "args": {"address": "x", "limit": true}}\n',
            "control.bad_request",
            "'limit'",
        ),
        (
            b'{"v": 1, "command": "history", "args": {"address": "x", "limit": 0}}\n',
            "control.bad_request",
            "'limit'",
        ),
        (b'{"v": 1, "command": "bans", "args": {"jail": ""}}\n', "control.bad_request", "'jail'"),
        (
            b'{"v": 1, "command": "unban", "args": {"address": 3}}\n',
            "control.bad_request",
            "'address'",
        ),
    ],
)
def test_malformed_request_gets_a_clear_error(
    sock: Path, agent: MemoryAgent, data: bytes, key: str, fragment: str
) -> None:
    answer = raw(sock, data)
    assert answer["ok"] is False
    assert answer["error"]["key"] == key
    assert fragment in json.dumps(answer["error"]["params"])
    assert [c for c in agent.calls if c[0] != "bans"] == []  # the agent never saw it


def test_oversized_request_is_refused_and_the_server_goes_on(sock: Path) -> None:
    big = b'{"v": 1, "command": "bans", "args": {"jail": "' + b"x" * MAX_REQUEST + b'"}}\n'
    answer = raw(sock, big)
    assert answer["error"] == {"key": "control.too_large", "params": {"limit": MAX_REQUEST}}
    with socket.socket(socket.AF_UNIX) as s:  # a client that sends nothing and leaves
        s.connect(str(sock))
    assert raw(sock, b'{"v": 1, "command": "bans"}\n')["ok"] is True


def test_silent_client_is_dropped_after_the_read_timeout(
    tmp_path: Path, agent: MemoryAgent
) -> None:
    path = tmp_path / "agent.sock"
    with serving(path, agent, group=None, read_timeout=0.2), socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(str(path))
        assert s.recv(100) == b""  # closed without an answer
        assert ControlClient(path).call("bans", jail=None)


# ------------------------------------------------------------------ the socket file


def test_socket_and_directory_permissions(tmp_path: Path, agent: MemoryAgent) -> None:
    path = tmp_path / "new" / "run" / "agent.sock"
    group = grp.getgrgid(os.getegid()).gr_name  # a group the agent may give files to
    with serving(path, agent, group=group):
        st = os.stat(path)
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o660
        assert st.st_gid == os.getegid()
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o750
    assert not path.exists()  # removed on close
    assert path.parent.is_dir()


def test_existing_directory_keeps_its_mode(tmp_path: Path, agent: MemoryAgent) -> None:
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    with serving(run / "agent.sock", agent, group="no-such-group-rempart"):
        assert stat.S_IMODE(os.stat(run).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(run / "agent.sock").st_mode) == 0o660


def test_stale_socket_is_replaced(tmp_path: Path, agent: MemoryAgent) -> None:
    path = tmp_path / "agent.sock"
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(path))
    dead.close()  # the file stays, nobody listens: a crashed agent's socket
    with serving(path, agent, group=None):
        assert ControlClient(path).call("status")["version"] == "0.3.0"


def test_live_socket_is_not_taken_over(sock: Path, agent: MemoryAgent) -> None:
    with pytest.raises(ControlError) as caught, serving(sock, agent, group=None):
        pass
    assert caught.value.key == "control.in_use"
    assert ControlClient(sock).call("status")["version"] == "0.3.0"


def test_a_file_in_the_way_is_left_alone(tmp_path: Path, agent: MemoryAgent) -> None:
    path = tmp_path / "agent.sock"
    path.write_text("precious")
    with pytest.raises(ControlError) as caught, serving(path, agent, group=None):
        pass
    assert caught.value.key == "control.not_a_socket"
    assert path.read_text() == "precious"


def test_client_errors_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ControlError) as caught:
        ControlClient(tmp_path / "none.sock").call("status")
    assert caught.value.key == "control.not_running"
    assert "systemctl start rempart-agent" in str(caught.value)
    listening = socket.socket(socket.AF_UNIX)  # accepts, never answers
    listening.bind(str(tmp_path / "mute.sock"))
    listening.listen()
    try:
        with pytest.raises(ControlError) as caught:
            ControlClient(tmp_path / "mute.sock", timeout=0.2).call("status")
        assert caught.value.key == "control.timeout"
    finally:
        listening.close()


# ------------------------------------------------------------------ other users


def as_user(uid: int, gid: int, groups: list[int], work: Callable[[], Any]) -> Any:
    """Run ``work`` in a forked child with other credentials; its result or error key."""
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():  # the child only makes one socket call, then _exit
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read_end)
            os.setgroups(groups)
            os.setgid(gid)
            os.setuid(uid)
            try:
                out: Any = {"result": work()}
            except ControlError as exc:
                out = {"error": exc.key, "text": str(exc)}
            os.write(write_end, json.dumps(out).encode())
        except BaseException as exc:
            os.write(write_end, json.dumps({"crash": repr(exc)}).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory other users may traverse (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="rempart-control-"))
    path.chmod(0o711)
    try:
        yield path
    finally:
        for child in sorted(path.rglob("*"), reverse=True):
            child.rmdir() if child.is_dir() and not child.is_symlink() else child.unlink()
        path.rmdir()


NOBODY = 65534
DAEMON_GID = 1  # Debian's "daemon" group: stands for "rempart"


def test_group_member_is_served_and_others_are_refused(
    shared_dir: Path, agent: MemoryAgent, caplog: pytest.LogCaptureFixture
) -> None:
    need_root("changing uid in a child")
    group = grp.getgrgid(DAEMON_GID).gr_name
    path = shared_dir / "run" / "agent.sock"

    def status() -> Any:
        return ControlClient(path, timeout=5).call("status")["version"]

    with serving(path, agent, group=group), caplog.at_level(logging.WARNING, LOG.name):
        assert as_user(NOBODY, NOBODY, [DAEMON_GID], status) == {"result": "0.3.0"}
        outsider = as_user(NOBODY, NOBODY, [], status)
        assert outsider["error"] == "control.permission"  # the file system stops it first
        assert "add your user to the rempart group" in outsider["text"]
        # Even when an administrator loosens the modes, the agent checks who is calling.
        path.parent.chmod(0o755)
        path.chmod(0o666)
        refused = as_user(NOBODY, NOBODY, [], status)
        assert refused["error"] == "control.refused"
        assert "uid 65534" in refused["text"]
        assert "refused a client" in caplog.text
        assert "uid 65534" in caplog.text
        assert as_user(NOBODY, DAEMON_GID, [], status) == {"result": "0.3.0"}  # primary group
        assert status() == "0.3.0"


def test_refused_peer_cannot_reach_the_agent_even_with_a_valid_request(
    shared_dir: Path, agent: MemoryAgent
) -> None:
    need_root("changing uid in a child")
    path = shared_dir / "agent.sock"

    def ban() -> Any:
        return ControlClient(path, timeout=5).call("ban", address="192.0.2.99", jail="sshd")

    with serving(path, agent, group=None):
        path.chmod(0o666)
        assert as_user(NOBODY, NOBODY, [], ban)["error"] == "control.refused"
    assert not [c for c in agent.calls if c[0] == "ban"]


# ------------------------------------------------------------------ the command line


def test_cli_status_in_english_and_french(sock: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "en", "status", "--socket", str(sock))
    assert code == 0
    assert "Firewall: dry-run (not root)" in out
    assert "Active bans: 1" in out
    assert "1,234,567" in out
    assert "0.002 s" in out
    assert "running since 2026-11-21 12:00:00+0100" in out
    code, out, _ = cli(capsys, "fr", "status", "--socket", str(sock))
    assert code == 0
    assert "Pare-feu: dry-run" in out
    assert "Prisons:" in out
    assert "1\u202f234\u202f567" in out
    assert "0,002 s" in out


def test_cli_bans_table_escapes_and_json(sock: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "en", "bans", "--socket", str(sock))
    assert code == 0
    header, row, total = out.splitlines()
    assert header.split() == [
        "jail", "address", "start", "end", "left", "failures", "offence", "reason",
    ]  # fmt: skip
    assert row.startswith("sshd  192.0.2.7  2026-11-21 13:00:00+0100  2026-11-21 13:15:00+0100  ")
    assert "\x1b" not in out
    assert "detected\\x1b[31m" in row
    assert total == "1 active ban"
    code, out, _ = cli(capsys, "fr", "bans", "--socket", str(sock), "--jail", "postfix")
    assert (code, out) == (0, "Aucun bannissement actif.\n")
    code, out, _ = cli(capsys, "en", "bans", "--socket", str(sock), "--json")
    assert json.loads(out)[0]["reason"] == "detected\x1b[31m"  # JSON escapes it itself


def test_cli_history_escapes_evidence(sock: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "en", "history", "192.0.2.7", "--socket", str(sock), "--limit", "3")
    assert code == 0
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "\r" not in out
    lines = out.splitlines()
    assert lines[0] == (
        "[1] sshd 192.0.2.7  2026-11-21 13:00:00+0100 → 2026-11-21 13:15:00+0100 (15m)"
    )
    assert "lifted" in lines[1]
    assert "by uid=0(root)" in lines[1]
    assert lines[2] == "    | " + HOSTILE_EVIDENCE.replace("\x1b", "\\x1b").replace("\x07", "\\x07")
    assert lines[3] == "    | line two\\x0d\\x0aforged line"
    assert len(lines) == 4
    code, out, _ = cli(capsys, "fr", "history", "192.0.2.7", "--socket", str(sock))
    assert "motif detected, récidive 1, 5 échecs ; levé le" in out


def test_cli_ban_unban_allow(
    sock: Path, agent: MemoryAgent, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(
        capsys,
        "en",
        "ban",
        "198.51.100.4",
        "--jail",
        "sshd",
        "--for",
        "1h30m",
        "--socket",
        str(sock),
    )
    assert code == 0
    assert out == "Banned 198.51.100.4/32 in jail sshd until 2026-11-21 14:30:00+0100 (1h30m).\n"
    assert agent.calls[-1] == (
        "ban",
        {"address": "198.51.100.4", "jail": "sshd", "duration": 5400.0, "by": me()},
    )
    code, out, _ = cli(capsys, "fr", "unban", "192.0.2.7", "--socket", str(sock))
    assert (code, out) == (0, "Levé : 192.0.2.7/32 (prison sshd)\n")
    code, out, _ = cli(capsys, "en", "unban", "192.0.2.7", "--socket", str(sock))
    assert (code, out) == (0, "No active ban for 192.0.2.7: nothing to lift.\n")
    code, out, _ = cli(capsys, "fr", "allow", "203.0.113.5", "--socket", str(sock))
    assert (code, out) == (0, "203.0.113.5 autorisé, sans fin.\n")
    code, out, _ = cli(
        capsys, "en", "allow", "203.0.113.5", "--for", "1d", "--socket", str(sock), "--json"
    )
    assert json.loads(out) == {"target": "203.0.113.5", "until": T0 + 86400}


def test_cli_exit_codes_and_messages(
    sock: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "fr", "ban", "192.0.2.1", "--jail", "nope", "--socket", str(sock))
    assert (code, out) == (2, "")
    assert err.startswith("rempart: requête incomprise par l'agent : no jail nope.")
    code, _, err = cli(
        capsys, "en", "ban", "192.0.2.1", "--jail", "sshd", "--for", "soon", "--socket", str(sock)
    )
    assert code == 2
    assert "--for 'soon'" in err
    code, _, err = cli(capsys, "fr", "status", "--socket", str(tmp_path / "absent.sock"))
    assert code == 3
    assert "l'agent ne tourne pas" in err
    assert "systemctl start rempart-agent" in err
    code, _, err = cli(capsys, "en", "bans", "--socket", str(tmp_path / "absent.sock"))
    assert code == 3
    assert err.startswith("rempart: the agent is not running")
    with pytest.raises(SystemExit) as usage:
        main(["--lang", "en", "ban", "192.0.2.1"])  # --jail is required
    assert usage.value.code == 2


def test_cli_reads_the_socket_from_the_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "rempart.toml"
    config.write_text("[rempart]\n")
    code, _, err = cli(capsys, "en", "status", "--config", str(config))
    assert code == 3
    assert "/run/rempart/agent.sock" in err  # no socket key: the default
    code, _, err = cli(capsys, "en", "status", "--config", str(tmp_path / "missing.toml"))
    assert code == 2
    assert "missing.toml" in err


def test_status_table_for_people() -> None:
    from io import StringIO

    from rempart.adapters.localzone import local_zone
    from rempart.cli.control_cmd import print_status

    out = StringIO()
    print_status(asyncio.run(MemoryAgent().status()), "en", local_zone(), T0, out)
    assert out.getvalue().splitlines()[:4] == [
        "rempart agent 0.3.0, running since 2026-11-21 12:00:00+0100 (1h)",
        "Firewall: dry-run (not root)",
        "State: /var/lib/rempart",
        "Active bans: 1",
    ]
    out = StringIO()
    print_status({"jails": "garbage", "started": "soon"}, "fr", local_zone(), T0, out)
    assert "en marche depuis le soon (-)" in out.getvalue()  # odd answers do not crash
