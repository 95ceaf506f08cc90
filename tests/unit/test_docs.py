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


def test_links_in_docs_point_to_files() -> None:
    """Every relative link of the README and docs/ names a file that exists."""
    import re

    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    fr = ROOT / "README.fr.md"
    if fr.exists():
        pages.append(fr)
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken, broken
