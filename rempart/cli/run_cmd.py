"""``rempart run``: the whole product on this machine with embedded defaults (``make run``).

Writes ``<dir>/rempart.toml`` when missing (agent state, control socket, munin-node port, the
server with one group "local" polling this agent, the dashboard and its agent link), creates
the first admin account when there is none (password saved in ``<dir>/admin-password``, mode
0600), starts ``rempart agent`` and ``rempart server`` as child processes, waits for the
dashboard, prints its address, the user and the password; Ctrl-C or SIGTERM stops both. A child
that dies stops the other, and the exit says which.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import FrameType
from typing import TypeAlias

from rempart.cli.output import t
from rempart.config.load import default_config_text
from rempart.config.server import parse_node_address
from rempart.errors import RempartError
from rempart.store.server_db import open_server_db
from rempart.store.web_users import SqliteUserStore
from rempart.web.passwords import hash_password, new_password, verify_password

__all__ = ["local_config", "register"]

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


def register(sub: Sub, lang: str) -> None:
    p = sub.add_parser(
        "run",
        help=t(
            lang,
            "run agent, server and dashboard on this machine with embedded defaults (make run)",
            "lancer agent, serveur et tableau de bord sur cette machine avec les réglages "
            "intégrés (make run)",
        ),
        description=t(
            lang,
            "Writes DIR/rempart.toml when missing, creates the first admin account, starts "
            "`rempart agent` and `rempart server` and prints the dashboard's address and the "
            "admin password. Runs until Ctrl-C or SIGTERM. Not root: the agent only logs its "
            "bans (dry-run).",
            "Écrit DIR/rempart.toml s'il manque, crée le premier compte admin, lance `rempart "
            "agent` et `rempart server` et affiche l'adresse du tableau de bord et le mot de "
            "passe admin. Tourne jusqu'à Ctrl-C ou SIGTERM. Sans root, l'agent ne fait que "
            "journaliser ses bannissements (dry-run).",
        ),
    )
    p.add_argument(
        "--dir",
        type=Path,
        default=Path(".rempart"),
        metavar="DIR",
        help=t(
            lang,
            "where state and config live (default .rempart)",
            "où vivent état et configuration (par défaut .rempart)",
        ),
    )
    p.add_argument(
        "--listen",
        default="127.0.0.1:8090",
        metavar="ADDR:PORT",
        help=t(
            lang,
            "the dashboard's address (default 127.0.0.1:8090)",
            "adresse du tableau de bord (par défaut 127.0.0.1:8090)",
        ),
    )
    p.add_argument(
        "--munin-port",
        type=int,
        metavar="N",
        help=t(
            lang,
            "the agent's munin-node port (default 4949 when free, else a free one)",
            "port munin-node de l'agent (par défaut 4949 s'il est libre, sinon un libre)",
        ),
    )
    p.add_argument(
        "--firewall",
        choices=("auto", "nftables", "dry-run"),
        default="auto",
        help=t(
            lang,
            "where the agent's bans go (default auto: nftables when root)",
            "où vont les bannissements (par défaut auto : nftables en root)",
        ),
    )
    p.set_defaults(handler=_run)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _toml(path: Path) -> str:
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def local_config(directory: Path, listen: str, munin_port: int) -> str:
    """The configuration ``rempart run`` writes: the shipped default with this directory's
    paths, the munin-node port, and the server with its dashboard polling this agent."""
    d = directory.resolve()
    text = default_config_text()
    text = text.replace('state_dir = "/var/lib/rempart"', f"state_dir = {_toml(d / 'state')}")
    text = text.replace('socket = "/run/rempart/agent.sock"', f"socket = {_toml(d / 'agent.sock')}")
    text = text.replace(
        'path = "/var/log/rempart/web-auth.log"', f"path = {_toml(d / 'web-auth.log')}"
    )
    return (
        "# Written by `rempart run` (make run): this machine's agent, server and dashboard.\n"
        "# Écrit par `rempart run` (make run) : agent, serveur et tableau de bord de cette "
        "machine.\n"
        + text
        + f"""
[metrics.munin]
port = {munin_port}

[server]
database = {_toml(d / "server.db")}
socket = {_toml(d / "server.sock")}

[server.groups.local]
localhost = "127.0.0.1:{munin_port}"

[server.web]
listen = "{listen}"
auth_log = {_toml(d / "web-auth.log")}

