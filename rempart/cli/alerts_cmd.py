"""``rempart alerts``: the alerts of the supervision server, read from its database.

Firing and pending alerts (``--all``: also the recently resolved), newest first: id,
severity, state, host, what, value, since, acknowledgement. The database is opened read-only
(the running server is its one writer). Exit codes: 0 no alert firing, 1 an alert is firing,
2 usage or configuration error, 3 the database cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, tzinfo
from typing import Any, TextIO, TypeAlias

from rempart.alerting.values import Alert, alert_document
from rempart.cli.common import add_server_database_options, server_database
from rempart.cli.output import fmt_float, fmt_time, iso_utc, print_json, printable, t, table
from rempart.store.alerts import SqliteAlertStore
from rempart.store.server_db import open_server_db_readonly

__all__ = ["alert_json", "print_alerts", "register"]

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(sub: Sub, lang: str) -> None:
    p = sub.add_parser(
        "alerts",
        help=t(
            lang,
            "alerts of the supervision server: firing, pending (and resolved with --all)",
            "alertes du serveur de supervision : en cours, en attente (et résolues avec --all)",
        ),
        description=t(
            lang,
            "List the alerts the supervision server (`rempart server`) keeps in its database: "
            "id (for `rempart ack ID`), severity, state, host, what, last value, since when, "
            "who acknowledged it.",
            "Liste les alertes que le serveur de supervision (`rempart server`) garde dans sa "
            "base : identifiant (pour `rempart ack ID`), gravité, état, hôte, objet, dernière "
            "valeur, depuis quand, qui en a pris connaissance.",
        ),
        epilog=t(
            lang,
            "Exit codes: 0 no alert firing, 1 an alert is firing, 2 usage or configuration "
            "error, 3 the database cannot be read.",
            "Codes de sortie : 0 aucune alerte en cours, 1 une alerte est en cours, 2 erreur "
            "d'usage ou de configuration, 3 base illisible.",
        ),
    )
    p.add_argument(
        "--all",
        action="store_true",
        help=t(
            lang,
            "also the recently resolved alerts (history)",
            "aussi les alertes résolues récemment (historique)",
        ),
    )
    p.add_argument(
        "--limit",
        type=int,
        default=200,
        metavar="N",
        help=t(lang, "at most N alerts (default 200)", "au plus N alertes (200 par défaut)"),
    )
    add_server_database_options(p, lang)
    p.add_argument(
        "--json",
        action="store_true",
        help=t(lang, "print JSON for machines", "afficher du JSON pour les machines"),
    )
    p.set_defaults(handler=_cmd_alerts)


def _cmd_alerts(args: argparse.Namespace, lang: str) -> int:
    path = server_database(args, lang)
    with open_server_db_readonly(path) as db:
        alerts = SqliteAlertStore(db).alerts(active=not args.all, limit=max(1, args.limit))
    if args.json:
        print_json([alert_json(a) for a in alerts])
    else:
        print_alerts(alerts, lang, sys.stdout, datetime.now().astimezone().tzinfo)
    return 1 if any(a.status == "firing" for a in alerts) else 0


def alert_json(alert: Alert) -> dict[str, Any]:
    """One alert as the ``--json`` document (see :func:`rempart.alerting.values.alert_document`)."""
    return alert_document(alert)


_SEVERITY = {"warning": ("warning", "avertissement"), "critical": ("CRITICAL", "CRITIQUE")}
_STATUS = {
    "pending": ("pending", "en attente"),
    "firing": ("firing", "en cours"),
    "resolved": ("resolved", "résolue"),
}


def _what(alert: Alert) -> str:
    path = "/".join(p for p in (alert.key.graph, alert.key.field) if p)
    head = f"{alert.key.kind} {path}".strip()
    return printable(f"{head}: {alert.title}" if alert.title else head, 80)


def _row(alert: Alert, lang: str, zone: tzinfo | None) -> list[str]:
    en, fr = _SEVERITY[alert.severity]
    status = t(lang, *_STATUS[alert.status])
    value = "-" if alert.value is None else fmt_float(alert.value, lang)
    since = alert.fired_at if alert.fired_at is not None else alert.since
    ack = printable(alert.ack_by, 30) if alert.ack_by else "-"
    return [
        str(alert.id),
        t(lang, en, fr),
        status,
        printable(alert.key.host, 40),
        _what(alert),
        value,
        fmt_time(since, zone) if zone is not None else iso_utc(since),
        ack,
    ]


def print_alerts(alerts: list[Alert], lang: str, out: TextIO, zone: tzinfo | None) -> None:
    """The alerts as a table (and each one's detail below it)."""
    if not alerts:
        out.write(t(lang, "No alert.\n", "Aucune alerte.\n"))
        return
    header = (
        ["id", "severity", "state", "host", "what", "value", "since", "ack"]
        if lang != "fr"
        else ["id", "gravité", "état", "hôte", "objet", "valeur", "depuis", "vu par"]
    )
    table([_row(a, lang, zone) for a in alerts], header, out)
    details = [a for a in alerts if a.detail]
    if details:
        out.write("\n")
    for alert in details:
        out.write(f"  #{alert.id}: {printable(alert.detail, 200)}\n")
