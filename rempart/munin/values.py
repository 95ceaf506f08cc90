"""What a munin-node backend answers: the plugins it has and the output of one plugin run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Outcome", "PluginInfo", "PluginOutput"]

Outcome = Literal["ok", "unknown", "bad exit", "timed out"]


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """One plugin as `list` knows it."""

    name: str
    multigraph: bool = False  # listed only to masters that sent `cap multigraph`
    dirty: bool = False  # prints values in `config` even without dirtyconfig ("very dirty")
    node: str = ""  # host_name of a virtual node; "" = this node


@dataclass(frozen=True, slots=True)
class PluginOutput:
    """The answer to `config` or `fetch`: body lines (without the final ".") or a failure."""

    outcome: Outcome
    lines: tuple[str, ...] = ()
