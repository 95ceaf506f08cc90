"""``rempart user``: the dashboard's accounts (add, list, remove, passwd, role).

Accounts live in the server database (table ``web_users``); this command writes it directly
(SQLite serialises the writes with a running ``rempart server``). A password comes from a file
(``--password-file``), standard input (``--password-stdin``), the terminal (``--prompt``), or
is generated and printed once. Changing a password or removing an account ends its sessions.
Exit codes: 0 done, 2 usage error (bad name, unknown or existing account, weak password),
3 the database cannot be opened.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from pathlib import Path
from typing import Any, TypeAlias

from rempart.cli.common import add_server_database_options, server_database
from rempart.cli.output import iso_utc, print_json, t, table
from rempart.clock import SystemClock
from rempart.errors import UsageError
from rempart.store.server_db import open_server_db, open_server_db_readonly
from rempart.store.web_users import ROLES, Role, SqliteUserStore, StoredUser
from rempart.web.passwords import MIN_PASSWORD, hash_password, new_password

__all__ = ["NAME", "check_name", "register", "user_json"]

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise UsageError("web.user.bad_name", name=name[:80].encode("unicode_escape").decode())
    return name


def register(sub: Sub, lang: str) -> None:
    p = sub.add_parser(
        "user",
        help=t(
            lang,
            "dashboard accounts: add, list, remove, passwd, role",
            "comptes du tableau de bord : add, list, remove, passwd, role",
        ),
        description=t(
            lang,
            "Manage the accounts of the web dashboard (served by `rempart server`), stored in "
            "the server database. Roles: admin (may unban, ban, allow, acknowledge) and reader "
            "(sees everything, changes nothing).",
            "Gérer les comptes du tableau de bord web (servi par `rempart server`), stockés "
            "dans la base du serveur. Rôles : admin (peut lever, bannir, autoriser, acquitter) "
            "et reader (voit tout, ne change rien).",
        ),
    )
    inner = p.add_subparsers(dest="user_command", metavar="COMMAND")
    inner.required = True
    epilog = t(
        lang,
        "Exit codes: 0 done, 2 usage error (bad name, unknown or existing account, weak "
        "password), 3 the database cannot be opened.",
        "Codes de sortie : 0 fait, 2 erreur d'usage (nom invalide, compte inconnu ou déjà "
        "existant, mot de passe faible), 3 base impossible à ouvrir.",
    )
    _add(inner, lang, epilog)
    _list(inner, lang, epilog)
    _remove(inner, lang, epilog)
    _passwd(inner, lang, epilog)
    _role(inner, lang, epilog)


def _name_arg(p: argparse.ArgumentParser, lang: str) -> None:
    p.add_argument(
        "name",
        metavar="NAME",
        help=t(
            lang,
            "login name: letters, digits and . _ @ - (1 to 64)",
            "nom de connexion : lettres, chiffres et . _ @ - (1 à 64)",
        ),
    )


def _password_options(p: argparse.ArgumentParser, lang: str) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help=t(
            lang,
            "read the password from the first line of FILE",
            "lire le mot de passe sur la première ligne de FILE",
        ),
    )
    group.add_argument(
        "--password-stdin",
        action="store_true",
        help=t(
            lang,
            "read the password from the first line of standard input",
            "lire le mot de passe sur la première ligne de l'entrée standard",
        ),
    )
    group.add_argument(
        "--prompt",
        action="store_true",
        help=t(
            lang,
            "type the password (twice) on the terminal",
            "taper le mot de passe (deux fois) au terminal",
        ),
    )


def _add(inner: Sub, lang: str, epilog: str) -> None:
    p = inner.add_parser(
        "add",
        help=t(lang, "add an account", "ajouter un compte"),
        description=t(
            lang,
            "Add an account. Without --password-file, --password-stdin or --prompt, a random "
            "password is generated and printed once.",
            "Ajouter un compte. Sans --password-file, --password-stdin ni --prompt, un mot de "
            "passe aléatoire est créé et affiché une seule fois.",
        ),
        epilog=epilog,
    )
    _name_arg(p, lang)
    p.add_argument(
        "--role",
        choices=ROLES,
        default="admin",
        help=t(
            lang,
            "admin (acts) or reader (read only); default admin",
            "admin (agit) ou reader (lecture seule) ; admin par défaut",
        ),
    )
    _password_options(p, lang)
    add_server_database_options(p, lang)
    p.set_defaults(handler=_cmd_add)


def _list(inner: Sub, lang: str, epilog: str) -> None:
    p = inner.add_parser(
        "list",
        help=t(lang, "list the accounts", "lister les comptes"),
        description=t(
            lang,
            "The accounts: name, role, language, created, last login, password changed.",
            "Les comptes : nom, rôle, langue, création, dernière connexion, changement du "
            "mot de passe.",
        ),
        epilog=epilog,
    )
    p.add_argument("--json", action="store_true", help=t(lang, "print JSON", "afficher en JSON"))
    add_server_database_options(p, lang)
    p.set_defaults(handler=_cmd_list)


def _remove(inner: Sub, lang: str, epilog: str) -> None:
    p = inner.add_parser(
        "remove",
        help=t(
            lang, "remove an account (and its sessions)", "supprimer un compte (et ses sessions)"
        ),
        epilog=epilog,
    )
    _name_arg(p, lang)
    add_server_database_options(p, lang)
    p.set_defaults(handler=_cmd_remove)


def _passwd(inner: Sub, lang: str, epilog: str) -> None:
    p = inner.add_parser(
        "passwd",
        help=t(
            lang,
            "set an account's password (its sessions end)",
            "changer le mot de passe d'un compte (ses sessions se terminent)",
        ),
        description=t(
            lang,
            "Set a new password. Without --password-file, --password-stdin or --prompt, a "
            "random password is generated and printed once. The account's sessions end.",
            "Donner un nouveau mot de passe. Sans --password-file, --password-stdin ni "
            "--prompt, un mot de passe aléatoire est créé et affiché une seule fois. Les "
            "sessions du compte se terminent.",
        ),
        epilog=epilog,
    )
    _name_arg(p, lang)
    _password_options(p, lang)
    add_server_database_options(p, lang)
    p.set_defaults(handler=_cmd_passwd)


def _role(inner: Sub, lang: str, epilog: str) -> None:
    p = inner.add_parser(
        "role",
        help=t(lang, "change an account's role", "changer le rôle d'un compte"),
        epilog=epilog,
    )
    _name_arg(p, lang)
    p.add_argument("role", choices=ROLES, metavar="ROLE", help="admin | reader")
    add_server_database_options(p, lang)
    p.set_defaults(handler=_cmd_role)


# ---------------------------------------------------------------------- handlers


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """(password, generated)."""
    if args.password_file is not None:
        try:
            text = Path(args.password_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError("web.user.password_file", path=args.password_file, reason=exc) from exc
        return _checked(text.splitlines()[0] if text else ""), False
    if args.password_stdin:
        return _checked(sys.stdin.readline().rstrip("\r\n")), False
    if args.prompt:
        first = getpass.getpass("Password / mot de passe: ")
        if getpass.getpass("Again / à nouveau: ") != first:
            raise UsageError("web.user.mismatch")
        return _checked(first), False
    return new_password(), True


def _checked(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UsageError("web.user.short", minimum=MIN_PASSWORD)
    return password


def _print_generated(name: str, password: str, lang: str) -> None:
    print(
        t(
            lang,
            f"password of {name} (shown once, keep it safe): {password}",
            f"mot de passe de {name} (affiché une seule fois, gardez-le) : {password}",
        )
    )


def _cmd_add(args: argparse.Namespace, lang: str) -> int:
    name = check_name(args.name)
    password, generated = _password(args)
    hashed = hash_password(password)
    with open_server_db(server_database(args, lang)) as db:
        if not SqliteUserStore(db).add(name, args.role, hashed, SystemClock().now()):
            raise UsageError("web.user.exists", name=name)
    print(t(lang, f"account {name} added ({args.role})", f"compte {name} ajouté ({args.role})"))
    if generated:
        _print_generated(name, password, lang)
    return 0


def _cmd_passwd(args: argparse.Namespace, lang: str) -> int:
    name = check_name(args.name)
    password, generated = _password(args)
    hashed = hash_password(password)
    with open_server_db(server_database(args, lang)) as db:
        if not SqliteUserStore(db).set_password(name, hashed, SystemClock().now()):
            raise UsageError("web.user.unknown", name=name)
    print(
        t(
            lang,
            f"password of {name} changed; its sessions are closed",
            f"mot de passe de {name} changé ; ses sessions sont fermées",
        )
    )
    if generated:
        _print_generated(name, password, lang)
    return 0


def _cmd_remove(args: argparse.Namespace, lang: str) -> int:
    name = check_name(args.name)
    with open_server_db(server_database(args, lang)) as db:
        store = SqliteUserStore(db)
        if not store.remove(name):
            raise UsageError("web.user.unknown", name=name)
        admins = [u for u in store.users() if u.role == "admin"]
    print(t(lang, f"account {name} removed", f"compte {name} supprimé"))
    _warn_no_admin(admins, lang)
    return 0


def _cmd_role(args: argparse.Namespace, lang: str) -> int:
    name = check_name(args.name)
    role: Role = args.role
    with open_server_db(server_database(args, lang)) as db:
        store = SqliteUserStore(db)
        if not store.set_role(name, role):
            raise UsageError("web.user.unknown", name=name)
        admins = [u for u in store.users() if u.role == "admin"]
    print(t(lang, f"account {name} is now {role}", f"le compte {name} est maintenant {role}"))
    _warn_no_admin(admins, lang)
    return 0


def _warn_no_admin(admins: list[StoredUser], lang: str) -> None:
    if not admins:
        print(
            t(
                lang,
                "rempart: no admin account is left; nobody can act from the dashboard. Fix: "
                "rempart user add NAME (or rempart user role NAME admin)",
                "rempart : plus aucun compte admin ; personne ne peut agir depuis le tableau "
                "de bord. Correction : rempart user add NOM (ou rempart user role NOM admin)",
            ),
            file=sys.stderr,
        )


def user_json(user: StoredUser) -> dict[str, Any]:
    """One account for ``--json`` (never its password hash)."""
    return {
        "name": user.name,
        "role": user.role,
        "language": user.language,
        "created": iso_utc(user.created),
        "password_changed": iso_utc(user.password_changed),
        "last_login": iso_utc(user.last_login) if user.last_login is not None else None,
    }


def _cmd_list(args: argparse.Namespace, lang: str) -> int:
    with open_server_db_readonly(server_database(args, lang)) as db:
        users = SqliteUserStore(db).users()
    if args.json:
        print_json([user_json(u) for u in users])
        return 0
    if not users:
        print(t(lang, "no account (rempart user add NAME)", "aucun compte (rempart user add NOM)"))
        return 0
    header = [t(lang, *h) for h in _HEADER]
    rows = [
        [
            u.name,
            u.role,
            u.language or "-",
            _when(u.created),
            _when(u.last_login) if u.last_login is not None else "-",
            _when(u.password_changed),
        ]
        for u in users
    ]
    table(rows, header, sys.stdout)
    return 0


def _when(epoch: float) -> str:
    return iso_utc(float(int(epoch)))


_HEADER = (
    ("NAME", "NOM"),
    ("ROLE", "RÔLE"),
    ("LANG", "LANGUE"),
    ("CREATED", "CRÉÉ"),
    ("LAST LOGIN", "DERNIÈRE CONNEXION"),
    ("PASSWORD CHANGED", "MOT DE PASSE CHANGÉ"),
)
