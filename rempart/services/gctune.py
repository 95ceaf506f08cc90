"""Garbage-collector settings for the hot loops (replay, the agent's line loop).

The detection path allocates many short-lived objects (match groups, results) that
form no reference cycles; with CPython's default thresholds (700, 10, 10) the collector
runs every few hundred lines and, as the state grows (windows, connection caches),
each run walks more of it: measured on a 1M-line auth log, 40 % of the time went to
collections. Objects that live for the whole run (compiled filters, modules) are moved
out of the collector's sight (``gc.freeze``) and young collections happen 100× less
often. Reference counting still frees everything at once; only cycles wait longer.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_tuned"]

_THRESHOLDS = (70_000, 20, 20)


@contextmanager
def gc_tuned() -> Iterator[None]:
    """Run the block with fewer, cheaper collections; restore the settings after."""
    before = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
