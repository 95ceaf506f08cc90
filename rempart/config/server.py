"""The ``[server]`` tables: the supervision server's nodes (in groups), polling, storage,
alerts and where notifications go, as frozen values validated once.

::

    [server]
    interval = "5m"
    timeout = "30s"                       # a node that takes longer fails this round

    [server.groups.Gandi]
    web1 = "192.0.2.10"                   # host[:port], port 4949 by default
    mail = "mail.example.org:4949"

    [server.groups.TTN]
    vm3 = "198.51.100.7"

    [server.alerts]
    language = "fr"
    for = "10m"

    [[server.alerts.rules]]
    match = "*/df/*"
    warning = "85"
    critical = "95"

    [server.mail]
    host = "localhost"
    from = "rempart@example.org"
    to = ["admins@example.org"]

    [[server.webhooks]]
    name = "mattermost"
    url = "https://chat.example.org/hooks/xxx"
    format = "slack"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rempart.alerting.values import AlertRule
from rempart.config.abuseipdb import SecretRef

__all__ = [
    "DEFAULT_SERVER_SOCKET",
    "AlertsConfig",
    "IncidentConfig",
    "MailConfig",
    "NodeConfig",
    "RetentionConfig",
    "ServerConfig",
    "WebhookConfig",
    "build_server",
]

DEFAULT_SERVER_SOCKET = Path("/run/rempart/server.sock")
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """One node to poll: a rempart agent or a plain munin-node."""

    name: str  # as written in the group table; unique across groups
    group: str
    address: str  # host name or IP address
    port: int = 4949


@dataclass(frozen=True, slots=True)
class RetentionConfig:
    """How long each resolution is kept, seconds (0: forever)."""

    samples: float = 800 * DAY  # 5-minute samples (more than 2 years)
    hourly: float = 1830 * DAY  # hourly min/avg/max (5 years)
    daily: float = 0.0  # daily min/avg/max (forever)


@dataclass(frozen=True, slots=True)
class MailConfig:
    """Notifications by e-mail over SMTP."""

    to: tuple[str, ...]
    sender: str  # the From address ("from" in the file)
    host: str = "localhost"
    port: int = 25
    security: Literal["none", "starttls", "tls"] = "none"
    username: str | None = None
    password: SecretRef | None = None
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """Notifications as a JSON POST (``json``: rempart's document; ``slack``: a payload
    Mattermost and Slack incoming webhooks accept)."""

    name: str
    url: str
    format: Literal["json", "slack"] = "json"
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class AlertsConfig:
    language: Literal["fr", "en"] = "en"
    for_: float = 600.0  # a condition must hold this long before it fires ("for")
    hysteresis: float = 0.05  # fraction of the bound a value must come back past to clear
    unreachable_for: float = 600.0  # a node down this long raises an alert
    no_data_for: float = 1800.0  # a field missing this long (its node up) raises an alert
    disk_full_days: float = 7.0  # warn when a filesystem will be full within this many days
    disk_full_window: float = DAY  # history the forecast fits its line on
    repeat: float = 0.0  # remind of a firing, unacknowledged alert this often (0: never)
    rules: tuple[AlertRule, ...] = ()


@dataclass(frozen=True, slots=True)
class IncidentConfig:
    """A provider incident: most hosts of one group degrade together."""

    enabled: bool = True
    fraction: float = 0.5  # share of the group's hosts degraded at once
    min_hosts: int = 2  # never fewer than this many hosts
    io_pressure: float = 10.0  # PSI io "full", % of time stalled, that counts as degraded
    steal: float = 20.0  # CPU steal, % of one CPU, that counts as degraded


@dataclass(frozen=True, slots=True)
class ServerConfig:
    nodes: tuple[NodeConfig, ...] = ()
    interval: float = 300.0  # seconds between rounds
    timeout: float = 30.0  # seconds a node has to answer the whole round
    concurrency: int = 100  # nodes polled at once
    database: Path = Path("/var/lib/rempart/server.db")
    socket: Path = DEFAULT_SERVER_SOCKET
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    incident: IncidentConfig = field(default_factory=IncidentConfig)
    mail: MailConfig | None = None
    webhooks: tuple[WebhookConfig, ...] = ()

    def groups(self) -> dict[str, tuple[NodeConfig, ...]]:
        """The nodes by group, groups in the order first written."""
        out: dict[str, list[NodeConfig]] = {}
        for node in self.nodes:
            out.setdefault(node.group, []).append(node)
        return {g: tuple(n) for g, n in out.items()}


def build_server(data: object, error: object, state_dir: Path) -> ServerConfig:
    """Validate the ``[server]`` table (``error(key, problem, fix)`` makes the ConfigError).

    Placeholder of the contract: only an absent table is accepted until the config part lands.
    """
    if data:
        raise NotImplementedError("[server] is not read yet")
    return ServerConfig(database=state_dir / "server.db")
