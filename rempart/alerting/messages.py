"""The text of notifications (PURE): one round's alert transitions → messages per channel.

Grouped: one message per host per round (ten filling disks of one host make one message),
one per group for provider incidents. Each channel gets the same news in its own form:

- ``mail``: a subject (one line, no CR/LF, at most :data:`MAX_SUBJECT` characters) and a
  plain-text body;
- ``json`` webhooks: rempart's document (see :func:`json_document`), version
  :data:`JSON_VERSION`;
- ``slack`` webhooks: ``{"text": …}`` in Mattermost/Slack markdown, with node-controlled
  text (host names, graph titles, field labels, errors) escaped so it cannot format,
  link or mention anyone.

Node-controlled text is made plain first (:func:`plain`): control characters and line
breaks become spaces, length is bounded. Every size is bounded: at most
:data:`MAX_ALERTS` alerts are listed in one message (the rest counted), a body at most
:data:`MAX_BODY` characters.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal

from rempart.alerting.storage import OutgoingMessage
from rempart.alerting.values import AlertTransition
from rempart.i18n import render

__all__ = [
    "JSON_VERSION",
    "MAX_ALERTS",
    "MAX_BODY",
    "MAX_SUBJECT",
    "MAX_TEXT",
    "Channel",
    "Format",
    "Topic",
    "compose",
    "group_transitions",
    "json_document",
    "mail_body",
    "markdown_escape",
    "plain",
    "slack_document",
    "subject",
]

Format = Literal["mail", "json", "slack"]

JSON_VERSION = 1
MAX_TEXT = 200  # one label, title, detail or host name
MAX_SUBJECT = 200
MAX_ALERTS = 50  # at most this many alerts listed in one message; the others are counted
MAX_BODY = 16_000  # characters of a mail body or a Slack text (Mattermost takes 16,383)

_CHANGES = ("fired", "escalated", "eased", "resolved")
_SEVERITY_RANK = {"critical": 0, "warning": 1}
_CHANGE_RANK = {c: i for i, c in enumerate(_CHANGES)}
_MARKDOWN = set("\\`*_~[]()#|")


@dataclass(frozen=True, slots=True)
class Channel:
    """Where messages go: ``mail`` or ``webhook:<name>``, and in which form."""

    name: str
    format: Format


@dataclass(frozen=True, slots=True)
class Topic:
    """What one message is about: a host, or a group (provider incidents)."""

    kind: Literal["host", "incident"]
    name: str  # the host, or the group for an incident
    group: str


def plain(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` on one line: control and format characters (CR, LF, tab, NUL, U+2028,
    bidi overrides…) become spaces, runs of spaces one, cut to ``limit`` with "…"."""
    cleaned = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    line = " ".join(cleaned.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def markdown_escape(text: str) -> str:
    """``text`` (already :func:`plain`) safe in Mattermost/Slack markdown: ``& < >`` as
    entities (Slack's escaping, read by Mattermost too), markdown punctuation backslashed,
    ``@`` split from what follows so ``@channel``/``@all`` mention no one."""
    out: list[str] = []
    for c in text:
        if c == "&":
            out.append("&amp;")
        elif c == "<":
            out.append("&lt;")
        elif c == ">":
            out.append("&gt;")
        elif c == "@":
            out.append("@\u200b")
        elif c in _MARKDOWN:
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)


def group_transitions(
    transitions: Iterable[AlertTransition],
) -> list[tuple[Topic, list[AlertTransition]]]:
    """Transitions by topic (host, or group for incidents), topics in order of first
    appearance; in each, critical first, then by change and key."""
    groups: dict[Topic, list[AlertTransition]] = {}
    for tr in transitions:
        alert = tr.alert
        if alert.key.kind == "incident":
            topic = Topic("incident", alert.group or alert.key.host, alert.group or alert.key.host)
        else:
            topic = Topic("host", alert.key.host, alert.group)
        groups.setdefault(topic, []).append(tr)
    return [(topic, sorted(trs, key=_order)) for topic, trs in groups.items()]


def _order(tr: AlertTransition) -> tuple[int, int, object]:
    return (_SEVERITY_RANK[tr.alert.severity], _CHANGE_RANK[tr.change], tr.alert.key)


