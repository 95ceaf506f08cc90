"""FakeAbuseIPDB: a real HTTP server on 127.0.0.1 that follows AbuseIPDB API v2.

It answers what /work/shared/notes/abuseipdb.md documents: success bodies, error bodies
(``{"errors": [{"detail", "status", "source": {"parameter"}}]}``), ``X-RateLimit-Limit`` /
``X-RateLimit-Remaining`` on every answer of a known key, both 429s (the daily quota,
with ``Retry-After`` and ``X-RateLimit-Reset`` at the next 00:00 UTC of its clock; the
same address reported again by the same key within 15 minutes, which still counts), 401,
402, 422, and, on demand, faults (:class:`Fault`): 5xx, slow answers, answers trickled
byte by byte, truncated and non-JSON bodies, "process then drop the connection", and any
raw answer (a redirect, a 429 without JSON...).

::

    with FakeAbuseIPDB(now=T0) as fake:                 # or the fake_abuseipdb fixture
        client = fake.client()                          # an AbuseIPDBClient for it
        fake.fault("report", Fault.error(503), Fault.drop())   # the next two /report calls
        fake.limits["report"] = 3                       # daily quota of this endpoint
        fake.now = T0 + 901                             # or fake.advance(901), or a callable
        fake.blacklist_addresses = lambda: ("192.0.2.%d" % i for i in range(250))
        fake.reports, fake.requests                     # what it accepted, what it was asked

Everything is kept per key: quota, 15-minute rule, reports (the API does it per account).
"""

from __future__ import annotations

import contextlib
import csv
import io
import ipaddress
import itertools
import json
import math
import socket
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from rempart.adapters.abuseipdb.client import AbuseIPDBClient

__all__ = [
    "AUTH_DETAIL",
    "DEFAULT_KEY",
    "DEFAULT_LIMITS",
    "FAKE_T0",
    "FakeAbuseIPDB",
    "FakeReport",
    "FakeRequest",
    "Fault",
    "daily_detail",
    "duplicate_detail",
]

#: the fixture's fixed time: 2025-06-01T12:00:00Z
FAKE_T0 = 1_748_779_200.0
DEFAULT_KEY = "fake0123456789abcdef" * 4  # 80 characters, like a real key
DEFAULT_LIMITS: Mapping[str, int] = {
    "report": 1000,
    "check": 1000,
    "blacklist": 5,
    "bulk-report": 5,
    "clear-address": 5,
}
AUTH_DETAIL = (
    "Authentication failed. Your API key is either missing, incorrect, or revoked. "
    "Note: The APIv2 key differs from the APIv1 key."
)
IP_DETAIL = (
    "The ip address must be a valid IPv4 or IPv6 address (e.g. 8.8.8.8 or 2001:4860:4860::8888)."
)
CATEGORIES_REQUIRED = "The categories field is required."
PAYMENT_DETAIL = "This feature requires a higher subscription tier (see your account's plan)."
QUARTER_HOUR = 900.0
DAY = 86400.0
CSV_HEADER = ["IP", "Categories", "ReportDate", "Comment"]
_BATCH = 8192  # addresses per chunk of a streamed blacklist


def daily_detail(limit: int, endpoint: str) -> str:
    return (
        f"Daily rate limit of {limit} requests exceeded for this API endpoint ({endpoint}). "
        "See headers for additional details."
    )


def duplicate_detail(ip: str) -> str:
    return f"You can only report the same IP address (`{ip}`) once in 15 minutes."


