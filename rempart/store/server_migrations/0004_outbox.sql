-- 0004_outbox: notifications waiting to be sent (mail, webhooks), and the ones sent.
-- A message is kept until it is sent (never dropped); per channel, the oldest unsent one
-- blocks the later ones (order kept). Sent messages stay as history until forgotten.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,             -- "mail" or "webhook:<name>"
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '',  -- the JSON a webhook posts
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try REAL NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    sent_at REAL                       -- NULL while waiting
) STRICT;

CREATE INDEX outbox_waiting ON outbox (channel, id, next_try) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
