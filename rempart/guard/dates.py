"""Finding and reading the date in a log line, compatible with fail2ban's ``datepattern``.

A :class:`DateDetector` holds an ordered list of date templates, built from a fail2ban
``datepattern`` value or from fail2ban's default list. For each line:

- ``find(line)`` says where the date text is: ``line[hit.start:hit.end]`` is exactly
  the part fail2ban cuts out of the line before the regexes run (the template's
  first capturing group; for ``^[^\\[]*(\\[{DATE}\\s*\\])`` that includes the brackets).
- ``epoch(line, hit, now)`` turns it into seconds since the epoch (UTC), or None when
  the text is not a valid date (February 30, an unknown zone abbreviation...).
  Dates of fields are whole seconds (fractions are dropped, as fail2ban does);
  ``EPOCH``/``LEPOCH`` values keep their fraction.
- ``accepts_no_date`` is True for ``{NONE}``: lines carry no date, their time is now.

Template choice follows fail2ban's ``DateDetector.matchTime``: the template that found
the previous date is tried first (for a template not anchored at the line start, only
where the previous date was, when the characters around it agree); otherwise every
template is tried in order and the first one anchored at the line start, or found no
further right than the previous date, wins; failing that, the leftmost match. Winners
move up the list by fail2ban's rules (hit counts weighed by distance), so a log that
mixes formats gets the same template, hence the same span, as in fail2ban; fail2ban's
extra rule that moves templates unused for five minutes of wall-clock time is left out
(this module reads no clock), which is what it amounts to when fail2ban reads a file
in one go.

``datepattern`` syntax (one pattern per line, tried in that order):

``{^LN-BEG}``   alone: the default templates that are anchored at the line start; as a
                prefix: anchor the pattern at the line start (up to two non-word
                characters may come first)
``{DEFAULT}``   the default templates
``{DATE}``      inside a regex: replaced by each default template in turn
``{NONE}``      lines may carry no date (their time is now): ``accepts_no_date`` is
                True; patterns after it are ignored (in fail2ban it always wins from
                there), so ``{NONE}`` alone or first means ``find`` always says None
``EPOCH``, ``LEPOCH``, ``TAI64N`` (optionally ``{^LN-BEG}``/``^`` first), or
``{EPOCH}``/``{LEPOCH}``/``{TAI64N}`` inside a regex (the last is a rempart extension):
                Unix times (``LEPOCH``: also milli- and microseconds) and daemontools
                TAI64N labels
``{UNB}``       prefix: no automatic word boundaries; ``**`` at the start or the end
                of a pattern drops the boundary on that side only
``%``-codes     ``%Y %y %m %d %H %M %S %f %b %B %a %A %p %I %j %U %W %w %z %Z %k %l %%``
                and the exact forms ``%ExY`` (20xx) ``%Exy %Exm %Exd %ExH %ExM %ExS
                %Exk %Exl %ExZ %Exz``, plus ``%Exb``: a month abbreviation with its
                capital (``Jan``), case-sensitive (a rempart extension)

Times: a zone written in the line (``Z``, ``UTC``, ``GMT``, ``+02:00``, ``+0200``,
``-05``, ``CEST``, ``UTC+0200``...) wins over ``tz``. A date without a year takes the
year of ``now``, or the year before when that puts it more than a day after ``now``
(the syslog year rollover). A time without a date is today, or yesterday when that is
in the future. In the hour a DST change repeats, the later reading is taken when it is
not in the future, else the earlier one; a time a DST change skips is read with the
offset before the change. Years of ``%ExY`` are 2000-2099 (fail2ban accepts 2000 up to
the decade three years ahead of its clock, 2000-2029 in 2026; this module reads none).

Where rempart deliberately differs from fail2ban (each is a fail2ban defect):

- ``{DEFAULT}`` next to other patterns adds the default templates (fail2ban adds none);
- ``{^LN-BEG}{EPOCH}`` anchors (fail2ban never matches it);
- a year-less February 29 read in a common year is taken in the year before (fail2ban
  finds no time);
- a year-less date with a zone, whose UTC time falls on another day, keeps its day when
  taken in the year before (fail2ban moves it by a day);
- dates are compared with ``now`` as instants, not as wall-clock readings (they differ
  only around DST changes);
- with ``{NONE}`` after other patterns, a line without a date does not stop later lines
  from being read (in fail2ban it does);
- an unknown zone abbreviation makes the date invalid (fail2ban raises an uncaught
  KeyError), and an empty date text is no date (fail2ban reuses the previous time:
  that is the caller's choice here).

Speed: ``epoch`` results are cached by date text (fraction digits left out) for as
long as ``now`` cannot change them, so consecutive lines of the same second cost a
dictionary lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Literal

from rempart.errors import FilterError

__all__ = ["DateDetector", "DateHit", "DateTemplate", "fixed_zone"]

Kind = Literal["fields", "epoch", "lepoch", "tai64n"]

_INF = float("inf")
_DAY = 86400.0
_CACHE_LIMIT = 4096

# --------------------------------------------------------------------------- %-codes

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _words(name: str, words: tuple[str, ...]) -> str:
    """A named group matching one of ``words``, longest first (as strptime builds it)."""
    return f"(?P<{name}>{'|'.join(sorted(words, key=len, reverse=True))})"


_YEAR_EXACT = r"(?P<Y>20\d\d)"
_ZONE_ABBR = r"[A-Z](?:[A-Z]{2,4})?"
_ZONE_OFFSET = r"[+-][01]\d(?::?\d{2})?"

# What each %-code becomes. The alternatives keep fail2ban's order (Python tries them
# in order, so the order decides which text a code takes).
_CODES: dict[str, str] = {
    "%": "%",
    "a": _words("a", _DAYS),
    "A": _words("A", _DAY_NAMES),
    "b": _words("b", _MONTHS),
    "B": _words("B", _MONTH_NAMES),
    "p": "(?P<p>am|pm)",
    "d": r"(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])",
    "f": r"(?P<f>[0-9]{1,6})",
    "H": r"(?P<H>[0-1]?\d|2[0-3])",
    "I": r"(?P<I>1[0-2]|0[1-9]|[1-9])",
    "j": r"(?P<j>36[0-6]|3[0-5]\d|[1-2]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9])",
    "m": r"(?P<m>0?[1-9]|1[0-2])",
    "M": r"(?P<M>[0-5]?\d)",
    "S": r"(?P<S>[0-5]?\d|6[0-1])",
    "U": r"(?P<U>5[0-3]|[0-4]\d|\d)",
    "W": r"(?P<W>5[0-3]|[0-4]\d|\d)",
    "w": r"(?P<w>[0-6])",
    "u": r"(?P<u>[1-7])",
    "V": r"(?P<V>5[0-3]|0[1-9]|[1-4]\d|\d)",
    "G": r"(?P<G>\d\d\d\d)",
    "y": r"(?P<y>\d\d)",
    "Y": r"(?P<Y>\d{4})",
    "z": rf"(?P<z>Z|UTC|GMT|{_ZONE_OFFSET})",
    "Z": r"(?P<Z>Z|[A-Z]{3,5})",
    "k": r" ?(?P<H>[0-2]?\d)",
    "l": r" ?(?P<I>1?\d)",
    "c": (
        _words("a", _DAYS) + r"\s+" + _words("b", _MONTHS) + r"\s+(?P<d>3[0-1]|[1-2]\d|0[1-9]|"
        r"[1-9]| [1-9])\s+(?P<H>2[0-3]|[0-1]\d|\d):(?P<M>[0-5]\d|\d):(?P<S>6[0-1]|[0-5]\d|\d)"
        r"\s+(?P<Y>\d\d\d\d)"
    ),
    "x": r"(?P<m>1[0-2]|0[1-9]|[1-9])/(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])/(?P<y>\d\d)",
    "X": r"(?P<H>2[0-3]|[0-1]\d|\d):(?P<M>[0-5]\d|\d):(?P<S>6[0-1]|[0-5]\d|\d)",
    "ExY": _YEAR_EXACT,
    "Exy": r"(?P<y>\d{2})",
    "Exm": r"(?P<m>0[1-9]|1[0-2])",
    "Exd": r"(?P<d>[1-2]\d|0[1-9]|3[0-1])",
    "ExH": r"(?P<H>[0-1]\d|2[0-3])",
    "Exk": r" ?(?P<H>[0-1]?\d|2[0-3])",
    "Exl": r" ?(?P<I>1[0-2]|\d)",
    "ExM": r"(?P<M>[0-5]\d)",
    "ExS": r"(?P<S>[0-5]\d|6[0-1])",
    "ExZ": rf"(?P<Z>{_ZONE_ABBR})",
    "Exz": rf"(?P<z>(?:{_ZONE_ABBR})?{_ZONE_OFFSET}|{_ZONE_ABBR})",
    "Exb": "(?P<b>" + "|".join(m.capitalize() for m in _MONTHS) + ")",
}
# %a %A %b %B %p %c make the whole template case-insensitive (fail2ban's rule, quirks
# included: a code right after a '%' does not count).
_NAME_CODE = re.compile(r"(?<!%)%[aAbBpc]")
_FIELD_GROUPS = frozenset("aAbBpdfHIjmMSUWwuVGyYzZ") | {"epoch", "tai64n"}

# ------------------------------------------------------------------ template syntax
# How fail2ban decides word boundaries, the capturing group and anchoring of a
# template regex (``datetemplate.py``); the same rules give the same spans.
_INLINE_FLAGS = re.compile(r"\(\?[a-z]+\)")
_NO_BEGIN_BOUND = re.compile(r"^\(*(?:\(\?\w+\))?(?:\^|\(*\*\*|\((?:\?:)?\^)")
_NO_END_BOUND = re.compile(r"(?<!\\)(?:\$\)?|\\b|\\s|\*\*\)*)$")
_CAPTURING = re.compile(r"(?<!\(\?)(?<!\\)\((?!\?)")
_WRAP = re.compile(r"^((?:\(\?\w+\))?\^?(?:\(\?\w+\))?)(.*?)(\$?)$")
_AT_LINE_START = re.compile(r"^(?:\(\?\w+\))?(?:\^|\((?:\?:)?\^(?!\|))")
_AT_LINE_END = re.compile(r"(?<![\\|])(?:\$\)?)$")
_STARS = re.compile(r"^\(*(?:\(\?\w+\))?\(*\*\*|(?<!\\)\*\*\)*$")
_LINE_START_PREFIX = r"^(?:\W{0,2})?"
_WORD_START_PREFIX = r"(?=^|\b|\W)"
_WORD_END_SUFFIX = r"(?=\b|\W|$)"
_UNBOUND = (
    re.compile(r"^\{UNB\}"),
    re.compile(r"^\{\^LN-BEG\}"),
    re.compile(r"^\((?:\?:)?\^\|\\b\|\\W\)"),
    re.compile(r"\(\?=\\b\|\\W\|\$\)$"),
)
_DATE_TAG = re.compile(r"(?<!\\)\{DATE\}", re.IGNORECASE)
_EPOCH_TAG = re.compile(r"(?<!\\)\{L?EPOCH\}", re.IGNORECASE)
_TAI64N_TAG = re.compile(r"(?<!\\)\{TAI64N\}", re.IGNORECASE)
_TAI64N = "@(?P<tai64n>[0-9a-f]{24})"
_SHORT_EPOCH = r"\d{10,11}\b(?:\.\d{3,6})?"
_LONG_EPOCH = r"\d{10,11}(?:\d{3}(?:\.\d{1,6}|\d{3})?)?"

# fail2ban's default templates, in its order. Each one that is not anchored also
# exists anchored at the line start, and those anchored copies come first.
_DEFAULT_PATTERNS = (
    r"%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?",  # ISO 8601
    r"(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?",  # syslog, asctime
    r"(?:%a )?%b %d %ExY %k:%M:%S(?:\.%f)?",  # asctime, year before the time
    r"%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S",  # 23/01/2005 21:59:59
    r"%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?",  # Apache
    r"%m/%d/%ExY:%H:%M:%S",  # CPanel
    r"%m-%d-%ExY %k:%M:%S(?:\.%f)?",  # 01-23-2005 21:59:59.252
    "EPOCH",
    r"{^LN-BEG}%H:%M:%S",  # a time only
    r"^<%m/%d/%Exy@%H:%M:%S>",
    r"%Exy%Exm%Exd  ?%H:%M:%S",  # MySQL
    r"%b %d, %ExY %I:%M:%S %p",  # Apache Tomcat
    r"^%b-%d-%Exy %k:%M:%S",  # ASSP
    r"%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\s*%z)?",  # 20050123T215959
    r"(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?",  # monit: PDT Apr 16 21:05:29
    r"(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?",
    "TAI64N",
)

# --------------------------------------------------------------------------- zones
# Zone abbreviations fail2ban knows (offset in hours: names), read as fixed offsets.
_ZONE_TABLE = {
    -12: "Y",
    -11: "X NUT SST",
    -10: "W CKT HAST HST TAHT TKT",
    -9.5: "MART MIT",
    -9: "V AKST GAMT GIT HADT HNY",
    -8: "U AKDT CIST HAY HNP PST PT",
    -7: "T HAP HNR MST PDT",
    -6: "S CST EAST GALT HAR HNC MDT",
    -5: "R CDT COT EASST ECT EST ET HAC HNE PET",
    -4.5: "HLV VET",
    -4: "Q AST BOT CLT COST EDT FKT GYT HAE HNA PYT",
    -3.5: "HNT NST NT",
    -3: "P ADT ART BRT CLST FKST GFT HAA PMST PYST SRT UYT WGT",
    -2.5: "HAT NDT",
    -2: "O BRST FNT PMDT UYST WGST",
    -1: "N AZOT CVT EGT",
    0: "Z EGST GMT UTC WET WT",
    1: "A CET DFT WAT WEDT WEST",
    2: "B CAT CEDT CEST EET SAST WAST",
    3: "C EAT EEDT EEST IDT MSK",
    3.5: "IRST",
    4: "D AMT AZT GET GST KUYT MSD MUT RET SAMT SCT",
    4.5: "AFT IRDT",
    5: "E AMST AQTT AZST HMT MAWT MVT PKT TFT TJT TMT UZT YEKT",
    5.5: "SLT",
    5.75: "NPT",
    6: "F ALMT BIOT BTT IOT KGT NOVT OMST YEKST",
    6.5: "CCT MMT",
    7: "G CXT DAVT HOVT ICT KRAT NOVST OMSST THA WIB",
    8: "H ACT AWST BDT BNT CAST HKT IRKT KRAST MYT PHT SGT ULAT WITA WST",
    9: "I AWDT IRKST JST KST PWT TLT WDT WIT YAKT",
    9.5: "ACST",
    10: "K AEST ChST PGT VLAT YAKST YAPT",
    10.5: "ACDT LHST",
    11: "L AEDT LHDT MAGT NCT PONT SBT VLAST VUT",
    11.5: "NFT",
    12: "M ANAST ANAT FJT GILT MAGST MHT NZST PETST PETT TVT WFT",
    13: "FJST NZDT",
}
_ZONE_MINUTES = {
    name: int(hours * 60) for hours, names in _ZONE_TABLE.items() for name in names.split()
}
_ZONE_TEXT = re.compile(rf"({_ZONE_ABBR})?({_ZONE_OFFSET})?$")


def _zone_minutes(text: str) -> int | None:
    """Offset east of UTC, in minutes, of a zone as fail2ban reads it; None if unknown."""
    if text in ("Z", "UTC", "GMT"):
        return 0
    m = _ZONE_TEXT.match(text)
    if m is None:
        return None
    name, offset = m.groups()
    base = _ZONE_MINUTES.get(name) if name else 0
    if base is None:
        return None
    if not offset:
        return base
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    return base + sign * (int(digits[:2]) * 60 + int(digits[2:4] or 0))


def fixed_zone(text: str) -> tzinfo | None:
    """The fixed-offset zone fail2ban reads in ``text`` (``UTC``, ``UTC+0200``, ``CEST``,
    ``+02:00``, ``-05``...), for fail2ban's ``logtimezone`` values; None if unknown."""
    minutes = _zone_minutes(text.strip()) if text.strip() else None
    if minutes is None:
        return None
    return UTC if minutes == 0 else timezone(timedelta(minutes=minutes))


