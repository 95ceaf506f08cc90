"""The overview and a host's graphs in Debian's Chromium: year range, drag to zoom, reset.

Data: a year of values written through the server's own store (every hour, packed into daily
chunks and rollups like the server does), and the last day every 5 minutes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.config.server import NodeConfig
from tests.browser.harness import chromium, log_in, serve, shot
from tests.web.graphs_seed import seed_host, seed_node
from tests.web.harness import PASSWORD, T0, make_user, run_sync, web_env

pytestmark = pytest.mark.system

NODES = (
    NodeConfig("web1", "Gandi", "192.0.2.1"),
    NodeConfig("mail1", "TTN", "192.0.2.3"),
)


def _seed(db: object) -> None:
    seed_host(db, "web1", "Gandi", T0, days=365, every=3600)  # type: ignore[arg-type]
    seed_node(db, "web1", "Gandi", "up", T0)  # type: ignore[arg-type]
    seed_node(db, "mail1", "TTN", "down", T0)  # type: ignore[arg-type]


def _console(message: object, errors: list[str]) -> None:
    """Console errors, but the browser's own favicon request (the dashboard serves none)."""
    where = str(message.location.get("url", ""))  # type: ignore[attr-defined]
    if message.type == "error" and not where.endswith("/favicon.ico"):  # type: ignore[attr-defined]
        errors.append(f"{message.text} at {where}")  # type: ignore[attr-defined]


def _range(figure: object) -> tuple[int, int]:
    value = figure.evaluate("f => [Number(f.dataset.from), Number(f.dataset.to)]")  # type: ignore[attr-defined]
    return int(value[0]), int(value[1])


def test_year_graph_zoom_and_reset(tmp_path: Path) -> None:
    with web_env(tmp_path, nodes=NODES) as env, serve(env.app) as base, chromium() as browser:
        run_sync(env.server.writer.run(_seed))
        make_user(env, "alice")
        page = browser.new_page(viewport={"width": 1300, "height": 900})  # type: ignore[attr-defined]
        errors: list[str] = []
        page.on("console", lambda m: _console(m, errors))
        page.on("pageerror", lambda e: errors.append(str(e)))
        log_in(page, base, "alice", PASSWORD)
        assert page.locator("[data-testid=state-mail1]").inner_text() == "unreachable"
        shot(page, "overview")

        page.click("[data-testid=host-web1] a")
        page.wait_for_selector("[data-testid=graph-load][data-state=drawn]")
        shot(page, "host")

        page.click("[data-testid=range-year]")
        graph = page.locator("[data-testid=graph-df]")
        graph.scroll_into_view_if_needed()
        page.wait_for_selector("[data-testid=graph-df][data-state=drawn]")
        handle = graph.element_handle()
        start, end = _range(handle)
        assert end - start == 365 * 86400
        assert graph.get_attribute("data-step") == "86400"
        assert graph.locator("canvas").count() == 1
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # the lazy ones too
        page.wait_for_function(
            "() => !document.querySelector('figure[data-graph]:not([data-state=drawn])')"
        )
        shot(page, "host-year")
        graph.scroll_into_view_if_needed()

        box = graph.locator(".u-over").bounding_box()
        assert box is not None
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.6, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.65, y, steps=5)
        page.mouse.move(box["x"] + box["width"] * 0.7, y, steps=5)
        page.mouse.up()
        page.wait_for_function(
            "f => f.dataset.state === 'drawn' && Number(f.dataset.to) - Number(f.dataset.from) "
            "< 100 * 86400",
            arg=handle,
        )
        zoomed = _range(handle)
        assert start < zoomed[0] < zoomed[1] < end
        assert graph.get_attribute("data-step") == "3600"  # finer data fetched
        assert page.locator("[data-testid=reset-zoom]").is_visible()
        load = page.locator("[data-testid=graph-load]").element_handle()
        page.wait_for_function("f => Number(f.dataset.from) > " + str(start), arg=load)
        shot(page, "host-zoomed")

        page.click("[data-testid=reset-zoom]")
        page.wait_for_function(
            "f => f.dataset.state === 'drawn' && Number(f.dataset.from) === " + str(start),
            arg=handle,
        )
        assert _range(handle) == (start, end)
        assert not page.locator("[data-testid=reset-zoom]").is_visible()
        assert not errors, errors
