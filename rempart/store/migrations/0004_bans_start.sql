-- The newest bans first (the dashboard's ban history) and bans per day since a date:
-- both read the bans by start.
CREATE INDEX bans_start ON bans (start);
