"""The documentation of every ``[metrics]`` and ``[probes.*]`` key (merged into ``KEYS``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from rempart.config.keyspec import KeySpec as K
from rempart.config.metrics import PROBE_NAMES

__all__ = ["METRICS_KEYS"]

_ROOTED = " (read under the probe's root)"
_ROOTED_FR = " (lu sous la racine de la sonde)"

METRICS_KEYS: Mapping[str, tuple[K, ...]] = MappingProxyType(
    {
        "metrics": (
            K(
                "enabled",
                "boolean",
                "true",
                "Collect metrics in the agent (probes, munin-node service, Prometheus).",
                "Collecter les métriques dans l'agent (sondes, service munin-node, Prometheus).",
                "true",
            ),
            K(
                "disabled",
                "list of probe names",
                "[]",
                "Probes switched off. Known names: " + ", ".join(PROBE_NAMES) + ". "
                "`rempart probes --local` shows what each costs and whether it has data.",
                "Sondes désactivées. Noms connus : " + ", ".join(PROBE_NAMES) + ". "
                "`rempart probes --local` montre le coût de chacune et si elle a des données.",
                '["psi", "processes"]',
            ),
            K(
                "fresh",
                "duration",
                "5s",
                "An on-demand probe's result is reused this long (one Munin poll = one "
                "collection per probe).",
                "Durée pendant laquelle le résultat d'une sonde à la demande est réutilisé (une "
                "interrogation Munin = une collecte par sonde).",
                '"5s"',
            ),
        ),
        "metrics.munin": (
            K(
                "enabled",
                "boolean",
                "true",
                "Serve the munin-node protocol, so a Munin master can poll the agent.",
                "Servir le protocole munin-node, pour qu'un maître Munin interroge l'agent.",
                "true",
            ),
            K(
                "listen",
                "list of addresses",
                '["127.0.0.1"]',
                "Addresses to listen on.",
                "Adresses d'écoute.",
                '["127.0.0.1", "192.0.2.5"]',
            ),
            K("port", "integer 1–65535", "4949", "TCP port.", "Port TCP.", "4949"),
            K(
                "allow",
                "list of addresses or CIDRs",
                '["127.0.0.1", "::1"]',
                "Who may connect (the Munin master); others are closed without a word.",
                "Qui peut se connecter (le maître Munin) ; les autres sont fermés sans réponse.",
                '["127.0.0.1", "192.0.2.10"]',
            ),
            K(
                "host_name",
                "host name",
                '"" (the FQDN)',
                "Node name in the banner (must match the master's munin.conf section).",
                "Nom du nœud dans la bannière (doit correspondre à la section du munin.conf du "
                "maître).",
                '"web1.example.org"',
            ),
            K(
                "plugins",
                "path",
                '"" (none)',
                "A Munin plugin directory whose plugins the agent runs too.",
                "Un répertoire de greffons Munin que l'agent exécute aussi.",
                '"/etc/munin/plugins"',
            ),
            K(
                "plugin_conf",
                "path",
                '"/etc/munin/plugin-conf.d"',
                'plugin-conf.d directory (user, env., timeout of each plugin); "" for none.',
                'Répertoire plugin-conf.d (user, env., timeout de chaque greffon) ; "" pour aucun.',
                '"/etc/munin/plugin-conf.d"',
            ),
            K(
                "plugin_timeout",
                "duration",
                "10s",
                "A plugin running longer is killed (with its children).",
                "Un greffon qui dure plus longtemps est tué (avec ses enfants).",
                '"10s"',
            ),
            K(
                "plugin_user",
                "user name",
                '"nobody"',
                'User the plugins run as, unless plugin-conf.d says otherwise ("": the agent\'s).',
                'Utilisateur des greffons, sauf indication de plugin-conf.d ("" : celui de '
                "l'agent).",
                '"nobody"',
            ),
        ),
        "metrics.prometheus": (
            K(
                "enabled",
                "boolean",
                "false",
                "Serve the probes in Prometheus' text format on GET /metrics.",
                "Servir les sondes au format texte de Prometheus sur GET /metrics.",
                "true",
            ),
            K(
                "listen",
                "ADDRESS:PORT",
                '"127.0.0.1:9749"',
                "Where the endpoint listens ([::1]:9749 for IPv6).",
                "Adresse d'écoute du point d'accès ([::1]:9749 en IPv6).",
                '"127.0.0.1:9749"',
            ),
        ),
        "probes.df": (
            K(
                "exclude_types",
                "list of filesystem types",
                "pseudo filesystems (tmpfs, proc, overlay…)",
                "Filesystem types not graphed.",
                "Types de systèmes de fichiers non représentés.",
                '["tmpfs", "overlay", "squashfs"]',
            ),
            K(
                "exclude",
                "list of mount point patterns",
                "[]",
                "Mount points not graphed (shell patterns).",
                "Points de montage non représentés (motifs shell).",
                '["/snap/*"]',
            ),
        ),
        "probes.diskstats": (
            K(
                "exclude",
                "list of device patterns",
                '["loop*", "ram*", "zram*", "fd*", "sr*"]',
                "Block devices not graphed.",
                "Périphériques bloc non représentés.",
                '["loop*", "dm-*"]',
            ),
        ),
        "probes.network": (
            K(
                "capacity",
                "table: interface = rate",
                "{}",
                'Link capacity per interface or pattern in bit/s ("1Gbit", "100M"): gives the '
                "utilisation graph where the NIC reports no speed (virtio).",
                'Capacité par interface ou motif en bit/s ("1Gbit", "100M") : donne le graphe '
                "d'utilisation quand la carte n'indique pas sa vitesse (virtio).",
                '{ eth0 = "1Gbit" }',
            ),
            K(
                "exclude",
                "list of interface patterns",
                '["lo"]',
                "Interfaces not graphed (containers' veth are always left to the containers "
                "probe).",
                "Interfaces non représentées (les veth des conteneurs sont laissées à la sonde "
                "containers).",
                '["lo", "docker0"]',
            ),
        ),
        "probes.containers": (
            K(
                "docker_socket",
                "path",
                '"/run/docker.sock"',
                'Docker API socket, for container names ("" to not ask).',
                'Socket de l\'API Docker, pour les noms des conteneurs ("" pour ne pas '
                "l'interroger).",
                '"/run/docker.sock"',
            ),
            K(
                "podman_socket",
                "path",
                '"/run/podman/podman.sock"',
                'Podman API socket ("" to not ask).',
                "Socket de l'API Podman (\"\" pour ne pas l'interroger).",
                '"/run/podman/podman.sock"',
            ),
            K(
                "lxc_path",
                "path",
                '"/var/lib/lxc"',
                "LXC containers directory.",
                "Répertoire des conteneurs LXC.",
                '"/var/lib/lxc"',
            ),
            K(
                "expected",
                "list of names",
                "[]",
                "Containers that must run: each gets an up field (critical when down).",
                "Conteneurs qui doivent tourner : chacun a un champ up (critique s'il est arrêté).",
                '["wordpress", "spip"]',
            ),
        ),
        "probes.services": (
            K(
                "processes",
                "table: name = process name",
                "{}",
                "Services up when a process of that name runs.",
                "Services considérés en marche quand un processus de ce nom tourne.",
                '{ mariadb = "mariadbd" }',
            ),
            K(
                "tcp",
                "table: name = host:port",
                "{}",
                "Services up when a TCP connection succeeds within 1 s.",
                "Services considérés en marche quand une connexion TCP aboutit en 1 s.",
                '{ smtp = "127.0.0.1:25" }',
            ),
            K(
                "units",
                "table: name = systemd unit",
                "{}",
                "Services up when their systemd unit is active.",
                "Services considérés en marche quand leur unité systemd est active.",
                '{ postfix = "postfix.service" }',
            ),
        ),
        "probes.postfix": (
            K(
                "spool",
                "path",
                '"/var/spool/postfix"',
                "Postfix queue directory" + _ROOTED + ".",
                "Répertoire des files de Postfix" + _ROOTED_FR + ".",
                '"/var/spool/postfix"',
            ),
            K(
                "log",
                "path",
                '"/var/log/mail.log"',
                "Mail log read for delivered, deferred, bounced and rejected messages.",
                "Journal du courrier lu pour les messages remis, différés, rejetés.",
                '"/var/log/mail.log"',
            ),
        ),
        "probes.sympa": (
            K(
                "list_data",
                "path",
                '"/var/lib/sympa/list_data"',
                "Sympa's lists directory.",
                "Répertoire des listes de Sympa.",
                '"/var/lib/sympa/list_data"',
            ),
            K(
                "spool",
                "path",
                '"/var/spool/sympa"',
                "Sympa's spool directory.",
                "Répertoire des files de Sympa.",
                '"/var/spool/sympa"',
            ),
            K(
                "log",
                "path",
                '"/var/log/sympa.log"',
                "Sympa's log (messages distributed, bounces).",
                "Journal de Sympa (messages diffusés, rebonds).",
                '"/var/log/sympa.log"',
            ),
        ),
        "probes.mariadb": (
            K(
                "socket",
                "path",
                '"/run/mysqld/mysqld.sock"',
                "MariaDB's Unix socket.",
                "Socket Unix de MariaDB.",
                '"/run/mysqld/mysqld.sock"',
            ),
            K(
                "user",
                "text",
                '"root"',
                "MariaDB user (it needs no privilege to read the global status).",
                "Utilisateur MariaDB (aucun privilège n'est nécessaire pour lire le statut "
                "global).",
                '"rempart"',
            ),
            K(
                "password",
                '"file:PATH" or "env:NAME"',
                "none (socket authentication)",
                "Where the password is read; never the password itself.",
                "Où lire le mot de passe ; jamais le mot de passe lui-même.",
                '"file:/etc/rempart/mariadb.pass"',
            ),
            K(
                "timeout",
                "duration",
                "2s",
                "Connection and query timeout.",
                "Délai de connexion et de requête.",
                '"2s"',
            ),
        ),
        "probes.tls": (
            K(
                "targets",
                "list of host:port or paths",
                "[]",
                "Certificates to watch: a TLS server (SNI = host) or a PEM file.",
                "Certificats à surveiller : un serveur TLS (SNI = hôte) ou un fichier PEM.",
                '["example.org:443", "/etc/ssl/certs/site.pem"]',
            ),
            K(
                "warning_days",
                "number",
                "21",
                "Warning when fewer days are left.",
                "Avertissement quand il reste moins de jours.",
                "21",
            ),
            K(
                "critical_days",
                "number",
                "7",
                "Critical when fewer days are left.",
                "Critique quand il reste moins de jours.",
                "7",
            ),
            K(
                "timeout",
                "duration",
                "5s",
                "Connection timeout.",
                "Délai de connexion.",
                '"5s"',
            ),
            K(
                "interval",
                "duration",
                "1h",
                "Time between checks.",
                "Intervalle entre deux vérifications.",
                '"1h"',
            ),
        ),
        "probes.http": (
            K(
                "sites",
                "array of tables",
                "[]",
                "Sites to check (see [[probes.http.sites]]).",
                "Sites à vérifier (voir [[probes.http.sites]]).",
                '[{ url = "https://example.org/", expect = [200] }]',
            ),
            K(
                "timeout",
                "duration",
                "10s",
                "Time allowed for the whole answer.",
                "Délai accordé à la réponse complète.",
                '"10s"',
            ),
            K(
                "interval",
                "duration",
                "1m",
                "Time between checks.",
                "Intervalle entre deux vérifications.",
                '"1m"',
            ),
        ),
        "probes.http.sites[]": (
            K(
                "url",
                "http(s) URL",
                "(required)",
                "Address fetched (redirects are not followed: a 301 is an answer).",
                "Adresse demandée (les redirections ne sont pas suivies : un 301 est une réponse).",
                '"https://example.org/"',
            ),
            K(
                "name",
                "text",
                "the host name",
                "Field name in the graphs.",
                "Nom du champ dans les graphes.",
                '"blog"',
            ),
            K(
                "expect",
                "list of status codes",
                "any 2xx or 3xx",
                "Status codes that mean up.",
                "Codes de statut qui signifient « en marche ».",
                "[200]",
            ),
            K(
                "contains",
                "text",
                '""',
                "Text the body must contain (first MiB).",
                "Texte que le corps doit contenir (premier Mio).",
                '"Welcome"',
            ),
        ),
    }
)
