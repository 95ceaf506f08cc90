"""``rempart config``: check a configuration, write the default one, list every key."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rempart.cli.common import load_config_or_default
from rempart.cli.output import print_json, t
from rempart.config import DEFAULT_CONFIG_PATH, default_config_text
from rempart.config.durations import format_duration
from rempart.config.schema import KEYS
from rempart.errors import ConfigError, UsageError
from rempart.services.jails import definition_for

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], lang: str) -> None:
    p = sub.add_parser(
        "config",
        help=t(lang, "check or create the configuration", "vérifier ou créer la configuration"),
    )
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    check = verbs.add_parser(
        "check",
        help=t(
            lang,
            "validate the file and every jail's filter (exit 1 when invalid)",
            "valider le fichier et le filtre de chaque prison (code 1 si invalide)",
        ),
    )
    check.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help=t(
            lang,
            f"file to check (default {DEFAULT_CONFIG_PATH})",
            f"fichier à vérifier (par défaut {DEFAULT_CONFIG_PATH})",
        ),
    )
    check.set_defaults(handler=_check)
    init = verbs.add_parser(
        "init",
        help=t(
            lang,
            "write the default configuration (the association's sshd rule)",
            "écrire la configuration par défaut (la règle sshd de l'association)",
        ),
    )
    init.add_argument(
        "path",
        nargs="?",
        type=Path,
        metavar="PATH",
        help=t(
            lang,
            "where to write it (default: standard output)",
            "où l'écrire (par défaut : la sortie standard)",
        ),
    )
    init.add_argument(
        "--force",
        action="store_true",
        help=t(lang, "overwrite an existing file", "écraser un fichier existant"),
    )
    init.set_defaults(handler=_init)
    keys = verbs.add_parser(
        "keys",
        help=t(lang, "describe every configuration key", "décrire chaque clé de configuration"),
    )
    keys.add_argument("--json", action="store_true", help=t(lang, "print JSON", "afficher en JSON"))
    keys.set_defaults(handler=_keys)


def _check(args: argparse.Namespace, lang: str) -> int:
    try:
        config = load_config_or_default(args.config, lang)
        for jail in config.jails.values():
            definition_for(config, jail)
    except ConfigError as exc:
        print(f"rempart: {exc.render(lang)}", file=sys.stderr)
        return 1
    for jail in config.jails.values():
        ports = "all" if jail.ports is None else ",".join(map(str, jail.ports))
        state = t(lang, "on", "actif") if jail.enabled else t(lang, "off", "inactif")
        print(
            f"{jail.name}: {jail.filter} [{state}] maxretry={jail.maxretry} "
            f"findtime={format_duration(jail.findtime)} bantime={format_duration(jail.bantime)} "
            f"ports={ports} sources={len(jail.sources)}"
        )
    print(t(lang, f"{config.path}: OK", f"{config.path} : correct"))
    return 0


def _init(args: argparse.Namespace, lang: str) -> int:
    text = default_config_text()
    if args.path is None:
        sys.stdout.write(text)
        return 0
    if args.path.exists() and not args.force:
        raise UsageError(
            "usage.invalid",
            detail=t(
                lang,
                f"{args.path} exists; use --force to overwrite it",
                f"{args.path} existe ; --force pour l'écraser",
            ),
        )
    args.path.parent.mkdir(parents=True, exist_ok=True)
    args.path.write_text(text, encoding="utf-8")
    print(t(lang, f"wrote {args.path}", f"{args.path} écrit"))
    return 0


def _keys(args: argparse.Namespace, lang: str) -> int:
    if args.json:
        print_json(
            {
                table: [
                    {
                        "key": k.name,
                        "type": k.kind,
                        "default": k.default,
                        "help": k.help_fr if lang == "fr" else k.help_en,
                        "example": k.example,
                    }
                    for k in specs
                ]
                for table, specs in KEYS.items()
            }
        )
        return 0
    for table, specs in KEYS.items():
        print(f"[{table}]")
        for k in specs:
            print(f"  {k.name} ({k.kind}; {t(lang, 'default', 'défaut')} {k.default})")
            print(f"      {k.help_fr if lang == 'fr' else k.help_en}")
    return 0
