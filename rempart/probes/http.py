"""HTTP checks of configured sites: up or down, time to the full answer, status code.

Each :class:`HttpSite` is fetched with one ``GET`` through httpx on a fresh connection (no
keep-alive, so the time includes the connection and the TLS handshake, as a visitor's first
request): redirects are **not** followed (a 301 is an answer), TLS is verified against the
system's trust store (plus ``ca_file``), proxies from the environment are ignored, the body is
read up to 1 MiB (``contains`` is looked for in those bytes, UTF-8). A site is up when it
answered with an expected status (``expect``, or any 2xx/3xx when empty) and, if set, the text
was found. Otherwise it is down (0) and the reason goes in the ``info`` of its ``http_up``
field; each change of a site's state is logged once.

Timing: ``timeout`` bounds the connection and every read; the body is abandoned once
``timeout`` seconds have passed since the request started. Sites are checked one after the
other. URLs are configuration: they only ever reach httpx, never a shell; credentials in a
URL are kept out of labels and field names.
"""

from __future__ import annotations

import logging
import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import httpx

from rempart.i18n import render
from rempart.metrics.model import Field, Graph, Series
from rempart.munin.names import clean_fieldname

__all__ = ["BODY_LIMIT", "HttpProbe", "HttpSite", "SiteResult", "judge", "site_label"]

BODY_LIMIT = 1 << 20
_LOG = logging.getLogger(__name__)
_LABEL_BAD = re.compile(r"[#\\\x00-\x1f\x7f]+")
_HEADERS = {"User-Agent": "rempart-http-check", "Accept-Encoding": "identity"}


@dataclass(frozen=True, slots=True)
class HttpSite:
    """One site to check: its URL, a display name, accepted status codes, expected text."""

    url: str
    name: str = ""
    expect: tuple[int, ...] = ()  # empty: any 2xx or 3xx
    contains: str = ""  # "" = no content check


@dataclass(frozen=True, slots=True)
class SiteResult:
    """One site's check: up (1/0), seconds to the full answer and status (None = no answer)."""

    up: float
    latency: float | None
    status: float | None
    reason: str = ""


def _clean(text: str, limit: int = 300) -> str:
    """One printable line for a label or an info (Munin refuses '#' and '\\' in labels)."""
    return " ".join(_LABEL_BAD.sub(" ", text).split())[:limit]


def site_label(site: HttpSite) -> str:
    """What a site is called in graphs: its name, else its URL without credentials."""
    if site.name:
        return _clean(site.name, 100)
    try:
        url = httpx.URL(site.url)
    except httpx.InvalidURL:
        return _clean(site.url.rpartition("@")[2], 100)
    if url.userinfo:
        url = url.copy_with(username=None, password=None)
    return _clean(str(url), 100)


def judge(site: HttpSite, status: int, body: bytes, *, label: str = "") -> str:
    """Why an answer is not what ``site`` expects, as one English line ("" when it is)."""
    label = label or site_label(site)
    expected = status in site.expect if site.expect else 200 <= status < 400
    if not expected:
        wanted = " ".join(map(str, site.expect)) or "2xx or 3xx"
        return render("probe.http.status", "en", site=label, status=status, expected=wanted)
    if site.contains and site.contains.encode("utf-8") not in body[:BODY_LIMIT]:
        text = _clean(site.contains, 60)
        return render("probe.http.missing", "en", site=label, text=text, limit="1 MiB")
    return ""


def _read(client: httpx.Client, url: str, timeout: float) -> tuple[int, bytes, float]:
    """Status, body (at most BODY_LIMIT bytes) and seconds to read them."""
    start = time.monotonic()
    body = bytearray()
    with client.stream("GET", url) as response:
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= BODY_LIMIT:
                break
            if time.monotonic() - start > timeout:
                raise TimeoutError("timed out reading the body")
        return response.status_code, bytes(body[:BODY_LIMIT]), time.monotonic() - start


def _field_names(
    sites: tuple[HttpSite, ...], labels: Mapping[HttpSite, str]
) -> dict[HttpSite, str]:
    """One clean field per site, ``_2``, ``_3``... when two sites share a label."""
    out: dict[HttpSite, str] = {}
    for site in sites:
        base = clean_fieldname(labels[site])
        candidate, n = base, 1
        while candidate in out.values():
            n += 1
            candidate = f"{base}_{n}"
        out[site] = candidate
    return out


