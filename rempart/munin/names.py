"""Munin's naming rules, as the master applies them (they decide the RRD file names).

``clean_fieldname`` is the master's ``_sanitise_fieldname`` (the ``plugin.sh`` variant): only
the *first* leading character is replaced when it is not a letter or ``_``, every other
character outside ``[A-Za-z0-9_]`` becomes ``_``, and ``root`` becomes ``__root``. So
``/dev/vda1`` gives ``_dev_vda1``, ``sshd-test`` gives ``sshd_test`` and ``12ab`` gives ``_2ab``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["clean_fieldname", "clean_plugin_name", "unique_fieldnames"]

_FIRST = re.compile(r"^[^A-Za-z_]")
_OTHER = re.compile(r"[^A-Za-z0-9_]")


def clean_fieldname(name: str) -> str:
    """The field name Munin's master would store for ``name`` (never empty)."""
    cleaned = _OTHER.sub("_", _FIRST.sub("_", name)) or "_"
    return "__root" if cleaned == "root" else cleaned


def clean_plugin_name(name: str) -> str:
    """A plugin (graph) name as the master makes it safe: ``s/[^_A-Za-z0-9]/_/g``."""
    return _OTHER.sub("_", name) or "_"


def unique_fieldnames(names: Iterable[str]) -> dict[str, str]:
    """Clean field names for ``names``, made unique: ``{original: field}``.

    Two entities that clean to the same field (``eth-0`` and ``eth_0``) get ``_2``, ``_3``...
    in the order given, so a graph never has two fields with one name.
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        if name in out:
            continue
        base = clean_fieldname(name)
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        out[name] = candidate
    return out
