"""French and English text for everything people read.

Messages are looked up by key; each key has an English and a French text with
``{name}`` placeholders. The language comes from ``--lang``, then ``REMPART_LANG``,
then the usual locale variables (``LC_ALL``, ``LC_MESSAGES``, ``LANG``); French when
they start with ``fr``, English otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["LANGUAGES", "MESSAGES", "pick_language", "render"]

LANGUAGES = ("en", "fr")

# key -> (English, French)
MESSAGES: dict[str, tuple[str, str]] = {
    "error.generic": ("{detail}", "{detail}"),
    "config.invalid": (
        "{file}: {key}: {problem}. Fix: {fix}",
        "{file} : {key} : {problem}. Correction : {fix}",
    ),
    "config.unreadable": (
        "{file}: cannot read the configuration ({reason}). Fix: {fix}",
        "{file} : lecture de la configuration impossible ({reason}). Correction : {fix}",
    ),
    "config.syntax": (
        "{file}: not valid TOML ({reason}). Fix: correct the syntax at the place shown",
        "{file} : TOML invalide ({reason}). Correction : corrigez la syntaxe à l'endroit indiqué",
    ),
    "filter.invalid": (
        "filter {filter}: {problem}",
        "filtre {filter} : {problem}",
    ),
    "filter.not_found": (
        "filter {filter}: not found (looked in: {searched}). Fix: give a path to the file, "
        "or one of the shipped filters: {available}",
        "filtre {filter} : introuvable (cherché dans : {searched}). Correction : indiquez le "
        "chemin du fichier, ou un des filtres fournis : {available}",
    ),
    "date.bad_pattern": (
        "datepattern {pattern}: {reason}. Fix: use the %-codes fail2ban knows (%Y %m %d %H "
        "%M %S %b...), %% for a per cent sign, or a keyword: {{^LN-BEG}}, {{DATE}}, {{NONE}}, "
        "EPOCH, LEPOCH, TAI64N",
        "datepattern {pattern} : {reason}. Correction : utilisez les codes % que fail2ban "
        "connaît (%Y %m %d %H %M %S %b...), %% pour un signe pour cent, ou un mot-clé : "
        "{{^LN-BEG}}, {{DATE}}, {{NONE}}, EPOCH, LEPOCH, TAI64N",
    ),
    "filter.bad_regex": (
        "filter {filter}: {option} #{index}: invalid regular expression ({reason}): {regex}",
        "filtre {filter} : {option} n°{index} : expression régulière invalide ({reason}) : {regex}",
    ),
    "filter.unsafe_regex": (
        "filter {filter}: {option} #{index} could take super-linear time on hostile input "
        "({reason}). Fix: {fix}",
        "filtre {filter} : {option} n°{index} pourrait prendre un temps non linéaire sur une "
        "entrée hostile ({reason}). Correction : {fix}",
    ),
    "source.unreadable": (
        "{source}: cannot read ({reason}). Fix: {fix}",
        "{source} : lecture impossible ({reason}). Correction : {fix}",
    ),
    "state.unusable": (
        "state database {path}: {reason}. Fix: {fix}",
        "base d'état {path} : {reason}. Correction : {fix}",
    ),
    "usage.invalid": ("{detail}", "{detail}"),
}


def render(key: str, lang: str, /, **params: Any) -> str:
    """The text of ``key`` in ``lang``, with ``params`` filled in.

    An unknown key or a missing parameter never raises: the key and the parameters
    are shown instead, so an error message can never hide the error.
    """
    texts = MESSAGES.get(key)
    if texts is None:
        return f"{key} {params}" if params else key
    text = texts[1] if lang == "fr" else texts[0]
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return f"{text} {params}"


def pick_language(explicit: str | None, environ: Mapping[str, str]) -> str:
    """ "fr" or "en", from an explicit choice, ``REMPART_LANG``, or the locale."""
    for value in (
        explicit,
        environ.get("REMPART_LANG"),
        environ.get("LC_ALL"),
        environ.get("LC_MESSAGES"),
        environ.get("LANG"),
    ):
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"
