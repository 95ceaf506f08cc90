"""The documentation of every ``[server.*]`` key (merged into ``KEYS``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from rempart.config.keyspec import KeySpec as K

__all__ = ["SERVER_KEYS"]

_RANGE_EN = (
    'Munin range replacing the node\'s own: "N" (alarm above N), "min:" (below min), '
    '"min:max", or "" (no range). Numbers only: text munin-limits would read as 0:0 is refused.'
)
_RANGE_FR = (
    "Plage Munin remplaçant celle du nœud : « N » (alerte au-dessus de N), « min: » (en "
    "dessous de min), « min:max », ou « » (aucune plage). Nombres seulement : un texte que "
    "munin-limits lirait comme 0:0 est refusé."
)

SERVER_KEYS: Mapping[str, tuple[K, ...]] = MappingProxyType(
    {
        "server": (
            K(
                "interval",
                "duration, a multiple of 5m up to 1h",
                "5m",
                "Time between two poll rounds (the store keeps one sample per 5 minutes).",
                "Temps entre deux tournées d'interrogation (le stockage garde un échantillon "
                "toutes les 5 minutes).",
                '"5m"',
            ),
            K(
                "timeout",
                "duration, 1s to the interval",
                "30s",
                "Time a node has to answer the whole round; a slower node fails this round "
                "(it never delays the others).",
                "Temps dont dispose un nœud pour toute la tournée ; un nœud plus lent échoue "
                "pour cette tournée (il ne retarde jamais les autres).",
                '"30s"',
            ),
            K(
                "concurrency",
                "integer ≥ 1",
                "100",
                "Nodes polled at once.",
                "Nœuds interrogés en même temps.",
                "100",
            ),
            K(
                "database",
                "path",
                "server.db in state_dir",
                "The server's SQLite database (history, nodes, alerts, outbox); a relative path "
                "is read from the configuration file's directory.",
                "Base SQLite du serveur (historique, nœuds, alertes, file d'envoi) ; un chemin "
                "relatif part du répertoire du fichier de configuration.",
                '"/var/lib/rempart-server/server.db"',
            ),
            K(
                "socket",
                "path",
                "/run/rempart-server/server.sock",
                "Control socket of the server (used by rempart ack).",
                "Socket de contrôle du serveur (utilisé par rempart ack).",
                '"/run/rempart-server/server.sock"',
            ),
        ),
        "server.groups.GROUP": (
            K(
                "NODE",
                '"host[:port]"',
                "(none)",
                "One node to poll — a rempart agent or a plain munin-node — under its name "
                "(letters, digits, '.', '_', '-'; unique across groups). Port 4949 when left "
                'out; IPv6 in brackets: "[2001:db8::1]:4949". GROUP (e.g. Gandi, TTN) is free '
                "text of at most 64 characters; provider incidents are found per group.",
                "Un nœud à interroger — agent rempart ou simple munin-node — sous son nom "
                "(lettres, chiffres, « . », « _ », « - » ; unique entre les groupes). Port 4949 "
                "par défaut ; IPv6 entre crochets : « [2001:db8::1]:4949 ». GROUP (par ex. "
                "Gandi, TTN) est un texte libre de 64 caractères au plus ; les incidents d'un "
                "hébergeur sont détectés par groupe.",
                '"192.0.2.10"',
            ),
        ),
        "server.retention": (
            K(
                "samples",
                'duration ≥ 2d, or "0"',
                "800d",
                'How long 5-minute samples are kept ("0": forever).',
                "Durée de conservation des échantillons de 5 minutes (« 0 » : pour toujours).",
                '"800d"',
            ),
            K(
                "hourly",
                'duration ≥ samples, or "0"',
                "1830d",
                "How long hourly min/avg/max (with the time of each min and max) are kept "
                '("0": forever).',
                "Durée de conservation des min/moy/max horaires (avec l'heure de chaque min et "
                "max) (« 0 » : pour toujours).",
                '"5y"',
            ),
            K(
                "daily",
                'duration ≥ hourly, or "0"',
                '"0" (forever)',
                'How long daily min/avg/max are kept ("0": forever).',
                "Durée de conservation des min/moy/max journaliers (« 0 » : pour toujours).",
                '"0"',
            ),
        ),
        "server.alerts": (
            K(
                "language",
                '"fr" or "en"',
                '[rempart] language, else "en"',
                "Language of the mails and webhook texts.",
                "Langue des courriels et des textes des webhooks.",
                '"fr"',
            ),
            K(
                "for",
                "duration ≤ 1d",
                "10m",
                "A condition must hold this long before its alert fires (and a firing alert "
                "must be clear this long to resolve), so a flapping value makes one alert.",
                "Une condition doit durer ce temps avant que l'alerte parte (et une alerte "
                "active doit être revenue à la normale ce temps pour se clore) : une valeur qui "
                "oscille fait une seule alerte.",
                '"10m"',
            ),
            K(
                "hysteresis",
                "number 0–0.5",
                "0.05",
                "To clear, a value must come back inside its range by this fraction of the "
                "bound (0.05: 5 %).",
                "Pour se clore, une valeur doit revenir dans sa plage de cette fraction de la "
                "borne (0,05 : 5 %).",
                "0.05",
            ),
            K(
                "unreachable_for",
                "duration ≤ 1d",
                "10m",
                "A node that does not answer for this long raises an unreachable alert.",
                "Un nœud qui ne répond pas pendant ce temps lève une alerte « injoignable ».",
                '"10m"',
            ),
            K(
                "no_data_for",
                "duration ≤ 7d",
                "30m",
                "A field that stops coming this long while its node answers raises a no-data "
                "alert.",
                "Un champ absent pendant ce temps alors que son nœud répond lève une alerte "
                "« pas de données ».",
                '"30m"',
            ),
            K(
                "disk_full_days",
                "number 0–3650",
                "7",
                "Warn when a file system will be full within this many days at its current "
                "fill rate (0: no forecast alerts).",
                "Avertir quand un système de fichiers sera plein dans ce nombre de jours au "
                "rythme actuel (0 : pas d'alerte de prévision).",
                "7",
            ),
            K(
                "disk_full_window",
                "duration 1h–90d",
                "1d",
                "History the disk-full forecast fits its line on.",
                "Historique sur lequel la prévision de disque plein ajuste sa droite.",
                '"2d"',
            ),
            K(
                "repeat",
                'duration 5m–90d, or "0"',
                '"0" (never)',
                "Remind of a firing alert nobody acknowledged this often.",
                "Rappeler à cet intervalle une alerte active que personne n'a acquittée.",
                '"1d"',
            ),
        ),
        "server.alerts.rules[]": (
            K(
                "match",
                "host/graph/field pattern",
                "(required)",
                "Fields the rule applies to, shell wildcards (*/df/*, web1/load/load, web1/*). "
                "Rules are read in order; the last match wins, key by key.",
                "Champs concernés, jokers du shell (*/df/*, web1/load/load, web1/*). Les règles "
                "sont lues dans l'ordre ; la dernière qui correspond l'emporte, clé par clé.",
                '"*/df/*"',
            ),
            K("warning", "Munin range", "the node's", _RANGE_EN, _RANGE_FR, '"85"'),
            K("critical", "Munin range", "the node's", _RANGE_EN, _RANGE_FR, '"95"'),
            K(
                "for",
                "duration ≤ 1d",
                "[server.alerts] for",
                "Delay for these fields.",
                "Délai pour ces champs.",
                '"30m"',
            ),
            K(
                "enabled",
                "boolean",
                "true",
                "false silences these fields (no threshold alert).",
                "false fait taire ces champs (pas d'alerte de seuil).",
                "false",
            ),
        ),
        "server.incident": (
            K(
                "enabled",
                "boolean",
                "true",
                "Find provider incidents: most hosts of one group degraded at once make one "
                "group alert instead of one per host.",
                "Détecter les incidents d'hébergeur : la plupart des hôtes d'un groupe dégradés "
                "ensemble font une alerte de groupe au lieu d'une par hôte.",
                "true",
            ),
            K(
                "fraction",
                "number, above 0 up to 1",
                "0.5",
                "Share of a group's hosts that must be degraded at once.",
                "Part des hôtes d'un groupe qui doivent être dégradés en même temps.",
                "0.5",
            ),
            K(
                "min_hosts",
                "integer ≥ 2",
                "2",
                "Never an incident with fewer degraded hosts than this.",
                "Jamais d'incident avec moins d'hôtes dégradés que cela.",
                "3",
            ),
            K(
                "io_pressure",
                "number 0–100",
                "10",
                "PSI io full (% of time stalled, rempart agents) from which a host counts as "
                "degraded.",
                "PSI io full (% du temps bloqué, agents rempart) à partir duquel un hôte compte "
                "comme dégradé.",
                "10",
            ),
            K(
                "steal",
                "number 0–100",
                "20",
                "CPU steal (% of one CPU) from which a host counts as degraded.",
                "Vol de CPU (steal, % d'un CPU) à partir duquel un hôte compte comme dégradé.",
                "20",
            ),
        ),
        "server.mail": (
            K(
                "to",
                "list of e-mail addresses",
                "(required)",
                "Who receives the alerts.",
                "Destinataires des alertes.",
                '["admins@example.org"]',
            ),
            K(
                "from",
                "e-mail address",
                "(required)",
                "Sender address of the alerts.",
                "Adresse d'expédition des alertes.",
                '"rempart@example.org"',
            ),
            K(
                "host",
                "host name or address",
                "localhost",
                "SMTP server.",
                "Serveur SMTP.",
                '"smtp.example.org"',
            ),
            K(
                "port",
                "integer 1–65535",
                "25, 587 with starttls, 465 with tls",
                "SMTP port.",
                "Port SMTP.",
                "587",
            ),
            K(
                "security",
                '"none", "starttls" or "tls"',
                '"none"',
                "Encryption of the SMTP connection; a password is refused over none unless the "
                "server is local.",
                "Chiffrement de la connexion SMTP ; un mot de passe est refusé sans chiffrement, "
                "sauf vers un serveur local.",
                '"starttls"',
            ),
            K(
                "username",
                "text",
                "(no login)",
                "SMTP login (with password).",
                "Identifiant SMTP (avec password).",
                '"rempart"',
            ),
            K(
                "password",
                '"file:PATH" or "env:NAME"',
                "(no login)",
                "Where the SMTP password is read: a file readable by rempart only, or an "
                "environment variable; never the password itself.",
                "Où lire le mot de passe SMTP : un fichier lisible par rempart seul, ou une "
                "variable d'environnement ; jamais le mot de passe lui-même.",
                '"file:/etc/rempart/smtp.pass"',
            ),
            K(
                "timeout",
                "duration 1s–5m",
                "30s",
                "Time allowed for one mail; a failed mail stays queued and is tried again.",
                "Temps accordé à un courriel ; un envoi raté reste en file et est réessayé.",
                '"30s"',
            ),
        ),
        "server.webhooks[]": (
            K(
                "name",
                "name",
                "(required)",
                "The webhook's name (unique; letters, digits, '.', '_', '-'; not 'mail').",
                "Nom du webhook (unique ; lettres, chiffres, « . », « _ », « - » ; pas « mail »).",
                '"mattermost"',
            ),
            K(
                "url",
                "http(s) URL",
                "(required)",
                "Where alerts are POSTed; redirections are not followed and only the host is "
                "logged (the path often holds the token).",
                "Où les alertes sont envoyées (POST) ; les redirections ne sont pas suivies et "
                "seul l'hôte est journalisé (le chemin contient souvent le jeton).",
                '"https://chat.example.org/hooks/xxx"',
            ),
            K(
                "format",
                '"json" or "slack"',
                '"json"',
                'json: rempart\'s document (version, host, group, alerts[]); slack: the {"text"} '
                "payload Mattermost and Slack incoming webhooks accept.",
                "json : le document de rempart (version, host, group, alerts[]) ; slack : la "
                'charge {"text"} qu\'acceptent les webhooks entrants de Mattermost et Slack.',
                '"slack"',
            ),
            K(
                "timeout",
                "duration 1s–5m",
                "10s",
                "Time allowed for one POST; a failure is tried again later.",
                "Temps accordé à un envoi ; un échec est réessayé plus tard.",
                '"10s"',
            ),
        ),
        "server.web": (
            K(
                "enabled",
                "true or false",
                "true",
                "Serve the dashboard from rempart server.",
                "Servir le tableau de bord depuis rempart server.",
                "true",
            ),
            K(
                "listen",
                '"address:port"',
                '"127.0.0.1:8090"',
                "Where the dashboard listens; keep it on loopback behind the reverse proxy "
                "(docs/howto/dashboard.md). IPv6 in brackets.",
                "Où écoute le tableau de bord ; gardez-le sur la boucle locale derrière le "
                "proxy inverse (docs/howto/dashboard.fr.md). IPv6 entre crochets.",
                '"127.0.0.1:8090"',
            ),
            K(
                "trusted_proxies",
                "list of addresses or networks",
                "[] (none)",
                "Clients whose X-Forwarded-For and X-Forwarded-Proto are believed: your "
                "reverse proxy. Anyone else's are ignored (a client cannot choose the address "
                "a failed login is blamed on).",
                "Clients dont les en-têtes X-Forwarded-For et X-Forwarded-Proto sont crus : "
                "votre proxy inverse. Ceux des autres sont ignorés (un client ne peut pas "
                "choisir l'adresse à qui un échec de connexion est imputé).",
                '["127.0.0.1", "::1"]',
            ),
            K(
                "language",
                '"fr" or "en"',
                '[rempart] language, else "en"',
                "Language of the pages when neither the user nor the browser chooses.",
                "Langue des pages quand ni l'utilisateur ni le navigateur ne choisissent.",
                '"fr"',
            ),
            K(
                "session_idle",
                "duration, 5m to 30d",
                "8h",
                "A session unused this long ends (log in again).",
                "Une session inutilisée pendant ce temps se termine (reconnectez-vous).",
                '"8h"',
            ),
            K(
                "session_max",
                "duration, 5m to 365d",
                "7d",
                "A session ends this long after login, used or not.",
                "Une session se termine ce temps après la connexion, utilisée ou non.",
                '"7d"',
            ),
            K(
                "login_limit",
                "integer 1–1000",
                "5",
                "Failed logins allowed per address, and per account, within login_window; "
                "beyond, the address waits (HTTP 429). Every failure is also written to "
                "auth_log for the agent's rempart-web jail.",
                "Échecs de connexion permis par adresse, et par compte, dans login_window ; "
                "au-delà, l'adresse attend (HTTP 429). Chaque échec est aussi écrit dans "
                "auth_log pour la prison rempart-web de l'agent.",
                "5",
            ),
            K(
                "login_window",
                "duration, 10s to 1d",
                "10m",
                "The window login_limit counts failures in.",
                "La fenêtre dans laquelle login_limit compte les échecs.",
                '"10m"',
            ),
            K(
                "auth_log",
                "path",
                "/var/log/rempart/web-auth.log",
                "File the dashboard appends one line to per failed login (address first, "
                "then the account name, quoted): the agent's rempart-web jail reads it.",
                "Fichier où le tableau de bord ajoute une ligne par échec de connexion "
                "(adresse d'abord, puis le nom du compte, entre guillemets) : la prison "
                "rempart-web de l'agent le lit.",
                '"/var/log/rempart/web-auth.log"',
            ),
            K(
                "secure_cookies",
                '"auto", "always" or "never"',
                '"auto"',
                "Mark the session cookie Secure: auto when the page is served over https "
                "(directly, or as the trusted proxy says).",
                "Marquer le cookie de session Secure : auto quand la page est servie en https "
                "(directement, ou d'après le proxy de confiance).",
                '"always"',
            ),
        ),
        "server.web.agents": (
            K(
                "NODE",
                "path",
                "(none)",
                "An agent whose bans the dashboard shows and changes (unban, allow, ban), by "
                "its node name and the path of its control socket — the same commands as the "
                "CLI. A remote agent's socket can be forwarded over SSH "
                "(docs/howto/dashboard.md). The server's user must be in the agent's "
                "rempart group.",
                "Un agent dont le tableau de bord montre et modifie les bannissements (lever, "
                "autoriser, bannir), par son nom de nœud et le chemin de son socket de "
                "contrôle — les mêmes commandes que la ligne de commande. Le socket d'un agent "
                "distant peut être relayé par SSH (docs/howto/dashboard.fr.md). L'utilisateur "
                "du serveur doit être dans le groupe rempart de l'agent.",
                '"/run/rempart/agent.sock"',
            ),
        ),
    }
)
