"""``rempart abuseipdb status|check|flush``: AbuseIPDB through the running agent.

The agent holds the key and counts the daily quota, so these commands ask it over the
control socket (like ``rempart status``) rather than calling AbuseIPDB themselves.
Everything AbuseIPDB returns (ISP, domain, other people's comments) is escaped before it
reaches the terminal. Exit codes: 0 done; 1 AbuseIPDB answered with an error (check);
2 usage error or request refused (AbuseIPDB off on this agent…); 3 agent unreachable.
"""

from __future__ import annotations

import argparse
import sys
from datetime import tzinfo
from typing import Any, TextIO, TypeAlias

from rempart.adapters.control import ControlClient
from rempart.adapters.localzone import local_zone
from rempart.cli.control_cmd import add_agent_options, guarded, socket_path
from rempart.cli.output import answer_text as _n
from rempart.cli.output import answer_time as _when
from rempart.cli.output import as_list as _items
from rempart.cli.output import as_mapping as _mapping
from rempart.cli.output import as_number as _num
from rempart.cli.output import fmt_int, print_json, printable, t, table
from rempart.clock import SystemClock
from rempart.config.abuseipdb import CATEGORIES
from rempart.config.durations import format_duration

__all__ = ["print_abuse_status", "print_check", "print_flush", "register"]

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

#: check and flush wait for AbuseIPDB (timeouts, retries): longer than other commands
SLOW_TIMEOUT = 120.0


def register(sub: Sub, lang: str) -> None:
    p = sub.add_parser(
        "abuseipdb",
        help=t(
            lang,
            "AbuseIPDB: blocklist, reports and quota, through the agent",
            "AbuseIPDB : liste de blocage, signalements et quota, via l'agent",
        ),
        description=t(
            lang,
            "AbuseIPDB through the running agent (it holds the key and counts the quota).",
            "AbuseIPDB via l'agent en marche (il détient la clé et compte le quota).",
        ),
    )
    inner = p.add_subparsers(dest="abuseipdb_command", metavar="COMMAND")
    inner.required = True
    epilog = t(
        lang,
        "Exit codes: 0 done, 1 AbuseIPDB answered with an error, 2 usage error or refused by "
        "the agent, 3 agent unreachable.",
        "Codes de sortie : 0 fait, 1 AbuseIPDB a répondu par une erreur, 2 erreur d'usage ou "
        "refus de l'agent, 3 agent injoignable.",
    )
    status = inner.add_parser(
        "status",
        help=t(
            lang,
            "blocklist size and age, report queue, quota left today",
            "taille et âge de la liste de blocage, file des signalements, quota du jour",
        ),
        epilog=epilog,
    )
    add_agent_options(status, lang)
    status.set_defaults(handler=guarded(_cmd_status))
    check = inner.add_parser(
        "check",
        help=t(
            lang,
            "what AbuseIPDB knows about an address (uses the check quota)",
            "ce qu'AbuseIPDB sait d'une adresse (utilise le quota check)",
        ),
        epilog=epilog,
    )
    check.add_argument(
        "address", metavar="ADDR", help=t(lang, "IPv4 or IPv6 address", "adresse IPv4 ou IPv6")
    )
    check.add_argument(
        "--days",
        type=int,
        default=30,
        metavar="N",
        help=t(
            lang,
            "reports of the last N days (1–365, default 30)",
            "signalements des N derniers jours (1–365, 30 par défaut)",
        ),
    )
    check.add_argument(
        "--reports",
        action="store_true",
        help=t(lang, "also list the latest reports", "afficher aussi les derniers signalements"),
    )
    add_agent_options(check, lang)
    check.set_defaults(handler=guarded(_cmd_check))
    flush = inner.add_parser(
        "flush",
        help=t(
            lang,
            "send the queued reports now (within the quota)",
            "envoyer maintenant les signalements en attente (dans le quota)",
        ),
        epilog=epilog,
    )
    add_agent_options(flush, lang)
    flush.set_defaults(handler=guarded(_cmd_flush))


