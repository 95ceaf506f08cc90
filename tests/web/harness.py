"""A dashboard around a real server database, for in-process tests and the browser tests.

``web_env(tmp_path)`` opens a :class:`SupervisionServer` on a fresh server.db (migrations
applied, no polling), builds :class:`WebDeps` from it (read pool, the server's writer, its
command table) and the application. ``login(client, env, name, role)`` adds an account and
opens a session for ``client`` the way the login form does (the form itself is tested in
tests/web/test_auth.py).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.testclient import TestClient

from rempart.clock import FrozenClock
from rempart.config.server import NodeConfig, ServerConfig, WebConfig
from rempart.services.readpool import ReadPool
from rempart.services.server import SupervisionServer
from rempart.store.web_users import Role, SqliteUserStore
from rempart.web.app import build_app
from rempart.web.auth import SESSION_COOKIE
from rempart.web.deps import WebDeps
from rempart.web.passwords import hash_password

__all__ = ["T0", "WebEnv", "login", "make_user", "run_sync", "web_env"]

T = TypeVar("T")

T0 = 1_790_000_000.0  # 2026-09-21, on the 5-minute grid
PASSWORD = "correct horse battery staple"


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """``coroutine``'s result, from plain test code — also under Playwright's sync API,
    whose own event loop runs in this thread (then the coroutine runs in another thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@dataclass
class WebEnv:
    path: Path
    server: SupervisionServer
    deps: WebDeps
    app: Starlette
    clock: FrozenClock

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://127.0.0.1", follow_redirects=False)


@contextmanager
def web_env(
    tmp_path: Path,
    *,
    nodes: tuple[NodeConfig, ...] = (),
    web: WebConfig | None = None,
    now: float = T0,
) -> Iterator[WebEnv]:
    path = tmp_path / "server.db"
    clock = FrozenClock(now)
    log = logging.getLogger("rempart.test.web")
    config = ServerConfig(
        nodes=nodes,
        database=path,
        socket=tmp_path / "server.sock",
        web=web or WebConfig(auth_log=tmp_path / "web-auth.log"),
    )
    server = SupervisionServer(config, clock=clock, log=log)
    run_sync(server.open())
    read = ReadPool(path)
    deps = WebDeps(
        config=config.web,
        server=config,
        read=read,
        write=server.writer,
        commands=server.control,
        clock=clock,
        log=log,
    )
    try:
        yield WebEnv(path, server, deps, build_app(deps), clock)
    finally:
        read.close()
        run_sync(server.close())


def make_user(env: WebEnv, name: str, role: Role = "admin", password: str = PASSWORD) -> None:
    hashed = hash_password(password)
    now = env.clock.now()
    run_sync(env.server.writer.run(lambda db: SqliteUserStore(db).add(name, role, hashed, now)))


def login(client: TestClient, env: WebEnv, name: str = "alice", role: Role = "admin") -> str:
    """Add ``name`` (when missing) and give ``client`` a session; returns its CSRF token."""
    store_user = run_sync(env.server.writer.run(lambda db: SqliteUserStore(db).user(name)))
    if store_user is None:
        make_user(env, name, role)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = env.clock.now()
    run_sync(
        env.server.writer.run(
            lambda db: SqliteUserStore(db).open_session(name, token, csrf, now, "127.0.0.1")
        )
    )
    client.cookies.set(SESSION_COOKIE, token)
    return csrf
