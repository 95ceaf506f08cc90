"""The systemd unit and the sysusers file, checked by systemd's own tools."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rempart.adapters.control import DEFAULT_SOCKET
from tests.conftest import ROOT, need_program

UNIT = ROOT / "packaging" / "rempart-agent.service"
SYSUSERS = ROOT / "packaging" / "rempart.sysusers"


def settings(text: str) -> dict[str, list[str]]:
    """Every ``Key=value`` of a unit file (a key may repeat)."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def local_unit(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this checkout's rempart (verify checks it exists)."""
    rempart = Path(sys.executable).parent / "rempart"
    text = UNIT.read_text(encoding="utf-8").replace(
        "ExecStart=/usr/bin/rempart agent", f"ExecStart={rempart} agent"
    )
    path = tmp_path / UNIT.name
    path.write_text(text, encoding="utf-8")
    return path


def test_unit_says_what_the_agent_needs() -> None:
    unit = settings(UNIT.read_text(encoding="utf-8"))
    assert unit["Type"] == ["simple"]
    assert unit["ExecStart"] == ["/usr/bin/rempart agent"]
    assert unit["RuntimeDirectory"] == [DEFAULT_SOCKET.parent.name]
    assert DEFAULT_SOCKET.parent == Path("/run") / unit["RuntimeDirectory"][0]
    assert unit["RuntimeDirectoryMode"] == ["0750"]
    assert unit["Group"] == ["rempart"]
    assert set(unit["CapabilityBoundingSet"][0].split()) == {"CAP_NET_ADMIN", "CAP_DAC_READ_SEARCH"}
    assert unit["Restart"] == ["on-failure"]
    assert unit["ProtectSystem"] == ["strict"]


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = need_program("systemd-analyze", "systemd")
    unit = local_unit(tmp_path)
    done = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    # verify exits 0 even for unknown keys: any message is a finding.
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_unit_exposure_stays_low(tmp_path: Path) -> None:
    """`systemd-analyze security` rates the sandbox; 3.0 or less is "OK" (fail2ban's: 9.6)."""
    analyze = need_program("systemd-analyze", "systemd")
    unit = local_unit(tmp_path)
    done = subprocess.run(
        [analyze, "security", "--offline=true", "--threshold=30", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-600:]


def test_sysusers_creates_the_rempart_group(tmp_path: Path) -> None:
    sysusers = need_program("systemd-sysusers", "systemd")
    (tmp_path / "etc").mkdir()
    subprocess.run(
        [sysusers, f"--root={tmp_path}", str(SYSUSERS)],
        capture_output=True,
        timeout=60,
        check=True,
    )
    groups = (tmp_path / "etc" / "group").read_text(encoding="utf-8").splitlines()
    assert [g.split(":")[0] for g in groups] == ["rempart"]
