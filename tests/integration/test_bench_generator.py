"""The auth-log generator behind the replay benchmark (bench/gen_authlog.py).

It is deterministic; its lines carry real OpenSSH wording (compared with the real OpenSSH 9.2
capture in tests/fixtures/sshd and fail2ban's sshd test log in tests/fixtures/fail2ban); its
truth file agrees with its lines; the bundled sample is what the documented command
generates; and ``bench/run_all.py --quick`` parses. The benchmark itself is not run here
(see bench/README.md).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import re
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import FIXTURES, ROOT

BENCH = ROOT / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load("gen_authlog")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """A 20k-line log in both forms, seed 7, in a private cache."""
    cache = tmp_path_factory.mktemp("gen")
    return {
        fmt: gen.ensure(gen.Params(20_000, fmt, 7), cache_dir=cache)
        for fmt in ("classic", "rfc3339")
    }


def _truth(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    header, records = gen.read_truth(path)
    return header, records


# ----------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("fmt", ["classic", "rfc3339"])
def test_same_seed_gives_the_same_bytes(tmp_path: Path, fmt: str) -> None:
    params = gen.Params(3000, fmt, 11)
    a = gen.ensure(params, cache_dir=tmp_path / "a")
    b = gen.ensure(params, cache_dir=tmp_path / "b")
    other = gen.ensure(gen.Params(3000, fmt, 12), cache_dir=tmp_path / "c")
    assert a[0].read_bytes() == b[0].read_bytes()
    assert a[1].read_bytes() == b[1].read_bytes()
    assert a[0].read_bytes() != other[0].read_bytes()


def test_both_forms_hold_the_same_events(made: dict[str, tuple[Path, Path]]) -> None:
    classic = made["classic"][0].read_text().splitlines()
    rfc = made["rfc3339"][0].read_text().splitlines()
    assert len(classic) == len(rfc) == 20_000
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+01:00 ")
    for c, r in zip(classic, rfc, strict=True):
        assert re.match(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ", c)
        assert stamp.match(r)
        assert c.split(" ", 3)[3].lstrip() == r.split(" ", 1)[1]
    assert (
        made["classic"][1].read_text().splitlines()[1:]
        == (made["rfc3339"][1].read_text().splitlines()[1:])
    )


# ----------------------------------------------------------------------------- truth
def test_truth_agrees_with_the_lines(made: dict[str, tuple[Path, Path]]) -> None:
    log, truth = made["classic"]
    lines = log.read_text().splitlines()
    header, records = _truth(truth)
    assert [r["line"] for r in records] == list(range(1, len(lines) + 1))
    seen = dict.fromkeys(gen.FAILURE_KINDS, 0)
    for r in records:
        text = lines[r["line"] - 1]
        assert r["failure"] == (r["kind"] in gen.FAILURE_KINDS)
        if not r["failure"]:
            continue
        seen[r["kind"]] += 1
        addr = r["address"]
        assert str(ipaddress.ip_address(addr)) == addr, "addresses are canonical"
        if r["kind"] == "kex_ident":
            assert addr not in text
            close = lines[r["close"] - 1]
            assert f" {addr} port " in close
            assert _pid(close) == _pid(text)
            assert r["close"] > r["line"]
        else:
            assert re.search(rf"(?<![\w:.]){re.escape(addr)}(?![\w:])", text), text
    assert seen == header["failures_by_kind"]
    assert all(seen.values()), f"every failure kind occurs: {seen}"
    assert sum(seen.values()) == header["failures"]
    assert 0.25 < header["failures"] / len(lines) < 0.35


def _pid(line: str) -> str:
    """``host program[pid]`` of a line."""
    return " ".join(line.split(": ", 1)[0].split()[-2:])


def test_expected_bans_are_the_planted_attackers(made: dict[str, tuple[Path, Path]]) -> None:
    """Recomputed from the RFC 3339 timestamps in the text, not from the generator's memory."""
    log, truth = made["rfc3339"]
    lines = log.read_text().splitlines()
    header, records = _truth(truth)
    failures = [
        (r["address"], datetime.fromisoformat(lines[r["line"] - 1].split(" ", 1)[0]).timestamp())
        for r in records
        if r["failure"]
    ]
    bans = gen.expected_bans(failures, maxretry=5, findtime=600.0)
    roles = {r["address"]: r for r in header["roles"]}
    attackers = {a for a, r in roles.items() if r["role"] == "attacker"}
    near = {a for a, r in roles.items() if r["role"] == "near_miss"}
    assert set(bans) == attackers == {b["address"] for b in header["bans"]}
    assert len(attackers) == 10
    assert len(near) == 10
    assert not near & set(bans)
    assert {r["style"] for r in roles.values() if r["role"] == "near_miss"} == {"burst4", "slow5"}
    for addr in near:
        count = sum(1 for a, _ in failures if a == addr)
        assert count in (4, 5)