def _call(args: argparse.Namespace, command: str, timeout: float = 10.0, **kw: object) -> Any:
    path = socket_path(args.socket, args.config)
    return ControlClient(path, timeout=timeout).call(command, **kw)


def _cmd_status(args: argparse.Namespace, lang: str) -> int:
    result = _call(args, "abuseipdb_status")
    if args.json:
        print_json(result)
    else:
        print_abuse_status(result, lang, local_zone(), SystemClock().now(), sys.stdout)
    return 0


def _cmd_check(args: argparse.Namespace, lang: str) -> int:
    result = _call(
        args,
        "abuseipdb_check",
        SLOW_TIMEOUT,
        address=args.address,
        days=args.days,
        verbose=args.reports,
    )
    if args.json:
        print_json(result)
    else:
        print_check(result, lang, local_zone(), sys.stdout)
    return 0 if _mapping(result).get("outcome") == "ok" else 1


def _cmd_flush(args: argparse.Namespace, lang: str) -> int:
    result = _call(args, "abuseipdb_flush", SLOW_TIMEOUT)
    if args.json:
        print_json(result)
    else:
        print_flush(result, lang, local_zone(), sys.stdout)
    return 0


# ------------------------------------------------------------------ printing (no I/O but `out`)


def _ago(value: Any, now: float, lang: str) -> str:
    epoch = _num(value)
    if epoch is None:
        return ""
    delta = now - epoch
    if delta < 0:
        return t(lang, f" (in {format_duration(-delta)})", f" (dans {format_duration(-delta)})")
    return t(lang, f" ({format_duration(delta)} ago)", f" (il y a {format_duration(delta)})")


def print_abuse_status(result: Any, lang: str, zone: tzinfo, now: float, out: TextIO) -> None:
    """The agent's ``abuseipdb_status`` answer, for people."""
    r = _mapping(result)
    if not r.get("enabled"):
        out.write(
            t(
                lang,
                "AbuseIPDB: off ([abuseipdb] enabled = false; see docs/howto/abuseipdb.md)\n",
                "AbuseIPDB : désactivé ([abuseipdb] enabled = false ; voir "
                "docs/howto/abuseipdb.fr.md)\n",
            )
        )
        return
    problem = r.get("problem_fr" if lang == "fr" else "problem") or r.get("problem")
    key = printable(str(r.get("key") or "-"), 200)
    if problem:
        out.write(
            t(lang, "AbuseIPDB: NOT IN USE: ", "AbuseIPDB : NON UTILISÉ : ")
            + printable(str(problem), 600)
            + "\n"
        )
        return
    out.write(t(lang, f"AbuseIPDB: in use (key: {key})\n", f"AbuseIPDB : utilisé (clé : {key})\n"))
    _print_blocklist(r.get("blocklist"), lang, zone, now, out)
    _print_reports(r.get("reports"), lang, zone, now, out)


