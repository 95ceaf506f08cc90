"""Days left before TLS certificates expire: live services (``host:port``) and files.

A target is ``host:port`` (``[2001:db8::1]:443`` for an IPv6 address) or an absolute path to a
certificate file (PEM — its **first** certificate is taken as the leaf, as servers and ACME
clients write the leaf first — or DER). For a service the probe connects with SNI = host and
verifies the certificate against the system's trust store (plus ``ca_file``); when the
verification fails it connects once more without verifying, only to read the leaf, so the
graph still shows the days left, and the field ``<target>_valid`` (stored, not drawn, critical
below 1) says 0 with the reason in its ``info``. A target that cannot be read gives ``U`` and
its reason in the ``info`` of its field; every change of a target's state is logged once.

Each service target gets at most ``timeout`` seconds for both connections together, counted
from the first connect (name resolution uses the system resolver's own time limits); targets
are checked one after the other, so a collection takes at most ``len(targets) × timeout``.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import MappingProxyType

from rempart.i18n import render
from rempart.metrics.model import Field, Graph, Series
from rempart.munin.names import unique_fieldnames
from rempart.probes.x509 import first_certificate, validity

__all__ = ["HostTarget", "TargetResult", "TlsProbe", "check_file", "check_host", "parse_target"]

_LOG = logging.getLogger(__name__)
_FILE_LIMIT = 1 << 20  # a certificate file is a few KiB; a chain a few more
_HOST = re.compile(r"[^\s/:\[\]@#\\]+")
_LABEL_BAD = re.compile(r"[#\\\x00-\x1f\x7f]+")


@dataclass(frozen=True, slots=True)
class HostTarget:
    """A TLS service: host name or address (without brackets) and port."""

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class TargetResult:
    """What one target gave: days left (None = unknown), verified (None = not applicable or
    unknown) and why not, as one English line ("" when all is well)."""

    days: float | None
    valid: float | None
    reason: str = ""


def parse_target(text: str) -> HostTarget | PurePosixPath:
    """``host:port``, ``[v6]:port`` or an absolute path. Raises ValueError otherwise."""
    if text.startswith("/"):
        return PurePosixPath(text)
    if text.startswith("["):
        address, sep, port = text[1:].partition("]:")
        if not sep:
            raise ValueError(f"{text!r}: write an IPv6 target as [address]:port")
        ipaddress.IPv6Address(address)  # ValueError when it is not one
        host = address
    else:
        host, sep, port = text.rpartition(":")
        if not sep or not _HOST.fullmatch(host):
            raise ValueError(f"{text!r}: expected host:port, [v6]:port or an absolute path")
    if not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r}: the port must be a number from 1 to 65535")
    return HostTarget(host=host, port=int(port))


def _clean(text: str, limit: int = 300) -> str:
    """One printable line for a label or an info (Munin refuses '#' and '\\' in labels)."""
    return " ".join(_LABEL_BAD.sub(" ", text).split())[:limit]


def _handshake(target: HostTarget, context: ssl.SSLContext, deadline: float) -> bytes:
    """The DER leaf certificate the service presents (raises OSError / ssl.SSLError)."""
    infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    error: OSError = OSError(f"{target.host} has no address")
    for family, kind, proto, _name, address in infos:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out")
        with socket.socket(family, kind, proto) as raw:
            raw.settimeout(remaining)
            try:
                raw.connect(address)
            except OSError as exc:
                error = exc
                continue
            raw.settimeout(max(deadline - time.monotonic(), 0.001))
            with context.wrap_socket(raw, server_hostname=target.host) as tls:
                der = tls.getpeercert(binary_form=True)
                if not der:
                    raise ssl.SSLError("the server sent no certificate")
                return der
    raise error


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def _contexts(ca_file: Path | None) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    verify = ssl.create_default_context()
    if ca_file is not None:
        verify.load_verify_locations(cafile=str(ca_file))
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    return verify, insecure


def check_host(
    target: HostTarget,
    *,
    label: str,
    contexts: tuple[ssl.SSLContext, ssl.SSLContext],
    timeout: float,
    now: float,
) -> TargetResult:
    """Connect (verifying, then without verifying if that failed) and read the leaf's dates."""
    deadline = time.monotonic() + timeout
    verify, insecure = contexts
    problem = ""
    try:
        try:
            der = _handshake(target, verify, deadline)
        except ssl.SSLCertVerificationError as exc:
            problem = exc.verify_message or _reason(exc)
            der = _handshake(target, insecure, deadline)
        days = validity(der).days_left(now)
    except (OSError, ValueError) as exc:
        reason = render("probe.tls.unreachable", "en", target=label, reason=_clean(_reason(exc)))
        return TargetResult(days=None, valid=None, reason=reason)
    if problem:
        reason = render("probe.tls.unverified", "en", target=label, reason=_clean(problem))
        return TargetResult(days=days, valid=0.0, reason=reason)
    return TargetResult(days=days, valid=1.0)