# ------------------------------------------------------------------------ templates


@dataclass(frozen=True, slots=True, eq=False)
class DateTemplate:
    """One compiled date template.

    name        the pattern it was built from (for statistics and messages)
    regex       the template's regex; group 1 is the date text
    finder      the same regex with only the groups ``find`` needs (faster to search)
    anchored    found at the line start or end only: it wins as soon as it matches
    line_start  anchored at the line start (the templates ``{^LN-BEG}`` selects)
    kind        how the date text is read: ``fields`` (%-codes), ``epoch``, ``lepoch``
                or ``tai64n``
    fraction    group number of ``%f`` in ``finder`` (0: none); its digits are left out
                of cache keys
    whole_key   some date field lies outside group 1: cache by the whole match
    text_key    ``epoch`` results are cached by the date text (``fields`` templates
                whose fields all lie in the date text)
    weight      fail2ban's preference when re-sorting: 100 for the anchored copies of
                the default templates, else 1
    """

    name: str
    regex: re.Pattern[str]
    finder: re.Pattern[str]
    anchored: bool
    line_start: bool
    kind: Kind = "fields"
    fraction: int = 0
    whole_key: bool = False
    text_key: bool = False
    weight: float = 1.0


def _bad(pattern: str, reason: str) -> FilterError:
    return FilterError("date.bad_pattern", pattern=pattern, reason=reason)


