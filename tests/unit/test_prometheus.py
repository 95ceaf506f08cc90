"""Prometheus text format: the pure renderer (parsed back by a strict parser of the 0.0.4
grammar) and the HTTP endpoint, served for real on 127.0.0.1 and asked with httpx."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import Iterator
from types import MappingProxyType

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.errors import MuninError
from rempart.metrics.model import Collection, Field, Graph, Series
from rempart.metrics.prometheus import CONTENT_TYPE, render
from rempart.services.agent_metrics import AgentMetrics, JailCounters
from rempart.services.prometheus_http import PrometheusServer

LOG = logging.getLogger("rempart.test.prometheus")

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL_VALUE = r'"(?:[^"\\\n]|\\\\|\\"|\\n)*"'
_LABELS = (
    rf"\{{(?:[a-zA-Z_][a-zA-Z0-9_]*={_LABEL_VALUE}(?:,[a-zA-Z_][a-zA-Z0-9_]*={_LABEL_VALUE})*)?\}}"
)
_SAMPLE = re.compile(rf"({_NAME})({_LABELS})? (\S+)")
_HELP = re.compile(rf"# HELP ({_NAME}) ((?:[^\\\n]|\\\\|\\n)*)")
_TYPE = re.compile(rf"# TYPE ({_NAME}) (counter|gauge|untyped|summary|histogram)")


def parse(text: str) -> dict[str, dict[str, object]]:
    """A strict reader of the text format: every line must match the grammar, TYPE before
    the samples of its family, one TYPE per family, no series twice. name -> family."""
    assert text.endswith("\n")
    families: dict[str, dict[str, object]] = {}
    seen: set[tuple[str, str]] = set()
    current = ""
    for line in text[:-1].split("\n"):
        if m := _HELP.fullmatch(line):
            assert m.group(1) not in families, f"HELP after samples: {line}"
            families[m.group(1)] = {"help": m.group(2), "samples": {}}
            current = m.group(1)
        elif m := _TYPE.fullmatch(line):
            assert m.group(1) == current
            assert "type" not in families[current]
            families[current]["type"] = m.group(2)
        elif m := _SAMPLE.fullmatch(line):
            assert m.group(1) == current, f"sample outside its family: {line}"
            float(m.group(3).replace("Inf", "inf"))
            key = (m.group(1), m.group(2) or "")
            assert key not in seen, f"series twice: {line}"
            seen.add(key)
            samples = families[current]["samples"]
            assert isinstance(samples, dict)
            samples[m.group(2) or ""] = float(m.group(3))
        else:
            raise AssertionError(f"not in the grammar: {line!r}")
    return families


IF_GRAPH = Graph(
    name="if_eth0",
    title="eth0 traffic",
    category="network",
    vlabel="bits in (-) / out (+) per ${graph_period}",
    fields=(
        Field("down", "received", type="DERIVE", min=0, graph=False, cdef="down,8,*"),
        Field("up", 'bytes "out"\\ \n2', type="DERIVE", min=0, negative="down"),
        Field("speed", "link", type="GAUGE"),
    ),
)


def _collections() -> list[Collection]:
    values = MappingProxyType({"down": 1234.0, "up": 5678.0, "speed": None})
    load = Graph("load", "Load average", "system", (Field("load", "load"),))
    return [
        Collection("network", (Series(IF_GRAPH, values),), at=1.0, duration=0.0012),
        Collection("load", (Series(load, MappingProxyType({"load": 0.25})),), 1.0, 0.0001),
        Collection("tls", (), at=1.0, duration=5.0, error="timed out"),
    ]


def test_render_is_valid_text_format_with_counters_gauges_and_probe_health() -> None:
    metrics = AgentMetrics(jails={"sshd": JailCounters(failures=7, bans=2)})
    text = render(_collections(), extra=metrics.samples())
    families = parse(text)
    traffic = families["rempart_if_eth0_total"]
    assert traffic["type"] == "counter"
    assert traffic["samples"] == {
        '{field="down",label="received"}': 1234.0,
        '{field="up",label="bytes \\"out\\"\\\\ \\n2"}': 5678.0,
    }
    assert "rempart_if_eth0" not in families  # the unknown gauge is left out, not NaN
    assert families["rempart_load"]["samples"] == {'{field="load",label="load"}': 0.25}
    assert families["rempart_failures_total"]["samples"] == {'{jail="sshd"}': 7.0}
    assert families["rempart_probe_success"]["samples"] == {
        '{probe="network"}': 1.0,
        '{probe="load"}': 1.0,
        '{probe="tls"}': 0.0,
    }
    assert families["rempart_probe_duration_seconds"]["samples"]['{probe="tls"}'] == 5.0


def test_a_name_given_twice_or_with_two_types_is_written_once() -> None:
    metrics = AgentMetrics(jails={"sshd": JailCounters(failures=7)})
    samples = [*metrics.samples(), *metrics.samples()]
    graph = Graph("failures", "clash", "x", (Field("a", "a"),))  # rempart_failures (gauge)
    collection = Collection("p", (Series(graph, MappingProxyType({"a": 1.0})),), 0, 0)
    families = parse(render([collection], extra=samples))
    assert families["rempart_failures_total"]["samples"] == {'{jail="sshd"}': 7.0}


@given(
    label=st.text(max_size=30),
    graph=st.text(min_size=1, max_size=20),
    value=st.floats(allow_nan=True, allow_infinity=True),
)
def test_any_name_label_or_value_renders_valid_text(label: str, graph: str, value: float) -> None:
    g = Graph(graph, label, "x", (Field("f", label), Field("g", label, type="DERIVE")))
    c = Collection(graph, (Series(g, MappingProxyType({"f": value, "g": value})),), 0, 0.1)
    parse(render([c]))


# ------------------------------------------------------------------ the endpoint


@pytest.fixture
def server() -> Iterator[tuple[asyncio.AbstractEventLoop, PrometheusServer]]:
    import threading

    loop = asyncio.new_event_loop()
    calls = 0

    async def text() -> str:
        nonlocal calls
        calls += 1
        return render(_collections())

    srv = PrometheusServer(text, host="127.0.0.1", port=0, log=LOG, timeout=0.5, max_clients=4)
    loop.run_until_complete(srv.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield loop, srv
    finally:
        asyncio.run_coroutine_threadsafe(srv.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def _raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


def test_endpoint_serves_metrics_and_refuses_the_rest(
    server: tuple[asyncio.AbstractEventLoop, PrometheusServer],
) -> None:
    _, srv = server
    base = f"http://127.0.0.1:{srv.port}"
    with httpx.Client(timeout=5) as client:
        answer = client.get(base + "/metrics")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == CONTENT_TYPE
        assert "rempart_load" in parse(answer.text)
        assert client.get(base + "/metrics?x=1").status_code == 200
        head = client.head(base + "/metrics")
        assert head.status_code == 200
        assert head.content == b""
        assert client.get(base + "/").status_code == 404
        refused = client.post(base + "/metrics", content=b"x")
        assert refused.status_code == 405
        assert refused.headers["allow"] == "GET, HEAD"
    assert _raw(srv.port, b"garbage\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert _raw(srv.port, b"GET /metrics HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n").startswith(
        b"HTTP/1.1 400 "
    )
    assert _raw(srv.port, b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n").startswith(
        b"HTTP/1.1 400 "
    )


def test_silent_clients_are_dropped_and_others_still_served(
    server: tuple[asyncio.AbstractEventLoop, PrometheusServer],
) -> None:
    _, srv = server
    silent = [socket.create_connection(("127.0.0.1", srv.port), timeout=5) for _ in range(3)]
    try:
        answer = httpx.get(f"http://127.0.0.1:{srv.port}/metrics", timeout=5)
        assert answer.status_code == 200
        for s in silent:  # closed after the 0.5 s timeout, without an answer
            assert s.recv(100) == b""
    finally:
        for s in silent:
            s.close()


def test_a_port_in_use_is_a_clear_error() -> None:
    async def main() -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            srv = PrometheusServer(
                lambda: asyncio.sleep(0, ""), port=taken.getsockname()[1], log=LOG
            )
            with pytest.raises(MuninError) as caught:
                await srv.start()
        assert "[metrics.prometheus] listen" in caught.value.render("en")

    asyncio.run(main())