def _print_blocklist(value: Any, lang: str, zone: tzinfo, now: float, out: TextIO) -> None:
    b = _mapping(value)
    head = t(lang, "Blocklist", "Liste de blocage")
    if not b or not b.get("enabled"):
        out.write(f"\n{head}: {t(lang, 'off', 'désactivée')}\n")
        return
    size = _mapping(b.get("size"))
    v4, v6 = _num(size.get("v4")) or 0, _num(size.get("v6")) or 0
    out.write(
        f"\n{head}: "
        + t(
            lang,
            f"{fmt_int(int(v4 + v6), lang)} addresses in force (IPv4 {fmt_int(int(v4), lang)}, "
            f"IPv6 {fmt_int(int(v6), lang)})\n",
            f"{fmt_int(int(v4 + v6), lang)} adresses bloquées (IPv4 {fmt_int(int(v4), lang)}, "
            f"IPv6 {fmt_int(int(v6), lang)})\n",
        )
    )
    rows = [
        (t(lang, "generated", "générée"), b.get("generated_at")),
        (t(lang, "last success", "dernier succès"), b.get("last_success")),
        (t(lang, "last attempt", "dernière tentative"), b.get("last_attempt")),
        (t(lang, "next download", "prochain téléchargement"), b.get("next_download")),
    ]
    for label, when in rows:
        out.write(f"  {label}: {_when(when, zone, lang)}{_ago(when, now, lang)}\n")
    out.write(
        "  "
        + t(
            lang,
            f"downloads today: {_n(b.get('downloads_today'), lang)} of "
            f"{_n(b.get('daily_limit'), lang)}",
            f"téléchargements aujourd'hui : {_n(b.get('downloads_today'), lang)} sur "
            f"{_n(b.get('daily_limit'), lang)}",
        )
        + "\n"
    )
    removed = _mapping(b.get("removed"))
    out.write(
        "  "
        + t(
            lang,
            f"left out: {_n(b.get('invalid'), lang)} invalid, "
            f"{_n(removed.get('not_global'), lang)} not global, "
            f"{_n(removed.get('protected'), lang)} protected (allowed, ignoreip, ours)",
            f"écartées : {_n(b.get('invalid'), lang)} invalides, "
            f"{_n(removed.get('not_global'), lang)} non publiques, "
            f"{_n(removed.get('protected'), lang)} protégées (autorisées, ignoreip, nôtres)",
        )
        + "\n"
    )
    warning = b.get("warning_fr" if lang == "fr" else "warning") or b.get("warning")
    if warning:
        out.write(t(lang, "  WARNING: ", "  ATTENTION : ") + printable(str(warning), 600) + "\n")


def _print_reports(value: Any, lang: str, zone: tzinfo, now: float, out: TextIO) -> None:
    r = _mapping(value)
    head = t(lang, "Reports", "Signalements")
    if not r.get("enabled"):
        out.write(
            f"\n{head}: "
            + t(
                lang,
                "off (no jail in [abuseipdb.report] categories)",
                "désactivés (aucune prison dans [abuseipdb.report] categories)",
            )
            + "\n"
        )
    else:
        queue = _mapping(r.get("queue"))
        today = _mapping(r.get("today"))
        out.write(
            f"\n{head}: "
            + t(
                lang,
                f"{_n(queue.get('queued'), lang)} queued, {_n(queue.get('sending'), lang)} "
                "being sent",
                f"{_n(queue.get('queued'), lang)} en attente, {_n(queue.get('sending'), lang)} "
                "en cours d'envoi",
            )
            + "\n"
        )
        if today:
            done = ", ".join(
                f"{printable(str(k), 40)} {_n(v, lang)}" for k, v in sorted(today.items())
            )
            out.write(t(lang, f"  today: {done}\n", f"  aujourd'hui : {done}\n"))
    halted = r.get("halted")
    if halted:
        out.write(t(lang, "  STOPPED: ", "  ARRÊTÉS : ") + printable(str(halted), 300) + "\n")
    if r.get("paused_until") is not None:
        why = printable(str(r.get("paused_reason") or "-"), 200)
        out.write(
            t(
                lang,
                f"  paused until {_when(r.get('paused_until'), zone, lang)} ({why})\n",
                f"  en pause jusqu'au {_when(r.get('paused_until'), zone, lang)} ({why})\n",
            )
        )
    error = _mapping(r.get("last_error"))
    if error:
        text = error.get("message_fr" if lang == "fr" else "message") or error.get("detail")
        text = text or ", ".join(f"{k}={v}" for k, v in error.items())
        out.write(t(lang, "  last error: ", "  dernière erreur : ") + printable(str(text)) + "\n")
    quota = _mapping(r.get("quota"))
    if quota:
        out.write(t(lang, "\nQuota today (UTC):\n", "\nQuota du jour (UTC) :\n"))
        table(
            [
                (
                    printable(str(name), 20),
                    _n(_mapping(q).get("used"), lang),
                    _n(_mapping(q).get("limit"), lang),
                    _n(_mapping(q).get("left"), lang),
                    _when(_mapping(q).get("paused_until"), zone, lang)
                    if _mapping(q).get("paused_until") is not None
                    else "-",
                )
                for name, q in sorted(quota.items())
            ],
            (
                t(lang, "endpoint", "point d'accès"),
                t(lang, "used", "utilisés"),
                t(lang, "limit", "limite"),
                t(lang, "left", "restants"),
                t(lang, "paused until", "en pause jusqu'au"),
            ),
            out,
            "  ",
        )


