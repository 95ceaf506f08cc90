"""The two real OpenSSH 9.2 captures, replayed whole through every sshd mode.

Counts checked by hand against the files (see tests/fixtures/sshd/README.md):
- normal: 5 "Invalid user", 16 "Failed password", 3 "Disconnecting … Too many
  authentication failures" (the "maximum authentication attempts exceeded" line before each
  is the same event, not counted twice) = 24 in both forms;
- ddos adds the 7 pre-auth closes, the "banner exchange" garbage and, with pids only, the 3
  address-less kex_exchange_identification probes completed by their own process's close;
- extra adds the 7 pre-auth closes with a user name and the old-algorithm client.
The successful sessions of rp-e2e (pids 10666, 10675, 10697, 10711) never count.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from rempart.rules.catalog import load_shipped
from rempart.rules.engines import build_line_filter, build_success_filter
from tests.conftest import FIXTURES

NOW = 1_795_262_400.0  # 2026-11-21T12:00:00Z
EXPECTED = {
    "sshd-real-syslog.log": {"normal": 24, "ddos": 35, "extra": 32, "aggressive": 36},
    "sshd-real.log": {"normal": 24, "ddos": 32, "extra": 32, "aggressive": 33},
}
SUCCESSFUL_SESSIONS = ("sshd[10666]", "sshd[10675]", "sshd[10697]", "sshd[10711]")


def _lines(name: str, keep_cr: bool) -> list[str]:
    raw = (FIXTURES / "sshd" / name).read_bytes().decode()
    return [line if keep_cr else line.removesuffix("\r") for line in raw.split("\n") if line]


@pytest.mark.parametrize("keep_cr", [False, True], ids=["lf", "crlf-kept"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("mode", ["normal", "ddos", "extra", "aggressive"])
def test_real_capture(name: str, mode: str, keep_cr: bool) -> None:
    """Also with the CR of `sshd -E`'s CRLF endings left on the lines (a source that
    strips only LF): the same failures."""
    line_filter = build_line_filter(load_shipped("sshd").definition(mode))
    dated = name.endswith("syslog.log")
    failures = []
    for line in _lines(name, keep_cr):
        result = line_filter.process(line, NOW, None if dated else NOW)
        failures += [(line, f) for f in result.failures]
    assert len(failures) == EXPECTED[name][mode]
    assert {f.host for _line, f in failures} <= {"10.203.0.2", "fd03:203::2"}
    assert not [line for line, _f in failures if line.split(": ")[0].endswith(SUCCESSFUL_SESSIONS)]
    if dated:
        # every failure takes the time written in its own line
        assert all(int(f.time) == _epoch_of(line) for line, f in failures)


def _epoch_of(line: str) -> int:
    return int(datetime.fromisoformat(line.split(" ", 1)[0]).timestamp())


@pytest.mark.parametrize("keep_cr", [False, True], ids=["lf", "crlf-kept"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("mode", ["normal", "ddos", "extra", "aggressive"])
def test_real_capture_logins(name: str, mode: str, keep_cr: bool) -> None:
    """The success rules find exactly the capture's "Accepted" lines: rp-e2e's logins."""
    success = build_success_filter(load_shipped("sshd").definition(mode))
    assert success is not None
    dated = name.endswith("syslog.log")
    logins = []
    for line in _lines(name, keep_cr):
        result = success.process(line, NOW, None if dated else NOW)
        logins += [(line, f) for f in result.failures]
    accepted = [line for line in _lines(name, keep_cr) if "Accepted password" in line]
    assert [line for line, _f in logins] == accepted
    assert len(accepted) == 2
    assert {(f.host, f.user) for _line, f in logins} == {("10.203.0.2", "rp-e2e")}
    if dated:
        assert all(int(f.time) == _epoch_of(line) for line, f in logins)
