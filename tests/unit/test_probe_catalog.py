"""The catalog builds every probe from a full configuration: its keywords fit the real
constructors, every probe module is there, and every probe is called as the config names it."""

from __future__ import annotations

import contextlib
import logging
import tomllib
from pathlib import Path

from rempart.config import build_config
from rempart.config.metrics import PROBE_NAMES
from rempart.probes.base import Probe
from rempart.services.probe_catalog import (
    AGENT_ONLY,
    UnavailableProbe,
    build_probes,
    missing_probes,
)
from tests.unit.test_config_metrics import FULL

LOG = logging.getLogger("test.catalog")


def _full(tmp_path: Path) -> str:
    secret = tmp_path / "mariadb.pass"
    secret.write_text("s3cret\n")
    secret.chmod(0o600)
    text = FULL.replace("file:/etc/rempart/mariadb.pass", f"file:{secret}")
    return text.replace('disabled = ["psi", "processes"]', "disabled = []")


def test_every_probe_module_is_there() -> None:
    assert missing_probes() == []


def test_a_full_configuration_builds_every_probe(tmp_path: Path) -> None:
    config = build_config(tomllib.loads(_full(tmp_path)), tmp_path / "rempart.toml")
    probes = build_probes(config, root=tmp_path, log=LOG)
    unavailable = {p.name: p for p in probes if isinstance(p, UnavailableProbe)}
    assert unavailable == {}
    names = [p.name for p in probes]
    assert sorted(names) == sorted(set(PROBE_NAMES) - AGENT_ONLY)
    assert all(isinstance(p, Probe) for p in probes)


def test_every_probe_collects_on_an_empty_root_without_raising(tmp_path: Path) -> None:
    """A machine without any of it (an empty root): each local probe returns, no crash."""
    config = build_config(tomllib.loads("[metrics]\nenabled = true\n"), tmp_path / "r.toml")
    for probe in build_probes(config, root=tmp_path, log=LOG):
        if probe.background:
            continue
        # OSError is allowed by the Probe contract: the service records a failed collection
        with contextlib.suppress(OSError):
            probe.collect()