def print_check(result: Any, lang: str, zone: tzinfo, out: TextIO) -> None:
    """The agent's ``abuseipdb_check`` answer, for people (every text escaped)."""
    r = _mapping(result)
    if r.get("outcome") != "ok" or not isinstance(r.get("data"), dict):
        out.write(
            t(lang, "AbuseIPDB answered: ", "Réponse d'AbuseIPDB : ")
            + printable(f"{r.get('outcome')} (HTTP {r.get('status')}): {r.get('detail')}", 400)
            + "\n"
        )
        return
    d = _mapping(r.get("data"))

    def text(value: Any) -> str:
        return "-" if value in (None, "", []) else printable(str(value), 200)

    hostnames = _items(d.get("hostnames"))
    rows = [
        (t(lang, "address", "adresse"), text(d.get("ip"))),
        (t(lang, "abuse confidence", "score d'abus"), f"{_n(d.get('score'), lang)} %"),
        (t(lang, "reports", "signalements"), _n(d.get("total_reports"), lang)),
        (
            t(lang, "distinct reporters", "signaleurs distincts"),
            _n(d.get("distinct_users"), lang),
        ),
        (
            t(lang, "last reported", "dernier signalement"),
            _when(d.get("last_reported_at"), zone, lang),
        ),
        (t(lang, "country", "pays"), text(d.get("country"))),
        ("ISP", text(d.get("isp"))),
        (t(lang, "usage", "usage"), text(d.get("usage_type"))),
        (t(lang, "domain", "domaine"), text(d.get("domain"))),
        (t(lang, "host names", "noms d'hôte"), text(", ".join(str(h) for h in hostnames[:5]))),
        (t(lang, "allow-listed", "liste blanche"), _n(d.get("is_whitelisted"), lang)),
        ("Tor", _n(d.get("is_tor"), lang)),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        out.write(f"{label.ljust(width)}  {value}\n")
    reports = _items(d.get("reports"))
    for item in reports[:20]:
        rep = _mapping(item)
        names = ", ".join(
            CATEGORIES.get(c, str(c)) for c in rep.get("categories") or [] if isinstance(c, int)
        )
        out.write(
            f"  {_when(rep.get('reported_at'), zone, lang)}  [{printable(names, 120)}]  "
            f"{printable(str(rep.get('comment') or ''), 300)}\n"
        )


def print_flush(result: Any, lang: str, zone: tzinfo, out: TextIO) -> None:
    """The agent's ``abuseipdb_flush`` answer, for people."""
    r = _mapping(result)
    done = _mapping(r.get("outcomes"))
    queue = _mapping(r.get("queue"))
    if done:
        parts = ", ".join(f"{printable(str(k), 40)} {_n(v, lang)}" for k, v in sorted(done.items()))
    else:
        parts = t(lang, "nothing was due", "rien n'était à envoyer")
    out.write(t(lang, f"Sent now: {parts}\n", f"Envoyés maintenant : {parts}\n"))
    out.write(
        t(
            lang,
            f"Still queued: {_n(queue.get('queued'), lang)}\n",
            f"Encore en attente : {_n(queue.get('queued'), lang)}\n",
        )
    )
    if r.get("timeout") is not None:
        out.write(
            t(
                lang,
                "Stopped after the time limit; the agent goes on sending.\n",
                "Arrêté au bout du délai ; l'agent continue d'envoyer.\n",
            )
        )
    if r.get("paused_until") is not None:
        out.write(
            t(
                lang,
                f"Paused until {_when(r.get('paused_until'), zone, lang)} "
                f"({printable(str(r.get('paused_reason') or '-'), 200)}).\n",
                f"En pause jusqu'au {_when(r.get('paused_until'), zone, lang)} "
                f"({printable(str(r.get('paused_reason') or '-'), 200)}).\n",
            )
        )
    if r.get("halted"):
        out.write(t(lang, "STOPPED: ", "ARRÊTÉS : ") + printable(str(r.get("halted")), 300) + "\n")
