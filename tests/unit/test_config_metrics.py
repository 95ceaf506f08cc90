"""[metrics], [metrics.munin], [metrics.prometheus] and [probes.*]: every key, every error."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from rempart.addresses import parse_network
from rempart.config import build_config, default_config_text
from rempart.config.abuseipdb import SecretRef
from rempart.config.metrics import PROBE_OPTIONS, parse_listen, parse_rate
from rempart.config.schema import KEYS, Config
from rempart.errors import ConfigError

FULL = """
[metrics]
enabled = true
disabled = ["psi", "processes"]
fresh = "10s"

[metrics.munin]
enabled = true
listen = ["127.0.0.1", "::1"]
port = 4950
allow = ["127.0.0.1", "192.0.2.0/24"]
host_name = "web1.example.org"
plugins = "/etc/munin/plugins"
plugin_conf = ""
plugin_timeout = "20s"
plugin_user = ""

[metrics.prometheus]
enabled = true
listen = "[::1]:9100"

[probes.df]
exclude_types = ["tmpfs"]
exclude = ["/snap/*"]
[probes.diskstats]
exclude = ["loop*"]
[probes.network]
capacity = { eth0 = "1Gbit", "ens*" = "100M", lo = 1000 }
exclude = ["lo", "docker0"]
[probes.containers]
docker_socket = ""
podman_socket = "/run/user/1000/podman/podman.sock"
lxc_path = "/srv/lxc"
expected = ["wordpress", "spip"]
[probes.services]
processes = { mariadb = "mariadbd" }
tcp = { smtp = "127.0.0.1:25", web = "[::1]:443", mx = "mail.example.org:25" }
units = { postfix = "postfix.service" }
[probes.postfix]
spool = "/var/spool/postfix"
log = "/var/log/mail.log"
[probes.sympa]
list_data = "/var/lib/sympa/list_data"
spool = "/var/spool/sympa"
log = "/var/log/sympa.log"
[probes.mariadb]
socket = "/run/mysqld/mysqld.sock"
user = "rempart"
password = "file:/etc/rempart/mariadb.pass"
timeout = "3s"
[probes.tls]
targets = ["example.org:443", "/etc/ssl/certs/site.pem"]
warning_days = 30
critical_days = 10
timeout = "4s"
interval = "2h"
[probes.http]
timeout = "5s"
interval = "30s"
[[probes.http.sites]]
url = "https://example.org/"
name = "blog"
expect = [200, 301]
contains = "Welcome"
[[probes.http.sites]]
url = "http://127.0.0.1:8080/health"
"""


def _build(text: str) -> Config:
    return build_config(tomllib.loads(text), Path("/etc/rempart/rempart.toml"))


def test_defaults() -> None:
    m = _build(default_config_text()).metrics
    assert m.enabled
    assert m.disabled == frozenset()
    assert m.fresh == 5.0
    assert m.munin.listen == ("127.0.0.1",)
    assert m.munin.port == 4949
    assert m.munin.allow == (parse_network("127.0.0.1"), parse_network("::1"))
    assert m.munin.plugins is None
    assert m.munin.plugin_conf == Path("/etc/munin/plugin-conf.d")
    assert m.munin.plugin_user == "nobody"
    assert m.munin.plugin_timeout == 10.0
    assert not m.prometheus.enabled
    assert (m.prometheus.host, m.prometheus.port) == (
        "127.0.0.1",
        9749,
    )
    assert m.probes.df.exclude_types is None
    assert m.probes.mariadb.password is None
    assert m.probe_on("cpu")


def test_every_key() -> None:
    m = _build(FULL).metrics
    assert m.disabled == {"psi", "processes"}
    assert m.fresh == 10.0
    assert not m.probe_on("psi")
    mu = m.munin
    assert mu.listen == ("127.0.0.1", "::1")
    assert mu.port == 4950
    assert mu.allow[1] == parse_network("192.0.2.0/24")
    assert mu.host_name == "web1.example.org"
    assert mu.plugins == Path("/etc/munin/plugins")
    assert mu.plugin_conf is None
    assert mu.plugin_timeout == 20.0
    assert mu.plugin_user is None
    assert (m.prometheus.enabled, m.prometheus.host, m.prometheus.port) == (True, "::1", 9100)
    p = m.probes
    assert p.df.exclude_types == ("tmpfs",)
    assert p.df.exclude == ("/snap/*",)
    assert p.diskstats.exclude == ("loop*",)
    assert dict(p.network.capacity) == {"eth0": 1e9, "ens*": 1e8, "lo": 1000.0}
    assert p.network.exclude == ("lo", "docker0")
    assert p.containers.docker_socket == ""
    assert p.containers.lxc_path == Path("/srv/lxc")
    assert p.containers.podman_socket == "/run/user/1000/podman/podman.sock"
    assert p.containers.expected == ("wordpress", "spip")
    assert dict(p.services.processes) == {"mariadb": "mariadbd"}
    assert p.services.tcp["web"] == "[::1]:443"
    assert p.services.units["postfix"] == "postfix.service"
    assert p.postfix.log == Path("/var/log/mail.log")
    assert p.sympa.spool == Path("/var/spool/sympa")
    assert p.mariadb.password == SecretRef("file", "/etc/rempart/mariadb.pass")
    assert (p.mariadb.user, p.mariadb.timeout) == ("rempart", 3.0)
    assert p.tls.targets == ("example.org:443", "/etc/ssl/certs/site.pem")
    assert (p.tls.warning_days, p.tls.critical_days, p.tls.interval) == (30, 10, 7200)
    assert (p.http.timeout, p.http.interval) == (5.0, 30.0)
    assert p.http.sites[0].expect == (200, 301)
    assert p.http.sites[0].contains == "Welcome"
    assert p.http.sites[1].name == ""
    assert p.http.sites[1].expect == ()


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("[metrics]\nenable = true", "metrics.enable", "unknown key"),
        ('[metrics]\ndisabled = ["cpu", "gpu"]', "metrics.disabled", "no probe named 'gpu'"),
        ("[metrics]\ndisabled = 'cpu'", "metrics.disabled", "list of probe names"),
        ('[metrics]\nfresh = "soon"', "metrics.fresh", "not a duration"),
        ("[metrics.munin]\nport = 70000", "metrics.munin.port", "1–65535"),
        ('[metrics.munin]\nlisten = ["eth0"]', "metrics.munin.listen", "not an address"),
        ('[metrics.munin]\nallow = ["10.0.0.300"]', "metrics.munin.allow", "10.0.0.300"),
        ('[metrics.munin]\nplugins = "plugins"', "metrics.munin.plugins", "absolute path"),
        ('[metrics.munin]\nhost_name = "a b"', "metrics.munin.host_name", "host name"),
        ('[metrics.prometheus]\nlisten = "9749"', "metrics.prometheus.listen", "ADDRESS:PORT"),
        ('[metrics.prometheus]\nlisten = "::1:9749"', "metrics.prometheus.listen", "brackets"),
        ("[probes.cpu]\nx = 1", "probes.cpu", "takes no options"),
        ("[probes.gpu]\nx = 1", "probes.gpu", "no probe named"),
        ("[probes.df]\nexclud = []", "probes.df.exclud", "unknown key"),
        ('[probes.network]\ncapacity = { eth0 = "1GB" }', "probes.network.capacity.eth0", "rate"),
        ('[probes.network]\ncapacity = { eth0 = "fast" }', "probes.network.capacity.eth0", "rate"),
        ('[probes.mariadb]\npassword = "hunter2"', "probes.mariadb.password", "reference"),
        ('[probes.mariadb]\npassword = "file:pass"', "probes.mariadb.password", "absolute"),
        ('[probes.mariadb]\npassword = "env:1X"', "probes.mariadb.password", "variable name"),
        ('[probes.services]\ntcp = { a = "nohost" }', "probes.services.tcp.a", "not valid"),
        ('[probes.tls]\ntargets = ["example.org"]', "probes.tls.targets", "host:port"),
        ('[probes.tls]\ninterval = "1s"', "probes.tls.interval", "60 s"),
        ("[[probes.http.sites]]\nurl = 'ftp://x'", "probes.http.sites[0].url", "http(s) URL"),
        (
            "[[probes.http.sites]]\nurl = 'https://x/'\nexpect = [999]",
            "probes.http.sites[0].expect",
            "status codes",
        ),
    ],
)
def test_errors_name_the_file_the_key_and_the_fix(text: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _build(text)
    message = caught.value.render("en")
    assert message.startswith(f"/etc/rempart/rempart.toml: {key}: ")
    assert words in message
    assert "Fix: " in message
    assert "Correction : " in caught.value.render("fr")


def test_the_password_itself_never_shows_in_the_error() -> None:
    with pytest.raises(ConfigError) as caught:
        _build('[probes.mariadb]\npassword = "s3cr3t-value"')
    assert "s3cr3t" not in caught.value.render("en")


@pytest.mark.parametrize(
    ("text", "bits"),
    [
        ("1Gbit", 1e9),
        ("100Mbit", 1e8),
        ("1G", 1e9),
        ("100M", 1e8),
        ("2.5 Gbit/s", 2.5e9),
        ("10kbps", 1e4),
        (1000, 1000.0),
        ("1000", 1000.0),
    ],
)
def test_rates(text: object, bits: float) -> None:
    assert parse_rate(text) == bits


@pytest.mark.parametrize("text", ["", "0", "-1G", "1GB", "G", True, "1 Gibit"])
def test_bad_rates(text: object) -> None:
    with pytest.raises(ValueError, match=r"rate|capacity"):
        parse_rate(text)


def test_listen_forms() -> None:
    assert parse_listen("127.0.0.1:9749") == ("127.0.0.1", 9749)
    assert parse_listen("[::1]:9749") == ("::1", 9749)
    assert parse_listen(":9749") == ("", 9749)


def test_every_documented_key_is_accepted_and_every_accepted_key_documented() -> None:
    for probe, keys in PROBE_OPTIONS.items():
        documented = {k.name for k in KEYS[f"probes.{probe}"]}
        assert documented == set(keys), probe
    for table in ("metrics", "metrics.munin", "metrics.prometheus", "probes.http.sites[]"):
        for spec in KEYS[table]:
            assert spec.help_en
            assert spec.help_fr
            assert spec.example
    # every documented key of the FULL example exists in the file above
    for spec in KEYS["metrics.munin"]:
        assert f"\n{spec.name} = " in FULL


def test_the_commented_example_of_the_default_configuration_is_valid() -> None:
    text = default_config_text()
    head, example = text[: text.index("# Metrics:")], text[text.index("# [metrics]") :]
    lines = [line[2:] for line in example.splitlines() if line.startswith("# ")]
    metrics = _build(head + "\n".join(lines)).metrics
    assert metrics.disabled == {"psi", "processes"}
    assert metrics.prometheus.enabled
    assert metrics.munin.plugins == Path("/etc/munin/plugins")
