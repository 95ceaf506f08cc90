"""AbuseIPDB API v2: the key (:mod:`.secrets`) and the HTTP client (:mod:`.client`)."""

from __future__ import annotations

__all__: list[str] = []
