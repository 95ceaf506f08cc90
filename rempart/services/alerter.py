"""The alerter of the supervision server: after each poll round, observations → state machine
→ alerts saved → transitions for the notifier.

:meth:`Alerter.evaluate` is blocking and runs in the server database's one writer thread
(it reads the open alerts, the ``df`` history for the forecast, and saves). It keeps in
memory what it needs between rounds: the graphs each host described (seeded from the metrics
store on first sight, for ``no_data``), the series that had values since the start (a field
stuck at "unknown" since before a restart raises no ``no_data``), and the previous round's
time (for ``repeat`` reminders), and each filesystem's last forecast (fitted again every
:data:`FORECAST_EVERY` seconds: a day of history barely moves in 5 minutes). Transitions of
host alerts held back by a provider incident are not returned (counted in
:attr:`Alerter.held`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from rempart.alerting.evaluate import (
    disk_full_observation,
    enabled,
    gone_observations,
    no_data_observations,
    threshold_observations,
    unreachable_observations,
)
from rempart.alerting.forecast import Forecast, days_until_full
from rempart.alerting.incident import degradations, held_back, incident_observations, released
from rempart.alerting.machine import Observation, Step, step
from rempart.alerting.storage import AlertStore
from rempart.alerting.values import Alert, AlertKey, AlertTransition
from rempart.config.server import AlertsConfig, IncidentConfig
from rempart.metrics.model import Graph
from rempart.metrics.series import STEP, NodeRound, NodeStatus, SeriesKey
from rempart.metrics.storage import MetricsStore

__all__ = ["DF_GRAPH", "FORECAST_EVERY", "Alerter"]

DF_GRAPH = "df"  # the graph the disk-full forecast watches (percent used per filesystem)
FORECAST_EVERY = 900.0  # seconds a filesystem's forecast is reused before it is fitted again


class Alerter:
    """See the module documentation. ``groups``: group name → its hosts (the nodes)."""

    def __init__(
        self,
        alerts: AlertStore,
        metrics: MetricsStore,
        config: AlertsConfig,
        incident: IncidentConfig,
        groups: Mapping[str, tuple[str, ...]],
    ) -> None:
        self._alerts = alerts
        self._metrics = metrics
        self._config = config
        self._incident = incident
        self._groups = dict(groups)
        self._members = {host: g for g, hosts in groups.items() for host in hosts}
        self._known: dict[str, dict[str, Graph]] = {}
        self._had_data: set[SeriesKey] = set()
        self._previous: float | None = None
        self._forecasts: dict[SeriesKey, tuple[float, Forecast | None]] = {}
        self.held = 0  # transitions held back by incidents since the start

    def evaluate(
        self, rounds: Sequence[NodeRound], statuses: Sequence[NodeStatus], at: float
    ) -> list[AlertTransition]:
        """One round: observe, step the machine, save, and return what to tell people."""
        open_alerts = self._alerts.open_alerts()
        open_keys = {a.key for a in open_alerts}
        observations = self._observe(rounds, statuses, at, open_keys)
        answering = {r.node: r.group for r in rounds if r.ok}
        observed = {o.key for o in observations}
        titled = ((a.key, a.title) for a in open_alerts)
        lang = self._config.language
        observations += gone_observations(titled, observed, answering, lang)
        result = step(
            open_alerts, observations, at, repeat=self._config.repeat, previous=self._previous
        )
        transitions = self._save(result, open_alerts, at)
        self._remember(rounds)
        self._previous = at
        return transitions

    # ------------------------------------------------------------------ observations

    def _observe(
        self,
        rounds: Sequence[NodeRound],
        statuses: Sequence[NodeStatus],
        at: float,
        open_keys: set[AlertKey],
    ) -> list[Observation]:
        c = self._config
        out: list[Observation] = []
        for rnd in rounds:
            if not rnd.ok:
                continue
            out += threshold_observations(
                rnd,
                rules=c.rules,
                default_for=c.for_,
                hysteresis=c.hysteresis,
                open_keys=open_keys,
                lang=c.language,
            )
            out += no_data_observations(
                rnd,
                self._known_graphs(rnd.node).values(),
                self._had_data,
                no_data_for=c.no_data_for,
                rules=c.rules,
                open_keys=open_keys,
                lang=c.language,
            )
            out += self._disk_full(rnd, at, open_keys)
        out += unreachable_observations(
            statuses, unreachable_for=c.unreachable_for, rules=c.rules, open_keys=open_keys
        )
        out += self._incidents(rounds, statuses, open_keys)
        return out

    def _known_graphs(self, host: str) -> dict[str, Graph]:
        known = self._known.get(host)
        if known is None:
            known = {g.name: g for g in self._metrics.graphs(host)}
            self._known[host] = known
        return known

    def _disk_full(self, rnd: NodeRound, at: float, open_keys: set[AlertKey]) -> list[Observation]:
        c = self._config
        graph = next((g for g in rnd.graphs if g.name == DF_GRAPH), None)
        if graph is None or c.disk_full_days <= 0:
            return []
        end = rnd.at + STEP
        out: list[Observation] = []
        for field in graph.fields:
            if not enabled(c.rules, rnd.node, graph.name, field.name):
                continue
            key = SeriesKey(rnd.node, graph.name, field.name)
            obs = disk_full_observation(
                rnd,
                graph,
                field,
                self._forecast(key, end, at),
                days=c.disk_full_days,
                default_for=c.for_,
                hysteresis=c.hysteresis,
                open_keys=open_keys,
                lang=c.language,
            )
            if obs is not None:
                out.append(obs)
        return out

    def _forecast(self, key: SeriesKey, end: int, at: float) -> Forecast | None:
        cached = self._forecasts.get(key)
        if cached is not None and at - cached[0] < FORECAST_EVERY:
            return cached[1]
        data = self._metrics.read(key, end - self._config.disk_full_window, end, step=STEP)
        forecast = days_until_full(data, at)
        self._forecasts[key] = (at, forecast)
        return forecast

    def _incidents(
        self, rounds: Sequence[NodeRound], statuses: Sequence[NodeStatus], open_keys: set[AlertKey]
    ) -> list[Observation]:
        inc = self._incident
        if not inc.enabled:
            return []
        by_round = {r.node: r for r in rounds}
        by_status = {s.node: s for s in statuses}
        degraded = {
            host: degradations(
                by_status.get(host),
                by_round.get(host),
                io_pressure=inc.io_pressure,
                steal=inc.steal,
            )
            for host in self._members
        }
        c = self._config
        delays = {"unreachable": c.unreachable_for, "io": c.for_, "steal": c.for_}
        return incident_observations(
            self._groups,
            degraded,
            fraction=inc.fraction,
            min_hosts=inc.min_hosts,
            delays=delays,
            open_keys=open_keys,
            lang=c.language,
        )

    # ------------------------------------------------------------------ saving, incidents

    def _save(self, result: Step, open_alerts: Iterable[Alert], at: float) -> list[AlertTransition]:
        saved = self._alerts.save_alerts(result.save, result.dropped)
        by_key = {a.key: a for a in saved}
        transitions = [
            replace(t, alert=by_key.get(t.alert.key, t.alert)) for t in result.transitions
        ]
        dropped = set(result.dropped)
        current = {a.key: a for a in open_alerts if a.id not in dropped}
        current.update(by_key)
        incidents = [
            a
            for a in current.values()
            if a.key.kind == "incident" and (a.status == "firing" or a.resolved_at == at)
        ]
        kept, held = held_back(transitions, incidents, self._members)
        ended = [t.alert for t in transitions if t.alert.key.kind == "incident"]
        ended = [a for a in ended if a.status == "resolved"]
        if ended:
            still = [a for a in incidents if a.status == "firing"]
            told = released(ended, current.values(), self._members, at)
            kept += held_back(told, still, self._members)[0]
        self.held += len(held)
        return kept

    def _remember(self, rounds: Sequence[NodeRound]) -> None:
        for rnd in rounds:
            if not rnd.ok:
                continue
            known = self._known_graphs(rnd.node)
            for graph in rnd.graphs:
                known[graph.name] = graph
            self._had_data.update(
                k for k, v in rnd.values.items() if v is not None and not math.isnan(v)
            )
