"""The master's side of the munin-node protocol: replies read from recorded bodies and
hostile text (rempart.munin.replies)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.munin import replies
from tests.integration.munin_transcripts import all_bodies


def _config(name: str) -> list[str]:
    return list(all_bodies().config[(name, True)].lines)


def _fetch(name: str) -> list[str]:
    return list(all_bodies().fetch[name].lines)


def test_banner_cap_list_version() -> None:
    assert replies.parse_banner("# munin node at vm") == "vm"
    assert replies.parse_banner("# lrrd client at old.example") == "old.example"
    assert replies.parse_banner("SSH-2.0-OpenSSH") is None
    assert replies.parse_banner("") is None
    assert replies.parse_cap("cap multigraph dirtyconfig") == {"multigraph", "dirtyconfig"}
    assert replies.parse_cap("# Unknown command. Try cap, list") == frozenset()
    assert replies.parse_list("cpu load if_eth0 cpu ../etc bad;name") == ("cpu", "load", "if_eth0")
    assert replies.parse_list("# Unknown command") == ()
    assert replies.parse_list(" ".join(f"p{i}" for i in range(5000))) == tuple(
        f"p{i}" for i in range(replies.MAX_PLUGINS)
    )
    assert replies.parse_version("munins node on vm version: 2.0.73") == "2.0.73"
    assert replies.parse_version("# Unknown command") == ""


def test_config_of_a_derive_plugin() -> None:
    reply = replies.parse_config("if_eth0", _config("if_eth0"))
    (graph,) = reply.graphs
    assert graph.name == "if_eth0"
    assert graph.title == "eth0 traffic"
    assert graph.category == "network"
    assert graph.order == ("down", "up")
    down, up = graph.fields
    assert (down.name, down.type, down.min, down.graph, down.cdef) == (
        "down",
        "DERIVE",
        0.0,
        False,
        "down,8,*",
    )
    assert (up.label, up.negative) == ("bps", "down")
    assert reply.values == {}
    assert replies.parse_fetch("if_eth0", _fetch("if_eth0")) == {
        ("if_eth0", "down"): 53820668.0,
        ("if_eth0", "up"): 108244.0,
    }


def test_multigraph_plugin_splits_into_graphs() -> None:
    reply = replies.parse_config("diskstats", _config("diskstats"))
    names = [g.name for g in reply.graphs]
    assert "diskstats_latency" in names
    assert "diskstats_latency.vda" in names
    assert len(names) == 8
    values = replies.parse_fetch("diskstats", _fetch("diskstats"))
    assert {g for g, _ in values} <= set(names)


def test_df_thresholds_and_cleaned_field_names() -> None:
    (graph,) = replies.parse_config("df", _config("df")).graphs
    vda = graph.field("_dev_vda")
    assert vda is not None
    assert vda.warning == "92"
    assert vda.critical == "98"


def test_dirty_config_carries_values() -> None:
    reply = replies.parse_config("zz_research_dirty", _config("zz_research_dirty"))
    assert reply.values  # the master skips fetch then
    assert all(v is None or isinstance(v, int | float) for v in reply.values.values())


def test_failures_and_values() -> None:
    assert replies.failure(["# Bad exit"]) == "# Bad exit"
    assert replies.failure(["# Timed out"]) == "# Timed out"
    assert replies.failure(["load.value 1"]) is None
    lines = [
        "a.value U",
        "b.value 1795253610:7",
        "c.value nan",
        "d.value 1e400",
        "e.value twelve",
        "f.value -3.5",
        "# a comment",
        "",
        "noattribute",
    ]
    assert replies.parse_fetch("p", lines) == {
        ("p", "a"): None,
        ("p", "b"): 7.0,
        ("p", "c"): None,
        ("p", "d"): None,
        ("p", "e"): None,
        ("p", "f"): -3.5,
    }


def test_hostile_config_is_bounded_and_plain() -> None:
    lines = [
        "graph_title <b>\x1b[31mred\x07 " + "x" * 50_000,
        "graph_category ÉVIL\x00",
        "multigraph ../../etc",
        "evil.label dropped under a bad multigraph name",
        "multigraph ok.child",
        "f-1.label one\x1b[2J",
        "f-1.type BOGUS",
        "f-1.min zero",
        "orphan.value 3",
        *(f"g{i}.label x" for i in range(replies.MAX_FIELDS + 50)),
    ]
    reply = replies.parse_config("p", lines)
    names = [g.name for g in reply.graphs]
    assert names == ["ok.child"]  # "p" had no field; the bad name's lines are dropped
    (graph,) = reply.graphs
    assert len(graph.fields) == replies.MAX_FIELDS
    f = graph.fields[0]
    assert (f.name, f.label, f.type, f.min) == ("f_1", "one [2J", "GAUGE", None)  # ESC gone
    assert graph.field("orphan") is None
    assert reply.values == {}
    bad = replies.parse_config("q", ["graph_title " + "y" * 50_000, "a.label \x1b\x07"])
    assert len(bad.graphs[0].title) == replies.MAX_TEXT
    assert bad.graphs[0].fields[0].label == "a"  # nothing printable left: the name


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=200), max_size=60))
def test_any_text_never_crashes(lines: list[str]) -> None:
    reply = replies.parse_config("plugin", lines)
    for graph in reply.graphs:
        assert graph.fields
        assert all(c.isprintable() for c in graph.title)
        for f in graph.fields:
            assert all(c.isprintable() for c in f.label)
    replies.parse_fetch("plugin", lines)
    for line in lines:
        replies.parse_banner(line)
        replies.parse_cap(line)
        replies.parse_list(line)
        replies.parse_version(line)
