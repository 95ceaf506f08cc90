"""Debian's Chromium driven by Playwright, and the dashboard served for it on loopback.

``chromium()`` launches ``/usr/bin/chromium`` headless (the flags keep it off the network:
this machine's network is closed, and a browser test reaches only 127.0.0.1).
``serve(app)`` runs the application under uvicorn in a thread on a free loopback port.
``shot(page, name)`` saves a screenshot for review under build/screenshots/ (or
``$REMPART_SCREENSHOTS``).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from tests.conftest import ROOT, need_file
from tests.munin_peers import free_port

__all__ = ["CHROMIUM", "SCREENSHOTS", "chromium", "log_in", "serve", "shot"]

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("REMPART_SCREENSHOTS", ROOT / "build" / "screenshots"))
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@contextmanager
def chromium() -> Iterator[object]:
    """A Playwright Browser (typed loosely: playwright is a dev dependency)."""
    need_file(CHROMIUM, "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def serve(app: ASGIApp) -> Iterator[str]:
    """``app`` served on 127.0.0.1:<free port>; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dashboard did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def shot(page: object, name: str) -> Path:
    """Save a full-page screenshot of ``page`` as build/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


def log_in(page: object, base: str, name: str, password: str) -> None:
    """Fill the login form and wait for the page after it."""
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.fill("input[name=name]", name)  # type: ignore[attr-defined]
    page.fill("input[name=password]", password)  # type: ignore[attr-defined]
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.click("button[type=submit]")  # type: ignore[attr-defined]
