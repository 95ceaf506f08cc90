"""glibc's heap: give freed memory back to the system after a large, one-off job.

A 500,000-address blocklist costs libnftables about 190 MB while it parses the batch,
and the parse of the list about 50 MB of short-lived Python objects; once freed, that
memory stays in the process (glibc keeps freed heap pages) unless trimmed.
"""

from __future__ import annotations

import ctypes

__all__ = ["trim_heap"]


def trim_heap() -> bool:
    """``malloc_trim(0)``: hand freed heap memory back to the system. False when the C
    library has no such call (not glibc)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)
    return True
