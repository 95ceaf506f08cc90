"""The munin-node protocol seen from the master's side, pure: what a node's replies mean.

A node's text is not trusted: every function here takes whatever lines came and never raises
on them; what cannot be read is left out (a field without a name, a value that is no number),
bounded (:data:`MAX_GRAPHS`, :data:`MAX_FIELDS`, :data:`MAX_TEXT`) and kept printable.
It follows Debian's munin master 2.0.73 (``Munin::Master::Node``, note §1):

- the banner is ``# munin node at NAME`` (``lrrd``/``client`` accepted as the master does);
- ``cap`` answers one line ``cap multigraph dirtyconfig``; ``list`` one line of names;
- ``config``/``fetch`` bodies end with a ``.`` line (the caller removes it); a body of one
  ``# Unknown service`` / ``# Bad exit`` / ``# Timed out`` line is a failure
  (:func:`failure`); other ``#`` lines and blank lines are skipped;
- ``multigraph NAME`` starts a new graph (names ``^[-\\w.:]+$``, not ``multigraph``, no
  leading/trailing dot, no ``..``); before any, the graph is the plugin itself;
- field names are cleaned as the master does (:func:`rempart.munin.names.clean_fieldname`);
- ``field.value N``, ``field.value U`` (unknown) or back-dated ``field.value EPOCH:N``; under
  ``dirtyconfig`` values may come inside ``config`` (then the master does not ``fetch``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from rempart.metrics.model import Field, FieldType, Graph
from rempart.munin.names import clean_fieldname

__all__ = [
    "FAILURES",
    "MAX_FIELDS",
    "MAX_GRAPHS",
    "MAX_PLUGINS",
    "MAX_TEXT",
    "PluginReply",
    "ValueKey",
    "failure",
    "parse_banner",
    "parse_cap",
    "parse_config",
    "parse_fetch",
    "parse_list",
    "parse_number",
    "parse_version",
    "plain",
]

MAX_PLUGINS = 1000  # plugins of one node taken from `list`
MAX_GRAPHS = 500  # graphs of one plugin (meminfo makes 27)
MAX_FIELDS = 500  # fields of one graph
MAX_TEXT = 1000  # characters kept of one attribute's text (graph_info of if_ is ~600)
FAILURES = ("# Unknown service", "# Bad exit", "# Timed out")

#: (graph, field) of one value
ValueKey = tuple[str, str]

_BANNER = re.compile(r"#.*(?:lrrd|munin) (?:client|node) at (\S+)", re.IGNORECASE)
_PLUGIN = re.compile(r"[-\w.:@]{1,200}", re.ASCII)
_GRAPH = re.compile(r"[-\w.:]{1,200}", re.ASCII)
_INTEGER = re.compile(r"[-+]?[0-9]{1,25}", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_TYPES: tuple[FieldType, ...] = ("GAUGE", "DERIVE", "COUNTER", "ABSOLUTE")
_PERIODS = ("second", "minute", "hour")


def plain(text: str, limit: int = MAX_TEXT) -> str:
    """Node-controlled ``text`` as one printable line of at most ``limit`` characters."""
    return _CONTROL.sub(" ", text[: limit * 2]).strip()[:limit]


def parse_banner(line: str) -> str | None:
    """The node name a banner line announces, or None when it is no munin banner."""
    m = _BANNER.match(line)
    return plain(m.group(1), 255) if m else None


def parse_cap(line: str) -> frozenset[str]:
    """The capabilities of a ``cap`` answer (empty when the node does not know ``cap``)."""
    words = line.split()
    if not words or words[0] != "cap":
        return frozenset()
    return frozenset(plain(w, 50) for w in words[1:50])


def parse_list(line: str) -> tuple[str, ...]:
    """The plugin names of a ``list`` answer: valid names only, each once, at most
    :data:`MAX_PLUGINS`, in the node's order."""
    if line.startswith("#"):
        return ()
    seen: dict[str, None] = {}
    for word in line.split():
        if _PLUGIN.fullmatch(word) and not word.startswith("."):
            seen.setdefault(word, None)
            if len(seen) >= MAX_PLUGINS:
                break
    return tuple(seen)


def parse_version(line: str) -> str:
    """What follows ``version:`` in a ``version`` answer ("" when none)."""
    _, sep, rest = line.partition("version:")
    return plain(rest, 100) if sep else ""


def failure(lines: Iterable[str]) -> str | None:
    """The failure a ``config``/``fetch`` body reports (``# Bad exit``…), or None."""
    body = [line.strip() for line in lines if line.strip()]
    return body[0] if len(body) == 1 and body[0] in FAILURES else None


def parse_number(text: str) -> float | None:
    """A value as the master reads it: ``U`` (or anything not a finite number) is None;
    a back-dated ``EPOCH:N`` gives N."""
    text = text.strip().rsplit(":", 1)[-1]
    if not text or text == "U" or len(text) > 64:
        return None
    if _INTEGER.fullmatch(text):  # exact: a 64-bit counter does not fit a float's 53 bits
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _graph_name(text: str) -> str | None:
    name = text.strip()
    bad = name == "multigraph" or name.startswith(".") or name.endswith(".") or ".." in name
    return None if bad or not _GRAPH.fullmatch(name) else name


