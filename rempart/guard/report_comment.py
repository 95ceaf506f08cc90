"""The comment of a report to AbuseIPDB: written by rempart, scrubbed, short.

Comments are public and permanent. rempart never copies log text into them: the
comment is built from values rempart holds itself (the jail's categories, a failure
count, ports, two times), e.g.::

    SSH, brute force: 7 failed attempts on port 2200 between 2025-06-01T11:53:10Z and
    2025-06-01T12:03:10Z (rempart)

(one line). The jail's name is not used (it may name a host or a customer). Then
:func:`scrub` runs over it as a final pass: it removes every configured name
(``hide``: host names, domain names, user names; any case), every address of ours
(its usual and its long forms), e-mail addresses and URL query strings; it turns
control and format characters and line breaks into spaces, double quotes and
backquotes into single quotes, backslashes into slashes (so that the bulk CSV never
needs an escape); and it cuts the text to 1,024 bytes of UTF-8 on a character
boundary. Every step is linear in the text's length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType

from rempart.addresses import Address

__all__ = ["MAX_COMMENT_BYTES", "PHRASES", "comment", "iso_utc", "scrub"]

MAX_COMMENT_BYTES = 1024
MASK = "*"  # what replaces a hidden name or address (never part of a name or an address)
MAX_PORTS = 8

#: a phrase per AbuseIPDB category id
PHRASES: Mapping[int, str] = MappingProxyType(
    {
        1: "DNS compromise",
        2: "DNS poisoning",
        3: "fraud orders",
        4: "DDoS attack",
        5: "FTP brute force",
        6: "ping of death",
        7: "phishing",
        8: "VoIP fraud",
        9: "open proxy",
        10: "web spam",
        11: "e-mail spam",
        12: "blog spam",
        13: "VPN",
        14: "port scan",
        15: "hacking",
        16: "SQL injection",
        17: "spoofing",
        18: "brute force",
        19: "bad web bot",
        20: "exploited host",
        21: "web application attack",
        22: "SSH",
        23: "IoT targeted",
    }
)

# qualifiers first ("SSH, brute force"), then the rest in the order given
_FIRST = (22, 13)
_QUOTES = str.maketrans({'"': "'", "\\": "/", "`": "'"})
_SPACES = re.compile(r" {2,}")


def iso_utc(at: float) -> str:
    """``at`` as ``2025-06-01T12:03:10Z``."""
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _kind(categories: Sequence[int]) -> str:
    ordered = [c for c in _FIRST if c in categories]
    ordered += [c for c in categories if c not in _FIRST]
    phrases = [PHRASES[c] for c in dict.fromkeys(ordered) if c in PHRASES]
    text = ", ".join(phrases) or "abuse"
    return text[0].upper() + text[1:]


def _ports(ports: Sequence[str] | None) -> str:
    if not ports:
        return ""
    shown = list(dict.fromkeys(ports))[:MAX_PORTS]
    more = ", …" if len(dict.fromkeys(ports)) > MAX_PORTS else ""
    word = "port" if len(shown) == 1 and "-" not in shown[0] and not more else "ports"
    return f" on {word} {', '.join(shown)}{more}"


def comment(
    categories: Sequence[int],
    failures: int,
    first: float,
    last: float,
    ports: Sequence[str] | None = None,
    *,
    hide: Iterable[str] = (),
    own: Iterable[Address] = (),
) -> str:
    """The comment of a report; see the module documentation. ``ports`` are the
    jail's ports as text (None: every port, not written); ``first`` and ``last``
    bound the failures' times."""
    plural = "s" if failures != 1 else ""
    what = f"{failures} failed attempt{plural}" if failures > 0 else "attack"
    first = min(first, last)
    when = (
        f"at {iso_utc(last)}"
        if iso_utc(first) == iso_utc(last)
        else f"between {iso_utc(first)} and {iso_utc(last)}"
    )
    text = f"{_kind(categories)}: {what}{_ports(ports)} {when} (rempart)"
    return scrub(text, hide, own)


def _address_forms(address: Address) -> set[str]:
    forms = {str(address), address.exploded}
    if address.version == 6:
        mapped = address.ipv4_mapped
        if mapped is not None:
            forms.add(str(mapped))
    return forms


def _masked(text: str, patterns: Sequence[str]) -> str:
    """``text`` with every occurrence (any case) of ``patterns`` replaced by the mask,
    until none is left (a replacement never creates a new occurrence: the mask is
    never part of a name or an address; the loop is a guard)."""
    if not patterns:
        return text
    ordered = sorted(set(patterns), key=len, reverse=True)
    regex = re.compile("|".join(re.escape(p) for p in ordered), re.IGNORECASE)
    while True:
        text, count = regex.subn(MASK, text)
        if count == 0:
            return text


def _word(word: str) -> str:
    """An e-mail address masked, a URL's query string removed (linear: no regex)."""
    if "@" in word:
        return MASK
    return word.partition("?")[0]


def _truncate(text: str, size: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= size:
        return text
    return data[:size].decode("utf-8", errors="ignore")


def scrub(text: str, hide: Iterable[str] = (), own: Iterable[Address] = ()) -> str:
    """``text`` made fit to publish; see the module documentation."""
    # controls, format characters, line and paragraph separators, odd spaces: one space
    if not text.isprintable():
        text = "".join(c if c.isprintable() else " " for c in text)
    text = text.translate(_QUOTES)
    text = _SPACES.sub(" ", text)
    text = " ".join(_word(word) for word in text.split(" "))
    names = [name for name in hide if name]
    forms = [form for address in own for form in _address_forms(address)]
    text = _masked(text, names + forms)
    return _truncate(text.strip(), MAX_COMMENT_BYTES)
