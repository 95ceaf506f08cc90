"""Numbered migrations of the supervision server database (server.db)."""
