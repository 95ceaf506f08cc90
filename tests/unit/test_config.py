from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from rempart.config import build_config, default_config_text, load_config
from rempart.config.durations import format_duration, parse_duration
from rempart.errors import ConfigError


def test_default_config_is_the_association_rule() -> None:
    cfg = build_config(tomllib.loads(default_config_text()), Path("/etc/rempart/rempart.toml"))
    sshd = cfg.jails["sshd"]
    assert (sshd.maxretry, sshd.findtime, sshd.bantime) == (5, 600, 900)
    assert [str(p) for p in sshd.ports or ()] == ["22", "2222", "2200"]
    assert sshd.ipv6_prefix == 128


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(90, 90), ("90s", 90), ("10m", 600), ("1h30m", 5400), ("2d", 172800), ("1w", 604800)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_duration_round_trip() -> None:
    assert format_duration(5400) == "1h30m"
    assert parse_duration(format_duration(93784)) == 93784


@pytest.mark.parametrize(
    ("toml", "key", "fix_word"),
    [
        ("[jails.sshd]\nfilter='sshd'\nmaxretry='five'", "jails.sshd.maxretry", "maxretry = 5"),
        ("[jails.sshd]\nfilter='sshd'\nfindtime='10 minutes'", "jails.sshd.findtime", "10m"),
        ("[jails.sshd]\nfilter='sshd'\nignoreip=['300.1.1.1']", "jails.sshd.ignoreip", "CIDR"),
        ("[jails.sshd]\nfilter='sshd'\nports=[70000]", "jails.sshd.ports", "ports ="),
        ("[jails.sshd]\nfilter='sshd'\nmaxretyr=3", "jails.sshd.maxretyr", "maxretry"),
        ("[jails.sshd]\nmaxretry=3", "jails.sshd.filter", "filter ="),
        (
            "[jails.sshd]\nfilter='sshd'\n[[jails.sshd.sources]]\ntype='file'",
            "jails.sshd.sources[0].path",
            "path =",
        ),
        (
            "[jails.sshd]\nfilter='sshd'\n[[jails.sshd.sources]]\ntype='journal'\ntimezone='Mars/Base'",
            "jails.sshd.sources[0].timezone",
            "Europe/Paris",
        ),
        ("[jail.sshd]\nfilter='sshd'", "jail", "jails"),
    ],
)
def test_errors_name_file_key_and_fix(toml: str, key: str, fix_word: str, tmp_path: Path) -> None:
    path = tmp_path / "rempart.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert key in message
    assert fix_word in message
    assert "Correction" in info.value.render("fr")


def test_missing_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml")


def test_syntax_error_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[jails\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_defaults_apply_to_jails(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(
        "[defaults]\nmaxretry=3\nbantime='1h'\nescalation={factor=2}\n"
        "[jails.a]\nfilter='sshd'\n[jails.b]\nfilter='sshd'\nmaxretry=7\n"
    )
    cfg = load_config(path)
    assert cfg.jails["a"].maxretry == 3
    assert cfg.jails["b"].maxretry == 7
    assert cfg.jails["b"].bantime == 3600
    assert cfg.jails["a"].escalation.bantime(3600, 3) == 14400


@pytest.mark.parametrize("name", ["a b", "allow", "blocklist", "x" * 33, "sshd;drop", "é", '"'])
def test_jail_names_must_fit_nftables_set_names(name: str, tmp_path: Path) -> None:
    path = tmp_path / "rempart.toml"
    path.write_text(f"[jails.'{name}']\nfilter='sshd'\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert f"jails.{name}" in message
    assert "1 to 32 letters" in message
    assert "rename" in message


@pytest.mark.parametrize("name", ["sshd", "postfix-sasl", "web_1", "X" * 32, "2222"])
def test_plain_jail_names_are_accepted(name: str, tmp_path: Path) -> None:
    path = tmp_path / "rempart.toml"
    path.write_text(f"[jails.'{name}']\nfilter='sshd'\n")
    assert list(load_config(path).jails) == [name]