def _translate(pattern: str) -> str:
    """Replace the %-codes of ``pattern`` by their regexes (any other ``%`` is an error)."""
    out: list[str] = []
    pos = 0
    while (i := pattern.find("%", pos)) >= 0:
        code = pattern[i + 1 : i + 4] if pattern.startswith("Ex", i + 1) else pattern[i + 1 : i + 2]
        regex = _CODES.get(code)
        if regex is None:
            raise _bad(pattern, f"unknown code %{code} at offset {i}")
        out += (pattern[pos:i], regex)
        pos = i + 1 + len(code)
    out.append(pattern[pos:])
    return "".join(out)


def _bind(regex: str, begin: bool | Literal["start"], end: bool) -> tuple[str, bool, bool]:
    """Add fail2ban's boundaries and group 1 to ``regex``; also say how it is anchored."""
    regex = regex.strip()
    flags = _INLINE_FLAGS.search(regex)
    if flags:
        regex = regex[: flags.start()] + regex[flags.end() :]
    bound_begin = bool(begin) and not _NO_BEGIN_BOUND.search(regex)
    bound_end = end and not _NO_END_BOUND.search(regex)
    if not _CAPTURING.search(regex):
        regex = _WRAP.sub(r"\1(\2)\3", regex)
    line_start = False
    if bound_begin and begin == "start":
        regex, line_start = _LINE_START_PREFIX + regex, True
    elif bound_begin:
        regex = _WORD_START_PREFIX + regex
    if bound_end:
        regex += _WORD_END_SUFFIX
    line_start = line_start or bool(_AT_LINE_START.search(regex))
    line_end = bool(_AT_LINE_END.search(regex))
    regex = _STARS.sub(lambda m: m.group().replace("**", ""), regex)
    return (flags.group() if flags else "") + regex, line_start, line_end


