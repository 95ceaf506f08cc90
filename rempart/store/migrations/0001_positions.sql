-- Where each log source stopped, so that a restart resumes without losing or repeating
-- a line. One row per source key (chosen by the agent, e.g. "sshd:/var/log/auth.log").

CREATE TABLE file_positions (
    source      TEXT PRIMARY KEY,
    path        TEXT NOT NULL,
    device      INTEGER NOT NULL,           -- st_dev, stored as a signed 64-bit integer
    inode       INTEGER NOT NULL,           -- st_ino, stored as a signed 64-bit integer
    offset      INTEGER NOT NULL CHECK (offset >= 0),
    head_size   INTEGER NOT NULL CHECK (head_size >= 0),
    head_digest TEXT NOT NULL,
    tail_size   INTEGER NOT NULL CHECK (tail_size >= 0),
    tail_digest TEXT NOT NULL,
    saved_at    REAL NOT NULL
) STRICT;

CREATE TABLE journal_cursors (
    source    TEXT PRIMARY KEY,
    cursor    TEXT NOT NULL,
    timestamp REAL,
    saved_at  REAL NOT NULL
) STRICT;
