-- 0005_web: the dashboard's accounts and sessions.
-- A password is kept only as its argon2id hash (PHC string); a session only as the SHA-256 of
-- its cookie token, so a copy of the database opens no session.
CREATE TABLE web_users (
    name TEXT PRIMARY KEY,               -- login name: [A-Za-z0-9._@-]{1,64}
    role TEXT NOT NULL CHECK (role IN ('admin', 'reader')),
    password_hash TEXT NOT NULL,         -- argon2id PHC string
    language TEXT CHECK (language IN ('en', 'fr')),  -- NULL: the browser's
    created REAL NOT NULL,
    password_changed REAL NOT NULL,
    last_login REAL
) STRICT;

CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,         -- hex SHA-256 of the cookie's token
    user TEXT NOT NULL REFERENCES web_users (name) ON DELETE CASCADE,
    csrf TEXT NOT NULL,                  -- the token forms and fetches send back
    created REAL NOT NULL,
    seen REAL NOT NULL,                  -- last request (idle expiry)
    address TEXT NOT NULL DEFAULT ''     -- client address at login, for the record
) STRICT;

CREATE INDEX web_sessions_user ON web_sessions (user);
