"""``rempart nodes``: the state of every node the supervision server polls, per group.

It reads the server database (read-only; the running ``rempart server`` is its one writer):
each node's state (up, down, unknown: not polled yet), when it last answered, how long the
last poll took, its graphs, and why it failed. Exit codes: 0 every node up, 1 a node is down,
2 usage or configuration error, 3 the database cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from datetime import tzinfo
from typing import TextIO, TypeAlias

from rempart.adapters.localzone import local_zone
from rempart.cli.common import add_server_database_options, server_database
from rempart.cli.output import fmt_float, fmt_int, fmt_time, print_json, printable, t, table
from rempart.metrics.series import NodeStatus
from rempart.store.nodes import SqliteNodeStore
from rempart.store.server_db import open_server_db_readonly

__all__ = ["print_nodes", "register"]

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(sub: Sub, lang: str) -> None:
    p = sub.add_parser(
        "nodes",
        help=t(
            lang,
            "supervision server: state of every polled node, per group",
            "serveur de supervision : état de chaque nœud interrogé, par groupe",
        ),
        description=t(
            lang,
            "Show every node the supervision server polls, per group: state, last answer, "
            "duration of the last poll, graphs, and the error of a node that failed. Reads the "
            "server database; needs no running server.",
            "Affiche chaque nœud interrogé par le serveur de supervision, par groupe : état, "
            "dernière réponse, durée de la dernière interrogation, graphes, et l'erreur d'un "
            "nœud en échec. Lit la base du serveur ; le serveur n'a pas besoin de tourner.",
        ),
        epilog=t(
            lang,
            "Exit codes: 0 every node up, 1 a node is down, 2 usage or configuration error, "
            "3 the database cannot be read.",
            "Codes de sortie : 0 tous les nœuds répondent, 1 un nœud est injoignable, 2 erreur "
            "d'usage ou de configuration, 3 base illisible.",
        ),
    )
    add_server_database_options(p, lang)
    p.add_argument(
        "--json",
        action="store_true",
        help=t(lang, "print the nodes as JSON", "afficher les nœuds en JSON"),
    )
    p.set_defaults(handler=_cmd_nodes)


def _cmd_nodes(args: argparse.Namespace, lang: str) -> int:
    with open_server_db_readonly(server_database(args, lang)) as db:
        nodes = SqliteNodeStore(db).nodes()
    if args.json:
        print_json([asdict(n) for n in nodes])
    else:
        print_nodes(nodes, lang, local_zone(), sys.stdout)
    return 1 if any(n.state == "down" for n in nodes) else 0


def _state(node: NodeStatus, lang: str) -> str:
    if node.state == "up":
        return t(lang, "up", "répond")
    if node.state == "down":
        n = fmt_int(node.failures, lang)
        return t(lang, f"DOWN ({n}×)", f"INJOIGNABLE ({n}×)")
    return t(lang, "not polled yet", "pas encore interrogé")


def _where(node: NodeStatus) -> str:
    host = f"[{node.address}]" if ":" in node.address else node.address
    return f"{host}:{node.port}"


def _row(node: NodeStatus, lang: str, zone: tzinfo) -> list[str]:
    never = t(lang, "never", "jamais")
    return [
        printable(node.node, 64),
        printable(_where(node), 80),
        _state(node, lang),
        fmt_time(node.last_ok, zone) if node.last_ok else never,
        f"{fmt_float(node.duration, lang, 2)} s" if node.last_poll else "-",
        fmt_int(node.graphs, lang) if node.last_ok else "-",
        printable(node.error, 160) or "-",
    ]


def print_nodes(nodes: list[NodeStatus], lang: str, zone: tzinfo, out: TextIO) -> None:
    """One table per group."""
    if not nodes:
        out.write(
            t(
                lang,
                "No node polled yet: declare nodes in [server.groups.NAME] and start "
                "`rempart server`.\n",
                "Aucun nœud interrogé pour l'instant : déclarez des nœuds dans "
                "[server.groups.NOM] et lancez `rempart server`.\n",
            )
        )
        return
    header = [
        t(lang, "node", "nœud"),
        t(lang, "address", "adresse"),
        t(lang, "state", "état"),
        t(lang, "last answer", "dernière réponse"),
        t(lang, "duration", "durée"),
        t(lang, "graphs", "graphes"),
        t(lang, "error", "erreur"),
    ]
    groups: dict[str, list[NodeStatus]] = {}
    for node in nodes:
        groups.setdefault(node.group, []).append(node)
    for i, (group, members) in enumerate(groups.items()):
        down = sum(1 for n in members if n.state == "down")
        if i:
            out.write("\n")
        out.write(
            t(lang, "group", "groupe")
            + f" {printable(group, 64)}"
            + t(lang, ": ", " : ")
            + t(
                lang,
                f"{len(members) - down} of {len(members)} up",
                f"{len(members) - down} sur {len(members)} répondent",
            )
            + "\n"
        )
        table([_row(n, lang, zone) for n in members], header, out, indent="  ")
