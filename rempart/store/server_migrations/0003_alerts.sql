-- 0003_alerts: alerts of the supervision server (pending, firing, and the history of resolved
-- ones). At most one open (not resolved) alert per key, enforced by a partial unique index.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('threshold', 'no_data', 'unreachable',
                                              'disk_full', 'incident')),
    host        TEXT NOT NULL,
    graph       TEXT NOT NULL,
    field       TEXT NOT NULL,
    grp         TEXT NOT NULL,
    severity    TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
    status      TEXT NOT NULL CHECK (status IN ('pending', 'firing', 'resolved')),
    since       REAL NOT NULL,
    fired_at    REAL,
    resolved_at REAL,
    clear_since REAL,
    value       REAL,
    title       TEXT NOT NULL,
    detail      TEXT NOT NULL,
    ack_by      TEXT NOT NULL,
    ack_at      REAL
) STRICT;

CREATE UNIQUE INDEX alerts_open ON alerts (kind, host, graph, field) WHERE status != 'resolved';
CREATE INDEX alerts_recent ON alerts (coalesce(resolved_at, fired_at, since));
