"""What a probe returns: graphs (as Munin describes them) and the values of one collection.

A :class:`Graph` is one Munin "plugin" as the munin-node protocol lists it (its name is what
``list`` shows and what ``config``/``fetch`` take); its :class:`Field` s carry Munin's
attributes. A :class:`Series` is one graph with the values of one collection; a
:class:`Collection` is everything one probe returned at one time, with its cost and error.

Field names are already clean (``[A-Za-z_][A-Za-z0-9_]*``, never ``root``): build them with
:func:`rempart.munin.names.clean_fieldname` from whatever the entity is called (a device, a
container), and keep the real name in the label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

__all__ = ["Collection", "Field", "FieldType", "Graph", "Series"]

FieldType = Literal["GAUGE", "DERIVE", "COUNTER", "ABSOLUTE"]


@dataclass(frozen=True, slots=True)
class Field:
    """One data source of a graph, with Munin's field attributes."""

    name: str
    label: str
    type: FieldType = "GAUGE"
    min: float | None = None
    max: float | None = None
    warning: str | None = None  # Munin range text: "min:max", ":max", "min:", "max"
    critical: str | None = None
    draw: str | None = None  # LINE1, AREA, STACK, AREASTACK...
    negative: str | None = None  # name of the field drawn below the axis (in/out graphs)
    graph: bool = True  # False: stored, not drawn (".graph no")
    cdef: str | None = None  # RPN, e.g. "down,8,*"
    info: str | None = None
    unit: str = ""  # for other formats (Prometheus): "bytes", "seconds", "percent", "" ...


@dataclass(frozen=True, slots=True)
class Graph:
    """One graph: a Munin plugin name, its global attributes and its fields."""

    name: str  # what `list` shows; [a-z0-9_] for built-in probes
    title: str
    category: str  # system, disk, network, processes, postfix, sympa, mariadb, containers...
    fields: tuple[Field, ...]
    vlabel: str = ""
    args: str = ""  # graph_args, e.g. "--base 1000 -l 0"
    period: str = ""  # graph_period: "" (second), "minute" or "hour"
    info: str = ""
    order: tuple[str, ...] = ()  # graph_order when it differs from the fields' order
    total: str = ""  # graph_total label, "" for none
    scale: bool = True  # graph_scale

    def field(self, name: str) -> Field | None:
        """The field called ``name``, or None."""
        for f in self.fields:
            if f.name == name:
                return f
        return None


@dataclass(frozen=True, slots=True)
class Series:
    """One graph and its values from one collection (None is Munin's ``U``: unknown)."""

    graph: Graph
    values: Mapping[str, float | None] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Collection:
    """What one probe returned at one time: series, when, how long, and why it failed."""

    probe: str
    series: tuple[Series, ...]
    at: float  # wall time (epoch seconds) when the collection started
    duration: float  # seconds spent collecting
    error: str = ""  # "" when it worked; one printable line saying why not otherwise

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def has_data(self) -> bool:
        """True when at least one value is known."""
        return any(v is not None for s in self.series for v in s.values.values())
