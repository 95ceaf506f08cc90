"""The host page and /api/series: categories, ranges, steps, min/avg/max, escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from rempart.config.server import NodeConfig
from rempart.metrics.model import Field, Graph
from rempart.web.hosts import by_category, parse_range
from rempart.web.series_api import drawn_fields, field_scale
from tests.web.graphs_seed import seed_host
from tests.web.harness import T0, WebEnv, login, run_sync, web_env

NODES = (NodeConfig("web1", "Gandi", "192.0.2.1"), NodeConfig("idle", "Gandi", "192.0.2.9"))


@pytest.fixture
def env(tmp_path: Path) -> Iterator[WebEnv]:
    with web_env(tmp_path, nodes=NODES) as value:
        run_sync(value.server.writer.run(lambda db: seed_host(db, "web1", "Gandi", T0, days=40)))
        yield value


def test_host_page_has_every_graph_by_category(env: WebEnv) -> None:
    with env.client() as client:
        login(client, env)
        text = client.get("/hosts/web1").text
        order = re.findall(r'data-testid="category-([^"]+)"', text)
        assert order == ["system", "disk", "network", "containers", "rempart"]
        for name in ("load", "df", "if_eth0", "containers_net_in", "rempart_active_bans"):
            assert f'data-testid="graph-{name}"' in text
        assert 'data-testid="range-year"' in text
        assert 'data-testid="reset-zoom"' in text
        assert "<script>" not in text  # no inline script
        assert 'data-from="' in text


def test_unknown_host_is_404_and_configured_host_without_data_says_so(env: WebEnv) -> None:
    with env.client() as client:
        login(client, env)
        assert client.get("/hosts/nope").status_code == 404
        idle = client.get("/hosts/idle")
        assert idle.status_code == 200
        assert 'data-testid="no-graphs"' in idle.text


def test_ranges(env: WebEnv) -> None:
    with env.client() as client:
        login(client, env)
        year = client.get("/hosts/web1?range=year").text
        assert f'data-from="{int(T0) - 365 * 86400}"' in year
        assert 'data-testid="range-year" aria-current="true"' in year
        bad = client.get("/hosts/web1?from=2026-02-01&to=2026-01-01").text
        assert 'data-testid="range-error"' in bad


def test_parse_range() -> None:
    span = parse_range({"from": "2026-01-01", "to": "2026-01-31"}, T0)
    assert span.name == "custom"
    assert span.end - span.start == 31 * 86400
    assert parse_range({"range": "week"}, T0).start == int(T0) - 7 * 86400
    assert parse_range({"range": "nonsense"}, T0).name == "day"
    with pytest.raises(ValueError, match=r"isoformat"):
        parse_range({"from": "yesterday"}, T0)


def _series(client, graph: str, span: int, end: float = T0) -> dict:  # type: ignore[no-untyped-def,type-arg]
    answer = client.get(
        "/api/series", params={"host": "web1", "graph": graph, "from": end - span, "to": end}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    return answer.json()  # type: ignore[no-any-return]


def test_series_steps_and_min_max(env: WebEnv) -> None:
    with env.client() as client:
        login(client, env)
        day = _series(client, "load", 86400)
        assert day["step"] == 300
        assert day["low"] == {}
        assert len(day["t"]) == len(day["avg"]["load"])
        assert day["avg"]["load"][-2] is not None
        month = _series(client, "load", 31 * 86400)
        assert month["step"] == 3600
        year = _series(client, "df", 365 * 86400)
        assert year["step"] == 86400
        assert [f["name"] for f in year["fields"]] == ["_dev_vda1", "_dev_vdb1"]
        known = [i for i, v in enumerate(year["avg"]["_dev_vdb1"]) if v is not None]
        assert len(known) >= 39  # one per day seeded
        assert all(year["low"]["_dev_vdb1"][i] <= year["high"]["_dev_vdb1"][i] for i in known)
        assert any(year["low"]["_dev_vdb1"][i] < year["high"]["_dev_vdb1"][i] for i in known)
        assert year["avg"]["_dev_vdb1"][0] is None  # a gap is null


def test_series_negative_fields_and_cdef(env: WebEnv) -> None:
    with env.client() as client:
        login(client, env)
        doc = _series(client, "if_eth0", 3600)
        names = {f["name"]: f for f in doc["fields"]}
        assert set(names) == {"down", "up"}
        assert names["up"]["negative"] == "down"
        assert doc["avg"]["up"][-1] == 250.0 * 8  # bits, as Munin shows it
        assert doc["vlabel"] == "bits in (-) / out (+) per second"


def test_container_network_labels_come_as_data(env: WebEnv) -> None:
    with env.client() as client:
        login(client, env)
        doc = _series(client, "containers_net_in", 86400)
        assert [f["label"] for f in doc["fields"]] == ["web (veth0a1b)", "db <b>x</b>"]
        page = client.get("/hosts/web1").text
        assert "<b>x</b>" not in page


def test_series_refuses_bad_requests(env: WebEnv) -> None:
    with env.client() as client:
        assert client.get("/api/series?host=web1&graph=load&from=0&to=1").status_code == 401
        login(client, env)
        bad = {"host": "web1", "graph": "load", "from": "x", "to": "1"}
        assert client.get("/api/series", params=bad).status_code == 400
        nan = {"host": "web1", "graph": "load", "from": "nan", "to": "1"}
        assert client.get("/api/series", params=nan).status_code == 400
        short = {"host": "web1", "graph": "load", "from": str(T0 - 10), "to": str(T0)}
        assert client.get("/api/series", params=short).status_code == 400
        gone = {"host": "web1", "graph": "nope", "from": str(T0 - 3600), "to": str(T0)}
        assert client.get("/api/series", params=gone).status_code == 404


def test_field_scale_and_drawn_fields() -> None:
    per_minute = Graph("f", "F", "x", (Field("a", "a", type="DERIVE"),), period="minute")
    assert field_scale(per_minute, per_minute.fields[0]) == 60.0
    per_day = Field("b", "b", type="DERIVE", cdef="b,86400,*")
    assert field_scale(Graph("g", "G", "x", (per_day,)), per_day) == 86400.0
    odd = Field("c", "c", cdef="c,8,*,2,+")
    assert field_scale(Graph("g", "G", "x", (odd,)), odd) == 1.0
    hidden = Graph("h", "H", "x", (Field("s", "size", graph=False), Field("u", "used")))
    assert [f.name for f in drawn_fields(hidden)] == ["u"]


def test_by_category_puts_usual_ones_first() -> None:
    graphs = [
        Graph("z", "Z", "zebra", ()),
        Graph("a", "A", "apache", ()),
        Graph("n", "N", "network", ()),
        Graph("s", "S", "system", ()),
    ]
    assert [c for c, _ in by_category(graphs)] == ["system", "network", "apache", "zebra"]
