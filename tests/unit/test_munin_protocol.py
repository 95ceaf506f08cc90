"""The munin-node protocol, pure: parsing as munin-node 2.0.73 does, and the reply texts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.munin.protocol import (
    MAX_LINE,
    Command,
    Session,
    announced_version,
    banner,
    cap_reply,
    list_reply,
    nodes_reply,
    output_reply,
    parse_command,
    unknown_reply,
    version_reply,
    visible_plugins,
)
from rempart.munin.values import PluginInfo, PluginOutput


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("list", Command("list")),
        ("LIST", Command("list")),
        ("list vm", Command("list", "vm")),
        ("list VM.Example\r", Command("list", "vm.example")),
        ("list   vm", Command("list", "vm")),
        ("list vm_x", Command("list", "vm")),  # munin-node's pattern stops at "_"
        ("listen", Command("list", "en")),  # ... and needs no blank
        ("list_x", Command("list")),
        (
            "cap multigraph dirtyconfig",
            Command("cap", caps=frozenset({"multigraph", "dirtyconfig"})),
        ),
        ("cap multigraph\r", Command("cap", caps=frozenset({"multigraph"}))),
        ("CAP  multigraph", Command("cap", caps=frozenset({"multigraph"}))),
        (
            "cap multigraph\tdirtyconfig",
            Command("cap", caps=frozenset({"multigraph\tdirtyconfig"})),
        ),
        ("cap", Command("cap")),
        ("quit", Command("quit")),
        ("QUIT now", Command("quit")),
        (".", Command("quit")),
        (".anything", Command("quit")),
        ("version", Command("version")),
        ("Version please", Command("version")),
        ("nodes", Command("nodes")),
        ("fetch load", Command("fetch", "load")),
        ("FETCH load\r", Command("fetch", "load")),
        ("fetch load extra", Command("fetch", "load")),
        ("fetch\tload", Command("fetch", "load")),
        ("fetch  load", Command("fetch", "")),  # two blanks: munin-node asks for ""
        ("fetchload", Command("fetch", "load")),
        ("fetch", Command("fetch", "")),
        ("config if_eth0", Command("config", "if_eth0")),
        ("Config cpu", Command("config", "cpu")),
        ("help", Command("unknown")),
        ("", Command("unknown")),
        ("\r", Command("unknown")),
        (" list", Command("unknown")),
        ("spoolfetch 0", Command("unknown")),
        ("starttls", Command("unknown")),
    ],
)
def test_commands_parse_as_munin_node_reads_them(line: str, expected: Command) -> None:
    assert parse_command(line) == expected


def test_a_line_over_the_limit_is_too_long() -> None:
    assert parse_command("x" * (MAX_LINE + 1)).name == "too long"
    assert parse_command("fetch " + "a" * 10, limit=8).name == "too long"
    assert parse_command("fetch load", limit=10) == Command("fetch", "load")


@given(st.text(max_size=300))
def test_any_text_parses_to_a_command(line: str) -> None:
    command = parse_command(line)
    assert command.name in {"cap", "list", "nodes", "config", "fetch", "version", "quit", "unknown"}
    assert "\n" not in command.argument or command.name == "cap"
    if command.name in ("config", "fetch"):
        assert not any(c.isspace() for c in command.argument if c.isascii())


def test_fixed_texts() -> None:
    assert banner("vm") == "# munin node at vm\n"
    assert cap_reply() == "cap multigraph dirtyconfig\n"
    assert version_reply("vm", "2.0.73") == "munins node on vm version: 2.0.73\n"
    assert announced_version("0.1.0") == "2.0 (rempart 0.1.0)"
    assert unknown_reply() == (
        "# Unknown command. Try cap, list, nodes, config, fetch, version or quit\n"
    )


def test_the_session_records_caps_and_always_answers_its_own() -> None:
    session = Session()
    assert not session.multigraph
    assert session.announce({"multigraph"}) == "cap multigraph dirtyconfig\n"
    assert session.multigraph
    assert not session.dirtyconfig
    session.announce({"dirtyconfig", "spool"})
    assert session.dirtyconfig
    assert not session.multigraph


PLUGINS = (
    PluginInfo("cpu"),
    PluginInfo("diskstats", multigraph=True),
    PluginInfo("dirty", dirty=True),
    PluginInfo("load"),
    PluginInfo("cpu"),  # a duplicate name: the first wins
    PluginInfo("sympa", node="virtual-sympa.example"),
)


def test_list_hides_what_the_master_did_not_announce() -> None:
    none, multigraph, both = Session(), Session(frozenset({"multigraph"})), Session()
    both.announce(["multigraph", "dirtyconfig"])
    assert visible_plugins(PLUGINS, none, node="", host="vm") == ["cpu", "load"]
    assert visible_plugins(PLUGINS, multigraph, node="", host="vm") == ["cpu", "diskstats", "load"]
    assert list_reply(PLUGINS, both, node="", host="vm") == "cpu diskstats dirty load\n"
    assert list_reply(PLUGINS, both, node="vm", host="vm") == "cpu diskstats dirty load\n"
    assert list_reply(PLUGINS, both, node="virtual-sympa.example", host="vm") == "sympa\n"
    assert list_reply(PLUGINS, both, node="other.example", host="vm") == "\n"
    assert list_reply(PLUGINS, both, node="vm", host="VM") == "cpu diskstats dirty load\n"


def test_nodes_this_node_first_then_virtual_ones() -> None:
    assert nodes_reply(PLUGINS, host="vm") == "vm\nvirtual-sympa.example\n.\n"
    assert nodes_reply((), host="vm") == "vm\n.\n"


@pytest.mark.parametrize(
    ("output", "text"),
    [
        (PluginOutput("ok", ("load.value 1.14",)), "load.value 1.14\n.\n"),
        (PluginOutput("ok", ()), ".\n"),
        (PluginOutput("unknown"), "# Unknown service\n.\n"),
        (PluginOutput("bad exit", ("ignored",)), "# Bad exit\n.\n"),
        (PluginOutput("timed out"), "# Timed out\n.\n"),
        # a lone "." would end the reply early; an embedded LF would add a line
        (
            PluginOutput("ok", ("a.value 1", ".", "b.value 2\nc.value 3\r")),
            "a.value 1\nb.value 2\nc.value 3\n.\n",
        ),
    ],
)
def test_output_replies(output: PluginOutput, text: str) -> None:
    assert output_reply(output) == text


@given(st.lists(st.text(max_size=40), max_size=10))
def test_an_ok_reply_always_ends_once_with_a_dot_line(lines: list[str]) -> None:
    reply = output_reply(PluginOutput("ok", tuple(lines)))
    assert reply.endswith(".\n")
    assert reply.split("\n").count(".") == 1
    assert "\r" not in reply
