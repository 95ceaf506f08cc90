"""How one configuration key is documented (``KEYS`` in :mod:`rempart.config.schema`)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KeySpec"]


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One configuration key: its type, default, example and help."""

    name: str
    kind: str
    default: str
    help_en: str
    help_fr: str
    example: str = ""
