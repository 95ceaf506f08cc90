"""The munin-node protocol as pure code: commands, replies, names, ranges (no sockets)."""
