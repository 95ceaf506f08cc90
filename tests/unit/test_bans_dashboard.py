"""What the bans page adds below the web layer: the ban store's newest-first and per-day
reads, the report queue listing, the control table's new commands and ``for_user``; and
the page's pure helpers (search, evidence display, per-day table)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from ipaddress import ip_address, ip_network
from pathlib import Path

import pytest

from rempart.clock import FrozenClock
from rempart.errors import ControlError
from rempart.model import Ban
from rempart.services.control import acting_for
from rempart.services.control_requests import check_request
from rempart.store.bans import BanStore
from rempart.store.db import Database
from rempart.store.reports import NewReport, ReportStore
from rempart.web.bans import display_line, matches, per_day_table

T0 = 1_795_262_400.0  # 2026-11-21T12:00:00Z


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database.open(tmp_path / "state.db", clock=FrozenClock(T0)) as database:
        yield database


def _ban(address: str, start: float, jail: str = "sshd", prefix: int | None = None) -> Ban:
    parsed = ip_address(address)
    bits = prefix if prefix is not None else parsed.max_prefixlen
    return Ban(
        jail=jail,
        target=ip_network(f"{address}/{bits}", strict=False),
        address=parsed,
        start=start,
        end=start + 900,
        offence=1,
        failures=5,
        evidence=(f"Failed password for <b>x</b> from {address}",),
    )


def test_recent_is_newest_first_with_evidence_and_filters(db: Database) -> None:
    store = BanStore(db)
    store.add_many(
        [
            _ban("192.0.2.7", T0 - 300),
            _ban("198.51.100.9", T0 - 200, jail="nginx"),
            _ban("2001:db8::7", T0 - 100, prefix=64),
            _ban("192.0.2.70", T0),
        ]
    )
    assert [str(b.address) for b in store.recent()] == [
        "192.0.2.70",
        "2001:db8::7",
        "198.51.100.9",
        "192.0.2.7",
    ]
    assert store.recent(1)[0].evidence == ("Failed password for <b>x</b> from 192.0.2.70",)
    assert [str(b.address) for b in store.recent(jail="nginx")] == ["198.51.100.9"]
    in_net = store.recent(match=ip_network("192.0.2.0/24"))
    assert [str(b.address) for b in in_net] == ["192.0.2.70", "192.0.2.7"]
    # an address inside a /64 ban finds it
    assert len(store.recent(match=ip_network("2001:db8::1234/128"))) == 1
    assert [str(b.address) for b in store.recent(match="0.2.7")] == ["192.0.2.70", "192.0.2.7"]
    assert store.recent(match="%") == []  # taken literally
    assert store.recent(match="_") == []


def test_per_day_counts_by_local_day_and_jail(db: Database) -> None:
    store = BanStore(db)
    store.add_many([_ban("192.0.2.7", T0), _ban("192.0.2.8", T0 + 1), _ban("192.0.2.9", T0, "x")])
    store.add(_ban("192.0.2.10", T0 - 10 * 86400))
    day = datetime.fromtimestamp(T0).strftime("%Y-%m-%d")
    assert store.per_day(T0 - 86400) == [(day, "sshd", 2), (day, "x", 1)]


def test_the_report_queue_lists_what_is_waiting(db: Database) -> None:
    reports = ReportStore(db)
    new = [
        NewReport("sshd", ip_address(a), T0 - i, (18, 22), "c")
        for i, a in enumerate(("192.0.2.7", "192.0.2.8"))
    ]
    ids = reports.add(new, T0)
    reports.sent(ids[0], T0)
    waiting = reports.waiting_list()
    assert [str(r.address) for r in waiting] == ["192.0.2.8"]


def test_new_commands_and_their_arguments() -> None:
    assert check_request("recent", {}).args == {"limit": 100, "jail": None, "address": None}
    assert check_request("ban_days", {"days": 7}).args == {"days": 7}
    assert check_request("abuseipdb_queue", {}).args == {"limit": 100}
    unban = check_request("unban", {"address": "192.0.2.7", "for_user": "web:alice"})
    assert unban.args["for_user"] == "web:alice"
    with pytest.raises(ControlError):
        check_request("recent", {"limit": 0})
    with pytest.raises(ControlError):
        check_request("history", {"address": "192.0.2.7", "for_user": "x"})


def test_for_user_names_who_the_peer_acts_for() -> None:
    assert acting_for("uid=0(root)", None) == "uid=0(root)"
    assert acting_for("uid=998(rempart)", "web:alice") == "uid=998(rempart) for web:alice"
    for bad in ("web:a\nuid=0(root)", "a\x1b[2J", "x" * 65):
        with pytest.raises(ControlError):
            acting_for("uid=0(root)", bad)


def test_search_matches() -> None:
    ban = {"address": "192.0.2.7", "target": "192.0.2.0/24"}
    six = {"address": "2001:db8::7", "target": "2001:db8::/64"}
    assert matches(ban, "")
    assert matches(ban, "192.0.2.200")  # inside the banned network
    assert matches(ban, "192.0.0.0/16")
    assert matches(ban, "0.2.")
    assert not matches(ban, "198.51.100.7")
    assert not matches(ban, "2001:db8::/32")
    assert matches(six, "2001:DB8::1")
    assert matches(six, "2001:db8::/32")
    assert not matches(six, "192.0.2.0/24")
    assert not matches(ban, "not/a network")


def test_evidence_lines_show_control_characters() -> None:
    assert display_line("a\x1b[2Jb\r\nforged\tok") == "a\\x1b[2Jb\\x0d\\x0aforged\tok"
    assert display_line("é <script>") == "é <script>"  # escaping is the template's job
    long = display_line("A" * 5000)
    assert long.startswith("A" * 4096)
    assert long.endswith("[…+904]")


def test_per_day_table_sums_hosts() -> None:
    jails, rows = per_day_table(
        [
            [{"day": "2026-11-20", "jail": "sshd", "bans": 2}],
            [
                {"day": "2026-11-20", "jail": "sshd", "bans": 1},
                {"day": "2026-11-21", "jail": "nginx", "bans": 4},
            ],
        ]
    )
    assert jails == ["nginx", "sshd"]
    assert rows == [("2026-11-21", [4, 0], 4), ("2026-11-20", [0, 3], 3)]
