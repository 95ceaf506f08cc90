"""MariaDB (or MySQL): up, connections and queries, through the local Unix socket.

One short connection per collection with PyMySQL (connect, read and write timeouts of
``timeout`` seconds), ``SHOW GLOBAL STATUS`` and the ``max_connections`` variable:

- ``mariadb_up``: ``up`` 1 or 0 (critical below 1); when 0, the graph's and the field's ``info``
  say why (socket missing, connection refused, access denied...);
- ``mariadb_connections``: ``threads_connected`` (warning at 80 % of ``max_connections``),
  ``max_used_connections``, ``aborted_connects`` (DERIVE);
- ``mariadb_queries``: ``questions`` and ``slow_queries`` (DERIVE, per second).

The probe is a background one (it waits on another process). Once the server has answered,
the connection and query graphs stay listed with unknown values while it is down, so a Munin
master keeps their RRDs. The password is given already read (the agent resolves ``file:`` and
``env:`` references); with ``None`` the socket's own authentication is used (``unix_socket``
for root on Debian).
"""

from __future__ import annotations

import math
import socket as _socket
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pymysql

from rempart.metrics.model import Field, Graph, Series
from rempart.probes.spool import under

__all__ = [
    "MariaDBProbe",
    "connections_graph",
    "parse_status",
    "queries_graph",
    "up_graph",
]

_WANTED = (
    "Threads_connected",
    "Max_used_connections",
    "Aborted_connects",
    "Questions",
    "Slow_queries",
    "max_connections",
)
_MAX_REASON = 300


def parse_status(rows: Iterable[Any]) -> dict[str, float]:
    """``SHOW GLOBAL STATUS`` / ``SHOW VARIABLES`` rows → {name: number} (non-numbers left out)."""
    out: dict[str, float] = {}
    for row in rows:
        if not isinstance(row, (tuple, list)) or len(row) < 2:
            continue
        name, value = row[0], row[1]
        if isinstance(value, (bytes, bytearray)):
            value = value.decode("ascii", "replace")
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            out[str(name)] = number
    return out


def up_graph(reason: str = "") -> Graph:
    """``mariadb_up``; ``reason`` (why it is down) goes into the info."""
    info = f"MariaDB is down: {reason}" if reason else "MariaDB answers on its Unix socket."
    return Graph(
        name="mariadb_up",
        title="MariaDB up",
        category="mariadb",
        vlabel="up",
        args="--base 1000 -l 0 --upper-limit 1",
        info=info,
        fields=(Field("up", "up", min=0, max=1, critical="1:", info=info),),
    )


def connections_graph(max_connections: float | None = None) -> Graph:
    """``mariadb_connections``; the warning is 80 % of ``max_connections`` when known."""
    warning = f":{int(max_connections * 0.8)}" if max_connections else None
    return Graph(
        name="mariadb_connections",
        title="MariaDB connections",
        category="mariadb",
        vlabel="connections",
        args="--base 1000 -l 0",
        info="Client connections (Threads_connected, Max_used_connections, Aborted_connects).",
        fields=(
            Field(
                "threads_connected",
                "connected",
                min=0,
                warning=warning,
                info="Open connections now (Threads_connected).",
            ),
            Field(
                "max_used_connections",
                "max used",
                min=0,
                info="Most connections at once since the server started.",
            ),
            Field(
                "aborted_connects",
                "aborted connects",
                type="DERIVE",
                min=0,
                info="Failed connection attempts per second (Aborted_connects).",
            ),
        ),
    )


def queries_graph() -> Graph:
    """``mariadb_queries``: statements and slow queries per second."""
    return Graph(
        name="mariadb_queries",
        title="MariaDB queries",
        category="mariadb",
        vlabel="queries / ${graph_period}",
        args="--base 1000 -l 0",
        info="Statements sent by clients (Questions) and slow queries, per second.",
        fields=(
            Field("questions", "questions", type="DERIVE", min=0, info="Client statements."),
            Field(
                "slow_queries",
                "slow queries",
                type="DERIVE",
                min=0,
                info="Queries longer than long_query_time.",
            ),
        ),
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())[:_MAX_REASON]


class MariaDBProbe:
    """MariaDB through its Unix socket (background)."""

    name = "mariadb"
    background = True

    def __init__(
        self,
        *,
        root: Path = Path("/"),
        socket: Path = Path("/run/mysqld/mysqld.sock"),
        user: str = "root",
        password: str | None = None,
        timeout: float = 2.0,
        interval: float = 60.0,
    ) -> None:
        self._socket = under(root, socket)
        self._user = user
        self._password = password
        self._timeout = timeout
        self._interval = interval
        self._was_up = False
        self.last_error = ""

    @property
    def interval(self) -> float:
        return self._interval

    def collect(self) -> tuple[Series, ...]:
        try:
            status = self._query()
        except _Down as down:
            self.last_error = down.reason
            return self._down(down.reason)
        self._was_up = True
        self.last_error = ""
        return self._series(status)

    def _series(self, status: Mapping[str, float]) -> tuple[Series, ...]:
        def pick(*names: str) -> dict[str, float | None]:
            return {n.lower(): status.get(n) for n in names}

        conn = pick("Threads_connected", "Max_used_connections", "Aborted_connects")
        return (
            Series(up_graph(), {"up": 1.0}),
            Series(connections_graph(status.get("max_connections")), conn),
            Series(queries_graph(), pick("Questions", "Slow_queries")),
        )

    def _down(self, reason: str) -> tuple[Series, ...]:
        up = Series(up_graph(reason), {"up": 0.0})
        if not self._was_up:
            return (up,)
        return (up, _unknown(connections_graph()), _unknown(queries_graph()))

    def _connect(self) -> pymysql.Connection[Any]:
        # The socket is ours so that it is closed on every failure (PyMySQL leaks the one it
        # makes when connect() itself fails).
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.settimeout(self._timeout)
            sock.connect(str(self._socket))
            conn: pymysql.Connection[Any] = pymysql.Connection(
                unix_socket=str(self._socket),
                user=self._user,
                password=self._password or "",
                connect_timeout=self._timeout,
                read_timeout=self._timeout,
                write_timeout=self._timeout,
                autocommit=True,
                defer_connect=True,
            )
            conn.connect(sock)
        except (OSError, pymysql.MySQLError) as exc:
            sock.close()
            raise _Down(_one_line(f"cannot connect through {self._socket}: {exc}")) from exc
        return conn

    def _query(self) -> dict[str, float]:
        if not self._socket.exists():
            raise _Down(f"socket {self._socket} does not exist (is MariaDB running?)")
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW GLOBAL STATUS")
                status = parse_status(cur.fetchall())
                cur.execute("SHOW GLOBAL VARIABLES LIKE 'max_connections'")
                status.update(parse_status(cur.fetchall()))
        except pymysql.MySQLError as exc:
            raise _Down(_one_line(f"query failed: {exc}")) from exc
        finally:
            if conn.open:
                conn.close()
        return {k: v for k, v in status.items() if k in _WANTED}


def _unknown(graph: Graph) -> Series:
    values: dict[str, float | None] = {f.name: None for f in graph.fields}
    return Series(graph, MappingProxyType(values))


class _Down(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
