"""The agent's side of the control socket: the commands of ``rempart status``, ``bans``,
``ban``, ``unban``, ``allow`` and ``history``, and the dashboard's ``recent``, ``ban_days``
and ``abuseipdb_queue``, answered with JSON-able values.

Arguments arrive as text from the socket; they are validated here (address syntax,
known jail, positive durations) and refused with a :class:`~rempart.errors.UsageError`
whose message says what to write instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from ipaddress import ip_network
from typing import TYPE_CHECKING, Any

from rempart import __version__
from rempart.addresses import Address, Network, parse_address
from rempart.errors import AbuseIPDBError, UsageError
from rempart.services.agent_probes import probes_answer
from rempart.store.bans import BanStore, StoredBan
from rempart.store.reports import ReportStore

if TYPE_CHECKING:
    from rempart.services.abuse import AbuseIPDB
    from rempart.services.agent import Agent

__all__ = ["AgentControl"]

_MAX_DURATION = 10 * 365 * 86400.0


def _stored(record: StoredBan, evidence: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "jail": record.jail,
        "target": str(record.target),
        "address": str(record.address),
        "start": record.start,
        "end": record.end,
        "offence": record.offence,
        "failures": record.failures,
        "reason": record.reason,
    }
    if evidence:
        out |= {
            "lifted_at": record.lifted_at,
            "lifted_by": record.lifted_by,
            "evidence": list(record.evidence),
        }
    return out


def _match(text: str) -> Network | str:
    """An address or network given as text, as a network; any other text as itself."""
    text = text.strip()
    address = parse_address(text)
    if address is not None:
        return ip_network(address)
    if "/" in text:
        try:
            return ip_network(text, strict=False)
        except ValueError:
            pass
    return text


class AgentControl:
    """:class:`~rempart.services.control.AgentCommands` for a running :class:`Agent`."""

    def __init__(self, agent: Agent) -> None:
        self._agent = agent

    async def status(self) -> dict[str, Any]:
        agent = self._agent
        metrics = agent.counters()
        return {
            "version": __version__,
            "started": agent.started,
            "pid": agent.pid,
            "firewall": {"backend": agent.firewall_name, "detail": agent.firewall_detail},
            "jails": {
                name: {
                    "failures": c.failures,
                    "bans": c.bans,
                    "spared": c.spared,
                    "active": c.active,
                    "tracked": c.tracked,
                }
                for name, c in metrics.jails.items()
            },
            "sources": {
                name: {"jail": s.jail, "lines": s.lines, "lag": s.lag, "errors": s.errors}
                for name, s in metrics.sources.items()
            },
            "active_bans": metrics.active_bans,
            "firewall_errors": metrics.firewall_errors,
            "state_errors": metrics.state_errors,
            "state_dir": str(agent.state_dir),
            "abuseipdb": None if agent.abuse is None else agent.abuse.status(),
            "metrics": [
                {"name": s.name, "labels": dict(s.labels), "value": s.value}
                for s in [*metrics.samples(), *(agent.abuse.samples() if agent.abuse else ())]
            ],
        }

    async def bans(self, jail: str | None) -> list[dict[str, Any]]:
        agent = self._agent
        if jail is not None:
            self._jail(jail)
        now = agent.clock.now()
        records = await agent.writer.run(lambda db: BanStore(db).active(now, jail))
        return [_stored(r) for r in records]

    async def ban(self, address: str, jail: str, duration: float | None, by: str) -> dict[str, Any]:
        parsed = self._address(address)
        self._jail(jail)
        ban = self._agent.ban_by_hand(parsed, jail, self._duration(duration), by)
        return {"jail": ban.jail, "target": str(ban.target), "start": ban.start, "end": ban.end}

    async def unban(self, address: str, jail: str | None, by: str) -> dict[str, Any]:
        parsed = self._address(address)
        if jail is not None:
            self._jail(jail)
        lifted = await self._agent.unban(parsed, jail, by)
        return {"lifted": [{"jail": r.jail, "target": str(r.target)} for r in lifted]}

    async def allow(self, address: str, duration: float | None, by: str) -> dict[str, Any]:
        parsed = self._address(address)
        target, until = await self._agent.allow(parsed, self._duration(duration), by)
        return {"target": str(target), "until": until}

    async def history(self, address: str, limit: int) -> list[dict[str, Any]]:
        parsed = self._address(address)  # limit: checked by the request parser (1–10,000)
        records = await self._agent.writer.run(lambda db: BanStore(db).history(parsed, limit))
        return [_stored(r, evidence=True) for r in records]

    async def recent(
        self, limit: int, jail: str | None, address: str | None
    ) -> list[dict[str, Any]]:
        """The newest bans with their evidence; ``address``: an address or network (bans
        overlapping it), else a part of an address (e.g. "203.0.113.")."""
        match = None if address is None else _match(address)
        records = await self._agent.writer.run(lambda db: BanStore(db).recent(limit, jail, match))
        return [_stored(r, evidence=True) for r in records]

    async def ban_days(self, days: int) -> list[dict[str, Any]]:
        """Bans per local day and jail over the last ``days`` days (today included)."""
        if not 1 <= days <= 3660:
            raise UsageError("usage.invalid", detail="days: 1 to 3660")
        today = datetime.fromtimestamp(self._agent.clock.now()).date()
        first = today - timedelta(days=days - 1)
        since = datetime.combine(first, datetime.min.time()).timestamp()
        rows = await self._agent.writer.run(lambda db: BanStore(db).per_day(since))
        return [{"day": day, "jail": jail, "bans": count} for day, jail, count in rows]

    async def abuseipdb_queue(self, limit: int) -> list[dict[str, Any]]:
        """The AbuseIPDB reports still to send, the next due first (empty when off)."""
        rows = await self._agent.writer.run(lambda db: ReportStore(db).waiting_list(limit))
        return [
            {
                "id": r.id,
                "jail": r.jail,
                "address": str(r.address),
                "attack_at": r.attack_at,
                "categories": list(r.categories),
                "queued_at": r.queued_at,
                "attempts": r.attempts,
                "unsure": r.unsure,
                "next_try": r.next_try,
            }
            for r in rows
        ]

    async def abuseipdb_status(self) -> dict[str, Any]:
        abuse = self._agent.abuse
        if abuse is None:
            return {"enabled": False, "problem": None, "blocklist": None, "reports": None}
        return abuse.status()

    async def abuseipdb_check(self, address: str, days: int, verbose: bool) -> dict[str, Any]:
        parsed = self._address(address)
        if not 1 <= days <= 365:
            raise UsageError("usage.invalid", detail="--days: 1 to 365")
        return await self._abuse().check(str(parsed), days, verbose)

    async def abuseipdb_flush(self) -> dict[str, Any]:
        return await self._abuse().flush()

    async def probes_status(self) -> dict[str, Any]:
        """The probes (collected now when stale), the plugins and the metrics services."""
        runtime = self._agent.probes
        if runtime is None:
            return probes_answer(False, [])
        return await runtime.status()

    def _abuse(self) -> AbuseIPDB:
        abuse = self._agent.abuse
        if abuse is None:
            raise AbuseIPDBError("abuseipdb.cli.off")
        return abuse

    def _address(self, text: str) -> Address:
        address = parse_address(text.strip())
        if address is None:
            raise UsageError(
                "usage.invalid",
                detail=f"{text[:80]!r} is not an IPv4 or IPv6 address "
                "(e.g. 192.0.2.7, 2001:db8::7)",
            )
        return address

    def _jail(self, name: str) -> None:
        if name not in self._agent.jails:
            known = ", ".join(sorted(self._agent.jails)) or "none"
            raise UsageError(
                "usage.invalid", detail=f"no running jail named {name[:40]!r} (jails: {known})"
            )

    @staticmethod
    def _duration(value: float | None) -> float | None:
        if value is None:
            return None
        if not 0 < value <= _MAX_DURATION:
            raise UsageError("usage.invalid", detail="a duration must be from 1s to 10 years")
        return float(value)
