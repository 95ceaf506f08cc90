"""The pure parts of the control socket: groups, authorisation, request and answer lines."""

from __future__ import annotations

import json
import math
import os
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.adapters.control import (
    Peer,
    authorized,
    decode_response,
    encode_request,
    parse_groups,
    peer_of,
)
from rempart.errors import ControlError
from rempart.services.control_requests import Request, error_line, parse_request, result_line

STATUS = """Name:\tsshd
Umask:\t0022
State:\tS (sleeping)
Uid:\t1000\t1000\t1000\t1000
Gid:\t1000\t1000\t1000\t1000
FDSize:\t64
Groups:\t4 24 27 1000\t
NStgid:\t4242
"""


def test_parse_groups() -> None:
    assert parse_groups(STATUS) == frozenset({4, 24, 27, 1000})
    assert parse_groups("Groups:\t\n") == frozenset()
    assert parse_groups("Name:\tx\n") == frozenset()


def peer(uid: int, gid: int = 100, groups: frozenset[int] = frozenset()) -> Peer:
    return Peer(pid=1, uid=uid, gid=gid, groups=groups)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (peer(0), True),  # root
        (peer(998), True),  # the agent's own user
        (peer(1000, gid=995), True),  # primary group rempart
        (peer(1000, groups=frozenset({27, 995})), True),  # supplementary group rempart
        (peer(1000, groups=frozenset({27})), False),
        (peer(65534, gid=65534), False),
    ],
)
def test_authorized(who: Peer, expected: bool) -> None:
    assert authorized(who, agent_uid=998, group=995) is expected


def test_without_a_group_only_root_and_the_agent() -> None:
    assert not authorized(peer(1000, gid=995), agent_uid=998, group=None)
    assert authorized(peer(998), agent_uid=998, group=None)


def test_peer_of_a_real_socket(tmp_path: Path) -> None:
    a, b = socket.socketpair(socket.AF_UNIX)
    with a, b:
        me = peer_of(a, proc=tmp_path)
    assert (me.pid, me.uid, me.gid) == (os.getpid(), os.geteuid(), os.getegid())
    assert me.groups == frozenset(os.getgroups())  # SO_PEERGROUPS: the supplementary groups


def test_request_round_trip() -> None:
    line = encode_request("ban", {"address": "192.0.2.7", "jail": "sshd", "duration": 60})
    assert line.endswith(b"\n")
    request = parse_request(line)
    assert request.command == "ban"
    assert dict(request.args) == {
        "address": "192.0.2.7",
        "jail": "sshd",
        "duration": 60.0,
        "for_user": None,
    }
    assert dict(parse_request(encode_request("history", {"address": "x"})).args) == {
        "address": "x",
        "limit": 100,
    }


def test_encode_refuses_nan() -> None:
    with pytest.raises(ValueError, match="JSON"):
        encode_request("ban", {"duration": math.nan})


def test_answers_decode() -> None:
    path = Path("/run/rempart/agent.sock")
    assert decode_response(result_line({"a": [1, 2]}), path) == {"a": [1, 2]}
    assert decode_response(result_line({"end": math.inf}), path) == {"end": None}
    with pytest.raises(ControlError) as caught:
        decode_response(error_line(ControlError("control.too_large", limit=5)), path)
    assert (caught.value.key, caught.value.params) == ("control.too_large", {"limit": 5})
    assert "plus de 5 octets" in caught.value.render("fr")


@pytest.mark.parametrize(
    "line",
    [b"", b"nope\n", b"[]\n", b'{"ok": "yes"}\n', b'{"ok": false, "error": 3}\n', b"\xff\n"],
)
def test_garbled_answers(line: bytes) -> None:
    with pytest.raises(ControlError) as caught:
        decode_response(line, Path("/x.sock"))
    assert caught.value.key == "control.bad_response"
    assert "same version" in str(caught.value)


def outcome(line: bytes) -> Request | str:
    """The checked request, or the key of the error that refused it."""
    try:
        return parse_request(line)
    except ControlError as exc:
        return exc.key


@given(st.binary(max_size=300))
def test_parse_request_never_crashes(data: bytes) -> None:
    result = outcome(data)
    assert isinstance(result, Request) or result in {
        "control.bad_request",
        "control.unknown_command",
    }


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["address", "jail", "duration", "limit", "by", "x"]),
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=300),
    ),
    st.sampled_from(["status", "bans", "ban", "unban", "allow", "history"]),
)
def test_checked_arguments_have_the_promised_types(args: dict[str, object], command: str) -> None:
    result = outcome(json.dumps({"v": 1, "command": command, "args": args}).encode())
    if not isinstance(result, Request):
        assert result == "control.bad_request"
        return
    assert "by" not in result.args
    for name, value in result.args.items():
        if name in ("address", "jail"):
            assert value is None or (isinstance(value, str) and 0 < len(value) <= 256)
        elif name == "duration":
            assert value is None or (isinstance(value, float) and 0 < value < math.inf)
        else:
            assert name == "limit"
            assert isinstance(value, int)
            assert 1 <= value <= 10_000


def test_control_messages_match_and_say_what_to_do() -> None:
    from string import Formatter

    from rempart.i18n import MESSAGES

    keys = [k for k in MESSAGES if k.startswith("control.") and k != "control.failed"]
    assert len(keys) >= 10
    for key in keys:
        en, fr = MESSAGES[key]
        fields = [{f for _, f, _, _ in Formatter().parse(text) if f} for text in (en, fr)]
        assert fields[0] == fields[1], key
        assert "Fix: " in en, key
        assert "Correction : " in fr, key
