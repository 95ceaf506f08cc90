"""``rempart agent``: run the agent in the foreground (systemd runs it the same way)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from rempart.cli.common import load_config_or_default
from rempart.cli.output import t
from rempart.clock import SystemClock
from rempart.config import DEFAULT_CONFIG_PATH
from rempart.services.agent import Agent, AgentOptions

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], lang: str) -> None:
    p = sub.add_parser(
        "agent",
        help=t(
            lang,
            "run the agent: follow the logs, ban in nftables, serve the control socket",
            "lancer l'agent : suivre les journaux, bannir dans nftables, servir le socket "
            "de contrôle",
        ),
        description=t(
            lang,
            "Runs in the foreground until SIGTERM or Ctrl-C. Bans go to nftables (table inet "
            "rempart) and survive the agent: they expire in the kernel.",
            "Tourne au premier plan jusqu'à SIGTERM ou Ctrl-C. Les bannissements vont dans "
            "nftables (table inet rempart) et survivent à l'agent : ils expirent dans le noyau.",
        ),
    )
    p.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help=t(
            lang,
            f"configuration file (default {DEFAULT_CONFIG_PATH}, else the embedded default)",
            f"fichier de configuration (par défaut {DEFAULT_CONFIG_PATH}, sinon la "
            "configuration intégrée)",
        ),
    )
    p.add_argument(
        "--firewall",
        choices=("auto", "nftables", "dry-run"),
        help=t(
            lang,
            "where bans go (default: the config's firewall key, auto)",
            "destination des bannissements (par défaut : la clé firewall, auto)",
        ),
    )
    p.add_argument(
        "--socket",
        type=Path,
        metavar="PATH",
        help=t(
            lang,
            "control socket (default: the config's socket key)",
            "socket de contrôle (par défaut : la clé socket de la configuration)",
        ),
    )
    p.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        help=t(
            lang,
            "state directory (default: the config's state_dir)",
            "répertoire d'état (par défaut : la clé state_dir)",
        ),
    )
    p.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default="info",
        help=t(lang, "what to log (default info)", "niveau de journalisation (par défaut info)"),
    )
    p.set_defaults(handler=_run)


def _logger(level: str) -> logging.Logger:
    log = logging.getLogger("rempart")
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        # under systemd the journal dates and names every line itself
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        # read back by the recidive filter: "<date> rempart[pid]: ban jail=…"
        handler.setFormatter(
            logging.Formatter("%(asctime)s rempart[%(process)d]: %(message)s", "%Y-%m-%d %H:%M:%S")
        )
    log.handlers[:] = [handler]
    log.setLevel(level.upper())
    log.propagate = False
    return log


def _run(args: argparse.Namespace, lang: str) -> int:
    config = load_config_or_default(args.config, lang)
    log = _logger(args.log_level)
    options = AgentOptions(
        config=config,
        firewall=args.firewall or config.firewall,
        socket=args.socket or config.socket,
        state_dir=args.state_dir,
    )
    agent = Agent(options, clock=SystemClock(), log=log)
    asyncio.run(_serve(agent))
    return 0


async def _serve(agent: Agent) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await agent.run(stop)
