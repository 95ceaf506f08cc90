"""Fixtures shared by the file-source tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adapters.logfiles import LogFile


@pytest.fixture
def log(tmp_path: Path) -> LogFile:
    """An empty ``auth.log`` in the test's own directory."""
    log = LogFile(tmp_path / "auth.log")
    log.path.touch()
    return log
