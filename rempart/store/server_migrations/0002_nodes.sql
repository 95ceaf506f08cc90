-- 0002_nodes: the last known state of every polled node (rempart/store/nodes.py).
CREATE TABLE nodes (
    node      TEXT    NOT NULL PRIMARY KEY,
    grp       TEXT    NOT NULL,
    address   TEXT    NOT NULL,
    port      INTEGER NOT NULL,
    state     TEXT    NOT NULL CHECK (state IN ('up', 'down', 'unknown')),
    last_poll REAL    NOT NULL DEFAULT 0,
    last_ok   REAL    NOT NULL DEFAULT 0,
    duration  REAL    NOT NULL DEFAULT 0,
    error     TEXT    NOT NULL DEFAULT '',
    graphs    INTEGER NOT NULL DEFAULT 0,
    fields    INTEGER NOT NULL DEFAULT 0,
    version   TEXT    NOT NULL DEFAULT '',
    failures  INTEGER NOT NULL DEFAULT 0
) STRICT;
