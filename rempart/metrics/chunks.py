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

Most monitored values are not arbitrary doubles: munin-node prints gauges with a few
decimals, and Munin's rates are integer deltas over the 300 s step. ``CODEC_SCALED`` stores
such a day losslessly as integers: every non-NaN value equals ``n / d`` exactly (Python's
correctly rounded integer division, checked value by value when encoding) for ``d = 10**k``
(k = 0..6) or ``d = 300``; the blob holds ``d``, the first ``n``, a NaN bitmap and the
differences of successive ``n`` as signed integers of the smallest fitting width (1, 2, 4 or 8
bytes), shuffled, then zlib. Fixed-width deltas rather than varints keep decoding in C
(``array.frombytes`` and ``itertools.accumulate``).

The first byte names the codec (``CODEC_SHUFFLE``, ``CODEC_XOR``, ``CODEC_SCALED``), so old
blobs stay readable. :func:`encode_day` without a codec tries the scaled codec and shuffling
and keeps the smaller blob. Hourly rollups of a day (24 buckets: count, average, minimum and
maximum and the slot of each) are one blob too (:func:`encode_hours`).
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise

from rempart.metrics.rollup import Bucket
from rempart.metrics.series import STEP

__all__ = [
    "CODEC_AUTO",
    "CODEC_SCALED",
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
CODEC_SCALED = 3  # n / divisor: integer deltas + NaN bitmap, shuffle + zlib
CODEC_AUTO = 0  # encode_day's default: the smallest of CODEC_SCALED (when exact) and SHUFFLE
_DIVISORS = (*(10**k for k in range(7)), 300)
_WIDTHS = {1: "b", 2: "h", 4: "i", 8: "q"}
_HEAD = struct.Struct("<IBq")  # divisor, delta width, first n
_BITMAP = SLOTS // 8
_INT64 = 1 << 63
_FULL = b"\xff" * _BITMAP
_ALL_SLOTS = range(SLOTS)
_HOURS_V1 = 1
_LEVEL = 6
_NAN = math.nan
_NAN_BITS = struct.pack("<d", _NAN)  # the NaN a scaled day decodes to
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


def _numerators(values: Sequence[float], divisor: int) -> list[int] | None:
    """The n with ``n / divisor == v`` bit for bit for every non-NaN v, or None."""
    out = []
    for v in values:
        if math.isnan(v):
            if struct.pack("<d", v) != _NAN_BITS:
                return None  # a NaN with a payload: only the float codecs keep its bits
            continue
        if not -1e15 < v < 1e15:
            return None
        n = round(v * divisor)
        if n / divisor != v or (v == 0 and math.copysign(1.0, v) < 0):
            return None  # not exact (or -0.0, whose sign n / d cannot give back)
        out.append(n)
    return out


def _width(deltas: Sequence[int]) -> int | None:
    if not deltas:
        return 1
    top = max(*deltas, -min(deltas) - 1)
    return next((w for w in _WIDTHS if top < 1 << (8 * w - 1)), None)


def _scaled_body(values: Sequence[float], divisor: int) -> bytes | None:
    nums = _numerators(values, divisor)
    if nums is None or any(not -_INT64 <= n < _INT64 for n in nums[:1]):
        return None
    deltas = [b - a for a, b in pairwise(nums)]
    width = _width(deltas)
    if width is None:
        return None
    bitmap = bytearray(_BITMAP)
    for i, v in enumerate(values):
        if not math.isnan(v):
            bitmap[i >> 3] |= 1 << (i & 7)
    packed = array(_WIDTHS[width], deltas)
    if _SWAP:
        packed.byteswap()
    head = _HEAD.pack(divisor, width, nums[0] if nums else 0)
    return head + bytes(bitmap) + _shuffle(packed.tobytes(), width)


def _encode_scaled(values: Sequence[float]) -> bytes | None:
    """The smallest CODEC_SCALED blob of a day (the first exact power of ten, and 300)."""
    best: bytes | None = None
    for divisor in _DIVISORS:
        if best is not None and divisor != 300:
            continue  # a larger power of ten only makes larger integers
        body = _scaled_body(values, divisor)
        if body is None:
            continue
        blob = bytes([CODEC_SCALED]) + zlib.compress(body, _LEVEL)
        if best is None or len(blob) < len(best):
            best = blob
    return best


def _decode_scaled(body: bytes) -> array[float]:
    if len(body) < _HEAD.size + _BITMAP:
        raise ValueError(f"damaged chunk: {len(body)} bytes")
    divisor, width, first = _HEAD.unpack_from(body)
    if divisor not in _DIVISORS or width not in _WIDTHS:
        raise ValueError(f"damaged chunk: divisor {divisor}, width {width}")
    bitmap = body[_HEAD.size : _HEAD.size + _BITMAP]
    if bitmap == _FULL:
        present: Sequence[int] = _ALL_SLOTS
    else:
        present = [i for i in range(SLOTS) if bitmap[i >> 3] >> (i & 7) & 1]
    rest = body[_HEAD.size + _BITMAP :]
    if len(rest) != max(len(present) - 1, 0) * width:
        raise ValueError(f"damaged chunk: {len(rest)} bytes of deltas")
    deltas = array(_WIDTHS[width])
    deltas.frombytes(_unshuffle(rest, width))
    if _SWAP:
        deltas.byteswap()
    nums: Iterator[int] = accumulate(deltas, initial=first) if present else iter(())
    if len(present) == SLOTS:
        return array("d", [n / divisor for n in nums])
    out = array("d", [_NAN]) * SLOTS
    for i, n in zip(present, nums, strict=False):
        out[i] = n / divisor
    return out


def encode_day(values: Sequence[float], codec: int = CODEC_AUTO) -> bytes:
    """The blob of one day (``SLOTS`` values, NaN for no data).

    ``CODEC_AUTO`` keeps the smallest of ``CODEC_SCALED`` (when every value is exact) and
    ``CODEC_SHUFFLE``; ``CODEC_SCALED`` raises ValueError when the values are not exact.
    """
    if len(values) != SLOTS:
        raise ValueError(f"a day has {SLOTS} slots, got {len(values)}")
    if codec in (CODEC_AUTO, CODEC_SCALED):
        scaled = _encode_scaled(values)
        if codec == CODEC_SCALED:
            if scaled is None:
                raise ValueError("these values are not n / 10**k or n / 300 exactly")
            return scaled
        plain = encode_day(values, CODEC_SHUFFLE)
        return scaled if scaled is not None and len(scaled) < len(plain) else plain
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
    if codec not in (CODEC_SHUFFLE, CODEC_XOR, CODEC_SCALED):
        raise ValueError(f"unknown chunk codec {codec}")
    try:
        body = zlib.decompress(blob[1:])
    except zlib.error as exc:
        raise ValueError(f"damaged chunk: {exc}") from exc
    if codec == CODEC_SCALED:
        return _decode_scaled(body)
    if len(body) != SLOTS * 8:
        raise ValueError(f"damaged chunk: {len(body)} bytes")
    raw = _unshuffle(body, 8)
    if codec == CODEC_XOR:
        raw = _xor_decode(raw)
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
