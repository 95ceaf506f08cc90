"""Fixtures of the end-to-end tests: a real sshd attacked across two namespaces."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.sshd import SshdLab, sshd_lab


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[SshdLab]:
    """A fresh lab per test (about 0.3 s to build); everything removed afterwards."""
    with sshd_lab(tmp_path / "lab") as running:
        yield running
