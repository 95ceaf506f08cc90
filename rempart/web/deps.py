"""What the dashboard is given: configuration, database access, commands, clock and log."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from rempart.clock import Clock
from rempart.config.server import ServerConfig, WebConfig
from rempart.services.readpool import ReadPool
from rempart.store.db import Database

__all__ = ["Commands", "WebDeps", "WebUser", "Writer"]

T = TypeVar("T")


class Writer(Protocol):
    """The server's one writer thread (:class:`~rempart.services.statewriter.StateWriter`)."""

    async def run(self, fn: Callable[[Database], T]) -> T: ...


class Commands(Protocol):
    """The server's control table, called in process (``ack``, ``server_status``): the same
    checks as the control socket (:meth:`rempart.services.control.ControlServer.call`)."""

    async def call(self, command: str, args: Mapping[str, object], by: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class WebUser:
    """The person behind a request (``request.state.user``)."""

    name: str
    role: Literal["admin", "reader"]
    language: str | None  # their choice, None: the browser's

    @property
    def admin(self) -> bool:
        return self.role == "admin"

    @property
    def by(self) -> str:
        """How commands name them ("web:alice")."""
        return f"web:{self.name}"


@dataclass(frozen=True, slots=True)
class WebDeps:
    """Everything the application uses; tests build one around a temporary database."""

    config: WebConfig
    server: ServerConfig  # groups and nodes (the overview's order)
    read: ReadPool
    write: Writer
    commands: Commands
    clock: Clock
    log: logging.Logger
    # hook for tests and `rempart server`: called with no argument when the app starts serving
    on_start: Callable[[], Awaitable[None]] | None = None
