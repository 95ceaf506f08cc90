"""plugin-conf.d parsing and per-plugin settings, checked against munin-node 2.0's rules
(Munin::Node::Config parse_plugin_config / apply_wildcards, Service is_a_runnable_service)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.munin.plugin_conf import (
    DEFAULT_IGNORE,
    ConfProblem,
    PluginConf,
    PluginSettings,
    is_conf_file_name,
    is_runnable_name,
    parse_plugin_conf,
    settings_for,
)

DEBIAN = """\
# This file is used to configure how the plugins are invoked.
[apt]
user root

[df*]
env.warning 92
env.critical 98
env.exclude_re ^/run/user

[exim_mailqueue]
group adm, (Debian-exim)

[if_*]
user root

[if_err_*]
user nobody

[mysql*]
user root
env.mysqlopts --defaults-file=/etc/mysql/debian.cnf
"""


def conf(*texts: str) -> PluginConf:
    return parse_plugin_conf((f"/etc/munin/plugin-conf.d/f{i}", t) for i, t in enumerate(texts))


def test_debian_file_parses_cleanly() -> None:
    parsed = conf(DEBIAN)
    assert parsed.problems == ()
    assert settings_for("apt", parsed).user == "root"
    assert settings_for("exim_mailqueue", parsed).groups == ("adm", "(Debian-exim)")
    assert dict(settings_for("df_inode", parsed).env) == {
        "warning": "92",
        "critical": "98",
        "exclude_re": "^/run/user",
    }
    assert settings_for("load", parsed) == PluginSettings()


def test_more_specific_wildcard_wins() -> None:
    parsed = conf(DEBIAN)
    assert settings_for("if_eth0", parsed).user == "root"
    assert settings_for("if_err_eth0", parsed).user == "nobody"  # [if_err_*] sorts after [if_*]


def test_own_section_beats_wildcards_key_by_key() -> None:
    parsed = conf(DEBIAN, "[df]\nenv.warning 90\ntimeout 30\n[*_eth0]\nenv.speed 1000\n")
    df = settings_for("df", parsed)
    assert df.env["warning"] == "90"
    assert df.env["critical"] == "98"  # filled in by [df*]
    assert df.timeout == 30.0
    assert settings_for("if_eth0", parsed).env == {"speed": "1000"}
    assert settings_for("if_eth1", parsed).env == {}


def test_later_file_overrides_earlier_per_key() -> None:
    parsed = conf("[x]\nuser a\nenv.A 1\nenv.B 2\n", "[x]\nuser b\nenv.B 3\n")
    x = settings_for("x", parsed)
    assert x.user == "b"
    assert dict(x.env) == {"A": "1", "B": "3"}


def test_comments_escapes_and_blanks() -> None:
    parsed = conf("  [ x ]  \n\n  env.A  a \\# b # comment \r\ncommand  %c  --opt 'two words'\n")
    assert parsed.problems == ()
    x = settings_for(" x ", parsed)
    assert x.env == {"A": "a # b"}
    assert x.command == ("%c", "--opt", "two words")


def test_timeout_zero_means_default_and_host_name() -> None:
    parsed = conf("[a]\ntimeout 0\nhost_name virtual.example\n[b]\ntimeout 2.5\n")
    assert settings_for("a", parsed).timeout is None
    assert settings_for("a", parsed).host_name == "virtual.example"
    assert settings_for("b", parsed).timeout == 2.5


def test_errors_name_file_and_line_and_stop_that_file_only() -> None:
    parsed = conf("[a]\nuser x\nbogus value\nuser y\n", "[b]\nuser z\n")
    assert parsed.problems == (
        ConfProblem(
            "/etc/munin/plugin-conf.d/f0",
            3,
            "failed to parse line: bogus value. Should it have been 'env.bogus value'?",
        ),
    )
    assert str(parsed.problems[0]).startswith("/etc/munin/plugin-conf.d/f0:3: ")
    assert settings_for("a", parsed).user == "x"  # what came before the error stays
    assert settings_for("b", parsed).user == "z"


def test_munin_errors() -> None:
    cases = {
        "user root\n": "clutter before section start",
        "[a]\nenv FOO=bar\n": "deprecated format: 'env FOO=bar' should be 'env.FOO bar'",
        "[a]\nuser\n": "line is not well formed (user)",
        "[a]\ntimeout soon\n": "timeout must be a number",
        "[a]\ntimeout -1\n": "timeout must be between",
        "[a]\ncommand 'unclosed\n": "command cannot be split",
        "[a]\nenv. x\n": "env. needs a variable name",
        "[a]\nenv.X a\0b\n": "NUL",
    }
    for text, reason in cases.items():
        (problem,) = conf(text).problems
        assert reason in problem.reason, (text, problem)


def test_wildcard_text_is_a_regex_as_in_munin_or_literal_when_invalid() -> None:
    parsed = conf("[foo.bar*]\nuser a\n[(x*]\nuser b\n[*.baz]\nuser c\n")
    assert settings_for("fooXbar", parsed).user == "a"  # "." is a regex dot, as in Munin
    assert settings_for("(xy", parsed).user == "b"  # "^(x" is no regex: literal prefix
    assert settings_for("a_baz", parsed).user == "c"


def test_runnable_names() -> None:
    for good in ("load", "if_eth0", "snmp__host_if_1", "a-b@c.d:e"):
        assert is_runnable_name(good), good
    for bad in (
        ".hidden",
        "x.conf",
        "foo.dpkg-old",
        "foo.dpkg-new",
        "bar~",
        "baz#",
        "DEADJOE",
        "a.bak",
        "b%",
        "c.rpmsave",
        "d.pod",
        "sp ace",
        "new\nline",
        "",
        "été",
    ):
        assert not is_runnable_name(bad), bad
    assert is_runnable_name("foo.dpkg-old", ignore=())
    assert is_conf_file_name("munin-node")
    assert not is_conf_file_name(".x")
    assert not is_conf_file_name("foo.dpkg-dist")
    assert not is_conf_file_name("a@b")
    assert len(DEFAULT_IGNORE) == 7


_LINE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["[x]", "[if_*]", "[*_a]", "[*]", "[**]", "user u", "env.A b", "timeout 1"]),
    st.builds(
        lambda k, v: f"{k} {v}",
        st.sampled_from(["user", "group", "command", "env.X"]),
        st.text(max_size=20),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_LINE, max_size=12).map("\n".join), max_size=3), st.text(max_size=12))
def test_never_crashes_on_garbage(texts: list[str], name: str) -> None:
    parsed = conf(*texts)
    for problem in parsed.problems:
        assert problem.line >= 1
        assert problem.file.startswith("/etc/munin")
    result = settings_for(name, parsed)
    assert isinstance(result, PluginSettings)
    assert all("\0" not in k + v and k for k, v in result.env.items())
    assert result.timeout is None or result.timeout > 0


@given(st.text(max_size=30))
def test_runnable_name_never_crashes(name: str) -> None:
    assert isinstance(is_runnable_name(name), bool)
    assert isinstance(is_conf_file_name(name), bool)