def _compile(
    name: str, regex: str, begin: bool | Literal["start"], end: bool, kind: Kind
) -> DateTemplate:
    source, line_start, line_end = _bind(regex, begin, end)
    try:
        compiled = re.compile(source)
    except re.error as exc:
        raise _bad(name, f"invalid regular expression ({exc.msg})") from exc
    if compiled.groups < 1:
        raise _bad(name, "no date text: the pattern captures nothing")
    whole_key = not _fields_in_group_one(compiled)
    finder = _finder(compiled)
    return DateTemplate(
        name=name,
        regex=compiled,
        finder=finder,
        anchored=line_start or line_end,
        line_start=line_start,
        kind=kind,
        fraction=finder.groupindex.get("f", 0),
        whole_key=whole_key,
        text_key=kind == "fields" and not whole_key,
    )


def _fields_template(pattern: str, name: str | None = None) -> DateTemplate:
    """A template from a %-code pattern (fail2ban's ``DatePatternRegex``)."""
    source = pattern
    begin: bool | Literal["start"] = True
    end = True
    if source.startswith("{UNB}"):
        source, begin, end = source[5:], False, False
    if begin and source.startswith("{^LN-BEG}"):
        source, begin = source[9:], "start"
    regex = _translate(source)
    if _NAME_CODE.search(source):
        regex = "(?iu)" + regex
    return _compile(name or pattern, regex, begin, end, "fields")


def _epoch_core(long: bool) -> str:
    return f"(?P<epoch>{_LONG_EPOCH if long else _SHORT_EPOCH})"


def _epoch_template(line_start: bool, long: bool, name: str) -> DateTemplate:
    """``EPOCH`` / ``LEPOCH``: a Unix time at the line start, in ``[...]`` at the line
    start, in SELinux's ``audit(...)``, or (anchored form) at the line start only."""
    core = _epoch_core(long)
    kind: Kind = "lepoch" if long else "epoch"
    if line_start:
        regex = rf"((?P<square>(?<=^\[))?{core})(?(square)(?=\]))"
        return _compile(name, regex, "start", True, kind)
    regex = (
        rf"((?:^|(?P<square>(?<=^\[))|(?P<selinux>(?<=\baudit\()))"
        rf"{core})(?:(?(selinux)(?=:\d+\)))|(?(square)(?=\])))"
    )
    return _compile(name, regex, False, True, kind)


def _tagged_template(pattern: str, kind: Kind) -> DateTemplate:
    """A regex holding ``{EPOCH}``, ``{LEPOCH}`` or ``{TAI64N}`` (a rempart extension):
    the whole match is the date text, the first tag's value is read."""
    source = pattern
    begin: bool | Literal["start"] = True
    if source.startswith("{^LN-BEG}"):
        source, begin = source[9:], "start"
    named = False

    def value(_: re.Match[str]) -> str:
        nonlocal named
        core = _TAI64N if kind == "tai64n" else _epoch_core(kind == "lepoch")
        if named:  # later ones: the same regex, without the group name
            return core.replace(f"?P<{kind.removeprefix('l')}>", "")
        named = True
        return core

    tag = _TAI64N_TAG if kind == "tai64n" else _EPOCH_TAG
    return _compile(pattern, "(" + tag.sub(value, source) + ")", begin, True, kind)


def _tai64n_template(line_start: bool, name: str) -> DateTemplate:
    return _compile(name, _TAI64N, "start" if line_start else False, True, "tai64n")


def _single_template(pattern: str, key: str) -> DateTemplate:
    """One datepattern line that is neither a keyword nor holds ``{DATE}``."""
    if _TAI64N_TAG.search(pattern):
        return _tagged_template(pattern, "tai64n")
    if "EPOCH" in key:
        long = "LEPOCH" in key
        if _EPOCH_TAG.search(pattern):
            return _tagged_template(pattern, "lepoch" if long else "epoch")
        if key in ("EPOCH", "{^LN-BEG}EPOCH", "^EPOCH", "LEPOCH", "{^LN-BEG}LEPOCH", "^LEPOCH"):
            return _epoch_template(key not in ("EPOCH", "LEPOCH"), long, pattern)
    if key in ("TAI64N", "{^LN-BEG}TAI64N", "^TAI64N"):
        return _tai64n_template(key != "TAI64N", pattern)
    return _fields_template(pattern)


def _key(pattern: str) -> str:
    """fail2ban compares keywords case-insensitively unless the pattern has a %-code."""
    return pattern if "%" in pattern else pattern.upper()


@lru_cache(maxsize=1)
def _default_templates() -> tuple[DateTemplate, ...]:
    """fail2ban's default list: anchored copies first, then the templates themselves."""
    base = [_single_template(p, _key(p)) for p in _DEFAULT_PATTERNS]
    copies = [
        replace(_single_template("{^LN-BEG}" + p, _key("{^LN-BEG}" + p)), weight=100.0)
        for p in _DEFAULT_PATTERNS
        if not p.startswith(("{^LN-BEG}", "^"))
    ]
    return tuple(copies + base)


def _unbound(regex: str) -> str:
    """A template without its boundaries, to put in place of ``{DATE}``."""
    for bound in _UNBOUND:
        regex = bound.sub("", regex)
    return regex


def _put_date(pattern: str, text: str) -> str:
    """``pattern`` with ``text`` in place of each ``{DATE}``."""
    return _DATE_TAG.sub(lambda _: text, pattern)