def compose(
    transitions: Sequence[AlertTransition],
    channels: Sequence[Channel],
    *,
    language: str,
    zone: tzinfo = UTC,
) -> list[OutgoingMessage]:
    """The messages of one round: for each topic (host, or group for incidents), one
    message per channel, in the channel's form."""
    out: list[OutgoingMessage] = []
    for topic, trs in group_transitions(transitions):
        title = subject(topic, trs, language)
        body = mail_body(topic, trs, language, zone)
        for channel in channels:
            if channel.format == "json":
                payload = json_document(topic, trs, title)
            elif channel.format == "slack":
                payload = slack_document(topic, trs, language, zone)
            else:
                payload = ""
            out.append(OutgoingMessage(channel.name, title, body, payload))
    return out


def _t(key: str, lang: str, **params: Any) -> str:
    return render(f"notify.{key}", lang, **params)


def _where(topic: Topic, lang: str) -> str:
    if topic.kind == "incident":
        return _t("where_group", lang, group=plain(topic.name, 64))
    return plain(topic.name, 64)


def _what(tr: AlertTransition, lang: str) -> str:
    alert = tr.alert
    if alert.title:
        return plain(alert.title)
    path = "/".join(p for p in (alert.key.graph, alert.key.field) if p)
    label = _t(f"kind.{alert.key.kind}", lang)
    return plain(f"{label} {path}" if path else label)


def subject(topic: Topic, transitions: Sequence[AlertTransition], lang: str) -> str:
    """One line, at most :data:`MAX_SUBJECT` characters, never a CR or LF."""
    where = _where(topic, lang)
    if len(transitions) == 1:
        tr = transitions[0]
        text = _t(
            "subject_one",
            lang,
            where=where,
            change=_t(f"change.{tr.change}", lang),
            severity=_t(f"severity.{tr.alert.severity}", lang),
            what=_what(tr, lang),
        )
    else:
        counts = {c: sum(1 for tr in transitions if tr.change == c) for c in _CHANGES}
        summary = ", ".join(_t(f"many.{c}", lang, count=n) for c, n in counts.items() if n)
        text = _t("subject_many", lang, where=where, count=len(transitions), summary=summary)
    return plain(text, MAX_SUBJECT)


def _when(at: float | None, zone: tzinfo) -> str:
    if at is None or not math.isfinite(at):
        return "-"
    return datetime.fromtimestamp(at, zone).strftime("%Y-%m-%d %H:%M %Z").strip()


def _value(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.6g}"


def _head(topic: Topic, transitions: Sequence[AlertTransition], lang: str, zone: tzinfo) -> str:
    at = _when(max(tr.at for tr in transitions), zone)
    if topic.kind == "incident":
        return _t("head_incident", lang, group=plain(topic.name, 64), at=at)
    return _t("head_host", lang, host=plain(topic.name, 64), group=plain(topic.group, 64), at=at)


def _alert_lines(tr: AlertTransition, lang: str, zone: tzinfo) -> list[str]:
    alert = tr.alert
    severity = _t(f"severity.{alert.severity}", lang).upper()
    change = _t(f"change.{tr.change}", lang)
    lines = ["* " + _t("line", lang, severity=severity, change=change, what=_what(tr, lang))]
    facts = _t(
        "facts",
        lang,
        value=_value(alert.value),
        since=_when(alert.since, zone),
        id=alert.id,
    )
    if tr.previous is not None:
        facts += " · " + _t("was", lang, severity=_t(f"severity.{tr.previous}", lang))
    lines.append("  " + facts)
    if alert.detail:
        lines.append("  " + plain(alert.detail))
    lines.append("  " + plain(str(alert.key)))
    if alert.ack_by:
        lines.append(
            "  " + _t("acked", lang, by=plain(alert.ack_by, 64), at=_when(alert.ack_at, zone))
        )
    return lines


def mail_body(
    topic: Topic, transitions: Sequence[AlertTransition], lang: str, zone: tzinfo = UTC
) -> str:
    """The plain-text body: a head line, one block per alert (as many as fit in
    :data:`MAX_ALERTS` and :data:`MAX_BODY`, the rest counted), how to acknowledge."""
    blocks = ["\n".join(_alert_lines(tr, lang, zone)) + "\n" for tr in transitions]
    shown, more = _fit(blocks, MAX_BODY - 1_000)
    lines = [_head(topic, transitions, lang, zone), "", *shown]
    if more:
        lines.extend([_t("more", lang, count=more), ""])
    firing = [tr.alert.id for tr in transitions if tr.change != "resolved" and not tr.alert.ack_by]
    if firing:
        lines.append(_t("ack_hint", lang, id=firing[0]))
    return "\n".join(lines) + "\n"


