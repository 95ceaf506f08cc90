"""Real journal files for tests, written by systemd-journal-remote from export format."""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Mapping
from pathlib import Path

from tests.conftest import need_program

__all__ = ["BOOT_ID", "export", "write_journal"]

BOOT_ID = "0123456789abcdef0123456789abcdef"


def _field(name: str, value: bytes) -> bytes:
    if b"\n" in value or any(b < 32 and b != 9 for b in value) or not _is_utf8(value):
        return name.encode() + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
    return name.encode() + b"=" + value + b"\n"


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def export(entries: list[Mapping[str, str | bytes]], first_time: float = 1_700_000_000.0) -> bytes:
    """The journal export format of ``entries`` (one second apart from ``first_time``)."""
    out = b""
    for i, entry in enumerate(entries):
        fields: dict[str, str | bytes] = {
            "__REALTIME_TIMESTAMP": str(int((first_time + i) * 1_000_000)),
            "__MONOTONIC_TIMESTAMP": str((i + 1) * 1_000_000),
            "_BOOT_ID": BOOT_ID,
            **entry,
        }
        for name, value in fields.items():
            out += _field(name, value.encode() if isinstance(value, str) else value)
        out += b"\n"
    return out


def write_journal(path: Path, entries: list[Mapping[str, str | bytes]], first_time: float) -> None:
    """Append ``entries`` to the journal file ``path`` (created when missing)."""
    remote = need_program("systemd-journal-remote", "systemd-journal-remote")
    subprocess.run(
        [remote, f"--output={path}", "--compress=no", "-"],
        input=export(entries, first_time),
        check=True,
        capture_output=True,
        timeout=30,
    )