@lru_cache(maxsize=64)
def _date_templates(pattern: str) -> tuple[DateTemplate, ...]:
    """``pattern`` once per default template, that template in place of ``{DATE}``.

    As in fail2ban, ``EPOCH`` and ``TAI64N`` go in by name (``Epoch``, ``TAI64N``): the
    result is a Unix-time template only when that gives a keyword (``^{DATE}`` gives
    ``^Epoch``), otherwise a pattern that looks for the word itself."""
    out = []
    for default in _DEFAULT_PATTERNS:
        if default in ("EPOCH", "TAI64N"):
            named = _put_date(pattern, "Epoch" if default == "EPOCH" else default)
            out.append(_single_template(named, _key(named)))
        else:
            regex = _put_date(pattern, _unbound(default))
            out.append(_fields_template(regex, _put_date(pattern, default)))
    return tuple(out)


@lru_cache(maxsize=64)
def _parse_datepattern(datepattern: str) -> tuple[tuple[DateTemplate, ...], bool]:
    """The templates of a datepattern value, and whether it accepts lines without date."""
    templates: list[DateTemplate] = []
    for pattern in (p.strip() for p in datepattern.splitlines()):
        if not pattern:
            continue
        key = _key(pattern)
        if key == "{NONE}":
            return tuple(templates), True
        if key in ("{^LN-BEG}", "{DEFAULT}"):
            found = _default_templates()
            templates += [t for t in found if t.line_start or key == "{DEFAULT}"]
        elif "{DATE}" in key:
            templates += _date_templates(pattern)
        else:
            templates.append(_single_template(pattern, key))
    if not templates:
        return _default_templates(), False
    unique: dict[str, DateTemplate] = {}
    for template in templates:
        unique.setdefault(template.name, template)  # the first of each name
    return tuple(unique.values()), False


