"""[server] and its tables: every key, the defaults, the errors (each names its key and a fix),
and the examples of the default configuration and of the how-to parse."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from rempart.alerting.values import AlertRule
from rempart.config import build_config, default_config_text
from rempart.config.abuseipdb import SecretRef
from rempart.config.schema import KEYS
from rempart.config.server import (
    DEFAULT_SERVER_SOCKET,
    AlertsConfig,
    IncidentConfig,
    NodeConfig,
    RetentionConfig,
    ServerConfig,
    check_range,
    parse_node_address,
)
from rempart.errors import ConfigError
from rempart.munin.ranges import Range, parse_range
from tests.conftest import ROOT

CONFIG = Path("/etc/rempart/rempart.toml")
DAY = 86400.0

FULL = """
[rempart]
state_dir = "/srv/state"
language = "fr"

[server]
interval = "10m"
timeout = "45s"
concurrency = 50
database = "db/server.db"
socket = "/run/rempart/srv.sock"

[server.groups.Gandi]
web1 = "192.0.2.10"
mail = "mail.example.org:4950"

[server.groups."TTN cloud"]
vm3 = "[2001:db8::3]:4951"
vm4 = "2001:db8::4"

[server.retention]
samples = "400d"
hourly = "3y"
daily = "0"

[server.alerts]
language = "en"
for = "15m"
hysteresis = 0.1
unreachable_for = "5m"
no_data_for = "1h"
disk_full_days = 10
disk_full_window = "2d"
repeat = "1d"

[[server.alerts.rules]]
match = "*/df/*"
warning = "85"
critical = "95"

[[server.alerts.rules]]
match = "web1/load/load"
for = "30m"
enabled = false

[[server.alerts.rules]]
match = "*/memory/free"
warning = "100:"
critical = ""

[server.incident]
enabled = false
fraction = 0.6
min_hosts = 3
io_pressure = 15
steal = 25.5

[server.mail]
to = ["admins@example.org", "oncall@example.org"]
from = "rempart@example.org"
host = "smtp.example.org"
port = 2525
security = "starttls"
username = "rempart"
password = "file:/etc/rempart/smtp.pass"
timeout = "20s"

[[server.webhooks]]
name = "mattermost"
url = "https://chat.example.org/hooks/abc123"
format = "slack"
timeout = "5s"

[[server.webhooks]]
name = "ops"
url = "http://[2001:db8::9]:8080/alerts?token=x"

