-- AbuseIPDB: the outbox of reports, the last report of each address, the daily quota of
-- each endpoint. Every statement rempart runs on these tables is parameterised (see
-- rempart/store/reports.py and rempart/store/quota.py).
--
-- A report's life: queued -> sending (written, committed, before the call) -> sent or
-- dropped, or back to queued (retry, pause). A report found "sending" at start was
-- interrupted during its call: it goes back to queued as "unsure" (the server may hold
-- it; see rempart/services/reporter.py for how a resend stays exactly-once there).

CREATE TABLE reports (
    id         INTEGER PRIMARY KEY,
    jail       TEXT NOT NULL CHECK (length(jail) BETWEEN 1 AND 64),
    address    TEXT NOT NULL CHECK (length(address) BETWEEN 2 AND 45),  -- str(address)
    attack_at  REAL NOT NULL,                       -- the ban's start: the attack's time
    categories TEXT NOT NULL CHECK (length(categories) BETWEEN 1 AND 80
                                    AND categories NOT GLOB '*[^0-9,]*'),  -- "18,22"
    comment    TEXT NOT NULL CHECK (length(CAST(comment AS BLOB)) <= 1024),
    queued_at  REAL NOT NULL,
    state      TEXT NOT NULL DEFAULT 'queued'
               CHECK (state IN ('queued', 'sending', 'sent', 'dropped')),
    attempts   INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    unsure     INTEGER NOT NULL DEFAULT 0 CHECK (unsure IN (0, 1)),  -- may have reached it
    first_try  REAL,                                -- when the first call was made
    next_try   REAL NOT NULL,
    via        TEXT CHECK (via IS NULL OR via IN ('report', 'bulk-report')),  -- last call
    done_at    REAL,                                -- sent or dropped at
    outcome    TEXT,                                -- sent, confirmed, duplicate, invalid…
    detail     TEXT,                                -- the server's reason, printable
    CHECK ((state IN ('sent', 'dropped')) = (done_at IS NOT NULL)),
    UNIQUE (jail, address, attack_at)               -- a ban is queued once
) STRICT;

-- what is due: the sender's query
CREATE INDEX reports_due ON reports (next_try, id) WHERE state = 'queued';
-- "a report of this address is already waiting"
CREATE INDEX reports_waiting ON reports (address) WHERE state IN ('queued', 'sending');
-- counting today's, forgetting old ones
CREATE INDEX reports_done ON reports (done_at) WHERE done_at IS NOT NULL;

CREATE TABLE reported (
    address TEXT PRIMARY KEY,                       -- str(address)
    at      REAL NOT NULL                           -- the last report that reached AbuseIPDB
) STRICT, WITHOUT ROWID;

CREATE INDEX reported_at ON reported (at);

CREATE TABLE quota (
    endpoint     TEXT PRIMARY KEY CHECK (endpoint NOT GLOB '*[^a-z-]*'),
    day          INTEGER NOT NULL,                  -- UTC day number (days since 1970-01-01)
    used         INTEGER NOT NULL CHECK (used >= 0),
    remaining    INTEGER CHECK (remaining IS NULL OR remaining >= 0),  -- X-RateLimit-Remaining
    paused_until REAL,
    reason       TEXT NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;