def _group_spans(regex: str) -> list[list[int]] | None:
    """``[open, close]`` offsets of each capturing group of ``regex``, in number order;
    None when the regex cannot be read this simply."""
    spans: list[list[int]] = []
    stack: list[int] = []
    i, n = 0, len(regex)
    while i < n:
        c = regex[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = _class_end(regex, i)
        elif c == "(":
            capturing = regex[i + 1 : i + 2] != "?" or regex[i + 1 : i + 4] == "?P<"
            stack.append(len(spans) if capturing else -1)
            if capturing:
                spans.append([i, -1])
        elif c == ")":
            if not stack:
                return None
            index = stack.pop()
            if index >= 0:
                spans[index][1] = i
        i += 1
    return None if stack else spans


def _class_end(regex: str, i: int) -> int:
    """Offset of the ``]`` closing the character class opened at ``i``."""
    j = i + 1
    if regex[j : j + 1] == "^":
        j += 1
    if regex[j : j + 1] == "]":
        j += 1
    while j < len(regex) and regex[j] != "]":
        j += 2 if regex[j] == "\\" else 1
    return j


def _fields_in_group_one(compiled: re.Pattern[str]) -> bool:
    """True when every date field of the template lies inside its group 1."""
    if compiled.flags & re.VERBOSE:
        return False
    spans = _group_spans(compiled.pattern)
    if spans is None or len(spans) != compiled.groups:
        return False
    first_open, first_close = spans[0]
    return all(
        first_open < spans[index - 1][0] and spans[index - 1][1] < first_close
        for name, index in compiled.groupindex.items()
        if name in _FIELD_GROUPS and index > 1
    )


_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>")
_GROUP_REFERENCE = re.compile(r"\(\?P=(\w+)\)|\(\?\((\w+)\)")
_NUMBERED_REFERENCE = re.compile(r"\\[1-9]|\(\?\(\d")


def _finder(compiled: re.Pattern[str]) -> re.Pattern[str]:
    """``compiled`` without the named groups only ``epoch`` reads: the same matches,
    found faster. Kept: group 1, ``f``, and groups the regex refers back to."""
    source = compiled.pattern
    spans = _group_spans(source)
    if spans is None or len(spans) != compiled.groups or _NUMBERED_REFERENCE.search(source):
        return compiled
    keep = {"f"} | {a or b for a, b in _GROUP_REFERENCE.findall(source)}
    out: list[str] = []
    pos = 0
    for open_at, _ in spans[1:]:
        named = _NAMED_GROUP.match(source, open_at)
        if named and named.group(1) not in keep:
            out += (source[pos:open_at], "(?:")
            pos = named.end()
    if not out:
        return compiled
    return re.compile("".join(out) + source[pos:], compiled.flags)


# --------------------------------------------------------------------- date values


@dataclass(slots=True)
class _Fields:
    """The date fields read from a match (strptime's rules, as fail2ban applies them)."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    hour: int = 0
    minute: int = 0
    second: int = 0
    offset: int | None = None
    julian: int | None = None
    weekday: int | None = None
    week: int | None = None
    week_start: int = 0


_MONTH_NUMBER = {name: i for i, name in enumerate(_MONTHS, 1)}
_MONTH_NAME_NUMBER = {name: i for i, name in enumerate(_MONTH_NAMES, 1)}
_WEEKDAY = {name: i for i, name in enumerate(_DAYS)}
_WEEKDAY_NAME = {name: i for i, name in enumerate(_DAY_NAMES)}


def _lookup(table: dict[str, int], text: str) -> int:
    value = table.get(text.lower())
    if value is None:
        raise ValueError(text)
    return value


def _read_fields(groups: dict[str, str | None]) -> _Fields:
    """Fields from a match's named groups; ValueError when one cannot be read."""
    f = _Fields()
    for key, text in groups.items():
        if text is not None:
            _read_field(f, key, text, groups)
    return f


_NUMBERS = {"Y": "year", "m": "month", "d": "day", "H": "hour", "M": "minute", "S": "second"}


def _read_field(f: _Fields, key: str, text: str, groups: dict[str, str | None]) -> None:
    if key in _NUMBERS:
        setattr(f, _NUMBERS[key], int(text))
        return
    match key:
        case "y":
            f.year = int(text) + 2000  # fail2ban: two-digit years are 20xx
        case "b" | "B":
            f.month = _lookup(_MONTH_NUMBER if key == "b" else _MONTH_NAME_NUMBER, text)
        case "I":
            f.hour = _twelve_hour(int(text), groups.get("p"))
        case "a" | "A" | "w":
            f.weekday = _weekday(key, text)
        case "j":
            f.julian = int(text)
        case "U" | "W":
            f.week, f.week_start = int(text), (6 if key == "U" else 0)
        case "z" | "Z":
            f.offset = _zone_minutes(text)
            if f.offset is None:
                raise ValueError(text)


def _twelve_hour(hour: int, ampm: str | None) -> int:
    pm = (ampm or "").lower() == "pm"
    if hour == 12:
        return 12 if pm else 0
    return hour + 12 if pm else hour


def _weekday(key: str, text: str) -> int:
    """0 = Monday ... 6 = Sunday."""
    if key == "w":
        return (int(text) - 1) % 7
    return _lookup(_WEEKDAY if key == "a" else _WEEKDAY_NAME, text)


def _from_week(year: int, week: int, weekday: int, week_start: int) -> date:
    """The day of ``%U``/``%W`` week ``week`` (weeks start on ``week_start``)."""
    jan1 = date(year, 1, 1)
    first = jan1 + timedelta(days=(week_start - jan1.weekday()) % 7)
    return first + timedelta(days=(week - 1) * 7 + (weekday - week_start) % 7)


def _instant(day: date, f: _Fields, zone: tzinfo, now: float) -> tuple[float, bool]:
    """Epoch of ``day`` at the fields' time in ``zone``, and whether that reading holds
    whatever ``now`` is (False in the hour a DST change repeats)."""
    naive = datetime(day.year, day.month, day.day, f.hour, f.minute, f.second)
    early = naive.replace(tzinfo=zone).timestamp()
    late = naive.replace(tzinfo=zone, fold=1).timestamp()
    if late <= early:  # one reading, or a skipped time: the offset before the change
        return early, True
    return (late if late <= now else early), False


def _start_of(day: date, zone: tzinfo) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


Resolved = tuple[float | None, float, float]  # value, and the range of `now` it holds for


def _resolve(f: _Fields, tz: tzinfo, now: float) -> Resolved:
    """Epoch of the fields at ``now``, with the range of ``now`` that gives the same."""
    zone = tz if f.offset is None else timezone(timedelta(minutes=f.offset))
    today = datetime.fromtimestamp(now, zone).date()
    year = f.year if f.year is not None else today.year
    if f.julian is None and f.week is not None and f.weekday is not None:
        found = _from_week(year, f.week, f.weekday, f.week_start)
        f.julian = (found - date(year, 1, 1)).days + 1
    if f.julian is not None and (f.month is None or f.day is None):
        found = date(year, 1, 1) + timedelta(days=f.julian - 1)
        f.month, f.day = found.month, found.day
        if f.year is not None:
            f.year = found.year
    if f.month is None and f.day is None:
        return _resolve_time_only(f, zone, now, today)
    if f.month is None:
        raise ValueError("a day without a month")
    day = f.day if f.day is not None else 1
    if f.year is None:
        return _resolve_without_year(f, zone, now, date(today.year, 1, 1), (f.month, day))
    value, stable = _instant(date(f.year, f.month, day), f, zone, now)
    return (value, -_INF, _INF) if stable else (value, now, now)


def _resolve_time_only(f: _Fields, zone: tzinfo, now: float, today: date) -> Resolved:
    """Today at that time, or yesterday when today's is in the future."""
    if f.year is not None:
        today = today.replace(year=f.year)
    value, stable = _instant(today, f, zone, now)
    if value <= now:
        lo, hi = value, _start_of(today + timedelta(days=1), zone)
    else:
        lo, hi = _start_of(today, zone), value
        value, stable_before = _instant(today - timedelta(days=1), f, zone, now)
        stable = stable and stable_before
    return (value, lo, hi) if stable else (value, now, now)


def _resolve_without_year(
    f: _Fields, zone: tzinfo, now: float, jan1: date, month_day: tuple[int, int]
) -> Resolved:
    """In the year of ``now``, or the year before when that is more than a day ahead
    (or has no such day: February 29)."""
    month, day = month_day
    start, end = _start_of(jan1, zone), _start_of(jan1.replace(year=jan1.year + 1), zone)
    this: tuple[float, bool] | None
    try:
        this = _instant(date(jan1.year, month, day), f, zone, now)
    except ValueError:
        this = None
    if this is not None and this[0] <= now + _DAY:
        value, stable = this
        lo, hi = max(start, value - _DAY), end
    else:
        value, stable = _instant(date(jan1.year - 1, month, day), f, zone, now)
        lo, hi = start, (end if this is None else min(end, this[0] - _DAY))
        stable = stable and (this is None or this[1])
    return (value, lo, hi) if stable else (value, now, now)


def _read_epoch(text: str, long: bool) -> float:
    value = float(text)
    if long and len(text) >= 13:
        value /= 1_000_000 if len(text) >= 16 and "." not in text else 1000
    return value


def _evaluate(template: DateTemplate, m: re.Match[str], tz: tzinfo, now: float) -> Resolved:
    """The date of a match, and the range of ``now`` for which it stays the same."""
    try:
        if template.kind == "fields":
            return _resolve(_read_fields(m.groupdict()), tz, now)
        if template.kind == "tai64n":
            return float(int(m.group("tai64n")[1:16], 16)), -_INF, _INF
        return _read_epoch(m.group("epoch"), template.kind == "lepoch"), -_INF, _INF
    except (ValueError, OverflowError):
        return None, now, now  # not cached: some of these depend on now (February 29)


# ------------------------------------------------------------------------ detector


@dataclass(frozen=True, slots=True)
class DateHit:
    """Where a date was found: ``line[start:end]`` is the date text, ``template`` the
    template that found it."""

    start: int
    end: int
    template: DateTemplate


_Reserve = tuple[re.Match[str], int, tuple[int, int] | None]  # a match, its slot, its window


class _Slot:
    """A template in one detector's list, with its record (fail2ban's
    ``DateDetectorTemplate``): wins, and where it last found a date."""

    __slots__ = ("distance", "hits", "template")

    def __init__(self, template: DateTemplate) -> None:
        self.template = template
        self.hits = 0
        self.distance = 0x7FFFFFFF

    @property
    def weight(self) -> float:
        return self.hits * self.template.weight / max(1, self.distance)


class DateDetector:
    """Locate and read the dates of one log source (stateful: the previous line's
    template is tried first, as fail2ban does; use one detector per source)."""

    __slots__ = (
        "_cache",
        "_current",
        "_first_unused",
        "_hit",
        "_hours",
        "_last",
        "_line",
        "_match",
        "_minutes",
        "_slots",
        "_streak",
        "_tails",
        "_tz",
        "_window",
        "accepts_no_date",
    )

    def __init__(self, datepattern: str | None = None, *, tz: tzinfo = UTC) -> None:
        """Build the templates of ``datepattern`` (None: fail2ban's defaults); ``tz`` is
        the zone of dates that carry none. Raises FilterError for an invalid pattern."""
        if datepattern is None or not datepattern.strip():
            templates, self.accepts_no_date = _default_templates(), False
        else:
            templates, self.accepts_no_date = _parse_datepattern(datepattern)
        self._slots = [_Slot(t) for t in templates]
        self._first_unused = 0  # the first slot that never won
        self._tz = tz
        self._last = -1  # the slot that won on the previous line with a date ...
        self._current: DateTemplate | None = None  # ... its template ...
        self._match: re.Match[str] | None = None  # ... its match ...
        self._line = ""  # ... in that line ...
        self._window: tuple[int, int] | None = None  # ... where it was searched (None: all)
        self._hit: DateHit | None = None  # ... the hit returned for it
        self._streak = 0  # ... and its wins since, not yet counted in its slot
        self._cache: dict[str, tuple[DateTemplate, float | None, float, float]] = {}
        self._minutes: dict[tuple[object, ...], tuple[float, float, float]] = {}
        self._hours: dict[tuple[object, ...], tuple[float, float, float]] = {}
        # (template, date text without its final two-digit seconds) -> a minute's reading
        self._tails: dict[tuple[DateTemplate, str], tuple[float, float, float]] = {}

    @property
    def templates(self) -> tuple[DateTemplate, ...]:
        """The templates, in the order they are tried now."""
        return tuple(slot.template for slot in self._slots)

    def find(self, line: str) -> DateHit | None:
        """Where the date of ``line`` is; None when there is none."""
        template = self._current
        if template is None:
            return self._search(line, -1, None)
        if not template.anchored:
            return self._find_again(line, template, self._last)
        m = template.finder.search(line)
        if m is None:
            return self._search(line, self._last, None)
        self._match, self._line = m, line  # (the window stays None: anchored)
        self._streak += 1
        start, end = m.span(1)
        hit = self._hit
        if hit is not None and hit.start == start and hit.end == end:
            return hit  # the usual case: same template, same place as the line before
        return self._new_hit(start, end, template)

    def _find_again(self, line: str, template: DateTemplate, i: int) -> DateHit | None:
        """The previous template, not anchored: searched where the previous date was when
        the characters around that place agree, else in the whole line. Kept when found
        at the same place (or when it is the only template), else held in reserve."""
        assert self._match is not None
        pos, end = self._match.span()
        prev = self._line
        first, last = prev[pos : pos + 1], prev[end - 1 : end]
        if (
            line[pos - 1 : pos] == prev[pos - 1 : pos]
            or (line[pos : pos + 1] == first and not first.isalnum())
        ) and (
            line[end : end + 1] == prev[end : end + 1]
            or (line[end - 1 : end] == last and not last.isalnum())
        ):
            m, skip = template.finder.search(line, pos, end), -1
        else:
            m, skip = template.finder.search(line), i
        if m is None:
            return self._search(line, skip, None)
        window = None if skip >= 0 else (pos, end)
        if len(self._slots) == 1 or m.span() == (pos, end):
            return self._won(line, m, i, window)
        return self._search(line, skip, (m, i, window))

    def _search(self, line: str, skip: int, reserve: _Reserve | None) -> DateHit | None:
        """Try every template in order (fail2ban's rules for the winner)."""
        self._count_streak()
        slots = self._slots
        last = len(slots) - 1
        known = 1 if self._match is None else self._match.start()
        for i, slot in enumerate(slots):
            if i == skip:
                continue
            m = slot.template.finder.search(line)
            if m is None:
                continue
            if i == last or slot.template.anchored:
                return self._won(line, m, i)
            distance = m.start()
            if distance > slot.distance or distance > known:
                if reserve is None or distance < reserve[0].start():
                    reserve = (m, i, None)
                continue
            return self._won(line, m, i)
        return None if reserve is None else self._won(line, *reserve)

    def _count_streak(self) -> None:
        """Count the wins ``find`` took the quick way into the winner's slot."""
        if self._streak:
            assert self._match is not None
            slot = self._slots[self._last]
            slot.hits += self._streak
            slot.distance = self._match.start()
            self._streak = 0

    def _won(
        self, line: str, m: re.Match[str], i: int, window: tuple[int, int] | None = None
    ) -> DateHit | None:
        """Record the winner (and move it up the list, as fail2ban does); the hit, None
        when its date text is empty."""
        self._count_streak()
        slot = self._slots[i]
        slot.hits += 1
        slot.distance = m.start()
        if self._first_unused == i:
            self._first_unused += 1
        if i and i != self._last:
            i = self._move_up(i)
        self._last, self._current = i, slot.template
        self._match, self._line, self._window = m, line, window
        start, end = m.span(1)
        return self._new_hit(start, end, slot.template)

    def _move_up(self, num: int) -> int:
        """fail2ban's re-sorting: a winner moves to the first slot that never won (or half
        way up) when it weighs more there, else one step, else stays; its new index.

        fail2ban also moves a template over one unused for 5 minutes by the wall clock;
        rempart reads no clock, so only slots that never won count as unused."""
        slots = self._slots
        weight = slots[num].weight
        pos = self._first_unused if self._first_unused < num else num // 2
        if not (weight > slots[pos].weight or slots[pos].hits == 0):
            if pos == num - 1:
                return num
            pos = num - 1
            if not (weight > slots[pos].weight or slots[pos].hits == 0):
                return num
        slots.insert(pos, slots.pop(num))
        while self._first_unused < len(slots) and slots[self._first_unused].hits:
            self._first_unused += 1
        return pos

    def _new_hit(self, start: int, end: int, template: DateTemplate) -> DateHit | None:
        hit = self._hit = DateHit(start, end, template) if start < end else None
        return hit

    def epoch(self, line: str, hit: DateHit, now: float) -> float | None:
        """Seconds since the epoch (UTC) of the date ``hit`` found in ``line``; ``now``
        resolves dates without a year or a day. None when the text is not a date."""
        template = hit.template
        if not template.text_key:
            return self._epoch_of_match(line, hit, now)
        start, end = hit.start, hit.end
        key = line[start:end]
        f = template.fraction
        if f:
            m = self._match if hit is self._hit and line is self._line else None
            m = m or self._match_for(line, hit, template.finder)
            if m is None:
                return None
            cut = m.start(f)
            if cut >= 0:
                key = line[start:cut] + line[m.end(f) : end]
        cached = self._cache.get(key)
        if cached is not None and cached[0] is template and cached[2] <= now < cached[3]:
            return cached[1]
        seconds = key[-2:]
        minute = self._tails.get((template, key[:-2]))
        if minute is not None and minute[1] <= now < minute[2] and seconds.isdigit():
            return minute[0] + int(seconds)  # a known minute: no regex, no datetime
        return self._evaluate(line, hit, now, key)

    def _epoch_of_match(self, line: str, hit: DateHit, now: float) -> float | None:
        """Epoch of a Unix-time template, or of one whose fields spill out of the date
        text (cached by the whole match)."""
        m = self._match_for(line, hit)
        if m is None:
            return None
        if hit.template.kind != "fields":
            return _evaluate(hit.template, m, self._tz, now)[0]
        key = _key_text(line, m, hit.template)
        cached = self._cache.get(key)
        if cached is not None and cached[0] is hit.template and cached[2] <= now < cached[3]:
            return cached[1]
        return self._evaluate(line, hit, now, key)

    def _evaluate(self, line: str, hit: DateHit, now: float, key: str) -> float | None:
        m = self._match_for(line, hit)
        if m is None:
            return None
        if hit.template.kind == "fields" and "S" in m.re.groupindex:
            value, lo, hi = self._by_minute(hit.template, m, now)
        else:
            value, lo, hi = _evaluate(hit.template, m, self._tz, now)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = (hit.template, value, lo, hi)
        return value

    def _by_minute(self, template: DateTemplate, m: re.Match[str], now: float) -> Resolved:
        """The date of a match through a cache of minutes: reading a date costs a dict
        lookup when its minute was read before (logs rarely repeat a second, but often a
        minute). Exact: a minute is cached only when its 60 seconds read as the minute's
        start plus the seconds for every ``now`` in the cached range."""
        groups = m.groupdict()
        seconds = groups.pop("S")
        fraction = groups.pop("f", None)
        if seconds is None or not seconds.isdigit():
            return _evaluate(template, m, self._tz, now)
        key = (template, *groups.items())
        cached = self._minutes.get(key)
        if cached is None or not cached[1] <= now < cached[2]:
            cached = self._minute(template, groups, now)
            if cached is None:
                return _evaluate(template, m, self._tz, now)
            if len(self._minutes) >= _CACHE_LIMIT:
                self._minutes.clear()
            self._minutes[key] = cached
        base, lo, hi = cached
        s_start, s_end = m.span("S")
        if s_end == m.end(1) and s_end - s_start == 2 and fraction is None:
            # the seconds end the date text: later dates of this minute are found by their
            # text alone (see epoch)
            if len(self._tails) >= _CACHE_LIMIT:
                self._tails.clear()
            self._tails[(template, m.string[m.start(1) : s_start])] = cached
        return base + int(seconds), lo, hi

    def _minute(
        self, template: DateTemplate, groups: dict[str, str | None], now: float
    ) -> tuple[float, float, float] | None:
        """The reading of a minute's start and the range of ``now`` it holds for, through
        a cache of hours (one hour's readings are its start plus 60 s a minute when its
        first and last seconds are 3,599 s apart: no offset change inside)."""
        minutes = groups.get("M")
        if minutes is None or not minutes.isdigit():
            return self._span(groups, {"S": "00"}, {"S": "59"}, 59, now)
        key = (template, *((k, v) for k, v in groups.items() if k != "M"))
        hour = self._hours.get(key)
        if hour is None or not hour[1] <= now < hour[2]:
            hour = self._span(groups, {"M": "00", "S": "00"}, {"M": "59", "S": "59"}, 3599, now)
            if hour is None:
                return self._span(groups, {"S": "00"}, {"S": "59"}, 59, now)
            if len(self._hours) >= _CACHE_LIMIT:
                self._hours.clear()
            self._hours[key] = hour
        return hour[0] + 60 * int(minutes), hour[1], hour[2]

    def _span(
        self,
        groups: dict[str, str | None],
        first_fields: dict[str, str],
        last_fields: dict[str, str],
        length: int,
        now: float,
    ) -> tuple[float, float, float] | None:
        """The reading of a span's first second, when its last one reads ``length`` s
        later for every ``now`` of the returned range (else None)."""
        try:
            first, lo0, hi0 = _resolve(_read_fields({**groups, **first_fields}), self._tz, now)
            last, lo1, hi1 = _resolve(_read_fields({**groups, **last_fields}), self._tz, now)
        except (ValueError, OverflowError):
            return None
        lo, hi = max(lo0, lo1), min(hi0, hi1)
        if first is None or last is None or last - first != length or not lo <= now < hi:
            return None
        return first, lo, hi

    def _match_for(
        self, line: str, hit: DateHit, regex: re.Pattern[str] | None = None
    ) -> re.Match[str] | None:
        """The match of ``regex`` (default: the template's full regex) behind ``hit``:
        searched again as the last one was when ``hit`` is the last hit, else looked for
        in ``line``."""
        regex = regex or hit.template.regex
        if hit is self._hit and (line is self._line or line == self._line):
            if regex is hit.template.finder:
                return self._match
            window = self._window or (0, len(line))
            m = regex.search(line, *window)
            if m is not None and m.span(1) == (hit.start, hit.end):
                return m
        for pos in range(hit.start, -1, -1):
            m = regex.search(line, pos)
            if m is not None and m.span(1) == (hit.start, hit.end):
                return m
        return None


def _key_text(line: str, m: re.Match[str], template: DateTemplate) -> str:
    """The date text that decides the value: fraction digits left out."""
    start, end = m.span(0) if template.whole_key else m.span(1)
    if template.fraction:
        f_start, f_end = m.span("f")
        if f_start >= 0:
            return line[start:f_start] + line[f_end:end]
    return line[start:end]
