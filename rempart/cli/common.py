"""What several commands share: finding the configuration and the server database."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from rempart.cli.output import t
from rempart.config import (
    DEFAULT_CONFIG_PATH,
    Config,
    build_config,
    default_config_text,
    load_config,
)

__all__ = [
    "EMBEDDED",
    "add_server_database_options",
    "load_config_or_default",
    "server_database",
]

EMBEDDED = Path("<embedded default configuration>")


def load_config_or_default(path: Path | None, lang: str, quiet: bool = False) -> Config:
    """``path`` if given; else /etc/rempart/rempart.toml if it exists; else the embedded default
    (saying so on stderr)."""
    if path is not None:
        return load_config(path)
    if DEFAULT_CONFIG_PATH.exists():
        return load_config(DEFAULT_CONFIG_PATH)
    if not quiet:
        sys.stderr.write(
            t(
                lang,
                f"rempart: {DEFAULT_CONFIG_PATH} not found, using the embedded default "
                "configuration (sshd jail: 5 failures in 10 min → 15 min ban)\n",
                f"rempart : {DEFAULT_CONFIG_PATH} absent, configuration intégrée utilisée "
                "(prison sshd : 5 échecs en 10 min → 15 min de bannissement)\n",
            )
        )
    return build_config(tomllib.loads(default_config_text()), EMBEDDED)


def add_server_database_options(p: argparse.ArgumentParser, lang: str) -> None:
    """``--config`` and ``--database``: where the supervision server's database is (the
    commands reading it, and ``rempart server`` itself)."""
    p.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help=t(
            lang,
            f"configuration with the [server] tables (default {DEFAULT_CONFIG_PATH})",
            f"configuration avec les tables [server] (par défaut {DEFAULT_CONFIG_PATH})",
        ),
    )
    p.add_argument(
        "--database",
        type=Path,
        metavar="PATH",
        help=t(
            lang,
            "the server database itself (overrides the configuration's [server] database)",
            "la base du serveur elle-même (remplace [server] database de la configuration)",
        ),
    )


def server_database(args: argparse.Namespace, lang: str) -> Path:
    """``--database``, else the configuration's ``[server] database``."""
    if args.database is not None:
        return Path(args.database)
    return load_config_or_default(args.config, lang, quiet=True).server.database
