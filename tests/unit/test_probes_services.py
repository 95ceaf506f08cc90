"""The services probe: a real process with a distinctive name, a real listening socket, units."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.errors import ProbeError
from rempart.probes.base import Probe
from rempart.probes.services import (
    ServicesProbe,
    combine,
    parse_active_state,
    parse_target,
)
from tests.conftest import FIXTURES


@pytest.fixture
def fakesvcd(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A running process whose comm is ``fakesvcd`` (a copy of sleep under that name)."""
    program = tmp_path / "fakesvcd"
    shutil.copy("/bin/sleep", program)
    process = subprocess.Popen([str(program), "60"])
    deadline = time.monotonic() + 5
    while Path(f"/proc/{process.pid}/comm").read_text().strip() != "fakesvcd":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    try:
        yield process
    finally:
        process.kill()
        process.wait(10)


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_parse_target() -> None:
    assert parse_target("127.0.0.1:25") == ("127.0.0.1", 25)
    assert parse_target("[::1]:3306") == ("::1", 3306)
    assert parse_target("mail.example.org:587") == ("mail.example.org", 587)
    for bad in ("", "host", "host:", ":25", "::1:25", "h:0", "h:70000", "h:x"):
        with pytest.raises(ValueError, match=r"host:port|brackets"):
            parse_target(bad)


def test_parse_active_state_and_combine() -> None:
    assert parse_active_state("active\n") == 1.0
    assert parse_active_state("reloading\n") == 1.0
    assert parse_active_state("failed\n") == 0.0
    assert parse_active_state("inactive") == 0.0
    assert parse_active_state("\n") is None
    assert combine([1.0, 0.0]) == 0.0
    assert combine([1.0, None]) is None
    assert combine([None, 0.0]) == 0.0
    assert combine([1.0, 1.0]) == 1.0


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_parsers_never_crash(text: str) -> None:
    assert parse_active_state(text) in (None, 0.0, 1.0)
    try:
        host, port = parse_target(text)
    except ValueError:
        return
    assert host
    assert 0 < port < 65536


def test_empty_config_gives_nothing() -> None:
    probe = ServicesProbe()
    assert isinstance(probe, Probe)
    assert probe.collect() == ()
    assert probe.background is False


def test_processes_and_tcp_real(
    fakesvcd: subprocess.Popen[bytes], listening: int, tmp_path: Path
) -> None:
    probe = ServicesProbe(
        processes={
            "fake": "fakesvcd",
            "absent": "nosuchdaemond",
            "long": "fakesvcd-with-a-long-name",
        },
        tcp={"port-open": f"127.0.0.1:{listening}", "port-closed": f"127.0.0.1:{_free_port()}"},
    )
    assert probe.background is True
    (series,) = probe.collect()
    assert series.graph.name == "services_up"
    assert dict(series.values) == {
        "fake": 1.0,
        "absent": 0.0,
        "long": 0.0,  # comm "fakesvcd" is not the 15 first characters of that name
        "port_open": 1.0,
        "port_closed": 0.0,
    }
    for field in series.graph.fields:
        assert field.critical == "1:"
    labels = {f.name: (f.label, f.info) for f in series.graph.fields}
    assert labels["port_open"] == ("port-open", f"TCP connection to 127.0.0.1:{listening}")
    fakesvcd.kill()
    fakesvcd.wait(10)
    (series,) = probe.collect()
    assert series.values["fake"] == 0.0


def test_long_process_name_is_matched_on_15_characters(tmp_path: Path) -> None:
    program = tmp_path / "fakesvcd-with-a-long-name"
    shutil.copy("/bin/sleep", program)
    process = subprocess.Popen([str(program), "60"])
    try:
        time.sleep(0.05)
        probe = ServicesProbe(
            processes={"svc": "fakesvcd-with-a-long-name", "other": "fakesvcd-with-a-"}
        )
        (series,) = probe.collect()
    finally:
        process.kill()
        process.wait(10)
    # the exe link confirms the full name; a name of 16 characters that is only a prefix is not it
    assert dict(series.values) == {"svc": 1.0, "other": 0.0}


def test_one_name_checked_two_ways(fakesvcd: subprocess.Popen[bytes]) -> None:
    port = _free_port()
    probe = ServicesProbe(processes={"db": "fakesvcd"}, tcp={"db": f"127.0.0.1:{port}"})
    (series,) = probe.collect()
    assert dict(series.values) == {"db": 0.0}  # the process runs, the port is closed
    assert series.graph.fields[0].info == f"process fakesvcd, TCP connection to 127.0.0.1:{port}"


def test_units_without_systemd_are_unknown(tmp_path: Path) -> None:
    probe = ServicesProbe(root=tmp_path, units={"web": "nginx.service"})
    (series,) = probe.collect()
    assert dict(series.values) == {"web": None}
    assert probe.background is True


def test_units_with_systemd(tmp_path: Path) -> None:
    """With /run/systemd/system present, systemctl is asked (this machine: no systemd running,
    so it fails and the value stays unknown; on a systemd host it is 1 or 0)."""
    (tmp_path / "run/systemd/system").mkdir(parents=True)
    probe = ServicesProbe(root=tmp_path, units={"web": "nginx.service"}, unit_timeout=2.0)
    started = time.monotonic()
    (series,) = probe.collect()
    assert time.monotonic() - started < 3
    assert series.values["web"] in (None, 0.0, 1.0)
    if not Path("/run/systemd/system").is_dir():
        assert series.values["web"] is None


def test_bad_config_is_refused_with_a_fix() -> None:
    with pytest.raises(ProbeError) as caught:
        ServicesProbe(tcp={"x": "no-port"})
    assert "Fix" in str(caught.value)
    assert "Correction" in caught.value.render("fr")
    with pytest.raises(ProbeError):
        ServicesProbe(units={"x": "--help"})
    with pytest.raises(ProbeError):
        ServicesProbe(units={"x": "a b.service"})


def test_hostile_names_make_clean_fields() -> None:
    probe = ServicesProbe(processes={"a#b\\c\n": "x", "a_b_c_": "y", "root": "z"})
    (series,) = probe.collect()
    names = [f.name for f in series.graph.fields]
    assert names == ["a_b_c_", "a_b_c__2", "__root"]
    assert [f.label for f in series.graph.fields] == ["abc", "a_b_c_", "root"]


def test_collect_on_this_machine() -> None:
    probe = ServicesProbe(processes={"init": Path("/proc/1/comm").read_text().strip()})
    (series,) = probe.collect()
    assert dict(series.values) == {"init": 1.0}


def test_fixture_host_golden() -> None:
    root = FIXTURES / "probes" / "services"
    probe = ServicesProbe(
        root=root,
        processes={
            "mariadb": "mariadbd",
            "postfix": "master",
            "sympa": "sympa_msg.pl",
            "apache": "apache2",
        },
    )
    (series,) = probe.collect()
    assert dict(series.values) == {"mariadb": 1.0, "postfix": 1.0, "sympa": 1.0, "apache": 0.0}
    assert [(f.name, f.label, f.info, f.min, f.max) for f in series.graph.fields] == [
        ("mariadb", "mariadb", "process mariadbd", 0, 1),
        ("postfix", "postfix", "process master", 0, 1),
        ("sympa", "sympa", "process sympa_msg.pl", 0, 1),
        ("apache", "apache", "process apache2", 0, 1),
    ]
    assert series.graph.category == "processes"