def test_injected_addresses_are_never_the_source(made: dict[str, tuple[Path, Path]]) -> None:
    """A user name naming another address: the truth blames the real (last) address."""
    log, truth = made["classic"]
    lines = log.read_text().splitlines()
    header, records = _truth(truth)
    injected = set(header["injected_addresses"])
    named = {a: re.compile(rf"(?<![\w:.]){re.escape(a)}(?![\w:])") for a in injected}
    crafted = 0
    for r in records:
        if not r["failure"]:
            continue
        text = lines[r["line"] - 1]
        spots = [
            m.start() for a, rx in named.items() if a != r["address"] for m in rx.finditer(text)
        ]
        if spots:
            crafted += 1
            assert text.rfind(r["address"]) > max(spots), text
    assert crafted > 0, "the crafted user names appear in the log"
    documentation = [
        ipaddress.ip_network(n)
        for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
    ]
    failing = {r["address"] for r in records if r["failure"]}
    for a in injected:
        if any(ipaddress.ip_address(a) in n for n in documentation):
            assert a not in failing
    assert not injected & {b["address"] for b in header["bans"]}


def test_sshd_session_hosts_and_noise_are_present(made: dict[str, tuple[Path, Path]]) -> None:
    text = made["classic"][0].read_text()
    for program in (
        "sshd[",
        "sshd-session[",
        "CRON[",
        "systemd[1]:",
        "postfix/smtpd[",
        "kernel:",
        "sudo:",
        "systemd-logind[",
    ):
        assert program in text
    assert re.search(r"from [0-9a-f]*:[0-9a-f:]+ port \d+", text), "IPv6 sources"
    assert "Accepted publickey for " in text
    assert "Accepted password for " in text


# ----------------------------------------------------------------------------- wording
_MASKS = [
    (re.compile(r"\bport \d+"), "port <N>"),
    (re.compile(r"SHA256:[A-Za-z0-9+/$]+|(?:[0-9a-fx]{2}:){15}[0-9a-fx]{2}"), "<FP>"),
    (re.compile(r"Their offer: .*? \[preauth\]$"), "Their offer: <OFFER> [preauth]"),
    (re.compile(r"no matching .*? found"), "no matching <ALG> found"),
    (re.compile(r'protocol identifier ".*"'), 'protocol identifier "<BANNER>"'),
    (re.compile(r":11: .*?( \[preauth\])?$"), r":11: <REASON>\1"),
    (
        re.compile(
            r"(?<![\w:.])(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7})"
            r"(?![\w:])"
        ),
        "<IP>",
    ),
    (re.compile(r"\b(?:RSA|ED25519|ECDSA|DSA)\b"), "<KEYTYPE>"),
    (re.compile(r"\b(user |user=|for (?!invalid |illegal |user ))\S+"), r"\1<U>"),
    (re.compile(r"\d+"), "<N>"),
]
_SSHD = re.compile(r"\bsshd(?:-session)?\[\d+\]: (?:\[ID \d+ auth\.\w+\] )?(.*)$")

# Wording the generator writes that the two reference files do not happen to contain. Each is
# OpenSSH's (or pam_unix's) format string, and each is common in public auth logs.
_FROM_SOURCES = {
    # packet.c sshpkt_vfatal(): "Connection closed by %s" / "Disconnected from %s", where the
    # connection id has no user yet before authentication
    "Connection closed by <IP> port <N> [preauth]",
    # the same with the "%suser %s" log preamble set in auth2.c ("authenticating " or "invalid ")
    "Connection reset by invalid user <U> <IP> port <N> [preauth]",
    "Disconnected from invalid user <U> <IP> port <N> [preauth]",
    # auth.c auth_log(): "%s %s%s%s for %s%.100s from %.200s port %d ssh2" with submethod "pam"
    "Failed keyboard-interactive/pam for <U> from <IP> port <N> ssh<N>",
    # auth-pam.c: "PAM: %s for %s%.100s from %.100s", "illegal user " when the user is unknown
    "error: PAM: Authentication failure for illegal user <U> from <IP>",
    # pam_unix: "%d more authentication failure%s" (singular for one)
    "PAM <N> more authentication failure; logname= uid=<N> euid=<N> tty=ssh ruser= rhost=<IP>",
    "PAM <N> more authentication failure; logname= uid=<N> euid=<N> tty=ssh ruser= rhost=<IP>  "
    "user=<U>",
    # kex.c kex_exchange_identification(): error_f("banner line contains invalid characters")
    "error: kex_exchange_identification: banner line contains invalid characters",
}


