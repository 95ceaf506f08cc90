"""``rempart query HOST PROBE FIELD``: one series of the supervision server's history.

Reads ``server.db`` read-only (the running server is its only writer). At 1 hour or 1 day
the table shows each bucket's average and its minimum and maximum *with the time each
happened*. Exit codes: 0 ok, 2 usage error, 3 the database cannot be read.
"""

from __future__ import annotations

import argparse
import math
import sys
from datetime import datetime, tzinfo
from typing import Any, TextIO, TypeAlias

from rempart.cli.common import add_server_database_options, server_database
from rempart.cli.output import fmt_float, iso_utc, print_json, printable, t, table
from rempart.config.durations import parse_duration
from rempart.errors import UsageError
from rempart.metrics.series import SeriesData, SeriesKey
from rempart.store.server_db import open_server_db_readonly
from rempart.store.timeseries import SqliteMetricsStore

__all__ = ["STEPS", "parse_when", "points", "print_points", "register"]

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

STEPS = {"5m": 300, "1h": 3600, "1d": 86400}


def register(sub: Sub, lang: str) -> None:
    p = sub.add_parser(
        "query",
        help=t(
            lang,
            "one series of the supervision server's history (min/avg/max and when)",
            "une série de l'historique du serveur de supervision (min/moy/max et quand)",
        ),
        description=t(
            lang,
            "Print the values of HOST's field FIELD of graph PROBE between --from and --to. "
            "Times: ISO dates (2025-12-01, 2025-12-01T10:00, local time), relative (-7d, -12h, "
            "-1y; write --from=-7d) or now. Rollups (1h, 1d) show each bucket's minimum "
            "and maximum with the time it happened.",
            "Affiche les valeurs du champ FIELD du graphe PROBE de HOST entre --from et --to. "
            "Dates : ISO (2025-12-01, 2025-12-01T10:00, heure locale), relatives (-7d, -12h, "
            "-1y ; écrire --from=-7d) ou now. Les agrégats (1h, 1d) montrent le minimum "
            "et le maximum de chaque intervalle avec l'heure où il a eu lieu.",
        ),
        epilog=t(
            lang,
            "Exit codes: 0 ok, 2 usage error, 3 the database cannot be read.",
            "Codes de sortie : 0 ok, 2 erreur d'usage, 3 base illisible.",
        ),
    )
    p.add_argument("host", metavar="HOST", help=t(lang, "node name", "nom du nœud"))
    p.add_argument("probe", metavar="PROBE", help=t(lang, "graph (plugin) name", "nom du graphe"))
    p.add_argument("field", metavar="FIELD", help=t(lang, "field name", "nom du champ"))
    p.add_argument(
        "--from",
        dest="start",
        default="-1d",
        help=t(lang, "start (default: -1d)", "début (par défaut : -1d)"),
    )
    p.add_argument(
        "--to", dest="end", default="now", help=t(lang, "end (default: now)", "fin (défaut : now)")
    )
    p.add_argument(
        "--step",
        choices=tuple(STEPS),
        help=t(
            lang,
            "resolution (default: the finest giving at most about 1,500 points)",
            "résolution (par défaut : la plus fine donnant au plus environ 1 500 points)",
        ),
    )
    add_server_database_options(p, lang)
    p.add_argument(
        "--json", action="store_true", help=t(lang, "JSON list of points", "liste JSON de points")
    )
    p.set_defaults(handler=_cmd_query)


def _cmd_query(args: argparse.Namespace, lang: str) -> int:
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    now = datetime.now(zone).timestamp()
    start, end = parse_when(args.start, now, zone), parse_when(args.end, now, zone)
    if end <= start:
        raise UsageError("usage.invalid", detail=_t_order(lang))
    path = server_database(args, lang)
    key = SeriesKey(args.host, args.probe, args.field)
    with open_server_db_readonly(path) as db:
        data = SqliteMetricsStore(db).read(key, start, end, STEPS.get(args.step or ""))
    if args.json:
        print_json(points(data))
    else:
        print_points(data, zone, lang, sys.stdout)
    return 0


def _t_order(lang: str) -> str:
    return t(
        lang,
        "--to must come after --from. Fix: e.g. --from -7d --to now",
        "--to doit venir après --from. Correction : par exemple --from -7d --to now",
    )


def parse_when(text: str, now: float, zone: tzinfo) -> float:
    """Epoch seconds of ``now``, ``-7d`` (relative to ``now``) or an ISO date/time (local
    ``zone`` unless it names its own). UsageError otherwise."""
    value = text.strip()
    if value.lower() == "now":
        return now
    if value.startswith("-"):
        try:
            return now - parse_duration(value[1:])
        except ValueError:
            pass
    else:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return (when if when.tzinfo else when.replace(tzinfo=zone)).timestamp()
    raise UsageError(
        "usage.invalid",
        detail=f"{printable(text, 60)!r} is not a time. Fix: write 2025-12-01, "
        "2025-12-01T10:00, -7d, -12h, -1y or now",
    )


def _num(value: float) -> float | None:
    return None if math.isnan(value) else value


def points(data: SeriesData) -> list[dict[str, Any]]:
    """The JSON points: time (epoch and ISO UTC), avg, and for rollups min/max and when."""
    out = []
    for i, avg in enumerate(data.avg):
        at = data.start + i * data.step
        point: dict[str, Any] = {"t": at, "time": iso_utc(at), "avg": _num(avg)}
        if data.low is not None and data.high is not None and data.low_at and data.high_at:
            empty = math.isnan(avg)
            point["min"], point["max"] = _num(data.low[i]), _num(data.high[i])
            point["min_at"] = None if empty else data.low_at[i]
            point["max_at"] = None if empty else data.high_at[i]
        out.append(point)
    return out


def _local(epoch: float, zone: tzinfo) -> str:
    return datetime.fromtimestamp(epoch, zone).strftime("%Y-%m-%d %H:%M")


def _value(value: float | None, lang: str) -> str:
    return "-" if value is None else fmt_float(value, lang, 3)


def print_points(data: SeriesData, zone: tzinfo, lang: str, out: TextIO) -> None:
    """The series as a table in local time."""
    if not len(data):
        out.write(
            t(
                lang,
                f"No such series: {printable(str(data.key), 200)} (see the graphs the nodes "
                "describe).\n",
                f"Série inconnue : {printable(str(data.key), 200)}.\n",
            )
        )
        return
    rolled = data.low is not None
    if rolled:
        header = ["time", "avg", "min", "min at", "max", "max at"]
        if lang == "fr":
            header = ["heure", "moy", "min", "min à", "max", "max à"]
    else:
        header = ["time", "value"] if lang != "fr" else ["heure", "valeur"]
    rows = []
    for p in points(data):
        row = [_local(p["t"], zone), _value(p["avg"], lang)]
        if rolled:
            for extreme in ("min", "max"):
                when = p[f"{extreme}_at"]
                row += [_value(p[extreme], lang), "-" if when is None else _local(when, zone)]
        rows.append(row)
    table(rows, header, out)
