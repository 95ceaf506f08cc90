"""French and English text for everything people read.

Messages are looked up by key; each key has an English and a French text with
``{name}`` placeholders. The language comes from ``--lang``, then ``REMPART_LANG``,
then the usual locale variables (``LC_ALL``, ``LC_MESSAGES``, ``LANG``); French when
they start with ``fr``, English otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["LANGUAGES", "MESSAGES", "pick_language", "render"]

LANGUAGES = ("en", "fr")

# key -> (English, French)
MESSAGES: dict[str, tuple[str, str]] = {
    "error.generic": ("{detail}", "{detail}"),
    "config.invalid": (
        "{file}: {key}: {problem}. Fix: {fix}",
        "{file} : {key} : {problem}. Correction : {fix}",
    ),
    "config.unreadable": (
        "{file}: cannot read the configuration ({reason}). Fix: {fix}",
        "{file} : lecture de la configuration impossible ({reason}). Correction : {fix}",
    ),
    "config.syntax": (
        "{file}: not valid TOML ({reason}). Fix: correct the syntax at the place shown",
        "{file} : TOML invalide ({reason}). Correction : corrigez la syntaxe à l'endroit indiqué",
    ),
    "filter.invalid": (
        "filter {filter}: {problem}",
        "filtre {filter} : {problem}",
    ),
    "filter.not_found": (
        "filter {filter}: not found (looked in: {searched}). Fix: give a path to the file, "
        "or one of the shipped filters: {available}",
        "filtre {filter} : introuvable (cherché dans : {searched}). Correction : indiquez le "
        "chemin du fichier, ou un des filtres fournis : {available}",
    ),
    "date.bad_pattern": (
        "datepattern {pattern}: {reason}. Fix: use the %-codes fail2ban knows (%Y %m %d %H "
        "%M %S %b...), %% for a per cent sign, or a keyword: {{^LN-BEG}}, {{DATE}}, {{NONE}}, "
        "EPOCH, LEPOCH, TAI64N",
        "datepattern {pattern} : {reason}. Correction : utilisez les codes % que fail2ban "
        "connaît (%Y %m %d %H %M %S %b...), %% pour un signe pour cent, ou un mot-clé : "
        "{{^LN-BEG}}, {{DATE}}, {{NONE}}, EPOCH, LEPOCH, TAI64N",
    ),
    "filter.bad_regex": (
        "filter {filter}: {option} #{index}: invalid regular expression ({reason}): {regex}",
        "filtre {filter} : {option} n°{index} : expression régulière invalide ({reason}) : {regex}",
    ),
    "filter.unsafe_regex": (
        "filter {filter}: {option} #{index} could take super-linear time on hostile input "
        "({reason}). Fix: {fix}",
        "filtre {filter} : {option} n°{index} pourrait prendre un temps non linéaire sur une "
        "entrée hostile ({reason}). Correction : {fix}",
    ),
    "source.unreadable": (
        "{source}: cannot read ({reason}). Fix: {fix}",
        "{source} : lecture impossible ({reason}). Correction : {fix}",
    ),
    "source.bad_entry": (
        "{source}: journal entry not understood, skipped ({reason})",
        "{source} : entrée du journal incomprise, ignorée ({reason})",
    ),
    "source.bad_match": (
        "{source}: journal match {match!r} is not FIELD=value, + or /path/of/program. "
        'Fix: write it like "_SYSTEMD_UNIT=ssh.service"',
        "{source} : le filtre de journal {match!r} n'est ni CHAMP=valeur, ni +, ni "
        '/chemin/du/programme. Correction : écrivez-le comme "_SYSTEMD_UNIT=ssh.service"',
    ),
    "source.journal_failed": (
        "{source}: journalctl failed ({reason})",
        "{source} : échec de journalctl ({reason})",
    ),
    "source.missing_program": (
        "{source}: program {program} not found. Fix: install the Debian package {package} "
        "(apt-get install {package})",
        "{source} : programme {program} introuvable. Correction : installez le paquet Debian "
        "{package} (apt-get install {package})",
    ),
    "state.unusable": (
        "state database {path}: {reason}. Fix: {fix}",
        "base d'état {path} : {reason}. Correction : {fix}",
    ),
    "state.migration_failed": (
        "state database {path}: migration {migration} failed ({reason}); nothing was changed. "
        "Fix: restore a backup of the database, or report the problem",
        "base d'état {path} : la migration {migration} a échoué ({reason}) ; rien n'a été "
        "modifié. Correction : restaurez une sauvegarde de la base, ou signalez le problème",
    ),
    "state.too_new": (
        "state database {path} has schema version {found}, newer than this rempart knows "
        "({known}). Fix: run the rempart version that wrote it (or newer); never an older one",
        "la base d'état {path} a le schéma version {found}, plus récent que ce que connaît ce "
        "rempart ({known}). Correction : utilisez la version de rempart qui l'a écrite (ou "
        "plus récente), jamais une plus ancienne",
    ),
    "usage.invalid": ("{detail}", "{detail}"),
    # --- firewall (nftables adapter) ---
    "firewall.failed": ("nftables: {detail}", "nftables : {detail}"),
    "firewall.drifted": (
        "nftables: sets of table inet {table} are gone ({missing}): someone emptied the "
        "ruleset (nft flush ruleset, systemctl restart nftables). Fix: nothing, rempart sets "
        "it up again; to avoid it, restart rempart-agent with nftables (PartOf=)",
        "nftables : des ensembles de la table inet {table} ont disparu ({missing}) : quelqu'un "
        "a vidé les règles (nft flush ruleset, systemctl restart nftables). Correction : rien, "
        "rempart la remet en place ; pour l'éviter, redémarrez rempart-agent avec nftables "
        "(PartOf=)",
    ),
    "firewall.refused": (
        "nftables refused the {action} batch: {error}. Fix: read nftables' message; "
        "`nft list set inet rempart sshd_v4` shows a jail's bans (not `list table`: with a large "
        "blocklist it prints every address)",
        "nftables a refusé le lot {action} : {error}. Correction : lisez le message de "
        "nftables ; `nft list set inet rempart sshd_v4` montre les bannissements d'une prison "
        "(pas `list table` : avec une grande liste de blocage, il affiche chaque adresse)",
    ),
    "firewall.permission": (
        "nftables: permission denied ({error}). Fix: run rempart as root or with the "
        "CAP_NET_ADMIN capability (systemd: AmbientCapabilities=CAP_NET_ADMIN), or use "
        "--firewall dry-run",
        "nftables : permission refusée ({error}). Correction : lancez rempart en root ou avec "
        "la capacité CAP_NET_ADMIN (systemd : AmbientCapabilities=CAP_NET_ADMIN), ou utilisez "
        "--firewall dry-run",
    ),
    "firewall.unsupported": (
        "nftables: this kernel has no nf_tables support ({error}). Fix: load it "
        "(modprobe nf_tables) or boot a kernel built with CONFIG_NF_TABLES (Debian's is), "
        "or use --firewall dry-run",
        "nftables : ce noyau ne gère pas nf_tables ({error}). Correction : chargez-le "
        "(modprobe nf_tables) ou démarrez un noyau compilé avec CONFIG_NF_TABLES (celui de "
        "Debian l'est), ou utilisez --firewall dry-run",
    ),
    "firewall.missing_program": (
        "nftables: program {program} not found. Fix: apt-get install nftables",
        "nftables : programme {program} introuvable. Correction : apt-get install nftables",
    ),
    "firewall.missing_library": (
        "nftables: cannot load {library} ({reason}). Fix: apt-get install libnftables1 "
        "(the nftables package brings it)",
        "nftables : impossible de charger {library} ({reason}). Correction : apt-get install "
        "libnftables1 (le paquet nftables l'installe)",
    ),
    "firewall.timeout": (
        "nftables: {program} did not answer within {timeout} s. Fix: look at the machine's "
        "load and at `nft list ruleset`; then restart rempart",
        "nftables : {program} n'a pas répondu en {timeout} s. Correction : regardez la charge "
        "de la machine et `nft list ruleset`, puis relancez rempart",
    ),
    "firewall.netns": (
        "nftables: cannot work in network namespace {path} ({reason}); refusing to touch any "
        "firewall. Fix: give the path of a network namespace (/run/netns/NAME) and run as root",
        "nftables : impossible de travailler dans l'espace de noms réseau {path} ({reason}) ; "
        "aucun pare-feu n'est modifié. Correction : donnez le chemin d'un espace de noms réseau "
        "(/run/netns/NOM) et lancez en root",
    ),
    "firewall.bad_output": (
        "nftables: output not understood ({reason}). Fix: report it with the output of "
        "`nft -j list table inet {table}`",
        "nftables : sortie incomprise ({reason}). Correction : signalez-le avec la sortie de "
        "`nft -j list table inet {table}`",
    ),
    "firewall.closed": (
        "nftables: the firewall connection is closed. Fix: open it again (restart rempart)",
        "nftables : la connexion au pare-feu est fermée. Correction : rouvrez-la (relancez "
        "rempart)",
    ),
    "firewall.unknown_kind": (
        "unknown firewall backend {kind!r}. Fix: use auto, nftables or dry-run",
        "moteur de pare-feu inconnu {kind!r}. Correction : utilisez auto, nftables ou dry-run",
    ),
    "firewall.fallback": (
        "nftables cannot be used, running in DRY-RUN: nothing will be banned. {reason}",
        "nftables est inutilisable, fonctionnement À BLANC : personne ne sera banni. {reason}",
    ),
    # --- state (bans, history, allows) ---
    #
    #
    #
    # --- control (socket, CLI commands) ---
    "control.failed": ("{detail}", "{detail}"),
    "control.not_running": (
        "the agent is not running (no answer on {path}: {reason}). Fix: start it: "
        "systemctl start rempart-agent, or rempart agent",
        "l'agent ne tourne pas (pas de réponse sur {path} : {reason}). Correction : "
        "démarrez-le : systemctl start rempart-agent, ou rempart agent",
    ),
    "control.permission": (
        "permission denied on {path}. Fix: run as root or add your user to the rempart group "
        "(adduser USER rempart, then log in again)",
        "permission refusée sur {path}. Correction : lancez la commande en root ou ajoutez "
        "votre utilisateur au groupe rempart (adduser UTILISATEUR rempart, puis reconnectez-vous)",
    ),
    "control.timeout": (
        "the agent did not answer on {path} within {seconds} s. Fix: look at its state and log: "
        "systemctl status rempart-agent; journalctl -u rempart-agent",
        "l'agent n'a pas répondu sur {path} en {seconds} s. Correction : regardez son état et "
        "son journal : systemctl status rempart-agent ; journalctl -u rempart-agent",
    ),
    "control.unreachable": (
        "cannot talk to the agent on {path} ({reason}). Fix: check that it runs: "
        "systemctl status rempart-agent",
        "dialogue impossible avec l'agent sur {path} ({reason}). Correction : vérifiez qu'il "
        "tourne : systemctl status rempart-agent",
    ),
    "control.bad_response": (
        "the agent's answer on {path} is not understood ({reason}). Fix: use the rempart "
        "command of the same version as the agent (rempart version; systemctl restart "
        "rempart-agent after an upgrade)",
        "la réponse de l'agent sur {path} est incompréhensible ({reason}). Correction : "
        "utilisez la commande rempart de la même version que l'agent (rempart version ; "
        "systemctl restart rempart-agent après une mise à jour)",
    ),
    "control.refused": (
        "the agent refused this client (uid {uid}): only root, the agent's user and the "
        "group {group} may control it. Fix: run as root or add your user to the rempart group",
        "l'agent a refusé ce client (uid {uid}) : seuls root, l'utilisateur de l'agent et le "
        "groupe {group} peuvent le piloter. Correction : lancez la commande en root ou ajoutez "
        "votre utilisateur au groupe rempart",
    ),
    "control.bad_request": (
        "request not understood by the agent: {reason}. Fix: use the rempart command of the "
        "same version as the agent",
        "requête incomprise par l'agent : {reason}. Correction : utilisez la commande rempart "
        "de la même version que l'agent",
    ),
    "control.unknown_command": (
        "the agent does not know the command {command!r} (it knows: {known}). Fix: use the "
        "rempart command of the same version as the agent",
        "l'agent ne connaît pas la commande {command!r} (il connaît : {known}). Correction : "
        "utilisez la commande rempart de la même version que l'agent",
    ),
    "control.too_large": (
        "request larger than {limit} bytes, refused. Fix: send shorter arguments",
        "requête de plus de {limit} octets, refusée. Correction : envoyez des arguments "
        "plus courts",
    ),
    "control.internal": (
        "the agent failed while running {command} ({reason}). Fix: read its log "
        "(journalctl -u rempart-agent) and report the problem",
        "l'agent a échoué en exécutant {command} ({reason}). Correction : lisez son journal "
        "(journalctl -u rempart-agent) et signalez le problème",
    ),
    "control.in_use": (
        "{path}: another agent already answers on this socket. Fix: stop it first "
        "(systemctl stop rempart-agent), or give this one another --socket",
        "{path} : un autre agent répond déjà sur ce socket. Correction : arrêtez-le d'abord "
        "(systemctl stop rempart-agent), ou donnez à celui-ci un autre --socket",
    ),
    "control.not_a_socket": (
        "{path} exists and is not a socket; it was left alone. Fix: move it away, or give "
        "another --socket",
        "{path} existe et n'est pas un socket ; il n'a pas été touché. Correction : "
        "déplacez-le, ou indiquez un autre --socket",
    ),
    "control.setup_failed": (
        "cannot create the control socket {path} ({reason}). Fix: run the agent as root, or "
        "give a --socket in a directory it may write (systemd: RuntimeDirectory=rempart)",
        "création du socket de contrôle {path} impossible ({reason}). Correction : lancez "
        "l'agent en root, ou indiquez un --socket dans un répertoire où il peut écrire "
        "(systemd : RuntimeDirectory=rempart)",
    ),
    "control.bad_duration": (
        "--for {value!r}: {reason}. Fix: give a duration such as 90s, 10m, 1h, 2d, 1w",
        "--for {value!r} : {reason}. Correction : indiquez une durée comme 90s, 10m, 1h, 2d, 1w",
    ),
    #
    #
    #
    # --- agent ---
    #
    #
    #
    # --- abuseipdb client (adapters/abuseipdb) ---
    "abuseipdb.failed": ("AbuseIPDB: {detail}", "AbuseIPDB : {detail}"),
    "abuseipdb.secret_no_variable": (
        "AbuseIPDB key: the environment variable {where} is not set. Fix: set it in the "
        "agent's environment (systemd: EnvironmentFile= pointing to a file readable by root "
        'only), or write key = "file:/etc/rempart/abuseipdb.key" in [abuseipdb]',
        "clé AbuseIPDB : la variable d'environnement {where} n'est pas définie. Correction : "
        "définissez-la dans l'environnement de l'agent (systemd : EnvironmentFile= vers un "
        'fichier lisible par root seul), ou écrivez key = "file:/etc/rempart/abuseipdb.key" '
        "dans [abuseipdb]",
    ),
    "abuseipdb.secret_no_file": (
        "AbuseIPDB key: {where} does not exist. Fix: write the key on one line in that file "
        "(owned by the user rempart runs as, chmod 600), or correct abuseipdb.key",
        "clé AbuseIPDB : {where} n'existe pas. Correction : écrivez la clé sur une ligne dans "
        "ce fichier (propriété de l'utilisateur de rempart, chmod 600), ou corrigez abuseipdb.key",
    ),
    "abuseipdb.secret_not_file": (
        "AbuseIPDB key: {where} is not a regular file. Fix: point abuseipdb.key to a file "
        "holding the key on one line",
        "clé AbuseIPDB : {where} n'est pas un fichier ordinaire. Correction : faites pointer "
        "abuseipdb.key vers un fichier contenant la clé sur une ligne",
    ),
    "abuseipdb.secret_unreadable": (
        "AbuseIPDB key: cannot read {where} ({reason}). Fix: make it readable by the user "
        "rempart runs as (chown that user, chmod 600)",
        "clé AbuseIPDB : lecture de {where} impossible ({reason}). Correction : rendez-le "
        "lisible par l'utilisateur de rempart (chown vers cet utilisateur, chmod 600)",
    ),
    "abuseipdb.secret_too_long": (
        "AbuseIPDB key: {where} is longer than {limit} bytes, it is not a key. Fix: write only "
        "the key (80 characters, from your AbuseIPDB account's API page) in it",
        "clé AbuseIPDB : {where} dépasse {limit} octets, ce n'est pas une clé. Correction : "
        "n'y écrivez que la clé (80 caractères, page API de votre compte AbuseIPDB)",
    ),
    "abuseipdb.secret_empty": (
        "AbuseIPDB key: {where} is empty. Fix: put the key (80 characters, from your "
        "AbuseIPDB account's API page) there",
        "clé AbuseIPDB : {where} est vide. Correction : mettez-y la clé (80 caractères, page "
        "API de votre compte AbuseIPDB)",
    ),
    "abuseipdb.secret_lines": (
        "AbuseIPDB key: {where} holds several lines. Fix: keep only the key, on one line",
        "clé AbuseIPDB : {where} contient plusieurs lignes. Correction : ne gardez que la "
        "clé, sur une ligne",
    ),
    "abuseipdb.secret_characters": (
        "AbuseIPDB key: {where} holds a space, a control or a non-ASCII character (position "
        "{position}). Fix: copy the key again from your AbuseIPDB account's API page, "
        "without quotes or spaces",
        "clé AbuseIPDB : {where} contient une espace, un caractère de contrôle ou non ASCII "
        "(position {position}). Correction : recopiez la clé depuis la page API de votre "
        "compte AbuseIPDB, sans guillemets ni espaces",
    ),
    "abuseipdb.download_unwritable": (
        "AbuseIPDB blacklist: cannot write {path} ({reason}). Fix: check the state "
        "directory's owner, permissions and free space",
        "liste noire AbuseIPDB : écriture de {path} impossible ({reason}). Correction : "
        "vérifiez le propriétaire, les droits et l'espace libre du répertoire d'état",
    ),
    "abuseipdb.key_file_open": (
        "AbuseIPDB key file {path} can be read by other users (mode {mode}). Fix: chmod 600 {path}",
        "le fichier de clé AbuseIPDB {path} est lisible par d'autres utilisateurs (mode "
        "{mode}). Correction : chmod 600 {path}",
    ),
    #
    #
    #
    # --- abuseipdb blocklist ---
    "blocklist.no_sets": (
        "the firewall layout of table inet {table} has no blocklist sets. Fix: enable "
        "[abuseipdb.blocklist] in the configuration and restart the agent, so that it "
        "creates them",
        "la table inet {table} n'a pas d'ensembles de liste de blocage. Correction : "
        "activez [abuseipdb.blocklist] dans la configuration et redémarrez l'agent, pour "
        "qu'il les crée",
    ),
    "blocklist.unreadable": (
        "{path}: cannot read the saved AbuseIPDB blocklist ({reason}). Fix: check the state "
        "directory's permissions (rempart runs as root)",
        "{path} : lecture impossible de la liste de blocage AbuseIPDB enregistrée ({reason}). "
        "Correction : vérifiez les droits du répertoire d'état (rempart tourne en root)",
    ),
    "blocklist.corrupt": (
        "{path}: not an AbuseIPDB blocklist saved by rempart ({reason}). Fix: delete the "
        "file; the next download writes it again",
        "{path} : ce n'est pas une liste de blocage AbuseIPDB enregistrée par rempart "
        "({reason}). Correction : supprimez le fichier ; le prochain téléchargement le récrit",
    ),
    "blocklist.unwritable": (
        "{path}: cannot save the AbuseIPDB blocklist ({reason}). Fix: check the state "
        "directory's permissions and free space",
        "{path} : enregistrement impossible de la liste de blocage AbuseIPDB ({reason}). "
        "Correction : vérifiez les droits et la place libre du répertoire d'état",
    ),
    "blocklist.kept": (
        "AbuseIPDB blocklist: the download failed ({reason}); the last good list stays in "
        "force ({count} addresses, fetched {fetched}). Next attempt: {next}. Fix: {fix}",
        "liste de blocage AbuseIPDB : échec du téléchargement ({reason}) ; la dernière bonne "
        "liste reste en vigueur ({count} adresses, obtenue {fetched}). Prochain essai : "
        "{next}. Correction : {fix}",
    ),
    "blocklist.failed": (
        "AbuseIPDB blocklist: the download failed ({reason}); no list in force yet. Next "
        "attempt: {next}. Fix: {fix}",
        "liste de blocage AbuseIPDB : échec du téléchargement ({reason}) ; aucune liste en "
        "vigueur pour l'instant. Prochain essai : {next}. Correction : {fix}",
    ),
    "blocklist.fix.retry": (
        "none needed if it passes (rempart tries again); if it lasts, check that this "
        "machine reaches api.abuseipdb.com",
        "rien si cela passe (rempart réessaie) ; si cela dure, vérifiez que cette machine "
        "joint api.abuseipdb.com",
    ),
    "blocklist.fix.quota": (
        "none: rempart waits for AbuseIPDB's daily reset (00:00 UTC) and never makes more "
        "than daily_limits.blacklist downloads a day",
        "rien : rempart attend la remise à zéro quotidienne d'AbuseIPDB (00:00 UTC) et ne "
        "fait jamais plus de daily_limits.blacklist téléchargements par jour",
    ),
    "blocklist.fix.key": (
        "check the key given by abuseipdb.key: AbuseIPDB refused it",
        "vérifiez la clé indiquée par abuseipdb.key : AbuseIPDB l'a refusée",
    ),
    "blocklist.fix.plan": (
        "check [abuseipdb.blocklist]: confidence_minimum below 100 or a limit above 10000 "
        "need a paid plan",
        "vérifiez [abuseipdb.blocklist] : confidence_minimum sous 100 ou une limite au-delà "
        "de 10000 demandent un abonnement payant",
    ),
    "blocklist.fix.local": (
        "check the state directory's permissions and free space",
        "vérifiez les droits et la place libre du répertoire d'état",
    ),
    "blocklist.not_applied": (
        "AbuseIPDB blocklist: {count} addresses could not be put in the firewall ({reason}). "
        "Fix: see the firewall error above; rempart tries again at the next download or "
        "restart",
        "liste de blocage AbuseIPDB : {count} adresses n'ont pas pu être mises dans le "
        "pare-feu ({reason}). Correction : voyez l'erreur du pare-feu ci-dessus ; rempart "
        "réessaie au prochain téléchargement ou redémarrage",
    ),
    #
    #
    #
    # --- abuseipdb reporting ---
    "abuseipdb.report.unauthorized": (
        "AbuseIPDB refused the key (HTTP {status}: {detail}); reporting is paused, {queued} "
        "reports are kept in the queue. Fix: check the key (abuseipdb.key), then restart the "
        "agent",
        "AbuseIPDB a refusé la clé (HTTP {status} : {detail}) ; les signalements sont "
        "suspendus, {queued} signalements restent en file. Correction : vérifiez la clé "
        "(abuseipdb.key), puis redémarrez l'agent",
    ),
    "abuseipdb.report.payment_required": (
        "AbuseIPDB: {endpoint} is not in the plan of this key (HTTP 402: {detail}); rempart no "
        "longer uses it. Fix: set abuseipdb.report.{setting} = false, or upgrade the plan and "
        "restart the agent",
        "AbuseIPDB : {endpoint} ne fait pas partie de l'offre de cette clé (HTTP 402 : "
        "{detail}) ; rempart ne l'utilise plus. Correction : mettez abuseipdb.report.{setting} "
        "= false, ou changez d'offre et redémarrez l'agent",
    ),
    "abuseipdb.report.daily_limit": (
        "AbuseIPDB: the daily quota of {endpoint} is used up; calls paused until {until} "
        "(00:00 UTC), the queue is kept. Fix: nothing to do; raise "
        "abuseipdb.daily_limits.{endpoint} only if your plan allows more",
        "AbuseIPDB : le quota quotidien de {endpoint} est épuisé ; appels suspendus jusqu'à "
        "{until} (00:00 UTC), la file est conservée. Correction : rien à faire ; augmentez "
        "abuseipdb.daily_limits.{endpoint} seulement si votre offre le permet",
    ),
    "abuseipdb.report.rate_limited": (
        "AbuseIPDB asked to slow down ({detail}); calls of {endpoint} paused until {until}. "
        "Fix: nothing to do, rempart resumes by itself",
        "AbuseIPDB demande de ralentir ({detail}) ; appels de {endpoint} suspendus jusqu'à "
        "{until}. Correction : rien à faire, rempart reprend de lui-même",
    ),
    "abuseipdb.report.retrying": (
        "AbuseIPDB did not answer a report of {address} ({outcome}: {detail}); it stays in the "
        "queue and is sent again at {at}. Fix: nothing to do unless it lasts; then check the "
        "network and abuseipdb.url",
        "AbuseIPDB n'a pas répondu au signalement de {address} ({outcome} : {detail}) ; il "
        "reste en file et sera renvoyé à {at}. Correction : rien à faire sauf si cela dure ; "
        "vérifiez alors le réseau et abuseipdb.url",
    ),
    "abuseipdb.report.invalid": (
        "AbuseIPDB refused the report of {address} (jail {jail}): {detail}; it is dropped. "
        "Fix: check abuseipdb.report.categories.{jail}",
        "AbuseIPDB a refusé le signalement de {address} (prison {jail}) : {detail} ; il est "
        "abandonné. Correction : vérifiez abuseipdb.report.categories.{jail}",
    ),
    "abuseipdb.report.budget": (
        "AbuseIPDB: no call of {endpoint} left today in rempart's budget ({used} of {limit} "
        "used); next possible at {until}. Fix: wait, or raise abuseipdb.daily_limits.{endpoint} "
        "if your plan allows more",
        "AbuseIPDB : plus aucun appel de {endpoint} disponible aujourd'hui dans le budget de "
        "rempart ({used} sur {limit} utilisés) ; prochain possible à {until}. Correction : "
        "attendez, ou augmentez abuseipdb.daily_limits.{endpoint} si votre offre le permet",
    ),
    #
    #
    #
    # --- abuseipdb agent and command line ---
    "abuseipdb.cli.off": (
        "AbuseIPDB is not in use on this agent. Fix: set [abuseipdb] enabled = true and a key "
        "(see docs/howto/abuseipdb.md), then restart the agent",
        "AbuseIPDB n'est pas utilisé par cet agent. Correction : mettez [abuseipdb] enabled = "
        "true et une clé (voir docs/howto/abuseipdb.fr.md), puis redémarrez l'agent",
    ),
    "abuseipdb.cli.reports_off": (
        "no jail reports to AbuseIPDB. Fix: list jails in [abuseipdb.report] categories, e.g. "
        "categories = {{ sshd = [18, 22] }}, then restart the agent",
        "aucune prison ne signale à AbuseIPDB. Correction : listez des prisons dans "
        "[abuseipdb.report] categories, par ex. categories = {{ sshd = [18, 22] }}, puis "
        "redémarrez l'agent",
    ),
    "probe.failed": (
        "probe {probe} failed: {reason}",
        "la sonde {probe} a échoué : {reason}",
    ),
    "munin.failed": (
        "munin-node service: {reason}",
        "service munin-node : {reason}",
    ),
    #
    #
    #
    # --- probes: system (cpu, memory, disk, network...) ---
    #
    #
    #
    # --- probes: containers and services ---
    "probe.services.bad_target": (
        "services probe: tcp check {name} = {target!r} is not host:port. Fix: write it as "
        'host:port, e.g. "127.0.0.1:25" or "[::1]:3306", in [probes.services] tcp',
        "sonde services : le test tcp {name} = {target!r} n'est pas hôte:port. Correction : "
        'écrivez-le hôte:port, par ex. "127.0.0.1:25" ou "[::1]:3306", dans '
        "[probes.services] tcp",
    ),
    "probe.services.bad_unit": (
        "services probe: unit check {name} = {unit!r} is not a systemd unit name. Fix: give "
        'the unit as systemctl lists it, e.g. "mariadb.service", in [probes.services] units',
        "sonde services : le test d'unité {name} = {unit!r} n'est pas un nom d'unité systemd. "
        "Correction : donnez l'unité comme systemctl l'affiche, par ex. \"mariadb.service\", "
        "dans [probes.services] units",
    ),
    #
    #
    #
    # --- probes: applications (postfix, sympa, mariadb) ---
    "probe.apps.unreadable": (
        "probe {probe} cannot read {path}: {reason}. Fix: run the agent as root (the mail "
        "spools and logs belong to their daemons), or switch the probe off with [metrics] "
        'disabled = ["{probe}"]',
        "la sonde {probe} ne peut pas lire {path} : {reason}. Correction : lancez l'agent en "
        "root (les files et journaux de messagerie appartiennent à leurs démons), ou coupez la "
        'sonde avec [metrics] disabled = ["{probe}"]',
    ),
    #
    #
    #
    # --- probes: checks (tls, http) ---
    "probe.tls.unreachable": (
        "{target}: no certificate read ({reason}). Fix: check that the service answers TLS on "
        "that port from this machine and that the name resolves, or remove the target from "
        "[probes.tls] targets",
        "{target} : aucun certificat lu ({reason}). Correction : vérifiez que le service répond "
        "en TLS sur ce port depuis cette machine et que le nom se résout, ou retirez la cible "
        "de [probes.tls] targets",
    ),
    "probe.tls.unverified": (
        "{target}: the certificate does not verify ({reason}). Fix: renew it, or serve the full "
        "chain from a CA this machine trusts, with this name in the certificate",
        "{target} : le certificat n'est pas validé ({reason}). Correction : renouvelez-le, ou "
        "servez la chaîne complète d'une AC reconnue par cette machine, avec ce nom dans le "
        "certificat",
    ),
    "probe.tls.unreadable": (
        "{target}: no certificate read from the file ({reason}). Fix: point [probes.tls] "
        "targets at a readable PEM or DER certificate file (the leaf first)",
        "{target} : aucun certificat lu dans le fichier ({reason}). Correction : indiquez dans "
        "[probes.tls] targets un fichier de certificat PEM ou DER lisible (le certificat final "
        "en premier)",
    ),
    "probe.tls.bad_target": (
        "{target}: not a TLS target ({reason}). Fix: write host:port, [IPv6]:port or an "
        "absolute path in [probes.tls] targets",
        "{target} : ce n'est pas une cible TLS ({reason}). Correction : écrivez hôte:port, "
        "[IPv6]:port ou un chemin absolu dans [probes.tls] targets",
    ),
    "probe.http.unreachable": (
        "{site}: no answer ({reason}). Fix: check that the site answers from this machine "
        "(address, port, certificate), or correct its url in [probes.http] sites",
        "{site} : pas de réponse ({reason}). Correction : vérifiez que le site répond depuis "
        "cette machine (adresse, port, certificat), ou corrigez son url dans [probes.http] sites",
    ),
    "probe.http.status": (
        "{site}: answered {status}, expected {expected}. Fix: repair the site, or set the "
        "codes it should answer in its expect list in [probes.http] sites",
        "{site} : a répondu {status}, attendu {expected}. Correction : réparez le site, ou "
        "indiquez les codes qu'il doit renvoyer dans sa liste expect de [probes.http] sites",
    ),
    "probe.http.missing": (
        "{site}: the text {text!r} is not in the first {limit} of the answer. Fix: repair the "
        "site, or correct its contains in [probes.http] sites",
        "{site} : le texte {text!r} n'est pas dans le premier {limit} de la réponse. "
        "Correction : réparez le site, ou corrigez son contains dans [probes.http] sites",
    ),
    #
    #
    #
    # --- munin protocol and node server ---
    "munin.bind_in_use": (
        "munin-node service: cannot listen on {address} port {port}: the port is already in use "
        "(Debian's munin-node?). Fix: stop the other service (systemctl disable --now "
        "munin-node) or set [metrics.munin] port to a free port",
        "service munin-node : écoute impossible sur {address} port {port} : le port est déjà "
        "utilisé (le munin-node de Debian ?). Correction : arrêtez l'autre service (systemctl "
        "disable --now munin-node) ou choisissez un port libre dans [metrics.munin] port",
    ),
    "munin.bind_denied": (
        "munin-node service: cannot listen on {address} port {port}: permission denied (a port "
        "below 1024 needs root or CAP_NET_BIND_SERVICE). Fix: use a port from 1024 up (Munin's "
        "is 4949) in [metrics.munin] port, or run the agent as root",
        "service munin-node : écoute impossible sur {address} port {port} : permission refusée "
        "(un port sous 1024 demande root ou CAP_NET_BIND_SERVICE). Correction : prenez un port "
        "à partir de 1024 (celui de Munin est 4949) dans [metrics.munin] port, ou lancez "
        "l'agent en root",
    ),
    "munin.bind_address": (
        "munin-node service: cannot listen on {address} port {port} ({reason}). Fix: list in "
        "[metrics.munin] listen only addresses this machine has (ip -brief address)",
        "service munin-node : écoute impossible sur {address} port {port} ({reason}). "
        "Correction : ne mettez dans [metrics.munin] listen que des adresses de cette machine "
        "(ip -brief address)",
    ),
    "munin.bind_failed": (
        "munin-node service: cannot listen on {address} port {port} ({reason}). Fix: check "
        "[metrics.munin] listen and port, then restart the agent",
        "service munin-node : écoute impossible sur {address} port {port} ({reason}). "
        "Correction : vérifiez [metrics.munin] listen et port, puis redémarrez l'agent",
    ),
    #
    #
    #
    # --- munin plugins (plugin runner) ---
    "munin.plugin_dir": (
        "Munin plugin directory {path} cannot be read ({reason}): no plugin will run. "
        'Fix: create it or set [metrics.munin] plugins to the right directory ("" = none).',
        "le répertoire de plugins Munin {path} est illisible ({reason}) : aucun plugin ne "
        'tournera. Correctif : créez-le ou réglez [metrics.munin] plugins ("" = aucun).',
    ),
    "munin.plugin_conf": (
        "plugin-conf.d: {problem}; the rest of this file is ignored, as munin-node does. "
        "Fix: correct that line (keys: user, group, command, host_name, timeout, env.NAME).",
        "plugin-conf.d : {problem} ; la suite de ce fichier est ignorée, comme le fait "
        "munin-node. Correctif : corrigez la ligne (clés : user, group, command, host_name, "
        "timeout, env.NOM).",
    ),
    "munin.plugin_conf_unreadable": (
        "plugin-conf.d file {path} cannot be read ({reason}); it is skipped. "
        "Fix: check its permissions.",
        "le fichier plugin-conf.d {path} est illisible ({reason}) ; il est ignoré. "
        "Correctif : vérifiez ses droits.",
    ),
    "munin.plugin_user": (
        "Munin plugin {plugin} is left out: {reason}. Fix: create that user or group, or set "
        "another in plugin-conf.d ([{plugin}] user … / group …).",
        "le plugin Munin {plugin} est écarté : {reason}. Correctif : créez cet utilisateur ou "
        "ce groupe, ou indiquez-en un autre dans plugin-conf.d ([{plugin}] user … / group …).",
    ),
    "munin.plugin_left_out": (
        "Munin plugin {plugin} is left out: its config run gave {outcome}. "
        "Fix: try it by hand with munin-run {plugin} config, then restart the agent.",
        "le plugin Munin {plugin} est écarté : son exécution config a donné {outcome}. "
        "Correctif : essayez-le à la main avec munin-run {plugin} config, puis redémarrez l'agent.",
    ),
    "munin.plugin_failed": (
        "Munin plugin {plugin} ({action}): {outcome} ({reason}). "
        "Fix: run munin-run {plugin} {action} to see what it does.",
        "plugin Munin {plugin} ({action}) : {outcome} ({reason}). "
        "Correctif : lancez munin-run {plugin} {action} pour voir ce qu'il fait.",
    ),
    "munin.plugin_stderr": (
        "Munin plugin {plugin} wrote on its error output: {text}",
        "le plugin Munin {plugin} a écrit sur sa sortie d'erreur : {text}",
    ),
    "munin.plugin_state_dir": (
        "state directory {path} for Munin plugins cannot be made ({reason}). "
        "Fix: check that its parent exists and is writable by rempart.",
        "le répertoire d'état {path} des plugins Munin ne peut être créé ({reason}). "
        "Correctif : vérifiez que son parent existe et que rempart peut y écrire.",
    ),
    "munin.plugin_ignore": (
        "ignore pattern {pattern!r} for Munin plugins is not a valid regular expression "
        "({reason}). Fix: correct it.",
        "le motif d'exclusion {pattern!r} des plugins Munin n'est pas une expression "
        "régulière valide ({reason}). Correctif : corrigez-le.",
    ),
    #
    #
    #
    # --- metrics in the agent (config, probe service, prometheus, cli) ---
    "metrics.prometheus_bind": (
        "Prometheus endpoint: cannot listen on {address} ({reason}). Fix: choose a free "
        "address and port in [metrics.prometheus] listen, or set enabled = false",
        "point d'accès Prometheus : écoute impossible sur {address} ({reason}). Correction : "
        "choisissez une adresse et un port libres dans [metrics.prometheus] listen, ou mettez "
        "enabled = false",
    ),
    #
    #
    #
    # --- server: store (time series, rollups) ---
    #
    #
    #
    # --- server: poller (munin client, rounds, nodes) ---
    "poller.connect": (
        "cannot connect to {address} port {port} ({reason}). Fix: check that munin-node (or "
        "the rempart agent) runs there, listens on that address and port, and that no firewall "
        "drops the server",
        "connexion impossible à {address} port {port} ({reason}). Correction : vérifiez que "
        "munin-node (ou l'agent rempart) y tourne, écoute à cette adresse et ce port, et "
        "qu'aucun pare-feu ne bloque le serveur",
    ),
    "poller.timeout": (
        "no complete answer within {seconds} s ({received} bytes received). Fix: check the "
        "node's load and its slow plugins (munin-run PLUGIN), or raise [server] timeout",
        "pas de réponse complète en {seconds} s ({received} octets reçus). Correction : "
        "vérifiez la charge du nœud et ses greffons lents (munin-run GREFFON), ou augmentez "
        "[server] timeout",
    ),
    "poller.closed": (
        "the node closed the connection before its answer was complete. Fix: check that its "
        "munin-node.conf allows this server (allow / cidr_allow lines), and its log",
        "le nœud a fermé la connexion avant la fin de sa réponse. Correction : vérifiez que "
        "son munin-node.conf autorise ce serveur (lignes allow / cidr_allow), et son journal",
    ),
    "poller.banner": (
        'the node did not greet like a munin-node (no "# munin node at NAME" line). Fix: '
        "check that the address and port are those of munin-node or a rempart agent",
        "le nœud ne s'est pas présenté comme un munin-node (pas de ligne \"# munin node at "
        "NOM\"). Correction : vérifiez que l'adresse et le port sont ceux de munin-node ou "
        "d'un agent rempart",
    ),
    "poller.line_too_long": (
        "the node sent a line longer than {limit} bytes. Fix: check the plugin that prints it "
        "(munin-run PLUGIN config / fetch)",
        "le nœud a envoyé une ligne de plus de {limit} octets. Correction : vérifiez le greffon "
        "qui l'écrit (munin-run GREFFON config / fetch)",
    ),
    "poller.reply_too_big": (
        "the node sent more than {limit} bytes in one session. Fix: check its plugins "
        "(munin-run PLUGIN), or disable the one that floods",
        "le nœud a envoyé plus de {limit} octets en une session. Correction : vérifiez ses "
        "greffons (munin-run GREFFON), ou désactivez celui qui inonde",
    ),
    #
    #
    #
    # --- server: alerts (rules, state machine, forecast, incidents) ---
    "alerts.unknown_id": (
        "no alert with id {id}. Fix: see the ids with `rempart alerts`",
        "aucune alerte d'identifiant {id}. Correction : voyez les identifiants avec "
        "`rempart alerts`",
    ),
    "alerts.detail.ranges": (
        "{value} (warning outside {warning}, critical outside {critical})",
        "{value} (avertissement hors de {warning}, critique hors de {critical})",
    ),
    "alerts.detail.disk_full": (
        "{level}% used, +{slope}% a day: full in {days} days",
        "{level} % utilisés, +{slope} % par jour : plein dans {days} jours",
    ),
    "alerts.detail.no_data": (
        "no value received (the node answers)",
        "aucune valeur reçue (le nœud répond)",
    ),
    "alerts.detail.gone": (
        "no longer reported or no longer watched",
        "plus rapporté ou plus surveillé",
    ),
    "alerts.detail.incident": (
        "{count} of {total} hosts degraded ({what}): {hosts}",
        "{count} hôtes sur {total} dégradés ({what}) : {hosts}",
    ),
    "alerts.incident.unreachable": ("unreachable", "injoignables"),
    "alerts.incident.io": ("I/O pressure", "pression d'E/S"),
    "alerts.incident.steal": ("CPU steal", "vol de CPU"),
    #
    #
    #
    # --- server: notifications (mail, webhook, outbox) ---
    "notify.failed": (
        "{channel}: cannot send the notification ({reason}); it stays queued and will be tried "
        "again. Fix: {fix}",
        "{channel} : envoi de la notification impossible ({reason}) ; elle reste en file et sera "
        "retentée. Correction : {fix}",
    ),
    "notify.smtp": (
        "mail to {server}: cannot send ({reason}); the message stays queued. Fix: check "
        "[server.mail] host, port and security, and that the SMTP server is up",
        "courriel vers {server} : envoi impossible ({reason}) ; le message reste en file. "
        "Correction : vérifiez host, port et security dans [server.mail], et que le serveur "
        "SMTP fonctionne",
    ),
    "notify.smtp_auth": (
        "mail to {server}: login refused ({reason}); the message stays queued. Fix: check "
        "[server.mail] username and password",
        "courriel vers {server} : authentification refusée ({reason}) ; le message reste en "
        "file. Correction : vérifiez username et password dans [server.mail]",
    ),
    "notify.smtp_refused": (
        "mail to {server}: the server refused the sender or the recipients ({reason}); the "
        "message stays queued. Fix: check [server.mail] from and to",
        "courriel vers {server} : le serveur refuse l'expéditeur ou les destinataires "
        "({reason}) ; le message reste en file. Correction : vérifiez from et to dans "
        "[server.mail]",
    ),
    "notify.smtp_password": (
        "mail: the SMTP password cannot be read ({reason}); the message stays queued. Fix: "
        "correct [server.mail] password (file: or env: reference) or what it points to",
        "courriel : le mot de passe SMTP est illisible ({reason}) ; le message reste en file. "
        "Correction : corrigez password dans [server.mail] (référence file: ou env:) ou ce "
        "vers quoi il pointe",
    ),
    "notify.webhook_status": (
        "webhook {name} ({host}): answered HTTP {status}; the message stays queued. Fix: "
        "check the webhook's url in [[server.webhooks]] and the receiving service",
        "webhook {name} ({host}) : réponse HTTP {status} ; le message reste en file. "
        "Correction : vérifiez l'url du webhook dans [[server.webhooks]] et le service qui "
        "le reçoit",
    ),
    "notify.webhook_redirect": (
        "webhook {name} ({host}): answered a redirect (HTTP {status}), not followed; the "
        "message stays queued. Fix: put the final address in [[server.webhooks]] url",
        "webhook {name} ({host}) : réponse de redirection (HTTP {status}), non suivie ; le "
        "message reste en file. Correction : mettez l'adresse finale dans l'url de "
        "[[server.webhooks]]",
    ),
    "notify.webhook_network": (
        "webhook {name} ({host}): cannot post ({reason}); the message stays queued. Fix: "
        "check the url in [[server.webhooks]], the network and the receiving service",
        "webhook {name} ({host}) : envoi impossible ({reason}) ; le message reste en file. "
        "Correction : vérifiez l'url dans [[server.webhooks]], le réseau et le service qui "
        "le reçoit",
    ),
    "notify.no_channel": (
        "{channel}: no such notification channel is configured now; its messages stay "
        "queued. Fix: configure it again ([server.mail] or [[server.webhooks]]) to send them",
        "{channel} : ce canal de notification n'est plus configuré ; ses messages restent en "
        "file. Correction : configurez-le à nouveau ([server.mail] ou [[server.webhooks]]) "
        "pour les envoyer",
    ),
    "notify.subject_one": (
        "[rempart] {where}: {severity} {change}: {what}",
        "[rempart] {where} : {severity} {change} : {what}",
    ),
    "notify.subject_many": (
        "[rempart] {where}: {count} alerts ({summary})",
        "[rempart] {where} : {count} alertes ({summary})",
    ),
    "notify.where_group": ("incident in group {group}", "incident dans le groupe {group}"),
    "notify.head_host": ("Host {host} (group {group}), {at}", "Hôte {host} (groupe {group}), {at}"),
    "notify.head_incident": (
        "Provider incident: most hosts of group {group} degrade together, {at}",
        "Incident chez l'hébergeur : la plupart des hôtes du groupe {group} se dégradent "
        "ensemble, {at}",
    ),
    "notify.change.fired": ("fired", "déclenchée"),
    "notify.change.escalated": ("escalated", "aggravée"),
    "notify.change.eased": ("eased", "atténuée"),
    "notify.change.resolved": ("resolved", "résolue"),
    "notify.many.fired": ("{count} fired", "{count} déclenchées"),
    "notify.many.escalated": ("{count} escalated", "{count} aggravées"),
    "notify.many.eased": ("{count} eased", "{count} atténuées"),
    "notify.many.resolved": ("{count} resolved", "{count} résolues"),
    "notify.line": ("{severity} {change}: {what}", "{severity} {change} : {what}"),
    "notify.severity.warning": ("warning", "avertissement"),
    "notify.severity.critical": ("critical", "critique"),
    "notify.kind.threshold": ("out of range", "hors limites"),
    "notify.kind.no_data": ("no data", "plus de données"),
    "notify.kind.unreachable": ("node unreachable", "nœud injoignable"),
    "notify.kind.disk_full": ("disk full soon", "disque bientôt plein"),
    "notify.kind.incident": ("provider incident", "incident chez l'hébergeur"),
    "notify.facts": (
        "value {value} · since {since} · alert {id}",
        "valeur {value} · depuis {since} · alerte {id}",
    ),
    "notify.was": ("was {severity}", "était {severity}"),
    "notify.acked": ("acknowledged by {by} at {at}", "acquittée par {by} à {at}"),
    "notify.more": (
        "… and {count} more alerts (see `rempart alerts`)",
        "… et {count} alertes de plus (voyez `rempart alerts`)",
    ),
    "notify.ack_hint": (
        "Acknowledge (no more reminders): rempart ack {id}   See all: rempart alerts",
        "Acquitter (plus de rappels) : rempart ack {id}   Tout voir : rempart alerts",
    ),
    #
    #
    #
    # --- server: config ---
    #
    #
    #
    # --- server: service and command line (lead) ---
    #
    #
    #
    # --- web: layout (lead) ---
    "web.nav.label": ("Main menu", "Menu principal"),
    "web.nav.overview": ("Overview", "Vue d'ensemble"),
    "web.nav.bans": ("Bans", "Bannissements"),
    "web.nav.alerts": ("Alerts", "Alertes"),
    "web.role.reader": ("read only", "lecture seule"),
    "web.language": ("Language", "Langue"),
    "web.language.browser": ("Browser's language", "Langue du navigateur"),
    "web.logout": ("Log out", "Se déconnecter"),
    "web.error.403": (
        "You may not do this (read-only account, or the form expired: reload the page).",
        "Action non permise (compte en lecture seule, ou formulaire expiré : rechargez la page).",
    ),
    "web.error.404": ("No such page.", "Cette page n'existe pas."),
    "web.error.429": (
        "Too many attempts; wait a few minutes.",
        "Trop de tentatives ; attendez quelques minutes.",
    ),
    "web.error.500": (
        "Something went wrong on the server; the log says what.",
        "Une erreur s'est produite sur le serveur ; le journal dit laquelle.",
    ),
    "web.error.home": ("Back to the overview", "Retour à la vue d'ensemble"),
    "web.login.title": ("Log in", "Connexion"),
    "web.login.name": ("Name", "Nom"),
    "web.login.password": ("Password", "Mot de passe"),
    "web.login.submit": ("Log in", "Se connecter"),
    "web.login.failed": ("Wrong name or password.", "Nom ou mot de passe incorrect."),
    #
    #
    #
    # --- web: accounts, sessions, security (helper core) ---
    "web.user.bad_name": (
        "invalid account name {name!r}. Fix: use 1 to 64 letters, digits and . _ @ -",
        "nom de compte {name!r} invalide. Correction : utilisez 1 à 64 lettres, chiffres et "
        ". _ @ -",
    ),
    "web.user.exists": (
        "account {name} already exists. Fix: choose another name, or `rempart user passwd {name}`",
        "le compte {name} existe déjà. Correction : choisissez un autre nom, ou "
        "`rempart user passwd {name}`",
    ),
    "web.user.unknown": (
        "no account {name}. Fix: see `rempart user list`",
        "aucun compte {name}. Correction : voyez `rempart user list`",
    ),
    "web.user.short": (
        "password too short. Fix: use {minimum} characters or more (or let rempart generate one)",
        "mot de passe trop court. Correction : utilisez {minimum} caractères ou plus (ou "
        "laissez rempart en créer un)",
    ),
    "web.user.mismatch": (
        "the two passwords differ. Fix: type the same one twice",
        "les deux mots de passe diffèrent. Correction : tapez deux fois le même",
    ),
    "web.user.password_file": (
        "cannot read the password file {path} ({reason}). Fix: give a readable UTF-8 file "
        "whose first line is the password",
        "impossible de lire le fichier de mot de passe {path} ({reason}). Correction : donnez "
        "un fichier UTF-8 lisible dont la première ligne est le mot de passe",
    ),
    "web.listen_failed": (
        "dashboard: cannot listen on {host}:{port} ({reason}); the server keeps polling without "
        "it. Fix: free the port, choose another [server.web] listen, or run with --no-web",
        "tableau de bord : impossible d'écouter sur {host}:{port} ({reason}) ; le serveur "
        "continue d'interroger sans lui. Correction : libérez le port, choisissez une autre "
        "valeur de [server.web] listen, ou lancez avec --no-web",
    ),
    "web.login.limited": (
        "Too many failed attempts from your address or for this account; wait a few minutes.",
        "Trop d'échecs depuis votre adresse ou pour ce compte ; attendez quelques minutes.",
    ),
    "web.role.admin": ("administrator", "administrateur"),
    "web.account.title": ("My account", "Mon compte"),
    "web.account.who": ("{name}, {role}.", "{name}, {role}."),
    "web.account.current": ("Current password", "Mot de passe actuel"),
    "web.account.new": (
        "New password (10 characters or more)",
        "Nouveau mot de passe (10 caractères ou plus)",
    ),
    "web.account.again": ("New password again", "Nouveau mot de passe, à nouveau"),
    "web.account.submit": ("Change the password", "Changer le mot de passe"),
    "web.account.changed": (
        "Password changed; your other sessions are closed.",
        "Mot de passe changé ; vos autres sessions sont fermées.",
    ),
    "web.account.wrong": ("The current password is wrong.", "Le mot de passe actuel est faux."),
    "web.account.mismatch": (
        "The two new passwords differ; type the same twice.",
        "Les deux nouveaux mots de passe diffèrent ; tapez deux fois le même.",
    ),
    "web.account.short": (
        "The new password is too short: 10 characters or more.",
        "Le nouveau mot de passe est trop court : 10 caractères ou plus.",
    ),
    #
    #
    #
    # --- web: overview, host pages, graphs (helper graphs) ---
    "web.overview.title": ("Overview", "Vue d'ensemble"),
    "web.overview.empty": (
        "No node is configured yet. Fix: add groups of nodes under [server.groups] in the "
        "configuration and restart rempart server.",
        "Aucun nœud n'est configuré. Correction : ajoutez des groupes de nœuds sous "
        "[server.groups] dans la configuration et redémarrez rempart server.",
    ),
    "web.overview.host": ("Host", "Hôte"),
    "web.overview.state": ("State", "État"),
    "web.overview.disk": ("Disk", "Disque"),
    "web.overview.load": ("Load", "Charge"),
    "web.overview.rx": ("In", "Entrant"),
    "web.overview.tx": ("Out", "Sortant"),
    "web.overview.bans": ("Bans", "Bannis"),
    "web.overview.alerts": ("{count} firing alert(s)", "{count} alerte(s) en cours"),
    "web.overview.last_ok": ("last answer {when}", "dernière réponse {when}"),
    "web.overview.never": ("never answered", "n'a jamais répondu"),
    "web.state.ok": ("OK", "OK"),
    "web.state.warning": ("warning", "avertissement"),
    "web.state.critical": ("critical", "critique"),
    "web.state.unreachable": ("unreachable", "injoignable"),
    "web.state.unknown": ("unknown", "inconnu"),
    "web.host.title": ("Host {host}", "Hôte {host}"),
    "web.host.unknown": (
        "No host is called {host}. Fix: pick a host from the overview.",
        "Aucun hôte ne s'appelle {host}. Correction : choisissez un hôte dans la vue d'ensemble.",
    ),
    "web.host.no_graphs": (
        "No graph known for this host yet: the server stores them at its first successful poll.",
        "Aucun graphique connu pour cet hôte : le serveur les enregistre à sa première "
        "interrogation réussie.",
    ),
    "web.host.categories": ("Categories", "Catégories"),
    "web.range.label": ("Time range", "Période"),
    "web.range.day": ("Day", "Jour"),
    "web.range.week": ("Week", "Semaine"),
    "web.range.month": ("Month", "Mois"),
    "web.range.year": ("Year", "Année"),
    "web.range.from": ("From", "Du"),
    "web.range.to": ("To", "Au"),
    "web.range.show": ("Show", "Afficher"),
    "web.range.bad": (
        "This time range cannot be read. Fix: give two dates (YYYY-MM-DD), the first "
        "before the second.",
        "Cette période est illisible. Correction : donnez deux dates (AAAA-MM-JJ), la "
        "première avant la seconde.",
    ),
    "web.graph.reset_zoom": ("Reset zoom", "Annuler le zoom"),
    "web.graph.zoom_help": (
        "Drag across a graph to zoom in; finer data is fetched for the chosen range.",
        "Faites glisser sur un graphique pour zoomer ; des données plus fines sont chargées "
        "pour la période choisie.",
    ),
    "web.graph.loading": ("Loading…", "Chargement…"),
    "web.graph.failed": (
        "This graph could not be loaded. Fix: reload the page; if it persists, see the "
        "server's log.",
        "Ce graphique n'a pas pu être chargé. Correction : rechargez la page ; si cela "
        "persiste, consultez le journal du serveur.",
    ),
    "web.graph.min": ("min", "min"),
    "web.graph.max": ("max", "max"),
    #
    #
    #
    # --- web: bans (helper bans) ---
    "web.bans.search": (
        "Address, network or part of an address",
        "Adresse, réseau ou partie d'adresse",
    ),
    "web.bans.find": ("Find", "Chercher"),
    "web.bans.all": ("all", "tous"),
    "web.bans.host": ("Host", "Machine"),
    "web.bans.jail": ("Jail", "Prison"),
    "web.bans.address": ("Address", "Adresse"),
    "web.bans.since": ("Since", "Depuis"),
    "web.bans.until": ("Until", "Jusqu'à"),
    "web.bans.failures": ("Failures", "Échecs"),
    "web.bans.offence": ("Offence", "Récidive"),
    "web.bans.reason": ("Reason", "Motif"),
    "web.bans.reason.detected": ("detected in the logs", "détecté dans les journaux"),
    "web.bans.reason.manual": ("banned by hand", "banni à la main"),
    "web.bans.lifted": ("Lifted", "Levé"),
    "web.bans.actions": ("Actions", "Actions"),
    "web.bans.active": ("Active bans ({count})", "Bannissements en cours ({count})"),
    "web.bans.none": ("No active ban matches.", "Aucun bannissement en cours ne correspond."),
    "web.bans.unban": ("Unban", "Débannir"),
    "web.bans.allow": ("Allow", "Autoriser"),
    "web.bans.ban": ("Ban", "Bannir"),
    "web.bans.duration": ("Duration", "Durée"),
    "web.bans.for.1h": ("for 1 hour", "pendant 1 heure"),
    "web.bans.for.1d": ("for 1 day", "pendant 1 jour"),
    "web.bans.for.7d": ("for 7 days", "pendant 7 jours"),
    "web.bans.for.30d": ("for 30 days", "pendant 30 jours"),
    "web.bans.jail_bantime": ("the jail's ban time", "la durée de la prison"),
    "web.bans.ban_by_hand": ("Ban an address by hand", "Bannir une adresse à la main"),
    "web.bans.confirm_unban": (
        "Unban {address} on {host}?",
        "Débannir {address} sur {host} ?",
    ),
    "web.bans.confirm_allow": (
        "Never ban {address} on {host} for this duration (its bans are lifted)?",
        "Ne jamais bannir {address} sur {host} pendant cette durée (ses bannissements "
        "sont levés) ?",
    ),
    "web.bans.confirm_ban": ("Ban this address now?", "Bannir cette adresse maintenant ?"),
    "web.bans.done.unban": (
        "{address} unbanned on {host} ({count} ban(s) lifted).",
        "{address} débannie sur {host} ({count} bannissement(s) levé(s)).",
    ),
    "web.bans.done.allow": (
        "{address} allowed on {host}: it will not be banned for the chosen duration.",
        "{address} autorisée sur {host} : elle ne sera pas bannie pendant la durée choisie.",
    ),
    "web.bans.done.ban": ("{address} banned on {host}.", "{address} bannie sur {host}."),
    "web.bans.action_failed": (
        "The agent of {host} did not do it:",
        "L'agent de {host} ne l'a pas fait :",
    ),
    "web.bans.agent_failed": (
        "The agent of {host} did not answer; its bans are not shown:",
        "L'agent de {host} n'a pas répondu ; ses bannissements ne sont pas affichés :",
    ),
    "web.bans.unknown_host": (
        "no agent named {host} in [server.web.agents]. Fix: add its control socket there "
        '(name = "/run/rempart-server/NAME.sock")',
        "aucun agent nommé {host} dans [server.web.agents]. Correction : ajoutez-y son "
        'socket de contrôle (nom = "/run/rempart-server/NOM.sock")',
    ),
    "web.bans.per_day": (
        "Bans per day and jail (last {days} days)",
        "Bannissements par jour et par prison ({days} derniers jours)",
    ),
    "web.bans.day": ("Day", "Jour"),
    "web.bans.total": ("Total", "Total"),
    "web.bans.no_days": ("No ban in that period.", "Aucun bannissement sur la période."),
    "web.bans.history": (
        "Recent bans, with their evidence",
        "Bannissements récents, avec leurs preuves",
    ),
    "web.bans.history_of": ("{address} on {host}", "{address} sur {host}"),
    "web.bans.no_history": ("No ban recorded.", "Aucun bannissement enregistré."),
    "web.bans.unknown": ("unknown (the agent did not answer)", "inconnu (l'agent n'a pas répondu)"),
    "web.bans.abuse_off": (
        "AbuseIPDB is not used on this host.",
        "AbuseIPDB n'est pas utilisé sur cette machine.",
    ),
    "web.bans.off": ("off", "désactivé"),
    "web.bans.blocklist": ("Blocklist", "Liste de blocage"),
    "web.bans.blocklist_size": ("{v4} IPv4, {v6} IPv6 addresses", "{v4} adresses IPv4, {v6} IPv6"),
    "web.bans.blocklist_age": ("{age} old", "âge {age}"),
    "web.bans.last_error": ("Last error", "Dernière erreur"),
    "web.bans.reports": ("Reports", "Signalements"),
    "web.bans.queue_counts": (
        "{queued} queued, {sending} being sent",
        "{queued} en file, {sending} en cours d'envoi",
    ),
    "web.bans.today": ("today:", "aujourd'hui :"),
    "web.bans.attempts": ("Attempts", "Essais"),
    "web.bans.next_try": ("Next try", "Prochain essai"),
    #
    #
    #
    # --- web: alerts, make run (helper alerts) ---
    "web.alerts.pending": ("pending", "en attente"),
    "web.alerts.ack": ("Acknowledge", "Acquitter"),
    "web.alerts.acked_by": ("acknowledged by {by}, {at}", "acquittée par {by}, {at}"),
    "web.alerts.done": (
        "Alert {id} acknowledged: no more reminders.",
        "Alerte {id} acquittée : plus de rappels.",
    ),
    "web.alerts.host": ("Host", "Hôte"),
    "web.alerts.severity": ("Severity", "Gravité"),
    "web.alerts.all": ("all", "toutes"),
    "web.alerts.days": ("Resolved in the last days", "Résolues ces derniers jours"),
    "web.alerts.filter": ("Show", "Afficher"),
    "web.alerts.firing": ("Firing and pending ({count})", "En cours et en attente ({count})"),
    "web.alerts.resolved": (
        "Resolved in the last {days} days ({count})",
        "Résolues ces {days} derniers jours ({count})",
    ),
    "web.alerts.what": ("What", "Quoi"),
    "web.alerts.value": ("Value", "Valeur"),
    "web.alerts.since": ("Since", "Depuis"),
    "web.alerts.period": ("From → to", "Du → au"),
    "web.alerts.none": ("No alert firing.", "Aucune alerte en cours."),
    "web.alerts.none_resolved": ("None.", "Aucune."),
}


def render(key: str, lang: str, /, **params: Any) -> str:
    """The text of ``key`` in ``lang``, with ``params`` filled in.

    An unknown key or a missing parameter never raises: the key and the parameters
    are shown instead, so an error message can never hide the error.
    """
    texts = MESSAGES.get(key)
    if texts is None:
        return f"{key} {params}" if params else key
    text = texts[1] if lang == "fr" else texts[0]
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return f"{text} {params}"


def pick_language(explicit: str | None, environ: Mapping[str, str]) -> str:
    """ "fr" or "en", from an explicit choice, ``REMPART_LANG``, or the locale."""
    for value in (
        explicit,
        environ.get("REMPART_LANG"),
        environ.get("LC_ALL"),
        environ.get("LC_MESSAGES"),
        environ.get("LANG"),
    ):
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"
