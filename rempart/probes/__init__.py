"""Metric probes, one per module: a pure ``parse_*`` and a thin reader of /proc, /sys or sockets."""