def check_file(path: Path, *, label: str, now: float) -> TargetResult:
    """Read the first certificate of a PEM (or DER) file and its days left."""
    try:
        with path.open("rb") as handle:
            content = handle.read(_FILE_LIMIT)
        days = validity(first_certificate(content)).days_left(now)
    except (OSError, ValueError) as exc:
        reason = render("probe.tls.unreadable", "en", target=label, reason=_clean(_reason(exc)))
        return TargetResult(days=None, valid=None, reason=reason)
    return TargetResult(days=days, valid=None)


def _range(days: float) -> str:
    return f"{days:g}:"


class TlsProbe:
    """Probe ``tls``: graph ``tls_days``, one field per target (see the module documentation)."""

    name = "tls"
    background = True

    def __init__(
        self,
        *,
        root: Path = Path("/"),
        targets: tuple[str, ...] = (),
        warning_days: float = 21,
        critical_days: float = 7,
        timeout: float = 5.0,
        interval: float = 3600,
        ca_file: Path | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._root = root
        self._targets = tuple(dict.fromkeys(targets))
        self._parsed = {target: _parse_or_reason(target) for target in self._targets}
        self._warning = _range(warning_days)
        self._critical = _range(critical_days)
        self._timeout = timeout
        self._interval = interval
        self._ca_file = ca_file
        self._now = now
        # "<target>\0valid" cleans to "<field>_valid": one namespace, so no two fields clash
        self._fields = unique_fieldnames([*self._targets, *(f"{t}\0valid" for t in self._targets)])
        self._contexts: tuple[ssl.SSLContext, ssl.SSLContext] | None = None
        self._last: dict[str, str] = {}

    @property
    def interval(self) -> float:
        return self._interval

    def collect(self) -> tuple[Series, ...]:
        """One series of ``tls_days`` (``()`` when no target is configured)."""
        if not self._targets:
            return ()
        now = self._now()
        results = {target: self._check(target, now) for target in self._targets}
        self._log_changes(results)
        return (Series(graph=self._graph(results), values=self._values(results)),)

    def _check(self, text: str, now: float) -> TargetResult:
        label = _clean(text)
        target = self._parsed[text]
        if isinstance(target, str):
            reason = render("probe.tls.bad_target", "en", target=label, reason=target)
            return TargetResult(days=None, valid=None, reason=reason)
        if isinstance(target, PurePosixPath):
            return check_file(self._root.joinpath(*target.parts[1:]), label=label, now=now)
        if self._contexts is None:
            self._contexts = _contexts(self._ca_file)
        return check_host(
            target, label=label, contexts=self._contexts, timeout=self._timeout, now=now
        )

    def _values(self, results: Mapping[str, TargetResult]) -> Mapping[str, float | None]:
        values: dict[str, float | None] = {}
        for target, result in results.items():
            values[self._fields[target]] = None if result.days is None else round(result.days, 2)
            if isinstance(self._parsed[target], HostTarget):
                values[self._fields[f"{target}\0valid"]] = result.valid
        return MappingProxyType(values)

    def _graph(self, results: Mapping[str, TargetResult]) -> Graph:
        fields: list[Field] = []
        for target, result in results.items():
            fields.append(self._days_field(target, result))
            if isinstance(self._parsed[target], HostTarget):
                fields.append(self._valid_field(target, result))
        return Graph(
            name="tls_days",
            title="TLS certificates: days left",
            category="security",
            fields=tuple(fields),
            vlabel="days",
            args="--base 1000",
            info="Days before each certificate expires (the leaf: the first one of a file).",
        )

    def _days_field(self, target: str, result: TargetResult) -> Field:
        info = result.reason if result.days is None else "Days left before the certificate ends."
        return Field(
            name=self._fields[target],
            label=_clean(target, 100),
            warning=self._warning,
            critical=self._critical,
            info=info,
            unit="days",
        )

    def _valid_field(self, target: str, result: TargetResult) -> Field:
        info = result.reason or "1 when the certificate verifies for this name, 0 when not."
        return Field(
            name=self._fields[f"{target}\0valid"],
            label=_clean(f"{target} verifies", 100),
            min=0,
            max=1,
            critical="1:",
            graph=False,
            info=info,
        )

    def _log_changes(self, results: Mapping[str, TargetResult]) -> None:
        for target, result in results.items():
            if self._last.get(target, "") != result.reason:
                if result.reason:
                    _LOG.warning("tls probe: %s", result.reason)
                else:
                    _LOG.info("tls probe: %s is fine again", _clean(target))
        self._last = {target: result.reason for target, result in results.items()}


def _parse_or_reason(text: str) -> HostTarget | PurePosixPath | str:
    """The parsed target, or why it cannot be parsed."""
    try:
        return parse_target(text)
    except ValueError as exc:
        return _clean(str(exc))
