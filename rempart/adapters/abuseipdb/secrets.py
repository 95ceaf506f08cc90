"""The AbuseIPDB key, read from where the configuration points (a file or a variable).

The key itself never appears in a message, a log line or a ``repr``: errors name the
file or the variable, and say how to fix it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from rempart.config.abuseipdb import SecretRef
from rempart.errors import AbuseIPDBError
from rempart.i18n import render

__all__ = ["MAX_SECRET", "check_secret", "key_file_problem", "read_secret"]

#: a key file longer than this is not a key (AbuseIPDB keys are 80 characters)
MAX_SECRET = 4096


def read_secret(ref: SecretRef, environ: Mapping[str, str] | None = None) -> str:
    """The key ``ref`` points to, surrounding whitespace (the final newline) removed.

    Raises :class:`AbuseIPDBError` when it is missing, empty, unreadable, spans several
    lines or holds anything but printable ASCII; the message never contains the key.
    """
    if ref.kind == "env":
        env = os.environ if environ is None else environ
        value = env.get(ref.where)
        if value is None:
            raise AbuseIPDBError("abuseipdb.secret_no_variable", where=ref.where)
        return check_secret(value, str(ref))
    return check_secret(_read_file(Path(ref.where)), str(ref))


def check_secret(value: str, where: str) -> str:
    """``value`` stripped, or :class:`AbuseIPDBError` naming ``where`` (never the value)."""
    key = value.strip()
    if not key:
        raise AbuseIPDBError("abuseipdb.secret_empty", where=where)
    if "\n" in key or "\r" in key:
        raise AbuseIPDBError("abuseipdb.secret_lines", where=where)
    bad = next((i for i, c in enumerate(key) if not "!" <= c <= "~"), None)
    if bad is not None:
        raise AbuseIPDBError("abuseipdb.secret_characters", where=where, position=bad + 1)
    return key


def _read_file(path: Path) -> str:
    where = f"file:{path}"
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise AbuseIPDBError("abuseipdb.secret_not_file", where=where)
        if info.st_size > MAX_SECRET:
            raise AbuseIPDBError("abuseipdb.secret_too_long", where=where, limit=MAX_SECRET)
        data = path.read_bytes()[: MAX_SECRET + 1]
    except FileNotFoundError as exc:
        raise AbuseIPDBError("abuseipdb.secret_no_file", where=where) from exc
    except OSError as exc:
        raise AbuseIPDBError(
            "abuseipdb.secret_unreadable", where=where, reason=exc.strerror or type(exc).__name__
        ) from exc
    try:
        return data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise AbuseIPDBError(
            "abuseipdb.secret_characters", where=where, position=exc.start + 1
        ) from exc


def key_file_problem(path: Path, lang: str = "en") -> str | None:
    """A warning when the key file can be read by its group or by others, else None.

    The agent logs it at start; the key stays usable (refusing to start would only
    make the administrator loosen something else).
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return render("abuseipdb.key_file_open", lang, path=str(path), mode=f"{mode & 0o777:04o}")
    return None
