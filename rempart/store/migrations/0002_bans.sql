-- Bans (active and past), addresses allowed by hand, recent successful logins, and the
-- failure windows of each jail, kept across a restart.
--
-- Addresses and networks are stored as text in compressed form ("192.0.2.7",
-- "2001:db8::/64"). A ban's or an allowance's target also has its first and last address
-- as 16-byte big-endian blobs (IPv4 too, zero-extended) with its IP version: blobs compare
-- like the numbers they hold, so "targets that contain ADDRESS" and "targets that overlap
-- NETWORK" are index range and equality lookups. Every statement rempart runs on these
-- tables is parameterised (see rempart/store/bans.py and its neighbours).

CREATE TABLE bans (
    id        INTEGER PRIMARY KEY,
    jail      TEXT NOT NULL CHECK (length(jail) BETWEEN 1 AND 64),
    target    TEXT NOT NULL,                        -- str(network), e.g. "192.0.2.7/32"
    address   TEXT NOT NULL,                        -- the address that failed
    version   INTEGER NOT NULL CHECK (version IN (4, 6)),
    prefix    INTEGER NOT NULL CHECK (prefix BETWEEN 0 AND (CASE version WHEN 4 THEN 32 ELSE 128 END)),
    first     BLOB NOT NULL CHECK (length(first) = 16),
    last      BLOB NOT NULL CHECK (length(last) = 16 AND last >= first),
    start     REAL NOT NULL,
    end       REAL NOT NULL CHECK (end >= start),
    offence   INTEGER NOT NULL CHECK (offence >= 1),
    failures  INTEGER NOT NULL CHECK (failures >= 0),
    reason    TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 32 AND reason NOT GLOB '*[^a-z-]*'),
    evidence  TEXT NOT NULL CHECK (json_valid(evidence) AND json_type(evidence) = 'array'),
    lifted_at REAL,
    lifted_by TEXT,
    CHECK ((lifted_at IS NULL) = (lifted_by IS NULL))
) STRICT;

-- active bans (not lifted), by end: restoring the firewall at start, listing bans
CREATE INDEX bans_active ON bans (end) WHERE lifted_at IS NULL;
-- history of an address: targets whose first address is one of the address's prefixes
CREATE INDEX bans_first ON bans (version, first);
-- forgetting old history: when each ban ended (lifted, or its planned end)
CREATE INDEX bans_ended ON bans (coalesce(min(lifted_at, end), end));

CREATE TABLE allows (
    target    TEXT PRIMARY KEY,                     -- str(network)
    version   INTEGER NOT NULL CHECK (version IN (4, 6)),
    prefix    INTEGER NOT NULL CHECK (prefix BETWEEN 0 AND (CASE version WHEN 4 THEN 32 ELSE 128 END)),
    first     BLOB NOT NULL CHECK (length(first) = 16),
    last      BLOB NOT NULL CHECK (length(last) = 16 AND last >= first),
    since     REAL NOT NULL,
    until     REAL CHECK (until IS NULL OR until >= since),   -- NULL: for good
    by        TEXT NOT NULL
) STRICT;

CREATE INDEX allows_until ON allows (until);

CREATE TABLE logins (
    address TEXT PRIMARY KEY,                       -- str(address)
    at      REAL NOT NULL                           -- the last successful login seen
) STRICT, WITHOUT ROWID;

CREATE INDEX logins_at ON logins (at);

CREATE TABLE windows (
    jail   TEXT NOT NULL CHECK (length(jail) BETWEEN 1 AND 64),
    target TEXT NOT NULL,                           -- str(network)
    times  TEXT NOT NULL CHECK (json_valid(times) AND json_type(times) = 'array'),
    lines  TEXT NOT NULL CHECK (json_valid(lines) AND json_type(lines) = 'array'),
    PRIMARY KEY (jail, target)
) STRICT, WITHOUT ROWID;
