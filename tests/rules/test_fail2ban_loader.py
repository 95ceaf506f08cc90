"""Loading fail2ban filter files: includes, overrides, interpolation, options, tags."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path, PurePath

import pytest

from rempart.errors import FilterError
from rempart.guard.definition import FilterDefinition
from rempart.rules.fail2ban import load_fail2ban_filter
from rempart.rules.fail2ban_ini import read_config

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "fail2ban"
D = PurePath("/etc/fail2ban/filter.d")


class Files:
    """Configuration files from a dict: the loader's read seam, without a disk."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = {D / name: text for name, text in files.items()}
        self.read_paths: list[PurePath] = []

    def read(self, path: PurePath) -> str | None:
        self.read_paths.append(path)
        return self.files.get(path)

    def list(self, directory: PurePath) -> Sequence[str]:
        return [p.name for p in self.files if p.parent == directory]


def load(files: dict[str, str], name: str = "demo", **options: str) -> FilterDefinition:
    return load_fail2ban_filter(D / f"{name}.conf", options, files=Files(files))


COMMON = """
[INCLUDES]
after = common.local

[DEFAULT]
logtype = file
_daemon = \\S*
__prefix_line = <lt_<logtype>/__prefix_line>
datepattern = <lt_<logtype>/datepattern>

[lt_file]
__prefix_line = \\s*%(_daemon)s\\[\\d+\\]:\\s+
datepattern = {^LN-BEG}

[lt_journal]
__prefix_line = \\s*
datepattern = %(lt_file/datepattern)s
"""

DEMO = """
[INCLUDES]
before = common.conf

[DEFAULT]
_daemon = demo

[Definition]
mode = normal
mdre-normal = ^bad password from <HOST>$
mdre-aggressive = %(mdre-normal)s
                  ^no such user from <HOST>$
failregex = ^%(__prefix_line)s<F-CONTENT>.+</F-CONTENT>$
failregex = <mdre-<mode>>
ignoreregex = ^bad password from 192\\.0\\.2\\.1$  ; a comment
maxlines = 1
journalmatch = _SYSTEMD_UNIT=demo.service + _COMM=demo
"""


def test_modes_and_multi_line_values() -> None:
    with pytest.raises(FilterError, match=r"demo\.conf.*failregex"):
        load({"common.conf": COMMON, "demo.conf": DEMO})  # failregex twice in a section
    demo = DEMO.replace("failregex = ^%(__prefix_line)s<F-CONTENT>.+</F-CONTENT>$\n", "")
    normal = load({"common.conf": COMMON, "demo.conf": demo})
    assert normal.failregex == ("^bad password from <HOST>$",)
    aggressive = load({"common.conf": COMMON, "demo.conf": demo}, mode="aggressive")
    assert aggressive.failregex == ("^bad password from <HOST>$", "^no such user from <HOST>$")
    assert aggressive.ignoreregex == (r"^bad password from 192\.0\.2\.1$",)
    assert aggressive.options == {"mode": "aggressive"}
    assert aggressive.journalmatch == ("_SYSTEMD_UNIT=demo.service", "+", "_COMM=demo")
    assert aggressive.name == "demo"


def test_prefix_by_logtype_and_datepattern() -> None:
    demo = """
[INCLUDES]
before = common.conf
[DEFAULT]
_daemon = demo
[Definition]
prefregex = ^%(__prefix_line)s<F-CONTENT>.+</F-CONTENT>$
failregex = ^x <HOST>$
"""
    files = {"common.conf": COMMON, "demo.conf": demo}
    by_file = load(files)
    assert by_file.prefregex == r"^\s*demo\[\d+\]:\s+<F-CONTENT>.+</F-CONTENT>$"
    assert by_file.datepattern == "{^LN-BEG}"
    journal = load(files, logtype="journal")
    assert journal.prefregex == r"^\s*<F-CONTENT>.+</F-CONTENT>$"


def test_read_order_local_and_drop_ins() -> None:
    files = {
        "demo.conf": "[Definition]\nfailregex = ^conf <HOST>$\nignoreregex = ^conf$\n",
        "demo.d/10-a.conf": "[Definition]\nfailregex = ^d-conf <HOST>$\n",
        "demo.local": "[Definition]\nfailregex = %(known/failregex)s\n   ^local <HOST>$\n",
        "demo.d/20-b.local": "[Definition]\nignoreregex = ^d-local$\n",
    }
    definition = load(files)
    assert definition.failregex == ("^d-conf <HOST>$", "^local <HOST>$")
    assert definition.ignoreregex == ("^d-local$",)


