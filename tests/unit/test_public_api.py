"""Every module declares ``__all__`` and every name in it exists."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import rempart

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(rempart.__path__, "rempart.")
    if not m.name.endswith("__main__") and not m.ispkg
)


@pytest.mark.parametrize("name", MODULES)
def test_all_is_declared_and_exists(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    for item in exported:
        assert hasattr(module, item), f"{name}.__all__ names missing {item}"
