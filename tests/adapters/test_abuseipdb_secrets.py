"""Reading the AbuseIPDB key from a file or a variable: what is accepted, what is refused
with a fix, and the key never in a message (English or French)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rempart.adapters.abuseipdb.secrets import MAX_SECRET, key_file_problem, read_secret
from rempart.config.abuseipdb import SecretRef
from rempart.errors import AbuseIPDBError

KEY = "0123456789abcdef" * 5  # 80 characters, like a real key


def write(path: Path, data: bytes, mode: int = 0o600) -> SecretRef:
    path.write_bytes(data)
    path.chmod(mode)
    return SecretRef("file", str(path))


def refused(ref: SecretRef, environ: dict[str, str] | None = None) -> AbuseIPDBError:
    with pytest.raises(AbuseIPDBError) as caught:
        read_secret(ref, environ)
    error = caught.value
    for lang in ("en", "fr"):
        text = error.render(lang)
        assert KEY not in text
        assert KEY[:20] not in text
        assert "Fix:" in text if lang == "en" else "Correction" in text
    return error


@pytest.mark.parametrize(
    "data", [KEY.encode(), KEY.encode() + b"\n", b"  " + KEY.encode() + b"\r\n"]
)
def test_key_from_a_file(tmp_path: Path, data: bytes) -> None:
    assert read_secret(write(tmp_path / "key", data)) == KEY


def test_key_from_a_variable() -> None:
    ref = SecretRef("env", "ABUSEIPDB_KEY")
    assert read_secret(ref, {"ABUSEIPDB_KEY": KEY + "\n"}) == KEY


def test_key_from_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMPART_TEST_ABUSEIPDB_KEY", KEY)
    assert read_secret(SecretRef("env", "REMPART_TEST_ABUSEIPDB_KEY")) == KEY


def test_missing_variable() -> None:
    error = refused(SecretRef("env", "ABUSEIPDB_KEY"), {"OTHER": KEY})
    assert error.key == "abuseipdb.secret_no_variable"
    assert "ABUSEIPDB_KEY" in str(error)
    assert "EnvironmentFile=" in str(error)


def test_missing_file(tmp_path: Path) -> None:
    error = refused(SecretRef("file", str(tmp_path / "nope")))
    assert error.key == "abuseipdb.secret_no_file"
    assert str(tmp_path / "nope") in str(error)


def test_directory_and_fifo_are_not_keys(tmp_path: Path) -> None:
    assert refused(SecretRef("file", str(tmp_path))).key == "abuseipdb.secret_not_file"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert refused(SecretRef("file", str(fifo))).key == "abuseipdb.secret_not_file"  # no hang


def test_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text(KEY)
    error = refused(SecretRef("file", str(tmp_path / "plain" / "key")))  # not a directory
    assert error.key == "abuseipdb.secret_unreadable"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "abuseipdb.secret_empty"),
        (b" \n\t\n", "abuseipdb.secret_empty"),
        (KEY.encode() + b"\n" + KEY.encode() + b"\n", "abuseipdb.secret_lines"),
        (b'"' + KEY.encode() + b'" x', "abuseipdb.secret_characters"),
        (KEY[:40].encode() + b" " + KEY[40:].encode(), "abuseipdb.secret_characters"),
        (KEY.encode() + b"\x00", "abuseipdb.secret_characters"),
        (KEY.encode() + "é".encode(), "abuseipdb.secret_characters"),
        (KEY.encode() * 60, "abuseipdb.secret_too_long"),
    ],
)
def test_bad_key_files(tmp_path: Path, data: bytes, key: str) -> None:
    assert len(KEY.encode() * 60) > MAX_SECRET
    error = refused(write(tmp_path / "key", data))
    assert error.key == key
    assert str(tmp_path / "key") in str(error)


def test_bad_variable_values() -> None:
    ref = SecretRef("env", "ABUSEIPDB_KEY")
    assert refused(ref, {"ABUSEIPDB_KEY": ""}).key == "abuseipdb.secret_empty"
    assert refused(ref, {"ABUSEIPDB_KEY": KEY + "\n" + KEY}).key == "abuseipdb.secret_lines"
    error = refused(ref, {"ABUSEIPDB_KEY": KEY[:10] + "\x1b" + KEY[10:]})
    assert error.key == "abuseipdb.secret_characters"
    assert error.params["position"] == 11


def test_key_file_problem(tmp_path: Path) -> None:
    private = write(tmp_path / "private", KEY.encode(), 0o600)
    assert key_file_problem(Path(private.where)) is None
    assert key_file_problem(Path(write(tmp_path / "ro", KEY.encode(), 0o400).where)) is None
    shared = Path(write(tmp_path / "shared", KEY.encode(), 0o640).where)
    problem = key_file_problem(shared)
    assert problem is not None
    assert "0640" in problem
    assert f"chmod 600 {shared}" in problem
    french = key_file_problem(shared, "fr")
    assert french is not None
    assert "lisible par d'autres" in french
    assert key_file_problem(tmp_path / "absent") is None  # read_secret says it is missing
