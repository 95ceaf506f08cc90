"""``rempart server`` (run the supervision server and its web dashboard) and ``rempart ack ID``
(acknowledge an alert through the server's control socket: the server is the database's one
writer).

The dashboard ([server.web], on unless ``enabled = false`` or ``--no-web``) runs in the same
event loop once the database is open: read-only connections in a pool for its pages, the
server's writer thread for accounts and sessions, the server's command table for actions.
A port in use is logged with its fix; the server keeps polling without the dashboard.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import TypeAlias

from rempart.adapters.control import ControlClient
from rempart.cli.agent_cmd import _logger
from rempart.cli.common import add_server_database_options, load_config_or_default
from rempart.cli.control_cmd import guarded
from rempart.cli.output import answer_text, print_json, t
from rempart.clock import SystemClock
from rempart.config import DEFAULT_CONFIG_PATH
from rempart.config.server import ServerConfig
from rempart.services.readpool import ReadPool
from rempart.services.server import SupervisionServer
from rempart.services.webserver import WebServer
from rempart.web.app import build_app
from rempart.web.deps import WebDeps

__all__ = ["register"]

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _config_option(p: argparse.ArgumentParser, lang: str) -> None:
    p.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help=t(
            lang,
            f"configuration file with the [server] tables (default {DEFAULT_CONFIG_PATH})",
            f"fichier de configuration avec les tables [server] (par défaut {DEFAULT_CONFIG_PATH})",
        ),
    )


def _socket_option(p: argparse.ArgumentParser, lang: str) -> None:
    p.add_argument(
        "--socket",
        type=Path,
        metavar="PATH",
        help=t(
            lang,
            "the server's control socket (default: the config's [server] socket)",
            "socket de contrôle du serveur (par défaut : la clé socket de [server])",
        ),
    )


def register(sub: Sub, lang: str) -> None:
    _register_server(sub, lang)
    _register_ack(sub, lang)


def _register_server(sub: Sub, lang: str) -> None:
    p = sub.add_parser(
        "server",
        help=t(
            lang,
            "run the supervision server: poll the nodes, keep their history, send alerts",
            "lancer le serveur de supervision : interroger les nœuds, garder leur historique, "
            "envoyer les alertes",
        ),
        description=t(
            lang,
            "Polls every node of [server.groups.*] (rempart agents and plain munin-nodes) every "
            "interval, stores the values in its database, raises alerts and sends them by mail "
            "and webhook. Runs in the foreground until SIGTERM or Ctrl-C.",
            "Interroge chaque nœud de [server.groups.*] (agents rempart et munin-node ordinaires) "
            "à chaque intervalle, enregistre les valeurs dans sa base, lève les alertes et les "
            "envoie par courriel et webhook. Tourne au premier plan jusqu'à SIGTERM ou Ctrl-C.",
        ),
    )
    add_server_database_options(p, lang)
    _socket_option(p, lang)
    p.add_argument(
        "--once",
        action="store_true",
        help=t(
            lang,
            "poll every node once, store, alert, send, then exit (to try a configuration; "
            "rates of DERIVE fields need two rounds of a running server)",
            "interroger chaque nœud une fois, enregistrer, alerter, envoyer, puis quitter "
            "(pour essayer une configuration ; les débits des champs DERIVE demandent deux "
            "tours d'un serveur en marche)",
        ),
    )
    p.add_argument(
        "--no-web",
        action="store_true",
        help=t(
            lang,
            "do not serve the dashboard (whatever [server.web] enabled says)",
            "ne pas servir le tableau de bord (quoi que dise [server.web] enabled)",
        ),
    )
    p.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default="info",
        help=t(lang, "what to log (default info)", "niveau de journalisation (par défaut info)"),
    )
    p.set_defaults(handler=_run)


def _server_config(args: argparse.Namespace, lang: str) -> ServerConfig:
    config = load_config_or_default(args.config, lang, quiet=True).server
    if getattr(args, "database", None) is not None:
        config = replace(config, database=args.database)
    if getattr(args, "socket", None) is not None:
        config = replace(config, socket=args.socket)
    return config


def _run(args: argparse.Namespace, lang: str) -> int:
    config = _server_config(args, lang)
    log = _logger(args.log_level)
    if not config.nodes:
        print(
            t(
                lang,
                "rempart: no node to poll. Fix: declare them in [server.groups.NAME] "
                '(e.g. web1 = "192.0.2.10"), see docs/howto/server.md',
                "rempart : aucun nœud à interroger. Correction : déclarez-les dans "
                '[server.groups.NOM] (par ex. web1 = "192.0.2.10"), voir docs/howto/server.fr.md',
            ),
            file=sys.stderr,
        )
        return 2
    server = SupervisionServer(config, clock=SystemClock(), log=log)
    web = config.web.enabled and not args.no_web and not args.once
    asyncio.run(_serve(server, once=args.once, web=web))
    return 0


async def _serve(server: SupervisionServer, *, once: bool, web: bool = False) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    polling = asyncio.create_task(server.run(stop, once=once), name="rempart-server")
    dashboard = asyncio.create_task(_dashboard(server, stop, polling)) if web else None
    try:
        await polling
    finally:
        stop.set()
        if dashboard is not None:
            await dashboard


async def _dashboard(
    server: SupervisionServer, stop: asyncio.Event, polling: asyncio.Task[None]
) -> None:
    """The dashboard, once the server has opened its database, until ``stop``."""
    opened = asyncio.create_task(server.opened.wait())
    await asyncio.wait({opened, polling}, return_when=asyncio.FIRST_COMPLETED)
    if not server.opened.is_set():
        opened.cancel()
        return
    config = server.config
    read = ReadPool(config.database)
    deps = WebDeps(
        config=config.web,
        server=config,
        read=read,
        write=server.writer,
        commands=server.control,
        clock=server.clock,
        log=server.log,
    )
    try:
        await WebServer(build_app(deps), config.web.host, config.web.port, log=server.log).run(stop)
    finally:
        read.close()


def _register_ack(sub: Sub, lang: str) -> None:
    p = sub.add_parser(
        "ack",
        help=t(
            lang,
            "acknowledge an alert (it is not repeated; it still resolves)",
            "acquitter une alerte (elle n'est plus répétée ; elle se résout toujours)",
        ),
        description=t(
            lang,
            "Asks the running server (its control socket) to mark the alert as acknowledged "
            "by you. The ids are shown by `rempart alerts`. Exit codes: 0 done, 2 no such "
            "alert, 3 server not reachable.",
            "Demande au serveur en marche (son socket de contrôle) de marquer l'alerte comme "
            "acquittée par vous. Les identifiants sont affichés par `rempart alerts`. Codes "
            "de sortie : 0 fait, 2 alerte inconnue, 3 serveur injoignable.",
        ),
    )
    p.add_argument("id", type=int, metavar="ID", help=t(lang, "the alert's id", "l'identifiant"))
    _config_option(p, lang)
    _socket_option(p, lang)
    p.add_argument("--json", action="store_true", help=t(lang, "print JSON", "afficher en JSON"))
    p.set_defaults(handler=guarded(_cmd_ack))


def _cmd_ack(args: argparse.Namespace, lang: str) -> int:
    config = _server_config(args, lang)
    result = ControlClient(config.socket).call("ack", id=args.id)
    if args.json:
        print_json(result)
        return 0
    by = answer_text(result.get("ack_by", ""), lang) if isinstance(result, dict) else ""
    print(t(lang, f"alert {args.id} acknowledged by {by}", f"alerte {args.id} acquittée par {by}"))
    return 0
