"""The stored value of one reading, as rrdtool would store it (pure).

Munin's master feeds every value to an RRD; the RRD turns DERIVE, COUNTER and ABSOLUTE
readings into per-second rates. The server stores the rate directly, so it keeps the previous
raw reading of each series (:class:`Reading`) and calls :func:`stored_value`:

- GAUGE: the value as read;
- DERIVE: ``(v - prev) / dt``; a negative rate is a reset (reboot, restarted service): None;
- COUNTER: like DERIVE, but a decrease is a wrap, at 2^32 when the previous reading fitted in
  32 bits, else at 2^64 (rrdtool's rule). A wrap is believed only when the counter travelled
  at most half its range since the last reading; more (a 64-bit counter "wrapping" from 10^12
  to 5) is a reset: None — where rrdtool would store a huge spike (Munin issue #531);
- ABSOLUTE: ``v / dt`` (the plugin resets its counter at every read);
- the field's ``min`` and ``max`` bound the stored value (the rate for rates): outside, None,
  as rrdtool does;
- an unknown reading (``U``: None) stores None; the first reading of a rate has nothing to
  compare with: None; a reading older than ``max_gap`` after the previous one (a node away
  for hours): None, as rrdtool's heartbeat does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rempart.metrics.model import Field

__all__ = ["WRAP32", "WRAP64", "Reading", "counter_delta", "in_range", "stored_value"]

WRAP32 = 2**32
WRAP64 = 2**64  # ints: counters are read exactly (see munin.replies.parse_number)


@dataclass(frozen=True, slots=True)
class Reading:
    """A raw value read from a node, and when (epoch seconds)."""

    value: float
    at: float


def in_range(value: float | None, field: Field) -> float | None:
    """``value`` when it is a finite number inside the field's ``min``/``max``, else None."""
    if value is None or not math.isfinite(value):
        return None
    if field.min is not None and value < field.min:
        return None
    if field.max is not None and value > field.max:
        return None
    return value


def counter_delta(previous: float, value: float) -> float | None:
    """How far a COUNTER went from ``previous`` to ``value``, wraps included; None for a
    reset or an impossible wrap."""
    if value < 0 or previous < 0:
        return None
    delta = value - previous
    if delta >= 0:
        return delta
    modulus = WRAP32 if previous < WRAP32 else WRAP64
    if previous >= WRAP64:
        return None
    delta += modulus
    return delta if 0 <= delta <= modulus / 2 else None


def stored_value(
    field: Field,
    value: float | None,
    at: float,
    previous: Reading | None,
    *,
    max_gap: float | None = None,
) -> float | None:
    """What to store for ``value`` read at ``at``, given the previous raw reading of the
    same series (None: none kept). Keep ``Reading(value, at)`` for the next call whenever
    ``value`` is not None."""
    if value is None or field.type == "GAUGE":
        return in_range(value, field)
    dt = 0.0 if previous is None else at - previous.at
    if previous is None or dt <= 0 or (max_gap is not None and dt > max_gap):
        return None
    return in_range(_rate(field, value, previous.value, dt), field)


def _rate(field: Field, value: float, previous: float, dt: float) -> float | None:
    if field.type == "ABSOLUTE":
        return value / dt
    delta = counter_delta(previous, value) if field.type == "COUNTER" else value - previous
    return None if delta is None or delta < 0 else delta / dt
