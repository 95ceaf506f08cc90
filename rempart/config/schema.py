"""The configuration as frozen values, and the description of every key.

``KEYS`` documents every key of every table (type, default, help in English and
French); the loader rejects keys it does not list, and docs/reference/configuration.md
is generated from it, so code, checks and documentation cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from rempart.addresses import Network
from rempart.config.abuseipdb import AbuseIPDBConfig
from rempart.config.keyspec import KeySpec
from rempart.config.metrics import MetricsConfig
from rempart.config.metrics_keys import METRICS_KEYS
from rempart.config.server import ServerConfig
from rempart.config.server_keys import SERVER_KEYS
from rempart.guard.policy import Escalation

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_SOCKET_PATH",
    "KEYS",
    "Config",
    "Escalation",
    "FirewallKind",
    "JailConfig",
    "KeySpec",
    "PortRange",
    "SourceConfig",
]

DEFAULT_CONFIG_PATH = Path("/etc/rempart/rempart.toml")

DEFAULT_SOCKET_PATH = Path("/run/rempart/agent.sock")

SourceKind = Literal["file", "journal", "stdin"]
FirewallKind = Literal["auto", "nftables", "dry-run"]
Protocol = Literal["tcp", "udp", "tcp+udp"]


@dataclass(frozen=True, slots=True)
class PortRange:
    first: int
    last: int

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """Where a jail reads its lines."""

    kind: SourceKind
    path: Path | None = None
    match: tuple[str, ...] = ()
    timezone: str | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class JailConfig:
    name: str
    filter: str
    enabled: bool = True
    sources: tuple[SourceConfig, ...] = ()
    ports: tuple[PortRange, ...] | None = None  # None: every port
    protocol: Protocol = "tcp"
    maxretry: int = 5
    findtime: float = 600.0
    bantime: float = 900.0
    escalation: Escalation = field(default_factory=Escalation)
    ignoreip: tuple[Network, ...] = ()
    ipv6_prefix: int = 128


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    state_dir: Path = Path("/var/lib/rempart")
    language: str | None = None
    socket: Path = DEFAULT_SOCKET_PATH
    firewall: FirewallKind = "auto"
    trust_logins: float = 86400.0  # 0: off
    jails: Mapping[str, JailConfig] = field(default_factory=lambda: MappingProxyType({}))
    # the [defaults] rule, as a jail without name, filter or sources (for `replay --filter`)
    defaults: JailConfig = field(default_factory=lambda: JailConfig(name="", filter=""))
    abuseipdb: AbuseIPDBConfig = field(default_factory=AbuseIPDBConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    server: ServerConfig = field(default_factory=ServerConfig)


_JAIL_COMMON = (
    KeySpec(
        "maxretry",
        "integer ≥ 1",
        "5",
        "Failures within findtime that make a ban.",
        "Nombre d'échecs dans la fenêtre findtime qui déclenche un bannissement.",
        "5",
    ),
    KeySpec(
        "findtime",
        "duration",
        "10m",
        "Window in which maxretry failures count.",
        "Fenêtre de temps dans laquelle on compte les échecs.",
        '"10m"',
    ),
    KeySpec(
        "bantime",
        "duration",
        "15m",
        "How long a ban lasts (before escalation).",
        "Durée d'un bannissement (avant aggravation).",
        '"15m"',
    ),
    KeySpec(
        "ignoreip",
        "list of addresses or CIDRs",
        '["127.0.0.0/8", "::1"]',
        "Addresses never banned (added to loopback, which is always ignored).",
        "Adresses jamais bannies (en plus de la boucle locale, toujours ignorée).",
        '["192.0.2.10", "2001:db8::/48"]',
    ),
    KeySpec(
        "ipv6_prefix",
        "integer 32–128",
        "128",
        "IPv6 prefix length to ban: 128 bans the address, 64 its whole /64.",
        "Longueur de préfixe IPv6 bannie : 128 bannit l'adresse, 64 tout son /64.",
        "64",
    ),
    KeySpec(
        "escalation.factor",
        "number ≥ 1",
        "1 (off)",
        "Repeat offenders: each new ban of an address within escalation.window, in any "
        "jail, lasts factor times longer.",
        "Récidive : chaque nouveau bannissement d'une adresse dans escalation.window, "
        "toutes prisons confondues, dure factor fois plus longtemps.",
        "2",
    ),
    KeySpec(
        "escalation.max",
        "duration",
        "1w",
        "Longest ban escalation can reach.",
        "Durée maximale atteinte par l'aggravation.",
        '"1d"',
    ),
    KeySpec(
        "escalation.window",
        "duration",
        "1w",
        "How far back earlier bans count as repeat offences.",
        "Ancienneté maximale des bannissements précédents pris en compte.",
        '"1w"',
    ),
)

_ABUSEIPDB = (
    KeySpec(
        "enabled",
        "boolean",
        "false",
        "Use AbuseIPDB: enforce its blocklist and report our bans (each can be turned off below).",
        "Utiliser AbuseIPDB : appliquer sa liste de blocage et signaler nos bannissements "
        "(chacun peut être désactivé plus bas).",
        "true",
    ),
    KeySpec(
        "key",
        '"file:PATH" or "env:NAME"',
        '"env:ABUSEIPDB_KEY"',
        "Where the API key is read: a file readable by rempart only, or an environment "
        "variable. Never the key itself; it is never logged.",
        "Où lire la clé d'API : un fichier lisible par rempart seul, ou une variable "
        "d'environnement. Jamais la clé elle-même ; elle n'est jamais journalisée.",
        '"file:/etc/rempart/abuseipdb.key"',
    ),
    KeySpec(
        "url",
        "URL",
        '"https://api.abuseipdb.com/api/v2/"',
        "Base URL of the API (change it only for tests).",
        "URL de base de l'API (à ne changer que pour des tests).",
        '"https://api.abuseipdb.com/api/v2/"',
    ),
    KeySpec(
        "timeout",
        "duration",
        "15s",
        "How long to wait for an answer.",
        "Délai d'attente d'une réponse.",
        '"15s"',
    ),
    KeySpec(
        "hide",
        "list of names",
        "[]",
        "Host and domain names never written in a report (the machine's own names are "
        "always hidden).",
        "Noms d'hôtes et de domaines jamais écrits dans un signalement (ceux de la machine "
        "le sont toujours).",
        '["example.org", "mail.example.org"]',
    ),
    KeySpec(
        "daily_limits.ENDPOINT",
        "integer ≥ 1",
        "report 1000, check 1000, blacklist 5, bulk-report 5 (free plan)",
        "Calls a day your plan allows per endpoint; rempart never goes beyond (days start "
        "at 00:00 UTC).",
        "Appels par jour autorisés par votre abonnement pour chaque point d'accès ; rempart "
        "ne les dépasse jamais (les jours commencent à 00:00 UTC).",
        "{ report = 1000, blacklist = 5 }",
    ),
)

_ABUSEIPDB_BLOCKLIST = (
    KeySpec(
        "enabled",
        "boolean",
        "true",
        "Download AbuseIPDB's blocklist and drop its addresses (all ports).",
        "Télécharger la liste de blocage d'AbuseIPDB et bloquer ses adresses (tous ports).",
        "true",
    ),
    KeySpec(
        "every",
        "duration",
        "1d",
        "Time between downloads (never more often than daily_limits.blacklist allows).",
        "Intervalle entre deux téléchargements (jamais plus souvent que ne le permet "
        "daily_limits.blacklist).",
        '"1d"',
    ),
    KeySpec(
        "confidence_minimum",
        "integer 25–100",
        "100",
        "Lowest abuse confidence listed (below 100 needs a paid plan).",
        "Score de confiance minimal des adresses listées (en dessous de 100 : abonnement payant).",
        "100",
    ),
    KeySpec(
        "limit",
        "integer ≥ 1",
        "10000",
        "Most addresses asked for (the plan caps it: 10,000 on the free plan).",
        "Nombre maximal d'adresses demandées (plafonné par l'abonnement : 10 000 en gratuit).",
        "10000",
    ),
    KeySpec(
        "ip_version",
        '4, 6 or "both"',
        '"both"',
        "Which addresses to ask for.",
        "Quelles adresses demander.",
        "4",
    ),
)

_ABUSEIPDB_REPORT = (
    KeySpec(
        "enabled",
        "boolean",
        "true",
        "Report our bans to AbuseIPDB (only the jails listed in categories).",
        "Signaler nos bannissements à AbuseIPDB (seulement les prisons listées dans categories).",
        "true",
    ),
    KeySpec(
        "categories",
        "table: jail = [category ids]",
        "{} (nothing reported)",
        "The jails that report, each with its AbuseIPDB categories (18 Brute-Force, 22 SSH, "
        "11 Email Spam, 21 Web App Attack…).",
        "Les prisons qui signalent, chacune avec ses catégories AbuseIPDB (18 Brute-Force, "
        "22 SSH, 11 Email Spam, 21 Web App Attack…).",
        "{ sshd = [18, 22], postfix-sasl = [18] }",
    ),
    KeySpec(
        "cooldown",
        "duration ≥ 15m",
        "24h",
        "Never report the same address twice within this time.",
        "Ne jamais signaler deux fois la même adresse dans ce délai.",
        '"24h"',
    ),
    KeySpec(
        "bulk",
        "boolean",
        "false",
        "When the daily quota ran out, send what waited as one bulk report after the reset.",
        "Quand le quota du jour est épuisé, envoyer ce qui attendait en un seul signalement "
        "groupé après la remise à zéro.",
        "true",
    ),
)

KEYS: Mapping[str, tuple[KeySpec, ...]] = MappingProxyType(
    {
        "rempart": (
            KeySpec(
                "state_dir",
                "path",
                "/var/lib/rempart",
                "Directory of rempart's state (SQLite database, saved positions).",
                "Répertoire de l'état de rempart (base SQLite, positions enregistrées).",
                '"/var/lib/rempart"',
            ),
            KeySpec(
                "language",
                '"fr" or "en"',
                "from the locale",
                "Language of messages and reports.",
                "Langue des messages et rapports.",
                '"fr"',
            ),
            KeySpec(
                "socket",
                "path",
                "/run/rempart/agent.sock",
                "Control socket of the agent (used by rempart status, bans, ban, unban…).",
                "Socket de contrôle de l'agent (utilisé par rempart status, bans, ban, unban…).",
                '"/run/rempart/agent.sock"',
            ),
            KeySpec(
                "firewall",
                '"auto", "nftables" or "dry-run"',
                '"auto"',
                "Where bans go: nftables, or dry-run (only logged). auto: nftables when run as "
                "root and usable, otherwise dry-run with a warning.",
                "Destination des bannissements : nftables, ou dry-run (seulement journalisés). "
                "auto : nftables en root s'il est utilisable, sinon dry-run avec un avertissement.",
                '"nftables"',
            ),
            KeySpec(
                "trust_logins",
                "duration",
                "24h",
                "Never ban an address that logged in successfully within this time (0: off).",
                "Ne jamais bannir une adresse qui s'est connectée avec succès dans ce délai "
                "(0 : désactivé).",
                '"24h"',
            ),
        ),
        "defaults": _JAIL_COMMON,
        "jails.NAME": (
            KeySpec(
                "filter",
                "filter reference",
                "(required)",
                "Filter to apply: a shipped one (sshd), fail2ban's (fail2ban:sshd), or a path; "
                "options in brackets, e.g. sshd[mode=aggressive].",
                "Filtre à appliquer : fourni (sshd), de fail2ban (fail2ban:sshd), ou un chemin ; "
                "options entre crochets, par ex. sshd[mode=aggressive].",
                '"sshd[mode=aggressive]"',
            ),
            KeySpec(
                "enabled", "boolean", "true", "Whether the jail runs.", "Active la prison.", "true"
            ),
            KeySpec(
                "ports",
                'list of ports or ranges, or "all"',
                '"all"',
                "Ports the ban blocks.",
                "Ports bloqués par le bannissement.",
                "[22, 2222, 2200]",
            ),
            KeySpec(
                "protocol",
                '"tcp", "udp" or "tcp+udp"',
                '"tcp"',
                "Protocol of the ports.",
                "Protocole des ports.",
                '"tcp"',
            ),
            *_JAIL_COMMON,
        ),
        "abuseipdb": _ABUSEIPDB,
        "abuseipdb.blocklist": _ABUSEIPDB_BLOCKLIST,
        "abuseipdb.report": _ABUSEIPDB_REPORT,
        "jails.NAME.sources[]": (
            KeySpec(
                "type",
                '"file", "journal" or "stdin"',
                "(required)",
                "Kind of source.",
                "Type de source.",
                '"journal"',
            ),
            KeySpec(
                "path",
                "path",
                "(required for file)",
                "Log file to follow (rotation and truncation are handled).",
                "Fichier journal à suivre (rotation et troncature gérées).",
                '"/var/log/auth.log"',
            ),
            KeySpec(
                "match",
                "list of journal matches",
                "the filter's journalmatch",
                'systemd journal matches; "+" separates alternatives.',
                "Critères du journal systemd ; « + » sépare les alternatives.",
                '["_SYSTEMD_UNIT=ssh.service", "+", "_COMM=sshd"]',
            ),
            KeySpec(
                "timezone",
                "IANA zone name",
                "the system's",
                "Zone of the dates in this source when they carry none.",
                "Fuseau des dates de cette source quand elles n'en indiquent pas.",
                '"Europe/Paris"',
            ),
        ),
        **METRICS_KEYS,
        **SERVER_KEYS,
    }
)
