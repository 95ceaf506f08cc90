"""What several commands share: finding the configuration."""

from __future__ import annotations

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

__all__ = ["EMBEDDED", "load_config_or_default"]

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
