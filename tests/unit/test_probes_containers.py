"""The containers probe: parsers, the fixture container host, the Docker/Podman API names."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.metrics.model import Series
from rempart.probes.base import Probe
from rempart.probes.cgroups import (
    classify,
    find_containers,
    first_pid,
    parse_cpu_stat,
    parse_pids,
    unescape_unit,
)
from rempart.probes.container_net import NetCounters, parse_net_dev, sum_traffic
from rempart.probes.containers import (
    ContainerSample,
    ContainersProbe,
    build_series,
    clean_label,
)
from rempart.probes.docker_api import NameCache, parse_containers, parse_http_response
from tests.conftest import FIXTURES
from tests.fakes.docker_api import FakeDockerAPI

HERE = FIXTURES / "probes" / "containers"
A, B, C, D, E, F = (c * 64 for c in "abcdef")


@pytest.fixture
def host(tmp_path: Path) -> Path:
    root = tmp_path / "h"
    shutil.copytree(HERE / "host", root, symlinks=True)
    return root


def by_graph(series: tuple[Series, ...]) -> dict[str, Series]:
    return {s.graph.name: s for s in series}


def labels(series: Series) -> dict[str, str]:
    return {f.name: f.label for f in series.graph.fields}


# ---------------------------------------------------------------- parsers


def test_parse_cpu_stat() -> None:
    text = "usage_usec 10637948356\nuser_usec 9518731222\nsystem_usec 1119217133\nbad line x\n"
    assert parse_cpu_stat(text) == {
        "usage_usec": 10637948356,
        "user_usec": 9518731222,
        "system_usec": 1119217133,
    }


def test_parse_pids() -> None:
    assert parse_pids("12\n345\n\nx\n-3\n") == (12, 345)


def test_parse_net_dev_real_layout() -> None:
    text = (HERE / "host/proc/2101/net/dev").read_text()
    assert parse_net_dev(text) == {
        "lo": NetCounters(4242, 4242),
        "eth0": NetCounters(1_000_000, 250_000),
    }
    glued = "Inter-|\n face |\n  eth0:1296      16    0    0    0     0          0         0      656       8    0 0 0 0 0 0\n"  # noqa: E501
    assert parse_net_dev(glued) == {"eth0": NetCounters(1296, 656)}
    assert sum_traffic(parse_net_dev(text)) == NetCounters(1_000_000, 250_000)


@pytest.mark.parametrize(
    ("name", "parent", "expected"),
    [
        (f"docker-{A}.scope", "system.slice", ("docker", A)),
        (A, "docker", ("docker", A)),
        ("not-an-id", "docker", None),
        (f"libpod-{E}.scope", "machine.slice", ("podman", E)),
        (f"libpod-{E}", "libpod_parent", ("podman", E)),
        (f"libpod-conmon-{E}.scope", "machine.slice", None),
        ("lxc.payload.mail", "", ("lxc", "mail")),
        ("lxc.monitor.mail", "", None),
        ("web", "lxc", ("lxc", "web")),
        ("machine-debian\\x2dtest.scope", "machine.slice", ("nspawn", "debian-test")),
        ("ssh.service", "system.slice", None),
        ("init.scope", "", None),
    ],
)
def test_classify(name: str, parent: str, expected: tuple[str, str] | None) -> None:
    assert classify(name, parent) == expected


def test_unescape_unit() -> None:
    assert unescape_unit("my\\x2dbox\\x2e1") == "my-box.1"
    assert unescape_unit("bad\\xZZ") == "bad\\xZZ"


def test_find_containers_and_their_pids() -> None:
    found = find_containers(HERE / "host/sys/fs/cgroup")
    kinds = sorted((f.kind, f.ident) for f in found)
    assert kinds == sorted(
        [
            ("docker", A),
            ("docker", B),
            ("docker", C),
            ("docker", D),
            ("podman", E),
            ("podman", F),
            ("lxc", "mail"),
            ("nspawn", "debian-test"),
        ]
    )
    pids = {f.ident: first_pid(f.path) for f in found}
    assert pids["mail"] == 2501  # nested init.scope
    assert pids["debian-test"] == 2601  # payload, not the supervisor (2600)
    assert pids[F] == 2702  # Podman's nested "container" cgroup


def test_parse_containers_documented_answer() -> None:
    names = parse_containers((HERE / "docker-containers.json").read_bytes())
    assert names == {A: "site-wordpress", B: "site-spip", C: "monitoring"}
    assert parse_containers(b'[{"Id": "x", "Names": ["/", 3]}, 5, {"Id": 1}]') == {}
    assert parse_containers(b"{") == {}
    assert parse_containers(b"[" * 100_000) == {}


def test_parse_http_response() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    assert parse_http_response(head + b"Content-Length: 2\r\n\r\n[]") == b"[]"
    assert parse_http_response(head + b"Content-Length: 5\r\n\r\n[]") is None
    chunked = head + b"Transfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n"
    assert parse_http_response(chunked) == b"[]"
    assert parse_http_response(head + b"\r\n[1]", ended=True) == b"[1]"
    with pytest.raises(ValueError, match="500"):
        parse_http_response(b"HTTP/1.1 500 Oops\r\n\r\n")
    with pytest.raises(ValueError, match="truncated"):
        parse_http_response(head + b"Content-Length: 9\r\n\r\n[]", ended=True)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_cpu_stat_never_crashes(text: str) -> None:
    assert all(v >= 0 for v in parse_cpu_stat(text).values())


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_net_dev_never_crashes(text: str) -> None:
    for name, counters in parse_net_dev(text).items():
        assert name
        assert ":" not in name
        assert counters.rx_bytes >= 0
        assert counters.tx_bytes >= 0


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["Id", "Names", "State", "x"]), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), _JSON.map(lambda v: repr(v).encode())))
def test_parse_containers_never_crashes(body: bytes) -> None:
    for ident, name in parse_containers(body).items():
        assert isinstance(ident, str)
        assert isinstance(name, str)
        assert name


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.booleans())
def test_parse_http_response_never_crashes(data: bytes, ended: bool) -> None:
    try:
        parse_http_response(b"HTTP/1.1 200 OK\r\n" + data, ended=ended)
        parse_http_response(data, ended=ended)
    except ValueError:
        pass


# ---------------------------------------------------------------- the probe on the fixture host


def test_probe_protocol() -> None:
    probe = ContainersProbe()
    assert isinstance(probe, Probe)
    assert (probe.name, probe.background) == ("containers", False)


def test_collect_fixture_host_with_both_apis(host: Path) -> None:
    docker = (HERE / "docker-containers.json").read_bytes()
    podman = (HERE / "podman-containers.json").read_bytes()
    with (
        FakeDockerAPI(host / "run/docker.sock", docker),
        FakeDockerAPI(host / "run/podman/podman.sock", podman, chunked=True),
    ):
        probe = ContainersProbe(root=host, expected=("site-wordpress", "mail", "gone", "mypod-app"))
        graphs = by_graph(probe.collect())
    assert sorted(graphs) == [
        "containers_cpu",
        "containers_memory",
        "containers_net_in",
        "containers_net_out",
        "containers_up",
    ]
    cpu = graphs["containers_cpu"]
    assert dict(cpu.values) == {
        "debian_test": 3_000_000.0,
        "dddddddddddd": 1_000.0,  # not in the API answer: its short id
        "mail": 70_000_000.0,
        "monitoring": 500_000.0,
        "mypod_app": 900_000.0,
        "mypod_infra": 10_000.0,
        "site_spip": 2_000_000.0,
        "site_wordpress": 12_345_678.0,
    }
    field = cpu.graph.field("site_wordpress")
    assert field is not None
    assert (field.type, field.min, field.cdef) == (
        "DERIVE",
        0,
        "site_wordpress,10000,/",
    )
    assert graphs["containers_memory"].values["mail"] == 536_870_912.0
    net_in, net_out = graphs["containers_net_in"], graphs["containers_net_out"]
    # monitoring runs on the host network: no field; the pod's two containers share one
    assert dict(net_in.values) == {
        "debian_test": 4_000.0,
        "dddddddddddd": 300.0,
        "mail": 9_000_000.0,
        "mypod_app": 70_000.0,
        "site_spip": 2_000_000.0,
        "site_wordpress": 1_000_000.0,
    }
    assert net_out.values["site_wordpress"] == 250_000.0
    assert labels(net_in)["site_wordpress"] == "site-wordpress (veth3a1b2c4)"
    assert labels(net_in)["mypod_app"] == "mypod-app, mypod-infra (veth0pod)"
    assert labels(net_in)["debian_test"] == "debian-test (ve-debian-test)"
    assert labels(net_in)["dddddddddddd"] == "dddddddddddd"  # no /sys to pair from
    assert "own network namespace" in net_in.graph.info
    up = graphs["containers_up"]
    assert dict(up.values) == {
        "running": 8.0,
        "site_wordpress": 1.0,
        "mail": 1.0,
        "gone": 0.0,
        "mypod_app": 1.0,
    }
    gone = up.graph.field("gone")
    assert gone is not None
    assert gone.critical == "1:"


def test_names_without_any_api_are_short_ids(host: Path) -> None:
    graphs = by_graph(ContainersProbe(root=host).collect())
    assert sorted(graphs["containers_memory"].values) == [
        "aaaaaaaaaaaa",
        "bbbbbbbbbbbb",
        "cccccccccccc",
        "dddddddddddd",
        "debian_test",
        "eeeeeeeeeeee",
        "ffffffffffff",
        "mail",
    ]


def test_api_answers_are_cached(host: Path) -> None:
    now = [100.0]
    body = (HERE / "docker-containers.json").read_bytes()
    with FakeDockerAPI(host / "run/docker.sock", body) as api:
        probe = ContainersProbe(root=host, podman_socket=None)
        probe.caches[0].clock = lambda: now[0]
        for _ in range(3):
            probe.collect()
        now[0] += 59.0
        probe.collect()
        assert len(api.requests) == 1
        now[0] += 1.0
        probe.collect()
        assert api.requests == ["/v1.41/containers/json"] * 2


def test_hostile_names_are_cleaned(host: Path) -> None:
    evil = (
        b'[{"Id": "' + A.encode() + b'", "Names": ["/we#b\\\\x\\n.value 1"]},'
        b'{"Id": "' + B.encode() + b'", "Names": ["/we-b"]},'
        b'{"Id": "' + C.encode() + b'", "Names": ["/' + b"z" * 500 + b'"]}]'
    )
    with FakeDockerAPI(host / "run/docker.sock", evil):
        graphs = by_graph(ContainersProbe(root=host, podman_socket=None).collect())
    cpu = graphs["containers_cpu"]
    names = [f.name for f in cpu.graph.fields]
    assert len(names) == len(set(names))
    for f in cpu.graph.fields:
        assert not set(f.label) & {"#", "\\", "\n", "\r"}
        assert len(f.label) <= 80
        assert f.name.replace("_", "a").isalnum()
    assert "web" in {f.label[:3] for f in cpu.graph.fields}


def test_build_series_duplicate_names_and_nothing() -> None:
    assert build_series(()) == ()
    up = build_series((), ("web",))
    assert [s.graph.name for s in up] == ["containers_up"]
    assert dict(up[0].values) == {"running": 0.0, "web": 0.0}
    twins = [
        ContainerSample("web", "docker", A, 1, 2, None, None),
        ContainerSample("web", "lxc", "web", 3, 4, None, None),
    ]
    cpu = build_series(twins)[0]
    assert sorted(f.label for f in cpu.graph.fields) == [
        f"web (docker {A[:12]})",
        "web (lxc web)",
    ]
    assert clean_label("a#b\\c\x00d\x7f") == "abcd"


# ---------------------------------------------------------------- the API's misbehaviour


def test_api_refused_missing_hanging_oversized_error(tmp_path: Path) -> None:
    missing = NameCache(tmp_path / "none.sock")
    assert missing.get() == {}
    assert missing.last_error == "no socket"

    refused_path = tmp_path / "refused.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(refused_path))  # bound, never listening: connect is refused
        refused = NameCache(refused_path)
        assert refused.get() == {}
        assert refused.last_error

    body = (HERE / "docker-containers.json").read_bytes()
    with FakeDockerAPI(tmp_path / "hang.sock", body, mode="hang"):
        hanging = NameCache(tmp_path / "hang.sock", timeout=0.3)
        started = time.monotonic()
        assert hanging.get() == {}
        assert time.monotonic() - started < 1.0
        assert hanging.get() == {}  # the failure is cached too: no second wait
        assert hanging.requests == 1

    with FakeDockerAPI(tmp_path / "big.sock", b"[" + b" " * (5 << 20) + b"]"):
        big = NameCache(tmp_path / "big.sock")
        assert big.get() == {}
        assert "larger" in big.last_error

    with FakeDockerAPI(tmp_path / "err.sock", body, mode="error"):
        error = NameCache(tmp_path / "err.sock")
        assert error.get() == {}
        assert "500" in error.last_error


# ---------------------------------------------------------------- this machine


def test_collect_on_this_machine() -> None:
    """Shape only: this machine may have no cgroup v2 and no containers (then nothing)."""
    series = ContainersProbe(expected=()).collect()
    for s in series:
        assert s.graph.name.startswith("containers_")
        assert set(s.values) <= {f.name for f in s.graph.fields}
    if not Path("/sys/fs/cgroup/cgroup.controllers").exists():
        assert series == ()
