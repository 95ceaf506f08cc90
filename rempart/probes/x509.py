"""The validity dates of an X.509 certificate, read by a small DER walker (pure, no I/O).

rempart needs one thing from a certificate: when it stops being valid (``notAfter``). Rather
than a ``cryptography`` dependency, this module walks the DER encoding just far enough::

    Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
    tbsCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
                                  validity SEQUENCE { notBefore, notAfter }, ... }

Times are UTCTime (``YYMMDDHHMMSSZ``, years 1950–2049 as RFC 5280 says) or GeneralizedTime
(``YYYYMMDDHHMMSSZ``, fractional seconds tolerated). Nothing is verified here: signatures and
chains are the TLS library's business.

Every function raises :class:`ValueError` (and nothing else) on bytes that are not what it
expects: truncated or over-long lengths, indefinite lengths, unexpected tags, impossible
dates. A PEM file's first ``CERTIFICATE`` block is taken as the leaf (servers and ACME clients
write the leaf first, then the chain).
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["Validity", "first_certificate", "pem_certificates", "validity"]

_SEQUENCE = 0x30
_VERSION = 0xA0  # [0] EXPLICIT, constructed
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18
_MAX_LENGTH_OCTETS = 4  # lengths up to 4 GiB; a certificate is a few KiB
_PEM = re.compile(
    rb"-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----",
)
_UTC_RE = re.compile(r"(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z")
_GEN_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,]\d{1,9})?Z")


@dataclass(frozen=True, slots=True)
class Validity:
    """A certificate's validity period (timezone-aware UTC datetimes)."""

    not_before: datetime
    not_after: datetime

    def days_left(self, now: float) -> float:
        """Days from ``now`` (epoch seconds) to ``not_after``; negative once expired."""
        return (self.not_after.timestamp() - now) / 86400.0


def _element(data: bytes, offset: int, end: int) -> tuple[int, int, int]:
    """The (tag, content start, content end) of the DER element at ``offset``."""
    if offset + 2 > end:
        raise ValueError(f"DER: element truncated at byte {offset}")
    tag, first = data[offset], data[offset + 1]
    if tag & 0x1F == 0x1F:
        raise ValueError(f"DER: high tag numbers are not expected (byte {offset})")
    start = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > _MAX_LENGTH_OCTETS:
            raise ValueError(f"DER: unsupported length form at byte {offset + 1}")
        if start + count > end:
            raise ValueError(f"DER: length truncated at byte {offset + 1}")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    if start + length > end:
        raise ValueError(f"DER: element at byte {offset} runs past its container")
    return tag, start, start + length


def _expect(data: bytes, offset: int, end: int, tag: int, what: str) -> tuple[int, int]:
    found, start, stop = _element(data, offset, end)
    if found != tag:
        raise ValueError(f"DER: expected {what} (tag 0x{tag:02x}), found tag 0x{found:02x}")
    return start, stop


def _time(data: bytes, offset: int, end: int) -> tuple[datetime, int]:
    """A UTCTime or GeneralizedTime at ``offset``, and the offset after it."""
    tag, start, stop = _element(data, offset, end)
    text = data[start:stop].decode("ascii", "replace")
    if tag == _UTC_TIME and (m := _UTC_RE.fullmatch(text)):
        yy = int(m[1])
        parts = [(2000 if yy < 50 else 1900) + yy, *(int(g) for g in m.groups()[1:])]
    elif tag == _GENERALIZED_TIME and (m := _GEN_RE.fullmatch(text)):
        parts = [int(g) for g in m.groups()]
    else:
        raise ValueError(f"DER: not a certificate time (tag 0x{tag:02x}, {text[:20]!r})")
    year, month, day, hour, minute, second = parts
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC), stop


def validity(der: bytes) -> Validity:
    """The validity period of the DER-encoded certificate ``der``.

    Raises ValueError when ``der`` is not a certificate this walker can read.
    """
    start, end = _expect(der, 0, len(der), _SEQUENCE, "Certificate")
    pos, tbs_end = _expect(der, start, end, _SEQUENCE, "tbsCertificate")
    if _element(der, pos, tbs_end)[0] == _VERSION:
        pos = _element(der, pos, tbs_end)[2]
    for _what in ("serialNumber", "signature", "issuer"):
        pos = _element(der, pos, tbs_end)[2]
    start, stop = _expect(der, pos, tbs_end, _SEQUENCE, "validity")
    not_before, after = _time(der, start, stop)
    not_after, _ = _time(der, after, stop)
    return Validity(not_before=not_before, not_after=not_after)


def pem_certificates(text: bytes) -> list[bytes]:
    """The DER bytes of every ``CERTIFICATE`` block of a PEM file, in file order.

    Raises ValueError when a block's base64 is broken.
    """
    out = []
    for match in _PEM.finditer(text):
        try:
            out.append(binascii.a2b_base64(b"".join(match[1].split()), strict_mode=True))
        except binascii.Error as exc:
            raise ValueError(f"PEM: a CERTIFICATE block is not valid base64 ({exc})") from exc
    return out


def first_certificate(content: bytes) -> bytes:
    """The leaf certificate of a file: the first PEM ``CERTIFICATE`` block, or the whole file
    when it holds no PEM block (a DER file). Raises ValueError when there is nothing to read."""
    blocks = pem_certificates(content)
    if blocks:
        return blocks[0]
    if b"-----BEGIN" in content:
        raise ValueError("PEM: the file holds no CERTIFICATE block")
    if not content:
        raise ValueError("the file is empty")
    return content
