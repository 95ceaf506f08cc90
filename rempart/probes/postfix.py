"""Postfix: the mail queues from the spool, throughput and volume from the mail log.

Graphs keep the names and fields of Debian's Munin plugins so a Munin master keeps its RRDs:

- ``postfix_mailqueue`` (plugin ``postfix_mailqueue``): files in the active, deferred, maildrop,
  incoming, corrupt and hold queues, counted recursively (Munin runs ``find -type f | wc -l``);
- ``postfix_mailstats`` (plugin ``postfix_mailstats``): ``delivered`` and one ``r<reason>`` field
  per reject reason seen (``r550``, ``r5_7_1``, ``rheader``... as Munin names them), per minute;
  rempart adds ``deferred`` and ``bounced`` (delivery attempts) and ``rejected`` (all rejects,
  stored but not drawn, so the stack's total is not counted twice);
- ``postfix_mailvolume`` (plugin ``postfix_mailvolume``): ``volume``, the bytes of delivered
  mail (the ``size=`` that qmgr logged for the queue id, once per ``status=sent`` recipient).

The log is read incrementally (:class:`~rempart.probes.logtail.LogTail`): counters start at 0
when the probe starts, at the end of the log, like Munin's; DERIVE fields turn them into rates.

Log lines are attacker-influenced text (addresses, HELO names, remote replies). The line parser
:func:`parse_mail_line` only recognises Postfix's own line shapes after the syslog header, and
what it returns only ever increments a counter: a reject reason becomes a field only when it is
an SMTP code (``550``), an enhanced status code (``5.7.1``) or one of cleanup's words (``header``,
``body``...), at most :data:`MAX_REASONS` of them; anything else counts as ``rother``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rempart.errors import ProbeError
from rempart.metrics.model import Field, Graph, Series
from rempart.munin.names import clean_fieldname
from rempart.probes.logtail import LogTail
from rempart.probes.spool import count_files_or_fail, under

__all__ = [
    "MAX_REASONS",
    "QUEUES",
    "MailCounters",
    "MailEvent",
    "PostfixProbe",
    "mailqueue_graph",
    "mailstats_graph",
    "mailvolume_graph",
    "parse_mail_line",
]

QUEUES = ("active", "deferred", "maildrop", "incoming", "corrupt", "hold")
MAX_REASONS = 32
MAX_QUEUE_IDS = 100_000
_MAX_SIZE = 1 << 40

EventKind = Literal["sent", "deferred", "bounced", "reject", "size"]

# syslog header (classic "Jan 10 10:00:01 host" or RFC 3339 "2024-01-10T10:00:01.1+01:00 host"),
# then the Postfix program (postfix/smtpd, postfix/submission/smtpd, postfix-out/smtp...).
_LINE = re.compile(
    r"(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT[0-9:.+\-Z]+) \S+ "
    r"postfix[\w.\-]*/(?:[\w.\-]+/)*(?P<daemon>[\w\-]+)\[\d+\]: (?P<msg>.*)"
)
_QID = r"(?P<qid>[0-9A-Za-z]{5,20})"
_DELIVERY = re.compile(
    _QID + r": to=<[^>]*>, (?:orig_to=<[^>]*>, )?relay=[^,\s]+, (?:conn_use=\d+, )?"
    r"delay=[\d.]+, delays=[\d./]+, dsn=\d\.\d{1,3}\.\d{1,3}, "
    r"status=(?P<status>sent|deferred|bounced) "
)
_SIZE = re.compile(_QID + r": from=<.*>, size=(?P<size>\d{1,15}), nrcpt=\d+")
_SMTPD_REJECT = re.compile(r"(?:NOQUEUE|[0-9A-Za-z]{5,20}): (?:milter-)?reject: \S+ \S+ \S+ (\S+)")
_PROXY_REJECT = re.compile(r"(?:NOQUEUE|[0-9A-Za-z]{5,20}): proxy-reject: \S+ (\S+)")
_CLEANUP_REJECT = re.compile(r"[0-9A-Za-z]{5,20}: reject: (\S+)")
_CLEANUP_MILTER = re.compile(r"[0-9A-Za-z]{5,20}: milter-reject: \S+ \S+ \S+ (\S+)")
_REASON = re.compile(r"[45]\d\d|[45]\.\d{1,3}\.\d{1,3}|header|body|mime-header|nested-header")
_RECEIVERS = frozenset({"smtpd", "postscreen"})
_STATUS: dict[str, EventKind] = {"sent": "sent", "deferred": "deferred", "bounced": "bounced"}


@dataclass(frozen=True, slots=True)
class MailEvent:
    """What one mail log line says, for counting."""

    kind: EventKind
    queue_id: str = ""
    reason: str = ""  # reject reason: "550", "5.7.1", "header"... or "other"
    size: int = 0


def _reason(text: str) -> str:
    text = text.rstrip(":;,")
    return text if _REASON.fullmatch(text) else "other"


def _reject(daemon: str, msg: str) -> MailEvent | None:
    if daemon in _RECEIVERS:
        found = _PROXY_REJECT.match(msg) or _SMTPD_REJECT.match(msg)
    elif daemon == "cleanup":
        found = _CLEANUP_MILTER.match(msg) or _CLEANUP_REJECT.match(msg)
    else:
        return None
    return MailEvent("reject", reason=_reason(found.group(1))) if found else None


def parse_mail_line(line: str) -> MailEvent | None:
    """The countable event of one mail log line, or None (pure, never raises)."""
    if "status=" not in line and "reject: " not in line and "size=" not in line:
        return None  # most lines (connect, disconnect, client=...): skipped cheaply
    head = _LINE.match(line)
    if head is None:
        return None
    daemon, msg = head.group("daemon"), head.group("msg")
    if daemon == "qmgr":
        size = _SIZE.match(msg)
        if size:
            return MailEvent("size", size.group("qid"), size=min(int(size["size"]), _MAX_SIZE))
    delivery = _DELIVERY.match(msg)
    if delivery:
        return MailEvent(_STATUS[delivery.group("status")], delivery.group("qid"))
    if "reject: " in msg:
        return _reject(daemon, msg)
    return None


class MailCounters:
    """Counters fed with :class:`MailEvent` s (pure; bounded memory)."""

    def __init__(self, *, max_reasons: int = MAX_REASONS, max_queue_ids: int = MAX_QUEUE_IDS):
        self.delivered = 0
        self.deferred = 0
        self.bounced = 0
        self.volume = 0
        self.rejects: dict[str, int] = {}
        self._sizes: OrderedDict[str, int] = OrderedDict()
        self._max_reasons = max_reasons
        self._max_ids = max_queue_ids

    @property
    def rejected(self) -> int:
        return sum(self.rejects.values())

    def add(self, event: MailEvent) -> None:
        """Count one event."""
        if event.kind == "sent":
            self.delivered += 1
            self.volume += self._sizes.get(event.queue_id, 0)
        elif event.kind == "deferred":
            self.deferred += 1
        elif event.kind == "bounced":
            self.bounced += 1
        elif event.kind == "reject":
            self._reject(event.reason)
        else:
            self._size(event.queue_id, event.size)

    def feed(self, line: str) -> None:
        """Parse and count one log line."""
        event = parse_mail_line(line)
        if event is not None:
            self.add(event)

    def _reject(self, reason: str) -> None:
        if reason not in self.rejects and len(self.rejects) >= self._max_reasons:
            reason = "other"
        self.rejects[reason] = self.rejects.get(reason, 0) + 1

    def _size(self, queue_id: str, size: int) -> None:
        self._sizes[queue_id] = size
        self._sizes.move_to_end(queue_id)
        while len(self._sizes) > self._max_ids:
            self._sizes.popitem(last=False)


def mailqueue_graph() -> Graph:
    """Munin's ``postfix_mailqueue``."""
    labels = {"hold": "held"}
    return Graph(
        name="postfix_mailqueue",
        title="Postfix Mailqueue",
        category="postfix",
        vlabel="Mails in queue",
        total="Total",
        info="Messages in each Postfix queue (files in the spool).",
        fields=tuple(
            Field(q, labels.get(q, q), min=0, info=f"Files in the {q} queue.") for q in QUEUES
        ),
    )