[server.web]
enabled = true
listen = "127.0.0.1:8090"
trusted_proxies = ["127.0.0.1", "::1"]
language = "fr"
session_idle = "8h"
session_max = "7d"
login_limit = 5
login_window = "10m"
auth_log = "/var/log/rempart/web-auth.log"
secure_cookies = "always"
"""


def _server(text: str, path: Path = CONFIG) -> ServerConfig:
    return build_config(tomllib.loads(text), path).server


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        _server(text)
    return info.value


def test_every_key_of_the_full_example() -> None:
    s = _server(FULL)
    assert s.interval == 600
    assert s.timeout == 45
    assert s.concurrency == 50
    assert s.database == Path("/etc/rempart/db/server.db")
    assert s.socket == Path("/run/rempart/srv.sock")
    assert s.nodes == (
        NodeConfig("web1", "Gandi", "192.0.2.10", 4949),
        NodeConfig("mail", "Gandi", "mail.example.org", 4950),
        NodeConfig("vm3", "TTN cloud", "2001:db8::3", 4951),
        NodeConfig("vm4", "TTN cloud", "2001:db8::4", 4949),
    )
    assert list(s.groups()) == ["Gandi", "TTN cloud"]
    assert s.retention == RetentionConfig(samples=400 * DAY, hourly=3 * 365 * DAY, daily=0.0)
    a = s.alerts
    assert (a.language, a.for_, a.hysteresis) == ("en", 900, 0.1)
    assert (a.unreachable_for, a.no_data_for, a.repeat) == (300, 3600, DAY)
    assert (a.disk_full_days, a.disk_full_window) == (10, 2 * DAY)
    assert a.rules == (
        AlertRule("*/df/*", warning="85", critical="95"),
        AlertRule("web1/load/load", for_=1800, enabled=False),
        AlertRule("*/memory/free", warning="100:", critical=""),
    )
    assert s.incident == IncidentConfig(False, 0.6, 3, 15.0, 25.5)
    m = s.mail
    assert m is not None
    assert m.to == ("admins@example.org", "oncall@example.org")
    assert (m.sender, m.host, m.port, m.security) == (
        "rempart@example.org",
        "smtp.example.org",
        2525,
        "starttls",
    )
    assert (m.username, m.password, m.timeout) == (
        "rempart",
        SecretRef("file", "/etc/rempart/smtp.pass"),
        20,
    )
    hooks = s.webhooks
    assert [(h.name, h.format, h.timeout) for h in hooks] == [
        ("mattermost", "slack", 5),
        ("ops", "json", 10),
    ]
    assert hooks[1].url == "http://[2001:db8::9]:8080/alerts?token=x"


def test_defaults_without_a_server_table() -> None:
    s = _server('[rempart]\nstate_dir = "/srv/state"\n')
    assert s == ServerConfig(database=Path("/srv/state/server.db"))
    assert s.socket == DEFAULT_SERVER_SOCKET
    assert s.retention == RetentionConfig(800 * DAY, 1830 * DAY, 0.0)
    assert s.alerts == AlertsConfig()
    assert s.incident == IncidentConfig()
    assert s.mail is None
    assert s.webhooks == ()
    assert s.nodes == ()


def test_defaults_of_the_subtables() -> None:
    s = _server(
        '[rempart]\nlanguage = "fr"\n[server.groups.G]\na = "h"\n'
        '[server.mail]\nfrom = "r@example.org"\nto = ["a@example.org"]\n'
        '[[server.webhooks]]\nname = "w"\nurl = "https://e.org/h"\n'
    )
    assert s.alerts.language == "fr"  # from [rempart] language
    assert s.mail is not None
    assert (s.mail.host, s.mail.port, s.mail.security, s.mail.timeout) == (
        "localhost",
        25,
        "none",
        30,
    )
    assert s.mail.username is None
    assert s.mail.password is None
    assert s.webhooks[0].format == "json"
    assert s.webhooks[0].timeout == 10


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("tls", 465), ("none", 25)])
def test_mail_port_follows_the_security(security: str, port: int) -> None:
    s = _server(
        f'[server.mail]\nfrom = "r@example.org"\nto = ["a@example.org"]\nhost = "smtp.e.org"\n'
        f'security = "{security}"\n'
    )
    assert s.mail is not None
    assert s.mail.port == port


def test_relative_database_is_read_from_the_config_directory(tmp_path: Path) -> None:
    s = _server('[server]\ndatabase = "server.db"\nsocket = "run/s.sock"\n', tmp_path / "r.toml")
    assert s.database == tmp_path / "server.db"
    assert s.socket == tmp_path / "run" / "s.sock"
    s = _server('[rempart]\nstate_dir = "st"\n', tmp_path / "r.toml")
    assert s.database == tmp_path / "st" / "server.db"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("web1", ("web1", 4949)),
        ("web1.example.org:4950", ("web1.example.org", 4950)),
        ("192.0.2.1", ("192.0.2.1", 4949)),
        ("192.0.2.1:1", ("192.0.2.1", 1)),
        ("[2001:db8::1]:4949", ("2001:db8::1", 4949)),
        ("[::1]", ("::1", 4949)),
        ("2001:db8::1", ("2001:db8::1", 4949)),
        ("node_1.local.", ("node_1.local.", 4949)),
    ],
)
def test_node_addresses(text: str, expected: tuple[str, int]) -> None:
    assert parse_node_address(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "a b", "web1:", "web1:0", "web1:65536", "web1:http", "[::1", "[::1]x", "[web1]:4949",
     "999.1.1.1", "2001:db8::zz", "-web1", "a..b", "x" * 254, "h\n"],
)  # fmt: skip
def test_bad_node_addresses(text: str) -> None:
    with pytest.raises(ValueError, match=r"host|port|IPv|address"):
        parse_node_address(text)


@pytest.mark.parametrize("text", ["90", "10:", ":90", "5:95", "-5:-1", " 1.5:2 ", "0", "", ".5"])
def test_valid_ranges_read_by_munin_the_same_way(text: str) -> None:
    assert check_range(text) is None
    if text:
        assert parse_range(text) != Range(0.0, 0.0) or text == "0:0"


@pytest.mark.parametrize(
    "text", ["abc", "1.2.3", "+", "90%", "10-20", ":", "20:10", "5::6", "1e3", "1 : 2"]
)
def test_ranges_munin_would_misread_are_refused(text: str) -> None:
    assert check_range(text)


# (TOML, the key the error names, a word of the problem or the fix)
ERRORS = [
    ('[server]\ninterval = "7m"\n', "server.interval", "multiple of 5m"),
    ('[server]\ninterval = "1m"\n', "server.interval", "5m"),
    ('[server]\ninterval = "2h"\n', "server.interval", "1h"),
    ('[server]\ntimeout = "5m"\n', "server.timeout", "4m59s"),
    ('[server]\ntimeout = "soon"\n', "server.timeout", "not a duration"),
    ("[server]\nconcurrency = 0\n", "server.concurrency", "whole number"),
    ('[server]\nconcurrency = "10"\n', "server.concurrency", "whole number"),
    ('[server]\ndatabase = ""\n', "server.database", "path"),
    ("[server]\nnodes = []\n", "server.nodes", "unknown key"),
    ('[server]\ngroups = "Gandi"\n', "server.groups", "tables of nodes"),
    ("[server.groups.Gandi]\n", "server.groups.Gandi", "one node at least"),
    ('[server.groups."bad\\tname"]\na = "h"\n', "server.groups.bad", "printable"),
    ('[server.groups."' + "g" * 65 + '"]\na = "h"\n', "server.groups.ggg", "64"),
    ('[server.groups.G]\n"web 1" = "h"\n', "server.groups.G.web 1", "node name"),
    ('[server.groups.G]\n"w\\u001b[2J" = "h"\n', "server.groups.G.w?[2J", "node name"),
    ("[server.groups.G]\nweb1 = 4949\n", "server.groups.G.web1", "host[:port]"),
    ('[server.groups.G]\nweb1 = "h:99999"\n', "server.groups.G.web1", "1–65535"),
    ('[server.groups.G]\nweb1 = "h i"\n', "server.groups.G.web1", "not a host name"),
    (
        '[server.groups.A]\nweb1 = "h1"\n[server.groups.B]\nWEB1 = "h2"\n',
        "server.groups.B.WEB1",
        "unique across groups",
    ),
    (
        '[server.groups.A]\nweb1 = "h1"\nweb2 = "H1:4949"\n',
        "server.groups.A.web2",
        "already polled",
    ),
    ('[server.retention]\nsamples = "1d"\n', "server.retention.samples", "2d"),
    ('[server.retention]\nhourly = "100d"\n', "server.retention.hourly", "at least as long"),
    ('[server.retention]\nsamples = "0"\nhourly = "5y"\n', "server.retention.hourly", "forever"),
    ('[server.retention]\nweekly = "1y"\n', "server.retention.weekly", "unknown key"),
    ('[server.alerts]\nlanguage = "de"\n', "server.alerts.language", '"fr" or "en"'),
    ("[server.alerts]\nhysteresis = 0.6\n", "server.alerts.hysteresis", "0 to 0.5"),
    ('[server.alerts]\nfor = "2d"\n', "server.alerts.for", "1d"),
    ('[server.alerts]\nrepeat = "1m"\n', "server.alerts.repeat", "0 or 5m"),
    ("[server.alerts]\ndisk_full_days = -1\n", "server.alerts.disk_full_days", "0 to 3650"),
    ('[server.alerts]\ndisk_full_window = "1m"\n', "server.alerts.disk_full_window", "1h"),
    ('[server.alerts]\nrules = { match = "*" }\n', "server.alerts.rules", "array of tables"),
    ('[[server.alerts.rules]]\nwarning = "9"\n', "server.alerts.rules[0].match", "pattern"),
    (
        '[[server.alerts.rules]]\nmatch = "a/b/c/d"\nwarning = "9"\n',
        "server.alerts.rules[0].match",
        "host/graph/field",
    ),
    ('[[server.alerts.rules]]\nmatch = "*"\n', "server.alerts.rules[0]", "changes nothing"),
    (
        '[[server.alerts.rules]]\nmatch = "*"\nwarning = "abc"\n',
        "server.alerts.rules[0].warning",
        "0:0",
    ),
    (
        '[[server.alerts.rules]]\nmatch = "*"\ncritical = "95:5"\n',
        "server.alerts.rules[0].critical",
        "minimum is above",
    ),
    (
        '[[server.alerts.rules]]\nmatch = "*"\nwarning = 90\n',
        "server.alerts.rules[0].warning",
        "text",
    ),
    (
        '[[server.alerts.rules]]\nmatch = "*"\nenabled = "no"\n',
        "server.alerts.rules[0].enabled",
        "true or false",
    ),
    (
        '[[server.alerts.rules]]\nmatch = "*"\nseverity = "x"\n',
        "server.alerts.rules[0].severity",
        "unknown key",
    ),
    ("[server.incident]\nfraction = 0\n", "server.incident.fraction", "every round"),
    ("[server.incident]\nfraction = 1.5\n", "server.incident.fraction", "0 to 1"),
    ("[server.incident]\nmin_hosts = 1\n", "server.incident.min_hosts", "2 to"),
    ("[server.incident]\nsteal = 101\n", "server.incident.steal", "0 to 100"),
    ('[server.mail]\nto = ["a@example.org"]\n', "server.mail.from", "missing"),
    ('[server.mail]\nfrom = "r@example.org"\n', "server.mail.to", "non-empty list"),
    (
        '[server.mail]\nfrom = "r@example.org"\nto = ["a@example.org\\nBcc: x@evil.org"]\n',
        "server.mail.to",
        "plain e-mail address",
    ),
    (
        '[server.mail]\nfrom = "r@example.org"\nto = ["Admins <a@example.org>"]\n',
        "server.mail.to",
        "plain e-mail address",
    ),
    ('[server.mail]\nfrom = "nobody"\nto = ["a@example.org"]\n', "server.mail.from", "name@"),
    (
        '[server.mail]\nfrom = "r@e.org"\nto = ["a@e.org"]\nsecurity = "ssl"\n',
        "server.mail.security",
        "starttls",
    ),
    (
        '[server.mail]\nfrom = "r@e.org"\nto = ["a@e.org"]\nhost = "smtp e.org"\n',
        "server.mail.host",
        "host name",
    ),
    (
        '[server.mail]\nfrom = "r@e.org"\nto = ["a@e.org"]\nusername = "u"\nsecurity = "tls"\n',
        "server.mail.password",
        "both",
    ),
    (
        '[server.mail]\nfrom = "r@e.org"\nto = ["a@e.org"]\nusername = "u"\n'
        'password = "hunter2"\nsecurity = "tls"\n',
        "server.mail.password",
        "never the password itself",
    ),
    (
        '[server.mail]\nfrom = "r@e.org"\nto = ["a@e.org"]\nusername = "u"\n'
        'password = "env:SMTP_PASSWORD"\nhost = "smtp.e.org"\n',
        "server.mail.security",
        "in clear",
    ),
    ('[[server.webhooks]]\nurl = "https://e.org/h"\n', "server.webhooks[0].name", "webhook name"),
    (
        '[[server.webhooks]]\nname = "mail"\nurl = "https://e.org/h"\n',
        "server.webhooks[0].name",
        "not 'mail'",
    ),
    ('[[server.webhooks]]\nname = "w"\nurl = "ftp://e.org/h"\n', "server.webhooks[0].url", "http"),
    (
        '[[server.webhooks]]\nname = "w"\nurl = "https://e.org/a b"\n',
        "server.webhooks[0].url",
        "spaces",
    ),
    (
        '[[server.webhooks]]\nname = "w"\nurl = "https://e.org/h"\nformat = "teams"\n',
        "server.webhooks[0].format",
        "slack",
    ),
    (
        '[[server.webhooks]]\nname = "w"\nurl = "https://e.org/h"\ntimeout = "1h"\n',
        "server.webhooks[0].timeout",
        "5m",
    ),
    (
        '[[server.webhooks]]\nname = "w"\nurl = "https://a.org/"\n'
        '[[server.webhooks]]\nname = "w"\nurl = "https://b.org/"\n',
        "server.webhooks[1].name",
        "already declared",
    ),
    ('[server]\nwebhooks = { name = "w" }\n', "server.webhooks", "array of tables"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "key", "word"), ERRORS)
def test_errors_name_the_key_and_the_fix(text: str, key: str, word: str) -> None:
    err = _error(text)
    assert err.key == "config.invalid"
    assert err.params["key"].startswith(key), err.params
    assert err.params["fix"], err.params
    message = f"{err.params['problem']} {err.params['fix']}"
    assert word in message, message
    assert str(CONFIG) in str(err)
    assert "Fix:" in str(err)


def test_every_documented_key_is_accepted_and_in_the_full_example() -> None:
    tables = [t for t in KEYS if t == "server" or t.startswith("server.")]
    assert set(tables) == {
        "server",
        "server.groups.GROUP",
        "server.retention",
        "server.alerts",
        "server.alerts.rules[]",
        "server.incident",
        "server.mail",
        "server.webhooks[]",
        "server.web",
        "server.web.agents",
    }
    for table in tables:
        for spec in KEYS[table]:
            assert all((spec.help_en, spec.help_fr, spec.example)), spec
            if table not in ("server.groups.GROUP", "server.web.agents"):  # NAME = value
                assert re.search(rf"^{spec.name} = ", FULL, re.M), (table, spec.name)
                # each documented example is accepted where it belongs
                _server(_with_key(table, spec.name, spec.example))


def _with_key(table: str, name: str, example: str) -> str:
    minimal = {
        "server.alerts.rules[]": '[[server.alerts.rules]]\nmatch = "*"\nenabled = true\n',
        "server.mail": '[server.mail]\nfrom = "r@example.org"\nto = ["a@example.org"]\n'
        'host = "smtp.example.org"\nsecurity = "starttls"\n',
        "server.webhooks[]": '[[server.webhooks]]\nname = "w"\nurl = "https://e.org/h"\n',
    }
    head = minimal.get(table, f"[{table}]\n")
    lines = [line for line in head.splitlines() if not line.startswith(f"{name} = ")]
    extra = ""
    if table == "server.mail" and name in ("username", "password"):
        extra = 'username = "u"\npassword = "env:P"\n'
        return "\n".join(lines) + "\n" + extra
    return "\n".join(lines) + f"\n{name} = {example}\n"


def test_the_commented_example_of_the_default_configuration_is_valid() -> None:
    text = default_config_text()
    block = text[text.index("# [server]\n") : text.index("# Metrics:")]
    lines = [line[2:] for line in block.splitlines() if line.startswith("# ")]
    s = _server(text + "\n" + "\n".join(lines))
    assert [n.name for n in s.nodes] == ["web1", "mail", "vm3"]
    assert s.alerts.rules[0].match == "*/df/*"
    assert s.mail is not None
    assert s.webhooks[0].format == "slack"
    assert _server(text).nodes == ()  # commented out: no server by default


@pytest.mark.parametrize("page", ["docs/howto/server.md", "docs/howto/server.fr.md"])
def test_the_how_to_examples_parse(page: str) -> None:
    """Every ```toml block of the how-to is a valid configuration on its own."""
    text = (ROOT / page).read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, re.S)
    assert len(blocks) >= 3
    for block in blocks:
        _server(block)
