-- 0001_series: time series of the supervision server (the "store" part).
-- graphs: the last description of each graph of each host (JSON of the Graph value).
-- series: one row per host/graph/field; its id keys the data tables.
-- samples: recent 5-minute values, one row each (NULL value: no data), cheap to insert.
-- chunks: one closed UTC day of one series packed in one blob (rempart.metrics.chunks).
-- rollups: one row per series and UTC day: the daily count/avg/min/max with the time of the
--   min and max, and the day's 24 hourly rollups as one blob (NULL once past retention).
CREATE TABLE graphs (
    host        TEXT NOT NULL,
    graph       TEXT NOT NULL,
    grp         TEXT NOT NULL,
    description TEXT NOT NULL,
    seen_at     REAL NOT NULL,
    PRIMARY KEY (host, graph)
) STRICT, WITHOUT ROWID;

CREATE TABLE series (
    id    INTEGER PRIMARY KEY,
    host  TEXT NOT NULL,
    graph TEXT NOT NULL,
    field TEXT NOT NULL,
    UNIQUE (host, graph, field)
) STRICT;

CREATE TABLE samples (
    series INTEGER NOT NULL,
    t      INTEGER NOT NULL,
    value  REAL,
    PRIMARY KEY (series, t)
) STRICT, WITHOUT ROWID;

-- chunks are keyed by one integer, series << 20 | day number (days since 1970), as a rowid
-- table: a day's blob (up to ~2.3 kB) stays in its b-tree page, where a WITHOUT ROWID table
-- would spill anything over ~1 kB into a 4 kB overflow page (measured: 21 bytes per sample).
CREATE TABLE chunks (
    id    INTEGER PRIMARY KEY,
    count INTEGER NOT NULL,
    data  BLOB NOT NULL
) STRICT;

CREATE TABLE rollups (
    series INTEGER NOT NULL,
    day    INTEGER NOT NULL,
    count  INTEGER NOT NULL,
    avg    REAL NOT NULL,
    min    REAL NOT NULL,
    min_at INTEGER NOT NULL,
    max    REAL NOT NULL,
    max_at INTEGER NOT NULL,
    hourly BLOB,
    PRIMARY KEY (series, day)
) STRICT, WITHOUT ROWID;