def _counter(name: str, label: str, draw: str, info: str, *, graph: bool = True) -> Field:
    return Field(name, label, type="DERIVE", min=0, draw=draw, info=info, graph=graph)


def mailstats_graph(reasons: tuple[str, ...] = ()) -> Graph:
    """Munin's ``postfix_mailstats`` with the reject reasons seen so far."""
    fields = [
        _counter("delivered", "delivered", "AREA", "Deliveries (status=sent), per recipient."),
        _counter("deferred", "deferred", "STACK", "Delivery attempts deferred (status=deferred)."),
        _counter("bounced", "bounced", "STACK", "Deliveries bounced (status=bounced)."),
    ]
    for reason in sorted(reasons):
        info = f"Messages rejected with {reason} (smtpd, postscreen or cleanup)."
        fields.append(_counter(clean_fieldname("r" + reason), f"reject {reason}", "STACK", info))
    fields.append(_counter("rejected", "rejected", "LINE1", "All rejects.", graph=False))
    return Graph(
        name="postfix_mailstats",
        title="Postfix message throughput",
        category="postfix",
        vlabel="mails / ${graph_period}",
        args="--base 1000 -l 0",
        period="minute",
        total="Total",
        scale=False,
        info="Deliveries and rejects counted from the mail log since the agent started.",
        fields=tuple(fields),
    )