def _reason(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


class HttpProbe:
    """Probe ``http``: graphs ``http_up``, ``http_latency``, ``http_status`` (one field per
    site; see the module documentation)."""

    name = "http"
    background = True

    def __init__(
        self,
        *,
        root: Path = Path("/"),
        sites: tuple[HttpSite, ...] = (),
        timeout: float = 10.0,
        interval: float = 60,
        ca_file: Path | None = None,
    ) -> None:
        self._root = root  # unused: the probe reads no file; kept for the common signature
        self._sites = tuple(dict.fromkeys(sites))
        self._timeout = timeout
        self._interval = interval
        self._ca_file = ca_file
        self._labels = {site: site_label(site) for site in self._sites}
        self._fields = _field_names(self._sites, self._labels)
        self._context: ssl.SSLContext | None = None
        self._last: dict[HttpSite, str] = {}

    @property
    def interval(self) -> float:
        return self._interval

    def collect(self) -> tuple[Series, ...]:
        """``http_up``, ``http_latency`` and ``http_status`` (``()`` without sites)."""
        if not self._sites:
            return ()
        if self._context is None:
            self._context = ssl.create_default_context()
            if self._ca_file is not None:
                self._context.load_verify_locations(cafile=str(self._ca_file))
        with httpx.Client(
            follow_redirects=False,
            verify=self._context,
            timeout=httpx.Timeout(self._timeout),
            limits=httpx.Limits(max_keepalive_connections=0),
            headers=_HEADERS,
            trust_env=False,
        ) as client:
            results = {site: self._check(client, site) for site in self._sites}
        self._log_changes(results)
        return self._series(results)

    def _check(self, client: httpx.Client, site: HttpSite) -> SiteResult:
        label = self._labels[site]
        try:
            scheme = httpx.URL(site.url).scheme
            if scheme not in ("http", "https"):
                raise httpx.UnsupportedProtocol(f"scheme {scheme or '(none)'!r} is not http(s)")
            status, body, seconds = _read(client, site.url, self._timeout)
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError) as exc:
            reason = render("probe.http.unreachable", "en", site=label, reason=_clean(_reason(exc)))
            return SiteResult(up=0.0, latency=None, status=None, reason=reason)
        reason = judge(site, status, body, label=label)
        latency = round(seconds, 4)
        return SiteResult(up=0.0 if reason else 1.0, latency=latency, status=status, reason=reason)

    def _series(self, results: Mapping[HttpSite, SiteResult]) -> tuple[Series, ...]:
        up = {self._fields[s]: r.up for s, r in results.items()}
        latency = {self._fields[s]: r.latency for s, r in results.items()}
        status = {self._fields[s]: r.status for s, r in results.items()}
        return (
            Series(self._up_graph(results), MappingProxyType(up)),
            Series(self._latency_graph(), MappingProxyType(latency)),
            Series(self._status_graph(), MappingProxyType(status)),
        )

    def _up_graph(self, results: Mapping[HttpSite, SiteResult]) -> Graph:
        fields = tuple(
            Field(
                name=self._fields[site],
                label=self._labels[site],
                min=0,
                max=1,
                critical="1:",
                info=result.reason or "1 when the site answers as expected, 0 when not.",
            )
            for site, result in results.items()
        )
        return Graph(
            name="http_up",
            title="HTTP sites up",
            category="network",
            fields=fields,
            vlabel="up (1) or down (0)",
            args="--base 1000 -l 0 -u 1",
            info="Each site answered with an expected status and content (1) or not (0).",
        )

    def _latency_graph(self) -> Graph:
        fields = tuple(
            Field(name=self._fields[s], label=self._labels[s], min=0, unit="seconds")
            for s in self._sites
        )
        return Graph(
            name="http_latency",
            title="HTTP response time",
            category="network",
            fields=fields,
            vlabel="seconds",
            args="--base 1000 -l 0",
            info="Seconds from the request to the full answer (new connection, body up to 1 MiB).",
        )

    def _status_graph(self) -> Graph:
        fields = tuple(
            Field(name=self._fields[s], label=self._labels[s], min=0, max=999) for s in self._sites
        )
        return Graph(
            name="http_status",
            title="HTTP status codes",
            category="network",
            fields=fields,
            vlabel="status",
            args="--base 1000 -l 0",
            info="The HTTP status code of each site's answer (redirects are not followed).",
        )

    def _log_changes(self, results: Mapping[HttpSite, SiteResult]) -> None:
        for site, result in results.items():
            if self._last.get(site, "") != result.reason:
                if result.reason:
                    _LOG.warning("http probe: %s", result.reason)
                else:
                    _LOG.info("http probe: %s is fine again", self._labels[site])
        self._last = {site: result.reason for site, result in results.items()}
