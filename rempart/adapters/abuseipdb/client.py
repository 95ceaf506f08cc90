"""The AbuseIPDB API v2 client (httpx, async).

Every call returns an :class:`Answer`; none raises for an HTTP answer or a transport
failure (connection refused or dropped, timeout, truncated or non-JSON body): those are
outcomes, and the caller decides (pause, drop, retry). The only exception is a
``/blacklist`` download whose destination file cannot be written
(:class:`~rempart.errors.AbuseIPDBError`, a local problem).

Sent on every call: ``Key`` (never logged, never in a ``repr`` or a message),
``Accept: application/json`` (``text/plain`` for the plaintext blacklist) and a
``User-Agent`` naming rempart and its version. Redirects are not followed (the key
would go with them). Addresses are checked and canonicalised before sending, so a typo
never costs a call of the daily quota.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from rempart import __version__
from rempart.adapters.abuseipdb.bodies import (
    error_of,
    parse_bulk,
    parse_check,
    parse_clear,
    parse_report,
)
from rempart.adapters.abuseipdb.secrets import check_secret
from rempart.adapters.abuseipdb.values import (
    Answer,
    BlacklistFile,
    BulkResult,
    CheckReport,
    CheckResult,
    InvalidRow,
    Outcome,
    RateLimit,
    ReportResult,
    classify,
    clean_detail,
    iso_time,
    parse_rate,
    parse_time,
)
from rempart.clock import Clock, SystemClock
from rempart.config.abuseipdb import CATEGORIES
from rempart.errors import AbuseIPDBError

__all__ = [
    "MAX_BLACKLIST",
    "MAX_BODY",
    "USER_AGENT",
    "AbuseIPDBClient",
    "Answer",
    "BlacklistFile",
    "BulkResult",
    "CheckReport",
    "CheckResult",
    "InvalidRow",
    "Outcome",
    "RateLimit",
    "ReportResult",
    "classify",
]

T = TypeVar("T")
_LOG = logging.getLogger(__name__)

USER_AGENT = f"rempart/{__version__} (+https://github.com/rempart/rempart)"
#: largest JSON answer read (a verbose /check of a much-reported address is a few MB)
MAX_BODY = 16 * 1024 * 1024
#: largest plaintext blacklist saved (500,000 addresses are about 8 MB)
MAX_BLACKLIST = 512 * 1024 * 1024
_CHUNK = 64 * 1024


class _TooLarge(Exception):
    """A body longer than allowed."""


class AbuseIPDBClient:
    """One HTTP connection pool to AbuseIPDB. Close it with :meth:`aclose` (or ``async with``).

    ``timeout`` bounds each step (connect, each read, each write); ``deadline`` bounds a
    whole JSON call (default 4 × timeout) and ``download_deadline`` a whole blacklist
    download (default 20 × timeout, at least 5 min), so a server trickling bytes cannot
    hold a call forever. ``transport`` replaces the network (tests); ``clock`` is only
    used to turn a ``Retry-After`` date into seconds. A ``key`` that is not one line of
    printable ASCII raises :class:`~rempart.errors.AbuseIPDBError` (read it with
    :func:`.secrets.read_secret`). Calls are logged at debug level only, without the key.
    """

    __slots__ = ("_clock", "_deadline", "_download_deadline", "_http", "_secret")

    def __init__(
        self,
        *,
        key: str,
        base_url: str,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        deadline: float | None = None,
        download_deadline: float | None = None,
    ) -> None:
        key = check_secret(key, "the value given to the client")  # no newline for h11 to quote
        self._secret = key
        self._deadline = deadline or 4 * timeout
        self._download_deadline = download_deadline or max(300.0, 20 * timeout)
        self._clock: Clock = clock or SystemClock()
        self._http = httpx.AsyncClient(
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            headers={"Key": key, "Accept": "application/json", "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"AbuseIPDBClient(base_url={str(self._http.base_url)!r})"

    async def __aenter__(self) -> AbuseIPDBClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ endpoints

    async def report(
        self, ip: str, categories: Sequence[int], comment: str, timestamp: float | None
    ) -> Answer[ReportResult]:
        """``POST /report``: ``timestamp`` (epoch seconds: when the attack happened) is sent
        as ISO 8601 with its offset; an empty comment is not sent."""
        address = _canonical(ip)
        if address is None:
            return self._refused("report", f"{ip[:60]!r} is not an IP address")
        bad = [c for c in categories if c not in CATEGORIES]
        if not categories or bad:
            return self._refused("report", f"categories {list(categories)[:30]} (1–23 expected)")
        form = {"ip": address, "categories": ",".join(str(c) for c in categories)}
        if comment:
            form["comment"] = comment
        if timestamp is not None:
            form["timestamp"] = iso_time(timestamp)
        return await self._call("report", "POST", parse_report, data=form)

    async def check(
        self, ip: str, *, max_age_days: int = 30, verbose: bool = False
    ) -> Answer[CheckResult]:
        """``GET /check``: what AbuseIPDB knows of ``ip`` (its reports too when ``verbose``)."""
        address = _canonical(ip)
        if address is None:
            return self._refused("check", f"{ip[:60]!r} is not an IP address")
        if not 1 <= max_age_days <= 365:
            return self._refused("check", f"maxAgeInDays {max_age_days} (1–365 expected)")
        params = {"ipAddress": address, "maxAgeInDays": str(max_age_days)}
        if verbose:
            params["verbose"] = ""
        return await self._call("check", "GET", parse_check, params=params)

    async def bulk_report(self, csv: bytes) -> Answer[BulkResult]:
        """``POST /bulk-report``: ``csv`` (header ``IP,Categories,ReportDate,Comment``) as
        the multipart field ``csv``."""
        files = {"csv": ("rempart-reports.csv", csv, "text/csv")}
        return await self._call("bulk-report", "POST", parse_bulk, files=files)

    async def clear_address(self, ip: str) -> Answer[int]:
        """``DELETE /clear-address``: removes our own reports of ``ip``; data: how many."""
        address = _canonical(ip)
        if address is None:
            return self._refused("clear-address", f"{ip[:60]!r} is not an IP address")
        return await self._call(
            "clear-address", "DELETE", parse_clear, params={"ipAddress": address}
        )

    async def blacklist(
        self, dest: Path, *, confidence_minimum: int, limit: int, ip_version: int | None
    ) -> Answer[BlacklistFile]:
        """``GET /blacklist`` in plaintext, streamed to ``dest`` (mode 0600) chunk by chunk.

        OK only when the whole body arrived (its Content-Length, or the end of its chunked
        encoding) as ``text/plain``. Otherwise ``dest`` is removed, also when it existed
        before: the caller keeps its last good list elsewhere. Raises
        :class:`~rempart.errors.AbuseIPDBError` only when ``dest`` cannot be written.
        """
        params = {
            "confidenceMinimum": str(confidence_minimum),
            "limit": str(limit),
            "plaintext": "",
        }
        if ip_version is not None:
            params["ipVersion"] = str(ip_version)
        try:
            answer = await self._download(dest, params)
        except BaseException:
            _remove(dest)
            raise
        if answer.outcome is not Outcome.OK:
            _remove(dest)
        return answer

    # ------------------------------------------------------------------ plumbing

    def _refused(self, endpoint: str, detail: str) -> Answer[Any]:
        return self._done(
            Answer(endpoint, Outcome.INVALID, None, None, clean_detail(detail + " (not sent)"))
        )

    def _done(self, answer: Answer[T]) -> Answer[T]:
        # debug only: the services decide what deserves a warning (and log it once)
        _LOG.debug(
            "AbuseIPDB %s: %s (HTTP %s) %s",
            answer.endpoint,
            answer.outcome.value,
            answer.status,
            answer.detail,
        )
        return answer

    def _network(
        self, endpoint: str, exc: Exception, rate: RateLimit, status: int | None
    ) -> Answer[Any]:
        name, text = type(exc).__name__, str(exc)
        outcome = Outcome.BAD_ANSWER if isinstance(exc, httpx.DecodingError) else Outcome.NETWORK
        detail = clean_detail(f"{name}: {text}" if text and text != name else name, self._secret)
        return self._done(Answer(endpoint, outcome, status, None, detail, rate))

    async def _call(
        self,
        endpoint: str,
        method: str,
        parse: Callable[[Any], T],
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> Answer[T]:
        rate, status = RateLimit(), None
        try:
            async with asyncio.timeout(self._deadline):
                request = self._http.build_request(
                    method, endpoint, params=params, data=data, files=files
                )
                response = await self._http.send(request, stream=True)
                try:
                    status = response.status_code
                    rate = parse_rate(response.headers, self._clock.now())
                    body = await _read(response, MAX_BODY)
                finally:
                    await response.aclose()
        except TimeoutError:
            detail = f"no complete answer within {self._deadline:g} s"
            return self._done(Answer(endpoint, Outcome.NETWORK, status, None, detail, rate))
        except _TooLarge:
            detail = f"answer longer than {MAX_BODY} bytes"
            return self._done(Answer(endpoint, Outcome.BAD_ANSWER, status, None, detail, rate))
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            return self._network(endpoint, exc, rate, status)
        return self._done(self._answer(endpoint, response, rate, body, parse))

    def _answer(
        self,
        endpoint: str,
        response: httpx.Response,
        rate: RateLimit,
        body: bytes,
        parse: Callable[[Any], T],
    ) -> Answer[T]:
        status = response.status_code
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
            if 200 <= status < 300:
                return self._bad(endpoint, response, rate, "not JSON", body)
        if 200 <= status < 300:
            try:
                data = parse(doc)
            except (KeyError, TypeError, ValueError) as exc:
                return self._bad(endpoint, response, rate, f"unexpected JSON ({exc})", body)
            return Answer(endpoint, Outcome.OK, status, data, "", rate)
        error = error_of(doc)
        detail, parameter = error if error and error[0] else (_excerpt(status, body), None)
        outcome = classify(status, detail)
        if outcome is Outcome.RATE_LIMITED and rate.remaining == 0:
            outcome = Outcome.DAILY_LIMIT
        return Answer(
            endpoint, outcome, status, None, clean_detail(detail, self._secret), rate, parameter
        )

    def _bad(
        self, endpoint: str, response: httpx.Response, rate: RateLimit, what: str, body: bytes
    ) -> Answer[Any]:
        kind = response.headers.get("content-type", "no content type")
        detail = clean_detail(
            f"{what} ({kind}): {_excerpt(response.status_code, body)}", self._secret
        )
        return Answer(endpoint, Outcome.BAD_ANSWER, response.status_code, None, detail, rate)

    async def _download(self, dest: Path, params: Mapping[str, str]) -> Answer[BlacklistFile]:
        endpoint, rate, status = "blacklist", RateLimit(), None
        headers = {"Accept": "text/plain"}
        try:
            async with asyncio.timeout(self._download_deadline):
                request = self._http.build_request("GET", endpoint, params=params, headers=headers)
                response = await self._http.send(request, stream=True)
                try:
                    status = response.status_code
                    rate = parse_rate(response.headers, self._clock.now())
                    kind = response.headers.get("content-type", "")
                    if status != 200 or not kind.startswith("text/plain"):
                        body = await _read(response, MAX_BODY)
                        return self._done(self._answer(endpoint, response, rate, body, _no_json))
                    size = await _save(response, dest)
                finally:
                    await response.aclose()
        except TimeoutError:
            detail = f"blacklist not complete within {self._download_deadline:g} s"
            return self._done(Answer(endpoint, Outcome.NETWORK, status, None, detail, rate))
        except _TooLarge:
            _remove(dest)
            detail = f"blacklist longer than {MAX_BLACKLIST} bytes"
            return self._done(Answer(endpoint, Outcome.BAD_ANSWER, status, None, detail, rate))
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            _remove(dest)
            return self._network(endpoint, exc, rate, status)
        if _short(response, size):
            _remove(dest)
            detail = f"blacklist cut short: {size} of {response.headers['content-length']} bytes"
            return self._done(Answer(endpoint, Outcome.NETWORK, status, None, detail, rate))
        generated = parse_time(response.headers.get("x-generated-at"))
        return self._done(
            Answer(endpoint, Outcome.OK, status, BlacklistFile(dest, generated, size), "", rate)
        )


def _no_json(doc: Any) -> BlacklistFile:
    raise TypeError("a JSON blacklist where plaintext was asked for")


def _canonical(ip: str) -> str | None:
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return None


def _excerpt(status: int, body: bytes) -> str:
    text = body[:120].decode("utf-8", "replace").strip()
    return f"HTTP {status}: {text}" if text else f"HTTP {status} without a body"


async def _read(response: httpx.Response, cap: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            raise _TooLarge
        parts.append(chunk)
    return b"".join(parts)


async def _save(response: httpx.Response, dest: Path) -> int:
    """Writes the body to ``dest`` chunk by chunk; its size. OSError → AbuseIPDBError."""
    size = 0
    try:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        with open(fd, "wb", closefd=True) as out:
            async for chunk in response.aiter_bytes(_CHUNK):
                size += len(chunk)
                if size > MAX_BLACKLIST:
                    raise _TooLarge
                out.write(chunk)
    except OSError as exc:
        _remove(dest)
        raise AbuseIPDBError(
            "abuseipdb.download_unwritable", path=str(dest), reason=exc.strerror or str(exc)
        ) from exc
    return size


def _short(response: httpx.Response, size: int) -> bool:
    """True when a Content-Length was announced (no compression) and not delivered."""
    length = response.headers.get("content-length")
    if length is None or response.headers.get("content-encoding", "identity") != "identity":
        return False
    return not length.isdigit() or int(length) != size


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
