"""Graphs and series written as munin-node `config` and `fetch` bodies (pure).

Checked against the bodies Debian's plugins print (``tests/fixtures/munin/transcripts``):
a :class:`Graph` built like Munin's ``load``, ``cpu``, ``df``, ``swap`` or ``if_eth0`` gives
the same lines. The order of the lines differs from some plugins (each plugin has its own);
the master does not care: it reads attributes by name, and a graph's fields in the order they
first appear (kept here). The order chosen here is the most common one:

- graph: ``graph_title``, ``graph_order``, ``graph_args``, ``graph_vlabel``, ``graph_scale``,
  ``graph_category``, ``graph_info``, ``graph_period``, ``graph_total``;
- field: ``label``, ``type`` (not for GAUGE, the default), ``draw``, ``min``, ``max``,
  ``graph``, ``negative``, ``cdef``, ``warning``, ``critical``, ``info``.

Values: ``U`` for unknown (None, NaN, infinite), never scientific notation (rrdtool refuses it;
the master converts it, losing digits), and integers for DERIVE and COUNTER fields (rrdtool
takes only integers there: the value is truncated).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from rempart.metrics.model import Field, Graph, Series

__all__ = ["config_lines", "fetch_lines", "format_number", "one_line"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_INTEGER_TYPES = ("DERIVE", "COUNTER")


def one_line(text: str) -> str:
    """``text`` safe for one protocol line: control characters become spaces, trimmed."""
    return _CONTROL.sub(" ", text).strip()


def _label(text: str) -> str:
    # Munin refuses labels holding '#' or '\'
    return one_line(text.replace("#", " ").replace("\\", "/")) or "-"


def format_number(value: float | None) -> str:
    """A value as Munin reads it: ``U`` for unknown, integers without a decimal point."""
    if value is None or math.isnan(value) or math.isinf(value):
        return "U"
    value = float(value)
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    if "e" not in text:
        return text
    return format(Decimal(text), "f")  # the shortest repr, written out: 1e-07 -> 0.0000001


def _graph_lines(graph: Graph) -> list[str]:
    pairs = (
        ("graph_title", _label(graph.title)),
        ("graph_order", " ".join(graph.order)),
        ("graph_args", graph.args),
        ("graph_vlabel", graph.vlabel),
        ("graph_scale", "" if graph.scale else "no"),
        ("graph_category", graph.category),
        ("graph_info", graph.info),
        ("graph_period", graph.period),
        ("graph_total", graph.total),
    )
    return [f"{key} {one_line(value)}" for key, value in pairs if one_line(value)]


def _field_lines(field: Field) -> list[str]:
    def number(value: float | None) -> str | None:
        return None if value is None else format_number(value)

    pairs = (
        ("label", _label(field.label)),
        ("type", None if field.type == "GAUGE" else field.type),
        ("draw", field.draw),
        ("min", number(field.min)),
        ("max", number(field.max)),
        ("graph", None if field.graph else "no"),
        ("negative", field.negative),
        ("cdef", field.cdef),
        ("warning", field.warning),
        ("critical", field.critical),
        ("info", field.info),
    )
    return [
        f"{field.name}.{attr} {one_line(value)}"
        for attr, value in pairs
        if value is not None and one_line(value)
    ]


def config_lines(graph: Graph) -> list[str]:
    """The `config` body of ``graph`` (without the final ".")."""
    out = _graph_lines(graph)
    for field in graph.fields:
        out += _field_lines(field)
    return out


def fetch_lines(series: Series) -> list[str]:
    """The `fetch` body of ``series``: one ``field.value`` line per field of its graph
    (DERIVE and COUNTER values truncated to integers)."""
    return [f"{f.name}.value {_value(f, series.values.get(f.name))}" for f in series.graph.fields]


def _value(field: Field, value: float | None) -> str:
    if value is not None and field.type in _INTEGER_TYPES and math.isfinite(value):
        value = float(math.trunc(value))
    return format_number(value)
