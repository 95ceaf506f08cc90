"""The AbuseIPDB client against FakeAbuseIPDB, a real HTTP server on 127.0.0.1
(tests/fakes/abuseipdb.py): every outcome, the headers sent and read, the key kept out of
sight, the blacklist streamed to a file and removed when it did not arrive whole."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import socket
import stat
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from rempart import __version__
from rempart.adapters.abuseipdb.client import (
    AbuseIPDBClient,
    Answer,
    InvalidRow,
    Outcome,
    RateLimit,
    classify,
)
from rempart.adapters.abuseipdb.values import clean_detail, iso_time, parse_rate, parse_time
from rempart.errors import AbuseIPDBError
from tests.fakes.abuseipdb import (
    AUTH_DETAIL,
    FAKE_T0,
    FakeAbuseIPDB,
    Fault,
    daily_detail,
    duplicate_detail,
)

T = TypeVar("T")
ATTACK = FAKE_T0 - 3600.0  # 2025-06-01T11:00:00Z


def run(fake: FakeAbuseIPDB, work: Callable[[AbuseIPDBClient], Awaitable[T]], **kw: Any) -> T:
    """``work(client)`` with a fresh client for ``fake``, closed afterwards."""

    async def main() -> T:
        async with fake.client(**kw) as client:
            return await work(client)

    return asyncio.run(main())


def report(fake: FakeAbuseIPDB, ip: str = "192.0.2.7", **kw: Any) -> Answer[Any]:
    return run(fake, lambda c: c.report(ip, [18, 22], "SSH brute force", ATTACK), **kw)


# ---------------------------------------------------------------- /report


def test_report_sends_the_documented_request(fake_abuseipdb: FakeAbuseIPDB) -> None:
    answer = report(fake_abuseipdb)

    assert answer.outcome is Outcome.OK
    assert answer.ok
    assert not answer.retryable
    assert answer.status == 200
    assert answer.detail == ""
    assert answer.data is not None
    assert (answer.data.ip, answer.data.score) == ("192.0.2.7", 25)
    assert answer.rate == RateLimit(limit=1000, remaining=999, reset_at=None, retry_after=None)
    (sent,) = fake_abuseipdb.reports
    assert (sent.ip, sent.categories, sent.comment) == ("192.0.2.7", (18, 22), "SSH brute force")
    assert sent.timestamp == "2025-06-01T11:00:00+00:00"
    (request,) = fake_abuseipdb.requests
    assert request.method == "POST"
    assert request.raw_path == "/api/v2/report"
    assert request.headers["key"] == fake_abuseipdb.key
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"].startswith(f"rempart/{__version__} (+https://")
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert b"categories=18%2C22" in request.body


def test_report_without_comment_or_timestamp_sends_neither(fake_abuseipdb: FakeAbuseIPDB) -> None:
    answer = run(fake_abuseipdb, lambda c: c.report("192.0.2.7", [18], "", None))
    assert answer.ok
    (request,) = fake_abuseipdb.requests
    assert set(request.query) == {"ip", "categories"}


def test_timestamps_are_iso_8601_with_offset() -> None:
    assert iso_time(FAKE_T0) == "2025-06-01T12:00:00+00:00"
    assert iso_time(0.9) == "1970-01-01T00:00:00+00:00"
    assert iso_time(1_700_000_000.5) == "2023-11-14T22:13:20+00:00"


def test_ipv6_is_canonical_and_url_encoded(fake_abuseipdb: FakeAbuseIPDB) -> None:
    async def work(client: AbuseIPDBClient) -> tuple[Answer[Any], Answer[Any]]:
        return (
            await client.report("2001:DB8:0::0:7", [18], "x", None),
            await client.check("2001:db8::7"),
        )

    reported, checked = run(fake_abuseipdb, work)

    assert reported.ok
    assert checked.ok
    assert fake_abuseipdb.reports[0].ip == "2001:db8::7"
    post, get = fake_abuseipdb.requests
    assert b"ip=2001%3Adb8%3A%3A7" in post.body
    assert "ipAddress=2001%3Adb8%3A%3A7" in get.raw_path
    assert checked.data is not None
    assert checked.data.total_reports == 1


def test_duplicate_within_15_minutes_counts_and_carries_on(fake_abuseipdb: FakeAbuseIPDB) -> None:
    assert report(fake_abuseipdb).ok
    fake_abuseipdb.advance(899)
    again = report(fake_abuseipdb)

    assert again.outcome is Outcome.DUPLICATE
    assert not again.retryable
    assert again.status == 429
    assert again.parameter == "ip"
    assert again.detail == duplicate_detail("192.0.2.7")
    assert again.rate.remaining == 998  # the refused call still counts
    assert report(fake_abuseipdb, "192.0.2.8").ok  # another address: fine
    fake_abuseipdb.advance(1)
    assert report(fake_abuseipdb).ok  # 15 minutes later: accepted
    assert len(fake_abuseipdb.reports) == 3


def test_daily_limit_until_the_utc_reset(fake_abuseipdb: FakeAbuseIPDB) -> None:
    fake_abuseipdb.limits["report"] = 2
    assert report(fake_abuseipdb, "192.0.2.1").ok
    last = report(fake_abuseipdb, "192.0.2.2")
    assert last.ok
    assert last.rate.remaining == 0

    refused = report(fake_abuseipdb, "192.0.2.3")

    midnight = 1_748_822_400.0  # 2025-06-02T00:00:00Z
    assert refused.outcome is Outcome.DAILY_LIMIT
    assert not refused.retryable
    assert refused.detail == daily_detail(2, "report")
    assert refused.rate == RateLimit(limit=2, remaining=0, reset_at=midnight, retry_after=43200.0)
    assert refused.rate.resume_at(FAKE_T0) == midnight
    assert len(fake_abuseipdb.reports) == 2
    fake_abuseipdb.now = midnight
    assert report(fake_abuseipdb, "192.0.2.3").ok


def test_unknown_key_is_unauthorized(fake_abuseipdb: FakeAbuseIPDB) -> None:
    answer = report(fake_abuseipdb, key="not-a-known-key")

    assert answer.outcome is Outcome.UNAUTHORIZED
    assert not answer.retryable
    assert (answer.status, answer.detail) == (401, AUTH_DETAIL)
    assert answer.rate == RateLimit()  # no quota for an unknown key: no headers
    assert fake_abuseipdb.reports == []


def test_feature_outside_the_plan_is_payment_required(fake_abuseipdb: FakeAbuseIPDB) -> None:
    fake_abuseipdb.payment_required.add("clear-address")
    answer = run(fake_abuseipdb, lambda c: c.clear_address("192.0.2.7"))
    assert answer.outcome is Outcome.PAYMENT_REQUIRED
    assert answer.status == 402
    assert not answer.retryable


@pytest.mark.parametrize(
    ("ip", "categories", "problem"),
    [
        ("192.0.2.300", [18], "not an IP address"),
        ("192.0.2.7; rm -rf /", [18], "not an IP address"),
        ("192.0.2.7", [31], "categories [31]"),
        ("192.0.2.7", [], "categories []"),
    ],
)
def test_bad_input_is_refused_without_a_call(
    fake_abuseipdb: FakeAbuseIPDB, ip: str, categories: list[int], problem: str
) -> None:
    answer = run(fake_abuseipdb, lambda c: c.report(ip, categories, "x", None))
    assert answer.outcome is Outcome.INVALID
    assert answer.status is None
    assert problem in answer.detail
    assert "(not sent)" in answer.detail
    assert fake_abuseipdb.requests == []  # no quota spent on a typo


def test_422_from_the_server_is_invalid(fake_abuseipdb: FakeAbuseIPDB) -> None:
    answer = run(fake_abuseipdb, lambda c: c.bulk_report(b"ip,categories\n192.0.2.7,18\n"))
    assert answer.outcome is Outcome.INVALID
    assert answer.status == 422
    assert answer.parameter == "csv"
    assert "header" in answer.detail


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retryable(fake_abuseipdb: FakeAbuseIPDB, status: int) -> None:
    fake_abuseipdb.fault("report", Fault.error(status))
    answer = report(fake_abuseipdb)
    assert answer.outcome is Outcome.SERVER_ERROR
    assert answer.retryable
    assert answer.status == status
    assert answer.rate.limit == 1000
    assert fake_abuseipdb.reports == []
    assert report(fake_abuseipdb).ok  # the fault was for one call only


def test_processed_then_dropped_is_network_and_a_retry_is_a_duplicate(
    fake_abuseipdb: FakeAbuseIPDB,
) -> None:
    fake_abuseipdb.fault("report", Fault.drop())
    lost = report(fake_abuseipdb)

    assert lost.outcome is Outcome.NETWORK
    assert lost.retryable
    assert lost.status is None
    assert "disconnected" in lost.detail
    assert len(fake_abuseipdb.reports) == 1  # accepted although the client never knew
    again = report(fake_abuseipdb)
    assert again.outcome is Outcome.DUPLICATE
    assert len(fake_abuseipdb.reports) == 1


def test_slow_answer_times_out_as_network(fake_abuseipdb: FakeAbuseIPDB) -> None:
    fake_abuseipdb.fault("check", Fault.slow(2.0))
    answer = run(fake_abuseipdb, lambda c: c.check("192.0.2.7"), timeout=0.2)
    assert answer.outcome is Outcome.NETWORK
    assert answer.retryable
    assert "ReadTimeout" in answer.detail


def test_slow_answer_within_the_timeout_is_fine(fake_abuseipdb: FakeAbuseIPDB) -> None:
    fake_abuseipdb.fault("check", Fault.slow(0.2))
    assert run(fake_abuseipdb, lambda c: c.check("192.0.2.7"), timeout=2.0).ok


def test_trickled_answer_hits_the_deadline(fake_abuseipdb: FakeAbuseIPDB, tmp_path: Path) -> None:
    fake_abuseipdb.blacklist_addresses = list(mixed(100))
    fake_abuseipdb.fault("check", Fault.trickle(0.05))
    fake_abuseipdb.fault("blacklist", Fault.trickle(0.05))
    dest = tmp_path / "b.txt"

    async def work(client: AbuseIPDBClient) -> tuple[Answer[Any], Answer[Any]]:
        return (
            await client.check("192.0.2.7"),
            await client.blacklist(dest, confidence_minimum=100, limit=100, ip_version=None),
        )

    async def main() -> tuple[Answer[Any], Answer[Any]]:
        async with AbuseIPDBClient(
            key=fake_abuseipdb.key,
            base_url=fake_abuseipdb.url,
            timeout=1.0,
            deadline=0.3,
            download_deadline=0.3,
        ) as client:
            return await work(client)

    checked, listed = asyncio.run(main())
    assert checked.outcome is Outcome.NETWORK
    assert checked.detail == "no complete answer within 0.3 s"
    assert listed.outcome is Outcome.NETWORK
    assert listed.detail == "blacklist not complete within 0.3 s"
    assert not dest.exists()


def test_connection_refused_is_network() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the call: nobody listens

    async def main() -> Answer[Any]:
        async with AbuseIPDBClient(
            key="k" * 80, base_url=f"http://127.0.0.1:{port}/api/v2", timeout=2
        ) as client:
            return await client.check("192.0.2.7")

    answer = asyncio.run(main())
    assert answer.outcome is Outcome.NETWORK
    assert answer.status is None
    assert "ConnectError" in answer.detail


def test_non_json_200_is_a_bad_answer(fake_abuseipdb: FakeAbuseIPDB) -> None:
    fake_abuseipdb.fault("report", Fault.not_json())
    answer = report(fake_abuseipdb)
    assert answer.outcome is Outcome.BAD_ANSWER
    assert answer.retryable
    assert answer.status == 200
    assert answer.detail.startswith("not JSON (text/html")
    assert fake_abuseipdb.reports == []


def test_truncated_json_is_network(fake_abuseipdb: FakeAbuseIPDB) -> None:
    fake_abuseipdb.fault("check", Fault.truncated())
    answer = run(fake_abuseipdb, lambda c: c.check("192.0.2.7"))
    assert answer.outcome is Outcome.NETWORK
    assert answer.status == 200
    assert "incomplete" in answer.detail or "complete message body" in answer.detail


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [
        (Fault.raw(200, b'{"data": []}'), Outcome.BAD_ANSWER),
        (Fault.raw(200, b'{"data": {"ipAddress": "192.0.2.7"}}'), Outcome.BAD_ANSWER),
        (Fault.raw(200, b'{"data": {"ipAddress": 7, "abuseConfidenceScore": 1}}'),
         Outcome.BAD_ANSWER),
        (Fault.raw(302, b"", {"Location": "http://192.0.2.1/steal"}), Outcome.BAD_ANSWER),
        (Fault.raw(404, b"<h1>not found</h1>", content_type="text/html"), Outcome.BAD_ANSWER),
        (Fault.raw(429, b"Too Many Attempts.", {"Retry-After": "60"}, "text/plain"),
         Outcome.RATE_LIMITED),
        (Fault.raw(429, b"", {"X-RateLimit-Remaining": "0"}, ""), Outcome.DAILY_LIMIT),
        (Fault.raw(503, b"<html>maintenance</html>", content_type="text/html"),
         Outcome.SERVER_ERROR),
        (Fault.raw(200, b"\x1f\x8b garbage", {"Content-Encoding": "gzip"}), Outcome.BAD_ANSWER),
    ],
)  # fmt: skip
def test_odd_answers(fake_abuseipdb: FakeAbuseIPDB, fault: Fault, outcome: Outcome) -> None:
    fake_abuseipdb.fault("report", fault)
    answer = report(fake_abuseipdb)
    assert answer.outcome is outcome, answer
    assert answer.data is None
    assert answer.detail
    assert len(fake_abuseipdb.requests) == 1  # a redirect is not followed


def test_other_429_is_retryable_after_its_delay(fake_abuseipdb: FakeAbuseIPDB) -> None:
    body = b'{"errors":[{"detail":"Too Many Attempts.","status":429}]}'
    fake_abuseipdb.fault("check", Fault.raw(429, body, {"Retry-After": "60"}))
    answer = run(fake_abuseipdb, lambda c: c.check("192.0.2.7"))
    assert answer.outcome is Outcome.RATE_LIMITED
    assert answer.retryable
    assert answer.rate.retry_after == 60.0
    assert answer.rate.resume_at(100.0) == 160.0


def test_detail_is_printable_and_short(fake_abuseipdb: FakeAbuseIPDB) -> None:
    detail = "\x1b[31mred\x1b[0m\nnext line " + "x" * 1000
    body = json.dumps({"errors": [{"detail": detail, "status": 422}]}).encode()
    fake_abuseipdb.fault("report", Fault.raw(422, body))
    answer = report(fake_abuseipdb)
    assert answer.outcome is Outcome.INVALID
    assert len(answer.detail) <= 300
    assert answer.detail.isprintable()
    assert answer.detail.startswith("\\x1b[31mred\\x1b[0m\\nnext line xxx")


# ---------------------------------------------------------------- the key stays hidden


def test_the_key_never_shows(
    fake_abuseipdb: FakeAbuseIPDB, caplog: pytest.LogCaptureFixture
) -> None:
    key = fake_abuseipdb.key
    echo = json.dumps({"errors": [{"detail": f"bad key {key}", "status": 401}]}).encode()
    fake_abuseipdb.fault("report", Fault.raw(401, echo), Fault.error(500), Fault.drop())
    fake_abuseipdb.fault("check", Fault.not_json(), Fault.slow(1.0))
    caplog.set_level(logging.DEBUG)

    async def work(client: AbuseIPDBClient) -> list[Answer[Any]]:
        answers: list[Answer[Any]] = [
            await client.report("192.0.2.7", [18], "x", None) for _ in range(4)
        ]
        answers += [await client.check("192.0.2.7") for _ in range(3)]
        answers.append(await client.report("192.0.2.7", [18], "x", None))  # duplicate
        answers.append(await client.report("bad", [18], "x", None))
        assert key not in repr(client)
        assert key not in str(client)
        return answers

    answers = run(fake_abuseipdb, work, timeout=0.3)

    assert {a.outcome for a in answers} >= {
        Outcome.UNAUTHORIZED,
        Outcome.SERVER_ERROR,
        Outcome.NETWORK,
        Outcome.OK,
        Outcome.BAD_ANSWER,
        Outcome.DUPLICATE,
        Outcome.INVALID,
    }
    assert answers[0].detail == "bad key [key]"
    for request in fake_abuseipdb.requests:  # only ever in the Key header
        assert key not in request.raw_path
        assert key.encode() not in request.body
    for answer in answers:
        assert key not in repr(answer)
        assert key not in str(answer)
    assert caplog.records, "the client and httpx log their calls"
    assert key not in caplog.text
    for record in caplog.records:
        assert key not in record.getMessage()


# ---------------------------------------------------------------- check, clear, bulk


def test_check_verbose(fake_abuseipdb: FakeAbuseIPDB) -> None:
    assert report(fake_abuseipdb, "203.0.113.9").ok
    fake_abuseipdb.check_overrides["203.0.113.9"] = {
        "countryCode": None,
        "isWhitelisted": True,
        "hostnames": ["scanner.example.net"],
    }
    answer = run(fake_abuseipdb, lambda c: c.check("203.0.113.9", max_age_days=7, verbose=True))

    assert answer.ok
    assert answer.data is not None
    data = answer.data
    assert (data.ip, data.score, data.total_reports, data.distinct_users) == (
        "203.0.113.9",
        25,
        1,
        1,
    )
    assert (data.country, data.is_whitelisted, data.is_public) == (None, True, False)
    assert data.hostnames == ("scanner.example.net",)
    assert data.last_reported_at == FAKE_T0
    assert data.ip_version == 4
    (one,) = data.reports
    assert (one.reported_at, one.comment, one.categories) == (FAKE_T0, "SSH brute force", (18, 22))
    request = fake_abuseipdb.requests[-1]
    assert request.query["maxAgeInDays"] == ["7"]
    assert "verbose" in request.query


def test_check_refuses_a_bad_age_without_a_call(fake_abuseipdb: FakeAbuseIPDB) -> None:
    answer = run(fake_abuseipdb, lambda c: c.check("192.0.2.7", max_age_days=366))
    assert answer.outcome is Outcome.INVALID
    assert fake_abuseipdb.requests == []


def test_clear_address(fake_abuseipdb: FakeAbuseIPDB) -> None:
    assert report(fake_abuseipdb).ok
    answer = run(fake_abuseipdb, lambda c: c.clear_address("192.0.2.7"))
    assert answer.ok
    assert answer.data == 1
    assert fake_abuseipdb.requests[-1].method == "DELETE"
    assert fake_abuseipdb.reports == []


def test_bulk_report(fake_abuseipdb: FakeAbuseIPDB) -> None:
    csv = (
        b"IP,Categories,ReportDate,Comment\n"
        b'192.0.2.7,"18,22",2025-06-01T10:00:00+00:00,"SSH brute force, 7 attempts"\n'
        b'192.0.2.8,18,2025-06-01T10:00:00Z,"said \\"hi\\""\n'
        b"192.0.2.999,18,2025-06-01T10:00:00Z,\n"
        b"192.0.2.9,99,2025-06-01T10:00:00Z,\n"
        b"192.0.2.7,18,2025-06-01T10:00:00Z,\n"
    )
    answer = run(fake_abuseipdb, lambda c: c.bulk_report(csv))

    assert answer.ok
    assert answer.data is not None
    assert answer.data.saved == 2
    assert answer.data.invalid == (
        InvalidRow(4, "192.0.2.999", "Invalid IP"),
        InvalidRow(5, "192.0.2.9", "Invalid Category"),
        InvalidRow(6, "192.0.2.7", "Duplicate IP"),
    )
    first, second = fake_abuseipdb.reports
    assert (first.categories, first.comment, first.via) == (
        (18, 22),
        "SSH brute force, 7 attempts",
        "bulk-report",
    )
    assert second.comment == 'said "hi"'
    request = fake_abuseipdb.requests[-1]
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'name="csv"' in request.body


# ---------------------------------------------------------------- /blacklist


def mixed(count: int) -> Iterator[str]:
    """``count`` addresses, one in five IPv6."""
    for i in range(count):
        if i % 5:
            yield f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
        else:
            yield f"2001:db8::{i:x}"


def blacklist(
    fake: FakeAbuseIPDB, dest: Path, ip_version: int | None = None, limit: int = 10_000
) -> Answer[Any]:
    return run(
        fake,
        lambda c: c.blacklist(dest, confidence_minimum=100, limit=limit, ip_version=ip_version),
    )


def test_blacklist_plaintext_to_a_file(fake_abuseipdb: FakeAbuseIPDB, tmp_path: Path) -> None:
    fake_abuseipdb.blacklist_addresses = list(mixed(25_000))
    fake_abuseipdb.blacklist_generated_at = FAKE_T0 - 7200
    dest = tmp_path / "blacklist.txt"

    answer = blacklist(fake_abuseipdb, dest, limit=20_000)

    assert answer.ok
    assert answer.data is not None
    assert answer.data.path == dest
    assert answer.data.generated_at == FAKE_T0 - 7200
    text = dest.read_text()
    assert text == "\n".join(list(mixed(20_000)))
    assert answer.data.size == len(text)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert answer.rate == RateLimit(limit=5, remaining=4)
    (request,) = fake_abuseipdb.requests
    assert request.headers["accept"] == "text/plain"
    assert request.query == {"confidenceMinimum": ["100"], "limit": ["20000"], "plaintext": [""]}


def test_blacklist_one_ip_version(fake_abuseipdb: FakeAbuseIPDB, tmp_path: Path) -> None:
    fake_abuseipdb.blacklist_addresses = lambda: mixed(100)
    answer = blacklist(fake_abuseipdb, tmp_path / "v6.txt", ip_version=6)
    assert answer.ok
    assert (tmp_path / "v6.txt").read_text().split("\n") == [a for a in mixed(100) if ":" in a]
    assert fake_abuseipdb.requests[0].query["ipVersion"] == ["6"]


def test_blacklist_with_content_length(fake_abuseipdb: FakeAbuseIPDB, tmp_path: Path) -> None:
    fake_abuseipdb.blacklist_addresses = list(mixed(1000))
    fake_abuseipdb.blacklist_content_length = True
    answer = blacklist(fake_abuseipdb, tmp_path / "b.txt")
    assert answer.ok
    assert answer.data is not None
    assert (tmp_path / "b.txt").stat().st_size == answer.data.size


@pytest.mark.parametrize(
    ("fault", "content_length", "outcome"),
    [
        (Fault.truncated(), False, Outcome.NETWORK),  # chunked, no last chunk
        (Fault.truncated(30_000), False, Outcome.NETWORK),
        (Fault.truncated(), True, Outcome.NETWORK),  # fewer bytes than Content-Length
        (Fault.drop(), False, Outcome.NETWORK),
        (Fault.error(503), False, Outcome.SERVER_ERROR),
        (Fault.not_json(), False, Outcome.BAD_ANSWER),
        (Fault.raw(200, b'{"data": []}'), False, Outcome.BAD_ANSWER),  # JSON, not plaintext
    ],
)
def test_failed_blacklist_removes_the_file(
    fake_abuseipdb: FakeAbuseIPDB,
    tmp_path: Path,
    fault: Fault,
    content_length: bool,
    outcome: Outcome,
) -> None:
    fake_abuseipdb.blacklist_addresses = lambda: mixed(10_000)
    fake_abuseipdb.blacklist_content_length = content_length
    fake_abuseipdb.fault("blacklist", fault)
    dest = tmp_path / "blacklist.txt"
    dest.write_text("an older download\n")

    answer = blacklist(fake_abuseipdb, dest)

    assert answer.outcome is outcome, answer
    assert answer.data is None
    assert not dest.exists()


def test_blacklist_daily_limit(fake_abuseipdb: FakeAbuseIPDB, tmp_path: Path) -> None:
    fake_abuseipdb.blacklist_addresses = ["192.0.2.1"]
    dest = tmp_path / "b.txt"
    assert all(blacklist(fake_abuseipdb, dest).ok for _ in range(5))
    refused = blacklist(fake_abuseipdb, dest)
    assert refused.outcome is Outcome.DAILY_LIMIT
    assert not dest.exists()
    assert refused.rate.reset_at == fake_abuseipdb.reset_at()
    assert refused.rate.retry_after == 43200.0


def test_blacklist_into_an_unwritable_place_raises(
    fake_abuseipdb: FakeAbuseIPDB, tmp_path: Path
) -> None:
    fake_abuseipdb.blacklist_addresses = ["192.0.2.1"]
    with pytest.raises(AbuseIPDBError, match="cannot write") as caught:
        blacklist(fake_abuseipdb, tmp_path / "missing" / "b.txt")
    assert "Fix:" in str(caught.value)


def test_blacklist_is_written_in_chunks(fake_abuseipdb: FakeAbuseIPDB, tmp_path: Path) -> None:
    """Memory while downloading does not grow with the list: 20,000 then 200,000 addresses
    (0.25 MB then 2.5 MB of body) peak at about the same (traced allocations, both threads)."""
    dest = tmp_path / "b.txt"
    peaks = []
    for count in (1000, 20_000, 200_000):
        fake_abuseipdb.blacklist_addresses = lambda count=count: mixed(count)  # type: ignore[misc]
        gc.collect()
        tracemalloc.start()
        answer = blacklist(fake_abuseipdb, dest, limit=count)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert answer.ok
        assert answer.data is not None
        if count == 200_000:
            assert answer.data.size > 2_500_000
    assert peaks[2] < peaks[1] + 1_000_000, peaks


# ---------------------------------------------------------------- pure parts: classify, headers


NOTES_DUPLICATE = "You can only report the same IP address (`127.0.0.1`) once in 15 minutes."
NOTES_AUTH = (
    "Authentication failed. Your API key is either missing, incorrect, or revoked. "
    "Note: The APIv2 key differs from the APIv1 key."
)
NOTES_IP = (
    "The ip address must be a valid IPv4 or IPv6 address (e.g. 8.8.8.8 or 2001:4860:4860::8888)."
)


@pytest.mark.parametrize(
    ("status", "detail", "outcome"),
    [
        (200, "", Outcome.OK),
        (204, "", Outcome.OK),
        (429, NOTES_DUPLICATE, Outcome.DUPLICATE),
        (429, "Daily rate limit of 1000 requests exceeded for this endpoint.", Outcome.DAILY_LIMIT),
        (429, "You've exceeded your DAILY RATE LIMIT", Outcome.DAILY_LIMIT),
        (429, "Too Many Attempts.", Outcome.RATE_LIMITED),
        (429, "", Outcome.RATE_LIMITED),
        (401, NOTES_AUTH, Outcome.UNAUTHORIZED),
        (403, "Forbidden", Outcome.UNAUTHORIZED),
        (402, "feature needs a higher subscription", Outcome.PAYMENT_REQUIRED),
        (422, NOTES_IP, Outcome.INVALID),
        (422, "The categories field is required.", Outcome.INVALID),
        (400, "Bad Request", Outcome.INVALID),
        (413, "Payload Too Large", Outcome.INVALID),
        (500, "Internal Server Error", Outcome.SERVER_ERROR),
        (502, "", Outcome.SERVER_ERROR),
        (503, "", Outcome.SERVER_ERROR),
        (408, "Request Timeout", Outcome.SERVER_ERROR),
        (404, "Not Found", Outcome.BAD_ANSWER),
        (405, "", Outcome.BAD_ANSWER),
        (301, "", Outcome.BAD_ANSWER),
        (302, "", Outcome.BAD_ANSWER),
        (100, "", Outcome.BAD_ANSWER),
        (600, "", Outcome.BAD_ANSWER),
    ],
)  # fmt: skip
def test_classify(status: int, detail: str, outcome: Outcome) -> None:
    assert classify(status, detail) is outcome


def test_retryable_outcomes() -> None:
    retryable = {o for o in Outcome if Answer("x", o, None, None, "").retryable}
    assert retryable == {
        Outcome.SERVER_ERROR,
        Outcome.NETWORK,
        Outcome.BAD_ANSWER,
        Outcome.RATE_LIMITED,
    }


@pytest.mark.parametrize(
    ("headers", "rate"),
    [
        ({}, RateLimit()),
        (
            {"x-ratelimit-limit": "1000", "x-ratelimit-remaining": "998"},
            RateLimit(limit=1000, remaining=998),
        ),
        (
            {
                "retry-after": "3600",
                "x-ratelimit-reset": "1748822400",
                "x-ratelimit-remaining": "0",
            },
            RateLimit(remaining=0, reset_at=1_748_822_400.0, retry_after=3600.0),
        ),
        ({"retry-after": "Sun, 01 Jun 2025 13:00:00 GMT"}, RateLimit(retry_after=3600.0)),
        ({"retry-after": "Sun, 01 Jun 2025 11:00:00 GMT"}, RateLimit(retry_after=0.0)),
        (
            {"x-ratelimit-limit": "lots", "x-ratelimit-remaining": "-1", "retry-after": "soon"},
            RateLimit(),
        ),
    ],
)
def test_parse_rate(headers: dict[str, str], rate: RateLimit) -> None:
    assert parse_rate(headers, FAKE_T0) == rate


def test_clean_detail() -> None:
    assert clean_detail("plain") == "plain"
    assert clean_detail("a\x00b\u202ec\nd") == "a\\x00b\\u202ec\\nd"
    assert clean_detail("key=SECRETKEY here", "SECRETKEY") == "key=[key] here"
    long = clean_detail("é" * 1000)
    assert len(long) == 300
    assert long.endswith("…")


def test_parse_time() -> None:
    assert parse_time("2025-06-01T12:00:00+00:00") == FAKE_T0
    assert parse_time("2025-06-01T14:00:00+02:00") == FAKE_T0
    assert parse_time("2025-06-01T12:00:00Z") == FAKE_T0
    assert parse_time("2025-06-01T12:00:00") == FAKE_T0  # no offset: UTC
    assert parse_time("yesterday") is None
    assert parse_time(None) is None
    assert parse_time(1_748_779_200) is None


# ---------------------------------------------------------------- the fake server itself


def test_fake_enforces_15_minutes_and_the_daily_reset(fake_abuseipdb: FakeAbuseIPDB) -> None:
    """Raw HTTP against the fake (no rempart code): the documented bodies and headers."""
    fake_abuseipdb.limits["report"] = 3
    headers = {"Key": fake_abuseipdb.key, "Accept": "application/json"}
    form = {"ip": "192.0.2.7", "categories": "18,22"}
    with httpx.Client(base_url=fake_abuseipdb.url, headers=headers) as http:
        first = http.post("report", data=form)
        fake_abuseipdb.advance(600)
        second = http.post("report", data=form)
        fake_abuseipdb.advance(300)
        third = http.post("report", data=form)
        fourth = http.post("report", data={**form, "ip": "192.0.2.8"})
        fake_abuseipdb.now = fake_abuseipdb.reset_at() - 1
        still = http.post("report", data={**form, "ip": "192.0.2.8"})
        fake_abuseipdb.advance(1)  # 00:00 UTC
        after = http.post("report", data={**form, "ip": "192.0.2.8"})

    assert first.json() == {"data": {"ipAddress": "192.0.2.7", "abuseConfidenceScore": 25}}
    assert second.status_code == 429
    assert second.json() == {
        "errors": [
            {
                "detail": "You can only report the same IP address (`192.0.2.7`) once in 15 "
                "minutes.",
                "status": 429,
                "source": {"parameter": "ip"},
            }
        ]
    }
    assert second.headers["x-ratelimit-remaining"] == "1"  # the duplicate counted
    assert third.status_code == 200  # 900 s later
    assert fourth.status_code == 429
    assert "Daily rate limit" in fourth.json()["errors"][0]["detail"]
    assert fourth.headers["x-ratelimit-reset"] == "1748822400"  # 2025-06-02T00:00:00Z
    assert fourth.headers["retry-after"] == str(1_748_822_400 - int(FAKE_T0) - 900)
    assert still.status_code == 429
    assert still.headers["retry-after"] == "1"
    assert after.status_code == 200
    assert after.headers["x-ratelimit-remaining"] == "2"
    assert fake_abuseipdb.server_errors == []


@pytest.mark.parametrize(
    ("form", "parameter", "detail"),
    [
        ({"ip": "192.0.2.300", "categories": "18"}, "ip", NOTES_IP),
        ({"ip": "192.0.2.7"}, "categories", "The categories field is required."),
        ({"ip": "192.0.2.7", "categories": "18,31"}, "categories", "unknown category"),
        (
            {"ip": "192.0.2.7", "categories": "18", "timestamp": "2025-06-01T12:00:00"},
            "timestamp",
            "offset",
        ),
    ],
)
def test_fake_422(
    fake_abuseipdb: FakeAbuseIPDB, form: dict[str, str], parameter: str, detail: str
) -> None:
    with httpx.Client(base_url=fake_abuseipdb.url, headers={"Key": fake_abuseipdb.key}) as http:
        answer = http.post("report", data=form)
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["status"] == 422
    assert error["source"] == {"parameter": parameter}
    assert detail in error["detail"]
    assert fake_abuseipdb.reports == []


def test_fake_blacklist_json(fake_abuseipdb: FakeAbuseIPDB) -> None:
    fake_abuseipdb.blacklist_addresses = lambda: mixed(20_000)
    fake_abuseipdb.blacklist_generated_at = FAKE_T0
    with httpx.Client(base_url=fake_abuseipdb.url, headers={"Key": fake_abuseipdb.key}) as http:
        doc = http.get("blacklist", params={"limit": "15000", "ipVersion": "4"}).json()
    assert doc["meta"] == {"generatedAt": "2025-06-01T12:00:00+00:00"}
    assert len(doc["data"]) == 15_000
    assert doc["data"][1] == {
        "ipAddress": "10.0.0.2",
        "countryCode": "CN",
        "abuseConfidenceScore": 100,
        "lastReportedAt": "2025-06-01T12:00:00+00:00",
    }
    assert all(":" not in item["ipAddress"] for item in doc["data"])


@pytest.mark.parametrize("bad", ["", "two\nlines", "with space", "caf\u00e9" * 20])
def test_a_bad_key_is_refused_at_construction(bad: str) -> None:
    with pytest.raises(AbuseIPDBError) as caught:
        AbuseIPDBClient(key=bad, base_url="http://127.0.0.1:9/api/v2/", timeout=1)
    assert bad not in str(caught.value) or not bad
