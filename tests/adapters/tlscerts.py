"""Test certificates made by openssl at run time: a CA and leaves it signed (90 days, 3 days,
expired), a self-signed one and one for another name (all P-256, for localhost/127.0.0.1/::1)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import need_program

__all__ = ["Certs", "make_certs"]

EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


@dataclass(frozen=True)
class Certs:
    dir: Path

    def pair(self, name: str) -> tuple[Path, Path]:
        """(certificate, key) of ``name``: good, soon, expired, self or other."""
        return self.dir / f"{name}.pem", self.dir / f"{name}.key"

    @property
    def ca(self) -> Path:
        return self.dir / "ca.pem"


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=30)


def make_certs(d: Path) -> Certs:
    need_program("openssl", "openssl")
    _openssl("req", "-x509", *EC, "-keyout", d / "ca.key", "-out", d / "ca.pem",
             "-subj", "/CN=rempart test CA", "-days", "3650")  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n")
    for name, days in (("good", "90"), ("soon", "3"), ("expired", "-1")):
        _openssl("req", "-new", *EC, "-keyout", d / f"{name}.key", "-out", d / f"{name}.csr",
                 "-subj", "/CN=localhost")  # fmt: skip
        _openssl("x509", "-req", "-in", d / f"{name}.csr", "-CA", d / "ca.pem", "-CAkey",
                 d / "ca.key", "-set_serial", "1" + days.strip("-"), "-days", days,
                 "-extfile", d / "san.ext", "-out", d / f"{name}.pem")  # fmt: skip
    _openssl("req", "-x509", *EC, "-keyout", d / "self.key", "-out", d / "self.pem",
             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-days", "30")  # fmt: skip
    _openssl("req", "-x509", *EC, "-keyout", d / "other.key", "-out", d / "other.pem",
             "-subj", "/CN=other.test", "-addext", "subjectAltName=DNS:other.test",
             "-days", "30")  # fmt: skip
    return Certs(d)
