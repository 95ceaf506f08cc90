"""The text of notifications: grouping, FR/EN, the JSON and Slack documents, hostile labels."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from rempart.alerting.messages import (
    JSON_VERSION,
    MAX_ALERTS,
    MAX_BODY,
    MAX_SUBJECT,
    MAX_TEXT,
    Channel,
    compose,
    markdown_escape,
    plain,
)
from rempart.alerting.values import Alert, AlertKey, AlertTransition, Change, Severity

T0 = 1764583200.0  # 2025-12-01 10:00 UTC
CHANNELS = [
    Channel("mail", "mail"),
    Channel("webhook:hook", "json"),
    Channel("webhook:chat", "slack"),
]


def transition(
    host: str = "web1",
    field: str = "_dev_sda1",
    *,
    id: int = 1,
    kind: str = "threshold",
    graph: str = "df",
    group: str = "Gandi",
    severity: Severity = "critical",
    change: Change = "fired",
    title: str = "Disk usage in percent /var",
    detail: str = "warning 85, critical 95",
    value: float | None = 96.5,
) -> AlertTransition:
    key = AlertKey(kind, host, graph, field)  # type: ignore[arg-type]
    status = "resolved" if change == "resolved" else "firing"
    alert = Alert(id, key, group, severity, status, T0 - 600, fired_at=T0, value=value,
                  title=title, detail=detail)  # fmt: skip
    return AlertTransition(alert, change, T0)


def ten_disks(host: str = "web1") -> list[AlertTransition]:
    return [
        transition(host, f"_dev_sd{chr(97 + i)}", id=i + 1, title=f"Disk /srv{i}")
        for i in range(10)
    ]


def test_ten_disk_alerts_of_one_host_make_one_message_per_channel() -> None:
    out = compose(ten_disks(), CHANNELS, language="en")
    assert [m.channel for m in out] == ["mail", "webhook:hook", "webhook:chat"]
    mail = out[0]
    assert mail.subject == "[rempart] web1: 10 alerts (10 fired)"
    assert all(f"Disk /srv{i}" in mail.body for i in range(10))
    doc = json.loads(out[1].payload)
    assert doc["count"] == 10
    assert len(doc["alerts"]) == 10
    assert mail.payload == ""


def test_one_message_per_host_and_one_per_group_for_incidents() -> None:
    incident = transition("Gandi", "", id=50, kind="incident", graph="io", title="")
    trs = [*ten_disks("web1"), transition("web2", id=20), incident, transition("web1", id=30)]
    out = compose(trs, [Channel("mail", "mail")], language="en")
    assert [m.subject.split(":")[0] for m in out] == [
        "[rempart] web1",
        "[rempart] web2",
        "[rempart] incident in group Gandi",
    ]
    assert "alert 30" in out[0].body  # the late web1 transition joined its host's message


def test_no_transitions_no_message() -> None:
    assert compose([], CHANNELS, language="fr") == []


def test_english_text() -> None:
    tr = transition(severity="warning", change="fired", value=88.25)
    (mail,) = compose([tr], [Channel("mail", "mail")], language="en")
    assert mail.subject == "[rempart] web1: warning fired: Disk usage in percent /var"
    assert mail.body.startswith("Host web1 (group Gandi), 2025-12-01 10:00 UTC\n")
    assert "* WARNING fired: Disk usage in percent /var" in mail.body
    assert "value 88.25 · since 2025-12-01 09:50 UTC · alert 1" in mail.body
    assert "rempart ack 1" in mail.body


def test_french_text() -> None:
    trs = [transition(id=1), transition(field="b", id=2, change="resolved", severity="warning")]
    (mail,) = compose(trs, [Channel("mail", "mail")], language="fr")
    assert mail.subject == "[rempart] web1 : 2 alertes (1 déclenchées, 1 résolues)"
    assert mail.body.startswith("Hôte web1 (groupe Gandi), 2025-12-01 10:00 UTC\n")
    assert "* CRITIQUE déclenchée : Disk usage in percent /var" in mail.body
    assert "* AVERTISSEMENT résolue : " in mail.body
    assert "valeur 96.5 · depuis 2025-12-01 09:50 UTC · alerte 1" in mail.body
    assert "Acquitter" in mail.body


def test_escalation_says_what_it_was_and_alerts_without_title_say_their_kind() -> None:
    tr = transition(title="", change="escalated")
    tr = AlertTransition(tr.alert, "escalated", T0, previous="warning")
    down = transition("web3", "", id=7, kind="unreachable", graph="", title="", value=None)
    out = compose([tr, down], [Channel("mail", "mail")], language="en")
    assert "* CRITICAL escalated: out of range df/_dev_sda1" in out[0].body
    assert "was warning" in out[0].body
    assert out[1].subject == "[rempart] web3: critical fired: node unreachable"
    assert "value -" in out[1].body


def test_json_document() -> None:
    tr = transition(value=float("nan"))
    (msg,) = compose([tr], [Channel("webhook:hook", "json")], language="en")
    doc = json.loads(msg.payload)
    assert doc["version"] == JSON_VERSION
    assert (doc["kind"], doc["host"], doc["group"], doc["at"]) == ("host", "web1", "Gandi", T0)
    assert doc["subject"] == msg.subject
    (alert,) = doc["alerts"]
    assert alert["key"] == {"kind": "threshold", "host": "web1", "graph": "df",
                            "field": "_dev_sda1"}  # fmt: skip
    assert alert["value"] is None  # NaN is not JSON
    assert (alert["severity"], alert["change"], alert["since"]) == ("critical", "fired", T0 - 600)
    assert alert["title"] == "Disk usage in percent /var"
    assert alert["ack"] is None


def test_slack_payload_shape() -> None:
    (msg,) = compose(ten_disks()[:2], [Channel("webhook:chat", "slack")], language="en")
    doc = json.loads(msg.payload)
    assert list(doc) == ["text"]
    lines = doc["text"].split("\n")
    assert lines[0] == "**Host web1 \\(group Gandi\\), 2025-12-01 10:00 UTC**"
    assert lines[1].startswith(":red_circle: **CRITICAL** fired: Disk /srv0 — value 96.5")
    assert len(lines) == 3


HOSTILE = "<script>alert(1)</script>\r\nBcc: victim@example.org\r\n\r\n@channel *x* [a](http://e)"


def test_hostile_label_stays_plain_bounded_and_cannot_inject_headers() -> None:
    tr = transition(title=HOSTILE + "x" * 10_000, detail="\x00\x1b[31m" + "y" * 10_000)
    out = compose([tr], CHANNELS, language="en")
    mail, hook, chat = out
    assert "\r" not in mail.subject
    assert "\n" not in mail.subject
    assert len(mail.subject) <= MAX_SUBJECT
    for line in mail.body.splitlines():
        assert len(line) <= MAX_TEXT + 40
        assert "\x00" not in line
        assert "\x1b" not in line
    assert "Bcc: victim" in mail.body
    assert "\nBcc:" not in mail.body
    alert = json.loads(hook.payload)["alerts"][0]
    assert len(alert["title"]) == MAX_TEXT
    assert "\n" not in alert["title"]
    text = json.loads(chat.payload)["text"]
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert "@channel" not in text
    assert "@\u200bchannel" in text
    assert "\\*x\\*" in text
    assert "\\[a\\]\\(http" in text
    assert len(text.split("\n")) == 2


def test_many_alerts_are_counted_not_listed() -> None:
    trs = [transition(field=f"f{i}", id=i, title="t" * 300) for i in range(500)]
    out = compose(trs, CHANNELS, language="en")
    assert len(out) == 3
    mail, hook, chat = out
    assert len(mail.body) <= MAX_BODY
    listed = mail.body.count("\n* CRITICAL fired")
    assert 10 < listed <= MAX_ALERTS
    assert f"{500 - listed} more alerts" in mail.body
    assert len(json.loads(hook.payload)["alerts"]) == MAX_ALERTS
    assert len(json.loads(chat.payload)["text"]) <= MAX_BODY


def test_markdown_escape() -> None:
    assert markdown_escape("a_b*c`d") == "a\\_b\\*c\\`d"
    assert markdown_escape("<!channel> & co") == "&lt;!channel&gt; &amp; co"


@given(st.text(max_size=400))
def test_plain_is_one_bounded_line(text: str) -> None:
    out = plain(text, 50)
    assert len(out) <= 50
    assert not any(c in out for c in "\r\n\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
    assert out == out.strip()


@given(st.text(max_size=300), st.text(max_size=100), st.sampled_from(["en", "fr"]))
def test_subject_never_breaks_a_line(title: str, host: str, lang: str) -> None:
    out = compose([transition(host or "h", title=title)], CHANNELS, language=lang)
    for msg in out:
        assert "\r" not in msg.subject
        assert "\n" not in msg.subject
        assert len(msg.subject) <= MAX_SUBJECT
        json.loads(msg.payload or "{}")
