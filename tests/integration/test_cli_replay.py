"""``rempart replay`` end to end, through the real command line."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rempart.cli import main

ATTACKER, NEAR_MISS, INJECTED = "192.0.2.7", "198.51.100.4", "203.0.113.9"


def failed(second: int, addr: str, user: str = "root", pid: int = 100) -> str:
    return (
        f"Nov 21 09:{second // 60:02d}:{second % 60:02d} web1 sshd[{pid}]: "
        f"Failed password for {user} from {addr} port {4000 + second} ssh2"
    )


def write_log(path: Path) -> Path:
    lines = [failed(10 * i, ATTACKER) for i in range(5)]
    lines += [failed(10 * i + 1, NEAR_MISS) for i in range(4)]
    lines += [
        failed(60, "192.0.2.50", user=f"invalid user x from {INJECTED} port 22 ssh2 x", pid=200 + i)
        for i in range(6)
    ]
    lines.append("Nov 21 09:05:00 web1 CRON[1]: (root) CMD (true)")
    path.write_text("\n".join(lines) + "\n")
    return path


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["--lang", "en", "replay", "--no-progress", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def bans_of(report: dict[str, object]) -> list[str]:
    return [b["address"] for j in report["jails"] for b in j["bans"]]  # type: ignore[attr-defined, index]


def test_bans_and_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_log(tmp_path / "auth.log")
    os.utime(log, (1_795_262_400, 1_795_262_400))  # 2026-11-21T12:00Z: dates read in 2026
    report = run_json(capsys, "--timezone", "UTC", str(log))
    assert sorted(bans_of(report)) == ["192.0.2.50", ATTACKER]  # never the injected address
    jail = report["jails"][0]  # type: ignore[index]
    assert jail["lines"]["missed"] == 1
    assert jail["failures"] == 15
    ban = next(b for b in jail["bans"] if b["address"] == ATTACKER)
    assert (ban["start"], ban["end"], ban["failures"]) == (
        "2026-11-21T09:00:40Z",
        "2026-11-21T09:15:40Z",
        5,
    )
    assert len(ban["evidence"]) == 5
    assert report["lines"] == 16


def test_human_output_in_french_and_english(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = str(write_log(tmp_path / "auth.log"))
    assert main(["--lang", "fr", "replay", "--no-progress", "--timezone", "UTC", log]) == 0
    fr = capsys.readouterr().out
    assert "Bannissements qui auraient eu lieu : 2" in fr
    assert "Prison sshd" in fr
    assert main(["--lang", "en", "replay", "--no-progress", "--timezone", "UTC", log]) == 0
    en = capsys.readouterr().out
    assert "Bans that would have been made: 2" in en
    assert f"| {failed(0, ATTACKER)}" in en  # evidence lines shown for a handful of bans


def test_failures_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "failures.jsonl"
    run_json(capsys, "--failures-out", str(out), str(write_log(tmp_path / "auth.log")))
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 15
    assert records[0]["line"] == 1
    assert records[0]["host"] == ATTACKER
    assert {r["verdict"] for r in records} <= {"counted", "banned", "already-banned"}


def test_gzip_and_time_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = write_log(tmp_path / "x.log").read_text().splitlines(keepends=True)
    old = tmp_path / "auth.log.2.gz"
    with gzip.open(old, "wt") as fh:
        fh.writelines(lines[:3])
    new = tmp_path / "auth.log"
    new.write_text("".join(lines[3:]))
    rotated_at = 1_795_251_630  # 2026-11-21T09:00:30Z, just after its last line
    os.utime(old, (rotated_at, rotated_at))
    os.utime(new, (rotated_at + 600, rotated_at + 600))
    report = run_json(capsys, "--timezone", "UTC", str(new), str(old))
    assert report["files"] == [str(old), str(new)]
    assert ATTACKER in bans_of(report)


def test_stdin(tmp_path: Path) -> None:
    log = write_log(tmp_path / "auth.log").read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "rempart", "replay", "--json", "-"],
        input=log,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert ATTACKER in bans_of(json.loads(proc.stdout))


def test_filter_with_overrides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = run_json(
        capsys,
        "--filter",
        "sshd[mode=normal]",
        "--maxretry",
        "4",
        str(write_log(tmp_path / "auth.log")),
    )
    assert NEAR_MISS in bans_of(report)


def test_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = str(write_log(tmp_path / "auth.log"))
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text("[jails.sshd]\nfilter = 'sshd'\n")
    b.write_text("[jails.sshd]\nfilter = 'sshd'\nmaxretry = 4\n")
    assert main(["replay", "--no-progress", "--json", "--compare", str(a), str(b), log]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert [x["address"] for x in diff["only_b"]] == [NEAR_MISS]
    assert diff["only_a"] == []
    # the attacker is banned by both, one failure earlier with maxretry = 4
    assert [(c["a"]["address"], c["b"]["failures"]) for c in diff["changed"]] == [(ATTACKER, 4)]
    assert main(["--lang", "fr", "replay", "--no-progress", "--compare", str(a), str(b), log]) == 0
    assert "Seulement avec B: 1" in capsys.readouterr().out


def test_terminal_escapes_are_never_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "auth.log"
    log.write_text(
        "".join(failed(i, ATTACKER, user="\x1b]0;pwned\x07\x1b[2J") + "\n" for i in range(5))
        + "evil \x1b[31m line\n"
    )
    assert main(["replay", "--no-progress", "--evidence", str(log)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "\\x1b]0;pwned\\x07" in out


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["replay", "/nonexistent/auth.log"], 3, ["/nonexistent/auth.log", "No such file"]),
        (["replay", "--jail", "nope", "-"], 2, ["--jail nope", "jails: sshd"]),
        (["replay", "--filter", "nosuch", "-"], 2, ["nosuch", "sshd"]),
        (["replay", "--findtime", "ten", "-"], 2, ["not a duration"]),
        (["replay", "--timezone", "Mars/Olympus", "-"], 2, ["Mars/Olympus"]),
    ],
)
def test_errors_say_what_to_do(
    args: list[str], code: int, words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--lang", "en", *args]) == code
    err = capsys.readouterr().err
    for word in words:
        assert word in err


def test_invalid_config_names_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "r.toml"
    cfg.write_text("[jails.sshd]\nfilter = 'sshd'\nbantime = 'forever'\n")
    assert main(["--lang", "fr", "replay", "--config", str(cfg), "-"]) == 2
    err = capsys.readouterr().err
    assert "jails.sshd.bantime" in err
    assert "Correction" in err


def test_config_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "etc" / "rempart.toml"
    assert main(["config", "init", str(path)]) == 0
    assert main(["config", "check", "--config", str(path)]) == 0
    assert "maxretry=5 findtime=10m bantime=15m ports=22,2222,2200" in capsys.readouterr().out
    assert main(["config", "init", str(path)]) == 2  # refuses to overwrite
    path.write_text("[jails.sshd]\nfilter = 'nosuch'\n")
    assert main(["config", "check", "--config", str(path)]) == 1
    assert "jails.sshd.filter" in capsys.readouterr().err


def test_filters_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["filters"]) == 0
    assert "sshd" in capsys.readouterr().out
    assert main(["filters", "--json", "sshd[mode=aggressive]"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["label"] == "sshd[mode=aggressive]"
    assert shown["failregex"]


def test_a_cut_line_is_never_matched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A line over the 64 KiB limit is cut; what remains could end like a failure naming an
    address the attacker chose. It must be counted as too long, never matched."""
    from rempart.adapters.sources.splitter import DEFAULT_MAX_LINE

    head = "Nov 21 09:00:00 web1 sshd[9]: Failed password for invalid user "
    bait = f" from {INJECTED} port 22 ssh2"
    pad = "a" * (DEFAULT_MAX_LINE - len(head) - len(bait))
    line = head + pad + bait + " from 192.0.2.99 port 4 ssh2"
    log = tmp_path / "auth.log"
    log.write_text((line + "\n") * 6)
    report = run_json(capsys, str(log))
    jail = report["jails"][0]  # type: ignore[index]
    assert jail["lines"]["too_long"] == 6
    assert jail["failures"] == 0
    assert bans_of(report) == []


def test_filter_takes_the_defaults_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--filter replays with [defaults], not with the settings of some jail."""
    cfg = tmp_path / "r.toml"
    cfg.write_text("[defaults]\nmaxretry = 4\n[jails.strict]\nfilter = 'sshd'\nmaxretry = 50\n")
    report = run_json(
        capsys, "--config", str(cfg), "--filter", "sshd", str(write_log(tmp_path / "a.log"))
    )
    assert NEAR_MISS in bans_of(report)  # 4 failures: banned under [defaults], not under 50
