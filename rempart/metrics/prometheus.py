"""Collections written in Prometheus' text exposition format 0.0.4 (pure).

Naming: one metric family per graph, ``rempart_<graph>`` (the prefix is not doubled for the
``rempart_*`` graphs), one sample per field with the labels ``field`` (the Munin field
name) and ``label`` (the human name: a device, an interface, a jail). DERIVE and COUNTER
fields are counters (``…_total``: use ``rate()``), GAUGE and ABSOLUTE fields gauges; a graph
mixing both gives two families. Munin's cdef (bytes → bits, per day) is not applied: the raw
value is exported. Unknown values (Munin's ``U``) are left out.

Like node_exporter's ``node_scrape_collector_*``, every probe reports
``rempart_probe_duration_seconds`` and ``rempart_probe_success``. Extra samples (the
agent's own counters) are appended as given. A name or a series given twice is written once
(the first wins), so the output always parses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from rempart.metrics.model import Collection

__all__ = ["CONTENT_TYPE", "SampleLike", "escape_help", "escape_label", "metric_name", "render"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_BAD_NAME = re.compile(r"[^a-zA-Z0-9_:]")
_BAD_LABEL = re.compile(r"[^a-zA-Z0-9_]")


class SampleLike(Protocol):
    """One ready sample (``rempart.services.agent_metrics.Sample`` is one)."""

    @property
    def name(self) -> str: ...

    @property
    def labels(self) -> tuple[tuple[str, str], ...]: ...

    @property
    def value(self) -> float: ...

    @property
    def help(self) -> str: ...


def metric_name(text: str) -> str:
    """``text`` as a valid metric name (``[a-zA-Z_:][a-zA-Z0-9_:]*``)."""
    name = _BAD_NAME.sub("_", text) or "_"
    return name if not name[0].isdigit() else "_" + name


def _label_name(text: str) -> str:
    name = _BAD_LABEL.sub("_", text) or "_"
    return name if not name[0].isdigit() else "_" + name


def escape_label(value: str) -> str:
    """A label value escaped for the text format (backslash, double quote, line feed)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    """A HELP text escaped for the text format (backslash, line feed)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)


@dataclass(slots=True)
class _Family:
    name: str
    kind: str  # "counter" | "gauge"
    help: str
    samples: dict[str, float] = field(default_factory=dict)  # rendered labels -> value


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    inside = ",".join(f'{_label_name(k)}="{escape_label(v)}"' for k, v in pairs)
    return "{" + inside + "}" if inside else ""


class _Writer:
    def __init__(self) -> None:
        self.families: dict[str, _Family] = {}

    def add(
        self, name: str, kind: str, help_text: str, labels: Iterable[tuple[str, str]], value: float
    ) -> None:
        name = metric_name(name)
        family = self.families.get(name)
        if family is None:
            family = self.families[name] = _Family(name, kind, help_text)
        elif family.kind != kind:
            return  # a name given with two types: keep the first
        family.samples.setdefault(_labels(labels), value)

    def text(self) -> str:
        out = []
        for f in self.families.values():
            out.append(f"# HELP {f.name} {escape_help(' '.join(f.help.split()) or f.name)}\n")
            out.append(f"# TYPE {f.name} {f.kind}\n")
            out += [f"{f.name}{labels} {_number(v)}\n" for labels, v in f.samples.items()]
        return "".join(out)


def _family_name(graph: str, counter: bool) -> str:
    base = graph if graph.startswith("rempart_") else f"rempart_{graph}"
    return base + "_total" if counter else base


def _collection(writer: _Writer, collection: Collection) -> None:
    for series in collection.series:
        graph = series.graph
        help_text = graph.title + (f" ({graph.vlabel})" if graph.vlabel else "")
        for f in graph.fields:
            value = series.values.get(f.name)
            if value is None or math.isnan(value):
                continue
            counter = f.type in ("DERIVE", "COUNTER")
            writer.add(
                _family_name(graph.name, counter),
                "counter" if counter else "gauge",
                help_text,
                (("field", f.name), ("label", f.label)),
                value,
            )


def render(collections: Sequence[Collection], *, extra: Iterable[SampleLike] = ()) -> str:
    """The text exposition of ``collections`` and ``extra`` (see the module documentation)."""
    writer = _Writer()
    for collection in collections:
        _collection(writer, collection)
    for sample in extra:
        kind = "counter" if sample.name.endswith("_total") else "gauge"
        writer.add(sample.name, kind, sample.help, sample.labels, sample.value)
    for c in collections:
        probe = (("probe", c.probe),)
        writer.add(
            "rempart_probe_duration_seconds",
            "gauge",
            "Seconds the probe's last collection took",
            probe,
            c.duration,
        )
        writer.add(
            "rempart_probe_success",
            "gauge",
            "1 when the probe's last collection worked",
            probe,
            1.0 if c.ok else 0.0,
        )
    return writer.text()