@dataclass(frozen=True, slots=True)
class Fault:
    """What the next call of an endpoint suffers (build with the class methods).

    ``processed``: whether the server does the work (a report accepted, quota used)
    before failing to answer properly.
    """

    kind: Literal["error", "slow", "trickle", "truncated", "not_json", "drop", "raw"]
    status: int = 200
    seconds: float = 0.0
    processed: bool = False
    after: int | None = None
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/json"

    @classmethod
    def error(cls, status: int = 500) -> Fault:
        """Answer ``status`` (5xx…) with an error body, without processing."""
        return cls("error", status=status)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before processing and answering normally."""
        return cls("slow", seconds=seconds, processed=True)

    @classmethod
    def trickle(cls, seconds: float, piece: int = 16) -> Fault:
        """Process, then send the answer ``piece`` bytes at a time, ``seconds`` apart
        (each read is quick, the whole answer never ends in time)."""
        return cls("trickle", seconds=seconds, processed=True, after=piece)

    @classmethod
    def truncated(cls, after: int | None = None) -> Fault:
        """Process, announce the whole body, send ``after`` bytes (half when None;
        streamed bodies: at least ``after`` bytes, 1 by default) and close."""
        return cls("truncated", processed=True, after=after)

    @classmethod
    def not_json(cls, processed: bool = False) -> Fault:
        """Answer 200 with an HTML page (a proxy's), after processing when ``processed``."""
        return cls("not_json", processed=processed)

    @classmethod
    def raw(
        cls,
        status: int,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Fault:
        """Answer exactly this, without processing: odd answers a proxy or a future API
        version could give (a 429 without a JSON body, a redirect, a JSON of another shape)."""
        return cls(
            "raw",
            status=status,
            body=body,
            headers=tuple((headers or {}).items()),
            content_type=content_type,
        )

    @classmethod
    def drop(cls, processed: bool = True) -> Fault:
        """Close the connection without answering; by default after processing the
        call (the report is accepted, the client never learns it)."""
        return cls("drop", processed=processed)


@dataclass(frozen=True, slots=True)
class FakeReport:
    """A report the fake accepted (``via``: "report" or "bulk-report")."""

    ip: str
    categories: tuple[int, ...]
    comment: str
    timestamp: str | None
    at: float
    key: str = DEFAULT_KEY
    via: str = "report"


@dataclass(frozen=True, slots=True)
class FakeRequest:
    """A request as received (``headers`` with lower-case names; ``query`` decoded)."""

    method: str
    endpoint: str
    raw_path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    at: float


@dataclass(slots=True)
class _Reply:
    status: int
    body: bytes | Iterable[bytes]
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


def _json(status: int, doc: Any) -> _Reply:
    return _Reply(status, json.dumps(doc).encode())


def _error(status: int, detail: str, parameter: str | None = None) -> _Reply:
    error: dict[str, Any] = {"detail": detail, "status": status}
    if parameter is not None:
        error["source"] = {"parameter": parameter}
    return _json(status, {"errors": [error]})


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")


def _address(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value or ""))
    except ValueError:
        return None


class FakeAbuseIPDB:
    """The fake API server. ``now``: a fixed time, a callable, or None (the real clock)."""

    def __init__(
        self,
        *,
        keys: Iterable[str] = (DEFAULT_KEY,),
        limits: Mapping[str, int] | None = None,
        now: float | Callable[[], float] | None = None,
        blacklist_addresses: Sequence[str] | Callable[[], Iterable[str]] = (),
    ) -> None:
        self.keys: set[str] = set(keys)
        self.key = next(iter(keys), DEFAULT_KEY)
        self.limits: dict[str, int] = dict(DEFAULT_LIMITS if limits is None else limits)
        self.payment_required: set[str] = set()
        self.blacklist_addresses = blacklist_addresses
        self.blacklist_generated_at: float | None = None  # None: 1 h before now
        self.blacklist_content_length = False  # True: one body with Content-Length
        self.duplicate_retry_after = False  # whether the "15 minutes" 429 has Retry-After
        self.check_overrides: dict[str, dict[str, Any]] = {}
        self.reports: list[FakeReport] = []
        self.requests: list[FakeRequest] = []
        self.server_errors: list[BaseException] = []
        self._clock: Callable[[], float] = _clock_of(now)
        self._faults: dict[str, deque[Fault]] = {}
        self._used: Counter[tuple[int, str, str]] = Counter()
        self._last: dict[tuple[str, str], float] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- clock

    @property
    def now(self) -> float:
        return self._clock()

    @now.setter
    def now(self, value: float | Callable[[], float]) -> None:
        self._clock = _clock_of(value)

    def advance(self, seconds: float) -> None:
        """Moves the clock on (a fixed clock from then on)."""
        self.now = self.now + seconds

    def reset_at(self) -> float:
        """The next 00:00 UTC of the fake's clock: when the daily quotas come back."""
        return (math.floor(self.now / DAY) + 1) * DAY

    # ---------------------------------------------------------------- control

    def fault(self, endpoint: str, *faults: Fault) -> None:
        """Queues faults for the next calls of ``endpoint`` ("*": any endpoint), one each."""
        with self._lock:
            self._faults.setdefault(endpoint, deque()).extend(faults)

    def pending_faults(self, endpoint: str) -> int:
        with self._lock:
            return len(self._faults.get(endpoint, ()))

    def used(self, endpoint: str, key: str | None = None) -> int:
        """Calls of ``endpoint`` counted today (the fake's UTC day) for ``key``."""
        with self._lock:
            return self._used[(self._day(), key or self.key, endpoint)]

    def exhaust(self, endpoint: str, key: str | None = None) -> None:
        """Uses up today's quota of ``endpoint``: its next call gets the daily 429."""
        with self._lock:
            self._used[(self._day(), key or self.key, endpoint)] = self.limits[endpoint]

    def calls(self, endpoint: str) -> list[FakeRequest]:
        with self._lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/api/v2/``."""
        if self._server is None:
            raise RuntimeError("FakeAbuseIPDB is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/v2/"

    def client(self, *, key: str | None = None, timeout: float = 5.0) -> AbuseIPDBClient:
        """An AbuseIPDBClient for this server (close it: ``await client.aclose()``)."""
        return AbuseIPDBClient(key=key or self.key, base_url=self.url, timeout=timeout)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakeAbuseIPDB:
        self._stop.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> FakeAbuseIPDB:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- serving

    def _day(self) -> int:
        return math.floor(self.now / DAY)

    def _next_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            for name in (endpoint, "*"):
                queue = self._faults.get(name)
                if queue:
                    return queue.popleft()
        return None

    def _rate(self, key: str, endpoint: str) -> dict[str, str]:
        limit = self.limits.get(endpoint, 1000)
        used = self._used[(self._day(), key, endpoint)]
        return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(max(0, limit - used))}

    def _serve(self, method: str, endpoint: str, params: Params, key: str | None) -> _Reply:
        """The API's answer (the quota counted), under the lock."""
        route = _ROUTES.get(endpoint)
        if route is None:
            return _error(404, f"Unknown endpoint /{endpoint}.")
        if route[0] != method:
            return _error(405, f"/{endpoint} takes {route[0]}, not {method}.")
        if key is None or key not in self.keys:
            return _error(401, AUTH_DETAIL)
        if endpoint in self.payment_required:
            reply = _error(402, PAYMENT_DETAIL)
        elif self._used[(self._day(), key, endpoint)] >= self.limits.get(endpoint, 1000):
            reply = self._daily_limit(endpoint)
        else:
            self._used[(self._day(), key, endpoint)] += 1
            reply = route[1](self, key, params)
        reply.headers = {**self._rate(key, endpoint), **reply.headers}
        return reply

    def _daily_limit(self, endpoint: str) -> _Reply:
        reset = self.reset_at()
        reply = _error(429, daily_detail(self.limits.get(endpoint, 1000), endpoint))
        reply.headers = {
            "Retry-After": str(math.ceil(reset - self.now)),
            "X-RateLimit-Reset": str(int(reset)),
        }
        return reply

    def _failure(self, fault: Fault, key: str | None, endpoint: str) -> _Reply:
        if fault.kind == "raw":
            return _Reply(fault.status, fault.body, dict(fault.headers), fault.content_type)
        reply = _error(fault.status, f"Server error {fault.status} (injected).")
        if key in self.keys:
            reply.headers = self._rate(key or "", endpoint)
        return reply

    # ---------------------------------------------------------------- endpoints

    def _report(self, key: str, params: Params) -> _Reply:
        ip = _address(params.one("ip"))
        if ip is None:
            return _error(422, IP_DETAIL, "ip")
        categories = params.one("categories")
        if not categories:
            return _error(422, CATEGORIES_REQUIRED, "categories")
        parsed = _categories(categories)
        if parsed is None:
            return _error(
                422,
                f"The categories field holds an unknown category: {categories[:40]}.",
                "categories",
            )
        stamp = params.one("timestamp")
        if stamp is not None and not _offset_time(stamp):
            return _error(
                422, "The timestamp must be an ISO 8601 date with a UTC offset.", "timestamp"
            )
        last = self._last.get((key, ip))
        if last is not None and self.now - last < QUARTER_HOUR:
            reply = _error(429, duplicate_detail(ip), "ip")
            if self.duplicate_retry_after:
                reply.headers["Retry-After"] = str(math.ceil(last + QUARTER_HOUR - self.now))
            return reply
        comment = (params.one("comment") or "").encode()[:1024].decode("utf-8", "ignore")
        self._accept(FakeReport(ip, parsed, comment, stamp, self.now, key, "report"))
        return _json(200, {"data": {"ipAddress": ip, "abuseConfidenceScore": self._score(ip)}})

    def _accept(self, report: FakeReport) -> None:
        self.reports.append(report)
        self._last[(report.key, report.ip)] = report.at

    def _score(self, ip: str) -> int:
        return min(100, 25 * sum(1 for r in self.reports if r.ip == ip))

    def _check(self, key: str, params: Params) -> _Reply:
        ip = _address(params.one("ipAddress"))
        if ip is None:
            return _error(422, IP_DETAIL, "ipAddress")
        days = _number(params.one("maxAgeInDays") or "30")
        if days is None or not 1 <= days <= 365:
            return _error(422, "The max age in days must be between 1 and 365.", "maxAgeInDays")
        since = self.now - days * DAY
        mine = [r for r in self.reports if r.ip == ip and r.at >= since]
        data: dict[str, Any] = {
            "ipAddress": ip,
            "isPublic": ipaddress.ip_address(ip).is_global,
            "ipVersion": ipaddress.ip_address(ip).version,
            "isWhitelisted": None,
            "abuseConfidenceScore": self._score(ip),
            "countryCode": "ZZ",
            "usageType": "Data Center/Web Hosting/Transit",
            "isp": "Example Transit",
            "domain": "example.net",
            "hostnames": [],
            "isTor": False,
            "totalReports": len(mine),
            "numDistinctUsers": len({r.key for r in mine}),
            "lastReportedAt": _iso(mine[-1].at) if mine else None,
        }
        if "verbose" in params:
            data["countryName"] = "Unknown"
            data["reports"] = [_verbose(r) for r in reversed(mine)]
        data.update(self.check_overrides.get(ip, {}))
        return _json(200, {"data": data})

    def _clear(self, key: str, params: Params) -> _Reply:
        ip = _address(params.one("ipAddress"))
        if ip is None:
            return _error(422, IP_DETAIL, "ipAddress")
        kept = [r for r in self.reports if not (r.ip == ip and r.key == key)]
        deleted = len(self.reports) - len(kept)
        self.reports[:] = kept
        self._last.pop((key, ip), None)
        return _json(200, {"data": {"numReportsDeleted": deleted}})

    def _blacklist(self, key: str, params: Params) -> _Reply:
        confidence = _number(params.one("confidenceMinimum") or "100")
        if confidence is None or not 25 <= confidence <= 100:
            return _error(
                422, "The confidence minimum must be between 25 and 100.", "confidenceMinimum"
            )
        limit = _number(params.one("limit") or "10000")
        if limit is None or limit < 1:
            return _error(422, "The limit must be at least 1.", "limit")
        version = params.one("ipVersion")
        if version not in (None, "4", "6"):
            return _error(422, "The ip version must be 4 or 6.", "ipVersion")
        source = self.blacklist_addresses
        entries: Iterable[str] = source() if callable(source) else source
        if version is not None:
            entries = (a for a in entries if (":" in a) == (version == "6"))
        entries = itertools.islice(entries, limit)
        generated = self.blacklist_generated_at
        stamp = _iso(self.now - 3600 if generated is None else generated)
        if "plaintext" in params:
            reply = _Reply(200, _plaintext(entries), {"X-Generated-At": stamp}, "text/plain")
        else:
            reply = _Reply(200, _json_list(entries, stamp))
        if self.blacklist_content_length:
            reply.body = b"".join(reply.body)
        return reply

    def _bulk(self, key: str, params: Params) -> _Reply:
        data = params.files.get("csv")
        if data is None:
            return _error(422, "The csv field is required.", "csv")
        if len(data) >= 2 * 1024 * 1024:
            return _error(422, "The csv may not be greater than 2048 kilobytes.", "csv")
        try:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8")), escapechar="\\"))
        except (UnicodeDecodeError, csv.Error):
            return _error(422, "The csv must be a valid UTF-8 CSV file.", "csv")
        if not rows or rows[0] != CSV_HEADER:
            return _error(422, "The CSV header must be IP,Categories,ReportDate,Comment.", "csv")
        if len(rows) > 10_000:
            return _error(422, "The csv may not have more than 10,000 lines.", "csv")
        saved, invalid, seen = 0, [], set()
        for number, row in enumerate(rows[1:], start=2):
            problem = self._bulk_row(key, row, seen)
            if problem:
                invalid.append({"error": problem, "input": (row or [""])[0], "rowNumber": number})
            else:
                saved += 1
        return _json(200, {"data": {"savedReports": saved, "invalidReports": invalid}})

    def _bulk_row(self, key: str, row: list[str], seen: set[str]) -> str | None:
        ip = _address(row[0] if row else None)
        if ip is None or len(row) != 4:
            return "Invalid IP"
        parsed = _categories(row[1])
        if parsed is None:
            return "Invalid Category"
        if ip in seen:
            return "Duplicate IP"
        if _bulk_time(row[2]) is None:
            return "Invalid Date"
        seen.add(ip)
        comment = row[3].encode()[:1024].decode("utf-8", "ignore")
        self._accept(FakeReport(ip, parsed, comment, row[2], self.now, key, "bulk-report"))
        return None


def _clock_of(now: float | Callable[[], float] | None) -> Callable[[], float]:
    if now is None:
        return time.time
    if callable(now):
        return now
    fixed = float(now)
    return lambda: fixed


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _categories(text: str) -> tuple[int, ...] | None:
    ids = [_number(part.strip()) for part in text.split(",")]
    if not ids or any(i is None or not 1 <= i <= 23 for i in ids):
        return None
    return tuple(i for i in ids if i is not None)


def _offset_time(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def _bulk_time(text: str) -> float | None:
    """ReportDate: ISO 8601; without an offset it is taken as EST (UTC-5), as documented."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC).timestamp() + 5 * 3600
    return when.timestamp()


def _verbose(report: FakeReport) -> dict[str, Any]:
    return {
        "reportedAt": _iso(report.at),
        "comment": report.comment,
        "categories": list(report.categories),
        "reporterId": abs(hash(report.key)) % 100_000,
        "reporterCountryCode": "FR",
        "reporterCountryName": "France",
    }


def _plaintext(entries: Iterable[str]) -> Iterator[bytes]:
    """IPs separated by ``\\n`` (none after the last), in chunks of a few thousand."""
    first = True
    while batch := list(itertools.islice(entries, _BATCH)):
        text = "\n".join(batch)
        yield (text if first else "\n" + text).encode()
        first = False


def _json_list(entries: Iterable[str], stamp: str) -> Iterator[bytes]:
    yield b'{"meta":{"generatedAt":' + json.dumps(stamp).encode() + b'},"data":['
    first = True
    while batch := list(itertools.islice(entries, _BATCH)):
        items = ",".join(
            json.dumps(
                {
                    "ipAddress": ip,
                    "countryCode": None if n % 7 == 0 else "CN",
                    "abuseConfidenceScore": 100,
                    "lastReportedAt": stamp,
                }
            )
            for n, ip in enumerate(batch)
        )
        yield (items if first else "," + items).encode()
        first = False
    yield b"]}"


class Params(dict[str, list[str]]):
    """Query and form parameters (blank values kept: ``plaintext``, ``verbose`` are flags),
    plus multipart files."""

    files: dict[str, bytes]

    def one(self, name: str) -> str | None:
        values = self.get(name)
        return values[-1] if values else None


_Route = tuple[str, Callable[[FakeAbuseIPDB, str, Params], _Reply]]
_ROUTES: dict[str, _Route] = {
    "report": ("POST", FakeAbuseIPDB._report),
    "check": ("GET", FakeAbuseIPDB._check),
    "blacklist": ("GET", FakeAbuseIPDB._blacklist),
    "bulk-report": ("POST", FakeAbuseIPDB._bulk),
    "clear-address": ("DELETE", FakeAbuseIPDB._clear),
}

_HTML = b"<html><body><h1>502 Bad Gateway</h1><p>cloudflare</p></body></html>"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], fake: FakeAbuseIPDB
    ) -> None:
        self.fake = fake
        self.open: set[socket.socket] = set()
        self.open_lock = threading.Lock()
        super().__init__(address, handler)

    def close_connections(self) -> None:
        with self.open_lock:
            for sock in self.open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, ConnectionError | TimeoutError):
            self.fake.server_errors.append(exc)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.open_lock:
            self.server.open.add(self.connection)

    def finish(self) -> None:
        with self.server.open_lock:
            self.server.open.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake keeps its own log in ``requests``."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        endpoint = url.path.removeprefix("/api/v2/").strip("/")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        params = self._params(url.query, body)
        key = self.headers.get("Key") or params.one("key")
        with fake._lock:
            fake.requests.append(
                FakeRequest(
                    method,
                    endpoint,
                    self.path,
                    dict(params),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    fake.now,
                )
            )
        fault = fake._next_fault(endpoint)
        if fault is not None and fault.kind == "slow" and fake._stop.wait(fault.seconds):
            return  # the server is stopping
        if fault is not None and not fault.processed:
            with fake._lock:
                reply = fake._failure(fault, key, endpoint)
            self._faulty(fault, reply)
            return
        with fake._lock:
            reply = fake._serve(method, endpoint, params, key)
        if fault is not None and fault.kind != "slow":
            self._faulty(fault, reply)
        else:
            self._send(reply)

    def _params(self, query: str, body: bytes) -> Params:
        params = Params(parse_qs(query, keep_blank_values=True))
        params.files = {}
        kind = self.headers.get("Content-Type", "")
        if kind.startswith("application/x-www-form-urlencoded"):
            for name, values in parse_qs(body.decode(), keep_blank_values=True).items():
                params.setdefault(name, []).extend(values)
        elif kind.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: " + kind.encode() + b"\r\n\r\n" + body
            )
            for part in message.iter_parts():  # type: ignore[attr-defined]
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if name and isinstance(payload, bytes):
                    params.files[str(name)] = payload
        return params

    def _faulty(self, fault: Fault, reply: _Reply) -> None:
        if fault.kind == "drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        elif fault.kind == "not_json":
            self._send(_Reply(200, _HTML, reply.headers, "text/html"))
        elif fault.kind == "truncated":
            self._truncated(reply, fault.after)
        elif fault.kind == "trickle":
            self._trickle(reply, fault)
        else:
            self._send(reply)

    def _head(self, reply: _Reply, length: int | None) -> None:
        self.send_response(reply.status)
        if reply.content_type:
            charset = "; charset=utf-8" if reply.content_type.startswith("text/") else ""
            self.send_header("Content-Type", reply.content_type + charset)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _send(self, reply: _Reply) -> None:
        if isinstance(reply.body, bytes):
            self._head(reply, len(reply.body))
            self.wfile.write(reply.body)
            return
        self._head(reply, None)
        for chunk in reply.body:
            if chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    def _trickle(self, reply: _Reply, fault: Fault) -> None:
        body = reply.body if isinstance(reply.body, bytes) else b"".join(reply.body)
        self._head(reply, len(body))
        piece = fault.after or 16
        for start in range(0, len(body), piece):
            self.wfile.write(body[start : start + piece])
            self.wfile.flush()
            if self.server.fake._stop.wait(fault.seconds):
                return

    def _truncated(self, reply: _Reply, after: int | None) -> None:
        self.close_connection = True
        if isinstance(reply.body, bytes):
            self._head(reply, len(reply.body))
            self.wfile.write(reply.body[: len(reply.body) // 2 if after is None else after])
        else:
            self._head(reply, None)
            sent, limit = 0, 1 if after is None else after
            for chunk in reply.body:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                if sent >= limit:
                    break
        self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
