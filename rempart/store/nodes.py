"""The last known state of every polled node (table ``nodes`` of server.db).

One row per node, replaced at every round by the server's writer thread; ``rempart nodes``
reads it through a read-only connection. A node removed from the configuration keeps its
last row (its history stays queryable); :meth:`SqliteNodeStore.forget` drops it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from rempart.metrics.series import NodeState, NodeStatus
from rempart.store.db import Database

__all__ = ["SqliteNodeStore"]

_SAVE = """INSERT INTO nodes (node, grp, address, port, state, last_poll, last_ok, duration,
        error, graphs, fields, version, failures) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (node) DO UPDATE SET
        grp = excluded.grp, address = excluded.address, port = excluded.port,
        state = excluded.state, last_poll = excluded.last_poll, last_ok = excluded.last_ok,
        duration = excluded.duration, error = excluded.error, graphs = excluded.graphs,
        fields = excluded.fields, version = excluded.version, failures = excluded.failures"""
_SELECT = """SELECT node, grp, address, port, state, last_poll, last_ok, duration, error,
    graphs, fields, version, failures FROM nodes ORDER BY grp, node"""
_STATES = ("up", "down", "unknown")


def _row(s: NodeStatus) -> tuple[object, ...]:
    return (
        s.node,
        s.group,
        s.address,
        s.port,
        s.state,
        s.last_poll,
        s.last_ok,
        s.duration,
        s.error,
        s.graphs,
        s.fields,
        s.version,
        s.failures,
    )


def _status(row: tuple[object, ...]) -> NodeStatus:
    node, group, address, port, state, poll, ok, duration, error, graphs, fields, version, n = row
    return NodeStatus(
        node=str(node),
        group=str(group),
        address=str(address),
        port=int(cast("int", port)),
        state=cast("NodeState", state if state in _STATES else "unknown"),
        last_poll=float(cast("float", poll)),
        last_ok=float(cast("float", ok)),
        duration=float(cast("float", duration)),
        error=str(error),
        graphs=int(cast("int", graphs)),
        fields=int(cast("int", fields)),
        version=str(version),
        failures=int(cast("int", n)),
    )


class SqliteNodeStore:
    """:class:`~rempart.metrics.storage.NodeStore` in ``db``. Raises StateError when the
    database fails."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def save_nodes(self, statuses: Sequence[NodeStatus]) -> None:
        """Replace the stored status of these nodes (one transaction)."""
        with self._db.transaction() as sql:
            sql.executemany(_SAVE, [_row(s) for s in statuses])

    def nodes(self) -> list[NodeStatus]:
        """Every node's last status, sorted by group then name."""
        rows = self._db.tuples(_SELECT)
        return [_status(r) for r in rows]

    def forget(self, names: Sequence[str]) -> int:
        """Drop the rows of these nodes; how many there were."""
        with self._db.transaction() as sql:
            return sum(
                int(sql.execute("DELETE FROM nodes WHERE node = ?", (n,)).rowcount) for n in names
            )
