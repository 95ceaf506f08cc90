"""Control requests: the commands the agent answers, their arguments, and the answer lines.

Every request is checked here before the agent sees it: a known command, only the
arguments it takes, each of the right type and size. The agent then checks what only it
can (address syntax, known jail) and raises a RempartError, sent back as the error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from rempart.adapters.control import PROTOCOL_VERSION
from rempart.errors import ControlError, RempartError

__all__ = [
    "COMMANDS",
    "SERVER_COMMANDS",
    "SERVER_TAKES_BY",
    "TAKES_BY",
    "ArgSpec",
    "Request",
    "check_request",
    "error_line",
    "parse_request",
    "result_line",
]

Kind = Literal["text", "duration", "count", "flag", "id"]

_MAX_TEXT = 256
_MAX_COUNT = 10_000
_MAX_ID = 2**53


@dataclass(frozen=True, slots=True)
class ArgSpec:
    """One argument of a command: its name, kind, whether it is required, its default."""

    name: str
    kind: Kind
    required: bool = False
    default: object = None


COMMANDS: Mapping[str, tuple[ArgSpec, ...]] = {
    "status": (),
    "bans": (ArgSpec("jail", "text"),),
    "ban": (
        ArgSpec("address", "text", required=True),
        ArgSpec("jail", "text", required=True),
        ArgSpec("duration", "duration"),
        ArgSpec("for_user", "text"),
    ),
    "unban": (
        ArgSpec("address", "text", required=True),
        ArgSpec("jail", "text"),
        ArgSpec("for_user", "text"),
    ),
    "allow": (
        ArgSpec("address", "text", required=True),
        ArgSpec("duration", "duration"),
        ArgSpec("for_user", "text"),
    ),
    "history": (ArgSpec("address", "text", required=True), ArgSpec("limit", "count", default=100)),
    "recent": (
        ArgSpec("limit", "count", default=100),
        ArgSpec("jail", "text"),
        ArgSpec("address", "text"),
    ),
    "ban_days": (ArgSpec("days", "count", default=30),),
    "abuseipdb_status": (),
    "abuseipdb_check": (
        ArgSpec("address", "text", required=True),
        ArgSpec("days", "count", default=30),
        ArgSpec("verbose", "flag", default=False),
    ),
    "abuseipdb_flush": (),
    "abuseipdb_queue": (ArgSpec("limit", "count", default=100),),
    "probes_status": (),
}
# The supervision server's socket (``rempart server``): its own, smaller table.
SERVER_COMMANDS: Mapping[str, tuple[ArgSpec, ...]] = {
    "server_status": (),
    "ack": (ArgSpec("id", "id", required=True),),
}
SERVER_TAKES_BY = frozenset({"ack"})
# Commands that change state also receive ``by``, who asked ("uid=0(root)"), from the
# server: a client cannot name someone else. A client acting for a person (the dashboard)
# may add ``for_user`` ("web:alice"): the agent then records "uid=998(rempart) for web:alice",
# the peer part still its own.
TAKES_BY = frozenset({"ban", "unban", "allow"})


@dataclass(frozen=True, slots=True)
class Request:
    """A checked request: a known command and its arguments, defaults filled in."""

    command: str
    args: Mapping[str, object]


def _bad(reason: str) -> ControlError:
    return ControlError("control.bad_request", reason=reason)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _check(spec: ArgSpec, value: object) -> object:
    if value is None and not spec.required:
        return None
    if spec.kind == "text":
        if not isinstance(value, str) or not 0 < len(value) <= _MAX_TEXT:
            raise _bad(f"{spec.name!r} must be a text of 1 to {_MAX_TEXT} characters")
        return value
    if spec.kind == "flag":
        if not isinstance(value, bool):
            raise _bad(f"{spec.name!r} must be true or false")
        return value
    if spec.kind == "duration":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(f"{spec.name!r} must be a number of seconds")
        if not math.isfinite(value) or value <= 0:
            raise _bad(f"{spec.name!r} must be a positive, finite number of seconds")
        return float(value)
    if spec.kind == "id":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _MAX_ID:
            raise _bad(f"{spec.name!r} must be a positive whole number")
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _MAX_COUNT:
        raise _bad(f"{spec.name!r} must be a whole number from 1 to {_MAX_COUNT}")
    return value


def _body(line: bytes) -> dict[str, Any]:
    try:
        body = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _bad(f"not a JSON line ({type(exc).__name__})") from exc
    if not isinstance(body, dict):
        raise _bad("a JSON object is expected")
    if body.get("v") != PROTOCOL_VERSION:
        raise _bad(f"protocol version {body.get('v')!r:.20} (this agent speaks {PROTOCOL_VERSION})")
    return body


def parse_request(line: bytes, commands: Mapping[str, tuple[ArgSpec, ...]] = COMMANDS) -> Request:
    """The checked request in ``line`` (one of ``commands``); ControlError saying what is
    wrong otherwise."""
    body = _body(line)
    return check_request(body.get("command"), body.get("args", {}), commands)


def check_request(
    command: object, given: object, commands: Mapping[str, tuple[ArgSpec, ...]] = COMMANDS
) -> Request:
    """The checked request for ``command`` with the arguments ``given`` (a JSON object's
    value): what a request line goes through, for callers in the same process (the
    dashboard)."""
    if not isinstance(command, str) or command not in commands:
        raise ControlError(
            "control.unknown_command",
            command=f"{command!s:.40}",
            known=", ".join(commands),
        )
    if not isinstance(given, dict):
        raise _bad("'args' must be a JSON object")
    specs = commands[command]
    unknown = sorted(set(given) - {s.name for s in specs})
    if unknown:
        raise _bad(f"{command} takes no argument {', '.join(repr(u[:40]) for u in unknown[:5])}")
    args: dict[str, object] = {}
    for spec in specs:
        if spec.name not in given and spec.required:
            raise _bad(f"{command} needs the argument {spec.name!r}")
        args[spec.name] = _check(spec, given.get(spec.name, spec.default))
    return Request(command, args)


def _finite(value: Any) -> Any:
    """``value`` with every infinite or NaN number replaced by null (JSON has none)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _dump(body: dict[str, Any]) -> bytes:
    try:
        text = json.dumps(body, ensure_ascii=False, allow_nan=False, default=str)
    except ValueError:
        text = json.dumps(_finite(body), ensure_ascii=False, allow_nan=False, default=str)
    return text.encode("utf-8") + b"\n"


def result_line(result: Any) -> bytes:
    """The answer line for a result (values JSON cannot hold are written as text)."""
    return _dump({"ok": True, "result": result})


def error_line(error: RempartError) -> bytes:
    """The answer line for an error: its message key and parameters."""
    return _dump({"ok": False, "error": {"key": error.key, "params": error.params}})
