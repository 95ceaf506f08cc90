"""rempart — watch and protect the servers of a small hosting association.

The package is layered (see docs/explanation/architecture.md):

- values: :mod:`rempart.model`, :mod:`rempart.errors`, :mod:`rempart.clock`,
  :mod:`rempart.addresses`, :mod:`rempart.i18n`
- pure logic: :mod:`rempart.guard` (matching, dates, windows, ban decisions)
- definitions: :mod:`rempart.rules` (filter files), :mod:`rempart.config` (TOML)
- I/O: :mod:`rempart.adapters` (log sources, …), :mod:`rempart.store` (SQLite)
- orchestration: :mod:`rempart.services`; command line: :mod:`rempart.cli`
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
