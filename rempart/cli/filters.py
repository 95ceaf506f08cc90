"""``rempart filters``: the shipped filters, and what a filter reference expands to."""

from __future__ import annotations

import argparse
import sys

from rempart.cli.output import print_json, printable, t, table
from rempart.rules.catalog import load_shipped, resolve_filter, shipped_filter_names

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], lang: str) -> None:
    p = sub.add_parser(
        "filters",
        help=t(
            lang,
            "list the shipped filters, or show one",
            "lister les filtres fournis, ou en montrer un",
        ),
        description=t(
            lang,
            "Without REF: the filters shipped with rempart, their modes and what they watch. "
            "With REF (sshd[mode=aggressive], fail2ban:sshd, a path): the rules it expands to.",
            "Sans REF : les filtres fournis avec rempart, leurs modes et ce qu'ils surveillent. "
            "Avec REF (sshd[mode=aggressive], fail2ban:sshd, un chemin) : ses règles.",
        ),
    )
    p.add_argument("ref", nargs="?", metavar="REF", help=t(lang, "a filter reference", "un filtre"))
    p.add_argument("--json", action="store_true", help=t(lang, "print JSON", "afficher en JSON"))
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, lang: str) -> int:
    if args.ref:
        return _show(args.ref, args.json)
    rows = []
    for name in shipped_filter_names():
        native = load_shipped(name)
        rows.append((name, ", ".join(native.modes), native.description.get(lang, "")))
    if args.json:
        print_json([{"name": n, "modes": m.split(", "), "description": d} for n, m, d in rows])
    else:
        table(
            rows,
            (t(lang, "filter", "filtre"), "modes", t(lang, "watches", "surveille")),
            sys.stdout,
        )
    return 0


def _show(ref: str, as_json: bool) -> int:
    d = resolve_filter(ref)
    data = {
        "name": d.name,
        "label": d.label,
        "origin": d.origin,
        "prefregex": d.prefregex,
        "failregex": list(d.failregex),
        "ignoreregex": list(d.ignoreregex),
        "datepattern": d.datepattern,
        "maxlines": d.maxlines,
        "journalmatch": list(d.journalmatch),
    }
    if as_json:
        print_json(data)
        return 0
    out = sys.stdout
    out.write(f"{d.label}  ({printable(d.origin)})\n")
    for key in ("datepattern", "maxlines", "journalmatch", "prefregex"):
        if data[key]:
            out.write(f"{key}: {printable(str(data[key]), 2000)}\n")
    for key, regexes in (("failregex", d.failregex), ("ignoreregex", d.ignoreregex)):
        for i, regex in enumerate(regexes):
            out.write(f"{key} #{i}: {printable(regex, 2000)}\n")
    return 0
