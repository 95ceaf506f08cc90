"""The server's systemd unit and sysusers file, checked by systemd's own tools."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rempart.config.server import DEFAULT_SERVER_SOCKET
from tests.conftest import ROOT, need_program
from tests.integration.test_packaging import settings

UNIT = ROOT / "packaging" / "rempart-server.service"
SYSUSERS = ROOT / "packaging" / "rempart-server.sysusers"


def _local_unit(tmp_path: Path) -> Path:
    rempart = Path(sys.executable).parent / "rempart"
    text = UNIT.read_text(encoding="utf-8").replace(
        "ExecStart=/usr/bin/rempart server", f"ExecStart={rempart} server"
    )
    path = tmp_path / UNIT.name
    path.write_text(text, encoding="utf-8")
    return path


def test_unit_runs_unprivileged_in_its_own_directories() -> None:
    unit = settings(UNIT.read_text(encoding="utf-8"))
    assert unit["ExecStart"] == ["/usr/bin/rempart server"]
    assert unit["User"] == ["rempart-server"]
    assert unit["Group"] == ["rempart"]
    assert unit["CapabilityBoundingSet"] == [""]
    # not the agent's /run/rempart: systemd removes it when the declaring unit stops
    assert unit["RuntimeDirectory"] == [DEFAULT_SERVER_SOCKET.parent.name] != ["rempart"]
    assert unit["StateDirectory"] == ["rempart-server"]


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = need_program("systemd-analyze", "systemd")
    done = subprocess.run(
        [analyze, "verify", str(_local_unit(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_unit_exposure_is_low(tmp_path: Path) -> None:
    analyze = need_program("systemd-analyze", "systemd")
    done = subprocess.run(
        [
            analyze,
            "security",
            "--offline=true",
            "--threshold=20",
            "--no-pager",
            str(_local_unit(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-800:]


def test_sysusers_creates_the_user_in_group_rempart(tmp_path: Path) -> None:
    sysusers = need_program("systemd-sysusers", "systemd")
    (tmp_path / "etc").mkdir()
    subprocess.run(
        [sysusers, f"--root={tmp_path}", str(SYSUSERS)], capture_output=True, timeout=60, check=True
    )
    groups = (tmp_path / "etc" / "group").read_text(encoding="utf-8").splitlines()
    users = (tmp_path / "etc" / "passwd").read_text(encoding="utf-8").splitlines()
    gid = next(g.split(":")[2] for g in groups if g.startswith("rempart:"))
    user = next(u.split(":") for u in users if u.startswith("rempart-server:"))
    assert user[3] == gid
    assert user[5] == "/var/lib/rempart-server"
