"""The only place mapping the configuration to probe constructors.

Each probe module is imported by name (``rempart.probes.<name>``, class ``<Name>Probe``) when
it is built, so a disabled probe costs nothing. A module or class that cannot be imported is
left out with a logged warning (``missing_probes`` names them: a packaging bug, checked by
the tests). A probe that cannot be built from its options (an unreadable MariaDB password
file) is replaced by a stand-in whose every collection fails with the reason, so
``rempart probes`` shows it instead of the agent refusing to start.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rempart.adapters.abuseipdb.secrets import read_secret
from rempart.config.abuseipdb import SecretRef
from rempart.config.metrics import PROBE_NAMES, MetricsConfig, ProbesConfig
from rempart.config.schema import Config
from rempart.errors import AbuseIPDBError, ProbeError
from rempart.metrics.model import Series
from rempart.probes.base import Probe

__all__ = [
    "AGENT_ONLY",
    "PROBE_CLASSES",
    "UnavailableProbe",
    "build_probes",
    "missing_probes",
    "probe_options",
]

#: probe name -> class name in ``rempart.probes.<name>``
PROBE_CLASSES: Mapping[str, str] = MappingProxyType(
    {
        "cpu": "CpuProbe",
        "load": "LoadProbe",
        "memory": "MemoryProbe",
        "swap": "SwapProbe",
        "psi": "PsiProbe",
        "df": "DfProbe",
        "diskstats": "DiskstatsProbe",
        "network": "NetworkProbe",
        "containers": "ContainersProbe",
        "services": "ServicesProbe",
        "processes": "ProcessesProbe",
        "uptime": "UptimeProbe",
        "postfix": "PostfixProbe",
        "sympa": "SympaProbe",
        "mariadb": "MariaDBProbe",
        "tls": "TlsProbe",
        "http": "HttpProbe",
    }
)

#: probes only a running agent can build (they read its state): given as ``extra``
AGENT_ONLY = frozenset(set(PROBE_NAMES) - set(PROBE_CLASSES))

_LOG = logging.getLogger("rempart.probes")


class UnavailableProbe:
    """Stands for a probe that could not be built: every collection fails with why."""

    def __init__(self, name: str, reason: str, *, background: bool = False) -> None:
        self._name = name
        self.reason = reason
        self._background = background

    @property
    def name(self) -> str:
        return self._name

    @property
    def background(self) -> bool:
        return self._background

    @property
    def interval(self) -> float:
        return 3600.0

    def collect(self) -> tuple[Series, ...]:
        raise ProbeError(probe=self._name, reason=self.reason)


def _given(**options: Any) -> dict[str, Any]:
    """The options written in the configuration (None: left to the probe's default)."""
    return {k: v for k, v in options.items() if v is not None}


def _containers(p: ProbesConfig, module: Any) -> dict[str, Any]:
    c = p.containers
    out = _given(lxc_path=c.lxc_path, expected=c.expected or None)
    for key, text in (("docker_socket", c.docker_socket), ("podman_socket", c.podman_socket)):
        if text is not None:  # "" in the file: do not use that API (None for the probe)
            out[key] = Path(text) if text else None
    return out


def _services(p: ProbesConfig, module: Any) -> dict[str, Any]:
    s = p.services
    return _given(
        processes=dict(s.processes) or None, tcp=dict(s.tcp) or None, units=dict(s.units) or None
    )


def _tls(p: ProbesConfig, module: Any) -> dict[str, Any]:
    t = p.tls
    return _given(
        targets=t.targets or None,
        warning_days=t.warning_days,
        critical_days=t.critical_days,
        timeout=t.timeout,
        interval=t.interval,
    )


def _http(p: ProbesConfig, module: Any) -> dict[str, Any]:
    h = p.http
    site = getattr(module, "HttpSite", None)
    sites = None
    if h.sites and site is not None:
        sites = tuple(
            site(url=s.url, name=s.name, expect=s.expect, contains=s.contains) for s in h.sites
        )
    return _given(sites=sites, timeout=h.timeout, interval=h.interval)


def _mariadb(p: ProbesConfig, module: Any) -> dict[str, Any]:
    m = p.mariadb
    return _given(socket=m.socket, user=m.user, timeout=m.timeout, password=_password(m.password))


_OPTIONS: Mapping[str, Callable[[ProbesConfig, Any], dict[str, Any]]] = MappingProxyType(
    {
        "df": lambda p, _: _given(exclude_types=p.df.exclude_types, exclude=p.df.exclude or None),
        "diskstats": lambda p, _: _given(exclude=p.diskstats.exclude),
        "network": lambda p, _: _given(
            capacity=dict(p.network.capacity) or None, exclude=p.network.exclude
        ),
        "containers": _containers,
        "services": _services,
        "postfix": lambda p, _: _given(spool=p.postfix.spool, log=p.postfix.log),
        "sympa": lambda p, _: _given(
            list_data=p.sympa.list_data, spool=p.sympa.spool, log=p.sympa.log
        ),
        "mariadb": _mariadb,
        "tls": _tls,
        "http": _http,
    }
)


def probe_options(metrics: MetricsConfig, name: str, module: Any = None) -> dict[str, Any]:
    """The constructor keywords (besides ``root``) for probe ``name``; ``module`` is the probe
    module (for value classes such as ``HttpSite``). Only what the configuration sets is
    given; the rest keeps the probe's defaults. Raises ProbeError when an option cannot be
    used (the MariaDB password cannot be read)."""
    build = _OPTIONS.get(name)
    return {} if build is None else build(metrics.probes, module)


def _password(ref: SecretRef | None) -> str | None:
    if ref is None:
        return None
    try:
        return read_secret(ref)
    except AbuseIPDBError as exc:  # the shared secret reader names the reference, not the value
        raise ProbeError(probe="mariadb", reason=exc.render("en")) from exc


def _import(name: str, log: logging.Logger) -> tuple[Any, Any] | None:
    module_name = f"rempart.probes.{name}"
    try:
        module = importlib.import_module(module_name)
        return module, getattr(module, PROBE_CLASSES[name])
    except (ImportError, AttributeError) as exc:
        log.warning("probe %s is not available (%s): left out", name, exc)
        return None


def _build_one(name: str, metrics: MetricsConfig, root: Path, log: logging.Logger) -> Probe | None:
    found = _import(name, log)
    if found is None:
        return None
    module, cls = found
    try:
        probe: Probe = cls(root=root, **probe_options(metrics, name, module))
    except ProbeError as exc:
        log.error("%s", exc.render("en"))
        return UnavailableProbe(name, exc.params.get("reason", str(exc)))
    except (OSError, ValueError, TypeError) as exc:
        log.error("probe %s cannot be built: %s", name, exc)
        return UnavailableProbe(name, f"cannot be built: {exc}")
    return probe


def build_probes(
    config: Config,
    *,
    root: Path = Path("/"),
    extra: Iterable[Probe] = (),
    log: logging.Logger = _LOG,
) -> list[Probe]:
    """The enabled probes, in ``PROBE_NAMES`` order: built from the configuration, plus
    ``extra`` (probes the agent builds itself, such as ``rempart``) unless disabled."""
    metrics = config.metrics
    if not metrics.enabled:
        return []
    given = {p.name: p for p in extra}
    out: list[Probe] = []
    for name in PROBE_NAMES:
        if not metrics.probe_on(name):
            continue
        if name in given:
            out.append(given.pop(name))
        elif name in PROBE_CLASSES:
            probe = _build_one(name, metrics, root, log)
            if probe is not None:
                out.append(probe)
    out += [p for name, p in given.items() if metrics.probe_on(name)]
    return out


def missing_probes() -> list[str]:
    """Probe names whose module or class cannot be imported (should be none)."""
    quiet = logging.getLogger("rempart.probes.check")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    return [name for name in PROBE_CLASSES if _import(name, quiet) is None]
