"""``rempart status|bans|ban|unban|allow|history``: talk to the running agent.

Each command sends one request over the agent's control socket and prints the answer as a
table for people (dates in local time, durations like ``1h30m``, log lines escaped) or as
JSON (``--json``). Exit codes: 0 done; 2 usage error, or the agent refused the request
(unknown jail, bad address...); 3 the agent could not be reached (not running, permission
denied on the socket, no answer, client refused).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import Any, TextIO, TypeAlias

from rempart.adapters.control import DEFAULT_SOCKET, UNREACHABLE_KEYS, ControlClient
from rempart.adapters.localzone import local_zone
from rempart.cli.output import answer_text as _text
from rempart.cli.output import answer_time as _when
from rempart.cli.output import as_list as _list
from rempart.cli.output import as_mapping as _mapping
from rempart.cli.output import as_number as _number
from rempart.cli.output import fmt_float, fmt_int, print_json, printable, t, table
from rempart.clock import SystemClock
from rempart.config import DEFAULT_CONFIG_PATH, load_config
from rempart.config.durations import format_duration, parse_duration
from rempart.errors import ConfigError, ControlError, UsageError

__all__ = [
    "EXIT_REFUSED",
    "EXIT_UNREACHABLE",
    "add_agent_options",
    "guarded",
    "print_bans",
    "print_history",
    "print_status",
    "register",
    "socket_path",
]

EXIT_REFUSED, EXIT_UNREACHABLE = 2, 3

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Handler = Callable[[argparse.Namespace, str], int]


# ------------------------------------------------------------------ registering


def register(sub: Sub, lang: str) -> None:
    _register_status(sub, lang)
    _register_bans(sub, lang)
    _register_ban(sub, lang)
    _register_unban(sub, lang)
    _register_allow(sub, lang)
    _register_history(sub, lang)


def _parser(sub: Sub, name: str, lang: str, en: str, fr: str) -> argparse.ArgumentParser:
    p = sub.add_parser(
        name,
        help=t(lang, en, fr),
        description=t(lang, en[0].upper() + en[1:] + ".", fr[0].upper() + fr[1:] + "."),
        epilog=t(
            lang,
            "Exit codes: 0 done, 2 usage error or request refused by the agent, "
            "3 agent unreachable (not running, permission denied, no answer).",
            "Codes de sortie : 0 fait, 2 erreur d'usage ou requête refusée par l'agent, "
            "3 agent injoignable (arrêté, permission refusée, pas de réponse).",
        ),
    )
    add_agent_options(p, lang)
    return p


def add_agent_options(p: argparse.ArgumentParser, lang: str) -> None:
    """``--socket``, ``--config`` and ``--json``: what every command talking to the agent takes."""
    p.add_argument(
        "--socket",
        type=Path,
        metavar="PATH",
        help=t(
            lang,
            f"the agent's control socket (default: the configuration's, else {DEFAULT_SOCKET})",
            f"le socket de contrôle de l'agent (par défaut : celui de la configuration, "
            f"sinon {DEFAULT_SOCKET})",
        ),
    )
    p.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help=t(
            lang,
            f"configuration that names the socket (default {DEFAULT_CONFIG_PATH} if readable)",
            f"configuration qui indique le socket (par défaut {DEFAULT_CONFIG_PATH} si lisible)",
        ),
    )
    p.add_argument(
        "--json",
        action="store_true",
        help=t(lang, "print the agent's answer as JSON", "afficher la réponse de l'agent en JSON"),
    )


def _address(p: argparse.ArgumentParser, lang: str, en: str, fr: str) -> None:
    p.add_argument("address", metavar="ADDR", help=t(lang, en, fr))


def _register_status(sub: Sub, lang: str) -> None:
    p = _parser(
        sub,
        "status",
        lang,
        "show what the running agent does: firewall, jails, sources, active bans",
        "montrer ce que fait l'agent : pare-feu, prisons, sources, bannissements actifs",
    )
    p.set_defaults(handler=guarded(_cmd_status))


def _register_bans(sub: Sub, lang: str) -> None:
    p = _parser(sub, "bans", lang, "list the active bans", "lister les bannissements actifs")
    p.add_argument(
        "--jail",
        metavar="NAME",
        help=t(lang, "this jail only", "cette prison seulement"),
    )
    p.set_defaults(handler=guarded(_cmd_bans))


def _register_ban(sub: Sub, lang: str) -> None:
    p = _parser(sub, "ban", lang, "ban an address now", "bannir une adresse maintenant")
    _address(p, lang, "IPv4 or IPv6 address", "adresse IPv4 ou IPv6")
    p.add_argument(
        "--jail",
        metavar="NAME",
        required=True,
        help=t(lang, "the jail whose ports are closed", "la prison dont les ports sont fermés"),
    )
    p.add_argument(
        "--for",
        dest="duration",
        metavar="DURATION",
        help=t(
            lang,
            'how long ("90s", "1h", "2d"; default: the jail\'s bantime)',
            'pour combien de temps ("90s", "1h", "2d" ; par défaut : le bantime de la prison)',
        ),
    )
    p.set_defaults(handler=guarded(_cmd_ban))


def _register_unban(sub: Sub, lang: str) -> None:
    p = _parser(sub, "unban", lang, "lift the bans of an address", "lever les bannissements")
    _address(p, lang, "banned address", "adresse bannie")
    p.add_argument(
        "--jail",
        metavar="NAME",
        help=t(
            lang, "this jail only (default: every jail)", "cette prison seulement (défaut : toutes)"
        ),
    )
    p.set_defaults(handler=guarded(_cmd_unban))


def _register_allow(sub: Sub, lang: str) -> None:
    p = _parser(
        sub,
        "allow",
        lang,
        "never ban an address (lifts its bans)",
        "ne jamais bannir une adresse (lève ses bannissements)",
    )
    _address(p, lang, "address to allow", "adresse à autoriser")
    p.add_argument(
        "--for",
        dest="duration",
        metavar="DURATION",
        help=t(
            lang,
            'for how long ("1d", "12h"; default: with no end)',
            'pour combien de temps ("1d", "12h" ; par défaut : sans fin)',
        ),
    )
    p.set_defaults(handler=guarded(_cmd_allow))


def _register_history(sub: Sub, lang: str) -> None:
    p = _parser(
        sub,
        "history",
        lang,
        "why an address was banned: its bans with their evidence lines",
        "pourquoi une adresse a été bannie : ses bannissements et leurs lignes de preuve",
    )
    _address(p, lang, "the address to look up", "l'adresse à rechercher")
    p.add_argument(
        "--limit",
        type=int,
        default=20,
        metavar="N",
        help=t(lang, "newest N bans (default 20)", "les N plus récents (20 par défaut)"),
    )
    p.set_defaults(handler=guarded(_cmd_history))


# ------------------------------------------------------------------ calling the agent


def socket_path(socket: Path | None, config: Path | None) -> Path:
    """``--socket``; else the configuration's ``socket`` (the file given, or the default one
    when it exists and can be read); else :data:`DEFAULT_SOCKET`."""
    if socket is not None:
        return socket
    path = config if config is not None else DEFAULT_CONFIG_PATH
    if config is None and not path.exists():
        return DEFAULT_SOCKET
    try:
        loaded = load_config(path)
    except ConfigError:
        if config is not None:
            raise
        return DEFAULT_SOCKET  # e.g. a group member who may not read /etc/rempart
    found = getattr(loaded, "socket", None)
    return found if isinstance(found, Path) else DEFAULT_SOCKET


def _call(args: argparse.Namespace, command: str, **kwargs: object) -> Any:
    return ControlClient(socket_path(args.socket, args.config)).call(command, **kwargs)


def guarded(handler: Handler) -> Handler:
    """``handler`` with the agent's errors printed (escaped) and turned into exit codes."""

    def run(args: argparse.Namespace, lang: str) -> int:
        try:
            return handler(args, lang)
        except ControlError as exc:
            print(f"rempart: {printable(exc.render(lang), 2000)}", file=sys.stderr)
            return EXIT_UNREACHABLE if exc.key in UNREACHABLE_KEYS else EXIT_REFUSED

    return run


