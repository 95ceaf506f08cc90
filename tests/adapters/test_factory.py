"""open_source builds the right source from the configuration, each a LineSource."""

from __future__ import annotations

import io
from pathlib import Path

from rempart.adapters.sources.base import LineSource
from rempart.adapters.sources.factory import open_source
from rempart.adapters.sources.files import FileFollower
from rempart.adapters.sources.journal import JournalSource
from rempart.adapters.sources.stdin import StdinSource
from rempart.config.schema import SourceConfig
from rempart.model import FilePosition, Fingerprint, JournalCursor

SAVED_FILE = FilePosition(Path("/var/log/auth.log"), 1, 2, 3, Fingerprint(0, "", 0, ""))


def test_a_file_source(tmp_path: Path) -> None:
    config = SourceConfig(kind="file", path=tmp_path / "auth.log", name="auth")
    source = open_source(config, saved=JournalCursor("of the wrong kind"))
    assert isinstance(source, FileFollower)
    assert isinstance(source, LineSource)
    assert source.name == "auth"
    assert source.position() is None
    assert open_source(config, saved=SAVED_FILE).position() == SAVED_FILE


def test_a_journal_source() -> None:
    config = SourceConfig(kind="journal", name="journal")
    source = open_source(config, saved=JournalCursor("s=1"), default_matches=["_COMM=sshd"])
    assert isinstance(source, JournalSource)
    assert isinstance(source, LineSource)
    assert source.argv()[-4:] == ["--after-cursor=s=1", "--follow", "--no-tail", "_COMM=sshd"]
    own = open_source(
        SourceConfig(kind="journal", match=("_SYSTEMD_UNIT=ssh.service",)),
        default_matches=["_COMM=sshd"],
    )
    assert isinstance(own, JournalSource)
    assert own.argv()[-1] == "_SYSTEMD_UNIT=ssh.service"


def test_a_stdin_source() -> None:
    source = open_source(SourceConfig(kind="stdin", name="stdin"), stdin=io.BytesIO(b""))
    assert isinstance(source, StdinSource)
    assert isinstance(source, LineSource)
