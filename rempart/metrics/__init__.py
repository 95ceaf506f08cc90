"""Pure time-series values and logic: graphs, fields, series (no disk, clock or network)."""