def _duration(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise UsageError("control.bad_duration", value=text, reason=str(exc)) from exc
    if seconds <= 0:
        raise UsageError("control.bad_duration", value=text, reason="must be more than 0")
    return seconds


# ------------------------------------------------------------------ the commands


def _cmd_status(args: argparse.Namespace, lang: str) -> int:
    result = _call(args, "status")
    if args.json:
        print_json(result)
    else:
        print_status(result, lang, local_zone(), SystemClock().now(), sys.stdout)
    return 0


def _cmd_bans(args: argparse.Namespace, lang: str) -> int:
    result = _call(args, "bans", jail=args.jail)
    if args.json:
        print_json(result)
    else:
        print_bans(result, lang, local_zone(), SystemClock().now(), sys.stdout)
    return 0


def _cmd_ban(args: argparse.Namespace, lang: str) -> int:
    duration = _duration(args.duration)
    result = _call(args, "ban", address=args.address, jail=args.jail, duration=duration)
    if args.json:
        print_json(result)
        return 0
    r = _mapping(result)
    zone = local_zone()
    length = _length(r.get("start"), r.get("end"))
    print(
        t(
            lang,
            f"Banned {_text(r.get('target'))} in jail {_text(r.get('jail'))} until "
            f"{_when(r.get('end'), zone, lang)} ({length}).",
            f"{_text(r.get('target'))} banni dans la prison {_text(r.get('jail'))} jusqu'au "
            f"{_when(r.get('end'), zone, lang)} ({length}).",
        )
    )
    return 0


def _cmd_unban(args: argparse.Namespace, lang: str) -> int:
    result = _call(args, "unban", address=args.address, jail=args.jail)
    if args.json:
        print_json(result)
        return 0
    lifted = [_mapping(x) for x in _list(_mapping(result).get("lifted"))]
    if not lifted:
        print(
            t(
                lang,
                f"No active ban for {printable(args.address)}: nothing to lift.",
                f"Aucun bannissement actif pour {printable(args.address)} : rien à lever.",
            )
        )
        return 0
    for item in lifted:
        print(
            t(
                lang,
                f"Lifted: {_text(item.get('target'))} (jail {_text(item.get('jail'))})",
                f"Levé : {_text(item.get('target'))} (prison {_text(item.get('jail'))})",
            )
        )
    return 0


def _cmd_allow(args: argparse.Namespace, lang: str) -> int:
    duration = _duration(args.duration)
    result = _call(args, "allow", address=args.address, duration=duration)
    if args.json:
        print_json(result)
        return 0
    r = _mapping(result)
    target, until = _text(r.get("target")), r.get("until")
    if until is None:
        print(t(lang, f"Allowed {target}, with no end.", f"{target} autorisé, sans fin."))
    else:
        when = _when(until, local_zone(), lang)
        print(t(lang, f"Allowed {target} until {when}.", f"{target} autorisé jusqu'au {when}."))
    return 0


def _cmd_history(args: argparse.Namespace, lang: str) -> int:
    if not 1 <= args.limit <= 10_000:
        raise UsageError("usage.invalid", detail="--limit: 1 to 10000")
    result = _call(args, "history", address=args.address, limit=args.limit)
    if args.json:
        print_json(result)
    else:
        print_history(args.address, result, lang, local_zone(), sys.stdout)
    return 0


# ------------------------------------------------------------------ printing (no I/O but `out`)


def _length(start: Any, end: Any) -> str:
    a, b = _number(start), _number(end)
    if a is None or b is None or b < a:
        return "-"
    return format_duration(b - a)


def _target(ban: Mapping[str, Any]) -> str:
    target = ban.get("target")
    if isinstance(target, str) and target.endswith(("/32", "/128")) and ban.get("address"):
        return _text(ban.get("address"))
    return _text(target)


def print_status(result: Any, lang: str, zone: tzinfo, now: float, out: TextIO) -> None:
    """The agent's ``status`` answer, for people."""
    r = _mapping(result)
    started = _number(r.get("started"))
    up = format_duration(now - started) if started is not None and now >= started else "-"
    firewall = _mapping(r.get("firewall"))
    out.write(
        t(
            lang,
            f"rempart agent {_text(r.get('version'))}, running since "
            f"{_when(r.get('started'), zone, lang)} ({up})\n",
            f"agent rempart {_text(r.get('version'))}, en marche depuis le "
            f"{_when(r.get('started'), zone, lang)} ({up})\n",
        )
    )
    backend, detail = _text(firewall.get("backend")), firewall.get("detail")
    out.write(
        f"{t(lang, 'Firewall', 'Pare-feu')}: {backend}"
        + (f" ({_text(detail, lang, 200)})" if detail else "")
        + "\n"
    )
    out.write(f"{t(lang, 'State', 'État')}: {_text(r.get('state_dir'), lang, 300)}\n")
    out.write(
        f"{t(lang, 'Active bans', 'Bannissements actifs')}: {_text(r.get('active_bans'), lang)}\n"
    )
    jails = _mapping(r.get("jails"))
    out.write(f"\n{t(lang, 'Jails', 'Prisons')}:\n")
    table(
        [
            (
                _text(name),
                *(
                    _text(_mapping(j).get(k), lang)
                    for k in ("failures", "bans", "active", "tracked")
                ),
            )
            for name, j in sorted(jails.items())
        ],
        (
            t(lang, "jail", "prison"),
            t(lang, "failures", "échecs"),
            t(lang, "bans", "bannissements"),
            t(lang, "active", "actifs"),
            t(lang, "tracked", "suivies"),
        ),
        out,
        "  ",
    )
    sources = _mapping(r.get("sources"))
    out.write(f"\n{t(lang, 'Sources', 'Sources')}:\n")
    table(
        [
            (
                _text(name, lang, 80),
                _text(_mapping(s).get("lines"), lang),
                _lag(_mapping(s).get("lag"), lang),
                _text(_mapping(s).get("errors"), lang),
            )
            for name, s in sorted(sources.items())
        ],
        (
            "source",
            t(lang, "lines", "lignes"),
            t(lang, "lag", "retard"),
            t(lang, "errors", "erreurs"),
        ),
        out,
        "  ",
    )


def _lag(value: Any, lang: str) -> str:
    seconds = _number(value)
    if seconds is None:
        return "-"
    return f"{fmt_float(seconds, lang, 3)} s" if seconds < 60 else format_duration(seconds)


def print_bans(result: Any, lang: str, zone: tzinfo, now: float, out: TextIO) -> None:
    """The agent's ``bans`` answer, for people."""
    bans = [_mapping(b) for b in _list(result)]
    if not bans:
        out.write(t(lang, "No active bans.\n", "Aucun bannissement actif.\n"))
        return
    rows = []
    for b in bans:
        end = _number(b.get("end"))
        left = format_duration(max(0.0, end - now)) if end is not None else "-"
        rows.append(
            (
                _text(b.get("jail")),
                _target(b),
                _when(b.get("start"), zone, lang),
                _when(b.get("end"), zone, lang),
                left,
                _text(b.get("failures"), lang),
                _text(b.get("offence"), lang),
                _text(b.get("reason"), lang),
            )
        )
    table(
        rows,
        (
            t(lang, "jail", "prison"),
            t(lang, "address", "adresse"),
            t(lang, "start", "début"),
            t(lang, "end", "fin"),
            t(lang, "left", "reste"),
            t(lang, "failures", "échecs"),
            t(lang, "offence", "récidive"),
            t(lang, "reason", "motif"),
        ),
        out,
    )
    out.write(
        t(
            lang,
            f"{fmt_int(len(bans), lang)} active ban{'s' if len(bans) > 1 else ''}\n",
            f"{fmt_int(len(bans), lang)} bannissement{'s' if len(bans) > 1 else ''} "
            f"actif{'s' if len(bans) > 1 else ''}\n",
        )
    )


def print_history(
    address: str, result: Any, lang: str, zone: tzinfo, out: TextIO, evidence_limit: int = 50
) -> None:
    """The agent's ``history`` answer: each ban, then its evidence lines (escaped)."""
    bans = [_mapping(b) for b in _list(result)]
    who = printable(address, 100)
    if not bans:
        out.write(
            t(lang, f"No ban recorded for {who}.\n", f"Aucun bannissement connu pour {who}.\n")
        )
        return
    for index, b in enumerate(bans, 1):
        out.write(
            f"[{index}] {_text(b.get('jail'))} {_target(b)}  "
            f"{_when(b.get('start'), zone, lang)} → {_when(b.get('end'), zone, lang)} "
            f"({_length(b.get('start'), b.get('end'))})\n"
        )
        out.write(
            "    "
            + t(
                lang,
                f"reason {_text(b.get('reason'))}, offence {_text(b.get('offence'), lang)}, "
                f"{_text(b.get('failures'), lang)} failures",
                f"motif {_text(b.get('reason'))}, récidive {_text(b.get('offence'), lang)}, "
                f"{_text(b.get('failures'), lang)} échecs",
            )
            + _lifted(b, zone, lang)
            + "\n"
        )
        _evidence(_list(b.get("evidence")), lang, out, evidence_limit)


def _lifted(ban: Mapping[str, Any], zone: tzinfo, lang: str) -> str:
    if ban.get("lifted_at") is None:
        return ""
    when, by = _when(ban.get("lifted_at"), zone, lang), _text(ban.get("lifted_by"))
    return t(lang, f"; lifted {when} by {by}", f" ; levé le {when} par {by}")


def _evidence(lines: Sequence[Any], lang: str, out: TextIO, limit: int) -> None:
    for line in lines[:limit]:
        out.write(f"    | {printable(str(line), 300)}\n")
    if len(lines) > limit:
        more = fmt_int(len(lines) - limit, lang)
        out.write(
            t(
                lang,
                f"    | … {more} more (--json shows them all)\n",
                f"    | … {more} de plus (--json les montre toutes)\n",
            )
        )