def _fit(blocks: Sequence[str], budget: int) -> tuple[list[str], int]:
    """The first blocks (at most :data:`MAX_ALERTS`) whose total fits ``budget``, and how
    many were left out."""
    shown: list[str] = []
    used = 0
    for block in blocks[:MAX_ALERTS]:
        used += len(block) + 1
        if used > budget:
            break
        shown.append(block)
    return shown, len(blocks) - len(shown)


def _number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _json_alert(tr: AlertTransition) -> dict[str, Any]:
    alert = tr.alert
    key = alert.key
    return {
        "id": alert.id,
        "key": {"kind": key.kind, "host": key.host, "graph": key.graph, "field": key.field},
        "severity": alert.severity,
        "previous": tr.previous,
        "change": tr.change,
        "status": alert.status,
        "value": _number(alert.value),
        "since": _number(alert.since),
        "fired_at": _number(alert.fired_at),
        "resolved_at": _number(alert.resolved_at),
        "title": plain(alert.title),
        "detail": plain(alert.detail),
        "ack": {"by": plain(alert.ack_by, 64), "at": _number(alert.ack_at)}
        if alert.ack_by
        else None,
    }


def json_document(topic: Topic, transitions: Sequence[AlertTransition], title: str) -> str:
    """rempart's webhook document::

        {"version": 1, "kind": "host"|"incident", "host": "web1", "group": "Gandi",
         "at": 1764583500.0, "subject": "…", "count": 2, "alerts": [
           {"id": 12, "key": {"kind": "threshold", "host": "web1", "graph": "df",
            "field": "_dev_sda1"}, "severity": "critical", "previous": "warning",
            "change": "escalated", "status": "firing", "value": 96.2, "since": …,
            "fired_at": …, "resolved_at": null, "title": "…", "detail": "…",
            "ack": null | {"by": "alice", "at": …}}]}

    Times are epoch seconds; ``host`` is the group's name for an incident; at most
    :data:`MAX_ALERTS` alerts (``count`` says how many there were)."""
    doc = {
        "version": JSON_VERSION,
        "kind": topic.kind,
        "host": topic.name,
        "group": topic.group,
        "at": max(tr.at for tr in transitions),
        "subject": title,
        "count": len(transitions),
        "alerts": [_json_alert(tr) for tr in transitions[:MAX_ALERTS]],
    }
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _slack_line(tr: AlertTransition, lang: str, zone: tzinfo) -> str:
    alert = tr.alert
    icon = (
        ":white_check_mark:"
        if tr.change == "resolved"
        else (":red_circle:" if alert.severity == "critical" else ":warning:")
    )
    severity = _t(f"severity.{alert.severity}", lang).upper()
    facts = _t(
        "facts", lang, value=_value(alert.value), since=_when(alert.since, zone), id=alert.id
    )
    change = _t(f"change.{tr.change}", lang)
    line = _t("line", lang, severity=f"**{severity}**", change=change, what="\0")
    text = f"{icon} " + line.replace("\0", markdown_escape(_what(tr, lang)))
    text += f" — {markdown_escape(facts)}"
    if alert.detail:
        text += f" — {markdown_escape(plain(alert.detail))}"
    return text


def slack_document(
    topic: Topic, transitions: Sequence[AlertTransition], lang: str, zone: tzinfo = UTC
) -> str:
    """``{"text": …}`` for a Mattermost or Slack incoming webhook."""
    lines = [f"**{markdown_escape(_head(topic, transitions, lang, zone))}**"]
    shown, more = _fit([_slack_line(tr, lang, zone) for tr in transitions], MAX_BODY - 1_000)
    lines.extend(shown)
    if more:
        lines.append(markdown_escape(_t("more", lang, count=more)))
    text = "\n".join(lines)
    return json.dumps({"text": text}, ensure_ascii=False, allow_nan=False)