[server.web.agents]
localhost = {_toml(d / "agent.sock")}
"""
    )


def _first_admin(database: Path, password_file: Path) -> tuple[str | None, bool]:
    """(the admin password to show, whether it was just created)."""
    db = open_server_db(database)
    try:
        store = SqliteUserStore(db)
        if not store.users():
            password = new_password()
            store.add("admin", "admin", hash_password(password), time.time())
            fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(password + "\n")
            return password, True
        admin = store.user("admin")
    finally:
        db.close()
    if not password_file.exists():
        return None, False
    saved = password_file.read_text(encoding="utf-8").strip()
    if admin is not None and verify_password(admin.password_hash, saved):
        return saved, False
    password_file.unlink()  # changed since: the saved one opens nothing, keep no stale secret
    return None, False


def _wait_ready(url: str, children: list[subprocess.Popen[bytes]]) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if any(c.poll() is not None for c in children):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (loopback URL)
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def _wait_for(path: Path, child: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not path.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)  # the munin-node port opens right after the control socket


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _run(args: argparse.Namespace, lang: str) -> int:
    directory: Path = args.dir.resolve()
    try:
        host, port = parse_node_address(args.listen)
    except ValueError as exc:
        print(f"rempart run: --listen: {exc}", file=sys.stderr)
        return 2
    directory.mkdir(mode=0o750, parents=True, exist_ok=True)
    config = directory / "rempart.toml"
    if not config.exists():
        munin = args.munin_port or (4949 if _port_free(4949) else _free_port())
        config.write_text(local_config(directory, f"{host}:{port}", munin), encoding="utf-8")
        print(t(lang, f"rempart: wrote {config}", f"rempart : {config} écrit"))
    else:
        print(
            t(
                lang,
                f"rempart: using {config} (delete it to start afresh)",
                f"rempart : utilise {config} (supprimez-le pour repartir de zéro)",
            )
        )
    password_file = directory / "admin-password"
    try:
        password, created = _first_admin(directory / "server.db", password_file)
    except RempartError as exc:
        print(f"rempart run: {exc.render(lang)}", file=sys.stderr)
        return 3
    py = [sys.executable, "-m", "rempart"]
    agent_argv = [*py, "agent", "--config", str(config), "--firewall", args.firewall]
    server_argv = [*py, "server", "--config", str(config)]
    children = [subprocess.Popen(agent_argv)]  # noqa: S603
    # the server's first round polls the agent at once: start it once the agent listens
    _wait_for(directory / "agent.sock", children[0])
    children.append(subprocess.Popen(server_argv))  # noqa: S603
    names = ("agent", "server")
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    base = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    try:
        if not _wait_ready(f"{base}/healthz", children):
            dead = [n for n, c in zip(names, children, strict=True) if c.poll() is not None]
            print(
                t(
                    lang,
                    f"rempart run: the dashboard did not start ({', '.join(dead) or 'timeout'});"
                    " see the log above",
                    f"rempart run : le tableau de bord n'a pas démarré "
                    f"({', '.join(dead) or 'délai dépassé'}) ; voyez le journal ci-dessus",
                ),
                file=sys.stderr,
            )
            return 1
        _banner(lang, base, password, created, password_file)
        while not stopping:
            for name, child in zip(names, children, strict=True):
                if child.poll() is not None:
                    print(
                        t(
                            lang,
                            f"rempart run: the {name} stopped (exit {child.returncode}); "
                            "stopping the rest — see its log above",
                            f"rempart run : {name} s'est arrêté (code {child.returncode}) ; "
                            "arrêt du reste — voyez son journal ci-dessus",
                        ),
                        file=sys.stderr,
                    )
                    return 1
            time.sleep(0.3)
        return 0
    finally:
        _stop(children)


def _banner(lang: str, base: str, password: str | None, created: bool, saved: Path) -> None:
    print()
    print(t(lang, f"  Dashboard:  {base}/", f"  Tableau de bord :  {base}/"))
    if password is not None:
        print(t(lang, "  User:       admin", "  Utilisateur :      admin"))
        print(t(lang, f"  Password:   {password}", f"  Mot de passe :     {password}"))
        print(
            t(
                lang,
                f"  (saved in {saved}; delete it once you changed the password)",
                f"  (gardé dans {saved} ; supprimez-le après avoir changé le mot de passe)",
            )
        )
    else:
        print(
            t(
                lang,
                "  Accounts exist; forgotten password: rempart user passwd NAME --database "
                f"{saved.parent / 'server.db'}",
                "  Des comptes existent ; mot de passe oublié : "
                f"rempart user passwd NOM --database {saved.parent / 'server.db'}",
            )
        )
    if created:
        print(t(lang, "  First admin account created.", "  Premier compte admin créé."))
    print(
        t(
            lang,
            "  Ctrl-C stops agent, server and dashboard.",
            "  Ctrl-C arrête agent, serveur et tableau de bord.",
        )
    )
    print(flush=True)
