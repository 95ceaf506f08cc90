"""The DER walker reads notBefore/notAfter of real certificates and only ever raises ValueError."""

from __future__ import annotations

import base64
import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.probes.x509 import Validity, first_certificate, pem_certificates, validity

TLS = Path(__file__).resolve().parent.parent / "fixtures" / "probes" / "tls"


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


GOLDEN = {
    "utctime.pem": (_utc(2026, 11, 21, 14, 34, 26), _utc(2026, 12, 21, 14, 34, 26)),
    "generalized.pem": (_utc(2026, 11, 21, 14, 34, 26), _utc(2126, 10, 28, 14, 34, 26)),
    "chain.pem": (_utc(2026, 11, 21, 14, 34, 26), _utc(2027, 2, 19, 14, 34, 26)),
    "params-then-chain.pem": (_utc(2026, 11, 21, 14, 34, 26), _utc(2027, 2, 19, 14, 34, 26)),
    "leaf.der": (_utc(2026, 11, 21, 14, 34, 26), _utc(2027, 2, 19, 14, 34, 26)),
    "isrg-root-x1.pem": (_utc(2015, 6, 4, 11, 4, 38), _utc(2035, 6, 4, 11, 4, 38)),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_dates(name: str) -> None:
    got = validity(first_certificate((TLS / name).read_bytes()))
    assert (got.not_before, got.not_after) == GOLDEN[name]


def test_chain_file_lists_leaf_then_ca() -> None:
    blocks = pem_certificates((TLS / "chain.pem").read_bytes())
    assert len(blocks) == 2
    assert blocks[0] == (TLS / "leaf.der").read_bytes()
    assert validity(blocks[1]).not_after == _utc(2036, 11, 18, 14, 34, 26)


def test_days_left() -> None:
    v = Validity(not_before=_utc(2026, 1, 1), not_after=_utc(2026, 1, 11))
    assert v.days_left(_utc(2026, 1, 1).timestamp()) == 10.0
    assert v.days_left(_utc(2026, 1, 12, 12).timestamp()) == -1.5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "no CERTIFICATE"),
        (b"-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n", "base64"),
    ],
)
def test_files_without_a_certificate(content: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validity(first_certificate(content))


def test_garbage_file_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="DER"):
        validity(first_certificate((TLS / "garbage.der").read_bytes()))


def _cert(times: bytes) -> bytes:
    """A minimal certificate shell around a validity SEQUENCE's content ``times``."""

    def tlv(tag: int, body: bytes) -> bytes:
        assert len(body) < 128
        return bytes([tag, len(body)]) + body

    tbs = (
        tlv(0xA0, tlv(0x02, b"\x02"))
        + tlv(0x02, b"\x01")
        + tlv(0x30, b"")
        + tlv(0x30, b"")
        + tlv(0x30, times)
    )
    return tlv(0x30, tlv(0x30, tbs))


@pytest.mark.parametrize(
    ("times", "after"),
    [
        (b"\x17\x0d491231235959Z\x17\x0d500101000000Z", _utc(1950, 1, 1)),
        (b"\x17\x0d491231235959Z\x17\x0d491231235959Z", _utc(2049, 12, 31, 23, 59, 59)),
        (b"\x17\x0d491231235959Z\x18\x0f99991231235959Z", _utc(9999, 12, 31, 23, 59, 59)),
        (b"\x17\x0d491231235959Z\x18\x1320500101000000.123Z", _utc(2050, 1, 1)),
    ],
)
def test_time_forms(times: bytes, after: datetime) -> None:
    assert validity(_cert(times)).not_after == after


@pytest.mark.parametrize(
    "times",
    [
        b"\x17\x0d491231235959Z\x17\x0d491331235959Z",  # month 13
        b"\x17\x0d491231235959Z\x17\x0b4912312359Z",  # no seconds
        b"\x17\x0d491231235959Z\x17\x0d491231235959+",  # not Z
        b"\x17\x0d491231235959Z\x18\x0f00001231235959Z",  # year 0
        b"\x17\x0d491231235959Z\x04\x0d491231235959Z",  # OCTET STRING
        b"\x17\x0d491231235959Z",  # no notAfter
    ],
)
def test_bad_times(times: bytes) -> None:
    with pytest.raises(ValueError, match=r"DER|month|year"):
        validity(_cert(times))


def test_lengths() -> None:
    with pytest.raises(ValueError, match="length form"):
        validity(b"\x30\x80" + b"\x00" * 10)  # indefinite
    with pytest.raises(ValueError, match="length form"):
        validity(b"\x30\x85\x01\x00\x00\x00\x00")  # 5 length octets
    with pytest.raises(ValueError, match="past"):
        validity(b"\x30\x82\xff\xff\x30\x00")
    with pytest.raises(ValueError, match="high tag"):
        validity(b"\x3f\x01\x00")


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_only_raise_value_error(data: bytes) -> None:
    with contextlib.suppress(ValueError):
        validity(data)
    with contextlib.suppress(ValueError):
        first_certificate(data)


REAL = [(TLS / name).read_bytes() for name in ("leaf.der",)] + [
    pem_certificates((TLS / "isrg-root-x1.pem").read_bytes())[0]
]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(REAL), st.data())
def test_mutated_certificates_only_raise_value_error(der: bytes, data: st.DataObject) -> None:
    edits = data.draw(st.lists(st.tuples(st.integers(0, len(der) - 1), st.integers(0, 255))))
    cut = data.draw(st.integers(0, len(der)))
    mutated = bytearray(der[:cut])
    for index, value in edits:
        if index < len(mutated):
            mutated[index] = value
    try:
        got = validity(bytes(mutated))
    except ValueError:
        return
    assert got.not_after.tzinfo is UTC


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_pem_blocks_only_raise_value_error(body: bytes) -> None:
    text = (
        b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(body) + b"-----END CERTIFICATE-----"
    )
    with contextlib.suppress(ValueError):
        validity(first_certificate(text))
