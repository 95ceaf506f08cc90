"""The chunk codec: one closed day of one series in one small blob, and its hourly rollups.

A day is 288 slots of 5 minutes, float64, NaN for "no data" (lossless: the value read back
is the value written, bit for bit). The encoding keeps to what the C parts of the standard
library do quickly, so a year (365 chunks, 105,120 values) decodes in a few milliseconds:

1. optionally (``CODEC_XOR``) each value is XORed with the previous one (the whole day as one
   big integer: ``v ^ (v << 64)``); measured on a year of realistic data it makes chunks
   *larger* than shuffling alone (gauge 1,798 against 1,542 bytes a day), so it is not the
   default;
2. the bytes are *shuffled* (all first bytes of the 288 values, then all second bytes...):
   exponents and high mantissa bytes, alike from one value to the next, end up together;
3. zlib.

The first byte names the codec (``CODEC_SHUFFLE``), so another can be added without a
migration. Hourly rollups of a day (24 buckets: count, average, minimum and maximum and the
slot of each) are one blob too (:func:`encode_hours`).
"""

from __future__ import annotations

import math
import sys
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from rempart.metrics.rollup import Bucket
from rempart.metrics.series import STEP

__all__ = [
    "CODEC_SHUFFLE",
    "CODEC_XOR",
    "DAY",
    "HOURS",
    "SLOTS",
    "HourBlock",
    "decode_day",
    "decode_hours",
    "encode_day",
    "encode_hours",
]

DAY = 86400
SLOTS = DAY // STEP  # 288
HOURS = 24
_PER_HOUR = 3600 // STEP  # 12
CODEC_SHUFFLE = 1  # shuffle + zlib (the default: measured smaller, bench/bench_store.py)
CODEC_XOR = 2  # xor with previous + shuffle + zlib
_HOURS_V1 = 1
_LEVEL = 6
_NAN = math.nan
_SWAP = sys.byteorder != "little"  # blobs are little-endian whatever the machine


def _shuffle(raw: bytes, width: int) -> bytes:
    return b"".join(raw[i::width] for i in range(width))


def _unshuffle(data: bytes, width: int) -> bytes:
    n = len(data) // width
    out = bytearray(len(data))
    for i in range(width):
        out[i::width] = data[i * n : (i + 1) * n]
    return bytes(out)


def _xor_encode(raw: bytes) -> bytes:
    size = len(raw)
    v = int.from_bytes(raw, "little")
    return ((v ^ (v << 64)) & ((1 << (8 * size)) - 1)).to_bytes(size, "little")


def _xor_decode(raw: bytes) -> bytes:
    size = len(raw)
    mask = (1 << (8 * size)) - 1
    v = int.from_bytes(raw, "little")
    shift = 64
    while shift < 8 * size:
        v ^= (v << shift) & mask
        shift *= 2
    return v.to_bytes(size, "little")


def _doubles(values: Sequence[float]) -> bytes:
    data = values if isinstance(values, array) and values.typecode == "d" else array("d", values)
    if _SWAP:
        data = array("d", data)
        data.byteswap()
    return data.tobytes()


def _from_bytes(raw: bytes) -> array[float]:
    out = array("d")
    out.frombytes(raw)
    if _SWAP:
        out.byteswap()
    return out


def encode_day(values: Sequence[float], codec: int = CODEC_SHUFFLE) -> bytes:
    """The blob of one day (``SLOTS`` values, NaN for no data)."""
    if len(values) != SLOTS:
        raise ValueError(f"a day has {SLOTS} slots, got {len(values)}")
    raw = _doubles(values)
    if codec == CODEC_XOR:
        raw = _xor_encode(raw)
    elif codec != CODEC_SHUFFLE:
        raise ValueError(f"unknown chunk codec {codec}")
    return bytes([codec]) + zlib.compress(_shuffle(raw, 8), _LEVEL)


def decode_day(blob: bytes) -> array[float]:
    """The ``SLOTS`` values of a day blob. ValueError for a damaged blob."""
    if not blob:
        raise ValueError("empty chunk")
    codec = blob[0]
    try:
        raw = _unshuffle(zlib.decompress(blob[1:]), 8)
    except zlib.error as exc:
        raise ValueError(f"damaged chunk: {exc}") from exc
    if len(raw) != SLOTS * 8:
        raise ValueError(f"damaged chunk: {len(raw)} bytes")
    if codec == CODEC_XOR:
        raw = _xor_decode(raw)
    elif codec != CODEC_SHUFFLE:
        raise ValueError(f"unknown chunk codec {codec}")
    return _from_bytes(raw)


@dataclass(frozen=True, slots=True)
class HourBlock:
    """The 24 hourly buckets of one day as arrays (count 0: an empty hour)."""

    day: int  # the day's start (epoch seconds, a multiple of 86400)
    count: array[int]
    avg: array[float]
    low: array[float]
    low_at: array[int]
    high: array[float]
    high_at: array[int]

    def bucket(self, hour: int) -> Bucket | None:
        if not self.count[hour]:
            return None
        n = self.count[hour]
        return Bucket(
            self.day + hour * 3600,
            n,
            self.avg[hour] * n,
            self.low[hour],
            self.low_at[hour],
            self.high[hour],
            self.high_at[hour],
        )


def encode_hours(buckets: Sequence[Bucket | None]) -> bytes:
    """The blob of a day's 24 hourly buckets (None: an empty hour)."""
    if len(buckets) != HOURS:
        raise ValueError(f"a day has {HOURS} hours, got {len(buckets)}")
    counts, lows_i, highs_i = bytearray(HOURS), bytearray(HOURS), bytearray(HOURS)
    avg, low, high = (
        array("d", [_NAN]) * HOURS,
        array("d", [_NAN]) * HOURS,
        array("d", [_NAN]) * HOURS,
    )
    for h, b in enumerate(buckets):
        if b is None:
            continue
        counts[h] = b.count
        avg[h], low[h], high[h] = b.avg, b.low, b.high
        lows_i[h] = (b.low_at - b.start) // STEP
        highs_i[h] = (b.high_at - b.start) // STEP
    floats = _doubles(avg) + _doubles(low) + _doubles(high)
    body = bytes(counts) + bytes(lows_i) + bytes(highs_i) + _shuffle(floats, 8)
    return bytes([_HOURS_V1]) + zlib.compress(body, _LEVEL)


def decode_hours(blob: bytes, day: int) -> HourBlock:
    """The hourly buckets of the day starting at ``day``. ValueError for a damaged blob."""
    if not blob or blob[0] != _HOURS_V1:
        raise ValueError("unknown hourly rollup format")
    try:
        body = zlib.decompress(blob[1:])
    except zlib.error as exc:
        raise ValueError(f"damaged hourly rollup: {exc}") from exc
    if len(body) != HOURS * 3 + HOURS * 24:
        raise ValueError(f"damaged hourly rollup: {len(body)} bytes")
    floats = _from_bytes(_unshuffle(body[HOURS * 3 :], 8))
    hours = range(day, day + DAY, 3600)
    return HourBlock(
        day,
        array("l", list(body[:HOURS])),
        floats[:HOURS],
        floats[HOURS : 2 * HOURS],
        array("l", (at + i * STEP for at, i in zip(hours, body[HOURS : 2 * HOURS], strict=True))),
        floats[2 * HOURS :],
        array(
            "l", (at + i * STEP for at, i in zip(hours, body[2 * HOURS : 3 * HOURS], strict=True))
        ),
    )
