"""docs/reference/filters.md (hand-written) stays true to the shipped filters.

Both languages describe every filter, every mode, its journal matches and its success rules,
every key of the filter format, and every jail example is a valid configuration naming a
filter that resolves.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from rempart.config.load import build_config
from rempart.rules.catalog import load_shipped, resolve_filter, shipped_filter_names
from rempart.rules.native import _RULE_KEYS, _SAMPLE_KEYS, _TOP_KEYS
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "reference" / "filters.md").read_text(encoding="utf-8")
ENGLISH, FRENCH = DOC.split("\n## Français\n")
LANGUAGES = {"en": ENGLISH, "fr": FRENCH}


def _section(text: str, name: str) -> str:
    start = text.index(f"\n### {name}\n")
    end = text.find("\n### ", start + 1)
    return text[start : end if end != -1 else len(text)]


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
@pytest.mark.parametrize("name", shipped_filter_names())
def test_every_filter_is_documented(lang: str, name: str) -> None:
    native = load_shipped(name)
    section = _section(LANGUAGES[lang], name)
    for mode in native.modes:
        assert f"`{mode}`" in section, f"{lang}: {name} mode {mode} undocumented"
    matches = native.definition().journalmatch
    if matches:
        assert f"`{' '.join(matches)}`" in section, f"{lang}: {name} journalmatch"
    assert f'filter = "{name}' in section, f"{lang}: {name} has no jail example"
    if native.definition().successregex:
        assert "`[[success]]`" in section, f"{lang}: {name} success rules undocumented"


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_the_format_documents_every_key(lang: str) -> None:
    """Every top-level, rule and sample key the TOML parser accepts is in the format table."""
    table = _section(
        LANGUAGES[lang],
        "Writing a filter (format)" if lang == "en" else "Écrire un filtre (format)",
    )
    for key in sorted(_TOP_KEYS | _RULE_KEYS | _SAMPLE_KEYS):
        assert f"`{key}`" in table or f"`[[{key}]]`" in table or f"`[{key}]`" in table, (
            f"{lang}: filter key {key} undocumented"
        )


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_jail_examples_are_valid_configuration(lang: str) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", LANGUAGES[lang], re.S)
    data = tomllib.loads("\n".join(b for b in blocks if "[[jails." in b))
    config = build_config(data, Path("docs/reference/filters.md"))
    assert {resolve_filter(j.filter).name for j in config.jails.values()} == set(
        shipped_filter_names()
    )