def test_includes_before_after_and_their_local() -> None:
    files = {
        "base.conf": "[DEFAULT]\nword = base\n",
        "base.local": "[DEFAULT]\nword = base-local\n",
        "after.conf": "[Definition]\nignoreregex = ^from after %(word)s$\n",
        "demo.conf": (
            "[INCLUDES]\nbefore = base.conf\nafter = after.conf\n"
            "[Definition]\nfailregex = ^%(word)s <HOST>$\nignoreregex = ^mine$\n"
        ),
    }
    definition = load(files)
    assert definition.failregex == ("^base-local <HOST>$",)
    assert definition.ignoreregex == ("^from after base-local$",)
    order = [p.name for p in read_config(D / "demo.conf", Files(files)).files]
    assert order == ["base.conf", "base.local", "demo.conf", "after.conf"]


def test_interpolation_forms() -> None:
    files = {
        "demo.conf": """
[DEFAULT]
host_re = <HOST>
[Other]
word = other-%(__name__)s
[Definition]
pct = 100%%
failregex = ^%(Other/word)s %(__name__)s %(pct)s %(host_re)s$
""",
    }
    # like configparser: the referenced value is interpolated where it is used
    assert load(files).failregex == ("^other-Definition Definition 100% <HOST>$",)


def test_init_parameters_and_known() -> None:
    files = {
        "demo.conf": """
[Init]
user_re = \\S+
[Definition]
failregex = ^user <user_re> from <HOST> (<known/user_re>)$
""",
    }
    assert load(files).failregex == (r"^user \S+ from <HOST> (\S+)$",)
    assert load(files, user_re="[a-z]+").failregex == (r"^user [a-z]+ from <HOST> (\S+)$",)


def test_conditional_section() -> None:
    files = {
        "demo.conf": """
[Init]
family = inet4
addr = <IP4>
[Init?family=inet6]
addr = <IP6>
[Definition]
failregex = ^from <addr>$
""",
    }
    assert load(files).failregex == ("^from <IP4>$",)
    assert load(files, family="inet6").failregex == ("^from <IP6>$",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[Definition]\nfailregex = ^%(nope)s <HOST>$\n", r"demo\.conf.*failregex.*%\(nope\)s"),
        ("[Definition]\nfailregex = ^50% <HOST>$\n", r"demo\.conf.*failregex.*'%'"),
        ("[Definition]\nfailregex = <failregex>\n", r"failregex.*<failregex> refers to itself"),
        ("[Definition]\na = <b>\nb = <a>\nfailregex = <a>\n", r"refers to itself"),
        ("[Definition]\nignoreregex = ^x$\n", r"failregex: no regular expression"),
        ("[Definition]\nfailregex = ^<HOST>$\nmaxlines = zero\n", r"maxlines"),
        ("[Definition\nfailregex = x\n", r"demo\.conf"),
    ],
)
def test_errors_name_the_file_and_option(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        load({"demo.conf": text})


def test_usedns_no_matches_addresses_only() -> None:
    files = {"demo.conf": "[Definition]\nusedns = no\nfailregex = ^from <HOST>$\n"}
    assert load(files).failregex == ("^from <ADDR>$",)


def test_missing_file() -> None:
    with pytest.raises(FilterError, match=r"nothere\.conf.*cannot read"):
        load({}, name="nothere")


def test_reads_from_disk(tmp_path: Path) -> None:
    (tmp_path / "x.conf").write_text("[Definition]\nfailregex = ^x <HOST>$\n", encoding="utf-8")
    (tmp_path / "x.local").write_text("[Definition]\nmaxlines = 3\n", encoding="utf-8")
    definition = load_fail2ban_filter(tmp_path / "x.conf")
    assert definition.failregex == ("^x <HOST>$",)
    assert definition.maxlines == 3
    assert definition.origin == str(tmp_path / "x.conf")


def _groundtruth_options() -> list[tuple[str, dict[str, str]]]:
    seen: dict[str, tuple[str, dict[str, str]]] = {}
    with (FIXTURES / "groundtruth.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            key = record["filter"] + json.dumps(record["options"], sort_keys=True)
            seen[key] = (record["filter"], record["options"])
    return sorted(seen.values(), key=lambda item: (item[0], sorted(item[1].items())))


@pytest.mark.parametrize(("name", "options"), _groundtruth_options())
def test_every_fixture_filter_loads(name: str, options: dict[str, str]) -> None:
    definition = load_fail2ban_filter(FIXTURES / "filters" / f"{name}.conf", options)
    assert definition.failregex
    for regex in (*definition.failregex, definition.prefregex or "", definition.datepattern or ""):
        assert "%(" not in regex, regex
        for tag in ("<mode>", "<logtype>", "<lt_", "<mdre-", "<__"):
            assert tag not in regex, (tag, regex)
