"""Shared test helpers.

System dependencies: a test that needs a program calls :func:`need_program`. Under
``CI=true`` a missing program fails the test; elsewhere it is skipped with a loud
reason that says how to install it (``make test`` installs them as root).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.abuseipdb import FAKE_T0, FakeAbuseIPDB

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
IN_CI = os.environ.get("CI") == "true"


def need_program(name: str, package: str) -> str:
    """Path of ``name``; fails under CI=true, skips elsewhere, when it is missing."""
    path = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/lib/systemd") / name) if p.exists()),
        None,
    )
    if path:
        return path
    missing_dependency(
        f"{name} not found: install Debian package {package} (make test does it as root)"
    )
    raise AssertionError  # unreachable


def missing_dependency(message: str) -> None:
    """The one place a missing system dependency is handled: fail under CI=true, else skip."""
    if IN_CI:
        pytest.fail(message + " — CI=true: missing system dependencies fail the run")
    pytest.skip(message + " (would fail under CI=true)")


def need_root(what: str) -> None:
    """Fails under CI=true, skips elsewhere, when the tests do not run as root."""
    if os.geteuid() != 0:
        missing_dependency(f"{what} needs root (make test as root)")


def need_file(path: Path, package: str) -> Path:
    """``path``; fails under CI=true, skips elsewhere, when ``package`` did not install it."""
    if not path.exists():
        missing_dependency(
            f"{path} not found: install Debian package {package} (make test does it as root)"
        )
    return path


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def fake_abuseipdb() -> Iterator[FakeAbuseIPDB]:
    """A started FakeAbuseIPDB (tests/fakes/abuseipdb.py), clock fixed at FAKE_T0
    (2025-06-01T12:00:00Z); ``fake_abuseipdb.client()`` gives an AbuseIPDBClient for it."""
    with FakeAbuseIPDB(now=FAKE_T0) as fake:
        yield fake