@dataclass(frozen=True, slots=True)
class PluginReply:
    """What one plugin's ``config`` (and ``fetch``) said: its graphs and values."""

    graphs: tuple[Graph, ...] = ()
    values: Mapping[ValueKey, float | None] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(slots=True)
class _GraphDraft:
    name: str
    attrs: dict[str, str] = field(default_factory=dict)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)


def _sections(plugin: str, lines: Iterable[str]) -> Iterable[tuple[str | None, str]]:
    """(graph, line) for every meaningful line; graph None after an invalid multigraph
    name (its lines are dropped, as the master drops them)."""
    graph: str | None = plugin
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("multigraph "):
            graph = _graph_name(line[len("multigraph ") :])
            continue
        yield graph, line


def _split(line: str) -> tuple[str, str, str]:
    """``field.attr value`` → (field, attr, value); ``graph_x value`` → ("", graph_x, value)."""
    key, _, value = line.partition(" ")
    if key.startswith("graph_") or "." not in key:
        return "", key, value.strip()
    name, _, attr = key.rpartition(".")
    return name, attr, value.strip()


def parse_config(plugin: str, lines: Iterable[str]) -> PluginReply:
    """A ``config`` body (without its ``.``) → graphs, plus the values a dirty config held."""
    drafts: dict[str, _GraphDraft] = {}
    values: dict[ValueKey, float | None] = {}
    for graph, line in _sections(plugin, lines):
        if graph is None:
            continue
        draft = drafts.get(graph)
        if draft is None:
            if len(drafts) >= MAX_GRAPHS:
                continue
            draft = drafts[graph] = _GraphDraft(graph)
        name, attr, value = _split(line)
        if not name:
            if attr.startswith("graph_"):
                draft.attrs[attr] = value
            continue
        fieldname = clean_fieldname(name)
        if attr == "value":
            values[(graph, fieldname)] = parse_number(value)
            continue
        if fieldname not in draft.fields and len(draft.fields) >= MAX_FIELDS:
            continue
        draft.fields.setdefault(fieldname, {})[attr] = value
    graphs = tuple(g for g in (_graph(d, plugin) for d in drafts.values()) if g.fields)
    known = {(g.name, f.name) for g in graphs for f in g.fields}
    kept = {k: v for k, v in values.items() if k in known}
    return PluginReply(graphs, MappingProxyType(kept))


def parse_fetch(plugin: str, lines: Iterable[str]) -> dict[ValueKey, float | None]:
    """A ``fetch`` body (without its ``.``) → {(graph, field): value}."""
    values: dict[ValueKey, float | None] = {}
    for graph, line in _sections(plugin, lines):
        if graph is None:
            continue
        name, attr, value = _split(line)
        if name and attr == "value" and len(values) < MAX_GRAPHS * MAX_FIELDS:
            values[(graph, clean_fieldname(name))] = parse_number(value)
    return values


def _number(attrs: Mapping[str, str], key: str) -> float | None:
    text = attrs.get(key)
    return None if text is None else parse_number(text)


def _range(attrs: Mapping[str, str], key: str) -> str | None:
    text = attrs.get(key)
    return plain(text, 100) if text else None


def _field(name: str, attrs: Mapping[str, str]) -> Field:
    kind = attrs.get("type", "GAUGE").upper()
    return Field(
        name=name,
        label=plain(attrs.get("label", "")) or name,
        type=next((t for t in _TYPES if t == kind), "GAUGE"),
        min=_number(attrs, "min"),
        max=_number(attrs, "max"),
        warning=_range(attrs, "warning"),
        critical=_range(attrs, "critical"),
        draw=_range(attrs, "draw"),
        negative=(clean_fieldname(attrs["negative"]) if attrs.get("negative") else None),
        graph=attrs.get("graph", "yes").lower() != "no",
        cdef=_range(attrs, "cdef"),
        info=plain(attrs["info"]) if attrs.get("info") else None,
    )


def _graph(draft: _GraphDraft, plugin: str) -> Graph:
    a = draft.attrs
    period = a.get("graph_period", "").lower()
    order = tuple(clean_fieldname(w) for w in a.get("graph_order", "").split()[:MAX_FIELDS])
    return Graph(
        name=draft.name,
        title=plain(a.get("graph_title", "")) or draft.name,
        category=plain(a.get("graph_category", ""), 64).lower() or "other",
        fields=tuple(_field(n, attrs) for n, attrs in draft.fields.items()),
        vlabel=plain(a.get("graph_vlabel", "")),
        args=plain(a.get("graph_args", "")),
        period="" if period in ("", "second") or period not in _PERIODS else period,
        info=plain(a.get("graph_info", "")),
        order=order,
        total=plain(a.get("graph_total", ""), 100),
        scale=a.get("graph_scale", "yes").lower() != "no",
    )