def _shape(message: str) -> str:
    for rx, replacement in _MASKS:
        message = rx.sub(replacement, message)
    return message.rstrip()


def _shapes(path: Path) -> set[str]:
    out = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _SSHD.search(line.rstrip("\r"))
        if m:
            out.add(_shape(m.group(1)))
    return out


def test_sshd_lines_use_real_openssh_wording(made: dict[str, tuple[Path, Path]]) -> None:
    real = _shapes(FIXTURES / "sshd/sshd-real-syslog.log") | _shapes(
        FIXTURES / "fail2ban/logs/sshd"
    )
    assert not _FROM_SOURCES & real, "drop entries the reference files now contain"
    log, truth = made["classic"]
    header, records = _truth(truth)
    injected = set(header["injected_addresses"])
    checked: dict[str, set[str]] = {}
    unknown: dict[str, str] = {}
    for line, r in zip(log.read_text().splitlines(), records, strict=True):
        m = _SSHD.search(line)
        if m is None or any(f" from {a}" in line for a in injected):
            continue  # other programs; crafted user names are not OpenSSH's wording
        shape = _shape(m.group(1))
        if shape in real:
            checked.setdefault(r["kind"], set()).add(shape)
        elif shape not in _FROM_SOURCES:
            unknown[shape] = line
    assert not unknown, "lines whose wording no real line shows:\n" + "\n".join(unknown.values())
    against_real = {k for k in gen.FAILURE_KINDS if k in checked}
    # most failure kinds are checked against a real line (the rest against the sources above)
    assert len(against_real) >= len(gen.FAILURE_KINDS) - 2, sorted(against_real)


# ----------------------------------------------------------------------------- sample + CLI
def test_bundled_sample_is_what_its_readme_command_makes(tmp_path: Path) -> None:
    sample = ROOT / "rempart/samples/auth.log"
    readme = (ROOT / "rempart/samples/README.md").read_text(encoding="utf-8")
    command = "python bench/gen_authlog.py --lines 3000 --format classic --seed 2026 --attackers 4"
    assert command in readme
    log, truth = gen.ensure(gen.Params(3000, "classic", 2026, 4, 4), cache_dir=tmp_path)
    assert sample.read_bytes() == log.read_bytes()
    header, _ = _truth(truth)
    for ban in header["bans"]:
        assert ban["address"] in readme
    for role in header["roles"]:
        assert role["address"] in readme
    for addr in header["injected_addresses"]:
        assert addr in readme


def test_run_all_quick_parses() -> None:
    run_all = _load("run_all")
    args = run_all.parse_args(["--quick"])
    assert args.lines == 100_000
    assert args.quick
    plans = dict(run_all.plan(args))
    assert plans["replay"][-4:] == ["--lines", "100000", "--runs", "1"]
    full = run_all.parse_args([])
    assert full.lines == 1_000_000
    assert full.runs == 3
    with pytest.raises(SystemExit):
        run_all.parse_args(["--only", "nonesuch"])


def test_fail2ban_records_are_mapped_to_their_last_matched_line(tmp_path: Path) -> None:
    replay = _load("bench_replay")
    log = tmp_path / "auth.log"
    log.write_text(
        "Nov 20 00:00:01 h sshd[1]: error: kex_exchange_identification: Connection closed by"
        " remote host\n"
        "Nov 20 00:00:01 h sshd[1]: Connection closed by 2001:db8:0:0::1 port 22\n"
        "Nov 20 00:00:02 h sshd[2]: pam_unix(sshd:auth): authentication failure; rhost=192.0.2.1\n"
        "Nov 20 00:00:04 h sshd[2]: Failed password for root from 192.0.2.1 port 9 ssh2\n"
    )
    out = tmp_path / "f2b.out"
    out.write_text(
        "\x1e2001:db8::1\t1.0\n"
        "Nov 20 00:00:01 h sshd[1]: error: kex_exchange_identification: Connection closed by"
        " remote host\n"
        "\x1e192.0.2.1\t4.0\n"
        "Nov 20 00:00:02 h sshd[2]: pam_unix(sshd:auth): authentication failure; rhost=192.0.2.1\n"
        "Nov 20 00:00:04 h sshd[2]: Failed password for root from 192.0.2.1 port 9 ssh2\n"
    )
    found, stats = replay.read_fail2ban(out, log)
    assert found == [(1, "2001:db8::1", 1.0), (4, "192.0.2.1", 4.0)]
    assert stats["records"] == 2
