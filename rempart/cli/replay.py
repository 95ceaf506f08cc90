"""``rempart replay``: what fail2ban-regex shows, plus the bans that would have been made."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from dataclasses import replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rempart import __version__
from rempart.adapters.localzone import local_zone
from rempart.cli.common import load_config_or_default
from rempart.cli.output import (
    fmt_float,
    fmt_int,
    fmt_time,
    iso_utc,
    print_json,
    printable,
    t,
    table,
)
from rempart.clock import SystemClock
from rempart.config.durations import format_duration, parse_duration
from rempart.config.schema import Config, JailConfig
from rempart.errors import UsageError
from rempart.guard.compare import diff_bans
from rempart.guard.matcher import LineKind
from rempart.model import Ban, FailureVerdict
from rempart.rules.catalog import resolve_filter
from rempart.services.jails import definition_for, journal_match, policy_for, source_zone
from rempart.services.replay import (
    FailureRecord,
    JailReport,
    JournalInput,
    Progress,
    ReplayJail,
    ReplayReport,
    order_logs,
    replay,
    replay_journal,
)

__all__ = ["register"]

_EVIDENCE_DEFAULT_LIMIT = 20  # bans shown with their evidence unless --evidence/--no-evidence


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], lang: str) -> None:
    p = sub.add_parser(
        "replay",
        help=t(
            lang,
            "run logs through the jails offline and show the bans they would make",
            "rejouer des journaux hors ligne et montrer les bannissements qu'ils auraient causés",
        ),
        description=t(
            lang,
            "Replay log files through rempart's detection: lines read, matched, ignored and "
            "missed, hits per rule, samples of missed lines, and the bans that would have been "
            "made (address, start, end, jail, evidence). Nothing is banned.",
            "Rejoue des fichiers journaux dans la détection de rempart : lignes lues, reconnues, "
            "ignorées et manquées, occurrences par règle, exemples de lignes manquées, et les "
            "bannissements qui auraient eu lieu (adresse, début, fin, prison, preuves). "
            "Rien n'est banni.",
        ),
    )
    p.add_argument(
        "logs",
        nargs="*",
        metavar="LOG",
        help=t(
            lang,
            "log file (.gz accepted; - for standard input)",
            "fichier journal (.gz accepté ; - pour l'entrée standard)",
        ),
    )
    p.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help=t(
            lang,
            "configuration file (default /etc/rempart/rempart.toml, else the embedded default)",
            "fichier de configuration (par défaut /etc/rempart/rempart.toml, sinon "
            "la configuration intégrée)",
        ),
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--jail",
        metavar="NAME",
        help=t(
            lang,
            "replay this jail only (default: every enabled jail)",
            "ne rejouer que cette prison (par défaut : toutes les prisons actives)",
        ),
    )
    which.add_argument(
        "--filter",
        metavar="REF",
        help=t(
            lang,
            "replay this filter with the [defaults] rule: sshd[mode=aggressive], "
            "fail2ban:sshd, or a path to a .conf/.toml file",
            "rejouer ce filtre avec la règle de [defaults] : sshd[mode=aggressive], "
            "fail2ban:sshd, ou le chemin d'un fichier .conf/.toml",
        ),
    )
    p.add_argument(
        "--compare",
        nargs=2,
        metavar=("CONFIG_A", "CONFIG_B"),
        type=Path,
        help=t(
            lang,
            "replay with two configurations and print the difference in bans",
            "rejouer avec deux configurations et afficher la différence des bannissements",
        ),
    )
    for name in ("maxretry", "findtime", "bantime"):
        p.add_argument(
            f"--{name}",
            metavar="N" if name == "maxretry" else "DURATION",
            help=t(
                lang,
                f"override the jail's {name} for this replay",
                f"remplacer le {name} de la prison pour ce rejeu",
            ),
        )
    p.add_argument(
        "--timezone",
        metavar="ZONE",
        help=t(
            lang,
            "zone of dates that carry none (default: the source's, else the machine's)",
            "fuseau des dates qui n'en indiquent pas (par défaut : celui de la "
            "source, sinon celui de la machine)",
        ),
    )
    p.add_argument(
        "--journal",
        action="store_true",
        help=t(
            lang,
            "replay the systemd journal instead of files: each jail reads the entries of its "
            "journal source's match (or its filter's journalmatch)",
            "rejouer le journal systemd au lieu de fichiers : chaque prison lit les entrées "
            "désignées par sa source journal (ou le journalmatch de son filtre)",
        ),
    )
    p.add_argument(
        "--since",
        metavar="WHEN",
        default="1d",
        help=t(
            lang,
            'with --journal: from when, a duration ago ("6h", "7d") or a date '
            '("2026-11-21 08:00"); default 1d',
            'avec --journal : depuis quand, une durée ("6h", "7d") ou une date '
            '("2026-11-21 08:00") ; 1d par défaut',
        ),
    )
    p.add_argument(
        "--journal-file",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help=t(
            lang,
            "with --journal: read this journal file (repeatable), e.g. copied from another server",
            "avec --journal : lire ce fichier journal (répétable), par ex. copié d'un autre "
            "serveur",
        ),
    )
    p.add_argument(
        "--json",
        action="store_true",
        help=t(
            lang,
            "print one JSON object instead of tables",
            "afficher un objet JSON au lieu de tableaux",
        ),
    )
    p.add_argument(
        "--failures-out",
        type=Path,
        metavar="PATH",
        help=t(
            lang,
            "write every failure as a JSON line to PATH",
            "écrire chaque échec comme une ligne JSON dans PATH",
        ),
    )
    ev = p.add_mutually_exclusive_group()
    ev.add_argument(
        "--evidence",
        action="store_true",
        default=None,
        help=t(
            lang,
            "show the evidence lines of every ban (default: when there are "
            f"at most {_EVIDENCE_DEFAULT_LIMIT} bans)",
            "montrer les lignes de preuve de chaque bannissement (par défaut : "
            f"s'il y en a au plus {_EVIDENCE_DEFAULT_LIMIT})",
        ),
    )
    ev.add_argument(
        "--no-evidence",
        dest="evidence",
        action="store_false",
        help=t(lang, "never show evidence lines", "ne jamais montrer les preuves"),
    )
    p.add_argument(
        "--missed",
        type=int,
        default=5,
        metavar="N",
        help=t(
            lang,
            "how many missed lines to show per jail (default 5)",
            "nombre de lignes manquées montrées par prison (5 par défaut)",
        ),
    )
    p.add_argument(
        "--keep-order",
        action="store_true",
        help=t(
            lang,
            "read the logs in the order given (default: oldest first by "
            "modification time, so rotated logs come in time order)",
            "lire les journaux dans l'ordre donné (par défaut : du plus ancien au plus "
            "récent, pour que les journaux tournés soient dans l'ordre du temps)",
        ),
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help=t(
            lang,
            "do not show progress on the terminal",
            "ne pas afficher la progression dans le terminal",
        ),
    )
    p.set_defaults(handler=run)


# ------------------------------------------------------------------ building the jails


def _zone(args: argparse.Namespace) -> tzinfo:
    if args.timezone is None:
        return local_zone()
    try:
        return ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            "usage.invalid",
            detail=f"--timezone: unknown zone {args.timezone!r} (e.g. Europe/Paris, UTC)",
        ) from None


def _overrides(args: argparse.Namespace, jail: JailConfig) -> JailConfig:
    changes: dict[str, Any] = {}
    try:
        if args.maxretry is not None:
            changes["maxretry"] = int(args.maxretry)
        for name in ("findtime", "bantime"):
            if getattr(args, name) is not None:
                changes[name] = parse_duration(getattr(args, name))
    except ValueError as exc:
        raise UsageError("usage.invalid", detail=str(exc)) from exc
    return replace(jail, **changes) if changes else jail


def _jails(args: argparse.Namespace, config: Config, zone: tzinfo) -> list[ReplayJail]:
    if args.filter:
        definition = resolve_filter(args.filter)
        jail = replace(config.defaults, name=definition.name, filter=args.filter)
        jail = _overrides(args, jail)
        return [
            ReplayJail(
                jail.name, definition, policy_for(jail), lambda _log: zone, definition.journalmatch
            )
        ]
    if args.jail:
        if args.jail not in config.jails:
            known = ", ".join(config.jails) or "-"
            raise UsageError(
                "usage.invalid",
                detail=f"--jail {args.jail}: no such jail in {config.path} (jails: {known})",
            )
        chosen = [config.jails[args.jail]]
    else:
        chosen = [j for j in config.jails.values() if j.enabled]
    out = []
    for chosen_jail in chosen:
        jail = _overrides(args, chosen_jail)
        definition = definition_for(config, jail)
        out.append(
            ReplayJail(
                jail.name,
                definition,
                policy_for(jail),
                functools.partial(source_zone, jail, default=zone),
                journal_match(jail, definition),
            )
        )
    return out


# ------------------------------------------------------------------ running


class _ProgressLine:
    """A one-line progress display on stderr, only on a terminal."""

    def __init__(self, lang: str, enabled: bool) -> None:
        self.lang = lang
        self.enabled = enabled and sys.stderr.isatty()
        self.shown = False
        self._last = -1.0

    def __call__(self, p: Progress) -> None:
        if not self.enabled or (p.elapsed - self._last < 0.25 and p.done < p.total):
            return
        self._last = p.elapsed
        rate = p.lines / p.elapsed if p.elapsed > 0 else 0.0
        pct = f"{100 * p.done / p.total:5.1f} %" if p.total else "  …  "
        sys.stderr.write(
            f"\r{printable(p.file, 40)}  {pct}  {fmt_int(p.lines, self.lang)} "
            f"{t(self.lang, 'lines', 'lignes')}  {rate / 1000:,.0f}k/s "
        )
        sys.stderr.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _journal_input(args: argparse.Namespace, lang: str, now: float) -> JournalInput | None:
    """What --journal asks for; None for a replay of files. UsageError when both or
    neither are given."""
    if not args.journal:
        if args.journal_file:
            raise UsageError(
                "usage.invalid",
                detail=t(
                    lang, "--journal-file goes with --journal", "--journal-file va avec --journal"
                ),
            )
        if not args.logs:
            raise UsageError(
                "usage.invalid",
                detail=t(
                    lang,
                    "give LOG files to replay, or --journal",
                    "indiquez des fichiers LOG à rejouer, ou --journal",
                ),
            )
        return None
    if args.logs:
        raise UsageError(
            "usage.invalid",
            detail=t(
                lang,
                "give LOG files or --journal, not both",
                "indiquez des fichiers LOG ou --journal, pas les deux",
            ),
        )
    return JournalInput(since=_since(args.since, lang, now), files=tuple(args.journal_file))


def _since(text: str, lang: str, now: float) -> float:
    """``"6h"`` -> six hours before ``now``; ``"2026-11-21 08:00"`` -> that local time."""
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            "usage.invalid",
            detail=t(
                lang,
                f'--since {text!r}: give a duration ("6h", "7d") or a date ("2026-11-21 08:00")',
                f'--since {text!r} : indiquez une durée ("6h", "7d") ou une date '
                '("2026-11-21 08:00")',
            ),
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=local_zone())
    return when.timestamp()


def _failure_writer(path: Path | None) -> tuple[Any, TextIO | None]:
    """A writer of one JSON object per failure (``--failures-out``). Built by hand around
    ``json.dumps`` of the one attacker-influenced field (``host``): a quarter of the cost of
    dumping a dict per failure, which showed on million-line logs."""
    if path is None:
        return None, None
    fh = path.open("w", encoding="utf-8", buffering=1 << 20)
    verdicts = {v: json.dumps(v.value) for v in FailureVerdict}
    names: dict[str, str] = {}
    dumps = json.dumps

    def write(rec: FailureRecord) -> None:
        file = names.get(rec.file)
        if file is None:
            file = names[rec.file] = dumps(rec.file, ensure_ascii=False)
        jail = names.get(rec.jail)
        if jail is None:
            jail = names[rec.jail] = dumps(rec.jail, ensure_ascii=False)
        failure = rec.failure
        fh.write(
            f'{{"file": {file}, "line": {rec.line}, "jail": {jail}, '
            f'"host": {dumps(failure.host, ensure_ascii=False)}, "time": {failure.time!r}, '
            f'"regex": {failure.regex}, "verdict": {verdicts[rec.verdict]}}}\n'
        )

    return write, fh


def _run_replay(args: argparse.Namespace, lang: str, config: Config) -> ReplayReport:
    zone = _zone(args)
    jails = _jails(args, config, zone)
    clock = SystemClock()
    journal = _journal_input(args, lang, clock.now())
    progress = _ProgressLine(lang, not args.no_progress)
    writer, fh = _failure_writer(args.failures_out)
    options: dict[str, Any] = {
        "clock": clock,
        "on_progress": progress,
        "on_failure": writer,
        "missed_samples": max(0, args.missed),
    }
    try:
        if journal is not None:
            return replay_journal(jails, journal, **options)
        logs = list(args.logs) if args.keep_order else order_logs(args.logs)
        return replay(jails, logs, **options)
    finally:
        progress.finish()
        if fh is not None:
            fh.close()


def run(args: argparse.Namespace, lang: str) -> int:
    if args.compare:
        return _compare(args, lang)
    config = load_config_or_default(args.config, lang)
    report = _run_replay(args, lang, config)
    if args.json:
        print_json(report_json(report))
    else:
        _print_report(
            report, lang, args.evidence, local_zone() if args.timezone is None else _zone(args)
        )
    return 0


# ------------------------------------------------------------------ output


def ban_json(ban: Ban) -> dict[str, Any]:
    return {
        "address": str(ban.address),
        "target": str(ban.target),
        "jail": ban.jail,
        "start": iso_utc(ban.start),
        "end": iso_utc(ban.end),
        "bantime": round(ban.duration),
        "failures": ban.failures,
        "offence": ban.offence,
        "evidence": list(ban.evidence),
    }


def report_json(report: ReplayReport) -> dict[str, Any]:
    return {
        "rempart": __version__,
        "files": report.files,
        "jails": [
            {
                "jail": j.name,
                "filter": j.filter_label,
                "lines": {kind.value.replace("-", "_"): n for kind, n in j.lines.items()},
                "failures": j.failures,
                "verdicts": {v.value.replace("-", "_"): n for v, n in j.verdicts.items()},
                "regex_hits": [
                    {"index": i, "regex": r, "hits": h}
                    for i, (r, h) in enumerate(zip(j.regexes, j.hits, strict=True))
                ],
                "missed_samples": [
                    {"file": f, "line": n, "text": s} for f, n, s in j.missed_samples
                ],
                "bans": [ban_json(b) for b in j.bans],
            }
            for j in report.jails
        ],
        "lines": report.lines,
        "elapsed_s": round(report.elapsed, 6),
        "lines_per_s": round(report.lines_per_s, 1),
    }


def _print_report(report: ReplayReport, lang: str, evidence: bool | None, zone: tzinfo) -> None:
    out = sys.stdout
    files, plural = len(report.files), "s" if len(report.files) > 1 else ""
    lines, rate = fmt_int(report.lines, lang), fmt_int(round(report.lines_per_s), lang)
    secs = fmt_float(report.elapsed, lang)
    out.write(
        t(
            lang,
            f"Replayed {files} file{plural}: {lines} lines in {secs} s ({rate} lines/s)\n",
            f"{files} fichier{plural} rejoué{plural} : {lines} lignes en {secs} s "
            f"({rate} lignes/s)\n",
        )
    )
    for jail in report.jails:
        _print_jail(jail, lang, evidence, zone, out)


def _print_jail(j: JailReport, lang: str, evidence: bool | None, zone: tzinfo, out: TextIO) -> None:

    def n(value: int) -> str:
        return fmt_int(value, lang)

    lines = j.lines
    out.write(
        f"\n{t(lang, 'Jail', 'Prison')} {j.name} — {t(lang, 'filter', 'filtre')} {j.filter_label}\n"
    )
    out.write(
        t(
            lang,
            f"  Lines: {n(lines[LineKind.MATCHED])} matched, {n(lines[LineKind.HELPER])} helper, "
            f"{n(lines[LineKind.IGNORED])} ignored, {n(lines[LineKind.MISSED])} missed, "
            f"{n(lines[LineKind.TOO_LONG])} too long\n",
            f"  Lignes : {n(lines[LineKind.MATCHED])} reconnues, {n(lines[LineKind.HELPER])} "
            f"auxiliaires, {n(lines[LineKind.IGNORED])} ignorées, {n(lines[LineKind.MISSED])} "
            f"manquées, {n(lines[LineKind.TOO_LONG])} trop longues\n",
        )
    )
    v = j.verdicts
    counted = n(v[FailureVerdict.COUNTED] + v[FailureVerdict.BANNED])
    ignored, during = n(v[FailureVerdict.IGNORED]), n(v[FailureVerdict.ALREADY_BANNED])
    no_address = n(v[FailureVerdict.NOT_AN_ADDRESS])
    out.write(
        t(
            lang,
            f"  Failures: {n(j.failures)} ({counted} counted, {ignored} from ignored addresses, "
            f"{during} while banned, {no_address} not an address)\n",
            f"  Échecs : {n(j.failures)} ({counted} comptés, {ignored} d'adresses ignorées, "
            f"{during} pendant un bannissement, {no_address} sans adresse)\n",
        )
    )
    out.write(t(lang, "  Hits per rule:\n", "  Occurrences par règle :\n"))
    table(
        [
            (f"#{i}", n(h), printable(r, 90))
            for i, (r, h) in enumerate(zip(j.regexes, j.hits, strict=True))
        ],
        ("#", t(lang, "hits", "occ."), t(lang, "rule", "règle")),
        out,
        "    ",
    )
    if j.missed_samples:
        out.write(t(lang, "  Missed lines (sample):\n", "  Lignes manquées (exemples) :\n"))
        for f, lineno, text in j.missed_samples:
            out.write(f"    {printable(f, 60)}:{lineno}: {printable(text, 160)}\n")
    _print_bans(j, lang, evidence, zone, out)


def _print_bans(j: JailReport, lang: str, evidence: bool | None, zone: tzinfo, out: TextIO) -> None:
    count = len(j.bans)
    out.write(
        t(
            lang,
            f"  Bans that would have been made: {fmt_int(count, lang)}\n",
            f"  Bannissements qui auraient eu lieu : {fmt_int(count, lang)}\n",
        )
    )
    if not count:
        return
    show = evidence if evidence is not None else count <= _EVIDENCE_DEFAULT_LIMIT
    header = (
        t(lang, "address", "adresse"),
        t(lang, "start", "début"),
        t(lang, "end", "fin"),
        t(lang, "for", "durée"),
        t(lang, "failures", "échecs"),
        t(lang, "offence", "récidive"),
    )
    if not show:
        rows = [_ban_row(b, zone, lang) for b in j.bans]
        table(rows, header, out, "    ")
        out.write(
            t(
                lang,
                "    (evidence lines: --evidence or --json)\n",
                "    (lignes de preuve : --evidence ou --json)\n",
            )
        )
        return
    for ban in j.bans:
        table([_ban_row(ban, zone, lang)], header, out, "    ")
        for line in ban.evidence:
            out.write(f"      | {printable(line, 200)}\n")


def _ban_row(ban: Ban, zone: tzinfo, lang: str) -> tuple[str, ...]:
    target = str(ban.address) if ban.target.num_addresses == 1 else str(ban.target)
    return (
        target,
        fmt_time(ban.start, zone),
        fmt_time(ban.end, zone),
        format_duration(ban.duration),
        fmt_int(ban.failures, lang),
        str(ban.offence),
    )


# ------------------------------------------------------------------ compare


def _compare(args: argparse.Namespace, lang: str) -> int:
    a_path, b_path = args.compare
    reports = []
    for path in (a_path, b_path):
        config = load_config_or_default(path, lang)
        reports.append(_run_replay(args, lang, config))
    bans_a = [b for j in reports[0].jails for b in j.bans]
    bans_b = [b for j in reports[1].jails for b in j.bans]
    diff = diff_bans(bans_a, bans_b)
    only_a, only_b, changed = diff.only_a, diff.only_b, diff.changed
    if args.json:
        print_json(
            {
                "a": str(a_path),
                "b": str(b_path),
                "bans_a": len(bans_a),
                "bans_b": len(bans_b),
                "same": diff.same,
                "only_a": [ban_json(b) for b in only_a],
                "only_b": [ban_json(b) for b in only_b],
                "changed": [{"a": ban_json(x), "b": ban_json(y)} for x, y in changed],
            }
        )
        return 0
    zone = _zone(args)
    out = sys.stdout
    out.write(
        t(
            lang,
            f"A = {a_path}: {len(bans_a)} bans;  B = {b_path}: {len(bans_b)} bans\n",
            f"A = {a_path} : {len(bans_a)} bannissements ;  B = {b_path} : {len(bans_b)} "
            "bannissements\n",
        )
    )
    header = (
        t(lang, "jail", "prison"),
        t(lang, "address", "adresse"),
        t(lang, "start", "début"),
        t(lang, "end", "fin"),
        t(lang, "failures", "échecs"),
    )
    for title, bans in (
        (t(lang, "Only with A", "Seulement avec A"), only_a),
        (t(lang, "Only with B", "Seulement avec B"), only_b),
    ):
        out.write(f"\n{title}: {len(bans)}\n")
        if bans:
            table(
                [
                    (
                        b.jail,
                        str(b.target),
                        fmt_time(b.start, zone),
                        fmt_time(b.end, zone),
                        str(b.failures),
                    )
                    for b in bans
                ],
                header,
                out,
                "  ",
            )
    out.write(
        t(
            lang,
            f"\nSame ban, other period: {len(changed)} (identical: {diff.same})\n",
            f"\nMême bannissement, autre période : {len(changed)} (identiques : {diff.same})\n",
        )
    )
    for x, y in changed:
        out.write(
            f"  {x.jail} {x.target}: A {fmt_time(x.start, zone)} → {fmt_time(x.end, zone)}"
            f"  B {fmt_time(y.start, zone)} → {fmt_time(y.end, zone)}\n"
        )
    return 0
