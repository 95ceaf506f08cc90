"""The reference documentation is generated from the code and must be up to date."""

from __future__ import annotations

from rempart.docgen import GENERATED
from tests.conftest import ROOT


def test_generated_docs_are_current() -> None:
    stale = [
        rel
        for rel, make in GENERATED.items()
        if not (ROOT / rel).is_file() or (ROOT / rel).read_text(encoding="utf-8") != make()
    ]
    assert not stale, f"run `make docs`: {stale}"