def mailvolume_graph() -> Graph:
    """Munin's ``postfix_mailvolume``."""
    return Graph(
        name="postfix_mailvolume",
        title="Postfix bytes throughput",
        category="postfix",
        vlabel="bytes / ${graph_period}",
        args="--base 1000 -l 0",
        info="Bytes of mail delivered (the size qmgr logged, once per delivered recipient).",
        fields=(
            Field(
                "volume",
                "delivered volume",
                type="DERIVE",
                min=0,
                unit="bytes",
                info="Bytes delivered.",
            ),
        ),
    )


class PostfixProbe:
    """Postfix queues (spool) and throughput (mail log, read incrementally)."""

    name = "postfix"
    background = False
    interval = 60.0

    def __init__(
        self,
        *,
        root: Path = Path("/"),
        spool: Path = Path("/var/spool/postfix"),
        log: Path = Path("/var/log/mail.log"),
        max_bytes: int = 16 << 20,
    ) -> None:
        self._spool = under(root, spool)
        self._tail = LogTail(under(root, log), max_bytes=max_bytes)
        self._counters = MailCounters()
        self._seen_log = False

    @property
    def counters(self) -> MailCounters:
        return self._counters

    def collect(self) -> tuple[Series, ...]:
        series: list[Series] = []
        if self._spool.is_dir():
            values = {q: float(count_files_or_fail(self.name, self._spool / q)) for q in QUEUES}
            series.append(Series(mailqueue_graph(), values))
        if self._tail.exists() or self._seen_log:
            self._seen_log = True
            self._read_log()
            series += self._log_series()
        return tuple(series)

    def _read_log(self) -> None:
        try:
            self._tail.read(self._counters.feed)
        except OSError as exc:
            raise ProbeError(
                "probe.apps.unreadable", probe=self.name, path=str(self._tail.path), reason=str(exc)
            ) from exc

    def _log_series(self) -> list[Series]:
        c = self._counters
        values: dict[str, float | None] = {
            "delivered": c.delivered,
            "deferred": c.deferred,
            "bounced": c.bounced,
        }
        for reason, count in c.rejects.items():
            values[clean_fieldname("r" + reason)] = count
        values["rejected"] = c.rejected
        stats = Series(mailstats_graph(tuple(c.rejects)), values)
        return [stats, Series(mailvolume_graph(), {"volume": c.volume})]
