"""The ``rempart`` command line (top layer).

Exit codes: 0 success; 1 the command ran and found a problem (for ``config check``,
an invalid file); 2 usage or configuration error, or a request the agent refused;
3 a source or state could not be read, or the agent could not be reached (not running,
permission denied on its socket, no answer); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from rempart import __version__
from rempart.errors import (
    AbuseIPDBError,
    ConfigError,
    FirewallError,
    RempartError,
    SourceError,
    StateError,
)
from rempart.i18n import pick_language

__all__ = ["build_parser", "main", "reference_markdown"]

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_IO, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

Handler = Callable[[argparse.Namespace, str], int]


def _t(lang: str, en: str, fr: str) -> str:
    return fr if lang == "fr" else en


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    """The whole command line, with help in ``lang``."""
    parser = argparse.ArgumentParser(
        prog="rempart",
        description=_t(
            lang,
            "Watch and protect your servers: log detection, bans, metrics.",
            "Surveille et protège vos serveurs : détection dans les journaux, "
            "bannissements, métriques.",
        ),
        epilog=_t(
            lang,
            "Exit codes: 0 ok, 1 problem found, 2 usage or configuration error (or a request "
            "the agent refused), 3 I/O error or agent unreachable.",
            "Codes de sortie : 0 ok, 1 problème trouvé, 2 erreur d'usage ou de configuration "
            "(ou requête refusée par l'agent), 3 erreur d'entrée/sortie ou agent injoignable.",
        ),
    )
    parser.add_argument("--version", action="version", version=f"rempart {__version__}")
    parser.add_argument(
        "--lang",
        choices=("fr", "en"),
        help=_t(
            lang,
            "language of messages (default: from the locale)",
            "langue des messages (par défaut : celle de la locale)",
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for register in _commands():
        register(sub, lang)
    return parser


def _register_version(sub: argparse._SubParsersAction[argparse.ArgumentParser], lang: str) -> None:
    p = sub.add_parser("version", help=_t(lang, "print the version", "affiche la version"))
    p.set_defaults(handler=_cmd_version)


def _cmd_version(args: argparse.Namespace, lang: str) -> int:
    print(f"rempart {__version__}")
    return EXIT_OK


def _commands() -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser], str], None]]:
    from rempart.cli import (
        abuseipdb_cmd,
        agent_cmd,
        alerts_cmd,
        config_cmd,
        control_cmd,
        filters,
        nodes_cmd,
        probes_cmd,
        query_cmd,
        replay,
        run_cmd,
        server_cmd,
        user_cmd,
    )

    return [
        agent_cmd.register,
        control_cmd.register,
        abuseipdb_cmd.register,
        probes_cmd.register,
        server_cmd.register,
        alerts_cmd.register,
        user_cmd.register,
        run_cmd.register,
        query_cmd.register,
        nodes_cmd.register,
        replay.register,
        filters.register,
        config_cmd.register,
        _register_version,
    ]


def reference_markdown() -> str:
    """The CLI reference (every command's --help, in English and French)."""
    out = ["# Command-line reference / Référence de la ligne de commande\n\n"]
    for lang in ("en", "fr"):
        parser = build_parser(lang)
        out.append(f"## {'English' if lang == 'en' else 'Français'}\n\n")
        out.append("```text\n" + _stable_help(parser) + "```\n\n")
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        for action in subs:
            for name, subparser in action.choices.items():
                out.append(f"### `rempart {name}`\n\n```text\n{_stable_help(subparser)}```\n\n")
                out += _nested(f"rempart {name}", subparser)
    return "".join(out)


def _nested(prefix: str, parser: argparse.ArgumentParser) -> list[str]:
    """The help of a command's own subcommands (``rempart abuseipdb status``…)."""
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                out.append(f"#### `{prefix} {name}`\n\n```text\n{_stable_help(subparser)}```\n\n")
    return out


def _stable_help(parser: argparse.ArgumentParser) -> str:
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        return parser.format_help()
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--lang", choices=("fr", "en"))
    known, _ = pre.parse_known_args(args_list)
    lang = pick_language(known.lang, os.environ)
    args = build_parser(lang).parse_args(args_list)
    handler: Handler = args.handler
    try:
        return handler(args, lang)
    except ConfigError as exc:
        print(f"rempart: {exc.render(lang)}", file=sys.stderr)
        return EXIT_USAGE
    except (SourceError, StateError, FirewallError, AbuseIPDBError) as exc:
        print(f"rempart: {exc.render(lang)}", file=sys.stderr)
        return EXIT_IO
    except RempartError as exc:
        print(f"rempart: {exc.render(lang)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(_t(lang, "rempart: interrupted", "rempart : interrompu"), file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK
