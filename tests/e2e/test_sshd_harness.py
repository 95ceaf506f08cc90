"""The harness itself, without the agent: a real sshd in the victim namespace, real clients
in the attacker namespace, and rempart's detection on what sshd really wrote.

Proves what the agent test relies on: both ports answer over v4 and v6 from both attacker
addresses; password failures reach sshd's log in the shapes the catalogue gives (shared
notes, netns-e2e.md: bare ``sshd -E`` messages, CRLF ends, no date); ``rempart replay`` on
a config whose file source is that log bans the attacker's addresses (5 failures in 10
minutes) and never the address carried by the hostile user name.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.agent import rempart_argv, write_config
from tests.e2e.sshd import (
    ATTACKER_V4,
    ATTACKER_V6,
    HOSTILE_USER,
    PORTS,
    SECOND_V4,
    SECOND_V6,
    VICTIM_V4,
    VICTIM_V6,
    SshdLab,
    Try,
    attack,
    parse_set_elements,
    probe,
)

pytestmark = pytest.mark.e2e

_V4, _V6 = re.escape(ATTACKER_V4), re.escape(ATTACKER_V6)
_HOSTILE = re.escape(HOSTILE_USER)


def test_both_ports_answer_over_v4_and_v6_from_both_addresses(lab: SshdLab) -> None:
    for target, sources in (
        (VICTIM_V4, (ATTACKER_V4, SECOND_V4)),
        (VICTIM_V6, (ATTACKER_V6, SECOND_V6)),
    ):
        for source in sources:
            for port in PORTS:
                assert probe(lab.attacker, target, port, 2.0, source) == "open", (source, port)
    assert probe(lab.attacker, VICTIM_V4, 2201, 2.0) == "refused"
    # the probes leave sshd's "Connection from" lines with the source they were bound to
    lines = lab.wait_log(rf"^Connection from {re.escape(SECOND_V6)} port \d+ on ", 2)
    assert all(line.endswith('rdomain ""') for line in lines)


def test_failures_reach_the_log_and_replay_bans_only_the_attacker(
    lab: SshdLab, tmp_path: Path
) -> None:
    tries = [Try(ATTACKER_V4, VICTIM_V4, port) for port in (22, 22, 22, 2200, 2200)]
    tries += [Try(ATTACKER_V6, VICTIM_V6, 22, HOSTILE_USER) for _ in range(3)]
    tries += [Try(ATTACKER_V6, VICTIM_V6, 2200) for _ in range(2)]
    results = attack(lab, tries)
    # a wrong password makes ssh exit 255 with "Permission denied" (pitfall 11)
    assert all(r.returncode == 255 and "Permission denied" in r.stderr for r in results), results

    wrong_v4 = lab.wait_log(rf"^Failed password for rp-e2e from {_V4} port \d+ ssh2$", 5)
    wrong_v6 = lab.wait_log(rf"^Failed password for rp-e2e from {_V6} port \d+ ssh2$", 2)
    invalid = lab.wait_log(rf"^Invalid user {_HOSTILE} from {_V6} port \d+$", 3)
    hostile = lab.wait_log(
        rf"^Failed password for invalid user {_HOSTILE} from {_V6} port \d+ ssh2$", 3
    )
    lab.wait_log(rf"^Connection closed by invalid user {_HOSTILE} {_V6} port \d+ \[preauth\]$", 3)
    assert (len(wrong_v4), len(wrong_v6), len(invalid), len(hostile)) == (5, 2, 3, 3)
    connections = lab.wait_log(
        rf"^Connection from ({_V4}|{_V6}) port \d+ on \S+ port (22|2200) ", 10
    )
    assert {line.split(" port ")[2].split()[0] for line in connections} == {"22", "2200"}

    raw = lab.log.read_bytes()
    assert raw.endswith(b"\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n")  # `sshd -E`: every line ends with CRLF
    assert not re.search(rb"^(\w{3} +\d+ |\d{4}-\d\d-\d\d)", raw, re.M)  # no dates
    # the second client never connected: its address is only inside user names
    assert f"Connection from {SECOND_V4}" not in lab.log_text()

    bans = _replay(lab, tmp_path)
    assert {ban["target"] for ban in bans} == {f"{ATTACKER_V4}/32", f"{ATTACKER_V6}/128"}
    assert all(ban["failures"] >= 5 and ban["jail"] == "sshd" for ban in bans)
    assert SECOND_V4 not in json.dumps([ban["address"] for ban in bans])


def _replay(lab: SshdLab, tmp_path: Path) -> list[dict[str, object]]:
    """``rempart replay --jail sshd`` on the log, with a config whose file source is it."""
    config = write_config(
        tmp_path / "rempart.toml", log=lab.log, state_dir=tmp_path / "state", bantime=8
    )
    result = subprocess.run(
        rempart_argv("replay", "--config", str(config), "--jail", "sshd", "--json", str(lab.log)),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"LANG": "C.UTF-8"},
    )
    assert result.returncode == 0, result.stderr
    (jail,) = json.loads(result.stdout)["jails"]
    assert jail["jail"] == "sshd"
    assert jail["lines"]["too_long"] == 0
    return list(jail["bans"])


def test_launcher_refuses_bind_mounts_outside_a_test_namespace(tmp_path: Path) -> None:
    """Run on the host (same namespaces as this test): no mount, a clear refusal."""
    source, target = tmp_path / "source", tmp_path / "target"
    source.write_text("private copy\n")
    target.write_text("original\n")
    launcher = Path(__file__).with_name("sshd_launch.py")
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            str(launcher),
            "--bind",
            str(source),
            str(target),
            "--",
            "/bin/true",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "refusing bind mounts outside a test network namespace" in result.stderr
    assert target.read_text() == "original\n"


def test_nft_set_json_elements_are_read_in_every_shape() -> None:
    text = json.dumps(
        {
            "nftables": [
                {"metainfo": {"json_schema_version": 1}},
                {
                    "set": {
                        "family": "inet",
                        "name": "sshd_v6",
                        "table": "rempart",
                        "elem": [
                            "fd03:203::9",
                            {"elem": {"val": "fd03:203::2", "timeout": 8, "expires": 7}},
                            {"elem": {"val": {"prefix": {"addr": "2001:db8::", "len": 64}}}},
                            {"prefix": {"addr": "2001:db8:1::", "len": 48}},
                        ],
                    }
                },
            ]
        }
    )
    assert parse_set_elements(text) == [
        "fd03:203::9",
        "fd03:203::2",
        "2001:db8::/64",
        "2001:db8:1::/48",
    ]
