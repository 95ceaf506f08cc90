"""Graphs and series written as munin-node `config` and `fetch` bodies (pure)."""

from __future__ import annotations

import math
import re

from rempart.metrics.model import Field, Graph, Series

__all__ = ["config_lines", "fetch_lines", "format_number", "one_line"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


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
    return text if "e" not in text else f"{value:.12f}".rstrip("0").rstrip(".")


def _graph_lines(graph: Graph) -> list[str]:
    out = [f"graph_title {_label(graph.title)}"]
    pairs = (
        ("graph_args", graph.args),
        ("graph_vlabel", graph.vlabel),
        ("graph_category", graph.category),
        ("graph_info", graph.info),
        ("graph_period", graph.period),
        ("graph_total", graph.total),
    )
    out += [f"{key} {one_line(value)}" for key, value in pairs if one_line(value)]
    if graph.order:
        out.append("graph_order " + " ".join(graph.order))
    if not graph.scale:
        out.append("graph_scale no")
    return out


def _field_lines(field: Field) -> list[str]:
    n = field.name
    out = [f"{n}.label {_label(field.label)}"]
    if field.type != "GAUGE":
        out.append(f"{n}.type {field.type}")
    for attr, number in (("min", field.min), ("max", field.max)):
        if number is not None:
            out.append(f"{n}.{attr} {format_number(number)}")
    texts = (
        ("warning", field.warning),
        ("critical", field.critical),
        ("draw", field.draw),
        ("negative", field.negative),
        ("cdef", field.cdef),
        ("info", field.info),
    )
    out += [f"{n}.{attr} {one_line(value)}" for attr, value in texts if value]
    if not field.graph:
        out.append(f"{n}.graph no")
    return out


def config_lines(graph: Graph) -> list[str]:
    """The `config` body of ``graph`` (without the final ".")."""
    out = _graph_lines(graph)
    for field in graph.fields:
        out += _field_lines(field)
    return out


def fetch_lines(series: Series) -> list[str]:
    """The `fetch` body of ``series``: one ``field.value`` line per field of its graph."""
    return [
        f"{f.name}.value {format_number(series.values.get(f.name))}" for f in series.graph.fields
    ]
