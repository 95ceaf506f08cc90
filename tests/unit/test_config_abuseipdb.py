from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from rempart.config import build_config, default_config_text
from rempart.config.abuseipdb import FREE_PLAN, SecretRef
from rempart.errors import ConfigError

_JAIL = "[jails.sshd]\nfilter = 'sshd'\n"


def _build(text: str):  # type: ignore[no-untyped-def]
    return build_config(tomllib.loads(_JAIL + text), Path("/etc/rempart/rempart.toml")).abuseipdb


def test_off_by_default_with_free_plan_limits() -> None:
    cfg = build_config(tomllib.loads(default_config_text()), Path("/etc/rempart/r.toml"))
    assert not cfg.abuseipdb.enabled
    assert not cfg.abuseipdb.blocklist_on
    assert not cfg.abuseipdb.report_on
    assert dict(cfg.abuseipdb.daily_limits) == dict(FREE_PLAN)
    assert cfg.abuseipdb.key == SecretRef("env", "ABUSEIPDB_KEY")


def test_full_table() -> None:
    a = _build(
        "[abuseipdb]\nenabled = true\nkey = 'file:/etc/rempart/abuseipdb.key'\n"
        "hide = ['example.org']\ndaily_limits = { blacklist = 100 }\n"
        "[abuseipdb.blocklist]\nevery = '1h'\nconfidence_minimum = 90\nip_version = 4\n"
        "[abuseipdb.report]\ncategories = { sshd = [18, 22, 18] }\ncooldown = '1h'\nbulk = true\n"
    )
    assert a.key == SecretRef("file", "/etc/rempart/abuseipdb.key")
    assert a.daily_limits["blacklist"] == 100
    assert a.daily_limits["report"] == 1000
    assert (a.blocklist.every, a.blocklist.confidence_minimum, a.blocklist.ip_version) == (
        3600,
        90,
        4,
    )
    assert a.report.categories["sshd"] == (18, 22)
    assert a.report_on
    assert a.blocklist_on
    assert a.report.bulk


@pytest.mark.parametrize(
    ("text", "key", "fix"),
    [
        ("[abuseipdb]\nkey = '0123456789abcdef'", "abuseipdb.key", "file:"),
        ("[abuseipdb]\nkey = 'file:relative.key'", "abuseipdb.key", "file:"),
        ("[abuseipdb]\nkey = 'env:NOT A NAME'", "abuseipdb.key", "env:"),
        ("[abuseipdb]\nurl = 'ftp://x'", "abuseipdb.url", "https://"),
        ("[abuseipdb]\nhide = ['a b']", "abuseipdb.hide", "hide ="),
        ("[abuseipdb]\nsecret = 1", "abuseipdb.secret", "use one of"),
        ("[abuseipdb]\ndaily_limits = { nope = 3 }", "abuseipdb.daily_limits.nope", "report"),
        ("[abuseipdb.blocklist]\nevery = '1h'", "abuseipdb.blocklist.every", "1d"),
        ("[abuseipdb.blocklist]\nconfidence_minimum = 10", "confidence_minimum", "100"),
        ("[abuseipdb.blocklist]\nip_version = 5", "abuseipdb.blocklist.ip_version", "4"),
        ("[abuseipdb.report]\ncategories = { nginx = [21] }", "categories.nginx", "sshd"),
        ("[abuseipdb.report]\ncategories = { sshd = [31] }", "categories.sshd", "18"),
        ("[abuseipdb.report]\ncategories = { sshd = [22] }", "categories.sshd", "[18, 22]"),
        ("[abuseipdb.report]\ncategories = { sshd = [] }", "categories.sshd", "18"),
        ("[abuseipdb.report]\ncooldown = '5m'", "abuseipdb.report.cooldown", "15m"),
    ],
)
def test_errors_name_the_key_and_the_fix(text: str, key: str, fix: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _build(text)
    message = str(caught.value)
    assert key in message
    assert fix in message
    assert "0123456789abcdef" not in message  # a literal key is never echoed back
